"""Gradient descent on (L/2)x²: closed form, regimes, thresholds, overflow and bad input."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lrsim.parabola import (
    SEED_CURVATURE,
    Regime,
    classify,
    closed_form,
    contraction_factor,
    critical_learning_rate,
    iterate,
    loss,
    optimal_learning_rate,
    overflow,
    steps_to_tolerance,
)

learning_rates = st.floats(min_value=-0.5, max_value=2.5, allow_nan=False)
starts = st.floats(min_value=-10, max_value=10, allow_nan=False).filter(lambda x: abs(x) > 1e-3)
curvatures = st.floats(min_value=0.1, max_value=50, allow_nan=False)


@settings(max_examples=200, deadline=None)
@given(eta=learning_rates, x0=starts, k=st.integers(0, 60), curvature=curvatures)
def test_closed_form_equals_iteration(eta, x0, k, curvature):
    iterated = iterate(eta, x0=x0, steps=k, curvature=curvature)[-1]
    exact = closed_form(eta, x0=x0, k=k, curvature=curvature)
    # Each step rounds once relative to the larger of |x| and |eta*L*x|; errors add up over k.
    growth = max(1.0, abs(1 - eta * curvature)) ** k
    scale = abs(x0) * growth * (1 + abs(eta) * curvature)
    assert abs(iterated - exact) <= 8 * (k + 1) * np.finfo(float).eps * scale


def test_iterate_broadcasts_learning_rates_against_starts():
    etas = np.array([0.25, 0.8, 1.2])[:, None]
    starts = np.array([-1.0, 2.0])
    paths = iterate(etas, x0=starts, steps=4)
    assert paths.shape == (3, 2, 5)
    for i, eta in enumerate(etas[:, 0]):
        for j, x0 in enumerate(starts):
            np.testing.assert_array_equal(paths[i, j], iterate(eta, x0=x0, steps=4))


def test_float32_iterates_are_float32_and_close_to_float64():
    single = iterate(0.8, steps=10, dtype="float32")
    assert single.dtype == np.float32
    np.testing.assert_allclose(single, iterate(0.8, steps=10), rtol=1e-6)


@settings(max_examples=300, deadline=None)
@given(eta=st.floats(min_value=-0.5, max_value=1.6, allow_nan=False), curvature=curvatures)
def test_regime_classification_agrees_with_simulation(eta, curvature):
    regime = classify(eta, curvature)
    path = iterate(eta, x0=-1.0, steps=100, curvature=curvature)
    distance = np.abs(path)
    nonzero = path[path != 0]
    signs_alternate = bool(np.all(np.sign(nonzero[1:]) == -np.sign(nonzero[:-1])))
    never_crosses = bool(np.all(nonzero < 0))
    with np.errstate(invalid="ignore"):
        shrinking = bool(np.all(np.diff(distance) <= 0))
        growing = bool(np.all((np.diff(distance) >= 0) | np.isnan(np.diff(distance))))
    if regime is Regime.NO_DESCENT:
        assert growing
        assert never_crosses
    elif regime is Regime.MONOTONE:
        assert shrinking
        assert never_crosses
    elif regime is Regime.ONE_STEP:
        assert path[1] == 0
    elif regime is Regime.OSCILLATING:
        assert shrinking
        assert signs_alternate
    elif regime is Regime.PERIOD_TWO:
        assert np.all(distance == 1.0)
        assert signs_alternate
    else:
        assert regime is Regime.DIVERGENT
        assert growing
        assert signs_alternate
        assert distance[1] > 1


def test_boundaries_of_the_regimes_for_the_seed_parabola():
    assert classify(0.0) is Regime.NO_DESCENT
    assert classify(-0.1) is Regime.NO_DESCENT
    assert classify(0.49) is Regime.MONOTONE
    assert classify(0.5) is Regime.ONE_STEP
    assert classify(0.51) is Regime.OSCILLATING
    assert classify(1.0) is Regime.PERIOD_TWO
    assert classify(1.0000001) is Regime.DIVERGENT
    regimes = classify(np.array([[0.25, 1.2]]))
    assert regimes.shape == (1, 2)
    assert list(regimes[0]) == [Regime.MONOTONE, Regime.DIVERGENT]


def test_only_the_contracting_regimes_converge():
    assert {regime for regime in Regime if regime.converges} == {
        Regime.MONOTONE,
        Regime.ONE_STEP,
        Regime.OSCILLATING,
    }


def test_critical_and_optimal_learning_rates_scale_as_one_over_curvature():
    assert critical_learning_rate() == 1.0
    assert optimal_learning_rate() == 0.5
    assert critical_learning_rate(8.0) == 0.25
    assert optimal_learning_rate(8.0) == 0.125
    assert classify(critical_learning_rate(8.0), 8.0) is Regime.PERIOD_TWO
    assert classify(optimal_learning_rate(8.0), 8.0) is Regime.ONE_STEP


def test_optimal_learning_rate_lands_on_the_minimum_in_one_step():
    assert iterate(optimal_learning_rate(), x0=-3.0, steps=1)[-1] == 0.0


def test_eta_and_one_minus_eta_shrink_at_the_same_rate():
    np.testing.assert_allclose(np.abs(iterate(0.2, steps=30)), np.abs(iterate(0.8, steps=30)))
    assert abs(contraction_factor(0.3)) == pytest.approx(abs(contraction_factor(0.7)))


@settings(max_examples=200, deadline=None)
@given(
    eta=st.floats(min_value=0.01, max_value=0.999, allow_nan=False),
    x0=starts,
    tol=st.sampled_from([1e-2, 1e-6, 1e-9]),
)
def test_steps_to_tolerance_is_the_first_step_within_tolerance(eta, x0, tol):
    k = steps_to_tolerance(eta, x0=x0, tol=tol)
    assert np.isfinite(k)
    distances = np.abs(iterate(eta, x0=x0, steps=int(k)))
    assert distances[-1] <= tol
    assert k == 0 or distances[-2] > tol


def test_steps_to_tolerance_is_infinite_outside_the_convergent_band():
    assert steps_to_tolerance([1.0, 1.2, 0.0, -0.5]).tolist() == [np.inf] * 4
    assert steps_to_tolerance(1.2, x0=1e-9) == 0.0
    assert steps_to_tolerance(0.5) == 1.0


def test_loss_is_half_curvature_times_square():
    assert loss(3.0) == 9.0
    assert loss(3.0, curvature=4.0) == 18.0
    overflowing = loss(np.array([2e19], dtype=np.float32))
    assert overflowing.dtype == np.float32
    assert np.isinf(overflowing[0])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("eta", [1.01, 1.05, 1.2, 1.5, 2.0, 5.0])
def test_measured_overflow_matches_the_closed_form(dtype, eta):
    report = overflow(eta, dtype=dtype)
    assert report.dtype == dtype
    assert report.loss_inf_step == report.predicted_loss_inf_step
    assert report.x_inf_step == report.predicted_x_inf_step
    assert report.x_nan_step == report.x_inf_step + 1
    assert report.loss_inf_step < report.x_inf_step


def test_float64_postpones_overflow_by_its_larger_exponent_range():
    single, double = overflow(1.2, dtype="float32"), overflow(1.2, dtype="float64")
    assert (single.loss_inf_step, single.x_inf_step, single.x_nan_step) == (132, 263, 264)
    assert (double.loss_inf_step, double.x_inf_step, double.x_nan_step) == (1055, 2108, 2109)


@pytest.mark.parametrize("eta", [0.8, 1.0, 0.5, -0.0])
def test_runs_that_do_not_grow_never_overflow(eta):
    report = overflow(eta, max_steps=5000)
    assert report.loss_inf_step is report.x_inf_step is report.x_nan_step is None
    assert report.predicted_x_inf_step is None


def test_divergence_emits_no_runtime_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        path = iterate(5.0, steps=2000, dtype="float32")
        overflow(5.0, dtype="float32")
        loss(path)
        closed_form(5.0, k=5000)
    assert np.isnan(path[-1])


@pytest.mark.parametrize(
    ("call", "error", "words"),
    [
        (lambda: iterate(float("nan")), ValueError, "eta must be finite"),
        (lambda: iterate(float("inf")), ValueError, "eta must be finite"),
        (lambda: iterate(0.5, x0=float("-inf")), ValueError, "x0 must be finite"),
        (lambda: iterate(0.5, x0=[1.0, float("nan")]), ValueError, "x0 must be finite"),
        (lambda: iterate("fast"), TypeError, "eta must be a real number"),
        (lambda: iterate(0.5, steps=2.5), TypeError, "steps must be a non-negative integer"),
        (lambda: iterate(0.5, steps=-1), ValueError, "steps must be a non-negative integer"),
        (lambda: iterate(0.5, steps=True), TypeError, "steps must be a non-negative integer"),
        (
            lambda: iterate(0.5, curvature=0.0),
            ValueError,
            r"curvature must be finite and in \(0, inf\)",
        ),
        (
            lambda: iterate(0.5, curvature=-2.0),
            ValueError,
            r"curvature must be finite and in \(0, inf\)",
        ),
        (lambda: iterate(0.5, dtype="float16"), ValueError, "dtype must be one of"),
        (lambda: iterate(0.5, dtype="bogus"), TypeError, "dtype must be one of"),
        (lambda: classify(float("nan")), ValueError, "eta must be finite"),
        (
            lambda: critical_learning_rate(0.0),
            ValueError,
            r"curvature must be finite and in \(0, inf\)",
        ),
        (lambda: closed_form(0.5, k=-1), ValueError, "k must be a non-negative integer"),
        (lambda: closed_form(0.5, k=1.5), ValueError, "k must be a non-negative integer"),
        (
            lambda: steps_to_tolerance(0.5, tol=0.0),
            ValueError,
            r"tol must be finite and in \(0, inf\)",
        ),
        (lambda: overflow(1.2, max_steps=-5), ValueError, "max_steps must be"),
        (lambda: overflow(1.2, dtype="int32"), ValueError, "dtype must be one of"),
    ],
)
def test_bad_input_is_rejected_with_the_argument_named(call, error, words):
    with pytest.raises(error, match=words):
        call()


def test_seed_curvature_is_that_of_x_squared():
    assert SEED_CURVATURE == 2.0
    assert loss(1.5) == 1.5**2
