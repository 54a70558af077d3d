"""The built site in a real browser: every page loads cleanly, renders its images and formulas,
stays on its own origin and searches. (The explorers: test_explorers.py.)"""

from __future__ import annotations

from itertools import pairwise

import pytest

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


def test_explorer_falls_back_to_the_static_figures_without_javascript(browser, base_url):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(base_url + EXPLORER_PAGE)
    assert page.locator(".lrsim-explorer").is_hidden()
    # (Playwright disables scripts without making <noscript> render; tests/test_site.py checks
    # that the page carries the <noscript> note.)
    assert page.locator("#fig-eta-grid svg.lrsim-figure").is_visible()
    context.close()
