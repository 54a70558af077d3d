"""The book's networks and data sets, each defined once, by name.

Three small spiral classifiers appear in the book, and each page glues its description (layer
sizes, sample counts, initialisation bounds) from the definition here, so that prose and code
cannot drift apart:

* :data:`CASE_STUDY`, the network of Part III's Keras case studies;
* :data:`RANGE_TEST`, the network of Part IV's range test and schedules;
* :data:`EDGE_OF_STABILITY`, the network trained by full-batch descent in Part II.

Examples
--------
>>> CASE_STUDY.architecture
'2 → 16 → 16 → 3'
>>> data = CASE_STUDY.data()
>>> len(data.x_train), len(data.x_val)
(240, 60)
>>> CASE_STUDY.model(seed=[0, 1], dtype="float32").ensemble_size
2
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

from numpy.typing import DTypeLike

from lrsim.datasets import Dataset, spirals
from lrsim.network import Dense, Sequential

__all__ = ["CASE_STUDY", "EDGE_OF_STABILITY", "RANGE_TEST", "SpiralClassifier"]


@dataclass(frozen=True)
class SpiralClassifier:
    """A dense ReLU classifier with a softmax output on :func:`lrsim.datasets.spirals` data.

    Parameters
    ----------
    name : str
        How the prose calls it ("the case-study network").
    hidden : tuple of int
        Units of each hidden ReLU layer.
    n_samples : int
        Spiral points in all, of which ``validation_split`` are held out.
    validation_split : float, default 0.2
        Fraction held out for validation.
    data_seed : int, default 0
        Seeds the points and the split.
    """

    name: str
    hidden: tuple[int, ...]
    n_samples: int
    validation_split: float = 0.2
    data_seed: int = 0
    n_features: int = 2
    n_classes: int = 3

    def data(self) -> Dataset:
        """The spiral data set, the same on every call."""
        return spirals(
            n_samples=self.n_samples,
            n_classes=self.n_classes,
            validation_split=self.validation_split,
            seed=self.data_seed,
        )

    @property
    def layers(self) -> list[Dense]:
        """Keras's layers: ``Dense(units, "relu")`` per hidden layer, then the softmax output."""
        return [*(Dense(units, "relu") for units in self.hidden), Dense(self.n_classes, "softmax")]

    def model(
        self, seed: Any = 0, *, dtype: DTypeLike = "float64", backend: str = "tensorflow"
    ) -> Sequential:
        """A freshly initialised model; a sequence of seeds builds an ensemble."""
        return Sequential(
            self.layers, input_dim=self.n_features, seed=seed, dtype=dtype, backend=backend
        )

    @property
    def widths(self) -> tuple[int, ...]:
        """Inputs, hidden units and outputs, in order: (2, 16, 16, 3)."""
        return (self.n_features, *self.hidden, self.n_classes)

    @property
    def architecture(self) -> str:
        """The widths as the prose writes them: ``"2 → 16 → 16 → 3"``."""
        return " → ".join(map(str, self.widths))

    @property
    def glorot_limits(self) -> list[float]:
        """Per layer, the half-width sqrt(6/(fan_in + fan_out)) of its initial kernel.

        Examples
        --------
        >>> [round(limit, 3) for limit in CASE_STUDY.glorot_limits]
        [0.577, 0.433, 0.562]
        """
        return [math.sqrt(6 / (fan_in + fan_out)) for fan_in, fan_out in pairwise(self.widths)]


CASE_STUDY = SpiralClassifier("the case-study network", hidden=(16, 16), n_samples=300)
"""Part III: the blog post's three Keras configurations, the sweep, ReduceLROnPlateau."""

RANGE_TEST = SpiralClassifier("the range-test network", hidden=(32, 32), n_samples=750)
"""Part IV: the learning-rate range test and the schedules."""

EDGE_OF_STABILITY = SpiralClassifier(
    "the edge-of-stability network", hidden=(16, 16), n_samples=200
)
"""Part II: full-batch gradient descent whose sharpness rises to 2/η."""
