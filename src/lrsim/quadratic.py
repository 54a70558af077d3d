"""Gradient descent beyond the parabola: n-D quadratics and least squares.

On f(w) = ½·wᵀAw, with A symmetric positive semi-definite, one step of gradient descent is

    w' = w − η·A·w = (I − ηA)·w.

Write A = QΛQᵀ with orthonormal eigenvectors q_i and eigenvalues λ_i. The coordinates
c_i = q_iᵀw do not mix: c_i' = (1 − ηλ_i)·c_i. So each eigendirection is its own parabola
(:mod:`lrsim.parabola` with L = λ_i), the run converges exactly when every factor has
``|1 − ηλ_i| < 1``, that is 0 < η < 2/λ_max, and the distance to the minimum shrinks per step by at
worst ``max_i |1 − ηλ_i|`` (:func:`convergence_rate`). That worst factor is smallest at
η = 2/(λ_min + λ_max), where it equals (κ − 1)/(κ + 1) with κ = λ_max/λ_min.

:class:`LeastSquares` is a concrete quadratic built from a seed: the same data with a summed
loss has n times the curvature of the averaged one, so the same learning rate can train on
100 samples and diverge on 10,000. (Gradient descent on x⁴/4, whose curvature changes with x,
is :mod:`lrsim.quartic`.)

Every simulation broadcasts over learning rates and starting points and returns overflow as
data (±inf, then NaN) without RuntimeWarnings.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from lrsim._validation import as_count, as_float_array, as_real, scalar_or_array

__all__ = [
    "REDUCTIONS",
    "LeastSquares",
    "closed_form",
    "condition_number",
    "contraction_factors",
    "convergence_rate",
    "critical_learning_rate",
    "eigenvalues",
    "first_nonfinite_step",
    "iterate",
    "least_squares",
    "loss",
    "optimal_learning_rate",
    "optimal_momentum",
    "optimal_rate",
]

FloatArray = NDArray[np.float64]

REDUCTIONS = ("sum", "sum_over_batch_size")
"""How per-sample losses combine, with Keras's names: summed, or averaged over the samples."""


def _as_hessian(hessian: ArrayLike) -> FloatArray:
    """Return ``hessian`` as a float64 symmetric positive semi-definite matrix, or raise."""
    matrix = as_float_array(hessian, "hessian")
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1] or matrix.shape[0] == 0:
        raise ValueError(f"hessian must be a square (n, n) matrix with n >= 1, got {matrix.shape}")
    scale = float(np.abs(matrix).max(initial=0.0))
    tolerance = 1e-10 * max(scale, 1.0)
    if not np.allclose(matrix, matrix.T, rtol=0, atol=tolerance):
        raise ValueError("hessian must be symmetric (A equal to its transpose)")
    if np.linalg.eigvalsh(matrix)[0] < -tolerance:
        raise ValueError("hessian must be positive semi-definite (every eigenvalue >= 0)")
    return matrix


def eigenvalues(hessian: ArrayLike) -> FloatArray:
    """Return the eigenvalues λ_1 ≤ … ≤ λ_n of the symmetric PSD matrix ``hessian``.

    Tiny negative values from rounding are reported as 0.

    Examples
    --------
    >>> eigenvalues([[0.2, 0.0], [0.0, 4.0]])
    array([0.2, 4. ])
    """
    values: FloatArray = np.maximum(np.linalg.eigvalsh(_as_hessian(hessian)), 0.0)
    return values


def _largest_positive(hessian: ArrayLike) -> tuple[float, float]:
    values = eigenvalues(hessian)
    if values[-1] <= 0:
        raise ValueError("hessian must have a positive eigenvalue (it is the zero matrix)")
    return float(values[0]), float(values[-1])


def critical_learning_rate(hessian: ArrayLike) -> float:
    """Return 2/λ_max: gradient descent on ½wᵀAw converges from every start iff 0 < η < 2/λ_max.

    (Along a direction with λ_i = 0 nothing moves, so "converges" means: to the minimiser
    nearest the start.)

    Examples
    --------
    >>> critical_learning_rate([[0.2, 0.0], [0.0, 4.0]])
    0.5
    """
    return 2.0 / _largest_positive(hessian)[1]


def optimal_learning_rate(hessian: ArrayLike) -> float:
    """Return η* = 2/(λ_min + λ_max), the learning rate with the smallest worst-case factor.

    Examples
    --------
    >>> round(optimal_learning_rate([[0.2, 0.0], [0.0, 4.0]]), 4)
    0.4762
    """
    smallest, largest = _largest_positive(hessian)
    return 2.0 / (smallest + largest)


def condition_number(hessian: ArrayLike) -> float:
    """Return κ = λ_max/λ_min (``inf`` if λ_min = 0).

    Examples
    --------
    >>> condition_number([[0.2, 0.0], [0.0, 4.0]])
    20.0
    """
    smallest, largest = _largest_positive(hessian)
    return largest / smallest if smallest > 0 else float("inf")


def optimal_rate(hessian: ArrayLike) -> float:
    """Return (κ − 1)/(κ + 1), the per-step factor at the optimal learning rate.

    Examples
    --------
    >>> round(optimal_rate([[0.2, 0.0], [0.0, 4.0]]), 4)
    0.9048
    """
    smallest, largest = _largest_positive(hessian)
    return (largest - smallest) / (largest + smallest)


def optimal_momentum(hessian: ArrayLike) -> tuple[float, float]:
    """Return Polyak's best heavy-ball pair (η, β) for ½wᵀAw, as ``SGD(learning_rate=η, momentum=β)``.

    η = 4/(√λ_max + √λ_min)² and β = ((√κ − 1)/(√κ + 1))²: with them every eigendirection of
    heavy-ball momentum contracts by the same factor √β = (√κ − 1)/(√κ + 1) per step
    (:func:`lrsim.adam_dynamics.spectral_radius` with ``kind="heavy_ball"``), against
    (κ − 1)/(κ + 1) for gradient descent at its best (:func:`optimal_rate`).

    Examples
    --------
    >>> eta, beta = optimal_momentum([[0.2, 0.0], [0.0, 4.0]])
    >>> round(eta, 4), round(beta, 4), round(beta**0.5, 4)
    (0.6679, 0.4026, 0.6345)
    """
    smallest, largest = _largest_positive(hessian)
    root_small, root_large = np.sqrt(smallest), np.sqrt(largest)
    eta = 4.0 / (root_large + root_small) ** 2
    beta = ((root_large - root_small) / (root_large + root_small)) ** 2
    return float(eta), float(beta)


def contraction_factors(hessian: ArrayLike, eta: ArrayLike) -> Any:
    """Return the factors 1 − ηλ_i, one per eigenvalue (ascending), for every learning rate.

    Parameters
    ----------
    hessian : array_like, shape (n, n)
        Symmetric positive semi-definite A.
    eta : float or array_like
        Learning rate(s), finite.

    Returns
    -------
    numpy.ndarray
        Shape ``eta.shape + (n,)``.

    Examples
    --------
    >>> contraction_factors([[0.2, 0.0], [0.0, 4.0]], [0.4, 0.6])
    array([[ 0.92, -0.6 ],
           [ 0.88, -1.4 ]])
    """
    values = eigenvalues(hessian)
    eta_array = as_float_array(eta, "eta")
    return 1.0 - eta_array[..., None] * values


def convergence_rate(hessian: ArrayLike, eta: ArrayLike) -> Any:
    """Return ``max_i |1 − ηλ_i|``, the worst per-step factor on the distance to the minimum.

    Below 1 gradient descent converges from every start; above 1 it diverges from almost
    every start. Only λ_min and λ_max matter, because ``|1 − ηλ|`` is convex in λ.

    Examples
    --------
    >>> convergence_rate([[0.2, 0.0], [0.0, 4.0]], [0.25, 0.5, 0.6])
    array([0.95, 1.  , 1.4 ])
    """
    return scalar_or_array(np.abs(contraction_factors(hessian, eta)).max(axis=-1))


def loss(hessian: ArrayLike, w: ArrayLike) -> Any:
    """Return f(w) = ½·wᵀAw for the last axis of ``w`` (inf on overflow, no warning).

    Examples
    --------
    >>> loss([[0.2, 0.0], [0.0, 4.0]], [1.0, 1.0])
    2.1
    """
    matrix = _as_hessian(hessian)
    points = np.asarray(w, dtype=np.float64)
    with np.errstate(over="ignore", invalid="ignore"):
        return scalar_or_array(0.5 * np.einsum("...i,ij,...j->...", points, matrix, points))


def _starts(w0: ArrayLike, size: int) -> FloatArray:
    points = as_float_array(w0, "w0")
    if points.ndim == 0 or points.shape[-1] != size:
        raise ValueError(
            f"w0 must have shape (..., {size}) to match the hessian, got {points.shape}"
        )
    return points


def iterate(hessian: ArrayLike, eta: ArrayLike, w0: ArrayLike, steps: int) -> FloatArray:
    """Run gradient descent w ← w − η·(A·w) on ½wᵀAw and return every iterate.

    Parameters
    ----------
    hessian : array_like, shape (n, n)
        Symmetric positive semi-definite A.
    eta : float or array_like
        Learning rate(s), finite.
    w0 : array_like, shape (..., n)
        Starting point(s); the leading axes broadcast with ``eta``.
    steps : int
        Number of steps, >= 0.

    Returns
    -------
    numpy.ndarray
        Shape ``broadcast(eta.shape, w0.shape[:-1]) + (steps + 1, n)``; axis -2 is the step.
        Divergent runs overflow to ±inf and then NaN, silently.

    Examples
    --------
    >>> A = [[0.2, 0.0], [0.0, 4.0]]
    >>> iterate(A, 0.4, [1.0, 1.0], steps=2)
    array([[ 1.    ,  1.    ],
           [ 0.92  , -0.6   ],
           [ 0.8464,  0.36  ]])
    >>> iterate(A, [0.4, 0.5, 0.6], [[1.0, 1.0]], steps=10).shape
    (3, 11, 2)
    """
    matrix = _as_hessian(hessian)
    eta_array = as_float_array(eta, "eta")
    starts = _starts(w0, matrix.shape[0])
    step_count = as_count(steps, "steps", minimum=0)
    shape = np.broadcast_shapes(eta_array.shape, starts.shape[:-1])
    path = np.empty((*shape, step_count + 1, matrix.shape[0]))
    path[..., 0, :] = starts
    rates = eta_array[..., None]
    with np.errstate(over="ignore", invalid="ignore"):
        for k in range(step_count):
            w = path[..., k, :]
            path[..., k + 1, :] = w - rates * (w @ matrix)  # A is symmetric: w @ A == A @ w
    return path


def closed_form(hessian: ArrayLike, eta: ArrayLike, w0: ArrayLike, k: int) -> FloatArray:
    """Return w_k = Q·diag((1 − ηλ_i)^k)·Qᵀ·w_0 without iterating.

    Shapes broadcast as in :func:`iterate`; the result has shape
    ``broadcast(eta.shape, w0.shape[:-1]) + (n,)``.

    Examples
    --------
    >>> closed_form([[0.2, 0.0], [0.0, 4.0]], 0.6, [1.0, 1.0], k=3).round(4)
    array([ 0.6815, -2.744 ])
    """
    matrix = _as_hessian(hessian)
    values, vectors = np.linalg.eigh(matrix)
    starts = _starts(w0, matrix.shape[0])
    power = as_count(k, "k", minimum=0)
    factors = 1.0 - as_float_array(eta, "eta")[..., None] * np.maximum(values, 0.0)
    with np.errstate(over="ignore", invalid="ignore"):
        coordinates = (starts @ vectors) * factors**power
        result: FloatArray = coordinates @ vectors.T
    return result


def first_nonfinite_step(values: ArrayLike) -> Any:
    """Return the first index along the last axis where ``values`` is ±inf or NaN, else ``inf``.

    The step at which a run overflowed, as data: a float (whole number) or ``inf`` for runs
    that stayed finite, with the shape of ``values`` minus its last axis.

    Examples
    --------
    >>> first_nonfinite_step([[1.0, 2.0, float("inf"), float("nan")], [1.0, 0.5, 0.25, 0.1]])
    array([ 2., inf])
    """
    array = np.asarray(values, dtype=np.float64)
    bad = ~np.isfinite(array)
    steps = np.where(bad.any(axis=-1), bad.argmax(axis=-1).astype(np.float64), np.inf)
    return scalar_or_array(steps)


@dataclass(frozen=True)
class LeastSquares:
    """Linear regression ŷ = Xw with Keras's squared error, summed or averaged over samples.

    The loss is Σ_j (x_jᵀw − y_j)² for ``reduction="sum"`` and that sum divided by n for
    ``"sum_over_batch_size"`` (Keras's ``MeanSquaredError``). Both are quadratics in w with
    Hessian 2XᵀX, or 2XᵀX/n: the same data, curvature n times apart.

    Attributes
    ----------
    x : numpy.ndarray, shape (n, d)
        Features.
    y : numpy.ndarray, shape (n,)
        Targets.
    reduction : {"sum", "sum_over_batch_size"}
        How the per-sample squared errors combine.

    Examples
    --------
    >>> problem = least_squares(100, seed=0, reduction="sum")
    >>> problem.x.shape, problem.hessian.shape
    ((100, 2), (2, 2))
    >>> averaged = least_squares(100, seed=0)
    >>> bool(np.allclose(problem.hessian, 100 * averaged.hessian))
    True
    """

    x: FloatArray
    y: FloatArray
    reduction: Literal["sum", "sum_over_batch_size"] = "sum_over_batch_size"

    def __post_init__(self) -> None:
        if self.reduction not in REDUCTIONS:
            raise ValueError(f"reduction must be one of {REDUCTIONS}, got {self.reduction!r}")

    @property
    def _scale(self) -> float:
        return 1.0 if self.reduction == "sum" else 1.0 / self.x.shape[0]

    @property
    def hessian(self) -> FloatArray:
        """2XᵀX (summed) or 2XᵀX/n (averaged), the same at every w."""
        return 2.0 * self._scale * (self.x.T @ self.x)

    def loss(self, w: ArrayLike) -> Any:
        """Return the loss at weights ``w`` (shape (..., d)); inf on overflow, no warning."""
        with np.errstate(over="ignore", invalid="ignore"):
            residuals = np.asarray(w, dtype=np.float64) @ self.x.T - self.y
            return scalar_or_array(self._scale * (residuals**2).sum(axis=-1))

    def gradient(self, w: ArrayLike) -> FloatArray:
        """Return the gradient 2s·Xᵀ(Xw − y) at weights ``w`` (shape (..., d)), s = 1 (summed)
        or 1/n (averaged); inf or NaN on overflow, no warning.

        Examples
        --------
        >>> problem = least_squares(100, seed=0)
        >>> best = np.linalg.lstsq(problem.x, problem.y, rcond=None)[0]
        >>> bool(np.allclose(problem.gradient(best), 0.0, atol=1e-12))
        True
        """
        with np.errstate(over="ignore", invalid="ignore"):
            weights = np.asarray(w, dtype=np.float64)
            return 2.0 * self._scale * ((weights @ self.x.T - self.y) @ self.x)

    def gradient_descent(
        self, learning_rate: ArrayLike, steps: int, w0: ArrayLike | None = None
    ) -> FloatArray:
        """Run full-batch gradient descent and return the loss after every step.

        Each step is w ← w − η·2s·Xᵀ(Xw − y), with s = 1 (summed) or 1/n (averaged), as an
        optimiser computes it from the gradient.

        Parameters
        ----------
        learning_rate : float or array_like
            η, finite; an array runs every learning rate at once.
        steps : int
            Number of steps, >= 0.
        w0 : array_like, shape (d,), optional
            Starting weights; zeros by default.

        Returns
        -------
        numpy.ndarray
            Losses, shape ``learning_rate.shape + (steps + 1,)``; step 0 is the start.
            A divergent run overflows to inf, then NaN (see :func:`first_nonfinite_step`).
        """
        rates = as_float_array(learning_rate, "learning_rate")[..., None]
        step_count = as_count(steps, "steps", minimum=0)
        dimension = self.x.shape[1]
        start = np.zeros(dimension) if w0 is None else _starts(w0, dimension)
        w = np.broadcast_to(start, (*rates.shape[:-1], dimension)).copy()
        losses = np.empty((*rates.shape[:-1], step_count + 1))
        losses[..., 0] = self.loss(w)
        with np.errstate(over="ignore", invalid="ignore"):
            for k in range(step_count):
                w = w - rates * self.gradient(w)
                losses[..., k + 1] = self.loss(w)
        return losses


def least_squares(
    n_samples: int,
    *,
    n_features: int = 2,
    noise: float = 0.1,
    seed: int | np.random.Generator = 0,
    reduction: Literal["sum", "sum_over_batch_size"] = "sum_over_batch_size",
) -> LeastSquares:
    """Draw a regression problem: X ~ N(0, 1), y = X·w_true + noise, w_true ~ N(0, 1).

    Each row draws its features and its noise together, one row after another from one
    generator, so ``least_squares(10_000)`` starts with the 100 samples of
    ``least_squares(100)``, targets included (same seed): more data from the same source,
    nothing else changed.

    Parameters
    ----------
    n_samples : int
        n >= 1.
    n_features : int, default 2
        d >= 1.
    noise : float, default 0.1
        Standard deviation of the target noise, >= 0.
    seed : int or numpy.random.Generator
        Seeds the draw.
    reduction : {"sum", "sum_over_batch_size"}
        Summed or averaged squared error.

    Examples
    --------
    >>> small, large = least_squares(100, seed=1), least_squares(10_000, seed=1)
    >>> bool(np.array_equal(small.x, large.x[:100]) and np.array_equal(small.y, large.y[:100]))
    True
    """
    samples = as_count(n_samples, "n_samples")
    features = as_count(n_features, "n_features")
    noise = as_real(noise, "noise", low=0.0)
    rng = np.random.default_rng(seed)
    true_weights = rng.standard_normal(features)
    rows = rng.standard_normal((samples, features + 1))
    x = rows[:, :features]
    y = x @ true_weights + noise * rows[:, features]
    return LeastSquares(x=x, y=y, reduction=reduction)
