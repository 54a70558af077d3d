"""The built Part II pages: thresholds and measurements on the page, every figure captioned."""

from __future__ import annotations

import re

from test_site import page_text


def test_curvature_page_shows_the_zigzag_factors_optimum_and_summed_loss(site):
    html = (site / "beyond" / "01-curvature.html").read_text(encoding="utf-8")
    for label in ("fig-zigzag", "fig-rate-kappa", "fig-summed-loss"):
        assert f'id="{label}"' in html
    text = re.sub(r"\\[()]", "", page_text(site / "beyond" / "01-curvature.html"))
    for number in ("0.4762", "0.9048", "−1.4", "0.92", "overflows at step"):
        assert number in text, number
    assert "Lemma (descent lemma)" in text


def test_non_quadratic_page_shows_the_basin_and_the_edge_of_stability(site):
    html = (site / "beyond" / "02-non-quadratic.html").read_text(encoding="utf-8")
    for label in ("fig-quartic-paths", "fig-quartic-basin", "fig-edge-of-stability"):
        assert f'id="{label}"' in html
    text = page_text(site / "beyond" / "02-non-quadratic.html")
    assert "Progressive sharpening happens" in text
    assert "first step ≥ 2/η" in text
