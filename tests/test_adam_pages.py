"""Part III as built: the Keras digits, the 38 threshold, the claim table and the lr = 1 passage
reach the reader, with the numbers and verdicts lrsim computes (never the prose around them)."""

from __future__ import annotations

import html
import re
from collections import Counter
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pytest
from conftest import glued, page_text, pasted_texts

from lrsim.adam_dynamics import momentum_threshold, stability_threshold
from lrsim.case_studies import (
    BACKEND,
    OTHER_BACKEND,
    Claim,
    Summary,
    claims,
    plateau_callback,
    train_grid,
)
from lrsim.experiments import CASE_STUDY
from lrsim.optimizers import Adam
from lrsim.tables import format_number


def test_adam_page_prints_the_keras_float32_iterates_and_the_edge_38(site: Path) -> None:
    page = site / "adam" / "01-adam-on-the-parabola.html"
    text = page_text(page)
    for digits in ("−0.9000008", "−0.8004141", "−0.7015886"):  # real Keras's (DESIGN.md §4)
        assert digits in text
    numbers, on_page = glued(site, "adam/01-adam-on-the-parabola"), pasted_texts(page)
    edge = momentum_threshold(0.9, "ema")
    gap = abs(stability_threshold(0.9, "ema") - edge) / edge
    assert numbers["adam_edge"].value == edge
    assert numbers["adam_edge"].text == "38"
    assert numbers["adam_edge_bisection_gap"].value == format_number(gap, ".0e")
    for name in ("adam_edge", "adam_edge_bisection_gap"):
        assert numbers[name].text in on_page, name


BACKEND_NAMES = {"tensorflow": "TensorFlow", "jax": "JAX"}
"""Keras backends as Keras's documentation writes them."""


class Measured(NamedTuple):
    claims: list[Claim]
    other_claims: list[Claim]
    at_lr_1: dict[str, Summary]
    zero_gradient: dict[str, int]


@pytest.fixture(scope="module")
def measured() -> Measured:
    """What the case-study page measures, measured again by lrsim: the post's claims with their
    verdicts on the page's backend and on the other, and Adam at lr = 1 on both.

    The page trains the whole sweep in one ensemble and picks these rates from it; an ensemble
    member computes what a separate run computes, so these smaller grids give the same bits.
    """
    data = CASE_STUDY.data()
    found: dict[str, Any] = {}
    for backend in (BACKEND, OTHER_BACKEND):
        adam = train_grid(Adam, [1e-4, 1e-1, 1.0], backend=backend)
        plateau = train_grid(Adam, [1e-3], [plateau_callback()], backend=backend)
        found[backend] = (
            claims(adam.summary(1e-4), plateau.summary(1e-3), adam.summary(1e-1)),
            adam.summary(1.0),
            int(np.count_nonzero(adam.gradient_norms(1.0, data) == 0)),
        )
    return Measured(
        claims=found[BACKEND][0],
        other_claims=found[OTHER_BACKEND][0],
        at_lr_1={backend: found[backend][1] for backend in found},
        zero_gradient={backend: found[backend][2] for backend in found},
    )


def tables(path: Path) -> list[list[list[str]]]:
    """Every table of a built page, as rows of cell texts (tags dropped, spaces single)."""

    def parts(tag: str, markup: str) -> list[str]:
        return re.findall(rf"<{tag}\b.*?</{tag}>", markup, re.DOTALL)

    def text(markup: str) -> str:
        return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", markup))).strip()

    markup = path.read_text(encoding="utf-8")
    return [
        [[text(cell) for cell in parts("t[hd]", row)] for row in parts("tr", table)]
        for table in parts("table", markup)
    ]


def shown(markdown: str) -> str:
    """A Markdown table cell as the reader sees it: code spans lose their backticks."""
    return markdown.replace("`", "")


def test_case_study_table_gives_each_claim_lrsims_measurement_and_verdicts(site, measured):
    """One row per claim of lrsim.case_studies.claims, in order: the claim, what lrsim measures
    and its verdict on the page's backend, and the other backend's verdict where it differs."""
    rows, other_rows = measured.claims, measured.other_claims
    [(header, *body)] = [
        table
        for table in tables(site / "adam" / "02-case-studies.html")
        if any(cells[1:2] == [rows[0].claim] for cells in table)
    ]
    backend, other = BACKEND_NAMES[BACKEND], BACKEND_NAMES[OTHER_BACKEND]
    assert backend in header[2], header  # what was measured, on which backend
    assert backend in header[3], header
    assert other in header[4], header
    assert len(body) == len(rows)
    for cells, row, other_row in zip(body, rows, other_rows, strict=True):
        expected = [row.configuration, row.claim, row.measured, row.verdict]
        assert cells[:4] == [shown(part) for part in expected]
        if other_row.verdict != row.verdict:
            assert cells[4] == other_row.verdict, (row.claim, cells[4])
        else:  # said once, not repeated
            assert cells[4] == row.verdict or "same" in cells[4], (row.claim, cells[4])


STORY = {
    "tf1": ("dead_pct", "dead_layer", "val_loss"),  # dies: dead ReLUs, whole layers, loss log 3
    "jax1": ("saturated_pct_epoch1", "zero_gradient", "val_loss"),  # freezes: clipped, no gradient
}
"""The numbers each backend's half of the lr = 1 passage cannot go without, by glue name."""


def test_case_studies_show_adam_at_lr_1_on_both_backends_with_lrsims_numbers(site, measured):
    """The passage on lr = 1 (TensorFlow's network dies, JAX's freezes) gives lrsim's numbers,
    each where the page's source glues it, whatever the prose around them."""
    page = site / "adam" / "02-case-studies.html"
    assert 'id="fig-backends-lr1"' in page.read_text(encoding="utf-8")
    numbers = glued(site, "adam/02-case-studies")
    quoted_texts: list[str] = []
    for prefix, backend in (("tf1", BACKEND), ("jax1", OTHER_BACKEND)):
        run = measured.at_lr_1[backend]
        expected = {
            "val_loss": float(np.nanmedian(run.final_val_loss)),
            "dead_pct": 100 * float(np.nanmedian(run.dead)),
            "dead_pct_epoch1": 100 * float(np.nanmedian(run.dead_per_epoch[0])),
            "saturated_pct": 100 * float(np.nanmedian(run.saturated)),
            "saturated_pct_epoch1": 100 * float(np.nanmedian(run.saturated_per_epoch[0])),
            "dead_layer": int(np.count_nonzero(run.dead_layer_per_epoch[-1])),
            "zero_gradient": measured.zero_gradient[backend],
        }
        quoted = [key for key in expected if f"{prefix}_{key}" in numbers]
        assert set(STORY[prefix]) <= set(quoted), (prefix, quoted)
        for key in quoted:
            assert numbers[f"{prefix}_{key}"].value == expected[key], (prefix, key)
            quoted_texts.append(numbers[f"{prefix}_{key}"].text)
    # Each on the page: as many glued spans of each text as the passage quotes (two 8s are two).
    missing = Counter(quoted_texts) - Counter(pasted_texts(page))
    assert not missing, missing


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
