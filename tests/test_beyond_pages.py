"""The built Part II pages: thresholds and measurements on the page (their figures:
test_site.py's check of every named figure)."""

from __future__ import annotations

import re

from conftest import page_text


def test_curvature_page_shows_the_zigzag_factors_optimum_and_summed_loss(site):
    text = re.sub(r"\\[()]", "", page_text(site / "beyond" / "01-curvature.html"))
    for number in ("0.4762", "0.9048", "−1.4", "0.92", "overflows at step"):
        assert number in text, number
    assert "Lemma (descent lemma)" in text


def test_non_quadratic_page_shows_the_basin_and_the_edge_of_stability(site):
    text = page_text(site / "beyond" / "02-non-quadratic.html")
    assert "Progressive sharpening happens" in text
    assert "first step ≥ 2/η" in text
