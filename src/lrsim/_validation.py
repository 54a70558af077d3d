"""Argument checks shared by the public API: clear errors that name the argument and its range;
and the one way results leave it (:func:`scalar_or_array`)."""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

FLOAT_DTYPES = ("float32", "float64")


def as_float_array(
    value: ArrayLike, name: str, *, positive: bool = False, finite: bool = True
) -> NDArray[np.float64]:
    """Return ``value`` as a float64 array, finite unless ``finite=False``, or raise naming
    ``name``. Bools, strings, None and complex numbers are refused, not coerced."""
    message = f"{name} must be a real number or an array of real numbers, got {value!r}"
    if isinstance(value, (str, bytes, bool, np.bool_)) or value is None:
        raise TypeError(message)
    try:
        raw = np.asarray(value)
    except (TypeError, ValueError) as error:  # ragged nesting, for one
        raise TypeError(message) from error
    if raw.dtype.kind not in "iuf":  # bool, complex, object and string arrays
        raise TypeError(message)
    array = raw.astype(np.float64)
    if finite and not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must be finite (not NaN or infinite), got {value!r}")
    if positive and not np.all(array > 0):
        raise ValueError(f"{name} must be > 0, got {value!r}")
    return array


def as_float_dtype(value: Any, name: str = "dtype") -> np.dtype[Any]:
    """Return ``value`` as numpy float32 or float64 dtype, or raise naming ``name``."""
    if value is None:  # np.dtype(None) would quietly mean float64
        raise TypeError(f"{name} must be one of {FLOAT_DTYPES}, got None")
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


MAX_ELEMENTS = 2**28
"""The largest array lrsim allocates for one result (2 GiB of float64): larger requests are
refused up front with a ValueError instead of a MemoryError or a machine that swaps."""


def check_size(shape: tuple[int, ...], name: str) -> None:
    """Refuse, naming ``name``, an array of ``shape`` larger than :data:`MAX_ELEMENTS`."""
    elements = math.prod(shape)
    if elements > MAX_ELEMENTS:
        raise ValueError(
            f"{name} asks for an array of {elements:,} numbers (shape {shape}); lrsim allocates "
            f"at most {MAX_ELEMENTS:,}"
        )


def as_flag(value: Any, name: str) -> bool:
    """Return ``value`` if it is True or False (a NumPy bool too), or raise naming ``name``.

    ``bool()`` would turn "0.1", 0.1 or an array into a flag without a word.
    """
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def as_seed(value: Any, name: str = "seed") -> Any:
    """Return ``value`` if NumPy can seed a generator with it: an int >= 0, a Generator or None."""
    if value is None or isinstance(value, np.random.Generator):
        return value
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int >= 0, a numpy Generator or None, got {value!r}")
    if value < 0:
        raise ValueError(f"{name} must be an int >= 0, a numpy Generator or None, got {value!r}")
    return int(value)


def as_seeds(value: Any, name: str = "seed") -> tuple[list[Any], bool]:
    """Return the seeds ``value`` gives and whether it was a sequence of them (an ensemble's,
    one per member); each is checked as :func:`as_seed` checks one."""
    is_sequence = isinstance(value, (Sequence, np.ndarray, range)) and not isinstance(
        value, (str, bytes)
    )
    if is_sequence and len(value) == 0:
        raise ValueError(f"{name} must not be an empty sequence (one seed per ensemble member)")
    try:
        return [
            as_seed(member, name) for member in (value if is_sequence else [value])
        ], is_sequence
    except (TypeError, ValueError) as error:
        raise type(error)(
            f"{name} must be an int >= 0, a numpy Generator, None, or a sequence of ints "
            f"(one per ensemble member), got {value!r}"
        ) from error


def as_count(value: Any, name: str, minimum: int = 1) -> int:
    """Return ``value`` as an int >= ``minimum``, or raise naming ``name``."""
    kind = "a non-negative integer" if minimum == 0 else f"an integer >= {minimum}"
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be {kind}, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be {kind}, got {value!r}")
    return int(value)


def as_one_hot(
    y: ArrayLike, name: str, samples: int, classes: int, inputs: str = "x"
) -> NDArray[np.float64]:
    """Return ``y`` as a float64 array after checking it is (samples, classes) and one-hot.

    A count of rows other than ``samples`` is reported as what it is: inputs and labels that
    do not pair up.
    """
    array = np.asarray(y)
    if array.ndim >= 1 and array.shape[0] != samples:
        raise ValueError(
            f"{inputs} and {name} have different numbers of samples: {samples} and {array.shape[0]}"
        )
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


def scalar_or_array(values: ArrayLike, dtype: Any = None) -> Any:
    """Return a Python number for a 0-d result, else the array (cast to ``dtype`` if given).

    A scalar call then reads naturally (``loss(0.5)`` is a float), and a vectorised or
    ensemble call keeps its array.
    """
    array = np.asarray(values)
    if array.ndim == 0:
        return array.item()
    return array if dtype is None else array.astype(dtype, copy=False)
