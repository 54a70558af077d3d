"""Keras 3 callbacks in NumPy: ReduceLROnPlateau, EarlyStopping, LearningRateScheduler, TerminateOnNaN.

A callback has Keras's hooks (``on_train_begin``, ``on_epoch_begin``, ``on_epoch_end(epoch,
logs)``, ``on_train_batch_end(batch, logs)``, ...) and reads ``self.model``: anything with an
``optimizer`` (an :mod:`lrsim.optimizers` optimizer, whose ``learning_rate`` it may read and
set) and a ``stop_training`` flag, plus ``get_weights``/``set_weights`` for
``EarlyStopping(restore_best_weights=True)``.
:func:`lrsim.training.fit` passes the model it trains; a script can drive a callback with any
such object and a sequence of logs, which is how the book replays a monitor sequence.

The logic follows ``keras/src/callbacks/`` of Keras 3 (3.15+) line by line, quirks included:

* an improvement is strict and ``min_delta`` is absolute: in "min" mode ``current + min_delta
  < best``; the first value always improves (``best`` starts empty and is reset in
  ``on_train_begin``), and a NaN first value becomes a best that nothing beats;
* the comparison happens in float32, because Keras's ``ops.less`` converts both Python
  floats to backend tensors of dtype floatx (float32) before comparing;
* ReduceLROnPlateau reduces when ``wait >= patience``, never below ``min_lr``, does not reset
  ``best`` when it reduces, and decrements its cooldown counter *before* testing it, so
  ``cooldown=c`` pauses counting for c - 1 epochs; it logs ``learning_rate``, the rate used
  during the epoch, before reducing it;
* the new learning rate ``max(lr * factor, min_lr)`` is computed in float64 from the stored
  rate and stored in the optimizer's dtype (float32 in Keras: 0.1 * 0.5 stores
  0.05000000074505806).

Deliberate differences: a monitor missing from the logs raises ValueError naming the
available keys (Keras only warns and does nothing), and invalid arguments raise instead of
being coerced. ``verbose > 0`` logs Keras's messages through the ``logging`` module.

Ensembles: when the logs hold arrays of shape (K,) (one value per member) every callback
keeps its state per member (``best``, ``wait``, ... become (K,) arrays), acts on each member
independently, sets the learning rates of an ensemble optimizer member by member, and sets
``model.stop_training`` to a (K,) boolean array. Member k then behaves exactly as the same
callback in a run of member k alone.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable, MutableMapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from lrsim._validation import as_count, as_flag, as_real, scalar_or_array
from lrsim.schedules import LearningRateSchedule

__all__ = [
    "Callback",
    "EarlyStopping",
    "EnsembleScheduler",
    "LearningRateScheduler",
    "ReduceLROnPlateau",
    "TerminateOnNaN",
]

Logs = MutableMapping[str, Any]

_logger = logging.getLogger("lrsim")

_MODES = ("auto", "min", "max")


def _member_where(mask: NDArray[np.bool_], new: NDArray[Any], old: NDArray[Any]) -> NDArray[Any]:
    """Per member, take ``new`` where ``mask`` else ``old``; arrays carry a leading member axis."""
    return np.where(mask.reshape(mask.shape + (1,) * (np.ndim(new) - mask.ndim)), new, old)


def _running(model: Any, shape: tuple[int, ...]) -> NDArray[np.bool_]:
    """Members that trained this epoch: ``fit`` hands stopped ones NaN logs, which must not
    move their state (``model.running``, set by ``fit``; every member when absent)."""
    return np.broadcast_to(np.asarray(getattr(model, "running", True), dtype=bool), shape)


def _request_stop(model: Any, members: NDArray[np.bool_]) -> None:
    """Set ``model.stop_training`` for ``members``, keeping earlier requests."""
    stop = np.asarray(model.stop_training, dtype=bool) | members
    model.stop_training = bool(stop) if stop.ndim == 0 else stop


class Callback:
    """Base class with Keras's hooks, all doing nothing; subclasses override what they need.

    Examples
    --------
    >>> class Recorder(Callback):
    ...     def on_epoch_end(self, epoch, logs=None):
    ...         print(epoch, logs)
    >>> Recorder().on_epoch_end(0, {"loss": 1.0})
    0 {'loss': 1.0}
    """

    def __init__(self) -> None:
        self.model: Any = None

    def set_model(self, model: Any) -> None:
        """Attach the model (or any object with ``optimizer`` and ``stop_training``)."""
        self.model = model

    def on_train_begin(self, logs: Logs | None = None) -> None:
        """Called once before the first epoch."""

    def on_train_end(self, logs: Logs | None = None) -> None:
        """Called once after the last epoch, with the last epoch's logs."""

    def on_epoch_begin(self, epoch: int, logs: Logs | None = None) -> None:
        """Called before the first batch of ``epoch`` (0-based)."""

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        """Called after the epoch's batches and validation, with the epoch's logs."""

    def on_train_batch_begin(self, batch: int, logs: Logs | None = None) -> None:
        """Called before the update on ``batch`` (0-based within the epoch)."""

    def on_train_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        """Called after the update on ``batch``; logs hold the epoch's running means."""


class _MonitorCallback(Callback):
    """Keras's MonitorCallback: which direction improves, and the float32 comparison; the best
    value and the count of epochs without improvement, per member, from the first monitored
    epoch of each training run."""

    best: NDArray[np.float64]
    """Best monitored value per member (meaningful where a value has been seen)."""
    wait: NDArray[np.int_]
    """Epochs counted without an improvement so far, per member."""
    _has_best: NDArray[np.bool_]

    def __init__(
        self, monitor: str, mode: str, min_delta: float, patience: int, verbose: int
    ) -> None:
        super().__init__()
        if not isinstance(monitor, str):
            raise TypeError(f"monitor must be a str such as 'val_loss', got {monitor!r}")
        given: Any = mode  # checked at run time, whatever the annotation says
        if not isinstance(given, str) or given not in _MODES:
            raise ValueError(f"mode must be one of {_MODES}, got {mode!r}")
        self.monitor = monitor
        self.mode = mode
        self.min_delta = as_real(min_delta, "min_delta", low=0.0)
        if mode == "auto":
            metric = monitor.removeprefix("val_")
            if metric not in ("loss", "accuracy"):
                raise ValueError(
                    f"mode='auto' cannot tell whether monitor={monitor!r} should go down or up; "
                    "pass mode='min' or mode='max'"
                )
            self._maximise = metric == "accuracy"
        else:
            self._maximise = mode == "max"
        self.patience = as_count(patience, "patience", minimum=0)
        self.verbose = as_count(verbose, "verbose", minimum=0)

    def _reset(self, shape: tuple[int, ...]) -> None:
        """Forget everything seen, for members of ``shape`` (``()`` for one model)."""
        self.best = np.full(shape, np.nan)
        self._has_best = np.zeros(shape, dtype=bool)
        self.wait = np.zeros(shape, dtype=int)
        self._started = False

    def _start(self, shape: tuple[int, ...]) -> None:
        """At the first monitored epoch of a run: reset for its members."""
        if not self._started:
            self._reset(shape)
            self._started = True

    def _is_improvement(self, current: NDArray[np.float64], reference: Any) -> NDArray[np.bool_]:
        """``current - delta`` beats ``reference`` (delta = -min_delta when minimising)."""
        delta = self.min_delta if self._maximise else -self.min_delta
        with np.errstate(over="ignore", invalid="ignore"):
            shifted = np.asarray(current - delta, dtype=np.float32)
            best = np.asarray(reference, dtype=np.float32)
        return shifted > best if self._maximise else shifted < best

    def _monitored(self, logs: Logs | None) -> NDArray[np.float64]:
        if logs is None or self.monitor not in logs:
            available = sorted(logs) if logs else []
            raise ValueError(
                f"{type(self).__name__} monitors {self.monitor!r}, which is not in the logs; "
                f"available keys: {available}"
            )
        return np.asarray(logs[self.monitor], dtype=np.float64)

    def _improved(
        self, current: NDArray[np.float64], running: NDArray[np.bool_]
    ) -> NDArray[np.bool_]:
        """Compare with ``best`` per running member, update ``best``, and return who improved."""
        improved: NDArray[np.bool_] = running & (
            ~self._has_best | self._is_improvement(current, self.best)
        )
        self.best = np.where(improved, current, self.best)
        self._has_best = self._has_best | improved
        return improved


class ReduceLROnPlateau(_MonitorCallback):
    """Multiply the learning rate by ``factor`` when ``monitor`` stops improving (Keras 3).

    At each epoch end: log the learning rate of the epoch; leave cooldown (the counter is
    decremented first); if ``current + min_delta < best`` record a new best and reset the
    count, otherwise, outside cooldown, count one more epoch without improvement and, once
    ``patience`` are counted, set the rate to ``max(lr * factor, min_lr)`` (if it is above
    ``min_lr``), start ``cooldown`` and reset the count.

    Parameters
    ----------
    monitor : str, default "val_loss"
        Key of the logs to watch.
    factor : float, default 0.1
        In (0, 1).
    patience : int, default 10
        Epochs without improvement before a reduction, >= 0.
    verbose : int, default 0
        > 0 logs a message (``logging`` at INFO) at each reduction.
    mode : {"auto", "min", "max"}, default "auto"
        "auto" minimises losses and maximises accuracies.
    min_delta : float, default 1e-4
        Absolute margin an improvement must exceed, >= 0.
    cooldown : int, default 0
        Epochs to pause counting after a reduction (effectively ``cooldown - 1``), >= 0.
    min_lr : float, default 0
        Floor of the learning rate, >= 0.

    Examples
    --------
    Replay Keras's worked trace (patience 2, factor 0.5, float32 learning rate 0.1):

    >>> from types import SimpleNamespace
    >>> from lrsim.optimizers import Adam
    >>> model = SimpleNamespace(optimizer=Adam(0.1, dtype="float32"), stop_training=False)
    >>> plateau = ReduceLROnPlateau(factor=0.5, patience=2)
    >>> plateau.set_model(model)
    >>> plateau.on_train_begin()
    >>> used = []
    >>> for epoch, val_loss in enumerate([1.0, 0.9, 0.95, 0.93, 0.92, 0.91, 0.905, 0.95]):
    ...     logs = {"val_loss": val_loss}
    ...     plateau.on_epoch_end(epoch, logs)
    ...     used.append(logs["learning_rate"])
    >>> used  # doctest: +NORMALIZE_WHITESPACE
    [0.10000000149011612, 0.10000000149011612, 0.10000000149011612, 0.10000000149011612,
     0.05000000074505806, 0.05000000074505806, 0.02500000037252903, 0.02500000037252903]
    """

    def __init__(  # noqa: PLR0917 - Keras's signature, positional order included
        self,
        monitor: str = "val_loss",
        factor: float = 0.1,
        patience: int = 10,
        verbose: int = 0,
        mode: str = "auto",
        min_delta: float = 1e-4,
        cooldown: int = 0,
        min_lr: float = 0.0,
    ) -> None:
        super().__init__(monitor, mode, min_delta, patience, verbose)
        self.factor = as_real(factor, "factor", low=0.0, high=1.0, low_open=True, high_open=True)
        self.cooldown = as_count(cooldown, "cooldown", minimum=0)
        self.min_lr = as_real(min_lr, "min_lr", low=0.0)
        self._reset(())

    def _reset(self, shape: tuple[int, ...]) -> None:
        super()._reset(shape)
        self.cooldown_counter: NDArray[np.int_] = np.zeros(shape, dtype=int)
        """Epochs of cooldown left, per member."""

    def on_train_begin(self, logs: Logs | None = None) -> None:
        """Forget the best value, the count and the cooldown (Keras 3.15+)."""
        self._started = False

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        """Log ``learning_rate``, then count, and reduce the rate after ``patience`` epochs."""
        optimizer = self.model.optimizer
        learning_rate = np.asarray(optimizer.learning_rate, dtype=np.float64)
        if logs is not None:
            logs["learning_rate"] = scalar_or_array(learning_rate, np.float64)
        current = self._monitored(logs)
        self._start(current.shape)
        running = _running(self.model, current.shape)
        in_cooldown = running & (self.cooldown_counter > 0)
        self.cooldown_counter = np.where(
            in_cooldown, self.cooldown_counter - 1, self.cooldown_counter
        )
        wait = np.where(in_cooldown, 0, self.wait)
        improved = self._improved(current, running)
        counting = running & ~improved & (self.cooldown_counter <= 0)
        wait = np.where(improved, 0, np.where(counting, wait + 1, wait))
        reduce = counting & (wait >= self.patience)
        # Keras tests lr > float32(min_lr): min_lr rounded as the rate is stored.
        reduce &= learning_rate > float(np.asarray(self.min_lr, dtype=optimizer.dtype))
        if reduce.any():
            reduced = np.maximum(learning_rate * self.factor, self.min_lr)
            optimizer.learning_rate = scalar_or_array(
                np.where(reduce, reduced, learning_rate), np.float64
            )
            self.cooldown_counter = np.where(reduce, self.cooldown, self.cooldown_counter)
            wait = np.where(reduce, 0, wait)
            if self.verbose > 0:
                _logger.info(
                    "Epoch %d: ReduceLROnPlateau reducing learning rate to %s.",
                    epoch + 1,
                    reduced if reduced.ndim == 0 else reduced[reduce],
                )
        self.wait = wait


class EarlyStopping(_MonitorCallback):
    """Stop training when ``monitor`` has stopped improving (Keras 3).

    From epoch ``start_from_epoch`` on, each epoch end counts one more epoch; an improvement
    records the best value (and weights) and resets the count, but only if it also beats
    ``baseline``; without improvement, once the count reaches ``patience`` (and after epoch
    0) training stops. With ``restore_best_weights`` the best epoch's weights are restored at
    the end of training, whether or not it stopped early (Keras 3 behaviour).

    Parameters
    ----------
    monitor : str, default "val_loss"
        Key of the logs to watch.
    min_delta : float, default 0
        Absolute margin an improvement must exceed, >= 0.
    patience : int, default 0
        Epochs without improvement before stopping, >= 0.
    verbose : int, default 0
        > 0 logs Keras's messages through ``logging``.
    mode : {"auto", "min", "max"}, default "auto"
        "auto" minimises losses and maximises accuracies.
    baseline : float, optional
        A value the monitor must beat for the count to reset.
    restore_best_weights : bool, default False
        Restore the best epoch's weights at the end.
    start_from_epoch : int, default 0
        Epochs to ignore before monitoring, >= 0.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> model = SimpleNamespace(stop_training=False)
    >>> stopper = EarlyStopping(monitor="loss", patience=2)
    >>> stopper.set_model(model)
    >>> stopper.on_train_begin()
    >>> for epoch, loss in enumerate([1.0, 0.8, 0.9, 0.85, 0.7]):
    ...     stopper.on_epoch_end(epoch, {"loss": loss})
    ...     if model.stop_training:
    ...         break
    >>> epoch, float(stopper.best)
    (3, 0.8)
    """

    def __init__(  # noqa: PLR0917 - Keras's signature, positional order included
        self,
        monitor: str = "val_loss",
        min_delta: float = 0.0,
        patience: int = 0,
        verbose: int = 0,
        mode: str = "auto",
        baseline: float | None = None,
        restore_best_weights: bool = False,
        start_from_epoch: int = 0,
    ) -> None:
        super().__init__(monitor, mode, min_delta, patience, verbose)
        self.baseline = None if baseline is None else as_real(baseline, "baseline")
        self.restore_best_weights = as_flag(restore_best_weights, "restore_best_weights")
        self.start_from_epoch = as_count(start_from_epoch, "start_from_epoch", minimum=0)
        self._reset(())

    def _reset(self, shape: tuple[int, ...]) -> None:
        super()._reset(shape)
        self.stopped_epoch: NDArray[np.int_] = np.zeros(shape, dtype=int)
        """Epoch at which each member was stopped (0 if it was not)."""
        self.best_epoch: NDArray[np.int_] = np.zeros(shape, dtype=int)
        """Epoch of the best value (or of the first monitored epoch), per member."""
        self.best_weights: list[NDArray[Any]] | None = None
        self._has_best_weights = np.zeros(shape, dtype=bool)

    def on_train_begin(self, logs: Logs | None = None) -> None:
        """Forget the count, the best value and the best weights."""
        self._started = False

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        """Count the epoch, record improvements, and request a stop after ``patience``."""
        current = self._monitored(logs)
        if epoch < self.start_from_epoch:
            return
        self._start(current.shape)
        running = _running(self.model, current.shape)
        weights = self.model.get_weights() if self.restore_best_weights else None
        if weights is not None:
            # Until something improves, the first monitored epoch's weights are the best.
            first = running & ~self._has_best_weights
            self._keep_weights(first, weights)
            self.best_epoch = np.where(first, epoch, self.best_epoch)
        self.wait = np.where(running, self.wait + 1, self.wait)
        improved = self._improved(current, running)
        self.best_epoch = np.where(improved, epoch, self.best_epoch)
        if weights is not None:
            self._keep_weights(improved, weights)
        beats_baseline = improved
        if self.baseline is not None:
            beats_baseline = improved & self._is_improvement(current, self.baseline)
        self.wait = np.where(beats_baseline, 0, self.wait)
        stop = running & ~improved & (self.wait >= self.patience) & (epoch > 0)
        if stop.any():
            self.stopped_epoch = np.where(stop, epoch, self.stopped_epoch)
            _request_stop(self.model, stop)

    def _keep_weights(self, members: NDArray[np.bool_], weights: list[Any]) -> None:
        if self.best_weights is None:
            self.best_weights = [np.array(weight) for weight in weights]
        self.best_weights = [
            _member_where(members, weight, best)
            for weight, best in zip(weights, self.best_weights, strict=True)
        ]
        self._has_best_weights = self._has_best_weights | members

    def on_train_end(self, logs: Logs | None = None) -> None:
        """Restore the best weights of every member that has some (``restore_best_weights``)."""
        if self.verbose > 0 and np.any(self.stopped_epoch > 0):
            _logger.info("Epoch %s: early stopping", self.stopped_epoch + 1)
        if not (self.restore_best_weights and self.best_weights and self._has_best_weights.any()):
            return
        current = self.model.get_weights()
        self.model.set_weights(
            [
                _member_where(self._has_best_weights, best, weight)
                for best, weight in zip(self.best_weights, current, strict=True)
            ]
        )


class LearningRateScheduler(Callback):
    """Set the learning rate at each epoch start to ``schedule(epoch, lr)`` (Keras 3).

    ``schedule`` takes the 0-based epoch and the current learning rate (a float) and returns
    a float, or takes the epoch only. For an ensemble it is called once per member with that
    member's rate. The rate is stored in the optimizer's dtype and logged as
    ``learning_rate`` at the epoch end.

    Parameters
    ----------
    schedule : callable
        ``schedule(epoch, lr) -> float`` or ``schedule(epoch) -> float``.
    verbose : int, default 0
        > 0 logs each new rate through ``logging``.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> from lrsim.optimizers import SGD
    >>> model = SimpleNamespace(optimizer=SGD(0.1), stop_training=False)
    >>> halve = LearningRateScheduler(lambda epoch, lr: lr if epoch == 0 else lr / 2)
    >>> halve.set_model(model)
    >>> for epoch in range(3):
    ...     halve.on_epoch_begin(epoch)
    >>> model.optimizer.learning_rate
    0.025
    """

    def __init__(self, schedule: Callable[..., Any], verbose: int = 0) -> None:
        super().__init__()
        if not callable(schedule):
            raise TypeError(f"schedule must be callable as schedule(epoch, lr), got {schedule!r}")
        self.schedule = schedule
        self.verbose = as_count(verbose, "verbose", minimum=0)
        try:
            inspect.signature(schedule).bind(0, 0.0)
            self._takes_lr = True
        except TypeError:
            self._takes_lr = False
        except ValueError:  # builtins without a signature: try the new API, as Keras does
            self._takes_lr = True

    def _scheduled(self, epoch: int, learning_rate: float) -> float:
        value = self.schedule(epoch, learning_rate) if self._takes_lr else self.schedule(epoch)
        if not isinstance(value, (float, np.floating)):
            raise TypeError(f"schedule must return a float, got {value!r} at epoch {epoch}")
        return float(value)

    def on_epoch_begin(self, epoch: int, logs: Logs | None = None) -> None:
        """Set the learning rate for ``epoch``."""
        optimizer = self.model.optimizer
        current = np.asarray(optimizer.learning_rate, dtype=np.float64)
        scheduled = np.array([self._scheduled(epoch, float(lr)) for lr in current.reshape(-1)])
        optimizer.learning_rate = scalar_or_array(scheduled.reshape(current.shape), np.float64)
        if self.verbose > 0:
            _logger.info(
                "Epoch %d: LearningRateScheduler setting learning rate to %s.",
                epoch + 1,
                optimizer.learning_rate,
            )

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        """Log ``learning_rate``."""
        if logs is not None:
            logs["learning_rate"] = scalar_or_array(self.model.optimizer.learning_rate, np.float64)


class TerminateOnNaN(Callback):
    """Stop training as soon as the logged ``loss`` of a batch is NaN or infinite (Keras 3).

    For an ensemble it stops only the members whose loss is not finite.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> model = SimpleNamespace(stop_training=False)
    >>> terminate = TerminateOnNaN()
    >>> terminate.set_model(model)
    >>> terminate.on_train_batch_end(0, {"loss": float("nan")})
    >>> model.stop_training
    True
    """

    def on_train_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        """Request a stop for every member whose ``loss`` is not finite."""
        if logs is None or logs.get("loss") is None:
            return
        bad = ~np.isfinite(np.asarray(logs["loss"], dtype=np.float64))
        if bad.any():
            _request_stop(self.model, bad)


class EnsembleScheduler(Callback):
    """Give each member of an ensemble its own learning-rate schedule.

    Each entry of ``schedules`` drives one member:

    * a :class:`~lrsim.schedules.LearningRateSchedule` sets the member's rate before every batch to
      ``schedule(optimizer.iterations)``, as Keras does with
      ``Adam(learning_rate=CosineDecay(...))``;
    * a callable ``schedule(epoch, lr)`` sets it at each epoch start, as
      :class:`LearningRateScheduler` does for a single model;
    * ``None`` leaves it alone, so another callback (e.g. ReduceLROnPlateau, which acts on
      every member at the end of an epoch) drives it. Changes such a callback makes to a
      scheduled member are overwritten at the next batch or epoch start.

    At the end of each epoch it logs the rates the epoch started with under ``learning_rate``.

    Parameters
    ----------
    schedules : sequence of LearningRateSchedule, callable or None
        One per ensemble member.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> from lrsim.optimizers import Adam
    >>> from lrsim.schedules import ExponentialDecay
    >>> model = SimpleNamespace(optimizer=Adam([0.1, 0.1, 0.1]), stop_training=False)
    >>> halving = ExponentialDecay(0.1, decay_steps=1, decay_rate=0.5)
    >>> scheduler = EnsembleScheduler([halving.per_epoch(1), None, lambda epoch, lr: 0.01])
    >>> scheduler.set_model(model)
    >>> for epoch in range(3):
    ...     scheduler.on_epoch_begin(epoch)
    >>> model.optimizer.learning_rate
    array([0.025, 0.1  , 0.01 ])
    >>> per_step = EnsembleScheduler([halving, None, None])
    >>> per_step.set_model(model)
    >>> model.optimizer.iterations = 3
    >>> per_step.on_train_batch_begin(0)
    >>> model.optimizer.learning_rate
    array([0.0125, 0.1   , 0.01  ])
    """

    def __init__(
        self, schedules: Sequence[LearningRateSchedule | Callable[[int, float], float] | None]
    ) -> None:
        super().__init__()
        self.schedules = list(schedules)
        if not self.schedules or not all(s is None or callable(s) for s in self.schedules):
            raise TypeError(
                "schedules must be a non-empty sequence of LearningRateSchedule, "
                f"schedule(epoch, lr) callables or None, got {schedules!r}"
            )
        self._per_step = [
            (member, s)
            for member, s in enumerate(self.schedules)
            if isinstance(s, LearningRateSchedule)
        ]
        self._per_epoch = [
            (member, s)
            for member, s in enumerate(self.schedules)
            if s is not None and not isinstance(s, LearningRateSchedule)
        ]
        self._epoch_rates: NDArray[np.float64] | None = None

    def _rates(self) -> NDArray[np.float64]:
        rates = np.array(self.model.optimizer.learning_rate, dtype=np.float64, ndmin=1)
        if rates.shape != (len(self.schedules),):
            raise ValueError(
                f"schedules must have one entry per ensemble member ({rates.size}), "
                f"got {len(self.schedules)}"
            )
        return rates

    def on_epoch_begin(self, epoch: int, logs: Logs | None = None) -> None:
        """Set the rates of the members scheduled per epoch."""
        rates = self._rates()
        for member, schedule in self._per_epoch:
            rates[member] = float(schedule(epoch, float(rates[member])))
        self.model.optimizer.learning_rate = rates
        self._epoch_rates = None

    def on_train_batch_begin(self, batch: int, logs: Logs | None = None) -> None:
        """Set the rates of the members scheduled per step."""
        rates = self._rates()
        if self._per_step:
            step = self.model.optimizer.iterations
            for member, schedule in self._per_step:
                rates[member] = schedule(step)
            self.model.optimizer.learning_rate = rates
        if self._epoch_rates is None:
            self._epoch_rates = np.array(self.model.optimizer.learning_rate, dtype=np.float64)

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        """Log the rates this epoch started with as ``learning_rate``."""
        if logs is not None and self._epoch_rates is not None:
            logs["learning_rate"] = self._epoch_rates.copy()
