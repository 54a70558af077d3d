"""Learning-rate schedules with the formulas of ``keras.optimizers.schedules``.

A schedule maps the optimizer step (0 for the first update, as Keras passes
``optimizer.iterations``) to a learning rate. Each class here computes what the Keras class of
the same name computes, checked against the Keras source (keras-team/keras at commit
``3422977a``, ``keras/src/optimizers/schedules/learning_rate_schedule.py``; line numbers in
each docstring). Keras evaluates them in the dtype of ``initial_learning_rate`` (float32 by
default); here they are float64, and an optimizer built with ``dtype="float32"`` rounds the
result when it stores it, as Keras's float32 learning-rate variable does. The one exception is
the staircase of :class:`ExponentialDecay`, floored from a float32 quotient as in Keras, because
there a last-bit difference moves a whole stair.

Schedules are vectorised: pass an array of steps and get the whole learning-rate curve.
:meth:`LearningRateSchedule.per_epoch` turns a step schedule into the ``schedule(epoch, lr)``
function that :class:`lrsim.callbacks.LearningRateScheduler` calls at the start of each epoch,
so that every batch of epoch ``e`` uses the rate of step ``e * steps_per_epoch``.

Step decay is :class:`ExponentialDecay` with ``staircase=True`` (or
:class:`PiecewiseConstantDecay`); linear warmup followed by cosine decay is :class:`CosineDecay`
with ``warmup_target``; the plateau schedule is the callback
:class:`lrsim.callbacks.ReduceLROnPlateau`, which reacts to the monitored loss instead of the
step. The callback :class:`lrsim.callbacks.EnsembleScheduler` runs several schedules at once,
one per member of an ensemble, so that a comparison of schedules over seeds is one vectorised
training run.
"""

from __future__ import annotations

import abc
import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from lrsim._validation import as_count, as_flag, as_float_array, as_real, scalar_or_array

__all__ = [
    "CosineDecay",
    "ExponentialDecay",
    "LearningRateSchedule",
    "PiecewiseConstantDecay",
]


def _as_steps(step: ArrayLike) -> NDArray[np.float64]:
    steps = as_float_array(step, "step")
    if np.any(steps < 0):
        raise ValueError(f"step must be >= 0 (0 is the first optimizer update), got {step!r}")
    return steps


class LearningRateSchedule(abc.ABC):
    """A learning rate as a function of the optimizer step (Keras's ``LearningRateSchedule``).

    Subclasses implement :meth:`_rates`; calling the schedule validates the steps and returns a
    float for a scalar step, an array for an array of steps.
    """

    @abc.abstractmethod
    def _rates(self, steps: NDArray[np.float64]) -> NDArray[np.float64]:
        """Return the learning rate at each (validated, float64) step."""

    def __call__(self, step: ArrayLike) -> Any:
        """Return the learning rate at ``step`` (a float, or an array for an array of steps).

        A rate that grows past the float range (a decay_rate above 1) is inf: data, no warning.
        """
        steps = _as_steps(step)
        with np.errstate(over="ignore", under="ignore"):
            return scalar_or_array(self._rates(steps))

    def per_epoch(self, steps_per_epoch: int) -> Callable[[int, float], float]:
        """Return ``schedule(epoch, lr)`` for :class:`lrsim.callbacks.LearningRateScheduler`.

        The returned function gives the rate of step ``epoch * steps_per_epoch``, the first
        update of that epoch, and holds it for the whole epoch; it ignores the current ``lr``.

        Parameters
        ----------
        steps_per_epoch : int
            Batches per epoch, >= 1 (``ceil(n_train / batch_size)`` in Keras's ``fit``).

        Returns
        -------
        callable
            ``(epoch, lr) -> float``.

        Examples
        --------
        >>> schedule = ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5)
        >>> by_epoch = schedule.per_epoch(steps_per_epoch=5)
        >>> [by_epoch(epoch, 0.1) for epoch in range(3)]
        [0.1, 0.07071067811865477, 0.05]
        """
        steps_per_epoch = as_count(steps_per_epoch, "steps_per_epoch")

        def schedule(epoch: int, learning_rate: float) -> float:
            del learning_rate  # a step schedule does not depend on the current rate
            return float(self(epoch * steps_per_epoch))

        return schedule


class ExponentialDecay(LearningRateSchedule):
    """``initial_learning_rate * decay_rate ** (step / decay_steps)``, optionally in stairs.

    Keras: ``keras.optimizers.schedules.ExponentialDecay``, ``__call__`` at lines 162-175 of
    ``learning_rate_schedule.py`` (keras-team/keras@3422977a): ``p = step / decay_steps``,
    floored when ``staircase``, and ``initial_learning_rate * decay_rate ** p``.

    Parameters
    ----------
    initial_learning_rate : float
        The rate at step 0, >= 0.
    decay_steps : float
        > 0: the rate is multiplied by ``decay_rate`` every ``decay_steps`` steps.
    decay_rate : float
        The factor per ``decay_steps``, >= 0.
    staircase : bool, default False
        If true, the exponent is ``floor(step / decay_steps)``: classic step decay. The
        quotient is taken in float32, as Keras takes it, so the stairs fall where Keras's do
        also for a ``decay_steps`` that is not an integer.

    Examples
    --------
    >>> schedule = ExponentialDecay(0.1, decay_steps=100, decay_rate=0.5)
    >>> schedule([0, 50, 100, 200])
    array([0.1       , 0.07071068, 0.05      , 0.025     ])
    >>> ExponentialDecay(0.1, 100, 0.5, staircase=True)([99, 100])
    array([0.1 , 0.05])
    >>> float(ExponentialDecay(0.1, 1.1, 0.5, staircase=True)(33))  # 0.1 * 0.5**30, as Keras
    9.313225746154786e-11
    """

    def __init__(
        self,
        initial_learning_rate: float,
        decay_steps: float,
        decay_rate: float,
        staircase: bool = False,
    ) -> None:
        self.initial_learning_rate = as_real(
            initial_learning_rate, "initial_learning_rate", low=0.0
        )
        self.decay_steps = as_real(decay_steps, "decay_steps", low=0.0, low_open=True)
        self.decay_rate = as_real(decay_rate, "decay_rate", low=0.0)
        self.staircase = as_flag(staircase, "staircase")

    def _rates(self, steps: NDArray[np.float64]) -> NDArray[np.float64]:
        if self.staircase:
            # Keras divides in float32 (the dtype of its learning rate) before flooring; a
            # float64 quotient can fall just below an integer that float32 reaches (33 / 1.1).
            quotient = np.float32(steps) / np.float32(self.decay_steps)
            exponent = np.floor(quotient).astype(np.float64)
        else:
            exponent = steps / self.decay_steps
        return np.asarray(self.initial_learning_rate * self.decay_rate**exponent)


class PiecewiseConstantDecay(LearningRateSchedule):
    """``values[i]`` on the i-th interval between ``boundaries``, right ends included.

    Keras: ``keras.optimizers.schedules.PiecewiseConstantDecay``, ``__call__`` at lines
    256-294 of ``learning_rate_schedule.py`` (keras-team/keras@3422977a): ``values[0]`` while
    ``step <= boundaries[0]``, ``values[i]`` while ``boundaries[i-1] < step <= boundaries[i]``,
    ``values[-1]`` once ``step > boundaries[-1]``.

    Parameters
    ----------
    boundaries : sequence of float
        Strictly increasing steps, at least one.
    values : sequence of float
        One more than ``boundaries``, each >= 0.

    Examples
    --------
    >>> schedule = PiecewiseConstantDecay(boundaries=[100, 200], values=[0.1, 0.01, 0.001])
    >>> schedule([0, 100, 101, 200, 201])
    array([0.1  , 0.1  , 0.01 , 0.01 , 0.001])
    """

    def __init__(self, boundaries: Sequence[float], values: Sequence[float]) -> None:
        bounds = np.atleast_1d(as_float_array(boundaries, "boundaries"))
        rates = np.atleast_1d(as_float_array(values, "values"))
        if bounds.ndim != 1 or bounds.size == 0 or np.any(np.diff(bounds) <= 0):
            raise ValueError(
                f"boundaries must be a non-empty, strictly increasing list, got {boundaries!r}"
            )
        if rates.shape != (bounds.size + 1,):
            raise ValueError(
                "values must have one more element than boundaries "
                f"({bounds.size + 1}), got {values!r}"
            )
        if np.any(rates < 0):
            raise ValueError(f"values must be >= 0, got {values!r}")
        # Copies: the caller's arrays may change later, and must not move the boundaries.
        self.boundaries = bounds.copy()
        self.values = rates.copy()

    def _rates(self, steps: NDArray[np.float64]) -> NDArray[np.float64]:
        # side="left" counts the boundaries strictly below the step: a step equal to a
        # boundary still belongs to the interval that the boundary closes, as in Keras.
        return self.values[np.searchsorted(self.boundaries, steps, side="left")]


class CosineDecay(LearningRateSchedule):
    """Optional linear warmup, then a half cosine from the peak rate down to ``alpha`` × peak.

    Keras: ``keras.optimizers.schedules.CosineDecay`` (Loshchilov & Hutter's cosine annealing
    without restarts, after Goyal et al.'s linear warmup), lines 695-754 of
    ``learning_rate_schedule.py`` (keras-team/keras@3422977a):

    * without ``warmup_target``: ``s = min(step, decay_steps)`` and
      ``initial_learning_rate * ((1 - alpha) * 0.5 * (1 + cos(pi * s / decay_steps)) + alpha)``;
      ``warmup_steps`` is then ignored;
    * with ``warmup_target``: ``s = min(step, warmup_steps + decay_steps)``; while
      ``s < warmup_steps`` the rate is ``initial_learning_rate + (warmup_target -
      initial_learning_rate) * s / warmup_steps``; afterwards the cosine above, started at
      ``warmup_target`` and evaluated at ``s - warmup_steps``.

    Parameters
    ----------
    initial_learning_rate : float
        The rate at step 0, >= 0 (where the warmup starts, if there is one).
    decay_steps : float
        > 0: length of the cosine.
    alpha : float, default 0
        Final rate as a fraction of the peak, in [0, 1].
    warmup_target : float, optional
        Peak rate reached by the warmup; ``None`` skips the warmup.
    warmup_steps : float, default 0
        Length of the warmup, >= 0.

    Examples
    --------
    >>> CosineDecay(0.1, decay_steps=100)([0, 50, 100, 150])
    array([0.1 , 0.05, 0.  , 0.  ])
    >>> warm = CosineDecay(0.0, decay_steps=100, warmup_target=0.1, warmup_steps=10)
    >>> warm([0, 5, 10, 60, 110])
    array([0.  , 0.05, 0.1 , 0.05, 0.  ])
    """

    def __init__(
        self,
        initial_learning_rate: float,
        decay_steps: float,
        alpha: float = 0.0,
        warmup_target: float | None = None,
        warmup_steps: float = 0,
    ) -> None:
        self.initial_learning_rate = as_real(
            initial_learning_rate, "initial_learning_rate", low=0.0
        )
        self.decay_steps = as_real(decay_steps, "decay_steps", low=0.0, low_open=True)
        self.alpha = as_real(alpha, "alpha", low=0.0, high=1.0)
        self.warmup_target = (
            None if warmup_target is None else as_real(warmup_target, "warmup_target", low=0.0)
        )
        self.warmup_steps = as_real(warmup_steps, "warmup_steps", low=0.0)

    def _cosine(self, steps: NDArray[np.float64], peak: float) -> NDArray[np.float64]:
        cosine = 0.5 * (1.0 + np.cos(math.pi * steps / self.decay_steps))
        return np.asarray(peak * ((1.0 - self.alpha) * cosine + self.alpha))

    def _rates(self, steps: NDArray[np.float64]) -> NDArray[np.float64]:
        if self.warmup_target is None:
            return self._cosine(np.minimum(steps, self.decay_steps), self.initial_learning_rate)
        clipped = np.minimum(steps, self.warmup_steps + self.decay_steps)
        start, peak = self.initial_learning_rate, self.warmup_target
        # With warmup_steps = 0 the warmup branch is never taken (Keras's cond skips it).
        fraction = clipped / self.warmup_steps if self.warmup_steps > 0 else clipped * 0.0
        warming = start + (peak - start) * fraction
        decaying = self._cosine(np.maximum(clipped - self.warmup_steps, 0.0), peak)
        return np.where(clipped < self.warmup_steps, warming, decaying)
