"""Gradient descent on the quartic f(x) = x⁴/4, whose curvature 3x² changes with x.

One step is x' = x − ηx³ = x·(1 − ηx²): the parabola's factor with a curvature that depends on
where the run is. So the stability threshold depends on the start: the run converges exactly
when ``|x_0| < sqrt(2/η)`` (:func:`basin_radius`), and a learning rate that is safe near the
minimum diverges from far enough away. :func:`iterate` broadcasts over learning rates and
starting points and returns overflow as data (±inf, then NaN) without RuntimeWarnings.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from lrsim._validation import as_count, as_float_array, scalar_or_array

__all__ = ["basin_radius", "iterate"]

FloatArray = NDArray[np.float64]


def basin_radius(eta: ArrayLike) -> Any:
    """Return sqrt(2/η): gradient descent on x⁴/4 converges exactly when ``|x_0| < sqrt(2/η)``.

    One step is x' = x − ηx³ = x·(1 − ηx²), so ``|x'| < |x|`` iff ``|1 − ηx²| < 1`` iff ηx² < 2.
    Inside the interval ``|x|`` shrinks at every step and stays inside; on its edge
    x' = −x (a period-2 orbit); outside, ``|x|`` grows and ηx² grows with it.

    Parameters
    ----------
    eta : float or array_like
        Learning rate(s), > 0.

    Examples
    --------
    >>> basin_radius(0.5)
    2.0
    """
    rates = as_float_array(eta, "eta", positive=True)
    return scalar_or_array(np.sqrt(2.0 / rates))


def iterate(eta: ArrayLike, x0: ArrayLike, steps: int) -> FloatArray:
    """Run gradient descent x ← x − η·x³ on f(x) = x⁴/4 and return every iterate.

    Parameters
    ----------
    eta, x0 : float or array_like
        Learning rate(s) and starting point(s), finite; they broadcast together.
    steps : int
        Number of steps, >= 0.

    Returns
    -------
    numpy.ndarray
        Shape ``broadcast(eta, x0).shape + (steps + 1,)``. Divergence overflows to ±inf and
        then NaN, silently.

    Examples
    --------
    >>> iterate(0.5, 1.0, steps=2)
    array([1.    , 0.5   , 0.4375])

    On the edge of the basin, ``|x_0| = sqrt(2/η) = 2``, the run flips forever; just outside,
    it runs away:

    >>> iterate(0.5, [2.0, 2.1], steps=2).round(3)
    array([[ 2.   , -2.   ,  2.   ],
           [ 2.1  , -2.531,  5.571]])
    """
    rates = as_float_array(eta, "eta")
    starts = as_float_array(x0, "x0")
    step_count = as_count(steps, "steps", minimum=0)
    shape = np.broadcast_shapes(rates.shape, starts.shape)
    path = np.empty((*shape, step_count + 1))
    path[..., 0] = starts
    with np.errstate(over="ignore", invalid="ignore"):
        for k in range(step_count):
            x = path[..., k]
            path[..., k + 1] = x - rates * x**3
    return path
