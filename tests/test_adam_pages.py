"""Part III as built: the Keras digits, the 38 threshold and the claim table reach the reader."""

from __future__ import annotations

import re
from pathlib import Path

from conftest import page_text


def test_adam_page_prints_the_keras_float32_iterates_and_the_edge_38(site: Path) -> None:
    text = page_text(site / "adam" / "01-adam-on-the-parabola.html")
    for digits in ("−0.9000008", "−0.8004141", "−0.7015886"):
        assert digits in text
    assert re.search(r"38 \(bisection finds it to within a relative 10⁻[⁰¹²³⁴⁵⁶⁷⁸⁹]+ \)", text)


def test_case_study_table_has_a_row_per_claim_and_every_figure(site: Path) -> None:
    html = (site / "adam" / "02-case-studies.html").read_text(encoding="utf-8")
    text = page_text(site / "adam" / "02-case-studies.html")
    claims = (
        "slow: needs many more epochs",
        "reliable: stable training",
        "a reasonable starting point",
        "the callback cuts the LR on a plateau",
        "highly likely to diverge",
        "significant oscillations prevent convergence",
        "validation loss increases dramatically",
    )
    for claim in claims:
        assert claim in text, claim
    assert html.count("<tr") >= len(claims) + 1


def test_case_studies_state_their_backend_and_show_lr_1_on_both(site: Path) -> None:
    html = (site / "adam" / "02-case-studies.html").read_text(encoding="utf-8")
    text = page_text(site / "adam" / "02-case-studies.html")
    assert "Keras 3 on the TensorFlow backend" in re.sub(r"<[^>]+>", "", html)
    assert "verdict on TensorFlow" in text
    assert "verdict on JAX" in text
    assert 'id="fig-backends-lr1"' in html
    assert "On JAX the network freezes" in text
    assert "On TensorFlow the network dies" in text


def test_crosscheck_page_shows_the_committed_record(site: Path) -> None:
    """Every family's largest deviation, as recorded, appears in the page's table."""
    from crosscheck.record import read_record

    from lrsim.tables import format_number

    text = page_text(site / "reference" / "crosscheck.html")
    text = text.replace(" ,", ",")  # "fit <code>Adam(1e-1)</code>, growth"
    record = read_record()
    for backend, entry in record["backends"].items():
        assert entry["versions"][backend] in text
        for row in entry["families"]:
            assert row["family"].replace("|", "\\|") in text or row["family"] in text
            shown = "0" if row["max_rel"] == 0 else format_number(row["max_rel"], ".2g")
            shown = re.sub(r"\s+", " ", shown)  # as page_text treats the no-break spaces
            assert f" {shown} (" in text, (backend, row["family"], shown)


def test_plateau_comparison_lives_on_its_reference_page_and_is_linked(site: Path) -> None:
    html = (site / "reference" / "plateau-keras-vs-pytorch.html").read_text(encoding="utf-8")
    assert 'id="fig-plateau-rule"' in html
    case_studies = (site / "adam" / "02-case-studies.html").read_text(encoding="utf-8")
    assert "plateau-keras-vs-pytorch.html" in case_studies
    assert 'id="fig-plateau-rule"' not in case_studies
