"""``fit``: Keras's training loop for :class:`lrsim.network.Sequential`, one model or an ensemble.

The loop is Keras 3's ``model.fit`` for arrays (``keras/src/backend/*/trainer.py``):

* each epoch draws a fresh permutation of the training set (from ``seed``; ``shuffle=False``
  keeps the order) and walks it in ``ceil(N / batch_size)`` batches, the last one partial;
* on each batch the loss is the mean over the batch, computed *before* that batch's update,
  and the optimizer then applies the gradient of that mean;
* the epoch's ``loss`` and ``accuracy`` are batch-size-weighted means over the batches, so
  they describe weights that kept changing during the epoch; ``val_loss`` and
  ``val_accuracy`` evaluate the whole validation set with the end-of-epoch weights;
* at the epoch end the callbacks run in the given order on one logs dict, which the history
  then records; ``learning_rate`` appears in it only when a callback logs it, as
  ReduceLROnPlateau and LearningRateScheduler do in Keras.

Divergence is data: when a batch loss is not finite the run ends there, keeping the weights
that produced it; the history holds the epochs completed before it, and
``History.divergence`` says at which epoch, batch and step it happened.

Ensembles: a model built with K seeds and an optimizer with K learning rates train as one
vectorised computation that gives the same numbers as K separate runs. ``seed`` may give one
shuffling seed per member. Each member stops on its own (divergence, EarlyStopping,
TerminateOnNaN): from then on its weights and learning rate are frozen and its logs are NaN,
while the others go on; training ends when all have stopped.

The step goes through public contracts only, each checked once per fit and not per batch
(:mod:`lrsim.network` and :mod:`lrsim.optimizers` say more):

* the model's ``params`` and ``grads`` (the model's arrays for its whole life) and, per batch
  size, its :class:`~lrsim.network.GradientPass` from
  :meth:`~lrsim.network.Sequential.gradient_pass`, which computes a batch's loss,
  probabilities and gradient in arrays the model keeps; ``fit`` reads the loss and
  probabilities before the next batch overwrites them;
* the optimizer's ``build``, its state (``states``, kept by the optimizer from fit to fit) and
  :meth:`~lrsim.optimizers.Optimizer.step` ``(params, grads, state, scratch)``, with two
  scratch arrays like ``params`` that ``fit`` allocates and owns for the length of the fit;
* the batches, which ``fit`` checks and lays out once (``input_rows``), and shuffles into
  copies it owns: each batch is a view of them.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from lrsim._validation import as_count, as_flag, as_one_hot, as_seeds
from lrsim.callbacks import Callback
from lrsim.network import Sequential
from lrsim.optimizers import Optimizer

__all__ = ["Divergence", "History", "fit", "shuffled_batches"]

FloatArray = NDArray[np.floating[Any]]


@dataclass(frozen=True)
class Divergence:
    """Where a run's batch loss first stopped being finite.

    Attributes
    ----------
    epoch, batch : int
        0-based epoch and batch within it.
    step : int
        Number of updates applied before that batch (the optimizer's ``iterations``).

    Examples
    --------
    One absurd float32 step sends the weights to infinity; the next batch's loss is NaN:

    >>> from lrsim.datasets import spirals
    >>> from lrsim.network import Dense, Sequential
    >>> from lrsim.optimizers import SGD
    >>> data = spirals(n_samples=200, seed=0)
    >>> model = Sequential([Dense(8, "relu"), Dense(3, "softmax")], input_dim=2, seed=0,
    ...                    dtype="float32")
    >>> history = fit(model, SGD(1e30, dtype="float32"), data.x_train, data.y_train, epochs=3)
    >>> history.divergence, history.epoch
    (Divergence(epoch=0, batch=1, step=1), [])
    """

    epoch: int
    batch: int
    step: int


class History:
    """What :func:`fit` returns: Keras's ``History`` and where each run ended.

    Attributes
    ----------
    history : dict of str to list
        One entry per completed epoch under Keras's keys (``loss``, ``accuracy``,
        ``val_loss``, ``val_accuracy``, and ``learning_rate`` when a callback logs it).
        Floats for one model; float64 arrays of shape (K,) for an ensemble, NaN for members
        that had stopped or diverged by then, so ``np.asarray(history.history["loss"])`` is
        an (epochs, K) array.
    epoch : list of int
        The epochs recorded.
    params : dict
        ``epochs``, ``steps`` (batches per epoch), ``batch_size`` and ``samples``.

    Examples
    --------
    >>> from lrsim.datasets import spirals
    >>> from lrsim.network import Dense, Sequential
    >>> from lrsim.optimizers import Adam
    >>> data = spirals(n_samples=200, seed=0)
    >>> model = Sequential([Dense(8, "relu"), Dense(3, "softmax")], input_dim=2, seed=0)
    >>> history = fit(model, Adam(1e-3), data.x_train, data.y_train, epochs=2, seed=0)
    >>> sorted(history.history), history.epoch, history.divergence
    (['accuracy', 'loss'], [0, 1], None)
    """

    def __init__(self, ensemble_size: int | None, params: dict[str, int]) -> None:
        self.history: dict[str, list[Any]] = {}
        self.epoch: list[int] = []
        self.params = params
        self.ensemble_size = ensemble_size
        self._divergences: list[Divergence | None] = [None] * (ensemble_size or 1)
        self._recorded: list[NDArray[np.bool_]] = []

    @property
    def divergence(self) -> Any:
        """``None`` or a :class:`Divergence`; for an ensemble, a list with one per member."""
        if self.ensemble_size is None:
            return self._divergences[0]
        return list(self._divergences)

    def record_epoch(self, epoch: int, logs: dict[str, Any], recorded: NDArray[np.bool_]) -> None:
        """Append an epoch's logs (what Keras's ``History.on_epoch_end`` does), NaN for the
        members not ``recorded`` (that had stopped)."""
        self.epoch.append(epoch)
        self._recorded.append(recorded.copy())
        for key, value in logs.items():
            entry: Any
            if self.ensemble_size is None:
                entry = float(value)
            else:
                entry = np.where(recorded, np.broadcast_to(value, recorded.shape), np.nan)
            self.history.setdefault(key, []).append(entry)

    def record_divergence(self, member: int, divergence: Divergence) -> None:
        """Note where member ``member`` (0 for a single model) diverged."""
        self._divergences[member] = divergence

    def member(self, index: int) -> History:
        """Return member ``index``'s history, as a run of that member alone would return it.

        Examples
        --------
        >>> from lrsim.datasets import spirals
        >>> from lrsim.network import Dense, Sequential
        >>> from lrsim.optimizers import SGD
        >>> data = spirals(n_samples=100, seed=0)
        >>> ensemble = Sequential([Dense(3, "softmax")], input_dim=2, seed=[0, 1])
        >>> history = fit(ensemble, SGD([0.1, 0.2]), data.x_train, data.y_train, epochs=2)
        >>> np.asarray(history.history["loss"]).shape, len(history.member(1).history["loss"])
        ((2, 2), 2)
        """
        if self.ensemble_size is None:
            raise ValueError("member() needs the history of an ensemble")
        position = as_count(index, "index", minimum=0)
        if position >= self.ensemble_size:
            raise ValueError(f"index must be in [0, {self.ensemble_size}), got {index}")
        single = History(None, dict(self.params))
        single._divergences = [self._divergences[position]]
        for row, recorded in enumerate(self._recorded):
            if recorded[position]:
                single.epoch.append(self.epoch[row])
                for key, values in self.history.items():
                    single.history.setdefault(key, []).append(float(values[row][position]))
        return single


def _shuffling_orders(
    seed: Any, members: int | None, shuffle: bool
) -> tuple[list[np.random.Generator], NDArray[np.intp] | None]:
    """Return the generators that shuffle, and which of them each member uses (None: one for all).

    The seed is checked whether or not it is used, so a bad one never waits for shuffle=True.
    """
    seeds, is_sequence = as_seeds(seed)
    if is_sequence:
        if members is None or len(seeds) != members or None in seeds:
            raise ValueError(
                "seed may be a sequence only for an ensemble, with one int seed per member "
                f"({members} members), got {seed!r}"
            )
        if not shuffle:
            return [], None
        unique, member_generator = np.unique(np.asarray(seeds, dtype=np.int64), return_inverse=True)
        return [np.random.default_rng(int(s)) for s in unique], member_generator
    generator = np.random.default_rng(seeds[0])
    return ([generator], None) if shuffle else ([], None)


def _check_arguments(
    model: Any, optimizer: Any, callbacks: Sequence[Any], validation_data: Any
) -> None:
    if not isinstance(model, Sequential):
        raise TypeError(f"model must be an lrsim.network.Sequential, got {type(model).__name__}")
    if not isinstance(optimizer, Optimizer):
        raise TypeError(
            f"optimizer must be an lrsim.optimizers.Optimizer, got {type(optimizer).__name__}"
        )
    if optimizer.dtype != model.dtype:
        raise ValueError(
            f"optimizer dtype {optimizer.dtype!r} must match the model dtype {model.dtype!r}"
        )
    if optimizer.ensemble_size != model.ensemble_size:
        raise ValueError(
            f"optimizer learning_rate must have one value per ensemble member: the model has "
            f"ensemble_size={model.ensemble_size}, the optimizer {optimizer.ensemble_size} "
            "(for a shared rate pass np.full(K, lr))"
        )
    for callback in callbacks:
        if not isinstance(callback, Callback):
            raise TypeError(
                f"callbacks must be lrsim.callbacks.Callback instances, got {callback!r}"
            )
    if validation_data is not None and (
        not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2
    ):
        raise TypeError("validation_data must be a pair (x_val, y_val)")


def _check_finite(inputs: NDArray[Any], name: str) -> None:
    """Divergence is data, but non-finite inputs are a mistake: refuse them up front."""
    if not np.all(np.isfinite(inputs)):
        raise ValueError(f"{name} must be finite: it holds NaN or infinite values")


def _overrides(callback: Callback, hook: str) -> bool:
    return getattr(type(callback), hook) is not getattr(Callback, hook)


def fit(
    model: Sequential,
    optimizer: Optimizer[Any],
    x: ArrayLike,
    y: ArrayLike,
    *,
    epochs: int = 1,
    batch_size: int = 32,
    validation_data: tuple[ArrayLike, ArrayLike] | None = None,
    shuffle: bool = True,
    seed: Any = None,
    callbacks: Sequence[Callback] = (),
) -> History:
    """Train ``model`` in place with ``optimizer`` as Keras's ``model.fit`` does; return the history.

    Parameters
    ----------
    model : Sequential
        Updated in place; ``model.optimizer`` is set to ``optimizer`` (as Keras's compile).
    optimizer : Optimizer
        Of the model's dtype; one learning rate per member for an ensemble. It keeps its
        state, so a second ``fit`` continues where the first stopped.
    x : array_like
        Features, (samples, input_dim).
    y : array_like
        One-hot labels, (samples, classes).
    epochs : int, default 1
        >= 0.
    batch_size : int, default 32
        >= 1.
    validation_data : (x_val, y_val), optional
        Evaluated after every epoch as ``val_loss`` and ``val_accuracy``.
    shuffle : bool, default True
        Re-permute the training set before every epoch.
    seed : int, Generator, None or sequence of ints
        Seeds the permutations; for an ensemble, one int per member gives each member the
        order a separate run with that seed would use, and a single seed is shared.
    callbacks : sequence of Callback
        Run in order at every hook.

    Returns
    -------
    History

    Examples
    --------
    >>> from lrsim.datasets import spirals
    >>> from lrsim.network import Dense, Sequential
    >>> from lrsim.optimizers import Adam
    >>> data = spirals(n_samples=300, seed=0)
    >>> model = Sequential([Dense(16, "relu"), Dense(3, "softmax")], input_dim=2, seed=0)
    >>> history = fit(model, Adam(0.01), data.x_train, data.y_train, epochs=5,
    ...               validation_data=data.validation_data, seed=0)
    >>> len(history.history["val_loss"]), history.params["steps"]
    (5, 8)
    >>> history.history["loss"][-1] < history.history["loss"][0]
    True
    """
    callbacks = list(callbacks)
    _check_arguments(model, optimizer, callbacks, validation_data)
    epoch_count = as_count(epochs, "epochs", minimum=0)
    size = as_count(batch_size, "batch_size")
    features, targets, labels = _training_set(model, x, y)
    validation = _validation_set(model, validation_data)
    generators, member_generator = _shuffling_orders(
        seed, model.ensemble_size, as_flag(shuffle, "shuffle")
    )
    samples = features.shape[1]
    batches = _Batches(samples, size)
    params = {"epochs": epoch_count, "steps": len(batches), "batch_size": size, "samples": samples}
    history = History(model.ensemble_size, params)
    members = _Members(model, optimizer, history)
    data = _EpochData((features, targets, labels), generators, member_generator, members.count)
    statistics = _EpochStatistics(members.count, batches, data.labels, model.params.dtype)
    apply_gradients = _compile(model, optimizer, callbacks)
    batch_begin = [cb for cb in callbacks if _overrides(cb, "on_train_batch_begin")]
    batch_end = [cb for cb in callbacks if _overrides(cb, "on_train_batch_end")]
    # Views into the epoch's shuffled copies, and the model's reused arrays for each batch size:
    # the loop then makes no array of its own.
    batch_steps = [
        (
            (start, stop),
            data.x[..., start:stop],
            data.y[..., start:stop],
            model.gradient_pass(stop - start),
        )
        for start, stop in batches.bounds
    ]

    logs: dict[str, Any] = {}
    for callback in callbacks:
        callback.on_train_begin()
    with np.errstate(all="ignore"):  # a divergent run overflows: that is data, not a warning
        for epoch in range(epoch_count):
            for callback in callbacks:
                callback.on_epoch_begin(epoch)
            data.permute()
            statistics.start_epoch()
            running_at_start = ~members.stopped
            for batch, (bounds, x_batch, y_batch, step) in enumerate(batch_steps):
                for callback in batch_begin:
                    callback.on_train_batch_begin(batch)
                # The batch's loss is computed before its update, as Keras reports it.
                if step is None:
                    loss, probabilities = model.batch_gradients(x_batch, y_batch)
                else:
                    step.run(x_batch, y_batch)
                    loss, probabilities = step.loss, step.probabilities
                members.stop_diverged(loss, epoch, batch)
                if members.all_stopped():
                    break
                apply_gradients()
                members.keep_stopped_as_they_were()
                statistics.record(batch, bounds, loss, probabilities, members.running)
                if batch_end:
                    batch_logs = _member_logs(statistics.means(last_batch=batch), model)
                    for callback in batch_end:
                        callback.on_train_batch_end(batch, batch_logs)
                    members.stop_requested()
                if members.all_stopped():
                    break

            recorded = running_at_start & ~members.diverged
            if not recorded.any():
                break
            epoch_logs = statistics.means(last_batch=batch)
            if validation is not None:
                epoch_logs |= _validation_logs(model, validation)
            masked = {key: np.where(recorded, value, np.nan) for key, value in epoch_logs.items()}
            logs = _member_logs(masked, model)
            model.running = recorded.copy() if model.ensemble_size is not None else True
            for callback in callbacks:
                callback.on_epoch_end(epoch, logs)
            history.record_epoch(epoch, logs, recorded)
            members.end_epoch(recorded)
            if members.all_stopped():
                break
    for callback in callbacks:
        callback.on_train_end(logs)
    return history


def shuffled_batches(
    model: Sequential,
    x: ArrayLike,
    y: ArrayLike,
    *,
    batch_size: int,
    seed: Any = None,
    drop_remainder: bool = False,
) -> Iterator[tuple[FloatArray, FloatArray]]:
    """Return the batches :func:`fit` trains on, epoch after epoch without end.

    Each epoch is a fresh permutation of the training set drawn from ``seed``, cut into
    ``ceil(N / batch_size)`` batches, the last one partial (dropped with ``drop_remainder``,
    as fastai's training loader does). Batches are laid out for
    :meth:`~lrsim.network.Sequential.batch_gradients` (shared by every member of an
    ensemble) and valid until the next epoch starts.

    Examples
    --------
    >>> from lrsim.datasets import spirals
    >>> from lrsim.network import Dense, Sequential
    >>> data = spirals(n_samples=100, seed=0)
    >>> model = Sequential([Dense(3, "softmax")], input_dim=2, seed=0)
    >>> batches = shuffled_batches(model, data.x_train, data.y_train, batch_size=32, seed=0)
    >>> [next(batches)[0].shape[-1] for _ in range(4)], len(data.x_train)
    ([32, 32, 16, 32], 80)
    """
    training_set = _training_set(model, x, y)
    samples = training_set[0].shape[1]
    batches = _Batches(samples, as_count(batch_size, "batch_size"))
    bounds = batches.bounds[: samples // batches.size] if drop_remainder else batches.bounds
    generators, _ = _shuffling_orders(seed, None, shuffle=True)
    data = _EpochData(training_set, generators, None, 1)

    def epochs() -> Iterator[tuple[FloatArray, FloatArray]]:
        while True:
            data.permute()
            for start, stop in bounds:
                yield data.x[..., start:stop], data.y[..., start:stop]

    return epochs()


def _training_set(
    model: Sequential, x: ArrayLike, y: ArrayLike
) -> tuple[FloatArray, FloatArray, NDArray[np.intp]]:
    """Features and one-hot targets with the samples along the last axis, as the model computes
    ((features + 1, N) and (classes, N)), and the true classes."""
    features = model.input_rows(x)
    _check_finite(features, "x")
    one_hot = as_one_hot(y, "y", features.shape[1], model.layers[-1].units)
    targets = np.ascontiguousarray(one_hot.T, dtype=model.params.dtype)
    return features, targets, one_hot.argmax(axis=1)


def _validation_set(model: Sequential, validation_data: Any) -> Any:
    if validation_data is None:
        return None
    x_val = model.input_rows(validation_data[0], "validation_data[0]")
    _check_finite(x_val, "validation_data[0]")
    y_val = as_one_hot(
        validation_data[1],
        "validation_data[1]",
        x_val.shape[1],
        model.layers[-1].units,
        "validation_data[0]",
    )
    return x_val[None], y_val.T[None].astype(model.params.dtype), y_val.argmax(axis=1)


def _validation_logs(model: Sequential, validation: Any) -> dict[str, NDArray[Any]]:
    """``val_loss`` and ``val_accuracy`` of the whole validation set at the current weights."""
    x_val, y_val, val_labels = validation
    dtype = model.params.dtype
    val_losses, probabilities = model.batch_losses(x_val, y_val)
    correct = (probabilities.argmax(-2) == val_labels).sum(-1)
    return {
        "val_accuracy": correct.astype(dtype) / dtype.type(len(val_labels)),
        "val_loss": val_losses.mean(-1),
    }


def _compile(
    model: Sequential, optimizer: Optimizer[Any], callbacks: list[Callback]
) -> Callable[[], None]:
    """What Keras's ``compile`` and the start of ``fit`` set up: the optimizer's state (kept from
    an earlier fit), the model's optimizer and stop flag, and the callbacks' model.

    Returns the step: the optimizer's update of the model's weights from their gradient, as
    Keras's ``optimizer.apply(grads, trainable_variables)``, on the optimizer's one state, with
    scratch arrays reused from batch to batch.
    """
    optimizer.build([model.params])
    (state,) = optimizer.states
    scratch = (np.empty_like(model.params), np.empty_like(model.params))

    def apply_gradients() -> None:
        optimizer.step(model.params, model.grads, state, scratch)

    model.optimizer = optimizer
    members = model.params.shape[0]
    model.stop_training = False if model.ensemble_size is None else np.zeros(members, bool)
    for callback in callbacks:
        callback.set_model(model)
    return apply_gradients


class _Batches:
    """An epoch's batches: ``ceil(N / size)`` of them in order, the last one partial."""

    def __init__(self, samples: int, size: int) -> None:
        self.size = size
        self.starts = np.arange(0, samples, size)
        self.sizes = np.minimum(self.starts + size, samples) - self.starts
        self.bounds = [(int(a), int(a + n)) for a, n in zip(self.starts, self.sizes, strict=True)]

    def __len__(self) -> int:
        return len(self.bounds)


class _EpochData:
    """The training set as the model reads it in an epoch: re-permuted at each epoch start,
    with one permutation per member when each has its own seed, else one for all."""

    def __init__(
        self,
        training_set: tuple[FloatArray, FloatArray, NDArray[np.intp]],
        generators: list[np.random.Generator],
        member_generator: NDArray[np.intp] | None,
        members: int,
    ) -> None:
        features, targets, labels = self._sources = training_set
        self._generators, self._member_generator = generators, member_generator
        shuffled: list[NDArray[Any]] = [features[:, None], targets[:, None], labels[None]]
        if generators:
            orderings = 1 if member_generator is None else members
            samples = features.shape[1]
            shuffled = [
                np.empty((*array.shape[:-1], orderings, samples), dtype=array.dtype)
                for array in self._sources
            ]
        self._shuffled = shuffled
        # (K or 1, rows, N) views for the model; permute() writes through them.
        self.x: FloatArray = shuffled[0].swapaxes(0, 1)
        self.y: FloatArray = shuffled[1].swapaxes(0, 1)
        self.labels: NDArray[np.intp] = shuffled[2]

    def permute(self) -> None:
        if not self._generators:
            return
        samples = self._sources[0].shape[1]
        orders = np.stack([generator.permutation(samples) for generator in self._generators])
        if self._member_generator is not None:
            orders = orders[self._member_generator]
        for array, out in zip(self._sources, self._shuffled, strict=True):
            np.take(array, orders, axis=-1, out=out)


class _EpochStatistics:
    """Per batch and member: the batch-mean loss, whether the member ran the batch, and (per
    sample) the predicted class; reduced to Keras's running means of the epoch.

    The arrays are reused from epoch to epoch: fresh ensemble-sized arrays would cost fresh
    memory pages.
    """

    def __init__(
        self, members: int, batches: _Batches, labels: NDArray[np.intp], dtype: np.dtype[Any]
    ) -> None:
        self._batches, self._labels = batches, labels
        self._losses = np.zeros((members, len(batches)), dtype=dtype)
        self._ran = np.zeros((members, len(batches)), dtype=bool)
        self._predicted = np.zeros((members, labels.shape[-1]), dtype=np.intp)

    def start_epoch(self) -> None:
        self._ran.fill(False)

    def record(
        self,
        batch: int,
        bounds: tuple[int, int],
        loss: FloatArray,
        probabilities: FloatArray,
        running: NDArray[np.bool_],
    ) -> None:
        self._ran[:, batch] = running
        self._losses[:, batch] = loss
        probabilities.argmax(axis=-2, out=self._predicted[:, bounds[0] : bounds[1]])

    def means(self, *, last_batch: int) -> dict[str, NDArray[Any]]:
        return _epoch_metrics(
            self._losses,
            self._ran,
            self._predicted,
            self._labels,
            batch_starts=self._batches.starts,
            batch_sizes=self._batches.sizes,
            last_batch=last_batch,
        )


class _Members:
    """Which members of an ensemble still train (a single model is an ensemble of one).

    A member stops when its batch loss stops being finite or when a callback asks
    (``model.stop_training``); from then on its weights and learning rate stay as they were.
    """

    def __init__(self, model: Sequential, optimizer: Optimizer[Any], history: History) -> None:
        self._model, self._optimizer, self._history = model, optimizer, history
        self.count = model.params.shape[0]
        self.stopped = np.zeros(self.count, dtype=bool)
        self.diverged = np.zeros(self.count, dtype=bool)
        self._frozen_params = model.params.copy()
        self._frozen_learning_rate = np.zeros(self.count)
        self._changed()

    def _changed(self) -> None:
        """Note a change of ``stopped``: the loop asks on every batch, NumPy need not answer."""
        self.running = ~self.stopped
        self._any_stopped = bool(self.stopped.any())
        self._all_stopped = bool(self.stopped.all())

    def all_stopped(self) -> bool:
        return self._all_stopped

    def _learning_rates(self) -> NDArray[np.float64]:
        return np.broadcast_to(self._optimizer.learning_rate, (self.count,))

    def stop_diverged(self, loss: FloatArray, epoch: int, batch: int) -> None:
        """Stop the members whose batch loss is not finite; the history says where."""
        if math.isfinite(np.add.reduce(loss)):  # loss.sum(), without its Python wrapper
            return
        new = ~np.isfinite(loss) & ~self.stopped
        for member in np.flatnonzero(new):
            self._history.record_divergence(
                int(member), Divergence(epoch, batch, self._optimizer.iterations)
            )
        self.diverged |= new
        self._frozen_params[new] = self._model.params[new]
        self._frozen_learning_rate[new] = self._learning_rates()[new]
        self.stopped |= new
        self._changed()

    def keep_stopped_as_they_were(self) -> None:
        """Undo the update of stopped members: the ensemble's step moved every member."""
        if self._any_stopped:
            np.copyto(self._model.params, self._frozen_params, where=self.stopped[:, None])

    def stop_requested(self) -> None:
        """Stop the members a callback asked to stop."""
        stop_training = np.asarray(self._model.stop_training, dtype=bool)
        requested = np.broadcast_to(stop_training, (self.count,)) & ~self.stopped
        self._frozen_params[requested] = self._model.params[requested]
        self.stopped |= requested
        self._changed()

    def end_epoch(self, recorded: NDArray[np.bool_]) -> None:
        """After the epoch-end callbacks: stop the members they asked to stop, and give every
        stopped member back the rate it stopped with (callbacks act on all members)."""
        self.stop_requested()
        finished = recorded & self.stopped
        self._frozen_learning_rate[finished] = self._learning_rates()[finished]
        if self.stopped.any() and self._model.ensemble_size is not None:
            self._optimizer.learning_rate = np.where(
                self.stopped, self._frozen_learning_rate, self._optimizer.learning_rate
            )


def _epoch_metrics(
    batch_losses: NDArray[np.floating[Any]],
    ran: NDArray[np.bool_],
    predicted: NDArray[np.intp],
    labels: NDArray[np.intp],
    *,
    batch_starts: NDArray[np.intp],
    batch_sizes: NDArray[np.intp],
    last_batch: int,
) -> dict[str, NDArray[Any]]:
    """Keras's running means over batches 0..last_batch: loss and accuracy, per member.

    Keras accumulates ``total += batch_loss * batch_size`` batch after batch (in the model's
    dtype) and divides by the samples seen; a member counts only the batches it ran.
    """
    dtype = batch_losses.dtype.type
    done = slice(0, last_batch + 1)
    weights = ran[:, done] * batch_sizes[done].astype(dtype)
    # add.accumulate sums in batch order for any number of members, unlike sum().
    loss_total = np.add.accumulate(batch_losses[:, done] * weights, axis=1)[:, -1]
    correct = np.add.reduceat(predicted == labels, batch_starts, axis=1)[:, done]
    seen = weights.sum(axis=1)
    return {
        "accuracy": (correct * ran[:, done]).sum(axis=1).astype(dtype) / seen,
        "loss": loss_total / seen,
    }


def _member_logs(logs: dict[str, NDArray[Any]], model: Sequential) -> dict[str, Any]:
    """Floats for a single model (Keras's pythonified logs), float64 (K,) arrays otherwise."""
    if model.ensemble_size is None:
        return {key: float(value[0]) for key, value in sorted(logs.items())}
    return {key: np.asarray(value, dtype=np.float64) for key, value in sorted(logs.items())}
