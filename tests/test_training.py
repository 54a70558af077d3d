"""fit(): Keras's loop semantics, callbacks, divergence records, ensembles and bad input."""

from __future__ import annotations

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
from lrsim.optimizers import SGD, Adam, RMSprop
from lrsim.training import Divergence, fit

DATA = spirals(n_samples=88, seed=1)  # 70 training samples: batches of 32, 32 and 6
LAYERS = [Dense(6, "relu"), Dense(3, "softmax")]


def small_model(seed=0, dtype="float64"):
    return Sequential(LAYERS, input_dim=2, seed=seed, dtype=dtype)


def reference_fit(model, optimizer, data, *, epochs, batch_size, shuffle, seed):
    """Keras's fit written out the slow, obvious way, batch by batch with the public API."""
    x, y = data.x_train, data.y_train
    rng = np.random.default_rng(seed)
    history = {"accuracy": [], "loss": [], "val_accuracy": [], "val_loss": []}
    for _ in range(epochs):
        order = rng.permutation(len(x)) if shuffle else np.arange(len(x))
        total = correct = seen = 0.0
        for start in range(0, len(x), batch_size):
            rows = order[start : start + batch_size]
            predicted = model.predict(x[rows]).argmax(axis=1)
            loss, gradients = model.loss_and_gradients(x[rows], y[rows])
            total += loss * len(rows)
            correct += np.sum(predicted == y[rows].argmax(axis=1))
            seen += len(rows)
            weights = model.get_weights()
            optimizer.apply(gradients, weights)
            model.set_weights(weights)
        validation = model.evaluate(data.x_val, data.y_val)
        history["accuracy"].append(correct / seen)
        history["loss"].append(total / seen)
        history["val_accuracy"].append(validation["accuracy"])
        history["val_loss"].append(validation["loss"])
    return history


@pytest.mark.parametrize("shuffle", [True, False])
def test_fit_equals_the_batch_by_batch_reference(shuffle):
    expected_model, model = small_model(), small_model()
    expected = reference_fit(
        expected_model, Adam(0.01), DATA, epochs=4, batch_size=32, shuffle=shuffle, seed=3
    )
    optimizer = Adam(0.01)
    history = fit(
        model, optimizer, DATA.x_train, DATA.y_train, epochs=4,
        validation_data=DATA.validation_data, shuffle=shuffle, seed=3,
    )  # fmt: skip
    assert history.history == expected
    assert history.params == {"epochs": 4, "steps": 3, "batch_size": 32, "samples": 70}
    assert optimizer.iterations == 4 * 3
    for got, want in zip(model.get_weights(), expected_model.get_weights(), strict=True):
        np.testing.assert_array_equal(got, want)


def test_shuffling_depends_on_the_seed_only():
    runs = [
        fit(small_model(), SGD(0.1), DATA.x_train, DATA.y_train, epochs=2, seed=seed).history
        for seed in (5, 5, 6)
    ]
    assert runs[0] == runs[1] != runs[2]


def test_learning_rate_is_logged_only_by_the_callbacks_that_log_it():
    plain = fit(small_model(), Adam(1e-3), DATA.x_train, DATA.y_train, epochs=1, seed=0)
    assert list(plain.history) == ["accuracy", "loss"]
    plateau = ReduceLROnPlateau(monitor="loss", factor=0.5, patience=0, min_delta=10.0)
    history = fit(
        small_model(), Adam(1e-3, dtype="float64"), DATA.x_train, DATA.y_train,
        epochs=3, validation_data=DATA.validation_data, seed=0, callbacks=[plateau],
    )  # fmt: skip
    assert list(history.history) == [
        "accuracy", "loss", "val_accuracy", "val_loss", "learning_rate",
    ]  # fmt: skip
    # The rate used during each epoch, before that epoch's reduction (none after the first
    # epoch, which always improves).
    assert history.history["learning_rate"] == [1e-3, 1e-3, 5e-4]


def test_scheduled_rate_applies_to_every_batch_of_its_epoch():
    rates = []

    class Spy(Callback):
        def on_train_batch_begin(self, batch, logs=None):
            rates.append(self.model.optimizer.learning_rate)

    schedule = LearningRateScheduler(lambda epoch, lr: 0.1 * (epoch + 1))
    history = fit(small_model(), SGD(0.01), DATA.x_train, DATA.y_train, epochs=2,
                  seed=0, callbacks=[schedule, Spy()])  # fmt: skip
    assert rates == [0.1] * 3 + [0.2] * 3
    assert history.history["learning_rate"] == [0.1, 0.2]


def test_batch_callbacks_see_the_running_epoch_means_and_callbacks_run_in_order():
    calls = []

    class Recorder(Callback):
        def __init__(self, name):
            super().__init__()
            self.name = name

        def on_train_batch_end(self, batch, logs=None):
            calls.append((self.name, "batch", batch, logs["loss"]))

        def on_epoch_end(self, epoch, logs=None):
            calls.append((self.name, "epoch", epoch, logs["loss"]))

    history = fit(small_model(), Adam(0.01), DATA.x_train, DATA.y_train, epochs=1, seed=0,
                  callbacks=[Recorder("a"), Recorder("b")])  # fmt: skip
    assert [call[:3] for call in calls] == [
        (name, "batch", batch) for batch in range(3) for name in "ab"
    ] + [("a", "epoch", 0), ("b", "epoch", 0)]
    assert calls[-3][3] == calls[-1][3] == history.history["loss"][0]


def test_divergence_ends_the_run_and_is_recorded():
    model = small_model(dtype="float32")
    blow_up = LearningRateScheduler(lambda epoch, lr: 1e30 if epoch == 2 else 0.01)
    history = fit(model, SGD(0.01, dtype="float32"), DATA.x_train, DATA.y_train, epochs=6,
                  validation_data=DATA.validation_data, seed=0, callbacks=[blow_up])  # fmt: skip
    assert history.divergence == Divergence(epoch=2, batch=1, step=7)
    assert history.epoch == [0, 1]
    assert all(np.isfinite(values).all() for values in history.history.values())
    assert model.optimizer.iterations == 7


def test_early_stopping_stops_fit_and_restores_the_best_weights():
    snapshots = []

    class Snapshot(Callback):
        def on_epoch_end(self, epoch, logs=None):
            snapshots.append((logs["val_loss"], self.model.get_weights()))

    model = small_model()
    stopper = EarlyStopping(patience=2, restore_best_weights=True)
    history = fit(model, SGD(5.0), DATA.x_train, DATA.y_train, epochs=50,
                  validation_data=DATA.validation_data, seed=0,
                  callbacks=[Snapshot(), stopper])  # fmt: skip
    assert len(history.epoch) < 50
    best = int(np.argmin([loss for loss, _ in snapshots]))
    assert int(stopper.best_epoch) == best
    for got, want in zip(model.get_weights(), snapshots[best][1], strict=True):
        np.testing.assert_array_equal(got, want)


def test_terminate_on_nan_stops_after_the_batch_that_broke():
    model = small_model(dtype="float32")
    history = fit(model, SGD(1e30, dtype="float32"), DATA.x_train, DATA.y_train, epochs=3,
                  seed=0, callbacks=[TerminateOnNaN()])  # fmt: skip
    assert history.divergence == Divergence(epoch=0, batch=1, step=1)
    assert history.history == {}


def test_a_second_fit_continues_with_the_optimizer_state():
    """As in Keras, Adam's moments and step count carry over from one fit to the next: a fit
    that rebuilt the optimizer's state would end at other weights."""
    model, optimizer = small_model(), Adam(0.01)
    expected_model, expected_optimizer = small_model(), Adam(0.01)
    restarted = small_model()
    for seed in (0, 1):
        fit(model, optimizer, DATA.x_train, DATA.y_train, epochs=1, seed=seed)
        reference_fit(
            expected_model, expected_optimizer, DATA, epochs=1, batch_size=32, shuffle=True,
            seed=seed,
        )  # fmt: skip
        fit(restarted, Adam(0.01), DATA.x_train, DATA.y_train, epochs=1, seed=seed)
    assert optimizer.iterations == expected_optimizer.iterations == 6
    for got, want in zip(model.get_weights(), expected_model.get_weights(), strict=True):
        np.testing.assert_array_equal(got, want)
    assert not np.allclose(restarted.get_weights()[0], model.get_weights()[0])


def run_separately_and_together(kind, rates, seeds, dtype, callbacks, *, epochs=4):
    """Return (ensemble model, ensemble history, [(model, history) per member])."""
    model = Sequential(LAYERS, input_dim=2, seed=seeds, dtype=dtype)
    history = fit(
        model, kind(np.array(rates), dtype=dtype), DATA.x_train, DATA.y_train, epochs=epochs,
        validation_data=DATA.validation_data, seed=seeds, callbacks=callbacks(),
    )  # fmt: skip
    singles = []
    for rate, seed in zip(rates, seeds, strict=True):
        single = Sequential(LAYERS, input_dim=2, seed=seed, dtype=dtype)
        single_history = fit(
            single, kind(rate, dtype=dtype), DATA.x_train, DATA.y_train, epochs=epochs,
            validation_data=DATA.validation_data, seed=seed, callbacks=callbacks(),
        )  # fmt: skip
        singles.append((single, single_history))
    return model, history, singles


def assert_members_equal_single_runs(model, history, singles):
    for member, (single, single_history) in enumerate(singles):
        assert history.member(member).history == single_history.history
        assert history.member(member).epoch == single_history.epoch
        assert history.divergence[member] == single_history.divergence
        for together, alone in zip(model.get_weights(), single.get_weights(), strict=True):
            np.testing.assert_array_equal(together[member], alone)
        assert model.optimizer.learning_rate[member] == single.optimizer.learning_rate


@settings(max_examples=8, deadline=None)
@given(
    kind=st.sampled_from([SGD, RMSprop, Adam]),
    rates=st.lists(st.sampled_from([1e-3, 0.05, 0.5, 3.0, 1e30]), min_size=1, max_size=3),
    seeds=st.lists(st.integers(0, 3), min_size=3, max_size=3),
    dtype=st.sampled_from(["float32", "float64"]),
)
def test_ensemble_equals_separate_runs(kind, rates, seeds, dtype):
    def callbacks():
        return [
            ReduceLROnPlateau(factor=0.5, patience=1),
            EarlyStopping(patience=2, restore_best_weights=True),
        ]

    assert_members_equal_single_runs(
        *run_separately_and_together(kind, rates, seeds[: len(rates)], dtype, callbacks)
    )


def test_a_diverged_member_does_not_poison_the_others():
    model, history, singles = run_separately_and_together(
        SGD, [0.05, 1e30, 0.5], [0, 1, 2], "float32", lambda: [ReduceLROnPlateau(patience=1)]
    )
    assert_members_equal_single_runs(model, history, singles)
    assert history.divergence[1] == Divergence(epoch=0, batch=1, step=1)
    losses = np.asarray(history.history["val_loss"])
    assert losses.shape == (4, 3)
    assert np.isnan(losses[:, 1]).all()
    assert np.isfinite(losses[:, [0, 2]]).all()


def test_history_member_rejects_single_runs_and_bad_indices():
    single = fit(small_model(), SGD(0.1), DATA.x_train, DATA.y_train, seed=0)
    with pytest.raises(ValueError, match="member\\(\\) needs the history of an ensemble"):
        single.member(0)
    ensemble = Sequential(LAYERS, input_dim=2, seed=[0, 1])
    history = fit(ensemble, SGD(np.array([0.1, 0.2])), DATA.x_train, DATA.y_train, seed=0)
    with pytest.raises(ValueError, match=r"index must be in \[0, 2\)"):
        history.member(2)


@pytest.mark.parametrize(
    ("arguments", "error", "message"),
    [
        ({"model": "model"}, TypeError, "model must be an lrsim.network.Sequential"),
        ({"optimizer": "adam"}, TypeError, "optimizer must be an lrsim.optimizers.Optimizer"),
        (
            {"optimizer": SGD(0.1, dtype="float32")},
            ValueError,
            "optimizer dtype 'float32' must match",
        ),
        ({"optimizer": SGD(np.array([0.1, 0.2]))}, ValueError, "one value per ensemble member"),
        ({"x": np.zeros((70, 3))}, ValueError, r"x must have shape \(samples >= 1, 2\)"),
        (
            {"y": DATA.y_train[:60]},
            ValueError,
            "x and y have different numbers of samples: 70 and 60",
        ),
        ({"y": DATA.y_train * 2}, ValueError, "y must be one-hot"),
        ({"y": DATA.y_train.astype(str)}, TypeError, "y must hold one-hot labels"),
        ({"epochs": -1}, ValueError, "epochs must be a non-negative integer"),
        ({"batch_size": 0}, ValueError, "batch_size must be an integer >= 1"),
        ({"seed": [1, 2]}, ValueError, "seed may be a sequence only for an ensemble"),
        ({"seed": -3}, ValueError, "seed must be an int >= 0"),
        ({"callbacks": [print]}, TypeError, "callbacks must be lrsim.callbacks.Callback"),
        ({"validation_data": DATA.x_val}, TypeError, r"validation_data must be a pair"),
        (
            {"validation_data": (DATA.x_val, DATA.y_val[:, :2])},
            ValueError,
            r"validation_data\[1\] must have shape \(18, 3\)",
        ),
    ],
)
def test_bad_fit_arguments_are_rejected_naming_the_argument(arguments, error, message):
    call = {"model": small_model(), "optimizer": SGD(0.1), "x": DATA.x_train, "y": DATA.y_train}
    call.update(arguments)
    with pytest.raises(error, match=message):
        fit(call.pop("model"), call.pop("optimizer"), call.pop("x"), call.pop("y"), **call)


def test_an_optimizer_built_for_another_model_is_rejected():
    optimizer = Adam(0.01)
    fit(small_model(), optimizer, DATA.x_train, DATA.y_train, seed=0)
    other = Sequential([Dense(3, "softmax")], input_dim=2, seed=0)
    with pytest.raises(ValueError, match="optimizer was already used with other variables"):
        fit(other, optimizer, DATA.x_train, DATA.y_train, seed=0)


class ScriptedMonitor(Callback):
    """Write a scripted val_loss per member into the logs, leaving stopped members' NaN alone."""

    def __init__(self, values):
        super().__init__()
        self.values = np.asarray(values, dtype=float)  # (epochs, members) or (epochs,)

    def on_epoch_end(self, epoch, logs=None):
        logs["val_loss"] = np.where(np.isnan(logs["val_loss"]), np.nan, self.values[epoch])
        if np.ndim(logs["val_loss"]) == 0:
            logs["val_loss"] = float(logs["val_loss"])


def test_early_stopping_leaves_a_stopped_ensemble_member_as_a_single_run_would():
    """Issue 11: fit hands a stopped member NaN logs; its wait and stopped_epoch must not move."""
    worsening, improving = [1.0, 2.0, 3.0, 4.0], [1.0, 0.5, 0.25, 0.1]
    single_stop = EarlyStopping(monitor="val_loss", patience=0)
    fit(small_model(), Adam(0.01), DATA.x_train, DATA.y_train, epochs=4,
        validation_data=DATA.validation_data, callbacks=[ScriptedMonitor(worsening), single_stop])  # fmt: skip
    assert int(single_stop.stopped_epoch) == 1

    stop = EarlyStopping(monitor="val_loss", patience=0)
    history = fit(
        small_model(seed=[0, 1]), Adam(np.full(2, 0.01)), DATA.x_train, DATA.y_train,
        epochs=4, validation_data=DATA.validation_data,
        callbacks=[ScriptedMonitor(np.column_stack([worsening, improving])), stop],
    )  # fmt: skip
    assert stop.stopped_epoch.tolist() == [1, 0]
    assert stop.wait.tolist() == [1, 0]
    assert np.isnan(np.asarray(history.history["val_loss"])[2:, 0]).all()


def test_reduce_lr_on_plateau_leaves_a_stopped_member_alone():
    plateau = ReduceLROnPlateau(monitor="val_loss", patience=3, factor=0.5)
    stop = EarlyStopping(monitor="val_loss", patience=0)
    fit(
        small_model(seed=[0, 1]), Adam(np.full(2, 0.01)), DATA.x_train, DATA.y_train, epochs=6,
        validation_data=DATA.validation_data,
        callbacks=[ScriptedMonitor(np.column_stack([[1.0, 2, 3, 4, 5, 6], [1.0, 0.9, 0.8, 0.7, 0.6, 0.5]])), plateau, stop],
    )  # fmt: skip
    # Member 0 stops after epoch 2 with one epoch counted; the NaN logs of epochs 3 to 6 must
    # not count on towards a reduction. Member 1 improves every epoch and trains to the end.
    assert plateau.wait.tolist() == [1, 0]
    assert plateau.best.tolist() == [1.0, 0.5]
