"""Gradient descent on the parabola f(x) = (L/2)·x², exactly.

The seed's y = x² is the case ``curvature=2``. One step of gradient descent with learning rate η is

    x' = x − η·f'(x) = x − η·L·x = (1 − ηL)·x,

so after k steps x_k = (1 − ηL)^k·x_0. Everything in this module follows from that factor
``r = 1 − ηL``: the regime (:class:`Regime`), the critical learning rate 2/L, the optimal 1/L,
the steps needed to reach a tolerance, and when a divergent run overflows to inf and then NaN.

All functions broadcast over arrays of learning rates and starting points. Iterates are
computed the way an optimiser computes them, ``x − η·(L·x)``, in float64 or float32, with
floating-point warnings silenced locally: overflow is a result here, not an error.
"""

from __future__ import annotations

import decimal
import enum
import math
from dataclasses import dataclass
from typing import Any, overload

import numpy as np
from numpy.typing import ArrayLike, NDArray

from lrsim._validation import (
    as_count,
    as_float_array,
    as_float_dtype,
    as_real,
    check_size,
    scalar_or_array,
)

__all__ = [
    "SEED_CURVATURE",
    "Overflow",
    "Regime",
    "classify",
    "closed_form",
    "contraction_factor",
    "critical_learning_rate",
    "iterate",
    "loss",
    "optimal_learning_rate",
    "overflow",
    "steps_to_tolerance",
]

SEED_CURVATURE = 2.0
"""Curvature L of the seed's y = x², whose gradient is 2x."""


class Regime(enum.Enum):
    """What gradient descent does on (L/2)x², decided by the factor r = 1 − ηL."""

    NO_DESCENT = "no descent"
    """η ≤ 0 (r ≥ 1): the iterate stays put (η = 0) or climbs away from the minimum."""
    MONOTONE = "monotone"
    """0 < ηL < 1 (0 < r < 1): every step moves towards 0 without crossing it."""
    ONE_STEP = "one step"
    """ηL = 1 (r = 0): the first step lands exactly on the minimum."""
    OSCILLATING = "oscillating, converges"
    """1 < ηL < 2 (−1 < r < 0): the sign flips every step while ``|x|`` shrinks."""
    PERIOD_TWO = "period two"
    """ηL = 2 (r = −1): x, −x, x, … forever; the loss never changes."""
    DIVERGENT = "divergent"
    """ηL > 2 (r < −1): the sign flips and ``|x|`` grows by ``|r|`` every step."""

    @property
    def converges(self) -> bool:
        """Whether iterates from any x_0 tend to the minimum."""
        return self in (Regime.MONOTONE, Regime.ONE_STEP, Regime.OSCILLATING)


def _check_curvature(curvature: float) -> float:
    return as_real(curvature, "curvature", low=0.0, low_open=True)


def contraction_factor(eta: ArrayLike, curvature: float = SEED_CURVATURE) -> Any:
    """Return the per-step factor r = 1 − η·L, so that x_{k+1} = r·x_k.

    Parameters
    ----------
    eta : float or array_like
        Learning rate(s); any finite real number.
    curvature : float, default 2
        L > 0, the second derivative of f(x) = (L/2)x²; 2 for y = x².

    Returns
    -------
    float or numpy.ndarray
        ``1 - eta * curvature``, a float for scalar ``eta``.

    Examples
    --------
    >>> contraction_factor(0.8)
    -0.6000000000000001
    >>> contraction_factor([0.25, 1.0, 1.2])
    array([ 0.5, -1. , -1.4])
    """
    eta_array = as_float_array(eta, "eta")
    curvature_value = _check_curvature(curvature)
    with np.errstate(over="ignore"):  # a learning rate near 1e308 gives r = -inf: data
        return scalar_or_array(1.0 - eta_array * curvature_value)


def critical_learning_rate(curvature: float = SEED_CURVATURE) -> float:
    """Return 2/L: gradient descent on (L/2)x² converges exactly when 0 < η < 2/L.

    Examples
    --------
    >>> critical_learning_rate()
    1.0
    >>> critical_learning_rate(curvature=10.0)
    0.2
    """
    return 2.0 / _check_curvature(curvature)


def optimal_learning_rate(curvature: float = SEED_CURVATURE) -> float:
    """Return 1/L, the learning rate that reaches the minimum in one step.

    Examples
    --------
    >>> optimal_learning_rate()
    0.5
    """
    return 1.0 / _check_curvature(curvature)


@overload
def classify(eta: float, curvature: float = ...) -> Regime: ...
@overload
def classify(eta: ArrayLike, curvature: float = ...) -> Regime | NDArray[np.object_]: ...
def classify(eta: ArrayLike, curvature: float = SEED_CURVATURE) -> Regime | NDArray[np.object_]:
    """Return the :class:`Regime` of gradient descent with learning rate ``eta``.

    The boundaries ηL = 1 and ηL = 2 are exact comparisons of r = 1 − ηL in float64.

    Parameters
    ----------
    eta : float or array_like
        Learning rate(s).
    curvature : float, default 2
        L > 0.

    Returns
    -------
    Regime or numpy.ndarray
        A :class:`Regime` for a scalar ``eta``; an object array of them otherwise.

    Examples
    --------
    >>> classify(0.8)
    <Regime.OSCILLATING: 'oscillating, converges'>
    >>> [regime.value for regime in classify([0.25, 0.5, 1.0, 1.2])]
    ['monotone', 'one step', 'period two', 'divergent']
    """
    r = np.asarray(contraction_factor(eta, curvature))
    first_match = [
        (r >= 1, Regime.NO_DESCENT),
        (r > 0, Regime.MONOTONE),
        (r == 0, Regime.ONE_STEP),
        (r > -1, Regime.OSCILLATING),
        (r == -1, Regime.PERIOD_TWO),
    ]
    result = np.full(r.shape, Regime.DIVERGENT, dtype=object)
    for condition, regime in reversed(first_match):  # earlier conditions take precedence
        result[condition] = regime
    if result.ndim == 0:
        scalar: Regime = result.item()
        return scalar
    return result


def closed_form(
    eta: ArrayLike, x0: ArrayLike = -1.0, k: ArrayLike = 1, curvature: float = SEED_CURVATURE
) -> Any:
    """Return x_k = (1 − ηL)^k · x_0 in float64, without iterating.

    Parameters
    ----------
    eta, x0 : float or array_like
        Learning rate(s) and starting point(s); they broadcast together and with ``k``.
    k : int or array_like of int
        Step number(s), k ≥ 0.
    curvature : float, default 2
        L > 0.

    Returns
    -------
    float or numpy.ndarray
        May be ±inf when the true value exceeds the float64 range.

    Examples
    --------
    >>> closed_form(1.2, x0=-1.0, k=[1, 2, 3])
    array([ 1.4  , -1.96 ,  2.744])
    """
    r = np.asarray(contraction_factor(eta, curvature), dtype=np.float64)
    x0_array = as_float_array(x0, "x0")
    k_array = np.asarray(k)
    if not np.issubdtype(k_array.dtype, np.integer) or np.any(k_array < 0):
        raise ValueError(f"k must be a non-negative integer or an array of them, got {k!r}")
    try:
        np.broadcast_shapes(r.shape, x0_array.shape, k_array.shape)
    except ValueError as error:
        raise ValueError(
            f"eta and x0 and k must broadcast together, got shapes {r.shape}, "
            f"{x0_array.shape} and {k_array.shape}"
        ) from error
    with np.errstate(over="ignore", invalid="ignore"):
        return scalar_or_array(x0_array * r**k_array)


def loss(x: ArrayLike, curvature: float = SEED_CURVATURE) -> Any:
    """Return f(x) = (L/2)·x², computed in the dtype of ``x`` (inf on overflow, no warning).

    Examples
    --------
    >>> loss(-1.0)
    1.0
    >>> loss([0.6, -0.36])
    array([0.36  , 0.1296])
    """
    x_array = np.asarray(x)
    if not np.issubdtype(x_array.dtype, np.floating):
        x_array = as_float_array(x, "x", finite=False)
    curvature_value = _check_curvature(curvature)
    with np.errstate(over="ignore", invalid="ignore"):  # a float32 cast may overflow: data
        half_curvature = x_array.dtype.type(0.5 * curvature_value)
        return scalar_or_array(half_curvature * x_array * x_array)


def iterate(
    eta: ArrayLike,
    x0: ArrayLike = -1.0,
    steps: int = 3,
    *,
    curvature: float = SEED_CURVATURE,
    dtype: Any = "float64",
) -> NDArray[np.floating[Any]]:
    """Run gradient descent on (L/2)x² and return every iterate x_0, x_1, …, x_steps.

    Each step is computed as an optimiser computes it, ``x - eta * (curvature * x)``, in
    ``dtype``. A divergent run overflows to ±inf and then to NaN (inf − inf); that is
    returned as data, with no RuntimeWarning.

    Parameters
    ----------
    eta : float or array_like
        Learning rate(s); finite.
    x0 : float or array_like, default -1
        Starting point(s); finite. Broadcasts with ``eta``.
    steps : int, default 3
        Number of gradient steps, ≥ 0.
    curvature : float, default 2
        L > 0 (2 for the seed's y = x²).
    dtype : {"float64", "float32"}
        Arithmetic precision.

    Returns
    -------
    numpy.ndarray
        Shape ``broadcast(eta, x0).shape + (steps + 1,)``; the last axis is the step k.

    Examples
    --------
    The seed's two learning rates from x = −1, three steps each:

    >>> iterate(0.8, x0=-1.0, steps=3)
    array([-1.   ,  0.6  , -0.36 ,  0.216])
    >>> iterate(1.2, x0=-1.0, steps=3)
    array([-1.   ,  1.4  , -1.96 ,  2.744])
    >>> iterate([0.8, 1.0], steps=2).shape
    (2, 3)
    """
    float_dtype = as_float_dtype(dtype)
    eta_array = as_float_array(eta, "eta")
    x0_array = as_float_array(x0, "x0")
    step_count = as_count(steps, "steps", minimum=0)
    curvature_value = _check_curvature(curvature)
    try:
        shape = np.broadcast_shapes(eta_array.shape, x0_array.shape)
    except ValueError as error:
        raise ValueError(
            f"eta and x0 must broadcast together, got shapes {eta_array.shape} and {x0_array.shape}"
        ) from error
    check_size((*shape, step_count + 1), "steps")
    path = np.empty((*shape, step_count + 1), dtype=float_dtype)
    with np.errstate(over="ignore", invalid="ignore"):  # float32 casts may overflow: data
        scale = float_dtype.type(curvature_value)
        eta_typed = eta_array.astype(float_dtype)
        path[..., 0] = x0_array
        for k in range(step_count):
            x = path[..., k]
            path[..., k + 1] = x - eta_typed * (scale * x)
    return path


def steps_to_tolerance(
    eta: ArrayLike, x0: ArrayLike = -1.0, tol: float = 1e-6, curvature: float = SEED_CURVATURE
) -> Any:
    """Return the fewest steps k with ``|x_k| ≤ tol``, or ``inf`` if it never happens.

    Computed from the closed form ``|x_k| = |1 − ηL|^k·|x_0|`` and checked at the boundary, so
    it agrees with counting the iterates of :func:`iterate` in float64.

    Parameters
    ----------
    eta, x0 : float or array_like
        Learning rate(s) and starting point(s); they broadcast together.
    tol : float, default 1e-6
        Tolerance on ``|x|``, > 0.
    curvature : float, default 2
        L > 0.

    Returns
    -------
    float or numpy.ndarray
        Whole numbers as floats, ``inf`` where ``|1 − ηL| ≥ 1`` and ``|x_0| > tol``.

    Examples
    --------
    >>> steps_to_tolerance(0.8)
    28.0
    >>> steps_to_tolerance([0.5, 0.25, 1.0])
    array([ 1., 20., inf])
    """
    tol_value = as_real(tol, "tol", low=0.0, low_open=True)
    rate = np.abs(np.asarray(contraction_factor(eta, curvature), dtype=np.float64))
    start = np.abs(as_float_array(x0, "x0"))
    try:
        rate, start = np.broadcast_arrays(rate, start)
    except ValueError as error:
        raise ValueError(
            f"eta and x0 must broadcast together, got shapes {np.shape(rate)} and {np.shape(start)}"
        ) from error
    result = np.full(rate.shape, np.inf)
    result[start <= tol_value] = 0.0
    shrinking = (start > tol_value) & (rate < 1)
    result[shrinking & (rate == 0)] = 1.0
    geometric = shrinking & (rate > 0)
    with np.errstate(divide="ignore", over="ignore", under="ignore"):
        estimate = np.ceil(np.log(tol_value / start[geometric]) / np.log(rate[geometric]))
    # The logarithms can round a whole number up or down by one; settle it on the iterates.
    k = np.maximum(estimate, 1.0)
    with np.errstate(over="ignore", under="ignore"):
        too_few = start[geometric] * rate[geometric] ** k > tol_value
        k[too_few] += 1
        enough_earlier = (k > 1) & (start[geometric] * rate[geometric] ** (k - 1) <= tol_value)
    k[enough_earlier] -= 1
    result[geometric] = k
    return scalar_or_array(result)


@dataclass(frozen=True)
class Overflow:
    """When a divergent run leaves the floating-point range (all steps count from x_0 = step 0).

    Attributes
    ----------
    dtype : str
        ``"float32"`` or ``"float64"``.
    loss_inf_step, x_inf_step, x_nan_step : int or None
        First step at which the loss (L/2)x², then x itself, became infinite, and at which x
        became NaN, measured by running :func:`iterate`; ``None`` if not reached within
        ``max_steps``.
    predicted_loss_inf_step, predicted_x_inf_step : int or None
        The same two steps predicted from the closed form in log space: the loss overflows
        when ``(L/2)|x_k|²`` first exceeds the largest finite value; x overflows at the first step
        whose product ``η·L·|x_{k-1}|`` or whose result ``|1 − ηL|·|x_{k−1}|`` exceeds it. ``None``
        when ``|1 − ηL| ≤ 1`` (no growth). Measured and predicted agree exactly unless the run
        is so slow (``|1 − ηL|`` within about 1e-3 of 1) that thousands of roundings add up to
        more than one step's growth.
    max_steps : int
        How many steps were run.
    """

    dtype: str
    loss_inf_step: int | None
    x_inf_step: int | None
    x_nan_step: int | None
    predicted_loss_inf_step: int | None
    predicted_x_inf_step: int | None
    max_steps: int


MAX_OVERFLOW_STEPS = 10**7
"""The most steps :func:`overflow` runs (a fraction of a second; the iterates are not kept)."""


def _first_overflow_steps(
    eta: float, x0: float, max_steps: int, curvature: float, dtype: np.dtype[Any]
) -> tuple[int | None, int | None, int | None]:
    """First steps with an infinite loss, an infinite x and a NaN x, iterating in chunks and
    keeping only the last iterate; stops once x is NaN or exactly 0 (both are absorbing)."""
    first: list[int | None] = [None, None, None]
    x, done = x0, 0
    with np.errstate(over="ignore", invalid="ignore"):
        start_loss = loss(np.asarray(x0, dtype=dtype), curvature)
    if np.isinf(start_loss):
        first[0] = 0
    while done < max_steps:
        size = min(4096, max_steps - done)
        chunk = iterate(eta, x, size, curvature=curvature, dtype=dtype)[1:]
        for index, mask in enumerate(
            (np.isinf(loss(chunk, curvature)), np.isinf(chunk), np.isnan(chunk))
        ):
            hits = np.flatnonzero(mask)
            if first[index] is None and hits.size:
                first[index] = done + 1 + int(hits[0])
        done += size
        x = chunk[-1].item()
        if math.isnan(x) or x == 0:
            break
    return first[0], first[1], first[2]


def overflow(
    eta: float,
    x0: float = -1.0,
    *,
    curvature: float = SEED_CURVATURE,
    dtype: Any = "float64",
    max_steps: int = 100_000,
) -> Overflow:
    """Measure when gradient descent on (L/2)x² overflows, and predict it from the closed form.

    Parameters
    ----------
    eta : float
        Learning rate; finite.
    x0 : float, default -1
        Starting point; finite and non-zero for a divergent run to overflow.
    curvature : float, default 2
        L > 0.
    dtype : {"float64", "float32"}
        Arithmetic precision.
    max_steps : int, default 100000
        Steps to run at most.

    Returns
    -------
    Overflow

    Examples
    --------
    >>> report = overflow(1.2, dtype="float32")
    >>> report.loss_inf_step, report.x_inf_step, report.x_nan_step
    (132, 263, 264)
    >>> report.predicted_x_inf_step
    263
    >>> overflow(0.8).x_inf_step is None
    True
    """
    float_dtype = as_float_dtype(dtype)
    eta_value = as_real(eta, "eta")
    x0_value = as_real(x0, "x0")
    curvature_value = _check_curvature(curvature)
    step_limit = as_count(max_steps, "max_steps", minimum=0)
    if step_limit > MAX_OVERFLOW_STEPS:
        raise ValueError(f"max_steps must be at most {MAX_OVERFLOW_STEPS}, got {max_steps!r}")
    loss_inf, x_inf, x_nan = _first_overflow_steps(
        eta_value, x0_value, step_limit, curvature_value, float_dtype
    )
    largest = float(np.finfo(float_dtype).max)

    predicted_loss: int | None = None
    predicted_x: int | None = None
    # In decimal arithmetic, where eta·L near 1e308 does not overflow as a float would.
    d = decimal.Decimal
    with decimal.localcontext(decimal.Context(prec=40)):
        rate = abs(1 - d(eta_value) * d(curvature_value))
        with np.errstate(over="ignore"):
            x0_rounded = float(np.asarray(x0_value, dtype=float_dtype))
        if rate > 1 and x0_rounded != 0 and not math.isinf(x0_rounded):
            # 40 digits settle the boundary cases (x_k = 2**512 squares to just past the
            # largest float64) that a float64 logarithm rounds the wrong way.
            log_max = d(largest).ln()
            log_start = d(abs(x0_value)).ln()
            log_rate = rate.ln()
            log_half_l = d(0.5 * curvature_value).ln()
            # Step k overflows if eta*L*|x_{k-1}| or |r|*|x_{k-1}| exceeds the largest float.
            log_worst = max(rate, abs(d(eta_value)) * d(curvature_value)).ln()
            # Floors, not int(): the quotients are negative once x0 or eta*L is huge.
            loss_steps = ((log_max - log_half_l) / 2 - log_start) / log_rate
            x_steps = (log_max - log_worst - log_start) / log_rate
            floor = decimal.ROUND_FLOOR
            predicted_loss = max(0, int(loss_steps.to_integral_value(rounding=floor)) + 1)
            predicted_x = max(1, int(x_steps.to_integral_value(rounding=floor)) + 2)
    return Overflow(
        dtype=float_dtype.name,
        loss_inf_step=loss_inf,
        x_inf_step=x_inf,
        x_nan_step=x_nan,
        predicted_loss_inf_step=predicted_loss,
        predicted_x_inf_step=predicted_x,
        max_steps=step_limit,
    )
