"""The learning-rate range test (Smith 2017) as fastai's ``lr_find`` runs it, and its suggestions.

The test trains for a fixed number of mini-batch steps while the learning rate grows
exponentially, step k at ``start * (end / start) ** (k / steps)`` (fastai's ``SchedExp``: the
last step stays one factor short of ``end``), and records each batch's loss (computed before
that batch's update, as Keras does). Batches are fastai's: full batches of fresh shuffles of
the training set, the partial last batch of each epoch dropped. It smooths the losses with an
exponential moving average with bias correction, as fastai's ``AvgSmoothLoss`` does::

    average_k = smoothing * average_{k-1} + (1 - smoothing) * loss_k
    smoothed_k = average_k / (1 - smoothing ** (k + 1))

and stops a run once its smoothed loss exceeds ``divergence_factor`` times the lowest
smoothed loss so far (fastai: 4), an infinite one included. A NaN passes that comparison, so
a run whose smoothed loss turns NaN goes on to the last step, as fastai's does; the suggestions
only look at the steps before the first NaN. The model's weights and the optimizer's state
(iterations, moments, learning rate) are restored at the end, as fastai reloads both, so the
test can be followed by real training.

An ensemble model (built with K seeds) runs K range tests at once, one per member, all on the
same sequence of batches; each member stops on its own.

The three suggestion rules are fastai's (``fastai/callback/schedule.py``), applied to the
smoothed losses with the first ``steps // 10`` and the last 5 recorded steps dropped:
:meth:`RangeTest.suggest_steepest` (``steep``), :meth:`RangeTest.suggest_minimum`
(``minimum``: the loss-minimising rate divided by 10) and :meth:`RangeTest.suggest_valley`
(``valley``, fastai's default).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from lrsim._validation import as_count, as_features, as_float_array, as_real
from lrsim.network import Sequential
from lrsim.optimizers import Optimizer, copy_state
from lrsim.training import shuffled_batches

__all__ = ["RangeTest", "lr_range_test"]

FloatArray = NDArray[np.float64]

SKIP_END = 5
"""Recorded steps fastai's suggestions drop at the end of a run."""


@dataclass(frozen=True)
class RangeTest:
    """The record of a learning-rate range test.

    Attributes
    ----------
    learning_rates : numpy.ndarray
        (steps,): the rate planned for each step, geometric from start towards end.
    losses : numpy.ndarray
        (steps, K) raw batch losses, NaN after a member stopped.
    smoothed_losses : numpy.ndarray
        (steps, K) bias-corrected moving averages of ``losses``, NaN after a member stopped.
    stop_steps : numpy.ndarray
        (K,) ints: the last step each member ran (``steps - 1`` unless it diverged).
    stop_reasons : tuple of str
        Per member: ``"diverged"`` (smoothed loss above ``divergence_factor`` × its minimum,
        or infinite), ``"non-finite"`` (smoothed loss NaN: the run went on to the end, as
        fastai's does) or ``"completed"``.
    """

    learning_rates: FloatArray
    losses: FloatArray
    smoothed_losses: FloatArray
    stop_steps: NDArray[np.intp]
    stop_reasons: tuple[str, ...]

    def _windows(self) -> list[tuple[FloatArray, FloatArray]]:
        """Per member: (rates, smoothed losses) the suggestion rules look at."""
        skip_start = len(self.learning_rates) // 10
        windows = []
        for member, stop in enumerate(self.stop_steps):
            end = max(int(stop) + 1 - SKIP_END, skip_start + 2)
            losses = self.smoothed_losses[skip_start:end, member]
            finite = np.isfinite(losses)
            # fastai cuts the window at the first NaN (a NaN run went on to the last step).
            cut = int(np.argmin(finite)) if not finite.all() else losses.size
            windows.append((self.learning_rates[skip_start : skip_start + cut], losses[:cut]))
        return windows

    def suggest_steepest(self) -> FloatArray:
        """Return, per member, the rate where the smoothed loss falls fastest against log(lr).

        fastai's ``steep``: the forward difference ``(l[i+1] - l[i]) / (log lr[i+1] - log
        lr[i])`` is most negative at i; the suggestion is ``lr[i]``.

        Examples
        --------
        >>> rates = np.geomspace(1e-4, 1, 41)
        >>> drop = RangeTest.from_losses(rates, 2 - np.tanh(3 * (np.log10(rates) + 2)),
        ...                              smoothing=0.0)
        >>> drop.suggest_steepest().round(6)
        array([0.01])
        """
        suggestions = []
        for rates, losses in self._windows():
            slopes = np.diff(losses) / np.diff(np.log(rates))
            suggestions.append(rates[int(np.argmin(slopes))] if slopes.size else np.nan)
        return np.asarray(suggestions, dtype=np.float64)

    def suggest_minimum(self) -> FloatArray:
        """Return, per member, a tenth of the rate with the lowest smoothed loss (``minimum``).

        Examples
        --------
        >>> rates = np.geomspace(1e-4, 1, 41)
        >>> bowl = RangeTest.from_losses(rates, 1 + (np.log10(rates) + 2) ** 2, smoothing=0.0)
        >>> bowl.suggest_minimum().round(6)
        array([0.001])
        """
        return np.asarray(
            [rates[int(np.argmin(losses))] / 10 for rates, losses in self._windows()],
            dtype=np.float64,
        )

    def suggest_valley(self) -> FloatArray:
        """Return, per member, fastai's ``valley`` rate (its default suggestion).

        Take the longest strictly decreasing subsequence of the smoothed losses (its points
        need not be consecutive, so an uptick does not end it); if it has L points and ends
        at index e, the suggestion is at index e - L + ⌊L/3⌋ + ⌊L/6⌋: about halfway along the
        span it covers (fastai's comment says "roughly 2/3", which the arithmetic is not).
        For a subsequence of two ending at index 1 that index is -1, which Python, in fastai
        as here, reads as the last rate of the window.

        Examples
        --------
        >>> rates = np.geomspace(1e-4, 1, 41)
        >>> drop = RangeTest.from_losses(rates, 2 - np.tanh(3 * (np.log10(rates) + 2)),
        ...                              smoothing=0.0)
        >>> drop.suggest_valley().round(4)
        array([0.0063])
        """
        suggestions = []
        for rates, losses in self._windows():
            count = losses.size
            lengths = np.ones(count, dtype=np.intp)
            for i in range(1, count):
                longer = losses[:i] > losses[i]
                if longer.any():
                    lengths[i] = int(lengths[:i][longer].max()) + 1
            end = int(np.argmax(lengths))  # first index with the longest run, as fastai
            # fastai starts from index 0 and moves only on a run longer than 1.
            start = end - int(lengths[end]) if end > 0 else 0
            third = (end - start) / 3
            suggestions.append(rates[start + int(third) + int(third / 2)])
        return np.asarray(suggestions, dtype=np.float64)

    @classmethod
    def from_losses(
        cls,
        learning_rates: ArrayLike,
        losses: ArrayLike,
        *,
        smoothing: float = 0.98,
        divergence_factor: float = 4.0,
    ) -> RangeTest:
        """Build a record from losses measured elsewhere (one column per run), then stop rules.

        Parameters
        ----------
        learning_rates : array_like
            (steps,) rates, positive.
        losses : array_like
            (steps,) or (steps, K) raw losses; non-finite values are allowed.
        smoothing, divergence_factor : float
            As in :func:`lr_range_test`.

        Examples
        --------
        >>> result = RangeTest.from_losses([1e-3, 1e-2, 1e-1, 1.0], [1.0, 0.5, 8.0, 100.0],
        ...                                smoothing=0.0)
        >>> result.stop_steps, result.stop_reasons
        (array([2]), ('diverged',))
        """
        rates = as_float_array(learning_rates, "learning_rates", positive=True)
        raw = np.asarray(losses, dtype=np.float64)
        raw = raw[:, None] if raw.ndim == 1 else raw
        if rates.ndim != 1 or raw.shape[0] != rates.size or raw.ndim != 2:
            raise ValueError(
                f"losses must have shape (steps,) or (steps, K) with steps = {rates.size}, "
                f"got {np.shape(losses)}"
            )
        tracker = _Smoother(raw.shape[1], smoothing, divergence_factor)
        for step, loss in enumerate(raw):
            tracker.update(step, loss)
            if tracker.stopped.all():
                break
        return tracker.result(rates, raw)


class _Smoother:
    """The moving average, its running minimum and the stop rule, per member."""

    def __init__(self, members: int, smoothing: float, divergence_factor: float) -> None:
        self.smoothing = as_real(smoothing, "smoothing", low=0.0, high=1.0, high_open=True)
        self.factor = as_real(divergence_factor, "divergence_factor", low=1.0, low_open=True)
        self.average = np.zeros(members)
        self.best = np.full(members, np.inf)
        self.stopped = np.zeros(members, dtype=bool)
        self.stop_steps = np.zeros(members, dtype=np.intp)
        self.reasons = ["completed"] * members
        self.smoothed: list[FloatArray] = []

    def update(self, step: int, loss: FloatArray) -> None:
        with np.errstate(all="ignore"):
            self.average = self.smoothing * self.average + (1 - self.smoothing) * loss
            smoothed = self.average / (1 - self.smoothing ** (step + 1))
            running = ~self.stopped
            self.smoothed.append(np.where(running, smoothed, np.nan))
            self.best = np.where(running, np.fmin(self.best, smoothed), self.best)
            # fastai's test is `smooth_loss > 4 * best_loss`: False for NaN, True for inf.
            diverged = running & (smoothed > self.factor * self.best)
        for member in np.flatnonzero(running & np.isnan(smoothed)):
            self.reasons[member] = "non-finite"
        for member in np.flatnonzero(diverged):
            self.reasons[member] = "diverged"
        self.stop_steps[running] = step
        self.stopped |= diverged

    def result(self, rates: FloatArray, raw: FloatArray) -> RangeTest:
        steps = len(rates)
        after_stop = np.arange(steps)[:, None] > self.stop_steps[None, :]
        losses = np.where(after_stop, np.nan, raw.astype(np.float64))
        smoothed = np.full_like(losses, np.nan)
        smoothed[: len(self.smoothed)] = self.smoothed
        return RangeTest(
            learning_rates=rates,
            losses=losses,
            smoothed_losses=smoothed,
            stop_steps=self.stop_steps.copy(),
            stop_reasons=tuple(self.reasons),
        )


def lr_range_test(
    model: Sequential,
    optimizer: Optimizer[Any],
    x: ArrayLike,
    y: ArrayLike,
    *,
    start_learning_rate: float = 1e-7,
    end_learning_rate: float = 10.0,
    steps: int = 100,
    batch_size: int = 32,
    smoothing: float = 0.98,
    divergence_factor: float = 4.0,
    seed: int | np.random.Generator | None = None,
) -> RangeTest:
    """Run the learning-rate range test on ``model`` with ``optimizer``; restore both.

    Step k (0-based) uses the rate ``start * (end / start) ** (k / steps)`` on the k-th
    mini-batch of a sequence of epochs, each a fresh shuffle of the training set drawn from
    ``seed``, cut into full batches (the partial last batch dropped, as fastai's training
    loader does).

    Parameters
    ----------
    model : Sequential
        One model, or an ensemble whose K members run K tests at once.
    optimizer : Optimizer
        An optimizer of the model's dtype; for an ensemble, one with K learning rates. The
        test starts from its state (built for the model's weights if it was not) and steps a
        copy of it: the optimizer is as before when the test returns.
    x, y : array_like
        Training features (samples, input_dim) and one-hot labels (samples, classes).
    start_learning_rate, end_learning_rate : float
        0 < start < end (fastai: 1e-7 and 10).
    steps : int, default 100
        Number of mini-batch steps, >= 10 (fastai's ``num_it``).
    batch_size : int, default 32
        From 1 to the number of samples.
    smoothing : float, default 0.98
        Weight of the past in the moving average, in [0, 1) (fastai's ``beta``).
    divergence_factor : float, default 4
        > 1: a run stops once its smoothed loss exceeds this multiple of its minimum.
    seed : int, Generator or None
        Seeds the batch order.

    Returns
    -------
    RangeTest

    Examples
    --------
    >>> from lrsim.datasets import spirals
    >>> from lrsim.network import Dense, Sequential
    >>> from lrsim.optimizers import SGD
    >>> data = spirals(n_samples=300, seed=0)
    >>> model = Sequential([Dense(16, "relu"), Dense(3, "softmax")], input_dim=2, seed=[0, 1])
    >>> result = lr_range_test(model, SGD([0.1, 0.1]), data.x_train, data.y_train,
    ...                        start_learning_rate=1e-3, end_learning_rate=1e3, seed=0)
    >>> result.losses.shape[1], result.stop_reasons
    (2, ('diverged', 'diverged'))
    >>> bool(np.all(result.learning_rates[result.stop_steps] > 1.0))
    True
    """
    start = float(as_float_array(start_learning_rate, "start_learning_rate", positive=True))
    end = float(as_float_array(end_learning_rate, "end_learning_rate", positive=True))
    if not end > start:
        raise ValueError(
            f"end_learning_rate must be > start_learning_rate ({start!r}), got {end!r}"
        )
    steps = as_count(steps, "steps", minimum=10)
    batch_size = as_count(batch_size, "batch_size")
    samples = len(as_features(x, "x", model.input_dim))
    if batch_size > samples:
        raise ValueError(
            f"batch_size must be at most the number of samples ({samples}), got {batch_size}"
        )
    batches = shuffled_batches(
        model, x, y, batch_size=batch_size, seed=np.random.default_rng(seed), drop_remainder=True
    )
    members = model.params.shape[0]
    tracker = _Smoother(members, smoothing, divergence_factor)
    rates = start * (end / start) ** (np.arange(steps) / steps)

    # The test steps copies of the optimizer's state with rates of its own, so the optimizer is
    # left as it was; the weights it trains in place are put back.
    optimizer.build([model.params])
    state = copy_state(optimizer.states[0])
    scratch = (np.empty_like(model.params), np.empty_like(model.params))
    initial = model.params.copy()
    raw = np.full((steps, members), np.nan)
    with np.errstate(all="ignore"):
        for step, (x_batch, y_batch) in zip(range(steps), batches, strict=False):
            loss, _ = model.batch_gradients(x_batch, y_batch)
            raw[step] = loss
            tracker.update(step, loss.astype(np.float64))
            if tracker.stopped.all():
                break
            # A stopped member gets rate 0: its weights stay as they were when it stopped.
            rate = np.where(tracker.stopped, 0.0, rates[step])[:, None]
            optimizer.update_in_place(model.params, model.grads, state, rate, scratch=scratch)
    model.params[...] = initial
    return tracker.result(rates, raw)
