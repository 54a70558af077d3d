"""The built site in a real browser: every page loads cleanly, renders its images and formulas,
stays on its own origin, searches, and the η explorer works with the mouse and the keyboard."""

from __future__ import annotations

import re
from itertools import pairwise
from typing import Any

import numpy as np
import pytest

from lrsim.parabola import iterate

pytestmark = pytest.mark.site

EXPLORER_PAGE = "parabola/02-regimes.html"


def test_every_page_loads_without_console_errors_or_failed_requests(visits):
    problems = {
        path: visit.console_errors + visit.failed_requests
        for path, visit in visits.items()
        if visit.console_errors or visit.failed_requests
    }
    assert not problems
    assert EXPLORER_PAGE in visits


def test_no_page_requests_anything_outside_the_site(visits):
    foreign = {
        path: visit.foreign_requests for path, visit in visits.items() if visit.foreign_requests
    }
    assert not foreign


def test_every_image_decodes_and_every_figure_has_a_size(visits):
    broken = [
        (path, image["src"])
        for path, visit in visits.items()
        for image in visit.images
        if not image["complete"] or image["naturalWidth"] == 0
    ]
    assert not broken
    empty = [
        (path, figure["label"][:40])
        for path, visit in visits.items()
        for figure in visit.figures
        if figure["width"] <= 0 or figure["height"] <= 0
    ]
    assert not empty
    assert visits[EXPLORER_PAGE].figures


def test_every_formula_renders_with_a_visible_size(visits):
    empty = [
        (path, formula["source"])
        for path, visit in visits.items()
        for formula in visit.formulas
        if formula["width"] <= 0 or formula["height"] <= 0
    ]
    assert not empty
    assert len(visits[EXPLORER_PAGE].formulas) >= 30


def test_headings_on_every_page_start_at_h1_and_never_skip_a_level(visits):
    for path, visit in visits.items():
        if not visit.headings:
            continue
        assert visit.headings[0] == 1, path
        jumps = [after - before for before, after in pairwise(visit.headings)]
        assert max(jumps, default=0) <= 1, f"{path}: headings {visit.headings}"


def test_search_finds_learning_rate(browser, base_url):
    page = browser.new_page()
    page.goto(base_url + "search.html?q=learning+rate", wait_until="networkidle")
    results = page.locator("#search-results ul.search li")
    results.first.wait_for(timeout=10_000)
    assert results.count() >= 2
    page.close()


def test_the_theme_switch_toggles_between_light_and_dark(browser, base_url):
    page = browser.new_page(color_scheme="light")
    page.goto(base_url + "index.html", wait_until="networkidle")
    themes = []
    # pydata-sphinx-theme 0.17 (the lock's) cycles auto → dark → light on each click.
    for _ in range(2):
        page.locator("button.theme-switch-button").first.click()
        themes.append(page.evaluate("document.documentElement.dataset.theme"))
    assert themes == ["dark", "light"]
    page.close()


@pytest.fixture
def explorer(browser, base_url) -> Any:
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(base_url + EXPLORER_PAGE, wait_until="networkidle")
    yield page
    assert not errors
    page.close()


def explorer_output(page: Any) -> str:
    return page.locator(".eta-explorer-output").inner_text()


def test_explorer_shows_the_initial_learning_rate_and_a_live_region(explorer):
    output = explorer.locator(".eta-explorer-output")
    assert output.get_attribute("aria-live") == "polite"
    assert "η = 0.80" in output.inner_text()
    assert "converges" in output.inner_text()
    assert explorer.locator(".eta-explorer svg circle").count() > 10
    assert explorer.get_by_label("learning rate η").is_visible()


def test_explorer_redraws_when_the_slider_moves(explorer):
    before = explorer_output(explorer)
    drawing = explorer.locator(".eta-explorer svg").inner_html()
    explorer.get_by_label("learning rate η").fill("0.3")
    assert explorer_output(explorer) != before
    assert "η = 0.30" in explorer_output(explorer)
    assert "monotone" in explorer_output(explorer)
    assert explorer.locator(".eta-explorer svg").inner_html() != drawing


def test_explorer_slider_moves_with_the_keyboard(explorer):
    slider = explorer.get_by_label("learning rate η")
    slider.focus()
    explorer.keyboard.press("ArrowRight")
    assert "η = 0.81" in explorer_output(explorer)
    explorer.keyboard.press("ArrowLeft")
    explorer.keyboard.press("ArrowLeft")
    assert "η = 0.79" in explorer_output(explorer)


def test_explorer_says_diverges_for_a_typed_eta_of_1_2_with_lrsims_iterates(explorer):
    box = explorer.locator(".eta-explorer input[type=number]")
    box.fill("1.2")
    box.press("Enter")
    text = explorer_output(explorer)
    assert "regime divergent" in text
    assert "diverges" in text
    assert "|1 − 2η| = 1.4" in text
    shown = [float(v.replace("−", "-")) for v in re.findall(r"x₄ = (.*), …", text)[0].split(", ")]
    np.testing.assert_allclose(shown, iterate(1.2, x0=-1.0, steps=4)[1:], rtol=1e-3)
    assert explorer.get_by_label("learning rate η").input_value() == "1.2"


def test_explorer_falls_back_to_the_static_figures_without_javascript(browser, base_url):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(base_url + EXPLORER_PAGE)
    assert page.locator(".eta-explorer").is_hidden()
    # (Playwright disables scripts without making <noscript> render; tests/test_site.py checks
    # that the page carries the <noscript> note.)
    assert page.locator("#fig-eta-grid svg.lrsim-figure").is_visible()
    context.close()


def test_explorer_writes_a_negative_eta_and_its_axes_as_the_figures_do(explorer):
    """Issue 13, item 4: it showed "η = -0.20" with a hyphen, and "1e-3" on its log axis."""
    box = explorer.locator(".eta-explorer input[type=number]")
    box.fill("-0.2")
    box.press("Enter")
    assert "η = −0.20" in explorer_output(explorer)
    drawn = explorer.locator(".eta-explorer svg").evaluate(
        "svg => [...svg.querySelectorAll('text')].map(text => text.textContent)"
    )
    assert "|xₖ|" in drawn
    assert any(re.fullmatch(r"10[⁻⁰¹²³⁴⁵⁶⁷⁸⁹]+", label) for label in drawn), drawn
    assert not [label for label in drawn if re.search(r"-|_|\de", label)], drawn


def test_explorer_is_drawn_in_the_colours_of_the_theme(browser, base_url):
    context = browser.new_context(color_scheme="dark")
    page = context.new_page()
    page.goto(base_url + EXPLORER_PAGE, wait_until="networkidle")
    painted = page.evaluate(
        """() => ({
             page: getComputedStyle(document.body).backgroundColor,
             card: getComputedStyle(document.querySelector('.eta-explorer').closest('.cell_output')
               .querySelector('.text_html')).backgroundColor,
             words: getComputedStyle(document.querySelector('.eta-explorer-output')).color,
             panel: getComputedStyle(document.querySelector('.eta-explorer svg rect')).fill,
             ink: getComputedStyle(document.querySelector('.eta-explorer svg text')).fill,
             text: getComputedStyle(document.querySelector('main p')).color })"""
    )
    context.close()
    assert painted["panel"] == painted["page"], painted
    assert painted["card"] == "rgba(0, 0, 0, 0)", painted  # no light card under it
    assert painted["words"] == painted["text"], painted
    assert painted["ink"] == painted["text"], painted
