"""lrsim: the simulations behind the book *Why learning rates diverge*.

Pure NumPy, typed, deterministic. Submodules:

``lrsim.parabola``
    Gradient descent on f(x) = (L/2)x²: iterates, closed form, regimes, thresholds, overflow.
``lrsim.plotting``
    The book's figure style (the only module that imports matplotlib).
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("lrsim")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0.0.0"

__all__ = ["__version__"]
