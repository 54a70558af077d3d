"""Optimizers: Keras 3's update formulas, step counting, float32 storage, ensembles and bad input."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from lrsim.optimizers import SGD, Adam, RMSprop, SGDState

gradients = hnp.arrays(
    np.float64,
    st.integers(1, 5),
    elements=st.floats(-10, 10, allow_nan=False).filter(lambda g: abs(g) > 1e-3),
)
rates = st.floats(1e-4, 1.0)


def run(optimizer, start, gradient, steps):
    """Iterates of ``optimizer`` from ``start`` under ``gradient(w)``, (steps + 1, ...)."""
    w = np.array(start, dtype=optimizer.dtype)
    path = [w.copy()]
    for _ in range(steps):
        optimizer.apply([gradient(w)], [w])
        path.append(w.copy())
    return np.stack(path)


def test_sgd_reproduces_the_seed_iterates_on_the_parabola():
    path = run(SGD(learning_rate=0.8), [-1.0], lambda w: 2 * w, 3)[:, 0]
    np.testing.assert_allclose(path, [-1.0, 0.6, -0.36, 0.216], rtol=1e-14)


@settings(max_examples=50, deadline=None)
@given(g=gradients, lr=rates)
def test_sgd_without_momentum_is_plain_gradient_descent(g, lr):
    w = np.linspace(-1, 1, g.size)
    expected = w.copy()
    optimizer = SGD(learning_rate=lr, momentum=0.0)
    for _ in range(3):
        optimizer.apply([g], [w])
        expected = expected - g * lr
    np.testing.assert_array_equal(w, expected)


def test_sgd_momentum_follows_keras_velocity_formula():
    lr, momentum, g = 0.1, 0.9, np.array([1.0, -2.0])
    for nesterov in (False, True):
        w, velocity, expected = np.zeros(2), np.zeros(2), np.zeros(2)
        optimizer = SGD(lr, momentum=momentum, nesterov=nesterov)
        for _ in range(4):
            optimizer.apply([g], [w])
            velocity = velocity * momentum - g * lr
            expected = expected + (velocity * momentum - g * lr if nesterov else velocity)
            np.testing.assert_array_equal(w, expected)


def test_rmsprop_puts_epsilon_inside_the_square_root():
    optimizer = RMSprop(learning_rate=0.1, rho=0.9, epsilon=0.5)
    w = np.array([0.0])
    optimizer.apply([np.array([1.0])], [w])
    assert w[0] == pytest.approx(-0.1 * 1.0 / np.sqrt(0.1 + 0.5), rel=1e-15)


def test_rmsprop_centered_momentum_follows_keras_formula():
    lr, rho, momentum, eps = 0.01, 0.8, 0.5, 1e-7
    optimizer = RMSprop(lr, rho=rho, momentum=momentum, epsilon=eps, centered=True)
    w = np.array([1.0, -3.0])
    velocity, average, accumulated, expected = (np.zeros(2) for _ in range(4))
    for step in range(5):
        g = np.array([1.0 + step, -0.5])
        optimizer.apply([g], [w])
        velocity = rho * velocity + (1 - rho) * g**2
        average = rho * average + (1 - rho) * g
        accumulated = momentum * accumulated + lr * g / np.sqrt(velocity - average**2 + eps)
        expected = (expected if step else np.array([1.0, -3.0])) - accumulated
        np.testing.assert_allclose(w, expected, rtol=1e-13)


@settings(max_examples=100, deadline=None)
@given(g=gradients, lr=rates)
def test_adam_first_step_is_about_minus_learning_rate_times_sign(g, lr):
    w = np.zeros_like(g)
    Adam(learning_rate=lr).apply([g], [w])
    # Exactly -lr * g / (|g| + eps/sqrt(1 - beta_2)), within lr * 1e-7/sqrt(1e-3)/|g| of -lr·sign.
    np.testing.assert_allclose(w, -lr * np.sign(g), rtol=1e-7 / np.sqrt(1e-3) / 1e-3)
    np.testing.assert_allclose(w, -lr * g / (np.abs(g) + 1e-7 / np.sqrt(1 - 0.999)), rtol=1e-12)


def test_adam_counts_steps_from_one_and_after_all_variables():
    g = np.array([0.3, -1.0])
    together = [np.zeros(2), np.zeros(2)]
    alone = np.zeros(2)
    shared, single = Adam(0.01), Adam(0.01)
    for _ in range(5):
        shared.apply([g, g], together)
        single.apply([g], [alone])
    assert shared.iterations == single.iterations == 5
    np.testing.assert_array_equal(together[0], alone)
    np.testing.assert_array_equal(together[1], alone)


def test_adam_follows_the_epsilon_hat_formula():
    lr, b1, b2, eps = 0.05, 0.8, 0.95, 1e-3
    optimizer = Adam(lr, beta_1=b1, beta_2=b2, epsilon=eps)
    w, m, v = np.array([2.0]), 0.0, 0.0
    expected = 2.0
    for t in range(1, 6):
        g = 2 * w.copy()
        optimizer.apply([g], [w])
        m, v = m + (g[0] - m) * (1 - b1), v + (g[0] ** 2 - v) * (1 - b2)
        alpha = lr * np.sqrt(1 - b2**t) / (1 - b1**t)
        expected -= alpha * m / (np.sqrt(v) + eps)
        assert w[0] == pytest.approx(expected, rel=1e-14)


def test_adam_on_the_seed_parabola_matches_keras_printed_values():
    path = run(Adam(learning_rate=0.1, dtype="float32"), [-1.0], lambda w: 2 * w, 3)[:, 0]
    # Real Keras prints -0.9000008, -0.8004141, -0.7015886 (seven decimals).
    np.testing.assert_allclose(path, [-1.0, -0.9000008, -0.8004141, -0.7015886], rtol=0, atol=5e-8)


@settings(max_examples=30, deadline=None)
@given(g=gradients, lr=rates, amsgrad=st.booleans())
def test_adam_step_is_minus_effective_learning_rate_times_m(g, lr, amsgrad):
    adam = Adam(lr, amsgrad=amsgrad)
    w = np.zeros_like(g)
    state = adam.init_state(w)
    for t in range(4):
        new_w, state = adam.update(w, g * (t - 1.5), state, lr)
        rate = adam.effective_learning_rate(state)
        np.testing.assert_allclose(new_w - w, -rate * state.m, rtol=1e-12, atol=1e-300)
        w = new_w


def test_amsgrad_divides_by_the_running_maximum_of_v():
    optimizer = Adam(0.1, amsgrad=True)
    w = np.zeros(1)
    state = optimizer.init_state(w)
    w, state = optimizer.update(w, [10.0], state, 0.1)
    _, state = optimizer.update(w, [0.0], state, 0.1)
    assert state.v_hat[0] == pytest.approx(0.1)
    assert state.v[0] < state.v_hat[0]


@pytest.mark.parametrize(
    "optimizer",
    [SGD(0.1, momentum=0.9, nesterov=True), RMSprop(0.1, momentum=0.5, centered=True), Adam(0.1)],
)
def test_update_is_pure_and_equals_apply(optimizer):
    w = np.array([1.0, -2.0])
    state = optimizer.init_state(w)
    before = [part.copy() for part in state if part is not None]
    new_w, new_state = optimizer.update(w, 2 * w, state, 0.1)
    np.testing.assert_array_equal(w, [1.0, -2.0])
    for part, copy in zip([p for p in state if p is not None], before, strict=True):
        np.testing.assert_array_equal(part, copy)
    applied = w.copy()
    optimizer.apply([2 * applied], [applied])
    np.testing.assert_array_equal(new_w, applied)
    np.testing.assert_array_equal(
        optimizer.update(new_w, 2 * new_w, new_state, 0.1)[0],
        (optimizer.apply([2 * applied], [applied]), applied)[1],
    )
    assert SGD().init_state(np.zeros(1)) == SGDState(None, np.array(0))


def as_dtype(state, dtype):
    return state._replace(
        **{
            k: None if p is None else p.astype(dtype)
            for k, p in state._asdict().items()
            if k != "iterations"
        }
    )


@settings(max_examples=60, deadline=None)
@given(
    kind=st.sampled_from([SGD, RMSprop, Adam]),
    g=gradients,
    lr=rates,
    iteration=st.integers(0, 200),
)
def test_float32_step_agrees_with_float64_to_float32_precision(kind, g, lr, iteration):
    """From the same float32 numbers, one float32 step is the float64 step up to roundings."""
    make = (lambda rate, **kw: kind(rate, momentum=0.9, **kw)) if kind is SGD else kind
    w = np.linspace(-1, 1, g.size).astype(np.float32)
    g32, lr32 = g.astype(np.float32), np.float32(lr)
    state = make(lr).init_state(w.astype(np.float64))
    for k in range(3):  # some history in the moments
        _, state = make(lr).update(w, g32 * (k - 1), state, lr)
    state32 = as_dtype(state, np.float32)._replace(iterations=np.array(iteration))
    single, _ = make(lr32, dtype="float32").update(w, g32, state32, lr32)
    double, _ = make(float(lr32)).update(w, g32, as_dtype(state32, np.float64), float(lr32))
    assert single.dtype == np.float32
    # A handful of float32 roundings of the step, plus the rounding of the new weight itself.
    # Adam's bias corrections: beta**t multiplies the float32 rounding of beta (as in Keras) by
    # t, and 1 - beta**t magnifies it by beta**t / (1 - beta**t).
    t = iteration + 1
    bias_corrections = t * (0.999**t / (1 - 0.999**t) + 0.9**t / (1 - 0.9**t))
    conditioning = 1 + bias_corrections if kind is Adam else 1
    rtol = 8 * 2.0**-24 * conditioning
    np.testing.assert_allclose(single - w, double - w, rtol=rtol, atol=2 * 2.0**-23)


@pytest.mark.parametrize("kind", [SGD, RMSprop, Adam])
def test_a_divergent_run_overflows_silently_to_inf_and_nan(kind):
    w = np.array([1.0, -1.0], dtype=np.float32)
    optimizer = kind(1e30, dtype="float32")
    for _ in range(6):
        with np.errstate(over="ignore", invalid="ignore"):  # the test's own gradient overflows
            g = 1e30 * w
        optimizer.apply([g], [w])  # a warning escaping lrsim would fail the test
    assert not np.isfinite(w).all()
    new_w, _ = optimizer.update(w, g, optimizer.init_state(w), 1e30)
    assert not np.isfinite(new_w).all()


def test_float32_learning_rate_is_stored_as_keras_stores_it():
    optimizer = Adam(0.1, dtype="float32")
    assert optimizer.learning_rate == float(np.float32(0.1)) == 0.10000000149011612
    optimizer.learning_rate = 0.1 * 0.2
    assert optimizer.learning_rate == 0.019999999552965164
    assert Adam(0.1).learning_rate == 0.1


@settings(max_examples=20, deadline=None)
@given(
    lrs=st.lists(rates, min_size=1, max_size=4),
    kind=st.sampled_from([SGD, RMSprop, Adam]),
    dtype=st.sampled_from(["float32", "float64"]),
)
def test_ensemble_equals_separate_optimizers(lrs, kind, dtype):
    starts = np.linspace(-2, 2, 3 * len(lrs)).reshape(len(lrs), 3)

    def gradient(w):
        return w * np.array([1.0, 3.0, 0.5], dtype=w.dtype)

    together = run(kind(np.array(lrs), dtype=dtype), starts, gradient, 10)
    for member, lr in enumerate(lrs):
        alone = run(kind(lr, dtype=dtype), starts[member], gradient, 10)
        np.testing.assert_array_equal(together[:, member], alone)


def test_ensemble_learning_rate_is_per_member_and_settable():
    optimizer = SGD(np.array([0.1, 0.2]))
    assert optimizer.ensemble_size == 2
    assert SGD(0.1).ensemble_size is None
    optimizer.learning_rate = 0.05
    np.testing.assert_array_equal(optimizer.learning_rate, [0.05, 0.05])
    optimizer.learning_rate = [0.3, 0.0]
    np.testing.assert_array_equal(optimizer.learning_rate, [0.3, 0.0])
    with pytest.raises(ValueError, match=r"learning_rate must have shape \(2,\)"):
        optimizer.learning_rate = [0.1, 0.2, 0.3]


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (lambda: SGD(0.0), ValueError, "learning_rate must be > 0"),
        (lambda: SGD(-1.0), ValueError, "learning_rate must be > 0"),
        (lambda: Adam(float("nan")), ValueError, "learning_rate must be finite"),
        (lambda: Adam(float("inf")), ValueError, "learning_rate must be finite"),
        (
            lambda: Adam(np.ones((2, 2))),
            ValueError,
            "learning_rate must be a number or a non-empty 1-D",
        ),
        (lambda: Adam([]), ValueError, "learning_rate must be a number or a non-empty 1-D"),
        (lambda: Adam([0.1, -0.1]), ValueError, "learning_rate must be > 0"),
        (lambda: Adam(True), TypeError, "learning_rate must be a real number"),
        (lambda: Adam("0.1"), TypeError, "learning_rate must be a real number"),
        (lambda: Adam(beta_1=1.0), ValueError, r"beta_1 must be finite and in \[0, 1\)"),
        (lambda: Adam(beta_2=-0.1), ValueError, r"beta_2 must be finite and in \[0, 1\)"),
        (lambda: Adam(epsilon=-1e-7), ValueError, r"epsilon must be finite and in \[0, inf\)"),
        (lambda: SGD(momentum=-0.1), ValueError, r"momentum must be finite and in \[0, 1\]"),
        (lambda: SGD(momentum=1.5), ValueError, r"momentum must be finite and in \[0, 1\]"),
        (lambda: RMSprop(rho=1.0), ValueError, r"rho must be finite and in \[0, 1\)"),
        (lambda: RMSprop(momentum=None), TypeError, "momentum must be a real number"),
        (lambda: Adam(dtype="float16"), ValueError, "dtype must be one of"),
    ],
)
def test_bad_hyperparameters_are_rejected_with_their_name_and_range(make, error, message):
    with pytest.raises(error, match=message):
        make()


def test_learning_rate_setter_rejects_negative_and_non_finite_values():
    optimizer = SGD(0.1)
    for value in (-0.1, float("nan")):
        with pytest.raises(ValueError, match="learning_rate must"):
            optimizer.learning_rate = value
    assert optimizer.learning_rate == 0.1


def test_apply_rejects_mismatched_or_unusable_variables():
    optimizer = Adam()
    with pytest.raises(ValueError, match="same length, got 1 gradients for 2 variables"):
        optimizer.apply([np.zeros(2)], [np.zeros(2), np.zeros(2)])
    with pytest.raises(TypeError, match=r"variables\[0\] must be a numpy array of dtype float64"):
        optimizer.apply([np.zeros(2)], [np.zeros(2, dtype=np.float32)])
    read_only = np.zeros(2)
    read_only.flags.writeable = False
    with pytest.raises(ValueError, match=r"variables\[0\] must be writable"):
        optimizer.apply([np.zeros(2)], [read_only])
    with pytest.raises(ValueError, match=r"grads\[0\] must have the shape \(2,\)"):
        optimizer.apply([np.zeros(3)], [np.zeros(2)])
    optimizer.apply([np.zeros(2)], [np.zeros(2)])
    with pytest.raises(ValueError, match="must keep the shapes"):
        optimizer.apply([np.zeros(3)], [np.zeros(3)])
    with pytest.raises(ValueError, match="leading axis of length 2"):
        Adam(np.array([0.1, 0.2])).apply([np.zeros((3, 1))], [np.zeros((3, 1))])


@pytest.mark.parametrize(
    ("variable", "gradient", "error", "message"),
    [
        ([1.0], np.ones(1), TypeError, "variable must be a numpy array of dtype float64"),
        (np.ones(1, dtype=np.float32), np.ones(1), TypeError, "variable must be a numpy array"),
        (np.ones(1), np.ones(1, dtype=np.float32), TypeError, "gradient must be a numpy array"),
        (np.ones(2), np.ones(1), ValueError, r"gradient must have the shape \(2,\)"),
    ],
)
def test_update_in_place_names_what_is_wrong(variable, gradient, error, message):
    optimizer = Adam()
    with pytest.raises(error, match=message):
        optimizer.update_in_place(variable, gradient, optimizer.init_state(np.ones(2)), 0.1)


def test_update_in_place_and_update_take_the_same_step():
    optimizer = Adam(0.1)
    w = np.array([1.0, -2.0])
    state = optimizer.init_state(w)
    expected, expected_state = optimizer.update(w, 2 * w, state, 0.1)
    optimizer.update_in_place(w, 2 * w, state, 0.1)
    np.testing.assert_array_equal(w, expected)
    np.testing.assert_array_equal(state.m, expected_state.m)
    assert state.iterations == expected_state.iterations == 1
