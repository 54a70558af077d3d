"""Sharpness: the largest eigenvalue of a loss's Hessian, from gradients alone.

Near a point w, a loss looks like the quadratic ½·(u − w)ᵀH(u − w) plus a linear term, and on
that quadratic gradient descent is stable only while η < 2/λ_max(H) (:mod:`lrsim.quadratic`).
λ_max(H) is called the *sharpness*. For a network it changes as training moves w, so we
measure it along the way.

Nothing here forms H for a large model. A Hessian-vector product is a directional derivative
of the gradient,

    H·v ≈ (∇f(w + h·v) − ∇f(w − h·v)) / (2h),

which costs two gradient evaluations and is exact up to rounding for a quadratic (the gradient
is linear) and up to O(h²) for a smooth loss. The Lanczos method turns a few dozen such products
into the extreme eigenvalues of H (:func:`top_eigenvalue`). :func:`dense_hessian` builds the
whole matrix column by column, for checking on small problems.

A ReLU network's gradient jumps where a unit switches on or off. A central difference that
straddles such a switch is wrong by (jump)/(2h), so the default step is small (1e-7 relative to
the size of w): a switch then falls inside the step rarely, while rounding in float64 still
costs only about ``1e-16·|∇f|/h`` ≈ 1e-9. In float32 that step is below the resolution of the
weights (about 6e-8 relative), so :func:`model_gradient` evaluates a float32 model's gradient
on a float64 copy: the sharpness of the float32 weights, measured in float64.

:func:`full_batch_descent` trains a model with plain gradient descent on the whole training set
and records the loss and the sharpness as it goes: the measurement behind the edge of
stability (Cohen et al., 2021).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from lrsim._validation import as_count, as_float_array, as_one_hot, scalar_or_array
from lrsim.network import Sequential

__all__ = [
    "DEFAULT_STEP",
    "SharpnessHistory",
    "dense_hessian",
    "full_batch_descent",
    "hessian_vector_product",
    "model_gradient",
    "sharpness",
    "top_eigenvalue",
]

FloatArray = NDArray[np.float64]
Gradient = Callable[[FloatArray], FloatArray]

DEFAULT_STEP = 1e-7
"""Finite-difference step h, relative to max(1, ‖w‖/√n)."""


def _as_point(w: ArrayLike, name: str = "w") -> FloatArray:
    point = as_float_array(w, name)
    if point.ndim not in (1, 2) or point.shape[-1] == 0:
        raise ValueError(
            f"{name} must be flat parameters, shape (n,) or (members, n) with n >= 1, "
            f"got {point.shape}"
        )
    return point


def _step_sizes(point: FloatArray, step: float) -> FloatArray:
    """h per member: ``step`` times max(1, RMS of the weights)."""
    if not (np.isfinite(step) and step > 0):
        raise ValueError(f"step must be a finite number > 0, got {step!r}")
    rms = np.sqrt(np.mean(point**2, axis=-1, keepdims=True))
    sizes: FloatArray = step * np.maximum(1.0, rms)
    return sizes


def hessian_vector_product(
    gradient: Gradient, w: ArrayLike, v: ArrayLike, *, step: float = DEFAULT_STEP
) -> FloatArray:
    """Return H(w)·v by a central difference of ``gradient`` along ``v``.

    Parameters
    ----------
    gradient : callable
        Maps flat parameters to the gradient, (n,) → (n,), or for an ensemble of independent
        members (members, n) → (members, n).
    w, v : array_like, shape (n,) or (members, n)
        Where to differentiate, and the direction (one per member).
    step : float, default 1e-7
        Finite-difference step relative to max(1, RMS of w), > 0.

    Examples
    --------
    >>> A = np.array([[2.0, 1.0], [1.0, 3.0]])
    >>> hessian_vector_product(lambda u: u @ A, [0.5, -1.0], [1.0, 0.0]).round(6)
    array([2., 1.])
    """
    point = _as_point(w)
    direction = _as_point(v, "v")
    if direction.shape != point.shape:
        raise ValueError(f"v must have the shape of w, {point.shape}, got {direction.shape}")
    norms = np.linalg.norm(direction, axis=-1, keepdims=True)
    h = _step_sizes(point, step)
    units = direction / np.where(norms > 0, norms, 1.0)
    with np.errstate(all="ignore"):
        difference = gradient(point + h * units) - gradient(point - h * units)
        result: FloatArray = difference * (norms / (2 * h))
    return result


def dense_hessian(gradient: Gradient, w: ArrayLike, *, step: float = DEFAULT_STEP) -> FloatArray:
    """Return the whole Hessian at ``w`` (shape (n,)), column by column, symmetrised.

    Costs 2n gradient evaluations: for checking small problems, not for training.

    Examples
    --------
    >>> A = np.array([[2.0, 1.0], [1.0, 3.0]])
    >>> dense_hessian(lambda u: A @ u, [0.0, 0.0]).round(6)
    array([[2., 1.],
           [1., 3.]])
    """
    point = _as_point(w)
    if point.ndim != 1:
        raise ValueError(f"w must have shape (n,) for a dense Hessian, got {point.shape}")
    columns = [
        hessian_vector_product(gradient, point, basis, step=step) for basis in np.eye(point.size)
    ]
    matrix = np.stack(columns, axis=1)
    return 0.5 * (matrix + matrix.T)


def top_eigenvalue(
    hvp: Callable[[FloatArray], FloatArray],
    size: int,
    *,
    members: int | None = None,
    iterations: int = 20,
    seed: int | np.random.Generator = 0,
) -> Any:
    """Return the largest eigenvalue of a symmetric operator known only through products.

    The Lanczos method with full re-orthogonalisation: ``iterations`` products build a Krylov
    basis, and the largest eigenvalue of the small tridiagonal matrix it produces (the largest
    Ritz value) approaches λ_max from below, usually to many digits within 20 products when
    λ_max stands apart from the rest. Unlike the power method, it is not misled by a large
    negative eigenvalue.

    Parameters
    ----------
    hvp : callable
        v ↦ H·v for (n,) vectors, or for (members, n) stacks of independent operators.
    size : int
        n, >= 1.
    members : int, optional
        Number of independent operators handled at once; ``None`` for one.
    iterations : int, default 20
        Number of products, >= 1 (capped at n, where the answer is exact up to rounding).
    seed : int or numpy.random.Generator
        Seeds the random starting vectors.

    Returns
    -------
    float or numpy.ndarray
        λ_max, or one per member (NaN where a product was not finite).

    Examples
    --------
    >>> H = np.diag([-5.0, 0.5, 1.0, 4.0])
    >>> round(top_eigenvalue(lambda v: v @ H, 4), 10)
    4.0
    >>> stack = np.stack([H, 2 * H])
    >>> top_eigenvalue(lambda v: np.einsum("kij,kj->ki", stack, v), 4, members=2).round(10)
    array([4., 8.])
    """
    dimension = as_count(size, "size")
    count = min(as_count(iterations, "iterations"), dimension)
    batch = 1 if members is None else as_count(members, "members", minimum=0)
    rng = np.random.default_rng(seed)
    basis = np.zeros((batch, count, dimension))
    start = rng.standard_normal((batch, dimension))
    basis[:, 0] = start / np.linalg.norm(start, axis=-1, keepdims=True)
    tridiagonal = np.zeros((batch, count, count))
    used = count
    with np.errstate(all="ignore"):
        for j in range(count):
            vector = basis[:, j]
            product = np.asarray(hvp(vector if members is not None else vector[0]), dtype=float)
            product = product.reshape(batch, dimension)
            tridiagonal[:, j, j] = np.einsum("ki,ki->k", vector, product)
            # Two passes of Gram-Schmidt against the whole basis keep it orthogonal in float64.
            for _ in range(2):
                overlaps = np.einsum("kji,ki->kj", basis[:, : j + 1], product)
                product = product - np.einsum("kji,kj->ki", basis[:, : j + 1], overlaps)
            beta = np.linalg.norm(product, axis=-1)
            if j + 1 == count:
                break
            scale = np.maximum(1.0, np.abs(tridiagonal[:, j, j]))
            if np.all(~np.isfinite(beta) | (beta <= 1e-12 * scale)):
                used = j + 1  # every Krylov space is exhausted: the Ritz values are exact
                break
            # A member whose space is exhausted gets a zero vector and zero coupling, which
            # leaves its Ritz values unchanged.
            alive = np.isfinite(beta) & (beta > 1e-12 * scale)
            safe = np.where(alive, beta, 1.0)
            basis[:, j + 1] = np.where(alive[:, None], product / safe[:, None], 0.0)
            tridiagonal[:, j, j + 1] = tridiagonal[:, j + 1, j] = np.where(alive, beta, 0.0)
    matrices = tridiagonal[:, :used, :used]
    finite = np.all(np.isfinite(matrices), axis=(-1, -2))
    result = np.full(batch, np.nan)
    if finite.any():
        result[finite] = np.linalg.eigvalsh(matrices[finite])[:, -1]
    return float(result[0]) if members is None else result


def sharpness(
    gradient: Gradient,
    w: ArrayLike,
    *,
    iterations: int = 20,
    step: float = DEFAULT_STEP,
    seed: int | np.random.Generator = 0,
) -> Any:
    """Return λ_max of the Hessian at ``w``: Lanczos on finite-difference Hessian-vector products.

    ``w`` of shape (members, n) measures each member of an ensemble (``gradient`` then maps
    (members, n) to (members, n)) and returns one value per member.

    Examples
    --------
    On a quadratic ½wᵀAw the sharpness is λ_max(A) wherever it is measured:

    >>> A = np.diag([0.2, 4.0])
    >>> round(sharpness(lambda u: u @ A, [1.0, -3.0]), 6)
    4.0
    """
    point = _as_point(w)
    return top_eigenvalue(
        lambda v: hessian_vector_product(gradient, point, v, step=step),
        point.shape[-1],
        members=point.shape[0] if point.ndim == 2 else None,
        iterations=iterations,
        seed=seed,
    )


def _full_batch(
    model: Sequential, x: ArrayLike, y: ArrayLike
) -> tuple[NDArray[np.floating[Any]], NDArray[np.floating[Any]]]:
    """(x, y) checked and laid out for :meth:`~lrsim.network.Sequential.batch_gradients`."""
    rows = model.input_rows(x)
    targets = as_one_hot(y, "y", rows.shape[1], model.layers[-1].units)
    return rows[None], targets.T[None].astype(model.params.dtype)


def _float64_twin(model: Sequential) -> Sequential:
    """The model itself if it is float64, else a float64 copy of it (same layers, backend and
    weights)."""
    if model.dtype == "float64":
        return model
    members = model.ensemble_size
    twin = Sequential(
        model.layers,
        input_dim=model.input_dim,
        seed=0 if members is None else [0] * members,
        dtype="float64",
        backend=model.backend,
    )
    twin.params[...] = model.params
    return twin


def _flat(model: Sequential, array: NDArray[Any]) -> FloatArray:
    """A (members, n) array of the model as the flat weights of this module: (n,) for a single
    model, (members, n) for an ensemble, float64 and a copy."""
    flat = np.array(array, dtype=np.float64)
    return flat if model.ensemble_size is not None else flat[0]


def model_gradient(model: Sequential, x: ArrayLike, y: ArrayLike) -> tuple[FloatArray, Gradient]:
    """Return the model's flat weights and a function w ↦ ∇loss(w) on the batch (x, y), in float64.

    Flat weights are the model's :attr:`~lrsim.network.Sequential.params`: (n,) for a single
    model and (members, n) for an ensemble. The function writes w into the model's weights to
    evaluate the gradient; the model is left at whatever w was evaluated last, so restore its
    weights afterwards if it matters (:func:`full_batch_descent` does). A float32 model is not
    touched: the function evaluates a float64 copy of it, since a finite-difference step of
    1e-7 would vanish in float32 weights.

    Examples
    --------
    >>> from lrsim.network import Dense, Sequential
    >>> model = Sequential([Dense(2, "softmax")], input_dim=1, seed=0)
    >>> model.set_weights([np.zeros((1, 2)), np.zeros(2)])
    >>> w, gradient = model_gradient(model, [[1.0]], [[1, 0]])
    >>> w, gradient(w)  # kernel, then bias: p - y = (-0.5, 0.5) for both
    (array([0., 0., 0., 0.]), array([-0.5,  0.5, -0.5,  0.5]))
    """
    evaluated = _float64_twin(model)
    batch = _full_batch(evaluated, x, y)

    def gradient(flat: FloatArray) -> FloatArray:
        evaluated.params[...] = flat.reshape(evaluated.params.shape)
        evaluated.batch_gradients(*batch)
        return _flat(evaluated, evaluated.grads)

    return _flat(model, model.params), gradient


@dataclass(frozen=True)
class SharpnessHistory:
    """What :func:`full_batch_descent` measured; for an ensemble every array has a leading
    member axis.

    Attributes
    ----------
    learning_rate : float or numpy.ndarray
        η (one per member).
    loss : numpy.ndarray, shape (..., steps + 1)
        Training loss before each step; the last entry is after the last step. NaN or inf
        from the step where the run overflowed on.
    sharpness_step : numpy.ndarray of int
        The steps at which the sharpness was measured.
    sharpness : numpy.ndarray, shape (..., len(sharpness_step))
        λ_max of the Hessian at those steps (NaN once the weights are not finite).
    overflow_step : float or numpy.ndarray
        First step with a non-finite loss, ``inf`` if none.
    """

    learning_rate: Any
    loss: FloatArray
    sharpness_step: NDArray[np.int64]
    sharpness: FloatArray
    overflow_step: Any

    @property
    def threshold(self) -> Any:
        """2/η, the sharpness above which gradient descent is unstable on a quadratic."""
        return 2.0 / self.learning_rate


def full_batch_descent(
    model: Sequential,
    x: ArrayLike,
    y: ArrayLike,
    *,
    learning_rate: ArrayLike,
    steps: int,
    sharpness_every: int = 10,
    iterations: int = 20,
    seed: int | np.random.Generator = 0,
) -> SharpnessHistory:
    """Train with full-batch gradient descent, w ← w − η·∇loss(w), recording the sharpness.

    Every step uses the gradient on all of (x, y). Every ``sharpness_every`` steps (and after
    the last) the sharpness is measured at the current weights with :func:`sharpness`. The
    model ends with the trained weights. An ensemble (e.g. ``Sequential(..., seed=[0, 0, 0])``,
    three copies of one initialisation) trains every member at once, member k with
    ``learning_rate[k]``.

    Parameters
    ----------
    model : Sequential
        Trained in place.
    x, y : array_like
        The whole training set.
    learning_rate : float or array_like
        η > 0; one per member for an ensemble.
    steps : int
        Number of gradient steps, >= 0.
    sharpness_every : int, default 10
        Measurement interval, >= 1.
    iterations : int, default 20
        Lanczos products per measurement.
    seed : int or numpy.random.Generator
        Seeds the Lanczos starting vectors.

    Returns
    -------
    SharpnessHistory

    Examples
    --------
    Below the threshold 2/η the loss of a softmax regression falls:

    >>> from lrsim.datasets import spirals
    >>> from lrsim.network import Dense, Sequential
    >>> data = spirals(n_samples=100, seed=0)
    >>> model = Sequential([Dense(3, "softmax")], input_dim=2, seed=0)
    >>> history = full_batch_descent(model, data.x_train, data.y_train, learning_rate=0.5,
    ...                              steps=20, sharpness_every=10)
    >>> history.sharpness_step, history.threshold
    (array([ 0, 10, 20]), 4.0)
    >>> bool(np.all(history.sharpness < history.threshold)), bool(history.loss[-1] < history.loss[0])
    (True, True)
    """
    members = model.ensemble_size
    rates = as_float_array(learning_rate, "learning_rate", positive=True)
    expected_shape = () if members is None else (members,)
    if rates.shape not in (expected_shape, ()):
        raise ValueError(
            f"learning_rate must be a number or have shape {expected_shape} (one per member), "
            f"got shape {rates.shape}"
        )
    step_count = as_count(steps, "steps", minimum=0)
    interval = as_count(sharpness_every, "sharpness_every", minimum=0)
    if interval < 1:
        raise ValueError(f"sharpness_every must be an integer >= 1, got {sharpness_every!r}")
    rng = np.random.default_rng(seed)
    w, gradient_of = model_gradient(model, x, y)
    batch = _full_batch(model, x, y)
    eta = np.broadcast_to(rates, expected_shape)[..., None] if members is not None else rates
    losses = np.empty((*expected_shape, step_count + 1))
    measured_at = sorted({*range(0, step_count + 1, interval), step_count})
    curvatures = np.full((*expected_shape, len(measured_at)), np.nan)
    with np.errstate(all="ignore"):
        for k in range(step_count + 1):
            if k in measured_at:
                column = measured_at.index(k)
                finite = np.all(np.isfinite(w), axis=-1)
                if np.any(finite):
                    # Diverged members are measured at zero weights and reported as NaN.
                    probe = np.where(finite[..., None], w, 0.0) if members is not None else w
                    measured = sharpness(gradient_of, probe, iterations=iterations, seed=rng)
                    curvatures[..., column] = np.where(finite, measured, np.nan)
            model.params[...] = w.reshape(model.params.shape)
            loss, _ = model.batch_gradients(*batch)
            losses[..., k] = loss if members is not None else loss[0]
            if k < step_count:
                w = w - eta * _flat(model, model.grads)
    bad = ~np.isfinite(losses)
    overflow = np.where(bad.any(axis=-1), bad.argmax(axis=-1).astype(float), np.inf)
    return SharpnessHistory(
        learning_rate=scalar_or_array(rates),
        loss=losses,
        sharpness_step=np.asarray(measured_at, dtype=np.int64),
        sharpness=curvatures,
        overflow_step=scalar_or_array(overflow),
    )
