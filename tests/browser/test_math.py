"""Math is drawn with the book's own math font (docs/_ext/math_font.py), whatever fonts the
reader has: big operators and brackets grow, and formulas are set at the size of the text."""

from __future__ import annotations

import re
from typing import Any

import pytest
from conftest import equations

pytestmark = pytest.mark.site

# Display math with a sum, integrals and brackets around a fraction.
MATH_PAGE = "beyond/01-curvature.html"


@pytest.fixture(scope="module")
def math_page(browser: Any, base_url: str) -> Any:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(base_url + MATH_PAGE, wait_until="load")
    page.evaluate("document.fonts.ready.then(() => true)")
    yield page
    page.close()


def test_the_math_font_is_loaded(math_page):
    faces = math_page.evaluate(
        "[...document.fonts].filter(f => f.family === 'lrsim math').map(f => f.status)"
    )
    assert faces == ["loaded"]
    family = math_page.evaluate("getComputedStyle(document.querySelector('math')).fontFamily")
    assert family.startswith('"lrsim math"')


def test_a_sum_and_a_stretchy_bracket_are_taller_than_the_letters_beside_them(math_page):
    """Without a math font ∑ stayed the size of a letter and brackets did not stretch."""
    heights = math_page.evaluate(
        """() => {
          const height = element => element.getBoundingClientRect().height;
          const display = [...document.querySelectorAll('div.math math')];
          const letter = height(display[0].querySelector('mi'));
          const operator = text => display.flatMap(m => [...m.querySelectorAll('mo')])
            .filter(mo => mo.textContent === text);
          return {
            letter,
            sum: Math.max(...operator('∑').map(height)),
            bracket: Math.max(...operator('(').filter(mo => mo.getAttribute('stretchy') === 'true')
                                              .map(height)),
          };
        }"""
    )
    assert heights["sum"] > 1.4 * heights["letter"], heights
    assert heights["bracket"] > 1.4 * heights["letter"], heights


def test_math_is_set_at_the_size_of_the_text_around_it(browser, base_url, pages):
    """It was set 5 % larger inline and 15 % larger in display, to make up for fallback fonts."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    off = {}
    count = 0
    for path in pages:
        page.goto(base_url + path, wait_until="load")
        ratios = page.evaluate(
            """() => [...document.querySelectorAll('math')].map(math =>
                 parseFloat(getComputedStyle(math).fontSize)
                 / parseFloat(getComputedStyle(math.parentElement.parentElement).fontSize))"""
        )
        count += len(ratios)
        if any(abs(ratio - 1) > 0.03 for ratio in ratios):
            off[path] = sorted({round(ratio, 3) for ratio in ratios})
    page.close()
    assert count > 100
    assert off == {}


@pytest.mark.parametrize("width", [390, 1280])
def test_equation_numbers_sit_at_the_right_margin_clear_of_their_formula(browser, base_url, width):
    """A numbered equation's "(N)" ends at the text's right edge, on the formula's line when
    there is room and below it when not (a phone), and never covers the formula."""
    labels, _ = equations()
    page = browser.new_page(viewport={"width": width, "height": 900})
    placed = []
    for docname in sorted(set(labels.values())):
        page.goto(f"{base_url}{docname}.html", wait_until="load")
        page.evaluate("document.fonts.ready.then(() => true)")
        placed += page.evaluate(
            """() => [...document.querySelectorAll('div.math[id^="equation-"]')].map(div => {
                 const box = element => element.getBoundingClientRect();
                 const [area, number, formula] = [box(div), box(div.querySelector('.eqno')),
                                                  box(div.querySelector('math'))];
                 const apart = number.left >= formula.right || number.top >= formula.bottom;
                 return {id: div.id, apart, gap: area.right - number.right,
                         shown: number.width > 0 && div.querySelector('.eqno').innerText};
               })"""
        )
    page.close()
    assert len(placed) == len(labels)
    for equation in placed:
        assert equation["apart"], equation
        assert abs(equation["gap"]) <= 1, equation
        assert re.fullmatch(r"\(\d+\)", equation["shown"].replace("#", "").strip()), equation
