"""What a reader sees of the text itself, measured in the browser."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.site


def test_glued_numbers_read_as_ordinary_text(browser, base_url):
    """MyST-NB's CSS sets every glued number bold: 16 bold numbers in one paragraph."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(base_url + "adam/02-case-studies.html", wait_until="load")
    weights = page.evaluate(
        """() => [...document.querySelectorAll('main p span.pasted-text')].map(span => [
             Number(getComputedStyle(span).fontWeight),
             Number(getComputedStyle(span.closest('p')).fontWeight)])"""
    )
    page.close()
    assert len(weights) > 50
    assert all(own == paragraph for own, paragraph in weights), weights[:5]


def test_no_page_is_wider_than_a_phone(browser, base_url, pages):
    """At 390 px nothing scrolls sideways: the verification page was 643 px wide, the API
    579, the general index 691, and a title made of one long word 441."""
    page = browser.new_page(viewport={"width": 390, "height": 844})
    widths = {}
    for path in pages:
        page.goto(base_url + path, wait_until="load")
        widths[path] = page.evaluate("document.documentElement.scrollWidth")
    page.close()
    assert len(widths) >= 10
    assert {path: width for path, width in widths.items() if width > 390} == {}


def test_the_contents_sidebar_shows_its_entries_whole(browser, base_url, pages):
    """A file name in inline code (``tests/test_incremental_build.py``) cannot break, and made
    the verification page's contents 310 px wide in a 272 px sidebar: every entry was cut."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    overflowing = {}
    for path in pages:
        page.goto(base_url + path, wait_until="load")
        sizes = page.evaluate(
            """() => [...document.querySelectorAll('.bd-sidebar-secondary')]
                 .map(side => [side.scrollWidth, side.clientWidth])"""
        )
        if any(scroll > client + 1 for scroll, client in sizes):
            overflowing[path] = sizes
    page.close()
    assert overflowing == {}


def test_wide_equations_open_at_their_start_on_a_phone(browser, base_url, pages):
    """pydata-sphinx-theme's reversed flex row opened ten wide equations scrolled to the end."""
    page = browser.new_page(viewport={"width": 390, "height": 844})
    wide, cut = 0, []
    for path in pages:
        page.goto(base_url + path, wait_until="load")
        found = page.evaluate(
            """() => [...document.querySelectorAll('div.math')]
                 .filter(box => box.scrollWidth > box.clientWidth + 1)
                 .map(box => box.querySelector('math').getBoundingClientRect().left
                             < box.getBoundingClientRect().left - 1)"""
        )
        wide += len(found)
        cut += [path for starts_hidden in found if starts_hidden]
    page.close()
    assert wide >= 5  # the check looked at equations that really overflow a phone
    assert cut == []


def test_printing_leaves_out_the_collapsed_code_cells(browser, base_url):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(base_url + "adam/02-case-studies.html", wait_until="load")
    count = "document.querySelectorAll('details.hide.above-input').length"
    shown = """[...document.querySelectorAll('details.hide.above-input')]
                 .filter(d => getComputedStyle(d).display !== 'none').length"""
    assert page.evaluate(count) >= 3
    assert page.evaluate(shown) == page.evaluate(count)  # on screen they are there
    page.emulate_media(media="print")
    assert page.evaluate(shown) == 0
    page.close()


def test_a_page_title_leaves_room_for_the_page_on_a_phone(browser, base_url):
    """The 44 px title of the case studies took 253 px, a third of a 390 × 844 screen."""
    page = browser.new_page(viewport={"width": 390, "height": 844})
    page.goto(base_url + "adam/02-case-studies.html", wait_until="load")
    height = page.evaluate(
        "document.querySelector('.bd-article h1').getBoundingClientRect().height"
    )
    page.close()
    assert 0 < height < 0.25 * 844  # 253 px at 44 px type, 105 px now
