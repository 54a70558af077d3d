"""lrsim's ReduceLROnPlateau against Keras's own, on scripted monitor sequences.

Keras's side is a real ``Model.fit`` (JAX backend) whose callback list holds a callback that
writes the scripted value into the logs, then Keras's ``ReduceLROnPlateau``: the epoch loop,
the logs dict shared by the callbacks, the float32 learning-rate variable synced into and out
of the JAX train state, and ``mode="auto"`` resolving the direction of the compiled
``accuracy`` metric are all Keras's code. lrsim's side replays the same values through its
callback, as the book does, on a float32 optimizer.

The learning rate of every epoch must be *equal*: both sides store it in float32, compute
``max(lr * factor, min_lr)`` in float64 from the stored value, and decide improvement by the
same float32 comparison, so there is no rounding to tolerate. The sequences aim at the places
where an implementation can go wrong: values exactly ``min_delta`` better than the best, one
float32 or float64 ulp either side of that, cooldown 0 to 3 (Keras decrements the counter
before testing it), ``min_lr`` floors that the rate lands on or would undershoot, max mode,
auto mode with accuracy monitors, NaN and infinite values, and seeded random sequences.
"""

from __future__ import annotations

from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from lrsim import callbacks, optimizers

from . import keras_reference

LEARNING_RATE = 0.1


def f32_neighbours(value: float) -> list[float]:
    """The float32 numbers just below, at, and just above ``value`` (as Python floats)."""
    x = np.float32(value)
    return [
        float(np.nextafter(x, np.float32(-np.inf))),
        float(x),
        float(np.nextafter(x, np.float32(np.inf))),
    ]


def f64_neighbours(value: float) -> list[float]:
    return [float(np.nextafter(value, -np.inf)), value, float(np.nextafter(value, np.inf))]


def boundary_scenarios() -> dict[str, tuple[list[float], dict[str, Any]]]:
    """Best first, then one candidate near ``best ∓ min_delta``: patience 1 reveals the verdict."""
    scenarios = {}
    for best, min_delta, mode in [
        (1.0, 1e-4, "min"),
        (0.3, 1e-4, "min"),
        (2.5, 0.0, "min"),
        (0.75, 0.05, "min"),
        (0.5, 1e-4, "max"),
        (0.9, 0.01, "max"),
    ]:
        edge = best - min_delta if mode == "min" else best + min_delta
        candidates = f32_neighbours(edge) + f64_neighbours(edge) + [edge - 1e-12, edge + 1e-12]
        for candidate in candidates:
            scenarios[f"{mode} best={best} min_delta={min_delta} then {candidate!r}"] = (
                [best, candidate, candidate],
                {"mode": mode, "min_delta": min_delta, "patience": 1, "factor": 0.5},
            )
    return scenarios


FLAT = [1.0] * 12
STAIRS = [1.0, 0.9, 0.95, 0.93, 0.92, 0.91, 0.905, 0.95, 0.9, 0.89, 0.95, 0.95, 0.95, 0.8]
ACCURACY = [0.3, 0.5, 0.5, 0.55, 0.55, 0.55, 0.6, 0.59, 0.6, 0.6001, 0.6, 0.6, 0.61, 0.61]


def behaviour_scenarios() -> dict[str, tuple[list[float], dict[str, Any]]]:
    scenarios: dict[str, tuple[list[float], dict[str, Any]]] = {
        "Keras's worked trace, patience 2 factor 0.5": (STAIRS, {"patience": 2, "factor": 0.5}),
        "patience 0 reduces at every non-improvement": (STAIRS, {"patience": 0, "factor": 0.5}),
        "factor 0.2 rounds in float32": (FLAT, {"patience": 1, "factor": 0.2}),
        "factor 0.3 with min_lr 1e-4": (FLAT * 2, {"patience": 1, "factor": 0.3, "min_lr": 1e-4}),
        "NaN first: nothing ever improves": ([np.nan, 1.0, 0.5, 0.4, 0.3, 0.2], {"patience": 1}),
        "NaN and inf later are no improvement": (
            [1.0, np.nan, 0.9, np.inf, 0.8, -np.inf, 0.7, 0.6],
            {"patience": 1, "factor": 0.5},
        ),
        "inf first, then finite values improve": ([np.inf, 5.0, 5.0, 4.0], {"patience": 1}),
    }
    if keras_reference.BACKEND != "tensorflow":
        # TensorFlow refuses to make a float32 tensor of 1e39 ("value out of range"), so a
        # monitored value beyond float32's range cannot reach its callbacks; JAX rounds it to inf.
        scenarios["beyond float32 range"] = (
            [1e39, 1e38, 1e38, -1e39],
            {"patience": 1, "factor": 0.5},
        )
    for cooldown in range(4):
        for patience in (1, 2):
            scenarios[f"cooldown {cooldown} patience {patience}, flat"] = (
                FLAT,
                {"patience": patience, "cooldown": cooldown, "factor": 0.5},
            )
        scenarios[f"cooldown {cooldown} patience 2, stairs"] = (
            STAIRS,
            {"patience": 2, "cooldown": cooldown, "factor": 0.5},
        )
    for min_lr, factor in [(1e-3, 0.1), (3e-3, 0.1), (0.1, 0.1), (0.05, 0.5), (0.005, 0.5)]:
        scenarios[f"min_lr {min_lr} factor {factor}"] = (
            FLAT,
            {"patience": 1, "factor": factor, "min_lr": min_lr},
        )
    for monitor, mode in [
        ("val_accuracy", "max"),
        ("val_accuracy", "auto"),
        ("accuracy", "auto"),
        ("val_loss", "max"),
    ]:
        scenarios[f"{monitor} mode {mode}"] = (
            ACCURACY,
            {"monitor": monitor, "mode": mode, "patience": 2, "factor": 0.5, "min_delta": 0.0},
        )
    scenarios["loss mode auto"] = (STAIRS, {"monitor": "loss", "patience": 2, "factor": 0.5})
    return scenarios


SCENARIOS = boundary_scenarios() | behaviour_scenarios()

# Random sequences on a coarse grid, so ties and exact min_delta steps are common; each
# configuration runs its sequences in Keras one by one and in lrsim as one ensemble.
RANDOM_CONFIGS = {
    "seed config (factor 0.1, patience 5)": {"factor": 0.1, "patience": 5},
    "patience 2, cooldown 2, min_lr 1e-3": {
        "factor": 0.5,
        "patience": 2,
        "cooldown": 2,
        "min_lr": 1e-3,
        "min_delta": 0.01,
    },
    "max mode, patience 1, min_delta 0.01": {
        "mode": "max",
        "factor": 0.7,
        "patience": 1,
        "min_delta": 0.01,
    },
}
RANDOM_SEQUENCES = 6
RANDOM_EPOCHS = 30


def random_sequences(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    steps = rng.integers(-3, 3, size=(RANDOM_SEQUENCES, RANDOM_EPOCHS)) * 0.005
    return np.round(1.0 + np.cumsum(steps, axis=1), 3)


def lrsim_learning_rates(
    values: Any, learning_rate: Any, monitor: str, **kwargs: Any
) -> np.ndarray:
    """lrsim's rate per epoch plus the final one; ``values`` (epochs,) or (epochs, K)."""
    model = SimpleNamespace(
        optimizer=optimizers.SGD(learning_rate, dtype="float32"), stop_training=False
    )
    plateau = callbacks.ReduceLROnPlateau(monitor=monitor, **kwargs)
    plateau.set_model(model)
    plateau.on_train_begin()
    rates = []
    for epoch, value in enumerate(values):
        logs: dict[str, Any] = {monitor: value}
        plateau.on_epoch_end(epoch, logs)
        rates.append(logs["learning_rate"])
    rates.append(model.optimizer.learning_rate)
    return np.array(rates, dtype=np.float64)


def compare(values: list[float], kwargs: dict[str, Any]) -> tuple[list[float], list[float]]:
    settings = dict(kwargs)
    monitor = settings.pop("monitor", "val_loss")
    theirs = keras_reference.plateau_learning_rates(values, LEARNING_RATE, monitor, **settings)
    ours = lrsim_learning_rates(values, LEARNING_RATE, monitor, **settings).tolist()
    return ours, theirs


@pytest.fixture(scope="module")
def all_sequences(record_deviation: Any) -> Iterator[list[tuple[list[float], list[float]]]]:
    """Collects (lrsim, Keras) rate sequences; one check each in the record at the end."""
    pairs: list[tuple[list[float], list[float]]] = []
    yield pairs
    for number, (ours, theirs) in enumerate(pairs):
        record_deviation(
            "ReduceLROnPlateau, learning rate per epoch",
            f"sequence {number}, {len(ours)} epochs",
            ours,
            theirs,
            bound="0 (equal)",
        )


@pytest.mark.parametrize("name", SCENARIOS)
def test_learning_rate_sequence_equals_keras(
    name: str, all_sequences: list[tuple[list[float], list[float]]]
) -> None:
    values, kwargs = SCENARIOS[name]
    ours, theirs = compare(values, kwargs)
    all_sequences.append((ours, theirs))
    assert ours == theirs


@pytest.mark.parametrize("config", RANDOM_CONFIGS)
def test_random_sequences_as_an_ensemble_equal_keras_one_by_one(
    config: str, all_sequences: list[tuple[list[float], list[float]]]
) -> None:
    kwargs = RANDOM_CONFIGS[config]
    sequences = random_sequences(seed=list(RANDOM_CONFIGS).index(config))
    theirs = [
        keras_reference.plateau_learning_rates(
            list(map(float, s)), LEARNING_RATE, "val_loss", **kwargs
        )
        for s in sequences
    ]
    together = lrsim_learning_rates(
        sequences.T, np.full(RANDOM_SEQUENCES, LEARNING_RATE), "val_loss", **kwargs
    )
    for member, keras_rates in enumerate(theirs):
        ours = together[:, member].tolist()
        all_sequences.append((ours, keras_rates))
        assert ours == keras_rates, f"{config}, sequence {member}: {sequences[member]}"
    # The reductions must actually happen, or the check would prove little.
    assert len({rate for rates in theirs for rate in rates}) > 2
