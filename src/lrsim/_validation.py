"""Argument checks shared by the public API: clear errors that name the argument and its range."""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

FLOAT_DTYPES = ("float32", "float64")


def as_float_array(value: ArrayLike, name: str, *, positive: bool = False) -> NDArray[np.float64]:
    """Return ``value`` as a finite float64 array, or raise naming ``name``."""
    if isinstance(value, (str, bytes)) or value is None:
        raise TypeError(f"{name} must be a real number or an array of real numbers, got {value!r}")
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise TypeError(
            f"{name} must be a real number or an array of real numbers, got {value!r}"
        ) from error
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must be finite (not NaN or infinite), got {value!r}")
    if positive and not np.all(array > 0):
        raise ValueError(f"{name} must be > 0, got {value!r}")
    return array


def as_step_count(value: Any, name: str = "steps") -> int:
    """Return ``value`` as a non-negative int, or raise naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be a non-negative integer, got {value!r}")
    if value < 0:
        raise ValueError(f"{name} must be a non-negative integer (>= 0), got {value!r}")
    return int(value)


def as_float_dtype(value: Any, name: str = "dtype") -> np.dtype[Any]:
    """Return ``value`` as numpy float32 or float64 dtype, or raise naming ``name``."""
    try:
        dtype: np.dtype[Any] = np.dtype(value)
    except TypeError as error:
        raise TypeError(f"{name} must be one of {FLOAT_DTYPES}, got {value!r}") from error
    if dtype.name not in FLOAT_DTYPES:
        raise ValueError(f"{name} must be one of {FLOAT_DTYPES}, got {value!r}")
    return dtype
