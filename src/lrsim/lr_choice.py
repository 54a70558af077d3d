"""Part IV's experiments: choosing a learning rate for :data:`lrsim.experiments.RANGE_TEST`.

Three measurements, each from several seeds so that the spread shows:

* :func:`range_tests` runs the learning-rate range test (:func:`lrsim.lr_finder.lr_range_test`)
  for plain SGD and for Adam, one member per seed; :func:`suggestions` applies each
  suggestion rule to every member, and :func:`minimum_to_return_ratios` reads a curve as the
  parabola's sweep is read (lowest loss at 1/L, back at the start at 2/L);
* :func:`compare_schedules` trains Adam from one peak rate under six schedules (constant, step,
  exponential, cosine, warmup + cosine, and ReduceLROnPlateau), the same seeds for each.

Examples
--------
>>> tests = range_tests(seeds=[0, 1], steps=30)
>>> sorted(tests), tests["Adam"].smoothed_losses.shape
(['Adam', 'SGD'], (30, 2))
>>> sorted(suggestions(tests))[:2]
[('Adam', 'minimum'), ('Adam', 'steepest')]
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

from lrsim._validation import as_count, as_real, as_seeds
from lrsim.callbacks import EnsembleScheduler, ReduceLROnPlateau
from lrsim.experiments import RANGE_TEST
from lrsim.lr_finder import RangeTest, lr_range_test
from lrsim.optimizers import SGD, Adam, Optimizer
from lrsim.schedules import CosineDecay, ExponentialDecay, LearningRateSchedule
from lrsim.training import fit

__all__ = [
    "BATCH_SIZE",
    "RANGES",
    "RANGE_STEPS",
    "RULES",
    "SCHEDULE_EPOCHS",
    "SCHEDULE_SEEDS",
    "SEEDS",
    "SMOOTHING",
    "RangeSweep",
    "ScheduleRuns",
    "compare_schedules",
    "lowest_rates",
    "minimum_to_return_ratios",
    "range_tests",
    "schedules",
    "steps_per_epoch",
    "suggestions",
]

FloatArray = NDArray[np.float64]

BATCH_SIZE = 32
SEEDS: tuple[int, ...] = tuple(range(8))
"""The range test's seeds: each fixes a member's initial weights."""
RANGE_STEPS = 200
SMOOTHING = 0.98
"""fastai's smoothing of the range test's loss."""
SCHEDULE_EPOCHS = 24
SCHEDULE_SEEDS: tuple[int, ...] = tuple(range(5))
RULES = ("steepest", "minimum", "valley")
"""The suggestion rules of :class:`lrsim.lr_finder.RangeTest`, ``suggest_<rule>``."""


class RangeSweep(NamedTuple):
    """An optimizer and the learning rates its range test sweeps."""

    optimizer: type[Optimizer[Any]]
    start: float
    end: float


RANGES: Mapping[str, RangeSweep] = MappingProxyType(
    {"SGD": RangeSweep(SGD, 1e-5, 100.0), "Adam": RangeSweep(Adam, 1e-5, 10.0)}
)
"""Each optimizer's sweep: SGD needs two decades more to reach its edge."""


def steps_per_epoch(batch_size: int = BATCH_SIZE) -> int:
    """Batches per epoch of the range-test network's training set, the partial last included.

    Examples
    --------
    >>> steps_per_epoch()
    19
    """
    batch_size = as_count(batch_size, "batch_size")
    return math.ceil(len(RANGE_TEST.data().x_train) / batch_size)


def range_tests(
    seeds: Sequence[int] = SEEDS, *, steps: int = RANGE_STEPS, smoothing: float = SMOOTHING
) -> dict[str, RangeTest]:
    """The range test of each of :data:`RANGES` on the range-test network, one member per seed.

    Every member sees the same batches (shuffling seed 0); the seeds differ in the initial
    weights only.
    """
    seed_list, _ = as_seeds(list(seeds), "seeds")
    data = RANGE_TEST.data()
    return {
        name: lr_range_test(
            RANGE_TEST.model(seed=seed_list),
            sweep.optimizer([1e-3] * len(seed_list)),
            data.x_train,
            data.y_train,
            start_learning_rate=sweep.start,
            end_learning_rate=sweep.end,
            steps=steps,
            smoothing=smoothing,
            seed=0,
        )
        for name, sweep in RANGES.items()
    }


def suggestions(tests: Mapping[str, RangeTest]) -> dict[tuple[str, str], FloatArray]:
    """Per (optimizer, rule) of :data:`RULES`: the rate the rule suggests for each member."""
    return {
        (name, rule): np.asarray(getattr(test, f"suggest_{rule}")(), dtype=np.float64)
        for name, test in tests.items()
        for rule in RULES
    }


def lowest_rates(test: RangeTest) -> FloatArray:
    """Per member, the learning rate at the lowest smoothed loss."""
    return np.asarray(test.learning_rates[np.nanargmin(test.smoothed_losses, axis=0)])


def minimum_to_return_ratios(test: RangeTest) -> FloatArray:
    """Per member, the rate of the lowest smoothed loss over the first rate after it at which
    the smoothed loss is back above where it started (1 if it never gets back there).

    On the parabola the two are 1/L and 2/L, a ratio of exactly 1/2.

    Examples
    --------
    >>> from lrsim.lr_finder import RangeTest
    >>> test = RangeTest.from_losses([1e-3, 1e-2, 1e-1, 1.0], [1.0, 0.2, 0.5, 3.0], smoothing=0.0,
    ...                              divergence_factor=100.0)
    >>> minimum_to_return_ratios(test).round(3).tolist()
    [0.01]
    """
    ratios = []
    for curve in test.smoothed_losses.T:
        lowest = int(np.nanargmin(curve))
        back = lowest + int(np.argmax(curve[lowest:] > curve[0]))
        ratios.append(test.learning_rates[lowest] / test.learning_rates[back])
    return np.array(ratios)


def schedules(
    peak: float, *, epochs: int = SCHEDULE_EPOCHS, batches: int | None = None
) -> dict[str, LearningRateSchedule | None]:
    """The six schedules compared, each from ``peak`` over ``epochs`` of ``batches`` steps
    (default :func:`steps_per_epoch`); ``None`` stands for ReduceLROnPlateau's.

    Examples
    --------
    >>> plan = schedules(0.01, epochs=3, batches=10)
    >>> list(plan)
    ['constant', 'step decay', 'exponential', 'cosine', 'warmup + cosine', 'plateau']
    >>> round(float(plan["warmup + cosine"](0)), 6), round(float(plan["warmup + cosine"](20)), 6)
    (0.001, 0.01)
    """
    peak = as_real(peak, "peak", low=0, low_open=True)
    epochs = as_count(epochs, "epochs")
    per_epoch = as_count(steps_per_epoch() if batches is None else batches, "batches")
    total = epochs * per_epoch
    warmup = 2 * per_epoch
    return {
        "constant": ExponentialDecay(peak, total, 1.0),
        "step decay": ExponentialDecay(peak, (2 * epochs // 3) * per_epoch, 0.1, staircase=True),
        "exponential": ExponentialDecay(peak, total, 0.1),
        "cosine": CosineDecay(peak, total),
        "warmup + cosine": CosineDecay(
            peak / 10, total - warmup, warmup_target=peak, warmup_steps=warmup
        ),
        "plateau": None,  # driven by ReduceLROnPlateau
    }


@dataclass(frozen=True)
class ScheduleRuns:
    """What :func:`compare_schedules` measured.

    Attributes
    ----------
    names : tuple of str
        The schedules, in order.
    val_loss, learning_rates : numpy.ndarray
        (epochs, schedules, seeds): val_loss after each epoch, the rate each epoch started with.
    """

    names: tuple[str, ...]
    val_loss: FloatArray
    learning_rates: FloatArray

    @property
    def final(self) -> dict[str, FloatArray]:
        """Per schedule, each seed's val_loss after the last epoch."""
        return {name: self.val_loss[-1, index] for index, name in enumerate(self.names)}

    @property
    def medians(self) -> dict[str, float]:
        """Per schedule, the median over seeds of the final val_loss."""
        return {name: float(np.median(values)) for name, values in self.final.items()}


def compare_schedules(
    peak: float, *, epochs: int = SCHEDULE_EPOCHS, seeds: Sequence[int] = SCHEDULE_SEEDS
) -> ScheduleRuns:
    """Train the range-test network with Adam under each of :func:`schedules`, one ensemble.

    The plateau members follow ``ReduceLROnPlateau(monitor="val_loss", factor=0.5,
    patience=2)``; seed s is the same network and shuffling order under every schedule.
    """
    seed_list, _ = as_seeds(list(seeds), "seeds")
    plan = schedules(peak, epochs=epochs)
    members = [schedule for schedule in plan.values() for _ in seed_list]
    member_seeds = [seed for _ in plan for seed in seed_list]
    data = RANGE_TEST.data()
    history = fit(
        RANGE_TEST.model(seed=member_seeds), Adam([peak] * len(member_seeds)),
        data.x_train, data.y_train, epochs=epochs, batch_size=BATCH_SIZE,
        validation_data=data.validation_data, seed=member_seeds,
        callbacks=[
            EnsembleScheduler(members),
            ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=2),
        ],
    )  # fmt: skip
    shape = (epochs, len(plan), len(seed_list))
    return ScheduleRuns(
        names=tuple(plan),
        val_loss=np.asarray(history.history["val_loss"], dtype=np.float64).reshape(shape),
        learning_rates=np.asarray(history.history["learning_rate"], dtype=np.float64).reshape(
            shape
        ),
    )
