"""The dense classifier: initialisation, Keras weight layout, both backends' cross-entropy, backprop."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lrsim.network import (
    BACKENDS,
    Dense,
    Sequential,
    categorical_accuracy,
    categorical_crossentropy,
    glorot_uniform,
    softmax,
)

LAYERS = [Dense(5, "relu"), Dense(4, "softmax"), Dense(3, "linear"), Dense(3, "softmax")]


def batch(seed, samples=7, features=2, classes=3):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((samples, features)), np.eye(classes)[
        rng.integers(0, classes, samples)
    ]


def finite_difference_gradients(model, x, y, h=1e-6):
    weights = model.get_weights()
    gradients = []
    for index, array in enumerate(weights):
        gradient = np.zeros_like(array)
        for position in np.ndindex(array.shape):
            losses = []
            for shift in (h, -h):
                shifted = [w.copy() for w in weights]
                shifted[index][position] += shift
                model.set_weights(shifted)
                losses.append(model.evaluate(x, y)["loss"])
            gradient[position] = (losses[0] - losses[1]) / (2 * h)
        gradients.append(gradient)
    model.set_weights(weights)
    return gradients


@pytest.mark.parametrize("backend", ["tensorflow", "jax"])
@settings(max_examples=8, deadline=None)
@given(model_seed=st.integers(0, 2**16), data_seed=st.integers(0, 2**16))
def test_backprop_matches_finite_differences(backend, model_seed, data_seed):
    model = Sequential(LAYERS, input_dim=2, seed=model_seed, backend=backend)
    x, y = batch(data_seed)
    _, gradients = model.loss_and_gradients(x, y)
    for analytic, numeric in zip(gradients, finite_difference_gradients(model, x, y), strict=True):
        np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-8)


def test_clipped_samples_contribute_no_gradient_on_the_jax_backend():
    model = Sequential([Dense(2, "softmax")], input_dim=1, seed=0, backend="jax")
    model.set_weights([np.array([[100.0, -100.0]]), np.zeros(2)])
    x = np.array([[1.0], [1.0]])
    y = np.array([[0.0, 1.0], [1.0, 0.0]])  # the first is hopelessly wrong, the second certain
    loss, gradients = model.loss_and_gradients(x, y)
    assert loss == pytest.approx((-np.log(1e-7) - np.log(1 - 1e-7)) / 2)
    for gradient in gradients:
        np.testing.assert_array_equal(gradient, 0.0)


def saturated_model(backend, dtype="float64"):
    """One softmax layer whose logit for the wrong class leads the true one's by 50."""
    model = Sequential([Dense(3, "softmax")], input_dim=2, backend=backend, dtype=dtype)
    model.set_weights([np.array([[50.0, 0.0, 0.0], [0.0, 0.5, -0.5]]), np.zeros(3)])
    return model


SATURATED_X = np.array([[1.0, 0.0], [0.0, 1.0]])
SATURATED_Y = np.eye(3)[[1, 2]]  # sample 0: logits (50, 0, 0), true class 1


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_tensorflow_backend_computes_the_loss_from_logits_unclipped(dtype):
    """Closed form: sample 0, logits (50, 0, 0) with true class 1, costs
    log(e^50 + 2) = 50 + log(1 + 2e^-50), which is 50 in either precision; sample 1 costs
    log(1 + e^0.5 + e^-0.5) + 0.5. The gradient by the logits is softmax - y: for the wrong
    sample its true-class entry is -1 (it never vanishes, unlike the clipped backends')."""
    eps = float(np.finfo(dtype).eps)
    model = saturated_model("tensorflow", dtype)
    loss, gradients = model.loss_and_gradients(SATURATED_X[:1], SATURATED_Y[:1])
    assert loss == pytest.approx(50.0, rel=eps)
    probabilities = softmax(np.array([50.0, 0.0, 0.0]))
    # d loss / d bias = p - y, and the kernel's first row gets x_0 = 1 times the same.
    np.testing.assert_allclose(gradients[1], probabilities - [0, 1, 0], rtol=1e-6, atol=1e-30)
    assert gradients[1][1] == pytest.approx(-1.0)
    both = model.evaluate(SATURATED_X, SATURATED_Y)["loss"]
    second = np.log(1 + np.exp(0.5) + np.exp(-0.5)) + 0.5
    assert both == pytest.approx((50.0 + second) / 2, rel=10 * eps)


def test_jax_backend_clips_the_same_sample_at_the_ceiling():
    model = saturated_model("jax")
    loss, gradients = model.loss_and_gradients(SATURATED_X[:1], SATURATED_Y[:1])
    assert loss == pytest.approx(-np.log(1e-7))
    for gradient in gradients:
        np.testing.assert_array_equal(gradient, 0.0)


def test_backends_agree_wherever_no_probability_is_clipped():
    x, y = batch(5)
    losses = {}
    for backend in BACKENDS:
        model = Sequential(LAYERS, input_dim=2, seed=1, backend=backend)
        losses[backend] = model.loss_and_gradients(x, y)
    for backend in BACKENDS[1:]:
        assert losses[backend][0] == pytest.approx(losses["tensorflow"][0], rel=1e-14)
        for ours, theirs in zip(losses[backend][1], losses["tensorflow"][1], strict=True):
            np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize(
    ("backend", "error"), [("tf", ValueError), ("TensorFlow", ValueError), (None, TypeError)]
)
def test_unknown_backend_is_refused_with_the_accepted_names(backend, error):
    with pytest.raises(error, match=r"backend must be one of \('tensorflow', 'jax'"):
        Sequential([Dense(2, "softmax")], input_dim=1, backend=backend)


def test_cross_entropy_from_logits_is_log_softmax_unclipped():
    logits = np.array([[50.0, 0.0, 0.0], [1000.0, 999.0, -1000.0]])
    targets = np.eye(3)[[1, 0]]
    losses = categorical_crossentropy(targets, logits, from_logits=True)
    np.testing.assert_allclose(losses, [50.0 + np.log1p(2 * np.exp(-50.0)), np.log1p(np.exp(-1))])
    with pytest.raises(TypeError, match="from_logits must be True or False"):
        categorical_crossentropy(targets, logits, from_logits="yes")


def test_cross_entropy_renormalises_clips_and_is_bounded():
    losses = categorical_crossentropy([[1, 0, 0], [0, 1, 0]], [[2.0, 1.0, 1.0], [1.0, 0.0, 0.0]])
    np.testing.assert_allclose(losses, [np.log(2.0), -np.log(1e-7)])
    assert losses.max() <= 16.1181
    assert (
        categorical_crossentropy([[0, 1]], np.array([[0.5, 0.5]], np.float32)).dtype == np.float32
    )


def test_accuracy_compares_argmax():
    np.testing.assert_array_equal(
        categorical_accuracy([[1, 0], [0, 1], [0, 1]], [[0.9, 0.1], [0.6, 0.4], [0.2, 0.8]]),
        [1.0, 0.0, 1.0],
    )


def test_softmax_is_stable_for_huge_logits():
    np.testing.assert_allclose(softmax([[1e308, 0.0], [-1e308, 0.0]]), [[1.0, 0.0], [0.0, 1.0]])
    assert softmax([1, 2, 3]).sum() == pytest.approx(1.0)


def test_glorot_uniform_draws_within_the_limit_with_the_right_spread():
    kernel = glorot_uniform(200, 100, np.random.default_rng(0))
    limit = np.sqrt(6 / 300)
    assert kernel.shape == (200, 100)
    assert np.abs(kernel).max() <= limit
    assert kernel.var() == pytest.approx(limit**2 / 3, rel=0.02)


def test_weights_start_as_glorot_kernels_and_zero_biases_in_keras_layout():
    model = Sequential([Dense(32, "relu"), Dense(3, "softmax")], input_dim=2, seed=7)
    kernel0, bias0, kernel1, bias1 = model.get_weights()
    assert kernel0.shape == (2, 32)
    assert kernel1.shape == (32, 3)
    np.testing.assert_array_equal(bias0, 0.0)
    np.testing.assert_array_equal(bias1, 0.0)
    rng = np.random.default_rng(7)
    np.testing.assert_array_equal(kernel0, glorot_uniform(2, 32, rng))
    np.testing.assert_array_equal(kernel1, glorot_uniform(32, 3, rng))
    assert model.count_params() == 2 * 32 + 32 + 32 * 3 + 3


def test_same_seed_gives_same_weights_and_float32_casts_them():
    a = Sequential(LAYERS, input_dim=2, seed=3)
    b = Sequential(LAYERS, input_dim=2, seed=3, dtype="float32")
    for wa, wb in zip(a.get_weights(), b.get_weights(), strict=True):
        assert wb.dtype == np.float32
        np.testing.assert_array_equal(wa.astype(np.float32), wb)


def test_ensemble_members_equal_single_models_with_their_seeds():
    seeds = [4, 0, 4]
    ensemble = Sequential(LAYERS, input_dim=2, seed=seeds)
    x, y = batch(1)
    losses, gradients = ensemble.loss_and_gradients(x, y)
    probabilities = ensemble.predict(x)
    assert probabilities.shape == (3, 7, 3)
    for member, seed in enumerate(seeds):
        single = Sequential(LAYERS, input_dim=2, seed=seed)
        for together, alone in zip(ensemble.get_weights(), single.get_weights(), strict=True):
            np.testing.assert_array_equal(together[member], alone)
        loss, single_gradients = single.loss_and_gradients(x, y)
        assert losses[member] == loss
        for together, alone in zip(gradients, single_gradients, strict=True):
            np.testing.assert_array_equal(together[member], alone)
        np.testing.assert_array_equal(probabilities[member], single.predict(x))


def test_set_weights_round_trips_and_accepts_non_finite_values():
    model = Sequential(LAYERS, input_dim=2, seed=0)
    weights = [np.full_like(w, np.nan if i == 0 else i) for i, w in enumerate(model.get_weights())]
    model.set_weights(weights)
    for got, expected in zip(model.get_weights(), weights, strict=True):
        np.testing.assert_array_equal(got, expected)


def test_evaluate_reports_mean_loss_and_accuracy():
    model = Sequential([Dense(2, "softmax")], input_dim=1, seed=0)
    model.set_weights([np.array([[1.0, -1.0]]), np.zeros(2)])
    x, y = np.array([[1.0], [-1.0], [2.0]]), np.array([[1, 0], [1, 0], [1, 0]])
    result = model.evaluate(x, y)
    probabilities = softmax(np.array([[1.0, -1.0], [-1.0, 1.0], [2.0, -2.0]]))
    assert result["loss"] == pytest.approx(-np.log(probabilities[:, 0]).mean(), rel=1e-14)
    assert result["accuracy"] == pytest.approx(2 / 3)


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (lambda: Dense(0), ValueError, "units must be an integer >= 1"),
        (lambda: Dense(2.5), TypeError, "units must be an integer >= 1"),
        (lambda: Dense(3, "tanh"), ValueError, "activation must be one of"),
        (lambda: Sequential([], input_dim=2), TypeError, "layers must be a non-empty sequence"),
        (lambda: Sequential([Dense(3)], input_dim=2), ValueError, "activation='softmax'"),
        (lambda: Sequential([Dense(3, "softmax")], input_dim=0), ValueError, "input_dim must be"),
        (
            lambda: Sequential([Dense(3, "softmax")], input_dim=2, seed=-1),
            ValueError,
            "seed must be",
        ),
        (
            lambda: Sequential([Dense(3, "softmax")], input_dim=2, seed="a"),
            TypeError,
            "seed must be",
        ),
        (
            lambda: Sequential([Dense(3, "softmax")], input_dim=2, seed=[]),
            ValueError,
            "seed must not",
        ),
        (lambda: Sequential([Dense(3, "softmax")], input_dim=2, dtype=int), ValueError, "dtype"),
    ],
)
def test_bad_model_arguments_are_rejected(make, error, message):
    with pytest.raises(error, match=message):
        make()


def test_bad_weights_and_data_are_rejected_naming_the_argument():
    model = Sequential([Dense(2, "relu"), Dense(3, "softmax")], input_dim=2, seed=0)
    weights = model.get_weights()
    with pytest.raises(ValueError, match="weights must hold 4 arrays"):
        model.set_weights(weights[:3])
    with pytest.raises(ValueError, match=r"weights\[2\] must have shape \(2, 3\), got \(3, 2\)"):
        model.set_weights([weights[0], weights[1], weights[2].T, weights[3]])
    with pytest.raises(TypeError, match=r"weights\[0\] must hold real numbers"):
        model.set_weights([np.array([["a", "b"]] * 2), *weights[1:]])
    with pytest.raises(TypeError, match="weights must be a list of arrays"):
        model.set_weights(np.zeros(4))
    x, y = batch(0)
    with pytest.raises(ValueError, match=r"x must have shape \(samples >= 1, 2\), got \(7, 3\)"):
        model.predict(np.zeros((7, 3)))
    with pytest.raises(ValueError, match=r"y must have shape \(7, 3\)"):
        model.evaluate(x, y[:, :2])
    with pytest.raises(ValueError, match="y must be one-hot"):
        model.loss_and_gradients(x, y * 0.5)
    with pytest.raises(TypeError, match="x must hold real numbers"):
        model.predict([["a", "b"]])


@pytest.mark.parametrize("backend", ["tensorflow", "jax"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("seed", [0, [0, 1, 2]])
def test_the_training_step_in_reused_arrays_computes_the_general_code_bit_for_bit(
    backend, dtype, seed, monkeypatch
):
    # fit's step (Sequential.gradient_pass) rewrites batch_gradients' general code into reused arrays;
    # the same operations in the same order must give the same bits, clipped samples and dead
    # ReLUs included.
    layers = [Dense(6, "relu"), Dense(5, "linear"), Dense(4, "relu"), Dense(3, "softmax")]
    model = Sequential(layers, input_dim=2, seed=seed, dtype=dtype, backend=backend)
    model.params[...] *= 6
    x, y = batch(1, samples=40)
    inputs, targets = model.input_rows(x)[None], y.T[None].astype(dtype)
    with np.errstate(all="ignore"):
        assert model.gradient_pass(40) is not None
        fast = [*model.batch_gradients(inputs, targets), model.grads.copy()]
        monkeypatch.setattr(Sequential, "gradient_pass", lambda self, batch_size: None)
        general = [*model.batch_gradients(inputs, targets), model.grads.copy()]
        losses, _ = model.batch_losses(inputs, targets)
    if backend == "jax":  # the clip is active for some sample, so its branch is covered
        assert np.any(np.isclose(losses, -np.log(np.float32(1e-7)), rtol=1e-6))
    for ours, theirs in zip(fast, general, strict=True):
        assert (ours.dtype, ours.shape) == (theirs.dtype, theirs.shape)
        assert ours.tobytes() == theirs.tobytes()


@pytest.mark.parametrize(
    ("batch_size", "error"),
    [(0, ValueError), (2.5, TypeError), (True, TypeError), ([4], TypeError)],
)
def test_gradient_pass_refuses_a_bad_batch_size_naming_it(batch_size, error):
    model = Sequential([Dense(4, "relu"), Dense(3, "softmax")], input_dim=2, seed=0)
    with pytest.raises(error, match=r"batch_size must be an integer >= 1"):
        model.gradient_pass(batch_size)


def test_gradient_pass_is_made_once_per_batch_size_and_writes_into_the_models_grads(monkeypatch):
    # fit counts on both: it fetches the passes before its loop and steps the optimizer from grads.
    model = Sequential([Dense(4, "relu"), Dense(3, "softmax")], input_dim=2, seed=0)
    step = model.gradient_pass(7)
    assert step is model.gradient_pass(7)
    assert step is not model.gradient_pass(6)
    x, y = batch(2)
    inputs, targets = model.input_rows(x)[None], y.T[None].astype(model.params.dtype)
    with monkeypatch.context() as patch:  # the general code of batch_gradients
        patch.setattr(Sequential, "gradient_pass", lambda self, batch_size: None)
        expected_loss, _ = model.batch_gradients(inputs, targets)
    expected = model.grads.copy()
    assert np.any(expected != 0)
    model.grads.fill(0.0)
    step.run(inputs, targets)
    assert step.loss.tobytes() == expected_loss.tobytes()
    assert model.grads.tobytes() == expected.tobytes()
