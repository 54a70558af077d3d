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


def as_float_dtype(value: Any, name: str = "dtype") -> np.dtype[Any]:
    """Return ``value`` as numpy float32 or float64 dtype, or raise naming ``name``."""
    try:
        dtype: np.dtype[Any] = np.dtype(value)
    except TypeError as error:
        raise TypeError(f"{name} must be one of {FLOAT_DTYPES}, got {value!r}") from error
    if dtype.name not in FLOAT_DTYPES:
        raise ValueError(f"{name} must be one of {FLOAT_DTYPES}, got {value!r}")
    return dtype


def as_real(
    value: Any,
    name: str,
    *,
    low: float = -np.inf,
    high: float = np.inf,
    low_open: bool = False,
    high_open: bool = False,
) -> float:
    """Return ``value`` as a finite float inside the interval, or raise naming ``name``.

    The interval is ``[low, high]``; ``low_open``/``high_open`` exclude an end point.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {value!r}")
    number = float(value)
    above_low = number > low if low_open else number >= low
    below_high = number < high if high_open else number <= high
    if not (np.isfinite(number) and above_low and below_high):
        opening = "(" if low_open or low == -np.inf else "["
        closing = ")" if high_open or high == np.inf else "]"
        interval = f"{opening}{low:g}, {high:g}{closing}"
        raise ValueError(f"{name} must be finite and in {interval}, got {value!r}")
    return number


def as_count(value: Any, name: str, minimum: int = 1) -> int:
    """Return ``value`` as an int >= ``minimum``, or raise naming ``name``."""
    kind = "a non-negative integer" if minimum == 0 else f"an integer >= {minimum}"
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be {kind}, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be {kind}, got {value!r}")
    return int(value)


def as_one_hot(y: ArrayLike, name: str, samples: int, classes: int) -> NDArray[np.float64]:
    """Return ``y`` as a float64 array after checking it is (samples, classes) and one-hot."""
    array = np.asarray(y)
    if not (np.issubdtype(array.dtype, np.number) or array.dtype == np.bool_):
        raise TypeError(f"{name} must hold one-hot labels (numbers), got dtype {array.dtype}")
    if array.shape != (samples, classes):
        raise ValueError(
            f"{name} must have shape ({samples}, {classes}): one one-hot row of {classes} "
            f"classes per sample, got {array.shape}"
        )
    values = array.astype(np.float64)
    if not (np.all((values == 0) | (values == 1)) and np.all(values.sum(axis=1) == 1)):
        raise ValueError(f"{name} must be one-hot: each row all 0 except a single 1")
    return values


def as_features(x: ArrayLike, name: str, features: int) -> NDArray[Any]:
    """Return ``x`` as a (samples, features) array of real numbers, or raise naming ``name``."""
    array = np.asarray(x)
    if not (np.issubdtype(array.dtype, np.floating) or np.issubdtype(array.dtype, np.integer)):
        raise TypeError(f"{name} must hold real numbers, got dtype {array.dtype}")
    if array.ndim != 2 or array.shape[1] != features or array.shape[0] == 0:
        raise ValueError(f"{name} must have shape (samples >= 1, {features}), got {array.shape}")
    return array
