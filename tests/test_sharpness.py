"""Sharpness by Lanczos on finite-difference Hessian-vector products, checked against exact ones."""

from __future__ import annotations

import numpy as np
import pytest

from lrsim.datasets import spirals
from lrsim.network import Dense, Sequential
from lrsim.quadratic import eigenvalues, least_squares
from lrsim.sharpness import (
    dense_hessian,
    full_batch_descent,
    hessian_vector_product,
    model_gradient,
    sharpness,
    top_eigenvalue,
)


@pytest.fixture(scope="module")
def data():
    return spirals(n_samples=50, seed=1)


def tiny_relu_network(seed=0):
    return Sequential([Dense(4, "relu"), Dense(3, "softmax")], input_dim=2, seed=seed)


def test_lanczos_sharpness_matches_the_dense_hessian_of_a_tiny_relu_network(data):
    model = tiny_relu_network()
    w, gradient = model_gradient(model, data.x_train, data.y_train)
    assert w.size == model.count_params() == 27
    dense = dense_hessian(gradient, w)
    exact_top = np.linalg.eigvalsh(dense)[-1]
    assert exact_top > 0
    assert sharpness(gradient, w, iterations=w.size) == pytest.approx(exact_top, rel=1e-7)
    # A dozen products already give the top eigenvalue to many digits.
    assert sharpness(gradient, w, iterations=12, seed=3) == pytest.approx(exact_top, rel=1e-4)


def softmax_regression_hessian(model, x, y):
    """The exact Hessian of one softmax layer's mean cross-entropy, in float64:
    mean_i kron(x̃ x̃ᵀ, diag(p) − p pᵀ) with x̃ = (x, 1), in Keras's weight order."""
    kernel, bias = (np.asarray(w, dtype=np.float64) for w in model.get_weights())
    logits = x @ kernel + bias
    probabilities = np.exp(logits - logits.max(axis=1, keepdims=True))
    probabilities /= probabilities.sum(axis=1, keepdims=True)
    augmented = np.hstack([x, np.ones((x.shape[0], 1))])
    return np.mean(
        [np.kron(np.outer(a, a), np.diag(p) - np.outer(p, p))
         for a, p in zip(augmented, probabilities, strict=True)],
        axis=0,
    )  # fmt: skip


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_sharpness_of_softmax_regression_is_the_exact_top_eigenvalue_in_both_dtypes(data, dtype):
    model = Sequential([Dense(3, "softmax")], input_dim=2, seed=0, dtype=dtype)
    exact = np.linalg.eigvalsh(softmax_regression_hessian(model, data.x_train, data.y_train))
    w, gradient = model_gradient(model, data.x_train, data.y_train)
    # A float32 gradient under a 1e-7 step was off by percents; float64 is good to 1e-7.
    assert sharpness(gradient, w, iterations=w.size) == pytest.approx(exact[-1], rel=1e-6)
    assert model.get_weights()[0].dtype == dtype  # the model itself is left in its dtype


def test_sharpness_of_a_float32_relu_network_is_that_of_its_weights_in_float64():
    """2-16-3 on spirals(120, seed=0): float32 arithmetic under the 1e-7 step gave 0.628, the
    dense float64 Hessian of the same weights 0.604."""
    data = spirals(n_samples=120, seed=0)
    layers = [Dense(16, "relu"), Dense(3, "softmax")]
    single = Sequential(layers, input_dim=2, seed=0, dtype="float32")
    reference = Sequential(layers, input_dim=2, seed=0)
    reference.set_weights(single.get_weights())
    w64, gradient64 = model_gradient(reference, data.x_train, data.y_train)
    exact_top = np.linalg.eigvalsh(dense_hessian(gradient64, w64))[-1]
    assert exact_top == pytest.approx(0.604, abs=1e-3)
    w, gradient = model_gradient(single, data.x_train, data.y_train)
    assert sharpness(gradient, w, iterations=w.size) == pytest.approx(exact_top, rel=1e-6)
    # An ensemble of float32 members is measured member by member the same way.
    ensemble = Sequential(layers, input_dim=2, seed=[0, 0], dtype="float32")
    w2, gradient2 = model_gradient(ensemble, data.x_train, data.y_train)
    np.testing.assert_allclose(sharpness(gradient2, w2, iterations=w.size), exact_top, rtol=1e-6)


def test_finite_difference_hessian_equals_the_exact_softmax_regression_hessian(data):
    model = Sequential([Dense(3, "softmax")], input_dim=2, seed=0)
    w, gradient = model_gradient(model, data.x_train, data.y_train)
    model.set_weights([w[:6].reshape(2, 3), w[6:]])
    exact = softmax_regression_hessian(model, data.x_train, data.y_train)
    np.testing.assert_allclose(dense_hessian(gradient, w), exact, rtol=0, atol=1e-7)
    direction = np.random.default_rng(0).standard_normal(w.size)
    np.testing.assert_allclose(
        hessian_vector_product(gradient, w, direction), exact @ direction, rtol=0, atol=1e-6
    )


def test_sharpness_of_a_least_squares_loss_is_its_largest_eigenvalue():
    problem = least_squares(200, n_features=5, seed=0)

    def gradient(w):
        return (2 / 200) * ((w @ problem.x.T - problem.y) @ problem.x)

    expected = eigenvalues(problem.hessian)[-1]
    assert sharpness(gradient, np.ones(5)) == pytest.approx(expected, rel=1e-8)


def test_lanczos_is_not_misled_by_a_larger_negative_eigenvalue():
    hessian = np.diag([-50.0, -1.0, 0.0, 2.0, 3.0])
    assert top_eigenvalue(lambda v: v @ hessian, 5, iterations=5) == pytest.approx(3.0)


def test_ensemble_sharpness_equals_each_member_measured_alone(data):
    ensemble = Sequential([Dense(4, "relu"), Dense(3, "softmax")], input_dim=2, seed=[0, 1])
    w, gradient = model_gradient(ensemble, data.x_train, data.y_train)
    together = sharpness(gradient, w, iterations=27)
    for member, seed in enumerate((0, 1)):
        alone_w, alone_gradient = model_gradient(
            tiny_relu_network(seed), data.x_train, data.y_train
        )
        np.testing.assert_array_equal(alone_w, w[member])
        assert together[member] == pytest.approx(sharpness(alone_gradient, alone_w, iterations=27),
                                                 rel=1e-6)  # fmt: skip


def test_full_batch_descent_trains_each_member_as_a_single_model_would(data):
    rates = [0.1, 0.5]
    ensemble = Sequential([Dense(4, "relu"), Dense(3, "softmax")], input_dim=2, seed=[0, 0])
    together = full_batch_descent(ensemble, data.x_train, data.y_train, learning_rate=rates,
                                  steps=30, sharpness_every=15, iterations=8)  # fmt: skip
    assert together.loss.shape == (2, 31)
    assert together.sharpness.shape == (2, 3)
    for member, eta in enumerate(rates):
        model = tiny_relu_network()
        alone = full_batch_descent(model, data.x_train, data.y_train, learning_rate=eta, steps=30,
                                   sharpness_every=15, iterations=8)  # fmt: skip
        np.testing.assert_allclose(together.loss[member], alone.loss, rtol=1e-12)
        np.testing.assert_allclose(together.sharpness[member], alone.sharpness, rtol=1e-5)
        for trained, expected in zip(ensemble.get_weights(), model.get_weights(), strict=True):
            np.testing.assert_allclose(trained[member], expected, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(together.threshold, [20.0, 4.0])


def test_full_batch_descent_past_overflow_reports_it_as_data(data):
    """One step of η = 1e200 sends the weights past float64; the run goes on silently (a
    warning would fail the test), its loss and sharpness NaN from then on."""
    model = Sequential([Dense(8, "relu"), Dense(3, "softmax")], input_dim=2, seed=0)
    history = full_batch_descent(model, data.x_train, data.y_train, learning_rate=1e200,
                                 steps=6, sharpness_every=2)  # fmt: skip
    assert history.overflow_step == 1
    assert np.isfinite(history.loss[0])
    assert np.isnan(history.loss[1:]).all()
    assert np.isfinite(history.sharpness[0])
    assert np.isnan(history.sharpness[1:]).all()
    assert not np.isfinite(model.params).all()  # the model ends with the trained weights


X1, Y1 = [[1.0]], [[1, 0]]


def tiny_model():
    return Sequential([Dense(2, "softmax")], input_dim=1, seed=0)


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: full_batch_descent(tiny_model(), X1, Y1, learning_rate=0.0, steps=1),
         ValueError, "learning_rate must be > 0"),
        (lambda: full_batch_descent(tiny_model(), X1, Y1, learning_rate=[0.1, 0.2], steps=1),
         ValueError, r"learning_rate must be a number or have shape \(\)"),
        (lambda: full_batch_descent(tiny_model(), X1, Y1, learning_rate=0.1, steps=1,
                                    sharpness_every=0),
         ValueError, "sharpness_every must be an integer >= 1"),
        (lambda: hessian_vector_product(lambda w: w, [1.0, 2.0], [1.0]),
         ValueError, "v must have the shape of w"),
        (lambda: hessian_vector_product(lambda w: w, [1.0], [1.0], step=0.0),
         ValueError, "step must be a finite number > 0"),
        (lambda: dense_hessian(lambda w: w, np.ones((2, 2))),
         ValueError, r"w must have shape \(n,\)"),
        (lambda: sharpness(lambda w: w, [np.nan]), ValueError, "w must be finite"),
        (lambda: top_eigenvalue(lambda v: v, 0), ValueError, "size must be an integer >= 1"),
    ],
)  # fmt: skip
def test_bad_input_names_the_argument(call, error, message):
    with pytest.raises(error, match=message):
        call()
