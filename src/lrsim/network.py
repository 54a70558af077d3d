"""A small dense softmax classifier, readable in one sitting, that computes what Keras computes.

``Sequential([Dense(32, "relu"), Dense(32, "relu"), Dense(3, "softmax")], input_dim=2)`` is
the Keras model of the same name: Glorot-uniform kernels and zero biases, weights in Keras's
layout (``get_weights()`` gives kernel (in, out), bias (out,), ... per layer), and Keras's
``categorical_crossentropy`` on the softmax output, as one Keras backend computes it:

* ``backend="tensorflow"`` (the default, as in Keras 3, and what ``tf.keras`` always did):
  a softmax output carries its logits, and the loss is computed from them
  (``tf.nn.softmax_cross_entropy_with_logits``): log Σ exp(z − max z) − (z_true − max z),
  unbounded, no clip. A logit margin of 50 against the true class costs 50.
* ``backend="jax"`` (also ``"torch"`` and ``"numpy"``): the probabilities are renormalised
  and clipped to [1e-7, 1 − 1e-7] before the log, so one sample's loss is at most
  −log(1e-7) ≈ 16.118.

Backpropagation is written out by hand. For one-hot labels the gradient of a sample's loss
with respect to the output layer's pre-activations is ``p - y`` on both backends, except, on
the clipped backends, when the probability of the true class was clipped: then the clip
passes no gradient and the sample contributes zero, as in Keras. The loss of a batch is the
mean over its samples, and so is the gradient.

Ensembles: ``seed=[s_0, ..., s_{K-1}]`` builds K independent models that run as one
computation. Their weights carry a leading axis of length K, initialised member by member
exactly as a single model with seed s_k, and every product is a batched ``np.matmul``, so
member k computes the same numbers as that single model.

How a training loop steps the model (:func:`lrsim.training.fit` steps it through these alone):

* :attr:`Sequential.params` and :attr:`Sequential.grads`, two (members, weights) arrays the
  model owns for its whole life: every weight, and the gradient of the last batch's mean loss,
  in one flat layout. An optimizer updates ``params`` in place from ``grads``.
* :meth:`Sequential.batch_gradients`: one batch's loss, probabilities and gradient (into
  ``grads``), in fresh arrays, for any batch.
* :meth:`Sequential.gradient_pass`: the same computation for one batch size, in arrays the
  model allocates once per batch size and keeps (a :class:`GradientPass`). The loop owns
  nothing of it; it reads the pass's ``loss`` and ``probabilities`` before the next run, and
  checks its batches once (they must be laid out as :meth:`Sequential.input_rows` gives
  them), since a run checks nothing.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, DTypeLike, NDArray

from lrsim._validation import (
    as_count,
    as_features,
    as_flag,
    as_float_array,
    as_float_dtype,
    as_one_hot,
    as_seeds,
    check_size,
    scalar_or_array,
)

__all__ = [
    "ACTIVATIONS",
    "BACKENDS",
    "EPSILON",
    "Dense",
    "GradientPass",
    "Sequential",
    "categorical_accuracy",
    "categorical_crossentropy",
    "glorot_uniform",
    "softmax",
]

FloatArray = NDArray[np.floating[Any]]

EPSILON = 1e-7
"""Keras's ``backend.epsilon()``: the clip applied to probabilities in the cross-entropy."""

ACTIVATIONS = ("linear", "relu", "softmax")
"""Activations a :class:`Dense` layer accepts."""

BACKENDS = ("tensorflow", "jax", "torch", "numpy")
"""Keras backends a :class:`Sequential` can compute as (the names ``KERAS_BACKEND`` takes).

TensorFlow computes the cross-entropy of a softmax output from its logits; the other three
clip the probabilities, and compute the same numbers as one another."""

LOGITS_BACKENDS = frozenset({"tensorflow"})


@dataclass(frozen=True)
class Dense:
    """A fully connected layer: ``activation(inputs @ kernel + bias)``.

    Parameters
    ----------
    units : int
        Output size, >= 1.
    activation : {"linear", "relu", "softmax"}, default "linear"
        Keras's ``activation=None`` is ``"linear"``.

    Examples
    --------
    >>> Dense(32, "relu")
    Dense(units=32, activation='relu')
    """

    units: int
    activation: str = "linear"

    def __post_init__(self) -> None:
        as_count(self.units, "units")
        activation: Any = self.activation  # checked at run time, whatever the annotation says
        if not isinstance(activation, str) or activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {ACTIVATIONS}, got {self.activation!r}")


def glorot_uniform(fan_in: int, fan_out: int, rng: np.random.Generator) -> NDArray[np.float64]:
    """Draw a (fan_in, fan_out) kernel from U(-limit, limit), limit = sqrt(6/(fan_in + fan_out)).

    Keras's ``GlorotUniform``: variance scaling with scale 1, mode "fan_avg", uniform.

    Examples
    --------
    >>> import numpy as np
    >>> kernel = glorot_uniform(2, 32, np.random.default_rng(0))
    >>> kernel.shape, bool(np.abs(kernel).max() <= np.sqrt(6 / 34))
    ((2, 32), True)
    """
    limit = math.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, size=(fan_in, fan_out))


def _softmax(z: FloatArray, axis: int = -1) -> FloatArray:
    exponentials = np.exp(z - z.max(axis=axis, keepdims=True))
    result: FloatArray = exponentials / exponentials.sum(axis=axis, keepdims=True)
    return result


def softmax(logits: ArrayLike) -> FloatArray:
    """Return exp(z - max z) / sum exp(z - max z) over the last axis (the stable form Keras uses).

    Examples
    --------
    >>> softmax([0.0, 0.0, 0.0, 0.0])
    array([0.25, 0.25, 0.25, 0.25])
    >>> softmax([1000.0, 0.0]).round(6)
    array([1., 0.])
    """
    z = np.asarray(logits)
    if not np.issubdtype(z.dtype, np.floating):
        z = z.astype(np.float64)
    with np.errstate(invalid="ignore", over="ignore"):
        return _softmax(z)


def _clip_bounds(dtype: np.dtype[Any]) -> tuple[Any, Any]:
    """Keras's clip of probabilities, [1e-7, 1 - 1e-7], in ``dtype``."""
    return dtype.type(EPSILON), dtype.type(1.0 - EPSILON)


def _true_class(
    probabilities: FloatArray, targets: FloatArray, axis: int
) -> tuple[FloatArray, FloatArray]:
    """Probabilities renormalised to sum to 1, as Keras's clipped losses do first, and the share
    of the true (one-hot) class, which the clip then bounds."""
    normalised = probabilities / probabilities.sum(axis=axis, keepdims=True)
    return normalised, (normalised * targets).sum(axis=axis)


def categorical_crossentropy(
    y_true: ArrayLike, y_pred: ArrayLike, *, from_logits: bool = False
) -> FloatArray:
    """Return Keras's per-sample cross-entropy of ``y_pred`` against ``y_true``.

    With ``from_logits=False``, ``y_pred`` holds probabilities: they are renormalised to sum
    to 1 over the last axis and clipped to [1e-7, 1 - 1e-7] before the logarithm, as every
    Keras backend does with a plain probability tensor, so each loss is at most 16.118.
    With ``from_logits=True``, ``y_pred`` holds logits z and the loss is
    ``log Σ exp(z - max z) - Σ y·(z - max z)``, unclipped: what Keras's TensorFlow backend
    computes for a ``softmax`` output, whose logits it keeps.

    Examples
    --------
    >>> categorical_crossentropy([[0, 1], [1, 0]], [[0.5, 0.5], [0.0, 1.0]])
    array([ 0.69314718, 16.11809565])
    >>> categorical_crossentropy([[1, 0]], [[0.0, 50.0]], from_logits=True)
    array([50.])
    """
    as_flag(from_logits, "from_logits")
    values = np.asarray(y_pred)
    if not np.issubdtype(values.dtype, np.floating):
        values = as_float_array(y_pred, "y_pred", finite=False)
    targets = as_float_array(y_true, "y_true", finite=False).astype(values.dtype)
    if targets.shape != values.shape or values.ndim == 0 or values.shape[-1] == 0:
        raise ValueError(
            "y_true and y_pred must have the same shape (..., classes >= 1), got "
            f"{targets.shape} and {values.shape}"
        )
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        if from_logits:
            losses, _ = _logits_crossentropy(targets, values, axis=-1)
            return losses
        low, high = _clip_bounds(values.dtype)
        normalised = values / values.sum(axis=-1, keepdims=True)
        result: FloatArray = -(targets * np.log(np.clip(normalised, low, high))).sum(axis=-1)
    return result


def _logits_crossentropy(
    targets: FloatArray, logits: FloatArray, axis: int
) -> tuple[FloatArray, FloatArray]:
    """Per-sample loss and softmax probabilities from logits, in TensorFlow's order of operations.

    TensorFlow's ``SoftmaxCrossEntropyWithLogits`` kernel: shifted = z - max z,
    s = Σ exp(shifted), loss = Σ y·(log s - shifted), probabilities exp(shifted)/s.
    """
    shifted = logits - logits.max(axis=axis, keepdims=True)
    exponentials = np.exp(shifted)
    sums = exponentials.sum(axis=axis, keepdims=True)
    losses: FloatArray = (targets * (np.log(sums) - shifted)).sum(axis=axis)
    return losses, exponentials / sums


def categorical_accuracy(y_true: ArrayLike, y_pred: ArrayLike) -> FloatArray:
    """Return 1.0 where argmax(y_pred) equals argmax(y_true) along the last axis, else 0.0.

    Examples
    --------
    >>> categorical_accuracy([[0, 1], [1, 0]], [[0.2, 0.8], [0.3, 0.7]])
    array([1., 0.])
    """
    predictions = np.asarray(y_pred)
    matches = np.argmax(predictions, axis=-1) == np.argmax(np.asarray(y_true), axis=-1)
    dtype = predictions.dtype if np.issubdtype(predictions.dtype, np.floating) else np.float64
    result: FloatArray = matches.astype(dtype)
    return result


def _as_backend(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"backend must be one of {BACKENDS}, got {value!r}")
    if value not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}, got {value!r}")
    return value


class Sequential:
    """A stack of :class:`Dense` layers ending in softmax, trained with categorical cross-entropy.

    Parameters
    ----------
    layers : sequence of Dense
        At least one layer; the last must use ``activation="softmax"``.
    input_dim : int
        Number of input features, >= 1.
    seed : int, Generator, None, or sequence of ints
        Seeds the Glorot-uniform kernels (biases start at zero). A sequence of K seeds builds
        an ensemble of K independent members, member k initialised as ``seed=seeds[k]``.
    dtype : {"float64", "float32"}
        Precision of weights and arithmetic.
    backend : {"tensorflow", "jax", "torch", "numpy"}, default "tensorflow"
        The Keras backend whose cross-entropy the model computes, as ``KERAS_BACKEND`` names
        it. ``"tensorflow"`` (Keras 3's default, and ``tf.keras``) computes the loss from the
        output layer's logits, unclipped; the others clip the probabilities to
        [1e-7, 1 - 1e-7]. Loss, gradients, ``evaluate`` and :func:`lrsim.training.fit`'s
        ``loss`` and ``val_loss`` all follow it; ``predict`` is the same on every backend.

    Attributes
    ----------
    optimizer : Optimizer or None
        Set by :func:`lrsim.training.fit` (Keras sets it in ``compile``); callbacks read it.
    stop_training : bool or numpy.ndarray
        Set by callbacks to end training, per member (shape (K,)) for an ensemble.
    running : bool or numpy.ndarray
        Set by :func:`lrsim.training.fit` before the callbacks see an epoch's logs: which
        members trained that epoch. Stopped members get NaN logs, and callbacks leave their
        state alone.

    Examples
    --------
    >>> import numpy as np
    >>> model = Sequential([Dense(4, "relu"), Dense(3, "softmax")], input_dim=2, seed=0)
    >>> [w.shape for w in model.get_weights()]
    [(2, 4), (4,), (4, 3), (3,)]
    >>> model.predict(np.zeros((1, 2)))
    array([[0.33333333, 0.33333333, 0.33333333]])
    >>> ensemble = Sequential([Dense(3, "softmax")], input_dim=2, seed=[0, 1, 2])
    >>> ensemble.ensemble_size, ensemble.get_weights()[0].shape
    (3, (3, 2, 3))

    The backends part ways on a confidently wrong sample (a logit margin of 50):

    >>> wrong = [np.array([[50.0, 0.0]]), np.zeros(2)]
    >>> for backend in ("tensorflow", "jax"):
    ...     model = Sequential([Dense(2, "softmax")], input_dim=1, backend=backend)
    ...     model.set_weights(wrong)
    ...     print(backend, round(model.evaluate([[1.0]], [[0, 1]])["loss"], 3))
    tensorflow 50.0
    jax 16.118
    """

    def __init__(
        self,
        layers: Sequence[Dense],
        *,
        input_dim: int,
        seed: Any = None,
        dtype: DTypeLike = "float64",
        backend: str = "tensorflow",
    ) -> None:
        given: Any = layers  # checked at run time, whatever the annotation says
        if isinstance(given, (str, bytes)) or not isinstance(given, Sequence):
            raise TypeError(f"layers must be a non-empty sequence of Dense, got {layers!r}")
        self.layers = tuple(layers)
        if not self.layers or not all(isinstance(layer, Dense) for layer in self.layers):
            raise TypeError(f"layers must be a non-empty sequence of Dense, got {layers!r}")
        if self.layers[-1].activation != "softmax":
            raise ValueError(
                "the last of layers must use activation='softmax' (the loss is the categorical "
                f"cross-entropy of probabilities), got {self.layers[-1].activation!r}"
            )
        self.input_dim = as_count(input_dim, "input_dim")
        self._dtype = as_float_dtype(dtype)
        self.backend = _as_backend(backend)
        """The Keras backend whose loss the model computes (see :data:`BACKENDS`)."""
        self._from_logits = self.backend in LOGITS_BACKENDS
        seeds, is_ensemble = as_seeds(seed)
        generators = [np.random.default_rng(member_seed) for member_seed in seeds]
        self.ensemble_size: int | None = len(generators) if is_ensemble else None
        """K for an ensemble, ``None`` for a single model."""

        # Each layer's weights are one (in + 1, out) matrix: the kernel with the bias as an
        # extra last row, and every layer input carries an extra last row of ones. Then
        # weights.T @ inputs adds the bias, and inputs @ delta.T is the kernel's and the bias's
        # gradient at once. The matrices of all layers sit side by side in one flat buffer per
        # member (kernel, bias, kernel, ...: Keras's order), so the optimizer updates every
        # weight with a handful of array operations.
        fan_ins = (self.input_dim, *(layer.units for layer in self.layers[:-1]))
        self._fan_ins = fan_ins
        sizes = [
            (fan_in + 1) * layer.units for fan_in, layer in zip(fan_ins, self.layers, strict=True)
        ]
        offsets = np.cumsum([0, *sizes])
        members = len(generators)
        check_size((members, int(offsets[-1])), "layers, input_dim and seed (members × weights)")
        self._params = np.zeros((members, int(offsets[-1])), dtype=self._dtype)
        self._grads = np.zeros_like(self._params)
        bounds = list(zip(offsets[:-1], offsets[1:], fan_ins, self.layers, strict=True))
        self._layer_weights = [
            self._params[:, a:b].reshape(members, fan_in + 1, layer.units)
            for a, b, fan_in, layer in bounds
        ]
        self._layer_grads = [
            self._grads[:, a:b].reshape(members, fan_in + 1, layer.units)
            for a, b, fan_in, layer in bounds
        ]
        self._kernels = [weights[:, :-1] for weights in self._layer_weights]
        for member, rng in enumerate(generators):
            for kernel, fan_in, layer in zip(self._kernels, fan_ins, self.layers, strict=True):
                kernel[member] = glorot_uniform(fan_in, layer.units, rng)
        self._workspaces: dict[int, tuple[list[FloatArray], list[FloatArray]]] = {}
        self._passes: dict[int, GradientPass] = {}

        self.optimizer: Any = None
        self.stop_training: bool | NDArray[np.bool_] = False
        self.running: bool | NDArray[np.bool_] = True

    @property
    def dtype(self) -> str:
        """``"float64"`` or ``"float32"``."""
        return self._dtype.name

    @property
    def params(self) -> FloatArray:
        """Every weight of the model in one writable (members, weights) array, one row per
        ensemble member (a single model has one row): a live view, not a copy.

        Each layer's (in + 1, out) matrix, its kernel with the bias as the last row, lies
        flat in layer order. Optimizers update this array in place, as :func:`lrsim.training.fit`
        does with one step per batch; :meth:`get_weights` gives Keras's layout instead.

        Examples
        --------
        >>> model = Sequential([Dense(2, "softmax")], input_dim=1, seed=[0, 1])
        >>> model.params.shape, model.params.flags.writeable
        ((2, 4), True)
        """
        return self._params

    @property
    def grads(self) -> FloatArray:
        """The gradient of the last batch's mean loss, laid out as :attr:`params` (a live view).

        The training loop computes it in place; :meth:`loss_and_gradients` returns a copy in
        Keras's layout instead.
        """
        return self._grads

    def count_params(self) -> int:
        """Return the number of weights of one member.

        Examples
        --------
        >>> Sequential([Dense(32, "relu"), Dense(3, "softmax")], input_dim=2).count_params()
        195
        """
        return int(self._params.shape[1])

    def _squeeze(self, array: NDArray[Any]) -> NDArray[Any]:
        return array if self.ensemble_size is not None else array[0]

    def _keras_layout(self, matrices: list[FloatArray]) -> list[FloatArray]:
        """Split (in + 1, out) matrices into Keras's kernel (in, out) and bias (out,) copies."""
        arrays = []
        for matrix in matrices:
            arrays += [self._squeeze(matrix[:, :-1]).copy(), self._squeeze(matrix[:, -1]).copy()]
        return arrays

    def get_weights(self) -> list[FloatArray]:
        """Return copies of the weights in Keras's order: kernel, bias, kernel, bias, ...

        Kernels are (in, out) and biases (out,), with a leading K axis for an ensemble.

        Examples
        --------
        >>> model = Sequential([Dense(2, "softmax")], input_dim=3, seed=0)
        >>> [w.shape for w in model.get_weights()]
        [(3, 2), (2,)]
        """
        return self._keras_layout(self._layer_weights)

    def set_weights(self, weights: Sequence[ArrayLike]) -> None:
        """Replace the weights, given in the layout :meth:`get_weights` returns.

        Values are cast to the model's dtype; non-finite values are accepted (a diverged
        model's weights can be restored).

        Examples
        --------
        >>> import numpy as np
        >>> model = Sequential([Dense(2, "softmax")], input_dim=1, seed=0)
        >>> model.set_weights([np.array([[1.0, -1.0]]), np.zeros(2)])
        >>> model.get_weights()[0]
        array([[ 1., -1.]])
        """
        if not isinstance(weights, (list, tuple)):
            raise TypeError(f"weights must be a list of arrays, got {type(weights).__name__}")
        targets = [
            part for matrix in self._layer_weights for part in (matrix[:, :-1], matrix[:, -1])
        ]
        if len(weights) != len(targets):
            raise ValueError(
                f"weights must hold {len(targets)} arrays (kernel and bias per layer), "
                f"got {len(weights)}"
            )
        arrays = []
        for index, (value, target) in enumerate(zip(weights, targets, strict=True)):
            array = np.asarray(value)
            if not (
                np.issubdtype(array.dtype, np.floating) or np.issubdtype(array.dtype, np.integer)
            ):
                raise TypeError(f"weights[{index}] must hold real numbers, got dtype {array.dtype}")
            expected = self._squeeze(target).shape
            if array.shape != expected:
                raise ValueError(f"weights[{index}] must have shape {expected}, got {array.shape}")
            arrays.append(array)
        for array, target in zip(arrays, targets, strict=True):
            target[...] = array if self.ensemble_size is not None else array[None]

    def input_rows(self, x: ArrayLike, name: str = "x") -> FloatArray:
        """Return ``x`` checked and laid out as the model reads it: (input_dim + 1, samples),
        one row per feature and a last row of ones (the bias's input).

        :meth:`batch_gradients` and :meth:`batch_losses` take batches in this layout, with a
        leading axis of length 1 (shared by all members) or K. The result is row-major, like
        the shuffled copies :func:`lrsim.training.fit` takes its batches from: BLAS may sum a
        product of a row-major and of a column-major matrix in different orders, and a batch
        must give the same bits however it reached the model.

        Examples
        --------
        >>> model = Sequential([Dense(2, "softmax")], input_dim=2, seed=0)
        >>> model.input_rows([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
        array([[1., 3., 5.],
               [2., 4., 6.],
               [1., 1., 1.]])
        """
        inputs = as_features(x, name, self.input_dim)
        rows = np.ones((self.input_dim + 1, len(inputs)), dtype=self._dtype)
        rows[:-1] = inputs.T
        return rows

    # Inside the model, arrays are laid out features × samples, as in a = Wᵀx: a layer's
    # input is (K, in + 1, B) and its output (K, out, B). Sums over the classes and the
    # activations of hidden layers then run along whole rows of the batch, which NumPy
    # vectorises, instead of along many short rows of 3 or 32 numbers.

    def _workspace(self, batch_size: int) -> tuple[list[FloatArray], list[FloatArray]]:
        """Reused arrays for batches of ``batch_size``: the hidden layers' outputs (with their
        row of ones) and the loss's derivatives with respect to them.

        Reuse matters for ensembles, whose arrays are large enough that fresh ones would cost
        fresh memory pages on every step.
        """
        workspace = self._workspaces.get(batch_size)
        if workspace is None:
            members = self._params.shape[0]
            hidden = [layer.units for layer in self.layers[:-1]]
            workspace = (
                [np.ones((members, units + 1, batch_size), dtype=self._dtype) for units in hidden],
                [np.empty((members, units, batch_size), dtype=self._dtype) for units in hidden],
            )
            self._workspaces[batch_size] = workspace
        return workspace

    def gradient_pass(self, batch_size: int) -> GradientPass | None:
        """Return the model's :class:`GradientPass` for batches of ``batch_size`` samples.

        The pass is made on the first call for a batch size and kept: every later call
        returns the same object, whose arrays a training loop reuses batch after batch.
        Returns ``None`` when a hidden layer is a softmax, which only the general code of
        :meth:`batch_gradients` computes.

        Examples
        --------
        >>> model = Sequential([Dense(4, "relu"), Dense(3, "softmax")], input_dim=2, seed=0)
        >>> step = model.gradient_pass(32)
        >>> step is model.gradient_pass(32), step.loss.shape, step.probabilities.shape
        (True, (1,), (1, 3, 32))
        >>> softmax_inside = Sequential([Dense(4, "softmax"), Dense(3, "softmax")], input_dim=2)
        >>> print(softmax_inside.gradient_pass(32))
        None
        """
        size = as_count(batch_size, "batch_size")
        found = self._passes.get(size)
        if found is None:
            if any(layer.activation == "softmax" for layer in self.layers[:-1]):
                return None
            found = self._passes[size] = GradientPass(self, size)
        return found

    def _forward(self, x: FloatArray) -> list[FloatArray]:
        """Return the input, every hidden layer's output (with its row of ones) and the logits.

        ``x`` is (K or 1, in + 1, B). The hidden outputs live in reused buffers, valid until
        the next call; the returned logits (K, classes, B) are a new array.
        """
        outputs = [x]
        buffers, _ = self._workspace(x.shape[-1])
        hidden = zip(self.layers[:-1], self._layer_weights, buffers, strict=False)
        for layer, weights, buffer in hidden:  # the output layer follows
            values = buffer[:, :-1]
            np.matmul(weights.swapaxes(-1, -2), outputs[-1], out=values)
            if layer.activation == "relu":
                np.maximum(values, 0, out=values)
            elif layer.activation == "softmax":
                values[...] = _softmax(values, axis=-2)
            outputs.append(buffer)
        outputs.append(np.matmul(self._layer_weights[-1].swapaxes(-1, -2), outputs[-1]))
        return outputs

    def batch_losses(self, x: FloatArray, y: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Return the per-sample losses (K, B) and the probabilities (K, classes, B) of a batch.

        ``x`` is laid out as :meth:`input_rows` gives it and ``y`` as one-hot rows
        (classes, B), each with a leading axis of length 1 or K; the weights are not changed.
        Call inside ``np.errstate`` when weights may be non-finite.

        Examples
        --------
        >>> import numpy as np
        >>> model = Sequential([Dense(2, "softmax")], input_dim=1, seed=0)
        >>> model.set_weights([np.zeros((1, 2)), np.zeros(2)])
        >>> losses, probabilities = model.batch_losses(model.input_rows([[1.0]])[None],
        ...                                            np.array([[[1.0], [0.0]]]))
        >>> losses, probabilities[0, :, 0]
        (array([[0.69314718]]), array([0.5, 0.5]))
        """
        losses, probabilities, _ = self._losses(self._forward(x)[-1], y)
        return losses, probabilities

    def _losses(
        self, logits: FloatArray, y: FloatArray
    ) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Per-sample losses (K, B), the probabilities, and each loss's gradient by the logits.

        ``logits`` and the one-hot ``y`` are (K, classes, B). The gradient is ``p - y`` for
        every sample, zeroed on the clipped backends where the true-class probability sat at
        the clip. Call inside ``np.errstate`` when weights may be non-finite.
        """
        # Backprop's matrix products must see delta in one memory layout whatever the layout
        # of y (a shuffled view in fit, a transposed one in loss_and_gradients): BLAS sums in
        # a layout-dependent order, and fit must equal the batch-by-batch reference bit for bit.
        if self._from_logits:
            losses, probabilities = _logits_crossentropy(y, logits, axis=-2)
            return losses, probabilities, np.subtract(probabilities, y, order="C")
        probabilities = _softmax(logits, axis=-2)
        low, high = _clip_bounds(self._dtype)
        normalised, true_class = _true_class(probabilities, y, axis=-2)
        clipped = np.minimum(np.maximum(true_class, low), high)
        # The clip has zero derivative where it is active.
        delta = np.subtract(normalised, y, order="C")
        delta *= (clipped == true_class)[:, None, :]
        return -np.log(clipped), probabilities, delta

    def batch_gradients(self, x: FloatArray, y: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Forward, loss and backprop of one batch; the gradient lands in :attr:`grads`.

        ``x`` and ``y`` are laid out as for :meth:`batch_losses`. Returns the batch-mean loss
        per member (K,) and the probabilities (K, classes, B), fresh arrays. This is the step
        of :func:`lrsim.lr_finder.lr_range_test` and :mod:`lrsim.sharpness`;
        :func:`lrsim.training.fit` runs the same computation through :meth:`gradient_pass`,
        without the copies; :meth:`loss_and_gradients` takes Keras's layout instead. Call
        inside ``np.errstate`` when weights may be non-finite.

        Examples
        --------
        >>> import numpy as np
        >>> model = Sequential([Dense(2, "softmax")], input_dim=1, seed=0)
        >>> model.set_weights([np.zeros((1, 2)), np.zeros(2)])
        >>> loss, _ = model.batch_gradients(model.input_rows([[1.0]])[None],
        ...                                 np.array([[[1.0], [0.0]]]))
        >>> loss, model.grads  # kernel row, then bias row: p - y = (-0.5, 0.5) for both
        (array([0.69314718]), array([[-0.5,  0.5, -0.5,  0.5]]))
        """
        fast = self.gradient_pass(x.shape[-1])
        if fast is not None:
            fast.run(x, y)
            return fast.loss.copy(), fast.probabilities.copy()
        outputs = self._forward(x)
        batch_size = self._dtype.type(x.shape[-1])
        losses, probabilities, delta = self._losses(outputs[-1], y)
        loss = losses.sum(axis=-1) / batch_size
        # d(mean loss)/d(logits) = (p - y)/B
        delta *= 1 / batch_size
        _, derivatives = self._workspace(x.shape[-1])
        for index in range(len(self.layers) - 1, -1, -1):
            inputs = outputs[index]
            np.matmul(inputs, delta.swapaxes(-1, -2), out=self._layer_grads[index])
            if index == 0:
                break
            delta = np.matmul(self._kernels[index], delta, out=derivatives[index - 1])
            activation = self.layers[index - 1].activation
            if activation == "relu":
                delta *= inputs[:, :-1] > 0
            elif activation == "softmax":
                values = inputs[:, :-1]
                delta = values * (delta - (delta * values).sum(axis=-2, keepdims=True))
        return loss, probabilities

    def predict(self, x: ArrayLike) -> FloatArray:
        """Return the softmax probabilities, (samples, classes) or (K, samples, classes).

        Examples
        --------
        >>> import numpy as np
        >>> model = Sequential([Dense(2, "softmax")], input_dim=1, seed=0)
        >>> model.predict(np.zeros((3, 1))).shape
        (3, 2)
        """
        inputs = self.input_rows(x)
        with np.errstate(all="ignore"):
            return self._squeeze(
                _softmax(self._forward(inputs[None])[-1], axis=-2).swapaxes(-1, -2)
            )

    def evaluate(self, x: ArrayLike, y: ArrayLike) -> dict[str, Any]:
        """Return ``{"loss": ..., "accuracy": ...}`` over all samples (floats, or (K,) arrays).

        The loss is the mean of :func:`categorical_crossentropy` as the model's backend computes
        it (from the logits on TensorFlow, from clipped probabilities otherwise), as Keras's
        ``evaluate`` reports it.

        Examples
        --------
        >>> import numpy as np
        >>> model = Sequential([Dense(2, "softmax")], input_dim=1, seed=0)
        >>> model.set_weights([np.zeros((1, 2)), np.zeros(2)])
        >>> model.evaluate(np.zeros((2, 1)), np.eye(2))
        {'loss': 0.6931471805599453, 'accuracy': 0.5}
        """
        inputs = self.input_rows(x)
        targets = as_one_hot(y, "y", inputs.shape[1], self.layers[-1].units)
        with np.errstate(all="ignore"):
            losses, probabilities = self.batch_losses(
                inputs[None], targets.T[None].astype(self._dtype)
            )
        accuracy = categorical_accuracy(targets, probabilities.swapaxes(-1, -2))
        return {
            "loss": scalar_or_array(self._squeeze(losses.mean(axis=-1)), np.float64),
            "accuracy": scalar_or_array(self._squeeze(accuracy.mean(axis=-1)), np.float64),
        }

    def loss_and_gradients(self, x: ArrayLike, y: ArrayLike) -> tuple[Any, list[FloatArray]]:
        """Return the mean loss over the batch (x, y) and its gradients, in Keras's layout.

        The loss is a float, or a (K,) array for an ensemble; the gradients follow
        :meth:`get_weights`.

        Examples
        --------
        >>> import numpy as np
        >>> model = Sequential([Dense(2, "softmax")], input_dim=1, seed=0)
        >>> model.set_weights([np.zeros((1, 2)), np.zeros(2)])
        >>> loss, grads = model.loss_and_gradients(np.ones((1, 1)), [[1, 0]])
        >>> loss, grads[1]  # d/d(bias) = p - y = (0.5 - 1, 0.5 - 0)
        (0.6931471805599453, array([-0.5,  0.5]))
        """
        inputs = self.input_rows(x)
        targets = as_one_hot(y, "y", inputs.shape[1], self.layers[-1].units).astype(self._dtype)
        with np.errstate(all="ignore"):
            loss, _ = self.batch_gradients(inputs[None], targets.T[None])
        return scalar_or_array(self._squeeze(loss), np.float64), self._keras_layout(
            self._layer_grads
        )


class GradientPass:
    """One batch size's forward pass, loss and backprop, in arrays allocated once: the step of
    a training loop. Get it from :meth:`Sequential.gradient_pass`, which keeps one per batch
    size.

    :meth:`run` computes what :meth:`Sequential.batch_gradients` computes, with the same NumPy
    operations in the same order (so the same bits), but without a fresh array or a
    Python-level lookup per operation. It writes the gradient into the model's
    :attr:`~Sequential.grads` and the batch's loss and probabilities into :attr:`loss` and
    :attr:`probabilities`, which the pass owns and overwrites on every run. It reads the
    model's :attr:`~Sequential.params` as they are at the call.

    A run checks nothing: ``x`` must be (K or 1, input_dim + 1, batch_size) and ``y``
    (K or 1, classes, batch_size), of the model's dtype, laid out as
    :meth:`Sequential.input_rows` gives them (as :func:`lrsim.training.fit` checks once per
    fit), and non-finite weights call for ``np.errstate``. Hidden layers must be ``relu`` or
    ``linear``.

    Examples
    --------
    >>> import numpy as np
    >>> model = Sequential([Dense(2, "softmax")], input_dim=1, seed=0)
    >>> model.set_weights([np.zeros((1, 2)), np.zeros(2)])
    >>> step = model.gradient_pass(1)
    >>> step.run(model.input_rows([[1.0]])[None], np.array([[[1.0], [0.0]]]))
    >>> step.loss, step.probabilities[0, :, 0], model.grads  # as batch_gradients' example
    (array([0.69314718]), array([0.5, 0.5]), array([[-0.5,  0.5, -0.5,  0.5]]))
    """

    def __init__(self, model: Sequential, batch_size: int) -> None:
        dtype = model._dtype
        count = model._params.shape[0]
        classes = model.layers[-1].units
        # One member computes on 2-D views: NumPy's matmul and reductions run the same inner
        # loops on a stack of one matrix as on the matrix, and the views cost fewer calls' setup.
        self._squeeze = count == 1
        self._from_logits = model._from_logits
        self._low, self._high = _clip_bounds(dtype)
        self._batch_size = dtype.type(batch_size)
        self._scale = 1 / self._batch_size
        self._weights_t = [self._own(w.swapaxes(-1, -2)) for w in model._layer_weights]
        self._kernels = [self._own(kernel) for kernel in model._kernels]
        self._grads = [self._own(grads) for grads in model._layer_grads]
        self._relu = [layer.activation == "relu" for layer in model.layers[:-1]]

        def empty(*shape: int, kind: Any = dtype) -> FloatArray:
            return self._own(np.empty((count, *shape), dtype=kind))

        hidden = [layer.units for layer in model.layers[:-1]]
        self._hidden = [
            self._own(np.ones((count, units + 1, batch_size), dtype=dtype)) for units in hidden
        ]
        self._values = [buffer[..., :-1, :] for buffer in self._hidden]
        self._derivatives = [empty(units, batch_size) for units in hidden]
        self._masks = [empty(units, batch_size, kind=bool) for units in hidden]
        self.probabilities = np.empty((count, classes, batch_size), dtype=dtype)
        """The softmax probabilities (members, classes, B) of the last :meth:`run`, overwritten
        by the next."""
        self._probabilities = self._own(self.probabilities)
        self._logits, self._exponentials = empty(classes, batch_size), empty(classes, batch_size)
        self._scratch = empty(classes, batch_size)
        self._delta = empty(classes, batch_size)  # C order: see Sequential._losses
        # Each layer's delta, transposed for its weights' gradient (inputs @ delta.T).
        self._deltas_t = [d.swapaxes(-1, -2) for d in (*self._derivatives, self._delta)]
        self._delta_t = self._delta.swapaxes(-1, -2)
        self._column, self._column_2 = empty(1, batch_size), empty(1, batch_size)
        self._losses, self._row = empty(batch_size), empty(batch_size)
        self._equal = empty(batch_size, kind=bool)
        self.loss = np.empty(count, dtype=dtype)
        """The batch-mean loss per member (members,) of the last :meth:`run`, overwritten by
        the next."""
        self._loss = self.loss.reshape(()) if self._squeeze else self.loss

    def _own(self, array: NDArray[Any]) -> NDArray[Any]:
        return array[0] if self._squeeze else array

    def run(self, x: FloatArray, y: FloatArray) -> None:
        """Forward, loss and backprop of one batch ``x``, ``y`` (leading axis 1 or all members):
        the gradient lands in the model's ``grads``, the loss and probabilities in the pass's."""
        if self._squeeze:
            x, y = x[0], y[0]
        inputs = x
        for weights_t, values, buffer, relu in zip(
            self._weights_t, self._values, self._hidden, self._relu, strict=False
        ):
            np.matmul(weights_t, inputs, out=values)
            if relu:
                np.maximum(values, 0, out=values)
            inputs = buffer
        logits, exponentials, probabilities, scratch = (
            self._logits, self._exponentials, self._probabilities, self._scratch
        )  # fmt: skip
        column, sums, losses, delta = self._column, self._column_2, self._losses, self._delta
        np.matmul(self._weights_t[-1], inputs, out=logits)
        if self._from_logits:  # network._logits_crossentropy
            np.maximum.reduce(logits, axis=-2, keepdims=True, out=column)
            np.subtract(logits, column, out=scratch)  # shifted
            np.exp(scratch, out=exponentials)
            np.add.reduce(exponentials, axis=-2, keepdims=True, out=sums)
            np.log(sums, out=column)
            np.subtract(column, scratch, out=scratch)
            np.multiply(y, scratch, out=scratch)
            np.add.reduce(scratch, axis=-2, out=losses)
            np.divide(exponentials, sums, out=probabilities)
            np.subtract(probabilities, y, out=delta)
        else:  # network._softmax, _true_class and the clip of Sequential._losses
            np.maximum.reduce(logits, axis=-2, keepdims=True, out=column)
            np.subtract(logits, column, out=scratch)
            np.exp(scratch, out=exponentials)
            np.add.reduce(exponentials, axis=-2, keepdims=True, out=sums)
            np.divide(exponentials, sums, out=probabilities)
            np.add.reduce(probabilities, axis=-2, keepdims=True, out=column)
            np.divide(probabilities, column, out=exponentials)  # normalised
            np.multiply(exponentials, y, out=scratch)
            true_class, clipped = self._row, losses
            np.add.reduce(scratch, axis=-2, out=true_class)
            np.maximum(true_class, self._low, out=clipped)
            np.minimum(clipped, self._high, out=clipped)
            np.subtract(exponentials, y, out=delta)
            np.equal(clipped, true_class, out=self._equal)
            np.multiply(delta, self._equal[..., None, :], out=delta)
            np.log(clipped, out=losses)
            np.negative(losses, out=losses)
        np.add.reduce(losses, axis=-1, out=self._loss)
        np.divide(self._loss, self._batch_size, out=self._loss)
        np.multiply(delta, self._scale, out=delta)  # d(mean loss)/d(logits) = (p - y)/B
        deltas_t = self._deltas_t
        for index in range(len(self._grads) - 1, 0, -1):
            np.matmul(self._hidden[index - 1], deltas_t[index], out=self._grads[index])
            delta = np.matmul(self._kernels[index], delta, out=self._derivatives[index - 1])
            if self._relu[index - 1]:
                mask = self._masks[index - 1]
                np.greater(self._values[index - 1], 0, out=mask)
                np.multiply(delta, mask, out=delta)
        np.matmul(x, deltas_t[0], out=self._grads[0])
