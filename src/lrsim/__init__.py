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
    A small dense softmax classifier with Keras's clipped cross-entropy and hand-written backprop.
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

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("lrsim")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0.0.0"

__all__ = ["__version__"]
