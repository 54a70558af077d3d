"""The run diagnostics and history summaries the case-study page reads its verdicts from."""

from __future__ import annotations

import numpy as np
import pytest

from lrsim.diagnostics import LOSS_CEILING, dead_layer, dead_relu_fraction, saturated_fraction
from lrsim.network import Dense, Sequential
from lrsim.summaries import (
    epochs_to_reach,
    keras_plateau_schedule,
    learning_rate_cuts,
    torch_plateau_schedule,
)


def test_keras_cuts_on_the_patience_th_bad_epoch_and_torch_one_later() -> None:
    flat = [1.0] * 12
    keras = keras_plateau_schedule(flat, 0.1, factor=0.1, patience=5)
    torch = torch_plateau_schedule(flat, 0.1, factor=0.1, patience=5)
    assert learning_rate_cuts(keras)[0].tolist() == [5, 10]
    assert learning_rate_cuts(torch)[0].tolist() == [6]


def test_creeping_below_min_delta_is_a_plateau_for_keras_but_progress_for_torch() -> None:
    creeping = 0.04 - 1e-5 * np.arange(12)
    assert learning_rate_cuts(keras_plateau_schedule(creeping, 1e-3, patience=5))[0].size > 0
    assert learning_rate_cuts(torch_plateau_schedule(creeping, 1e-3, patience=5))[0].size == 0


def test_keras_cooldown_1_equals_cooldown_0_but_torch_cooldown_1_delays() -> None:
    flat = [1.0] * 20
    keras_0 = keras_plateau_schedule(flat, 0.1, patience=2, cooldown=0)
    keras_1 = keras_plateau_schedule(flat, 0.1, patience=2, cooldown=1)
    assert np.array_equal(keras_0, keras_1)
    torch_0 = torch_plateau_schedule(flat, 0.1, patience=2, cooldown=0)
    torch_1 = torch_plateau_schedule(flat, 0.1, patience=2, cooldown=1)
    assert not np.array_equal(torch_0, torch_1)


def test_keras_schedule_stores_the_rate_in_float32() -> None:
    rates = keras_plateau_schedule([1.0, 1.0, 1.0], 0.1, patience=1, factor=0.5)
    assert rates[0] == float(np.float32(0.1))


def test_dead_relu_fraction_counts_units_silent_on_every_sample() -> None:
    model = Sequential([Dense(2, "relu"), Dense(2, "softmax")], input_dim=1, seed=[0, 1])
    weights = model.get_weights()
    weights[0][:] = [[[1.0, 1.0]], [[1.0, -1.0]]]
    weights[1][:] = [[0.0, 0.0], [0.0, -10.0]]
    model.set_weights(weights)
    np.testing.assert_array_equal(dead_relu_fraction(model, [[0.5], [1.0]]), [0.0, 0.5])


@pytest.mark.parametrize(
    ("backend", "loss"),
    [("jax", LOSS_CEILING / 2), ("torch", LOSS_CEILING / 2), ("tensorflow", 50.0)],
)
def test_saturated_samples_cost_the_ceiling_when_clipped_and_the_margin_on_tensorflow(
    backend: str, loss: float
) -> None:
    model = Sequential([Dense(2, "softmax")], input_dim=1, seed=0, backend=backend)
    model.set_weights([np.array([[50.0, -50.0]]), np.zeros(2)])
    x, y = [[1.0], [1.0]], np.eye(2)[[1, 0]]
    assert saturated_fraction(model, x, y) == 0.5
    assert model.evaluate(x, y)["loss"] == pytest.approx(loss, rel=1e-6)


def test_dead_layer_marks_members_whose_output_no_longer_depends_on_the_input() -> None:
    layers = [Dense(3, "relu"), Dense(2, "relu"), Dense(2, "softmax")]
    model = Sequential(layers, input_dim=1, seed=[0, 1, 2])
    weights = model.get_weights()
    weights[1][1] = -10.0  # member 1: every unit of the first layer negative on [-1, 1]
    weights[0][1] = 0.0
    weights[3][2] = -10.0  # member 2: every unit of the second layer
    weights[2][2] = 0.0
    model.set_weights(weights)
    x = np.linspace(-1, 1, 5)[:, None]
    np.testing.assert_array_equal(dead_layer(model, x), [False, True, True])
    probabilities = model.predict(x)
    assert np.ptp(probabilities[1], axis=0).max() == 0 == np.ptp(probabilities[2], axis=0).max()
    assert np.ptp(probabilities[0], axis=0).max() > 0


def test_epochs_to_reach_ignores_nan_and_reports_never_as_minus_one() -> None:
    values = np.array([[np.nan, 0.2], [0.9, 0.3]])
    assert epochs_to_reach(values, 0.5).tolist() == [2, -1]
    assert epochs_to_reach([1.0, 0.4, 0.2], 0.5, mode="min") == 2


def test_torch_reference_rejects_unknown_threshold_mode() -> None:
    with pytest.raises(ValueError, match="threshold_mode"):
        torch_plateau_schedule([1.0], threshold_mode="relative")  # type: ignore[arg-type]


def test_scaled_weight_losses_find_where_the_loss_stops_being_a_number():
    from lrsim.diagnostics import scaled_weight_losses
    from lrsim.experiments import CASE_STUDY

    data = CASE_STUDY.data()
    model = CASE_STUDY.model(seed=0, dtype="float32", backend="tensorflow")
    before = model.get_weights()
    losses, finite = scaled_weight_losses(
        model, data.x_train, data.y_train, 10.0 ** np.arange(0, 21, 4)
    )
    assert losses[0] == pytest.approx(
        float(model.loss_and_gradients(data.x_train, data.y_train)[0])
    )
    assert losses[1] > losses[0]  # from the logits, the loss grows with the weights
    assert np.isnan(losses[-1])
    assert finite[0]
    assert not finite[-1]
    for weight, kept in zip(model.get_weights(), before, strict=True):
        np.testing.assert_array_equal(weight, kept)  # the model is as it was
    with pytest.raises(ValueError, match="scales"):
        scaled_weight_losses(model, data.x_train, data.y_train, [1.0, 0.0])
