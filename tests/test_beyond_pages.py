"""The built Part II pages: thresholds and measurements on the page (their figures:
test_site.py's check of every named figure)."""

from __future__ import annotations

import re

import numpy as np
from conftest import glued, page_text, pasted_texts

from lrsim import quartic
from lrsim.parabola import contraction_factor
from lrsim.quadratic import first_nonfinite_step, optimal_learning_rate, optimal_rate
from lrsim.tables import format_number


def test_curvature_page_shows_the_zigzag_optimum_its_rate_and_the_factor_at_1_2(site):
    """The 2-D zig-zag's A = diag(0.2, 4): η* and (κ − 1)/(κ + 1) as lrsim computes them, and
    the factor 1 − 2η of the seed's η = 1.2."""
    text = re.sub(r"\\[()]", "", page_text(site / "beyond" / "01-curvature.html"))
    zigzag = np.diag([0.2, 4.0])
    for number in (
        format_number(optimal_learning_rate(zigzag), ".4f"),
        format_number(optimal_rate(zigzag), ".4f"),
        format_number(float(contraction_factor(1.2)), "g"),
    ):
        assert number in text, number
    assert "overflows at step" in text


def test_non_quadratic_page_shows_lrsims_basin_and_the_overflow_outside_it(site):
    """At η = 0.5 the quartic's basin, its quadratic underestimate √(2/(3η)), and the step at
    which a start just outside (2.05) overflows, as lrsim.quartic computes them."""
    page = "beyond/02-non-quadratic"
    numbers, on_page = glued(site, page), pasted_texts(site / f"{page}.html")
    eta = numbers["eta_q"].value
    assert eta == 0.5
    expected = {
        "radius_q": float(quartic.basin_radius(eta)),
        "outside_overflow": int(first_nonfinite_step(quartic.iterate(eta, 2.05, steps=20))),
        "hessian_radius": float(np.sqrt(2 / (3 * eta))),
    }
    for name, value in expected.items():  # by glue name: the prose around them may change
        assert numbers[name].value == value, name
        assert numbers[name].text in on_page, name
    assert "first step ≥ 2/η" in page_text(site / f"{page}.html")  # the table's column
