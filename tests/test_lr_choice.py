"""Part IV's experiments: the range tests, their suggestions and the schedules compared."""

from __future__ import annotations

import numpy as np
import pytest

from lrsim.lr_choice import (
    RANGES,
    RULES,
    ScheduleRuns,
    compare_schedules,
    lowest_rates,
    minimum_to_return_ratios,
    range_tests,
    schedules,
    steps_per_epoch,
    suggestions,
)
from lrsim.lr_finder import RangeTest


@pytest.fixture(scope="module")
def tests():
    return range_tests(seeds=[0, 1], steps=30)


def test_each_optimizer_sweeps_its_own_range_one_member_per_seed(tests):
    assert list(tests) == list(RANGES)
    for name, test in tests.items():
        ratio = test.learning_rates[1] / test.learning_rates[0]
        assert test.learning_rates[0] == RANGES[name].start
        assert test.learning_rates[-1] * ratio == pytest.approx(RANGES[name].end, rel=1e-12)
        assert test.losses.shape == (30, 2)
        # Same batches, different initial weights: the members differ from the first step.
        assert test.losses[0, 0] != test.losses[0, 1]


def test_suggestions_give_every_rule_one_rate_per_member(tests):
    found = suggestions(tests)
    assert list(found) == [(name, rule) for name in RANGES for rule in RULES]
    for (name, rule), rates in found.items():
        np.testing.assert_array_equal(rates, getattr(tests[name], f"suggest_{rule}")())
        assert rates.shape == (2,)


def curve(*columns, smoothing=0.0):
    return RangeTest.from_losses(
        [1e-3, 1e-2, 1e-1, 1.0, 10.0],
        np.column_stack(columns),
        smoothing=smoothing,
        divergence_factor=1e9,
    )


def test_lowest_rates_and_the_ratio_to_the_return_are_read_per_member():
    test = curve([1.0, 0.5, 0.2, 0.9, 1.5], [1.0, 0.1, 0.3, 2.0, 5.0])
    assert lowest_rates(test).tolist() == [1e-1, 1e-2]
    # The first: lowest at 1e-1, back above 1.0 at 10; the second: lowest at 1e-2, back at 1.
    np.testing.assert_allclose(minimum_to_return_ratios(test), [1e-2, 1e-2])


def test_a_curve_that_never_comes_back_has_ratio_one():
    test = curve([1.0, 0.5, 0.2, 0.3, 0.4])
    assert minimum_to_return_ratios(test).tolist() == [1.0]


def test_the_schedules_start_at_the_peak_and_decay_as_named():
    plan = schedules(0.01, epochs=6, batches=10)
    assert list(plan) == [
        "constant",
        "step decay",
        "exponential",
        "cosine",
        "warmup + cosine",
        "plateau",
    ]
    assert plan["plateau"] is None
    rate = {name: float(schedule(60)) for name, schedule in plan.items() if schedule}
    assert float(plan["constant"](0)) == rate["constant"] == pytest.approx(0.01)
    assert float(plan["step decay"](39)) == pytest.approx(0.01)  # one cut, at 2/3 of the run
    assert float(plan["step decay"](40)) == pytest.approx(0.001)
    assert rate["exponential"] == pytest.approx(0.001)
    assert rate["cosine"] == pytest.approx(0.0, abs=1e-12)
    assert float(plan["warmup + cosine"](0)) == pytest.approx(0.001)
    assert float(plan["warmup + cosine"](20)) == pytest.approx(0.01)


def test_an_epoch_of_the_range_test_network_has_its_batches():
    assert steps_per_epoch(32) == 19
    assert steps_per_epoch(600) == 1


def test_compare_schedules_trains_each_schedule_from_the_same_seeds():
    runs = compare_schedules(0.01, epochs=3, seeds=[0, 1])
    assert isinstance(runs, ScheduleRuns)
    assert runs.names[0] == "constant"
    assert runs.val_loss.shape == runs.learning_rates.shape == (3, 6, 2)
    constant, step = runs.learning_rates[:, 0], runs.learning_rates[:, 1]
    np.testing.assert_allclose(constant, 0.01)
    assert step[-1, 0] == pytest.approx(0.001)  # cut after epoch 2 of 3
    # Warmup starts below the peak and climbs to it.
    warmup = runs.learning_rates[:, 4, 0]
    assert warmup[0] < warmup[1] <= 0.01
    assert set(runs.final) == set(runs.names)
    # Seed s is the same network in every schedule: constant and plateau share epoch 1.
    np.testing.assert_array_equal(runs.val_loss[0, 0], runs.val_loss[0, 5])
    assert runs.val_loss[0, 0, 0] != runs.val_loss[0, 0, 1]
    assert runs.medians["constant"] == float(np.median(runs.val_loss[-1, 0]))


@pytest.mark.parametrize(
    ("call", "error", "name"),
    [
        (lambda: schedules(0.0), ValueError, "peak"),
        (lambda: schedules(0.01, epochs=0), ValueError, "epochs"),
        (lambda: schedules(0.01, batches=0), ValueError, "batches"),
        (lambda: range_tests(seeds=[-1]), ValueError, "seeds"),
        (lambda: compare_schedules(0.01, seeds=["a"]), TypeError, "seeds"),
        (lambda: steps_per_epoch(0), ValueError, "batch_size"),
    ],
)
def test_bad_input_is_refused_naming_the_argument(call, error, name):
    with pytest.raises(error, match=name):
        call()
