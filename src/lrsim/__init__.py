"""lrsim: the simulations behind the book *Why learning rates diverge*.

Pure NumPy, typed, deterministic. Submodules:

``lrsim.parabola``
    Gradient descent on f(x) = (L/2)x²: iterates, closed form, regimes, thresholds, overflow.
``lrsim.quadratic``
    Gradient descent on ½wᵀAw (2/λ_max, optimal η, (κ − 1)/(κ + 1)), least squares, x⁴/4.
``lrsim.sharpness``
    The largest Hessian eigenvalue by Lanczos; full-batch gradient descent that records it.
``lrsim.optimizers``
    SGD (momentum, Nesterov), RMSprop and Adam with Keras 3's update arithmetic.
``lrsim.callbacks``
    ReduceLROnPlateau, EarlyStopping, LearningRateScheduler, TerminateOnNaN (Keras 3 semantics).
``lrsim.network``
    A small dense softmax classifier with Keras's cross-entropy as the TensorFlow backend (from
    logits) or the JAX one (clipped) computes it, and hand-written backprop.
``lrsim.training``
    ``fit``: Keras's training loop for one model or a vectorised ensemble; divergence records.
``lrsim.datasets``
    Deterministic synthetic classification data (noisy spirals, Gaussian blobs), one-hot labels.
``lrsim.schedules``
    Keras's learning-rate schedules (exponential/step, piecewise constant, cosine with warmup).
``lrsim.lr_finder``
    The learning-rate range test (Smith; fastai's ``lr_find``) and its suggestion rules.
``lrsim.plotting``
    The book's figure style (the only module that imports matplotlib).
"""

import hashlib
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

try:
    __version__ = version("lrsim")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0.0.0"

__all__ = ["__version__", "source_digest"]


def source_digest() -> str:
    """Return 16 hex digits of SHA-256 over every file of this package (names and bytes).

    The book keys its execution cache on it, and the cross-check record names the source it
    was made from, so that both can tell when lrsim changed.

    Examples
    --------
    >>> len(source_digest()), source_digest() == source_digest()
    (16, True)
    """
    package = Path(__file__).parent
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(path.relative_to(package).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]
