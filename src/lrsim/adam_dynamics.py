"""Adam on the parabola, and the momentum stability limits that bound it.

Two halves:

* **Momentum on a quadratic.** On f(x) = (λ/2)x² every momentum method is a linear recurrence
  in two numbers (position and velocity), so it is stable exactly when the spectral radius of
  its 2×2 companion matrix is below 1. That radius depends on the product h = ηλ and on β
  only. :func:`momentum_matrix`, :func:`spectral_radius`, :func:`stability_threshold` (found
  numerically by bisection on the radius), :func:`momentum_threshold` (the closed form) and
  :func:`momentum_run` (the recurrence itself, to check both by simulation) cover heavy ball,
  Nesterov and the exponential-average ("EMA") momentum that Adam uses.
* **Adam on (L/2)x².** :func:`adam_on_parabola` runs Keras's Adam (:class:`lrsim.optimizers.Adam`)
  on the parabola for several learning rates (and starting points) at once and records, beside
  the iterates, the *preconditioned sharpness*: the curvature times the factor that multiplies
  the first moment ``m`` in the step. Adam's step is ``x -= c_t·m`` with
  c_t = alpha_t/(sqrt(v_t) + epsilon), so in the EMA recurrence above h = c_t·L, and once the
  bias corrections have faded c_t·L ≈ lr·L/(sqrt(v̂_t) + epsilon): the quantity Cohen et al.
  (2022) track. :func:`first_step_rounding` takes Keras's float32 first step apart.
* **The size of Adam's step.** :func:`update_ratio` and :func:`update_ratio_limit`: the step
  is lr·m̂/sqrt(v̂), and m̂/sqrt(v̂) is about ±1 only while the gradient's scale holds steady;
  under gradients that grow geometrically it tends to a larger limit (Ma and Yarats, 2021).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, DTypeLike, NDArray

from lrsim._validation import as_count, as_float_array, as_float_dtype, as_real, scalar_or_array
from lrsim.optimizers import Adam

__all__ = [
    "MOMENTUM_KINDS",
    "AdamRun",
    "FirstStepRounding",
    "MomentumKind",
    "adam_on_parabola",
    "first_step_rounding",
    "momentum_matrix",
    "momentum_run",
    "momentum_threshold",
    "spectral_radius",
    "stability_threshold",
    "update_ratio",
    "update_ratio_limit",
]

MomentumKind = Literal["heavy_ball", "nesterov", "ema"]
MOMENTUM_KINDS: tuple[MomentumKind, ...] = ("heavy_ball", "nesterov", "ema")
"""The momentum forms covered here:

``"heavy_ball"``
    Keras's ``SGD(momentum=β)``: v ← βv − ηg, x ← x + v (Polyak's heavy ball).
``"nesterov"``
    Keras's ``SGD(momentum=β, nesterov=True)``: v ← βv − ηg, x ← x + βv − ηg.
``"ema"``
    Adam's first moment: m ← βm + (1 − β)g, x ← x − ηm.
"""


def _check_kind(kind: Any) -> MomentumKind:
    if kind not in MOMENTUM_KINDS:
        raise ValueError(f"kind must be one of {MOMENTUM_KINDS}, got {kind!r}")
    kind_checked: MomentumKind = kind
    return kind_checked


def _check_beta(beta: Any) -> float:
    return as_real(beta, "beta", low=0.0, high=1.0, high_open=True)


def momentum_matrix(eta_lambda: ArrayLike, beta: float, kind: MomentumKind = "ema") -> NDArray[Any]:
    """Return the 2×2 matrix that advances (x, velocity) by one step on (λ/2)x².

    The state is (x, v) for heavy ball and Nesterov, and (x, η·m) for EMA momentum, so that
    only h = ηλ and β appear. The characteristic polynomials are z² − Tz + D with

    ============  ==========================  ============
    kind          T (trace)                   D (det)
    ============  ==========================  ============
    heavy_ball    1 + β − h                   β
    nesterov      (1 + β)(1 − h)              β(1 − h)
    ema           1 + β − (1 − β)h            β
    ============  ==========================  ============

    Parameters
    ----------
    eta_lambda : float or array_like
        h = ηλ, learning rate times curvature; finite.
    beta : float
        Momentum coefficient in [0, 1).
    kind : {"heavy_ball", "nesterov", "ema"}
        Which momentum (see :data:`MOMENTUM_KINDS`).

    Returns
    -------
    numpy.ndarray
        Shape ``np.shape(eta_lambda) + (2, 2)``.

    Examples
    --------
    >>> momentum_matrix(1.0, 0.5, "heavy_ball")
    array([[ 0. ,  0.5],
           [-1. ,  0.5]])
    >>> momentum_matrix([1.0, 2.0], 0.9, "ema").shape
    (2, 2, 2)
    """
    h = as_float_array(eta_lambda, "eta_lambda")
    b = _check_beta(beta)
    kind = _check_kind(kind)
    matrix = np.empty((*h.shape, 2, 2))
    if kind == "heavy_ball":  # v' = b v - h x;  x' = x + v'
        rows = ((1 - h, b), (-h, b))
    elif kind == "nesterov":  # v' = b v - h x;  x' = x + b v' - h x
        rows = ((1 - h * (1 + b), b * b), (-h, b))
    else:  # q = eta m:  q' = b q + (1 - b) h x;  x' = x - q'
        rows = ((1 - (1 - b) * h, -b), ((1 - b) * h, b))
    for i, row in enumerate(rows):
        for j, entry in enumerate(row):
            matrix[..., i, j] = entry
    return matrix


def spectral_radius(eta_lambda: ArrayLike, beta: float, kind: MomentumKind = "ema") -> Any:
    """Return the largest eigenvalue modulus of :func:`momentum_matrix`: the growth per step.

    Below 1 every run contracts to the minimum; above 1 almost every run grows geometrically.

    Examples
    --------
    Plain gradient descent (β = 0) has radius ``|1 − h|``:

    >>> float(spectral_radius(1.2 * 2, 0.0, "heavy_ball"))
    1.4
    >>> spectral_radius([37.0, 39.0], 0.9, "ema").round(4)
    array([0.9487, 1.3162])
    """
    radius = np.abs(np.linalg.eigvals(momentum_matrix(eta_lambda, beta, kind))).max(axis=-1)
    return scalar_or_array(radius)


def momentum_threshold(beta: float, kind: MomentumKind = "ema") -> float:
    """Return the closed-form edge of stability: the largest h = ηλ with a contracting run.

    From the Jury conditions on z² − Tz + D (both roots inside the unit circle iff
    ``|D| < 1`` and ``|T| < 1 + D``), the binding one is T > −(1 + D), the root crossing at z = −1:

    * heavy ball: h < 2 + 2β
    * Nesterov: h < (2 + 2β)/(1 + 2β)
    * EMA (Adam): h < (2 + 2β)/(1 − β)

    Examples
    --------
    >>> momentum_threshold(0.0, "heavy_ball")
    2.0
    >>> momentum_threshold(0.9, "heavy_ball")
    3.8
    >>> round(momentum_threshold(0.9, "ema"), 12)
    38.0
    """
    b = _check_beta(beta)
    kind = _check_kind(kind)
    if kind == "heavy_ball":
        return 2 + 2 * b
    if kind == "nesterov":
        return (2 + 2 * b) / (1 + 2 * b)
    return (2 + 2 * b) / (1 - b)


def stability_threshold(
    beta: float, kind: MomentumKind = "ema", *, upper: float = 1e6, rtol: float = 1e-12
) -> float:
    """Find the edge of stability numerically: bisect h on ``spectral_radius(h) = 1``.

    This does not use the closed form; it checks it.

    Parameters
    ----------
    beta : float
        Momentum coefficient in [0, 1).
    kind : {"heavy_ball", "nesterov", "ema"}
        Which momentum.
    upper : float, default 1e6
        An h known to be unstable (> 0).
    rtol : float, default 1e-12
        Relative width of the final bracket (> 0).

    Examples
    --------
    >>> round(stability_threshold(0.9, "ema"), 9)
    38.0
    >>> round(stability_threshold(0.9, "nesterov"), 9)
    1.357142857
    """
    upper = as_real(upper, "upper", low=0.0, low_open=True)
    rtol = as_real(rtol, "rtol", low=0.0, low_open=True)
    if spectral_radius(upper, beta, kind) <= 1:
        raise ValueError(f"upper must be an unstable eta_lambda (radius > 1), got {upper!r}")
    low, high = 0.0, upper
    while high - low > rtol * high:
        middle = 0.5 * (low + high)
        if spectral_radius(middle, beta, kind) < 1:
            low = middle
        else:
            high = middle
    return 0.5 * (low + high)


def momentum_run(
    eta_lambda: ArrayLike, beta: float, kind: MomentumKind = "ema", *, steps: int = 100
) -> NDArray[np.float64]:
    """Iterate the momentum recurrence on (λ/2)x² from x = 1 at rest; return every x.

    The recurrence is run step by step (no matrix powers), so it checks
    :func:`spectral_radius` by simulation. Overflow to inf/NaN is returned as data.

    Parameters
    ----------
    eta_lambda : float or array_like
        h = ηλ values.
    beta : float
        Momentum coefficient in [0, 1).
    kind : {"heavy_ball", "nesterov", "ema"}
        Which momentum.
    steps : int, default 100
        Number of steps (>= 0).

    Returns
    -------
    numpy.ndarray
        Shape ``np.shape(eta_lambda) + (steps + 1,)``.

    Examples
    --------
    >>> momentum_run(2.4, 0.0, "heavy_ball", steps=3)  # gradient descent at eta = 1.2 on x²
    array([ 1.   , -1.4  ,  1.96 , -2.744])
    >>> path = momentum_run([37.0, 39.0], 0.9, "ema", steps=2000)
    >>> bool(abs(path[0, -1]) < 1e-6), bool(abs(path[1, -1]) > 1e6)
    (True, True)
    """
    h = as_float_array(eta_lambda, "eta_lambda")
    b = _check_beta(beta)
    kind = _check_kind(kind)
    count = as_count(steps, "steps", minimum=0)
    path = np.empty((*h.shape, count + 1))
    x = np.ones(h.shape)
    velocity = np.zeros(h.shape)
    path[..., 0] = x
    with np.errstate(over="ignore", invalid="ignore"):
        for k in range(count):
            if kind == "ema":
                velocity = b * velocity + (1 - b) * h * x
                x = x - velocity
            else:
                velocity = b * velocity - h * x
                x = x + (b * velocity - h * x if kind == "nesterov" else velocity)
            path[..., k + 1] = x
    return path


@dataclass(frozen=True)
class AdamRun:
    """Adam on (L/2)x² for K learning rates: iterates and preconditioned sharpness.

    Attributes
    ----------
    learning_rate : numpy.ndarray
        (K,) learning rates as stored by the optimizer (float32-rounded for float32).
    x : numpy.ndarray
        (K, steps + 1) iterates, ``x[:, 0]`` the start.
    preconditioned_sharpness : numpy.ndarray
        (K, steps): L·alpha_t/(sqrt(v_t) + epsilon) at steps t = 1, …, steps (L times
        :meth:`lrsim.optimizers.Adam.effective_learning_rate`), the h = ηλ of
        the EMA recurrence (stable below 38 for β₁ = 0.9).
    """

    learning_rate: NDArray[np.float64]
    x: NDArray[Any]
    preconditioned_sharpness: NDArray[np.float64]

    def first_crossing(self, threshold: float) -> NDArray[np.int64]:
        """Return, per learning rate, the first step t at which the sharpness exceeds
        ``threshold`` (-1 if never).

        Examples
        --------
        >>> run = adam_on_parabola([0.1], steps=3)
        >>> run.first_crossing(0.0).tolist(), run.first_crossing(1e9).tolist()
        ([1], [-1])
        """
        above = self.preconditioned_sharpness > threshold
        return np.where(above.any(axis=1), above.argmax(axis=1) + 1, -1)


def adam_on_parabola(
    learning_rate: ArrayLike,
    *,
    steps: int = 100,
    x0: float = -1.0,
    curvature: float = 2.0,
    beta_1: float = 0.9,
    beta_2: float = 0.999,
    epsilon: float = 1e-7,
    dtype: DTypeLike = "float64",
) -> AdamRun:
    """Run Keras's Adam on f(x) = (L/2)x² for several learning rates at once.

    The gradient ``L·x`` is formed in ``dtype`` and handed to
    :meth:`lrsim.optimizers.Adam.update`, so with ``dtype="float32"`` the iterates are the
    ones Keras computes.

    Parameters
    ----------
    learning_rate : float or array_like
        One or more learning rates > 0.
    steps : int, default 100
        Number of Adam steps (>= 0).
    x0 : float or array_like, default -1
        Starting point: one for all learning rates, or one per learning rate.
    curvature : float, default 2
        L > 0; 2 for the seed's y = x².
    beta_1, beta_2, epsilon : float
        Adam's hyperparameters, Keras defaults.
    dtype : {"float64", "float32"}
        Arithmetic precision.

    Returns
    -------
    AdamRun

    Examples
    --------
    Real Keras (float32) gives -0.9000008, -0.8004141, -0.7015886 at lr = 0.1:

    >>> run = adam_on_parabola(0.1, steps=3, dtype="float32")
    >>> [f"{x:.7f}" for x in run.x[0]]
    ['-1.0000000', '-0.9000008', '-0.8004141', '-0.7015886']

    The first step is about lr whatever the gradient's scale:

    >>> run = adam_on_parabola([1e-4, 1.0], steps=1, curvature=1e6)
    >>> (run.x[:, 1] - run.x[:, 0]).round(9)
    array([1.e-04, 1.e+00])

    One lane per (learning rate, start) pair:

    >>> adam_on_parabola([0.1, 0.1], steps=1, x0=[-1.0, 1.0]).x[:, 1].round(6)
    array([-0.9,  0.9])
    """
    rates = np.atleast_1d(as_float_array(learning_rate, "learning_rate"))
    if rates.ndim != 1:
        raise ValueError(f"learning_rate must be a number or a 1-D array, got shape {rates.shape}")
    count = as_count(steps, "steps", minimum=0)
    starts = as_float_array(x0, "x0")
    if starts.ndim > 1 or starts.size not in (1, rates.size):
        raise ValueError(
            f"x0 must be a number or have one value per learning rate ({rates.size}), "
            f"got shape {starts.shape}"
        )
    scale = as_real(curvature, "curvature", low=0.0, low_open=True)
    float_dtype = as_float_dtype(dtype)
    optimizer = Adam(rates, beta_1=beta_1, beta_2=beta_2, epsilon=epsilon, dtype=float_dtype)
    stored = np.asarray(optimizer.learning_rate, dtype=np.float64)
    cast = float_dtype.type
    x = np.broadcast_to(starts, rates.shape).astype(float_dtype)
    state = optimizer.init_state(x)
    gradient, scratch = np.empty_like(x), (np.empty_like(x), np.empty_like(x))
    path = np.empty((rates.size, count + 1), dtype=float_dtype)
    sharpness = np.empty((rates.size, count))
    path[:, 0] = x
    with np.errstate(over="ignore", invalid="ignore", under="ignore"):
        for k in range(count):
            # In place: the pure update() would copy x and the state every step.
            np.multiply(cast(scale), x, out=gradient)
            optimizer.update_in_place(x, gradient, state, scratch=scratch)
            path[:, k + 1] = x
            sharpness[:, k] = scale * optimizer.effective_learning_rate(state)
    return AdamRun(stored, path, sharpness)


@dataclass(frozen=True)
class FirstStepRounding:
    """Keras's first Adam step on (L/2)x², against the formula, and why they differ.

    Attributes
    ----------
    formula : float
        x_1 from the real-number formula ``x_0 − lr·g/(|g| + ε̂/sqrt(1 − β₂))``, in float64.
    keras : float
        x_1 as Keras computes it in float32 (:func:`adam_on_parabola`).
    predicted : float
        The formula evaluated in float64 with Keras's float32 constants: lr, 1 − β₁ and
        1 − β₂ rounded to float32 (the moments' weights), and 1 − float32(β₁), 1 − float32(β₂)
        (the bias corrections at t = 1).
    epsilon_shift : float
        How far ε̂ alone moves x_1 from x_0 − lr·sign(g), toward x_0 (> 0).
    beta_2_shift : float
        How far the rounding of β₂ alone moves it: lr·(1 − sqrt((1 − float32(β₂)) /
        float32(1 − β₂))), toward x_0 (> 0).
    """

    formula: float
    keras: float
    predicted: float
    epsilon_shift: float
    beta_2_shift: float


def first_step_rounding(
    learning_rate: float,
    *,
    x0: float = -1.0,
    curvature: float = 2.0,
    beta_1: float = 0.9,
    beta_2: float = 0.999,
    epsilon: float = 1e-7,
) -> FirstStepRounding:
    """Take Keras's float32 first Adam step on (L/2)x² apart.

    At t = 1 the bias corrections cancel the moments' weights exactly in real numbers, but not
    in float32: the second moment is weighted by float32(1 − β₂), the bias correction uses
    1 − float32(β₂), and the two differ by about 1.3e-5 relative for β₂ = 0.999, which moves
    the step by half that, several times more than ε̂ does.

    Parameters
    ----------
    learning_rate : float
        lr > 0.
    x0, curvature, beta_1, beta_2, epsilon : float
        As in :func:`adam_on_parabola`.

    Returns
    -------
    FirstStepRounding

    Examples
    --------
    >>> step = first_step_rounding(0.1)
    >>> f"{step.formula:.8f}", f"{step.keras:.7f}"
    ('-0.90000016', '-0.9000008')
    >>> bool(np.float32(step.predicted) == np.float32(step.keras))
    True
    """
    rate = as_real(learning_rate, "learning_rate", low=0.0, low_open=True)
    start = as_real(x0, "x0")
    scale = as_real(curvature, "curvature", low=0.0, low_open=True)
    gradient = scale * start
    f32 = np.float32
    formula = start - rate * gradient / (abs(gradient) + epsilon / np.sqrt(1 - beta_2))
    keras = adam_on_parabola(
        rate, steps=1, x0=start, curvature=scale, beta_1=beta_1, beta_2=beta_2,
        epsilon=epsilon, dtype="float32",
    ).x[0, 1]  # fmt: skip
    weight_1, weight_2 = float(f32(1 - beta_1)), float(f32(1 - beta_2))
    correction_1, correction_2 = 1 - float(f32(beta_1)), 1 - float(f32(beta_2))
    alpha = float(f32(rate)) * np.sqrt(correction_2) / correction_1
    step = alpha * weight_1 * gradient / (np.sqrt(weight_2) * abs(gradient) + float(f32(epsilon)))
    return FirstStepRounding(
        formula=float(formula),
        keras=float(keras),
        predicted=float(start - step),
        epsilon_shift=float(rate - abs(formula - start)),
        beta_2_shift=float(rate * (1 - np.sqrt(correction_2 / weight_2))),
    )


def update_ratio(
    growth: float, steps: int, *, beta_1: float = 0.9, beta_2: float = 0.999
) -> NDArray[np.float64]:
    """Return ``|m̂_t / sqrt(v̂_t)|`` at t = 1, …, steps for gradients ``growth**t`` (ε̂ = 0).

    Adam's step is lr times this ratio. Dividing m_t by growth**t and v_t by growth**(2t)
    leaves the ratio unchanged and keeps every number finite however many steps are taken:
    m̃_t = (β₁/c)·m̃_{t−1} + (1 − β₁) and ṽ_t = (β₂/c²)·ṽ_{t−1} + (1 − β₂), with c = growth.

    Parameters
    ----------
    growth : float
        c > 0, the factor by which the gradient grows each step (1: a constant gradient).
    steps : int
        >= 1.
    beta_1, beta_2 : float
        Adam's averaging weights, in [0, 1).

    Returns
    -------
    numpy.ndarray
        (steps,) ratios.

    Examples
    --------
    A constant gradient gives exactly 1 (the bias corrections undo the averages); a growing
    one soon more:

    >>> update_ratio(1.0, 3).round(12)
    array([1., 1., 1.])
    >>> update_ratio(1.11, 1000)[[0, 99, 999]].round(2)
    array([1.  , 2.24, 5.78])
    """
    factor = as_real(growth, "growth", low=0.0, low_open=True)
    count = as_count(steps, "steps")
    b1 = as_real(beta_1, "beta_1", low=0.0, high=1.0, high_open=True)
    b2 = as_real(beta_2, "beta_2", low=0.0, high=1.0, high_open=True)
    t = np.arange(1, count + 1)
    # The normalised averages are geometric series in t: closed forms, no loop.
    m = (1 - b1) * _geometric_sum(b1 / factor, t)
    v = (1 - b2) * _geometric_sum(b2 / factor**2, t)
    ratios: NDArray[np.float64] = m / np.sqrt(v) * np.sqrt(1 - b2**t) / (1 - b1**t)
    return ratios


def _geometric_sum(q: float, terms: NDArray[Any]) -> NDArray[np.float64]:
    """1 + q + … + q**(n − 1) for each n in ``terms``."""
    if q == 1.0:
        return terms.astype(np.float64)
    sums: NDArray[np.float64] = (1 - q**terms) / (1 - q)
    return sums


def update_ratio_limit(growth: float, *, beta_1: float = 0.9, beta_2: float = 0.999) -> float:
    """Return the limit of :func:`update_ratio` as t grows, for growth c > max(β₁, sqrt(β₂)).

    (1 − β₁)/sqrt(1 − β₂) · sqrt(1 − β₂/c²)/(1 − β₁/c): 1 at c = 1, and above 1 for c > 1.

    Examples
    --------
    >>> round(update_ratio_limit(1.0), 12), round(update_ratio_limit(1.11), 2)
    (1.0, 7.27)
    """
    factor = as_real(growth, "growth", low=0.0, low_open=True)
    b1 = as_real(beta_1, "beta_1", low=0.0, high=1.0, high_open=True)
    b2 = as_real(beta_2, "beta_2", low=0.0, high=1.0, high_open=True)
    if not factor > max(b1, np.sqrt(b2)):
        raise ValueError(
            f"growth must be > max(beta_1, sqrt(beta_2)) = {max(b1, np.sqrt(b2))!r} for the "
            f"averages to converge, got {growth!r}"
        )
    return float((1 - b1) / np.sqrt(1 - b2) * np.sqrt(1 - b2 / factor**2) / (1 - b1 / factor))
