"""The facts Part III's pages rest on: Adam's first step, no blow-up on x², the 38 threshold."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lrsim.adam_dynamics import (
    MOMENTUM_KINDS,
    adam_on_parabola,
    momentum_matrix,
    momentum_run,
    momentum_threshold,
    spectral_radius,
    stability_threshold,
)
from lrsim.parabola import iterate


def test_float32_adam_reproduces_keras_digits_at_lr_0_1() -> None:
    run = adam_on_parabola(0.1, steps=3, dtype="float32")
    assert run.x.dtype == np.float32
    assert [f"{x:.7f}" for x in run.x[0, 1:]] == ["-0.9000008", "-0.8004141", "-0.7015886"]


@given(
    rate=st.floats(1e-5, 1.0),
    curvature=st.floats(1e-3, 1e6),
)
def test_first_adam_step_is_lr_whatever_the_gradient_scale(rate: float, curvature: float) -> None:
    run = adam_on_parabola(rate, steps=1, curvature=curvature)
    step = run.x[0, 1] - run.x[0, 0]
    # step = lr·|g|/(|g| + eps/sqrt(1 - beta_2)) with |g| = curvature >= 1e-3: within 0.4 %
    assert step == pytest.approx(rate, rel=4e-3)


def test_far_from_minimum_adam_travels_about_lr_per_step() -> None:
    rates = np.array([1e-4, 1e-3])
    run = adam_on_parabola(rates, steps=500)
    travelled = run.x[:, -1] - run.x[:, 0]
    # a little under lr per step: v remembers the larger gradients of the earlier steps
    assert np.all(travelled <= 500 * rates)
    assert np.all(travelled > 0.85 * 500 * rates)


def test_adam_at_lr_1_does_not_grow_geometrically_where_gradient_descent_overflows() -> None:
    adam = adam_on_parabola([0.1, 1.0], steps=3000)
    assert np.all(np.isfinite(adam.x))
    assert np.abs(adam.x).max() <= 1.0 + 1e-12  # never farther than the start x = -1
    assert np.abs(adam.x[:, -1]).max() < 1e-6
    descent = iterate(1.0 + 1e-9, x0=-1.0, steps=3)
    assert abs(descent[-1]) >= 1.0  # gradient descent at eta >= 1 does not shrink at all
    assert np.isinf(iterate(1.2, x0=-1.0, steps=3000)[-1]) or np.isnan(
        iterate(1.2, x0=-1.0, steps=3000)[-1]
    )


def test_adam_re_enters_above_38_after_converging_and_oscillates_in_proportion_to_lr() -> None:
    run = adam_on_parabola([0.1, 1.0], steps=12000)
    crossings = run.first_crossing(38.0)
    assert np.all(crossings > 1000)  # late: long after the first approach to the minimum
    assert np.all(run.preconditioned_sharpness[:, 100:500].max(axis=1) < 38.0)
    amplitude = np.abs(run.x[:, -2000:]).max(axis=1)
    assert 3 < amplitude[1] / amplitude[0] < 30


@pytest.mark.parametrize("kind", MOMENTUM_KINDS)
@pytest.mark.parametrize("beta", [0.0, 0.5, 0.9, 0.99])
def test_bisected_threshold_matches_closed_form(kind: str, beta: float) -> None:
    closed = momentum_threshold(beta, kind)  # type: ignore[arg-type]
    assert stability_threshold(beta, kind) == pytest.approx(closed, rel=1e-9)  # type: ignore[arg-type]


def test_adam_momentum_threshold_is_38_and_simulation_agrees() -> None:
    assert momentum_threshold(0.9, "ema") == pytest.approx(38.0, rel=1e-14)
    path = momentum_run([37.5, 38.5], 0.9, "ema", steps=3000)
    assert abs(path[0, -1]) < 1e-3
    assert abs(path[1, -1]) > 1e3


def test_heavy_ball_with_beta_0_is_gradient_descent() -> None:
    h = np.array([0.5, 1.6, 2.4])
    np.testing.assert_allclose(spectral_radius(h, 0.0, "heavy_ball"), np.abs(1 - h), atol=1e-12)
    np.testing.assert_allclose(
        momentum_run(1.6, 0.0, "heavy_ball", steps=3), iterate(0.8, x0=1.0, steps=3)
    )


@given(h=st.floats(0.01, 100.0), beta=st.floats(0.0, 0.95))
def test_matrix_has_the_documented_trace_and_determinant(h: float, beta: float) -> None:
    matrix = momentum_matrix(h, beta, "ema")
    assert np.trace(matrix) == pytest.approx(1 + beta - (1 - beta) * h, abs=1e-9)
    assert np.linalg.det(matrix) == pytest.approx(beta, abs=1e-9)


def test_bad_arguments_name_themselves() -> None:
    with pytest.raises(ValueError, match="kind"):
        momentum_threshold(0.9, "adamw")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="beta"):
        momentum_threshold(1.0)
    with pytest.raises(ValueError, match="learning_rate"):
        adam_on_parabola(-0.1)
    with pytest.raises(ValueError, match="upper"):
        stability_threshold(0.9, upper=10.0)
