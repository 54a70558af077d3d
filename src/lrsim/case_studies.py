"""Part III's experiment: the blog post's three Keras configurations, a learning-rate sweep, and
each of the post's claims beside what was measured.

The post shows Adam at ``1e-4`` ("slow but reliable"), at ``1e-3`` with ``ReduceLROnPlateau``
("a reasonable starting point") and at ``1e-1`` ("highly likely to diverge") without a model or
data. Here they run on :data:`lrsim.experiments.CASE_STUDY` from :data:`SEEDS`, in
``float32`` on Keras's TensorFlow backend (the post's ``tf.keras``), each grid of learning
rates × seeds as one ensemble (:func:`train_grid`). :meth:`Grid.summary` reduces one learning
rate's members to what the page reports (:class:`Summary`), and :func:`claims` turns three
summaries into the verdicts of the page's table, as data.

Examples
--------
>>> from lrsim.optimizers import Adam
>>> grid = train_grid(Adam, [1e-3, 1e-1], seeds=[0, 1], epochs=3)
>>> grid.history.ensemble_size, grid.model.dtype
(4, 'float32')
>>> summary = grid.summary(1e-1)
>>> summary.curves["val_loss"].shape, summary.diverged.tolist()
((3, 2), [False, False])
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

from lrsim._validation import as_count, as_float_array, as_real, as_seeds
from lrsim.callbacks import Callback, ReduceLROnPlateau
from lrsim.datasets import Dataset
from lrsim.diagnostics import EpochDiagnostics
from lrsim.experiments import CASE_STUDY
from lrsim.network import Sequential
from lrsim.optimizers import Optimizer
from lrsim.summaries import epochs_to_reach, learning_rate_cuts
from lrsim.tables import format_number
from lrsim.training import History, fit

__all__ = [
    "AT_CHANCE",
    "BACKEND",
    "DTYPE",
    "EPOCHS",
    "OTHER_BACKEND",
    "PLATEAU_RATES",
    "RATES",
    "SEEDS",
    "TARGET_ACCURACY",
    "Claim",
    "Grid",
    "Summary",
    "backend_gaps",
    "best_rate",
    "claims",
    "failure_edge",
    "mean_change",
    "models",
    "plateau_callback",
    "train_grid",
]

FloatArray = NDArray[np.float64]

SEEDS: tuple[int, ...] = tuple(range(10))
"""Seed s fixes the initial weights and the shuffling order, the same in every configuration."""
EPOCHS = 100
DTYPE = "float32"
"""Keras's default precision."""
BACKEND = "tensorflow"
"""The post's ``tf.keras``, and Keras 3's default: the cross-entropy from the logits."""
OTHER_BACKEND = "jax"
"""Clips probabilities at 1e-7, as torch and NumPy do: shown where it changes an outcome."""
AT_CHANCE = 0.40
"""A final validation accuracy at or below this is "at chance" (three classes: 1/3)."""
TARGET_ACCURACY = 0.80
"""The validation accuracy whose first epoch measures speed."""
RATES: FloatArray = 10.0 ** (np.arange(-15, 1) / 3)
"""The sweep: 1e-5 to 1, three per decade; it holds the post's 1e-4 and 1e-1."""
PLATEAU_RATES = (1e-3, 1e-1)
"""The post's second configuration, and the same callback at 1e-1, which the post does not try."""


def plateau_callback() -> ReduceLROnPlateau:
    """The post's ``ReduceLROnPlateau(monitor='val_loss', factor=0.1, patience=5)``."""
    return ReduceLROnPlateau(monitor="val_loss", factor=0.1, patience=5)


def models(seeds: Sequence[int] = SEEDS, backend: str = BACKEND) -> Sequential:
    """The case-study network, untrained, one ensemble member per seed, in :data:`DTYPE`."""
    return CASE_STUDY.model(list(seeds), dtype=DTYPE, backend=backend)


def mean_change(values: ArrayLike) -> Any:
    """The mean absolute change between consecutive entries, along the first axis (NaN skipped).

    Examples
    --------
    >>> mean_change([1.0, 0.5, 0.75])
    0.375
    """
    changes = np.abs(np.diff(np.asarray(values, dtype=np.float64), axis=0))
    return np.nanmean(changes, axis=0) if changes.ndim > 1 else float(np.nanmean(changes))


def _count(mask: ArrayLike) -> int:
    return int(np.count_nonzero(mask))


def _median(values: ArrayLike) -> float:
    return float(np.nanmedian(np.asarray(values)))


def _floats(values: ArrayLike) -> FloatArray:
    return np.asarray(values, dtype=np.float64)


@dataclass(frozen=True)
class Summary:
    """One configuration's members (one per seed) at one learning rate, epoch by epoch.

    Attributes
    ----------
    rate : float
        The learning rate the members started with.
    curves : dict of str to numpy.ndarray
        Every History entry as an (epochs, seeds) array, ``learning_rate`` included.
    diverged : numpy.ndarray of bool
        Per seed: the loss became NaN or inf, or the final val_loss is not below the untrained
        network's (what a reader of a Keras log calls diverged).
    dead_per_epoch, dead_layer_per_epoch, saturated_per_epoch : numpy.ndarray
        (epochs, seeds): dead ReLU fraction, a whole hidden layer dead, share of validation
        samples with a true-class probability of 1e-7 or less.
    """

    rate: float
    curves: dict[str, FloatArray]
    diverged: NDArray[np.bool_]
    dead_per_epoch: FloatArray
    dead_layer_per_epoch: NDArray[np.bool_]
    saturated_per_epoch: FloatArray

    @property
    def n_seeds(self) -> int:
        """How many members (seeds) the summary holds."""
        return int(self.curves["loss"].shape[1])

    @property
    def final_val_loss(self) -> FloatArray:
        """Per seed, the val_loss of the last epoch."""
        return _floats(self.curves["val_loss"][-1])

    @property
    def best_val_loss(self) -> FloatArray:
        """Per seed, the lowest val_loss of any epoch."""
        return _floats(np.nanmin(self.curves["val_loss"], axis=0))

    @property
    def final_val_accuracy(self) -> FloatArray:
        """Per seed, the val_accuracy of the last epoch."""
        return _floats(self.curves["val_accuracy"][-1])

    @property
    def best_val_accuracy(self) -> FloatArray:
        """Per seed, the highest val_accuracy of any epoch."""
        return _floats(np.nanmax(self.curves["val_accuracy"], axis=0))

    @property
    def at_chance(self) -> NDArray[np.bool_]:
        """Per seed: the final val_accuracy is :data:`AT_CHANCE` or less (or NaN)."""
        return ~(self.final_val_accuracy > AT_CHANCE)

    @property
    def dead(self) -> FloatArray:
        """Per seed, the fraction of dead ReLUs after the last epoch."""
        return _floats(self.dead_per_epoch[-1])

    @property
    def saturated(self) -> FloatArray:
        """Per seed, the fraction of saturated validation samples after the last epoch."""
        return _floats(self.saturated_per_epoch[-1])

    @property
    def epochs_to_target(self) -> NDArray[np.int64]:
        """Per seed: epochs to reach :data:`TARGET_ACCURACY` validation accuracy (-1 if never)."""
        first = epochs_to_reach(self.curves["val_accuracy"], TARGET_ACCURACY)
        return np.asarray(first, dtype=np.int64)

    @property
    def cuts(self) -> list[NDArray[np.int64]]:
        """Per seed: the 0-based epochs whose val_loss made the callback cut the learning rate."""
        return learning_rate_cuts(self.curves["learning_rate"])

    @property
    def reached(self) -> int:
        """How many seeds reached :data:`TARGET_ACCURACY`."""
        return _count(self.epochs_to_target > 0)

    @property
    def median_epochs_to_target(self) -> float:
        """The median epochs to :data:`TARGET_ACCURACY` of the seeds that reached it (NaN if none)."""
        return _median(self.epochs_to_target[self.epochs_to_target > 0])

    @property
    def oscillation(self) -> float:
        """Median over seeds of the mean absolute change of val_loss between epochs, last 50 epochs."""
        return _median(mean_change(self.curves["val_loss"][-51:]))

    @property
    def spikes(self) -> NDArray[np.int64]:
        """Per seed, the epochs whose training loss is more than 1.5 times the previous one's."""
        loss = self.curves["loss"]
        return np.asarray(np.count_nonzero(loss[1:] > 1.5 * loss[:-1], axis=0), dtype=np.int64)

    @property
    def rise(self) -> FloatArray:
        """Per seed, the final val_loss over the best: how far it drifted up from its best."""
        return self.final_val_loss / self.best_val_loss

    @property
    def cut_seeds(self) -> int:
        """How many seeds had their learning rate cut at least once."""
        return sum(len(cuts) > 0 for cuts in self.cuts)

    def still_improving(self, window: int = 5, min_delta: float = 1e-4) -> int:
        """Seeds whose best val_loss of the last ``window`` epochs beats the best before by
        more than ``min_delta`` (the callback's own test of an improvement)."""
        window = as_count(window, "window")
        min_delta = as_real(min_delta, "min_delta", low=0)
        val_loss = self.curves["val_loss"]
        before = np.nanmin(val_loss[:-window], axis=0)
        return _count(np.nanmin(val_loss[-window:], axis=0) < before - min_delta)

    def measures(self) -> dict[str, float | int]:
        """The page's headline numbers, medians over seeds unless a count.

        ``epochs_to_target`` is -1.0 when no seed reached the target.
        """
        reached = self.epochs_to_target[self.epochs_to_target > 0]
        return {
            "final_val_loss": _median(self.final_val_loss),
            "best_val_loss": _median(self.best_val_loss),
            "final_acc": _median(self.final_val_accuracy),
            "best_acc": _median(self.best_val_accuracy),
            "reached": self.reached,
            "diverged": _count(self.diverged),
            "at_chance": _count(self.at_chance),
            "dead": _median(self.dead),
            "oscillation": self.oscillation,
            "spikes": int(np.median(self.spikes)),
            "cut_seeds": self.cut_seeds,
            "min_final_acc": float(np.nanmin(self.final_val_accuracy)),
            "epochs_to_target": _median(reached) if reached.size else -1.0,
        }


@dataclass(frozen=True)
class Grid:
    """Models trained at every learning rate × seed as one ensemble, by :func:`train_grid`.

    Member ``i * len(seeds) + s`` trained at ``rates[i]`` from ``seeds[s]``.
    """

    rates: FloatArray
    seeds: tuple[int, ...]
    untrained_val_loss: FloatArray
    history: History
    model: Sequential
    inside: EpochDiagnostics

    def members(self, rate: float) -> slice:
        """The ensemble members that trained at ``rate`` (one of :attr:`rates`)."""
        rate = as_real(rate, "rate", low=0, low_open=True)
        matches = np.flatnonzero(np.isclose(self.rates, rate))
        if not matches.size:
            raise ValueError(
                f"rate must be one of the grid's rates {self.rates.tolist()}, got {rate}"
            )
        index = int(matches[0])
        return slice(index * len(self.seeds), (index + 1) * len(self.seeds))

    def summary(self, rate: float) -> Summary:
        """The members at ``rate``, summarised."""
        members = self.members(rate)
        curves = {
            key: np.asarray(values, dtype=float)[:, members]
            for key, values in self.history.history.items()
        }
        if "learning_rate" not in curves:
            curves["learning_rate"] = np.full_like(curves["loss"], rate)
        divergence = np.array([event is not None for event in self.history.divergence])
        diverged = divergence[members] | ~(
            curves["val_loss"][-1] < self.untrained_val_loss[members]
        )
        return Summary(
            rate=rate,
            curves=curves,
            diverged=diverged,
            dead_per_epoch=np.asarray(self.inside.dead)[:, members],
            dead_layer_per_epoch=np.asarray(self.inside.dead_layer)[:, members],
            saturated_per_epoch=np.asarray(self.inside.saturated)[:, members],
        )

    def summaries(self) -> list[Summary]:
        """One summary per learning rate, in the order of :attr:`rates`."""
        return [self.summary(rate) for rate in self.rates]

    def gradient_norms(self, rate: float, data: Dataset) -> FloatArray:
        """Per seed at ``rate``: the norm of the whole training set's loss gradient, as trained."""
        _, gradients = self.model.loss_and_gradients(data.x_train, data.y_train)
        with np.errstate(all="ignore"):
            squares = sum((g.reshape(len(g), -1) ** 2).sum(axis=1) for g in gradients)
        return _floats(np.sqrt(squares))[self.members(rate)]


def train_grid(
    optimizer_class: type[Optimizer[Any]],
    rates: ArrayLike,
    callbacks: Sequence[Callback] = (),
    *,
    backend: str = BACKEND,
    seeds: Sequence[int] = SEEDS,
    epochs: int = EPOCHS,
) -> Grid:
    """Train the case-study network at every learning rate × seed in one ensemble.

    Parameters
    ----------
    optimizer_class : type
        :class:`~lrsim.optimizers.Adam` or :class:`~lrsim.optimizers.SGD`, built with Keras's
        defaults, one learning rate per member, in :data:`DTYPE`.
    rates : array_like
        Learning rates, each > 0.
    callbacks : sequence of Callback
        Besides the :class:`~lrsim.diagnostics.EpochDiagnostics` the grid records.
    backend : {"tensorflow", "jax"}
        Whose cross-entropy the model computes.
    seeds : sequence of int
        One member per seed and rate.
    epochs : int
        Epochs of :func:`~lrsim.training.fit`, batches of 32.
    """
    rates = np.atleast_1d(as_float_array(rates, "rates", positive=True))
    seed_list, _ = as_seeds(list(seeds), "seeds")
    epochs = as_count(epochs, "epochs")
    data = CASE_STUDY.data()
    members = seed_list * len(rates)
    model = models(members, backend)
    untrained = np.asarray(model.evaluate(data.x_val, data.y_val)["loss"], dtype=float)
    optimizer = optimizer_class(learning_rate=np.repeat(rates, len(seed_list)), dtype=DTYPE)
    inside = EpochDiagnostics(data.x_train, data.x_val, data.y_val)
    history = fit(
        model, optimizer, data.x_train, data.y_train, epochs=epochs,
        validation_data=data.validation_data, seed=members, callbacks=[*callbacks, inside],
    )  # fmt: skip
    return Grid(rates, tuple(seed_list), untrained, history, model, inside)


class Claim(NamedTuple):
    """One of the post's claims beside the measurement that tests it."""

    configuration: str
    claim: str
    measured: str
    holds: bool
    verdict: str


def claims(slow: Summary, default: Summary, high: Summary) -> list[Claim]:
    """The post's seven claims about its three configurations, each with its verdict.

    Parameters
    ----------
    slow, default, high : Summary
        ``Adam(1e-4)``, ``Adam(1e-3) + ReduceLROnPlateau`` and ``Adam(1e-1)``, same seeds.
    """
    n = slow.n_seeds
    slow_diverged, default_diverged = _count(slow.diverged), _count(default.diverged)
    high_epochs, default_epochs = high.median_epochs_to_target, default.median_epochs_to_target
    default_safe = default_diverged == 0 and _median(default.final_val_accuracy) > 0.8
    high_better = _median(high.best_val_loss) < _median(default.best_val_loss)
    rise = _median(high.rise)
    slow_claims = [
        Claim(
            "`Adam(1e-4)`",
            "slow: needs many more epochs",
            f"{slow.reached}/{n} seeds reach val_accuracy {TARGET_ACCURACY:.2f} in "
            f"{EPOCHS} epochs (`1e-3`: {default.reached}/{n}); median final val_accuracy "
            f"{_median(slow.final_val_accuracy):.2f}",
            slow.reached < default.reached,
            "holds" if slow.reached < default.reached else "does not hold",
        ),
        Claim(
            "`Adam(1e-4)`",
            "reliable: stable training",
            f"{slow_diverged}/{n} diverged; val_loss at epoch {EPOCHS} below its start in "
            f"{n - slow_diverged}/{n}; {_count(slow.at_chance)}/{n} still at or below "
            f"{AT_CHANCE:.2f} accuracy",
            slow_diverged == 0,
            "holds (slowly)" if slow_diverged == 0 else "does not hold",
        ),
    ]
    default_claims = [
        Claim(
            "`Adam(1e-3) + ReduceLROnPlateau`",
            "a reasonable starting point",
            f"median final val_loss {_median(default.final_val_loss):.3f} (best "
            f"{_median(default.best_val_loss):.3f}), val_accuracy "
            f"{_median(default.final_val_accuracy):.2f}; {default_diverged}/{n} diverged",
            default_safe,
            ("holds: safe" + (", though `1e-1` did better here" if high_better else ""))
            if default_safe
            else "does not hold",
        ),
        Claim(
            "`Adam(1e-3) + ReduceLROnPlateau`",
            "the callback cuts the LR on a plateau for stable fine-tuning",
            f"learning rate cut in {default.cut_seeds}/{n} seeds; val_loss still improving by "
            f"more than {format_number(1e-4, '.0e')} over the last 5 epochs in "
            f"{default.still_improving()}/{n}",
            default.cut_seeds > 0,
            "holds"
            if default.cut_seeds > 0
            else f"never triggered: no plateau within {EPOCHS} epochs",
        ),
    ]
    high_claims = [
        Claim(
            "`Adam(1e-1)`",
            "highly likely to diverge",
            f"{_count(high.diverged)}/{n} diverged; {_count(high.at_chance)}/{n} end at "
            f"chance; median final val_accuracy {_median(high.final_val_accuracy):.2f}",
            _count(high.diverged) >= n / 2,
            "holds" if _count(high.diverged) >= n / 2 else "does not hold",
        ),
        Claim(
            "`Adam(1e-1)`",
            "significant oscillations prevent convergence",
            f"epoch-to-epoch val_loss change {high.oscillation / default.oscillation:.1f}× "
            f"that of `1e-3`; median {int(np.median(high.spikes))} training-loss spikes "
            f"(>1.5×) per seed; reaches {TARGET_ACCURACY:.2f} in a median {high_epochs:.0f} "
            f"epochs (`1e-3`: {default_epochs:.0f})",
            high.reached < n / 2,
            "holds"
            if high.reached < n / 2
            else "half: it oscillates, but converges"
            + (" first and fastest" if high_epochs < default_epochs else ""),
        ),
        Claim(
            "`Adam(1e-1)`",
            "validation loss increases dramatically",
            f"final/best val_loss {rise:.2f}× (median); highest val_loss of any seed "
            f"{float(np.nanmax(high.curves['val_loss'])):.2f}",
            rise > 2,
            "holds" if rise > 2 else "mild: it drifts up from its best",
        ),
    ]
    return [*slow_claims, *default_claims, *high_claims]


def failure_edge(summaries: Sequence[Summary]) -> float:
    """The smallest learning rate from which every larger one has half its seeds failed
    (diverged or at chance); NaN if there is none. ``summaries`` in increasing rate."""
    failed = np.array([np.mean(s.diverged | s.at_chance) >= 0.5 for s in summaries])
    ok = np.flatnonzero(~failed)
    if ok.size and ok[-1] + 1 < len(summaries):
        return float(summaries[ok[-1] + 1].rate)
    return float("nan")


def best_rate(summaries: Sequence[Summary]) -> float:
    """The learning rate with the lowest median final val_loss."""
    return float(summaries[int(np.nanargmin([_median(s.final_val_loss) for s in summaries]))].rate)


def backend_gaps(
    first: Sequence[Summary], second: Sequence[Summary]
) -> tuple[FloatArray, FloatArray]:
    """Per learning rate, how two backends' runs differ: the relative gap of their median
    final val_losses, and the largest gap of one seed's final val_loss between them."""
    if len(first) != len(second):
        raise ValueError(f"first and second must be as long, got {len(first)} and {len(second)}")
    relative = np.array(
        [
            abs(_median(a.final_val_loss) / _median(b.final_val_loss) - 1)
            for a, b in zip(first, second, strict=True)
        ]
    )
    largest = np.array(
        [
            np.nanmax(np.abs(a.final_val_loss - b.final_val_loss))
            for a, b in zip(first, second, strict=True)
        ]
    )
    return relative, largest
