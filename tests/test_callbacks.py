"""Callbacks driven by scripted monitor sequences: Keras 3 semantics, quirks, ensembles, bad input."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lrsim.callbacks import (
    Callback,
    EarlyStopping,
    LearningRateScheduler,
    ReduceLROnPlateau,
    TerminateOnNaN,
)
from lrsim.datasets import spirals
from lrsim.network import Dense, Sequential
from lrsim.optimizers import SGD, Adam
from lrsim.training import fit


class WeightsModel:
    """A stand-in model: one weight array whose value is the epoch number."""

    def __init__(self, learning_rate=0.1, members=None):
        self.optimizer = SGD(learning_rate)
        self.stop_training = False
        self.weights = np.zeros(() if members is None else (members,))

    def get_weights(self):
        return [self.weights.copy()]

    def set_weights(self, weights):
        self.weights = np.array(weights[0])


def replay(callback, values, *, learning_rate=0.1, dtype="float64", monitor="val_loss"):
    """Feed ``values`` as epoch-end logs; return the logged learning rates and the model."""
    model = SimpleNamespace(optimizer=SGD(learning_rate, dtype=dtype), stop_training=False)
    callback.set_model(model)
    callback.on_train_begin()
    used = []
    for epoch, value in enumerate(values):
        logs = {monitor: value}
        callback.on_epoch_end(epoch, logs)
        used.append(logs["learning_rate"])
    return used, model


def test_plateau_follows_the_reference_worked_trace():
    values = [1.0, 0.9, 0.95, 0.93, 0.92, 0.91, 0.905, 0.95]
    used, _ = replay(ReduceLROnPlateau(factor=0.5, patience=2), values, dtype="float32")
    f = 0.10000000149011612
    assert used == [f, f, f, f, f / 2, f / 2, f / 4, f / 4]


def test_plateau_reduces_on_the_patience_th_epoch_without_improvement():
    used, _ = replay(ReduceLROnPlateau(factor=0.5, patience=3), [1.0] * 8)
    assert used == [0.1, 0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025]


def test_plateau_min_delta_is_absolute_and_improvement_strict():
    # Steps of 0.5e-4 never beat best - 1e-4 (best is not updated), so the count runs on.
    values = [1.0, 1.0 - 0.5e-4, 1.0 - 1.0e-4, 1.0 - 0.5e-4]
    used, _ = replay(ReduceLROnPlateau(factor=0.5, patience=3, min_delta=1e-4), values)
    assert used[-1] == 0.1
    used, model = replay(ReduceLROnPlateau(factor=0.5, patience=3, min_delta=1e-4), [*values, 1.0])
    assert model.optimizer.learning_rate == 0.05
    used, model = replay(ReduceLROnPlateau(factor=0.5, patience=1, min_delta=0.0), [1.0, 1.0])
    assert model.optimizer.learning_rate == 0.05  # equal is no improvement


def test_plateau_compares_in_float32_as_keras_backends_do():
    # In float64 1.0 - 1e-4 - 1e-12 + 1e-4 < 1.0, but both round to 1.0 in float32.
    callback = ReduceLROnPlateau(factor=0.5, patience=1)
    _, model = replay(callback, [1.0, 1.0 - 1e-4 - 1e-12])
    assert model.optimizer.learning_rate == 0.05
    assert float(callback.best) == 1.0


def test_plateau_cooldown_is_decremented_before_it_is_tested():
    flat = [1.0] * 9
    no_cooldown, _ = replay(ReduceLROnPlateau(factor=0.5, patience=1, cooldown=0), flat)
    one, _ = replay(ReduceLROnPlateau(factor=0.5, patience=1, cooldown=1), flat)
    # The first epoch always improves; from then on every epoch reduces.
    assert one == no_cooldown == [0.1] + [0.1 * 0.5**k for k in range(8)]
    three, _ = replay(ReduceLROnPlateau(factor=0.5, patience=1, cooldown=3), flat)
    # Reduction at epoch 1, then cooldown 3 pauses counting for 2 epochs: next at epoch 4.
    assert three[:6] == [0.1, 0.1, 0.05, 0.05, 0.05, 0.025]


def test_plateau_stops_at_min_lr_and_keeps_counting():
    callback = ReduceLROnPlateau(factor=0.1, patience=1, min_lr=0.005)
    used, _model = replay(callback, [1.0] * 5)
    assert used == [0.1, 0.1, 0.1 * 0.1, 0.005, 0.005]
    assert int(callback.wait) == 2


def test_plateau_does_not_reset_best_after_reducing():
    callback = ReduceLROnPlateau(factor=0.5, patience=1)
    _, model = replay(callback, [0.5, 0.6, 0.55, 0.52])
    assert float(callback.best) == 0.5
    assert model.optimizer.learning_rate == 0.1 * 0.5**3


def test_plateau_float32_reduction_rounds_the_stored_rate():
    _, model = replay(ReduceLROnPlateau(factor=0.2, patience=1), [1.0, 1.0], dtype="float32")
    assert model.optimizer.learning_rate == 0.019999999552965164


def test_plateau_maximises_accuracy_in_auto_mode():
    used, _ = replay(
        ReduceLROnPlateau(monitor="val_accuracy", factor=0.5, patience=1),
        [0.5, 0.6, 0.6],
        monitor="val_accuracy",
    )
    assert used == [0.1, 0.1, 0.1]
    used, _ = replay(
        ReduceLROnPlateau(monitor="val_accuracy", factor=0.5, patience=1, mode="min"),
        [0.5, 0.6, 0.6],
        monitor="val_accuracy",
    )
    assert used == [0.1, 0.1, 0.05]


def test_plateau_nan_first_value_is_a_best_nothing_beats():
    used, _ = replay(ReduceLROnPlateau(factor=0.5, patience=2), [float("nan"), 0.1, 0.01, 0.001])
    assert used == [0.1, 0.1, 0.1, 0.05]


def test_plateau_state_is_reset_by_on_train_begin():
    callback = ReduceLROnPlateau(factor=0.5, patience=2)
    replay(callback, [0.1, 0.2])
    used, _ = replay(callback, [1.0, 0.9])
    assert used == [0.1, 0.1]
    assert int(callback.wait) == 0


def test_missing_monitor_raises_naming_the_available_keys():
    callback = ReduceLROnPlateau()
    callback.set_model(SimpleNamespace(optimizer=SGD(0.1), stop_training=False))
    with pytest.raises(
        ValueError, match=r"'val_loss'.*available keys: \['learning_rate', 'loss'\]"
    ):
        callback.on_epoch_end(0, {"loss": 1.0})
    with pytest.raises(ValueError, match="monitors 'val_loss'"):
        EarlyStopping().on_epoch_end(0, {"loss": 1.0})


sequences = st.lists(
    st.floats(0, 2, allow_nan=False) | st.sampled_from([1.0, 1.0 - 1e-4, float("nan")]),
    min_size=1,
    max_size=25,
)


@settings(max_examples=40, deadline=None)
@given(
    values=st.lists(sequences, min_size=1, max_size=4),
    patience=st.integers(0, 3),
    cooldown=st.integers(0, 3),
    dtype=st.sampled_from(["float32", "float64"]),
)
def test_plateau_ensemble_equals_separate_runs(values, patience, cooldown, dtype):
    epochs = min(len(v) for v in values)
    table = np.array([v[:epochs] for v in values])  # (members, epochs)
    rates = np.linspace(0.01, 0.1, len(values))

    def make():
        return ReduceLROnPlateau(factor=0.3, patience=patience, cooldown=cooldown, min_lr=1e-3)

    model = SimpleNamespace(
        optimizer=Adam(rates, dtype=dtype), stop_training=np.zeros(len(values), bool)
    )
    together = make()
    together.set_model(model)
    together.on_train_begin()
    logged = []
    for epoch in range(epochs):
        logs = {"val_loss": table[:, epoch]}
        together.on_epoch_end(epoch, logs)
        logged.append(logs["learning_rate"])
    for member, rate in enumerate(rates):
        alone, single_model = replay(make(), list(table[member]), learning_rate=rate, dtype=dtype)
        assert [row[member] for row in logged] == alone
        assert model.optimizer.learning_rate[member] == single_model.optimizer.learning_rate


def test_early_stopping_stops_after_patience_epochs_without_improvement():
    stopper = EarlyStopping(monitor="loss", patience=3)
    _, model = replay_until_stop(stopper, [1.0] * 10, monitor="loss")
    assert model.epochs_run == 4  # Keras's docstring: "Only 4 epochs are run."
    assert int(stopper.stopped_epoch) == 3


def replay_until_stop(callback, values, monitor="val_loss", model=None):
    model = model or WeightsModel()
    callback.set_model(model)
    callback.on_train_begin()
    model.epochs_run = 0
    logs = {}
    for epoch, value in enumerate(values):
        model.weights = np.full_like(model.weights, epoch)
        logs = {monitor: value}
        callback.on_epoch_end(epoch, logs)
        model.epochs_run += 1
        if np.all(model.stop_training):
            break
    callback.on_train_end(logs)
    return logs, model


def test_early_stopping_with_patience_zero_never_stops_at_epoch_zero():
    _, model = replay_until_stop(EarlyStopping(patience=0), [1.0, 1.0, 1.0])
    assert model.epochs_run == 2


def test_early_stopping_ignores_epochs_before_start_from_epoch():
    _, model = replay_until_stop(EarlyStopping(patience=1, start_from_epoch=3), [1.0] * 10)
    assert model.epochs_run == 5


def test_early_stopping_baseline_must_be_beaten_to_reset_the_count():
    values = [0.9, 0.8, 0.85, 0.85]
    _, model = replay_until_stop(EarlyStopping(patience=3, baseline=0.5), values)
    assert model.epochs_run == 3
    _, model = replay_until_stop(EarlyStopping(patience=3), values)
    assert model.epochs_run == 4


def test_early_stopping_restores_best_weights_even_without_stopping():
    stopper = EarlyStopping(patience=10, restore_best_weights=True)
    _, model = replay_until_stop(stopper, [0.9, 0.5, 0.7, 0.8])
    assert model.epochs_run == 4
    assert model.weights == 1.0
    assert int(stopper.best_epoch) == 1


def test_early_stopping_acts_per_member():
    model = WeightsModel(members=2)
    model.stop_training = np.zeros(2, bool)
    stopper = EarlyStopping(patience=1, restore_best_weights=True)
    stopper.set_model(model)
    stopper.on_train_begin()
    for epoch, values in enumerate([[1.0, 1.0], [0.5, 1.0], [0.4, 0.9]]):
        model.weights = np.full(2, float(epoch))
        stopper.on_epoch_end(epoch, {"val_loss": np.array(values)})
        if epoch == 1:
            np.testing.assert_array_equal(model.stop_training, [False, True])
    stopper.on_train_end()
    np.testing.assert_array_equal(model.weights, [2.0, 2.0])
    np.testing.assert_array_equal(stopper.stopped_epoch, [0, 1])


def test_scheduler_sets_the_rate_at_epoch_begin_and_logs_it_at_epoch_end():
    model = SimpleNamespace(optimizer=SGD(0.1, dtype="float32"), stop_training=False)
    scheduler = LearningRateScheduler(lambda epoch, lr: 0.2 / (epoch + 1))
    scheduler.set_model(model)
    logged = []
    for epoch in range(3):
        scheduler.on_epoch_begin(epoch)
        logs = {}
        scheduler.on_epoch_end(epoch, logs)
        logged.append(logs["learning_rate"])
    assert logged == [float(np.float32(0.2 / k)) for k in (1, 2, 3)]


def test_scheduler_accepts_one_argument_schedules_and_works_per_member():
    model = SimpleNamespace(optimizer=SGD(np.array([0.1, 0.2])), stop_training=np.zeros(2, bool))
    scheduler = LearningRateScheduler(lambda epoch: 0.5**epoch)
    scheduler.set_model(model)
    scheduler.on_epoch_begin(2)
    np.testing.assert_array_equal(model.optimizer.learning_rate, [0.25, 0.25])
    halve = LearningRateScheduler(lambda epoch, lr: lr / 2)
    halve.set_model(model)
    halve.on_epoch_begin(0)
    np.testing.assert_array_equal(model.optimizer.learning_rate, [0.125, 0.125])


def test_scheduler_rejects_non_float_results():
    scheduler = LearningRateScheduler(lambda epoch: 1)
    scheduler.set_model(SimpleNamespace(optimizer=SGD(0.1), stop_training=False))
    with pytest.raises(TypeError, match="schedule must return a float, got 1 at epoch 0"):
        scheduler.on_epoch_begin(0)
    with pytest.raises(TypeError, match="schedule must be callable"):
        LearningRateScheduler(0.1)


def test_terminate_on_nan_stops_only_members_with_a_non_finite_loss():
    model = SimpleNamespace(stop_training=np.zeros(3, bool))
    terminate = TerminateOnNaN()
    terminate.set_model(model)
    terminate.on_train_batch_end(0, {"loss": np.array([1.0, np.inf, np.nan])})
    np.testing.assert_array_equal(model.stop_training, [False, True, True])
    single = SimpleNamespace(stop_training=False)
    terminate.set_model(single)
    terminate.on_train_batch_end(0, {"loss": 2.0})
    terminate.on_train_batch_end(1, {})
    assert single.stop_training is False


def test_fit_calls_every_hook_of_a_callback_in_kerass_order():
    """Keras's order: train begin; per epoch, epoch begin, then batch begin and end per batch,
    then epoch end with the epoch's logs; train end with the last epoch's logs."""
    calls = []

    class Recorder(Callback):
        def on_train_begin(self, logs=None):
            calls.append("train_begin")

        def on_epoch_begin(self, epoch, logs=None):
            calls.append(f"epoch_begin {epoch}")

        def on_train_batch_begin(self, batch, logs=None):
            calls.append(f"batch_begin {batch}")

        def on_train_batch_end(self, batch, logs=None):
            calls.append(f"batch_end {batch}")

        def on_epoch_end(self, epoch, logs=None):
            calls.append(f"epoch_end {epoch} {sorted(logs)}")

        def on_train_end(self, logs=None):
            calls.append(f"train_end {sorted(logs)}")

    data = spirals(n_samples=50, seed=0)  # 40 training samples: batches of 32 and 8
    model = Sequential([Dense(3, "softmax")], input_dim=2, seed=0)
    recorder = Recorder()
    fit(model, SGD(0.1), data.x_train, data.y_train, epochs=2, seed=0, callbacks=[recorder])
    assert recorder.model is model
    epoch = ["batch_begin 0", "batch_end 0", "batch_begin 1", "batch_end 1"]
    logged = "['accuracy', 'loss']"
    assert calls == [
        "train_begin",
        "epoch_begin 0", *epoch, f"epoch_end 0 {logged}",
        "epoch_begin 1", *epoch, f"epoch_end 1 {logged}",
        f"train_end {logged}",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (
            lambda: ReduceLROnPlateau(factor=1.0),
            ValueError,
            r"factor must be finite and in \(0, 1\)",
        ),
        (
            lambda: ReduceLROnPlateau(factor=0.0),
            ValueError,
            r"factor must be finite and in \(0, 1\)",
        ),
        (lambda: ReduceLROnPlateau(patience=-1), ValueError, "patience must be a non-negative"),
        (lambda: ReduceLROnPlateau(patience=1.5), TypeError, "patience must be a non-negative"),
        (lambda: ReduceLROnPlateau(cooldown=-1), ValueError, "cooldown must be a non-negative"),
        (lambda: ReduceLROnPlateau(min_lr=-1e-3), ValueError, r"min_lr must be finite and in \[0"),
        (
            lambda: ReduceLROnPlateau(min_delta=-1e-4),
            ValueError,
            r"min_delta must be finite and in \[0",
        ),
        (
            lambda: ReduceLROnPlateau(mode="up"),
            ValueError,
            r"mode must be one of \('auto', 'min', 'max'\)",
        ),
        (lambda: ReduceLROnPlateau(monitor="val_f1"), ValueError, "pass mode='min' or mode='max'"),
        (lambda: ReduceLROnPlateau(monitor=3), TypeError, "monitor must be a str"),
        (lambda: EarlyStopping(patience=-2), ValueError, "patience must be a non-negative"),
        (
            lambda: EarlyStopping(start_from_epoch=-1),
            ValueError,
            "start_from_epoch must be a non-negative",
        ),
        (lambda: EarlyStopping(baseline=float("nan")), ValueError, "baseline must be finite"),
    ],
)
def test_bad_callback_arguments_are_rejected_with_their_name_and_range(make, error, message):
    with pytest.raises(error, match=message):
        make()
