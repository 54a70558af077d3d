"""Look inside a trained network the way the case studies do: what died and what saturated.

* :func:`dead_relu_fraction`, :func:`dead_layer` and :func:`saturated_fraction` look inside
  a trained :class:`lrsim.network.Sequential` (one model or an ensemble) for the ways a
  too-high learning rate breaks a small softmax classifier without producing NaN: ReLU units
  that no input switches on any more (when a whole layer is dead, the network predicts the
  same probabilities for every input), and samples whose true-class probability has fallen to
  Keras's 1e-7 or below. On the JAX, torch and NumPy backends such a sample sits at the clip,
  costs the ceiling -log(1e-7) = 16.118 and passes no gradient; on TensorFlow it costs its
  full logit margin and its gradient is undiminished.
* :class:`EpochDiagnostics` is a callback that records those three after every epoch of a
  :func:`lrsim.training.fit`, so that a page can show when a network broke, not only that it did.
* :func:`scaled_weight_losses` evaluates a network with all its weights blown up by growing
  factors, as a divergent run blows them up, to show where its loss and gradients stop being
  numbers.

What a run's history says (epochs to a target, where the learning rate was cut) is
:mod:`lrsim.summaries`.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from lrsim._validation import as_float_array, scalar_or_array
from lrsim.callbacks import Callback, Logs
from lrsim.network import EPSILON, Sequential, _clip_bounds, _true_class

__all__ = [
    "LOSS_CEILING",
    "EpochDiagnostics",
    "dead_layer",
    "dead_relu_fraction",
    "saturated_fraction",
    "scaled_weight_losses",
]

LOSS_CEILING = -math.log(EPSILON)
"""Largest per-sample categorical cross-entropy Keras reports on the clipped backends (JAX,
torch, NumPy), whose probabilities are clipped to 1e-7; TensorFlow's has no ceiling."""


def dead_relu_fraction(model: Sequential, x: ArrayLike) -> Any:
    """Return the fraction of hidden ReLU units that output 0 for every sample of ``x``.

    A dead unit passes no gradient to its weights, so no later step can revive it.

    Parameters
    ----------
    model : Sequential
        One model or an ensemble.
    x : array_like
        Inputs, (samples, input_dim).

    Returns
    -------
    float or numpy.ndarray
        A float, or one fraction per ensemble member; non-finite weights count as dead.

    Examples
    --------
    >>> import numpy as np
    >>> from lrsim.network import Dense, Sequential
    >>> model = Sequential([Dense(4, "relu"), Dense(2, "softmax")], input_dim=1, seed=0)
    >>> weights = model.get_weights()
    >>> weights[0][:] = [[1.0, -1.0, 1.0, -1.0]]
    >>> weights[1][:] = [0.0, 0.0, -5.0, -5.0]  # units 2 and 3 need x > 5 or x < -5
    >>> model.set_weights(weights)
    >>> dead_relu_fraction(model, np.linspace(-1, 1, 11)[:, None])
    0.5
    """
    return scalar_or_array(np.concatenate(_dead_units(model, x), axis=-1).mean(axis=-1))


def _dead_units(model: Sequential, x: ArrayLike) -> list[NDArray[np.bool_]]:
    """Per hidden ReLU layer: which units output 0 for every sample, (units,) or (K, units)."""
    weights = model.get_weights()
    ensemble = model.ensemble_size is not None
    inputs = np.asarray(x, dtype=np.float64)
    activations = inputs[None] if ensemble else inputs
    dead = []
    with np.errstate(all="ignore"):
        for index, layer in enumerate(model.layers[:-1]):
            kernel, bias = weights[2 * index], weights[2 * index + 1]
            values = activations @ kernel + (bias[:, None, :] if ensemble else bias)
            alive = np.asarray(values > 0).any(axis=-2)
            if layer.activation == "relu":
                dead.append(np.logical_not(alive))
            activations = np.maximum(values, 0) if layer.activation == "relu" else values
    if not dead:
        raise ValueError("model must have at least one hidden ReLU layer")
    return dead


def dead_layer(model: Sequential, x: ArrayLike) -> Any:
    """Return whether some hidden ReLU layer has every unit dead on ``x``.

    Then the layers above see a constant: the network predicts the same probabilities for
    every input, and no gradient reaches the layers below. Only the biases above the dead
    layer still learn, and the best they can do is the class frequencies (a loss of
    log 3 ≈ 1.099 for three balanced classes).

    Returns
    -------
    bool or numpy.ndarray
        One bool, or one per ensemble member.

    Examples
    --------
    >>> import numpy as np
    >>> from lrsim.network import Dense, Sequential
    >>> model = Sequential([Dense(2, "relu"), Dense(3, "softmax")], input_dim=1, seed=0)
    >>> bool(dead_layer(model, [[1.0], [-1.0]]))
    False
    >>> weights = model.get_weights()
    >>> model.set_weights([np.zeros_like(weights[0]), -np.ones(2), *weights[2:]])
    >>> bool(dead_layer(model, [[1.0], [-1.0]]))
    True
    """
    layers = _dead_units(model, x)
    return scalar_or_array(np.any([layer.all(axis=-1) for layer in layers], axis=0))


def saturated_fraction(model: Sequential, x: ArrayLike, y: ArrayLike) -> Any:
    """Return the fraction of samples whose true-class probability is at or below 1e-7.

    On the clipped backends (``model.backend`` "jax", "torch", "numpy") each such sample sits
    at Keras's clip: it contributes the ceiling :data:`LOSS_CEILING` (16.118) to the loss and
    nothing to the gradient. On "tensorflow" it contributes its whole logit margin, and a
    gradient of -1 on its true-class logit.

    Examples
    --------
    >>> import numpy as np
    >>> from lrsim.network import Dense, Sequential
    >>> model = Sequential([Dense(2, "softmax")], input_dim=1, seed=0)
    >>> model.set_weights([np.array([[40.0, -40.0]]), np.zeros(2)])
    >>> saturated_fraction(model, [[1.0], [1.0], [0.0]], np.eye(2)[[1, 0, 1]])
    0.3333333333333333
    """
    probabilities = np.asarray(model.predict(x), dtype=np.float64)
    targets = np.asarray(y, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        _, true_class = _true_class(probabilities, targets, axis=-1)
        floor, _ = _clip_bounds(probabilities.dtype)
        return scalar_or_array(np.mean(~(true_class > floor), axis=-1))


class EpochDiagnostics(Callback):
    """Record :func:`dead_relu_fraction`, :func:`dead_layer` and :func:`saturated_fraction` at
    the end of every epoch of :func:`lrsim.training.fit`.

    Parameters
    ----------
    x : array_like
        Inputs on which ReLUs count as dead and outputs as constant (the training inputs).
    x_val, y_val : array_like
        Samples whose true-class probability is tested against 1e-7 (the validation set).

    Attributes
    ----------
    dead, dead_layer, saturated : list of float, bool or numpy.ndarray
        One entry per epoch (one value per member for an ensemble).

    Examples
    --------
    >>> from lrsim.datasets import spirals
    >>> from lrsim.network import Dense, Sequential
    >>> from lrsim.optimizers import Adam
    >>> from lrsim.training import fit
    >>> data = spirals(n_samples=100, seed=0)
    >>> model = Sequential([Dense(8, "relu"), Dense(3, "softmax")], input_dim=2, seed=0)
    >>> inside = EpochDiagnostics(data.x_train, data.x_val, data.y_val)
    >>> _ = fit(model, Adam(0.01), data.x_train, data.y_train, epochs=3, callbacks=[inside])
    >>> len(inside.dead), bool(inside.dead_layer[-1]), inside.saturated[-1]
    (3, False, 0.0)
    """

    def __init__(self, x: ArrayLike, x_val: ArrayLike, y_val: ArrayLike) -> None:
        super().__init__()
        self.x, self.x_val, self.y_val = x, x_val, y_val
        self.dead: list[Any] = []
        self.dead_layer: list[Any] = []
        self.saturated: list[Any] = []

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        """Measure the model as the epoch left it."""
        self.dead.append(dead_relu_fraction(self.model, self.x))
        self.dead_layer.append(dead_layer(self.model, self.x))
        self.saturated.append(saturated_fraction(self.model, self.x_val, self.y_val))


def scaled_weight_losses(
    model: Sequential, x: ArrayLike, y: ArrayLike, scales: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """Evaluate ``model`` with every weight multiplied by each of ``scales`` in turn.

    Returns the loss at each scale and whether every gradient was finite there; overflow is
    data, not a warning. The model's own weights are restored.

    Examples
    --------
    >>> from lrsim.experiments import CASE_STUDY
    >>> data = CASE_STUDY.data()
    >>> model = CASE_STUDY.model(seed=0, dtype="float32", backend="jax")
    >>> losses, finite = scaled_weight_losses(model, data.x_train, data.y_train, [1.0, 1e20])
    >>> bool(np.isnan(losses[1])), finite.tolist()
    (True, [True, False])
    """
    factors = np.atleast_1d(as_float_array(scales, "scales", positive=True))
    start = model.get_weights()
    losses, finite = [], []
    try:
        with np.errstate(all="ignore"):
            for scale in factors:
                model.set_weights([w * scale for w in start])
                loss, gradients = model.loss_and_gradients(x, y)
                losses.append(float(loss))
                finite.append(all(np.isfinite(g).all() for g in gradients))
    finally:
        model.set_weights(start)
    return np.array(losses), np.array(finite, dtype=bool)
