"""What a reader takes away, clicked in the browser at a phone's and a desktop's width: a page's
notebook from the download menu, code from a copy button (code only), a "Figure N" reference,
a missing page at some depth, and the arrow keys to the next page."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from .conftest import DESKTOP, PHONE

pytestmark = pytest.mark.site

VIEWPORTS = pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["390", "1280"])


def open_page(browser: Any, base_url: str, path: str, viewport: dict[str, int]) -> Any:
    context = browser.new_context(viewport=viewport, accept_downloads=True)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base_url.rstrip("/"))
    page = context.new_page()
    page.goto(base_url + path, wait_until="load")
    return page


@VIEWPORTS
def test_the_download_menu_gives_the_page_as_a_notebook(browser, base_url, viewport, site):
    page = open_page(browser, base_url, "parabola/01-worked-example.html", viewport)
    page.get_by_role("button", name="Download this page").click()
    pdf = page.locator(".btn-download-book-pdf-button")
    assert pdf.is_visible()
    assert pdf.get_attribute("href") == "../why-learning-rates-diverge.pdf"
    notebook_link = page.locator(".btn-download-notebook-button")
    with page.expect_download() as download:
        notebook_link.click()
    notebook = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
    assert notebook["nbformat"] == 4
    sources = ["".join(cell["source"]) for cell in notebook["cells"]]
    assert any(source.startswith("# Follow three learning rates") for source in sources)
    code = ["".join(cell["source"]) for cell in notebook["cells"] if cell["cell_type"] == "code"]
    assert any("iterate(" in source for source in code)
    page.context.close()


def clipboard_after_copying(page: Any, block: Any) -> str:
    block.hover()
    block.locator("button.copybtn").click()
    return str(page.evaluate("navigator.clipboard.readText()"))


@VIEWPORTS
def test_a_copy_button_copies_the_commands_without_their_prompts(browser, base_url, viewport):
    page = open_page(browser, base_url, "run-the-book.html", viewport)
    block = page.locator("div.highlight-console").first
    shown = block.inner_text()
    assert shown.startswith("$ python -m venv")
    copied = clipboard_after_copying(page, block)
    assert copied.strip() == "\n".join(
        line.removeprefix("$ ") for line in shown.strip().splitlines()
    )
    assert "$" not in copied
    page.context.close()


@VIEWPORTS
def test_a_copy_button_copies_a_doctest_without_prompts_or_output(browser, base_url, viewport):
    page = open_page(browser, base_url, "reference/api.html", viewport)
    block = (
        page.locator("div.highlight-pycon, div.highlight-python3, div.doctest")
        .filter(has=page.locator(".go"))
        .first
    )
    block.scroll_into_view_if_needed()
    shown = block.inner_text()
    output = block.locator(".go").first.inner_text()
    copied = clipboard_after_copying(page, block)
    assert ">>>" in shown
    assert ">>>" not in copied
    assert output.strip()
    assert output.strip() not in copied
    assert copied.strip()
    page.context.close()


@VIEWPORTS
def test_a_figure_reference_takes_the_reader_to_the_numbered_figure(browser, base_url, viewport):
    page = open_page(browser, base_url, "beyond/02-non-quadratic.html", viewport)
    reference = page.locator('a.reference.internal[href="#fig-quartic-basin"]')
    number = reference.inner_text()
    assert number.startswith("Figure ")
    reference.click()
    page.wait_for_function("location.hash === '#fig-quartic-basin'")
    figure = page.locator("#fig-quartic-basin")
    assert figure.locator(".caption-number").inner_text().strip() == number
    box = figure.bounding_box()
    assert box is not None
    assert 0 <= box["y"] < viewport["height"]
    page.context.close()


@VIEWPORTS
def test_a_missing_page_at_any_depth_shows_the_books_404_page(browser, base_url, viewport):
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    failed: list[str] = []
    page.on("requestfailed", lambda request: failed.append(request.url))
    page.on(
        "response",
        lambda r: r.status >= 400 and not r.url.endswith("page.html") and failed.append(r.url),
    )
    response = page.goto(base_url + "no/such/chapter/page.html", wait_until="load")
    assert response is not None
    assert response.status == 404
    assert page.locator("article h1").inner_text().startswith("This page is not in the book")
    assert failed == []
    # The theme's styles found their way from three folders deep: its layout is there.
    assert page.evaluate("getComputedStyle(document.querySelector('.bd-header')).display") != "none"
    page.get_by_role("link", name="first page").click()
    page.wait_for_load_state("load")
    assert page.url == base_url + "index.html"
    context.close()


def test_the_arrow_keys_go_to_the_next_and_previous_page(browser, base_url):
    page = open_page(browser, base_url, "parabola/01-worked-example.html", DESKTOP)
    page.keyboard.press("ArrowRight")
    page.wait_for_url(base_url + "parabola/02-regimes.html")
    page.keyboard.press("ArrowLeft")
    page.wait_for_url(base_url + "parabola/01-worked-example.html")
    page.context.close()
