"""What a training run's history says: when it reached a target, and when its learning rate fell.

* :func:`epochs_to_reach` and :func:`learning_rate_cuts` summarise ``History`` arrays, one run
  or an ensemble's (epochs, K).
* :func:`keras_plateau_schedule` drives lrsim's real :class:`~lrsim.callbacks.ReduceLROnPlateau`
  through a scripted sequence of monitored values; :func:`torch_plateau_schedule` is a small
  reference implementation of *PyTorch's* ``ReduceLROnPlateau`` rule, for comparison only.

What died or saturated inside the network is :mod:`lrsim.diagnostics`.
"""

from __future__ import annotations

import math
from types import SimpleNamespace
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from lrsim._validation import as_count, as_float_array, as_real, scalar_or_array
from lrsim.callbacks import ReduceLROnPlateau
from lrsim.optimizers import SGD

__all__ = [
    "epochs_to_reach",
    "keras_plateau_schedule",
    "learning_rate_cuts",
    "torch_plateau_schedule",
]


def epochs_to_reach(
    values: ArrayLike, target: float, *, mode: Literal["max", "min"] = "max"
) -> Any:
    """Return, per run, how many epochs it took to first reach ``target`` (-1 if never).

    Parameters
    ----------
    values : array_like
        (epochs,) or (epochs, K): a History entry such as ``val_accuracy``; NaN never counts.
    target : float
        The level to reach.
    mode : {"max", "min"}
        Reach means ``>= target`` ("max", accuracies) or ``<= target`` ("min", losses).

    Examples
    --------
    >>> epochs_to_reach([0.3, 0.6, 0.9, 0.8], 0.85)
    3
    >>> epochs_to_reach([[0.5, 0.9], [0.95, 0.7]], 0.9).tolist()
    [2, 1]
    """
    array = np.asarray(values, dtype=np.float64)
    goal = as_real(target, "target")
    if mode not in ("max", "min"):
        raise ValueError(f"mode must be 'max' or 'min', got {mode!r}")
    with np.errstate(invalid="ignore"):
        reached = array >= goal if mode == "max" else array <= goal
    first = np.where(reached.any(axis=0), reached.argmax(axis=0) + 1, -1)
    return scalar_or_array(first)


def learning_rate_cuts(learning_rates: ArrayLike) -> list[NDArray[np.int64]]:
    """Return, per run, the 0-based epochs at whose end the learning rate was lowered.

    ``history["learning_rate"]`` logs the rate *used* in each epoch, so a cut at the end of
    epoch e shows as a drop between entries e and e + 1; the epoch returned is e, the one
    whose monitored value triggered the cut.

    Examples
    --------
    >>> [cuts.tolist() for cuts in learning_rate_cuts([1e-3, 1e-3, 1e-4, 1e-4, 1e-5])]
    [[1, 3]]
    >>> [cuts.tolist() for cuts in learning_rate_cuts([[1.0, 1.0], [0.1, 1.0]])]
    [[0], []]
    """
    array = np.asarray(learning_rates, dtype=np.float64)
    columns = array[:, None] if array.ndim == 1 else array
    with np.errstate(invalid="ignore"):
        dropped = columns[1:] < columns[:-1]
    return [np.flatnonzero(dropped[:, k]) for k in range(columns.shape[1])]


def keras_plateau_schedule(
    monitor_values: ArrayLike, learning_rate: float = 1e-3, **plateau_kwargs: Any
) -> NDArray[np.float64]:
    """Run lrsim's Keras :class:`~lrsim.callbacks.ReduceLROnPlateau` on scripted values.

    Epoch e "reports" ``monitor_values[e]`` as ``val_loss`` at its end; the returned array is
    the learning rate *used* in each epoch (``history["learning_rate"]``), with Keras's
    float32 storage of the rate.

    Parameters
    ----------
    monitor_values : array_like
        One value per epoch.
    learning_rate : float, default 1e-3
        The starting rate.
    **plateau_kwargs
        Passed to ``ReduceLROnPlateau`` (``factor``, ``patience``, ``min_delta``, ...).

    Examples
    --------
    >>> keras_plateau_schedule([1.0, 1.0, 1.0, 1.0], 0.1, patience=2, factor=0.5).round(4)
    array([0.1 , 0.1 , 0.1 , 0.05])
    """
    values = as_float_array(monitor_values, "monitor_values")
    plateau = ReduceLROnPlateau(monitor="val_loss", **plateau_kwargs)
    plateau.set_model(
        SimpleNamespace(optimizer=SGD(learning_rate, dtype="float32"), stop_training=False)
    )
    plateau.on_train_begin()
    used = []
    for epoch, value in enumerate(values):
        logs: dict[str, Any] = {"val_loss": float(value)}
        plateau.on_epoch_end(epoch, logs)
        used.append(logs["learning_rate"])
    return np.asarray(used, dtype=np.float64)


def torch_plateau_schedule(
    monitor_values: ArrayLike,
    learning_rate: float = 1e-3,
    *,
    factor: float = 0.1,
    patience: int = 10,
    threshold: float = 1e-4,
    threshold_mode: Literal["rel", "abs"] = "rel",
    cooldown: int = 0,
    min_lr: float = 0.0,
    eps: float = 1e-8,
) -> NDArray[np.float64]:
    """Reference implementation of PyTorch's ``ReduceLROnPlateau`` (mode "min"), for comparison.

    Not used for training anywhere in lrsim. PyTorch's ``step(metric)`` rule
    (``torch/optim/lr_scheduler.py``): a value improves on ``best`` if it is below
    ``best·(1 − threshold)`` ("rel", the default) or ``best − threshold`` ("abs"); otherwise
    one more bad epoch is counted; during cooldown the counter is decremented and bad epochs
    are zeroed *after* that check; the rate is cut when the count *exceeds* ``patience``, and
    only if the change is larger than ``eps``.

    Returns the learning rate used in each epoch, the rate being changed by ``step`` at the
    epoch's end.

    Examples
    --------
    The same plateau as :func:`keras_plateau_schedule`'s example: PyTorch cuts one epoch later.

    >>> torch_plateau_schedule([1.0, 1.0, 1.0, 1.0], 0.1, patience=2, factor=0.5).round(4)
    array([0.1, 0.1, 0.1, 0.1])
    >>> torch_plateau_schedule([1.0] * 5, 0.1, patience=2, factor=0.5).round(4)
    array([0.1 , 0.1 , 0.1 , 0.1 , 0.05])
    """
    values = as_float_array(monitor_values, "monitor_values")
    rate = as_real(learning_rate, "learning_rate", low=0.0, low_open=True)
    factor = as_real(factor, "factor", low=0.0, high=1.0, low_open=True, high_open=True)
    patience = as_count(patience, "patience", minimum=0)
    cooldown = as_count(cooldown, "cooldown", minimum=0)
    if threshold_mode not in ("rel", "abs"):
        raise ValueError(f"threshold_mode must be 'rel' or 'abs', got {threshold_mode!r}")
    best = math.inf
    bad_epochs = 0
    cooldown_counter = 0
    used = []
    for value in values:
        used.append(rate)
        margin = best * (1 - threshold) if threshold_mode == "rel" else best - threshold
        if value < margin:
            best = float(value)
            bad_epochs = 0
        else:
            bad_epochs += 1
        if cooldown_counter > 0:
            cooldown_counter -= 1
            bad_epochs = 0
        if bad_epochs > patience:
            new_rate = max(rate * factor, min_lr)
            if rate - new_rate > eps:
                rate = new_rate
            cooldown_counter = cooldown
            bad_epochs = 0
    return np.asarray(used, dtype=np.float64)
