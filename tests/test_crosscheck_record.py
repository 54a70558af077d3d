"""The committed cross-check record: complete, consistent, and compared the way the docs say.

The record itself is made by ``nox -s crosscheck -- record`` against real Keras; these tests
need no Keras. They check what the book's cross-check page relies on, and the comparison rule
that makes CI's cross-check fail when lrsim moves a cross-checked number.
"""

from __future__ import annotations

import math

import pytest
from crosscheck.record import (
    AGREEMENT_FACTOR,
    BACKENDS,
    CHAOTIC_AGREEMENT_FACTOR,
    RECORD_COMMAND,
    Deviation,
    disagreements,
    read_record,
    summarise,
)

FAMILIES_THE_BOOK_NAMES = {
    "optimizers, step by step, eager Keras",
    "optimizers, step by step, compiled as fit does",
    "ReduceLROnPlateau, learning rate per epoch",
    "one batch: loss gradients (rel. to max |g|)",
    "fit Adam(1e-1)",
    "fit Adam(1e-1), growth",
    "fit Adam(1), growth",
}


@pytest.fixture(scope="module")
def record():
    return read_record()


def test_record_covers_both_backends_with_versions_digest_and_the_same_setting(record):
    assert list(record["backends"]) == list(BACKENDS)
    tensorflow, jax = record["backends"].values()
    assert {"keras", "tensorflow", "numpy", "python"} <= set(tensorflow["versions"])
    assert {"keras", "jax", "numpy", "python"} <= set(jax["versions"])
    assert tensorflow["versions"]["keras"] == jax["versions"]["keras"]
    assert tensorflow["setting"] == jax["setting"]
    for entry in (tensorflow, jax):
        assert len(entry["lrsim_source_digest"]) == 16


def test_every_family_has_checks_and_a_finite_deviation_within_what_the_book_names(record):
    for backend, entry in record["backends"].items():
        names = [row["family"] for row in entry["families"]]
        assert len(names) == len(set(names)), f"{backend}: a family is listed twice"
        assert set(names) >= FAMILIES_THE_BOOK_NAMES, (
            f"{backend}: {FAMILIES_THE_BOOK_NAMES - set(names)}"
        )
        for row in entry["families"]:
            assert row["checks"] >= 1
            assert math.isfinite(row["max_rel"])
            assert row["max_rel"] >= 0
            assert row["bound"]


def test_bitwise_families_are_recorded_as_exact(record):
    """What the book calls equal must be 0 in the record, on both backends."""
    for entry in record["backends"].values():
        rows = {row["family"]: row for row in entry["families"]}
        assert rows["ReduceLROnPlateau, learning rate per epoch"]["max_rel"] == 0
        # Eager optimizers are bitwise above the subnormal flush bound: only flushed values
        # (below 2**-126) may differ, so the relative deviation is below 1e-30.
        assert rows["optimizers, step by step, eager Keras"]["max_rel"] < 1e-30


def rows(**deviations):
    """Family rows as summarise() makes them, from family -> (max_rel, chaotic)."""
    return summarise(
        [
            Deviation(family, "case", value, value, "bound", chaotic)
            for family, (value, chaotic) in deviations.items()
        ]
    )


def test_a_fresh_run_within_the_agreement_factor_agrees():
    recorded = rows(a=(1e-7, False), b=(0.0, False), c=(0.5, True))
    fresh = rows(a=(1e-7 * AGREEMENT_FACTOR * 0.99, False), b=(0.0, False), c=(0.5 / 15, True))
    assert disagreements(recorded, fresh) == []


@pytest.mark.parametrize(
    ("fresh", "message"),
    [
        ({"a": (1e-7 * AGREEMENT_FACTOR * 1.01, False), "b": (0.0, False)}, "a: largest"),
        ({"a": (1e-7, False), "b": (1e-9, False)}, "b: largest"),
        ({"a": (1e-7, False)}, "'b' is in the record but was not checked"),
        ({"a": (1e-7, False), "b": (0.0, False), "new": (0.0, False)}, "'new' was checked"),
    ],
)
def test_a_fresh_run_that_moved_a_number_disagrees_and_says_where(fresh, message):
    recorded = rows(a=(1e-7, False), b=(0.0, False))
    problems = disagreements(recorded, rows(**fresh))
    assert len(problems) == 1
    assert message in problems[0]


def test_chaotic_families_get_the_wider_factor_and_no_more():
    recorded = rows(c=(0.01, True))
    assert disagreements(recorded, rows(c=(0.01 * CHAOTIC_AGREEMENT_FACTOR, True))) == []
    assert disagreements(recorded, rows(c=(0.01 * CHAOTIC_AGREEMENT_FACTOR * 1.1, True)))


def test_a_changed_number_of_checks_disagrees():
    recorded = summarise([Deviation("a", str(i), 0.0, 0.0, "0") for i in range(3)])
    fresh = summarise([Deviation("a", str(i), 0.0, 0.0, "0") for i in range(2)])
    assert disagreements(recorded, fresh) == ["a: 2 checks, the record has 3"]


def test_summarise_keeps_the_worst_check_and_its_bound():
    (row,) = summarise(
        [Deviation("f", "small", 1.0, 1e-8, "8 ulps"), Deviation("f", "big", 2.0, 1e-6, "1e-5")]
    )
    assert (row["checks"], row["max_rel"], row["worst_case"], row["bound"], row["max_abs"]) == (
        2, 1e-6, "big", "1e-5", 2.0
    )  # fmt: skip


def test_the_record_command_is_the_nox_session_readme_names():
    assert RECORD_COMMAND == "nox -s crosscheck -- record"
