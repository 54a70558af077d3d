"""Synthetic data: determinism, split, one-hot labels, learnability and bad input."""

from __future__ import annotations

import numpy as np
import pytest

from lrsim.datasets import blobs, spirals, to_categorical
from lrsim.network import Dense, Sequential
from lrsim.optimizers import Adam
from lrsim.training import fit


@pytest.mark.parametrize("make", [spirals, blobs])
def test_the_same_seed_gives_the_same_data_and_another_seed_other_data(make):
    first, again, other = make(seed=3), make(seed=3), make(seed=4)
    np.testing.assert_array_equal(first.x_train, again.x_train)
    np.testing.assert_array_equal(first.y_val, again.y_val)
    assert not np.array_equal(first.x_train, other.x_train)


@pytest.mark.parametrize("make", [spirals, blobs])
def test_split_sizes_and_one_hot_balanced_labels(make):
    data = make(n_samples=600, n_classes=4, validation_split=0.25, seed=0)
    assert data.x_train.shape == (450, 2)
    assert data.x_val.shape == (150, 2)
    assert data.n_features == 2
    assert data.n_classes == 4
    labels = np.concatenate([data.y_train, data.y_val])
    assert set(np.unique(labels)) == {0.0, 1.0}
    np.testing.assert_array_equal(labels.sum(axis=1), 1.0)
    np.testing.assert_array_equal(labels.sum(axis=0), [150] * 4)
    assert data.validation_data[0] is data.x_val


def test_validation_split_is_random_not_the_last_class():
    data = spirals(n_samples=300, seed=0)
    assert len(np.unique(data.y_val.argmax(axis=1))) == 3


def test_spirals_defeat_a_linear_model_but_not_a_small_network():
    data = spirals(seed=0)
    linear = Sequential([Dense(3, "softmax")], input_dim=2, seed=0)
    linear_history = fit(linear, Adam(0.01), data.x_train, data.y_train, epochs=20,
                         validation_data=data.validation_data, seed=0)  # fmt: skip
    network = Sequential(
        [Dense(32, "relu"), Dense(32, "relu"), Dense(3, "softmax")], input_dim=2, seed=0
    )
    history = fit(network, Adam(1e-3), data.x_train, data.y_train, epochs=100,
                  validation_data=data.validation_data, seed=0)  # fmt: skip
    assert linear_history.history["val_accuracy"][-1] < 0.6
    assert 0.9 < history.history["val_accuracy"][-1] < 1.0


def test_blobs_clusters_centre_on_their_class_means():
    data = blobs(n_samples=3000, n_features=3, cluster_std=0.1, seed=2)
    labels = data.y_train.argmax(axis=1)
    spread = [data.x_train[labels == k].std(axis=0) for k in range(3)]
    np.testing.assert_allclose(spread, 0.1, rtol=0.15)


def test_to_categorical_makes_one_hot_rows():
    np.testing.assert_array_equal(to_categorical([1, 0], num_classes=3), [[0, 1, 0], [1, 0, 0]])
    with pytest.raises(ValueError, match=r"labels must be in \[0, 2\)"):
        to_categorical([0, 2], num_classes=2)
    with pytest.raises(TypeError, match="labels must be a 1-D array of integers"):
        to_categorical([0.5, 1.0])


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (lambda: spirals(n_samples=1), ValueError, "n_samples must be an integer >= 2"),
        (lambda: spirals(n_classes=1), ValueError, "n_classes must be an integer >= 2"),
        (lambda: spirals(noise=-0.1), ValueError, r"noise must be finite and in \[0, 1e\+100\]"),
        (lambda: spirals(turns=float("inf")), ValueError, "turns must be finite"),
        (
            lambda: spirals(validation_split=1.0),
            ValueError,
            r"validation_split must be finite and in \(0, 1\)",
        ),
        (lambda: spirals(n_samples=2, validation_split=0.6), ValueError, "leaves an empty"),
        (lambda: blobs(n_features=0), ValueError, "n_features must be an integer >= 1"),
        (
            lambda: blobs(cluster_std=0.0),
            ValueError,
            r"cluster_std must be finite and in \(0, 1e\+100\]",
        ),
        (lambda: blobs(n_samples=2.5), TypeError, "n_samples must be an integer"),
    ],
)
def test_bad_dataset_arguments_are_rejected_with_their_name_and_range(make, error, message):
    with pytest.raises(error, match=message):
        make()
