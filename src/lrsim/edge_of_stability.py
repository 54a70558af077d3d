"""Part II's experiment: full-batch gradient descent on :data:`lrsim.experiments.EDGE_OF_STABILITY`
at three learning rates, and how its sharpness behaves once it has reached 2/η.

Gradient descent at the edge is chaotic: the last bits of the arithmetic change the details of
each run, so :func:`at_the_edge` reduces a run to what is robust to them: the first measured
step at which the sharpness reaches 2/η, the median and the 10–90 % range of sharpness × η/2
from then on, and how often the loss rises from one step to the next meanwhile.

Examples
--------
>>> model, history = train(steps=40, sharpness_every=20)
>>> history.loss.shape, history.sharpness.shape
((3, 41), (3, 3))
>>> edge = at_the_edge(history, require=False)
>>> len(edge.median_ratio)
3
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from lrsim._validation import as_count, as_float_array
from lrsim.experiments import EDGE_OF_STABILITY
from lrsim.network import Sequential
from lrsim.sharpness import SharpnessHistory, full_batch_descent

__all__ = ["RATES", "SHARPNESS_EVERY", "STEPS", "AtTheEdge", "at_the_edge", "train"]

RATES = (0.25, 0.5, 1.0)
"""The learning rates η; their thresholds 2/η are 8, 4 and 2."""
STEPS = 600
SHARPNESS_EVERY = 20
"""Steps between two measurements of the sharpness (Lanczos, 10 iterations)."""


def train(
    rates: ArrayLike = RATES, *, steps: int = STEPS, sharpness_every: int = SHARPNESS_EVERY
) -> tuple[Sequential, SharpnessHistory]:
    """Full-batch gradient descent from one initialisation (seed 0), one ensemble member per
    learning rate; returns the trained model and what :func:`full_batch_descent` measured."""
    rates = np.atleast_1d(as_float_array(rates, "rates", positive=True))
    steps = as_count(steps, "steps")
    sharpness_every = as_count(sharpness_every, "sharpness_every")
    data = EDGE_OF_STABILITY.data()
    model = EDGE_OF_STABILITY.model(seed=[0] * rates.size)
    history = full_batch_descent(
        model, data.x_train, data.y_train, learning_rate=rates, steps=steps,
        sharpness_every=sharpness_every, iterations=10,
    )  # fmt: skip
    return model, history


@dataclass(frozen=True)
class AtTheEdge:
    """Per learning rate, the run from the first measured step with sharpness ≥ 2/η on.

    Attributes
    ----------
    first_reach : tuple of int
        The first measured step at which the sharpness is at least 2/η (-1 if never).
    median_ratio, low, high : tuple of float
        The median, 10 % and 90 % quantiles of sharpness × η/2 from then on (NaN if never).
    rising_loss : tuple of float
        The share of steps from then on whose loss is above the step before's.
    """

    first_reach: tuple[int, ...]
    median_ratio: tuple[float, ...]
    low: tuple[float, ...]
    high: tuple[float, ...]
    rising_loss: tuple[float, ...]


def at_the_edge(history: SharpnessHistory, *, require: bool = True) -> AtTheEdge:
    """Summarise each member of ``history`` after its sharpness first reached 2/η.

    With ``require`` (the default) a member that never reaches 2/η is an error: the page's
    prose is about runs that do.

    Examples
    --------
    >>> from lrsim.sharpness import SharpnessHistory
    >>> history = SharpnessHistory(
    ...     learning_rate=np.array([1.0]), loss=np.array([[3.0, 2.0, 2.5, 1.0, 1.5]]),
    ...     sharpness_step=np.array([0, 2, 4]), sharpness=np.array([[1.0, 2.0, 1.8]]),
    ...     overflow_step=np.array([np.inf]))
    >>> edge = at_the_edge(history)
    >>> edge.first_reach, edge.median_ratio, edge.rising_loss
    ((2,), (0.95,), (0.5,))
    """
    thresholds = np.atleast_1d(history.threshold)
    sharpness = np.atleast_2d(history.sharpness)
    losses = np.atleast_2d(history.loss)
    columns: list[list[float]] = [[], [], [], [], []]
    for member, threshold in enumerate(thresholds):
        reached = np.flatnonzero(sharpness[member] >= threshold)
        if not reached.size:
            if require:
                raise ValueError(f"member {member} never reaches 2/η = {threshold:g}")
            for column, value in zip(columns, (-1, np.nan, np.nan, np.nan, np.nan), strict=True):
                column.append(value)
            continue
        after = sharpness[member, reached[0] :] / threshold
        first = int(history.sharpness_step[reached[0]])
        rising = float(np.mean(np.diff(losses[member, first:]) > 0))
        values = (
            first,
            float(np.median(after)),
            float(np.quantile(after, 0.1)),
            float(np.quantile(after, 0.9)),
            rising,
        )
        for column, value in zip(columns, values, strict=True):
            column.append(value)
    first_reach, median_ratio, low, high, rising_loss = map(tuple, columns)
    return AtTheEdge(tuple(int(step) for step in first_reach), median_ratio, low, high, rising_loss)
