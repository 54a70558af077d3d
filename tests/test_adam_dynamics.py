"""The facts Part III's pages rest on: Adam's first step, no blow-up on x², the 38 threshold."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lrsim.adam_dynamics import (
    MOMENTUM_KINDS,
    adam_on_parabola,
    first_step_rounding,
    momentum_matrix,
    momentum_run,
    momentum_threshold,
    spectral_radius,
    stability_threshold,
    update_ratio,
    update_ratio_limit,
)
from lrsim.optimizers import Adam
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


def test_keras_first_step_is_the_formula_with_float32_constants() -> None:
    """-0.9000008, not the formula's -0.90000016: 1 - float32(0.999) is 1.3e-5 (relative)
    below float32(1 - 0.999), which shortens the step by 6.4e-7, four times ε̂'s 1.6e-7."""
    step = first_step_rounding(0.1)
    assert step.formula == pytest.approx(-0.90000016, abs=5e-9)
    assert np.float32(step.keras) == np.float32(-0.9000008)
    assert np.float32(step.predicted) == np.float32(step.keras)
    assert step.epsilon_shift == pytest.approx(1.58e-7, rel=1e-2)
    assert step.beta_2_shift == pytest.approx(6.44e-7, rel=1e-2)
    # the two shifts add up to the whole gap between -0.9 and Keras's digit
    assert abs(step.keras + 0.9) == pytest.approx(step.epsilon_shift + step.beta_2_shift, rel=0.05)


def test_update_ratio_is_the_step_adam_takes_under_growing_gradients() -> None:
    growth, steps = 1.11, 150
    optimizer = Adam(0.5, epsilon=0.0)
    w, state, taken = np.zeros(1), optimizer.init_state(np.zeros(1)), []
    for t in range(steps):
        new_w, state = optimizer.update(w, [growth ** (t + 1)], state, 0.5)
        taken.append(float(w[0] - new_w[0]) / 0.5)
        w = new_w
    np.testing.assert_allclose(taken, update_ratio(growth, steps), rtol=1e-9)


def test_update_ratio_tends_to_its_limit_and_is_one_for_a_steady_gradient() -> None:
    assert update_ratio(1.11, 20_000)[-1] == pytest.approx(update_ratio_limit(1.11), rel=1e-6)
    assert update_ratio_limit(1.11) == pytest.approx(7.27, abs=5e-3)
    np.testing.assert_allclose(update_ratio(1.0, 50), 1.0, rtol=1e-12)
    with pytest.raises(ValueError, match="growth must be > max"):
        update_ratio_limit(0.9)
    with pytest.raises(ValueError, match="beta_2"):
        update_ratio(1.1, 5, beta_2=1.0)


def test_adam_on_parabola_takes_one_start_per_learning_rate() -> None:
    run = adam_on_parabola([0.1, 0.1], steps=5, x0=[-1.0, -1.0 + 1e-12])
    assert run.x[0, 0] != run.x[1, 0]
    np.testing.assert_allclose(run.x[0], adam_on_parabola(0.1, steps=5).x[0], rtol=0)
    with pytest.raises(ValueError, match="x0 must be a number or have one value per"):
        adam_on_parabola([0.1, 0.2, 0.3], x0=[-1.0, 1.0])
