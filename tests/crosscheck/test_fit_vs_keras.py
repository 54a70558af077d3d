"""lrsim's ``fit`` against Keras's ``Model.fit`` from identical initial weights, on the process's
Keras backend (TensorFlow or JAX); lrsim's model computes as the same backend.

The setting is the seed's, made small: a 5 → 32 → 32 → 3 ReLU/softmax classifier,
``categorical_crossentropy``, ``metrics=['accuracy']``, Adam, batches of 32 (the last one
partial: 240 training samples), validation (60 samples, two batches in Keras) after every
epoch, and ``shuffle=False`` so both see the same batches. The data (``lrsim.datasets.blobs``
with overlapping clusters) makes val_loss flatten after about 15 epochs, so the seed's
ReduceLROnPlateau(val_loss, factor 0.1, patience 5) really cuts the rate within the run.

Tolerances. The two sides do the same float32 arithmetic except where XLA and NumPy/OpenBLAS
legitimately differ: the order of the sums inside matrix products and reductions, and fused
multiply-adds. Each such difference is an ulp or a few (2**-23 ≈ 1.2e-7 relative), so:

* one forward and backward pass (the loss of the first batch and its gradient, and the
  validation loss and accuracy of the initial weights): 8 ulps (``2**-20``), gradients relative
  to their largest entry, accuracies exactly;
* epoch 0 at the stable rates (1e-4, 1e-3), where 8 updates do not amplify rounding: loss and
  val_loss within 8 ulps, accuracies within one sample. This pins Keras's aggregation: the
  batch-size-weighted running mean of the batch losses with the partial last batch, and the
  validation mean over two unequal batches;
* the whole history and the final weights: training feeds every rounding difference back
  into the next step, and at a large rate the dynamics amplify it (Adam at 0.1 is chaotic
  from the first epoch: its early steps are about ``lr·sign(g)``). The bound is what float32
  rounding alone does to lrsim: the largest deviation of lrsim's run from lrsim started at the
  same weights nudged one ulp up, one ulp down, or run in float64. Keras must stay within
  twice that spread (Keras's rounding is one more draw of the same noise, not the same draw),
  and never needs to be closer than 8 ulps;
* the learning-rate column: exactly equal, as the scheduler's decisions are discrete.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
import pytest

from lrsim import callbacks, datasets, network, optimizers, training

from . import keras_reference

DATA = datasets.blobs(n_samples=300, n_features=5, cluster_std=2.0, seed=0)
LAYERS = [network.Dense(32, "relu"), network.Dense(32, "relu"), network.Dense(3, "softmax")]
EPOCHS = 30
PLATEAU = {"monitor": "val_loss", "factor": 0.1, "patience": 5}
RUNS: dict[str, tuple[float, dict[str, Any] | None]] = {
    "Adam(1e-4)": (1e-4, None),
    "Adam(1e-3)": (1e-3, None),
    "Adam(1e-1)": (1e-1, None),
    "Adam(1)": (1.0, None),
    "Adam(1e-3)+ReduceLROnPlateau": (1e-3, PLATEAU),
}
# From this rate on, the dynamics amplify float32 rounding from epoch to epoch; from the next
# on, after a few epochs the runs are different draws of the same chaos (checked early, and
# their deviation reported as it grows, rather than bounded over the whole run).
CHAOTIC_RATE = 1e-1
DIVERGING_RATE = 1.0
EARLY_EPOCHS = 3
BACKEND = keras_reference.BACKEND
ULPS_8 = 2.0**-20
METRICS = ("loss", "accuracy", "val_loss", "val_accuracy")


@pytest.fixture(scope="module", autouse=True)
def describe(describe_setting: Any) -> None:
    """The setting, as the book's cross-check page quotes it."""
    describe_setting("fit_layers", [DATA.n_features, *(layer.units for layer in LAYERS)])
    describe_setting("fit_data", f"overlapping Gaussian blobs in {DATA.n_features} dimensions")
    describe_setting("fit_train_samples", len(DATA.x_train))
    describe_setting("fit_validation_samples", len(DATA.x_val))
    describe_setting("fit_epochs", EPOCHS)
    describe_setting("fit_batch_size", 32)
    describe_setting("fit_early_epochs", EARLY_EPOCHS)


def model(seed: Any = 0, dtype: str = "float32", layers: Any = LAYERS) -> network.Sequential:
    """lrsim's model, computing as the Keras backend under test."""
    return network.Sequential(
        layers, input_dim=DATA.n_features, seed=seed, dtype=dtype, backend=BACKEND
    )


def initial_weights(dtype: str = "float32") -> list[np.ndarray]:
    return model(dtype=dtype).get_weights()


def lrsim_fit(
    weights: list[np.ndarray],
    learning_rate: Any,
    plateau: dict[str, Any] | None = None,
    dtype: str = "float32",
) -> tuple[dict[str, np.ndarray], list[np.ndarray]]:
    """lrsim's history (arrays, (epochs,) or (epochs, K)) and final weights.

    A 1-D ``learning_rate`` trains an ensemble; ``weights`` then carry a leading K axis.
    """
    members = np.size(learning_rate) if np.ndim(learning_rate) else None
    trained = model(0 if members is None else [0] * members, dtype)
    trained.set_weights(weights)
    history = training.fit(
        trained,
        optimizers.Adam(learning_rate, dtype=dtype),
        DATA.x_train,
        DATA.y_train,
        epochs=EPOCHS,
        validation_data=DATA.validation_data,
        shuffle=False,
        callbacks=[] if plateau is None else [callbacks.ReduceLROnPlateau(**plateau)],
    )
    return {k: np.asarray(v) for k, v in history.history.items()}, trained.get_weights()


@functools.cache
def keras_fit(name: str) -> tuple[dict[str, np.ndarray], list[np.ndarray]]:
    learning_rate, plateau = RUNS[name]
    f32 = np.float32
    data = (f32(DATA.x_train), f32(DATA.y_train), f32(DATA.x_val), f32(DATA.y_val))
    history, weights = keras_reference.fit_classifier(
        initial_weights(), data, learning_rate, EPOCHS, plateau=plateau
    )
    return {k: np.asarray(v) for k, v in history.items()}, weights


@functools.cache
def lrsim_fits(name: str) -> dict[str, tuple[dict[str, np.ndarray], list[np.ndarray]]]:
    """lrsim's run, and the two runs whose spread measures float32 rounding noise."""
    learning_rate, plateau = RUNS[name]
    start = initial_weights()
    up = [np.nextafter(w, np.float32(np.inf)) for w in start]
    down = [np.nextafter(w, np.float32(-np.inf)) for w in start]
    return {
        "float32": lrsim_fit(start, learning_rate, plateau),
        "nudged up": lrsim_fit(up, learning_rate, plateau),
        "nudged down": lrsim_fit(down, learning_rate, plateau),
        "float64": lrsim_fit(
            [w.astype(np.float64) for w in start], learning_rate, plateau, "float64"
        ),
    }


@pytest.fixture(
    scope="module", params=[n for n, (rate, _) in RUNS.items() if rate < DIVERGING_RATE]
)
def run(request: pytest.FixtureRequest) -> dict[str, Any]:
    """Keras's fit, lrsim's, and lrsim's rounding-noise spread for one configuration."""
    fits = lrsim_fits(request.param)
    return {
        "name": request.param,
        "keras": keras_fit(request.param),
        "lrsim": fits["float32"],
        "spreads": [fits["nudged up"], fits["nudged down"], fits["float64"]],
    }


def noise_bound(run: dict[str, Any], key: str, scale: float) -> float:
    history = run["lrsim"][0]
    spread = max(float(np.max(np.abs(other[0][key] - history[key]))) for other in run["spreads"])
    return max(2 * spread, ULPS_8 * scale)


def test_history_has_keras_keys_and_epochs(run: dict[str, Any]) -> None:
    keras_history, _ = run["keras"]
    history, _ = run["lrsim"]
    assert sorted(history) == sorted(keras_history)
    assert all(len(history[k]) == len(keras_history[k]) == EPOCHS for k in history)


def test_first_epoch_at_stable_rates_agrees_to_rounding(run: dict[str, Any]) -> None:
    if RUNS[run["name"]][0] > 1e-3:
        return  # chaotic from the start: the noise bound below covers epoch 0 too
    keras_history, _ = run["keras"]
    history, _ = run["lrsim"]
    samples = {"accuracy": len(DATA.x_train), "val_accuracy": len(DATA.x_val)}
    for key in METRICS:
        ours, theirs = history[key][0], keras_history[key][0]
        bound = 1 / samples[key] if key in samples else ULPS_8 * abs(theirs)
        assert abs(ours - theirs) <= bound, f"{run['name']} epoch 0 {key}: {ours} vs {theirs}"


def test_history_and_weights_stay_within_float32_noise(
    run: dict[str, Any], record_deviation: Any
) -> None:
    keras_history, keras_weights = run["keras"]
    history, weights = run["lrsim"]
    failures = []
    chaotic = RUNS[run["name"]][0] >= CHAOTIC_RATE
    for key in METRICS:
        bound = noise_bound(run, key, scale=1.0)
        deviation = record_deviation(
            f"fit {run['name']}",
            f"{key}, {EPOCHS} epochs",
            history[key],
            keras_history[key],
            bound=f"{bound:.3g}",
            chaotic=chaotic,
        )
        if deviation.max_abs > bound:
            failures.append(f"{key}: {deviation.max_abs:.3g} > {bound:.3g}")
    flat = np.concatenate([w.ravel() for w in weights])
    keras_flat = np.concatenate([w.ravel() for w in keras_weights])
    spread = max(
        float(np.max(np.abs(np.concatenate([w.ravel() for w in other[1]]) - flat)))
        for other in run["spreads"]
    )
    bound = max(2 * spread, ULPS_8 * float(np.max(np.abs(keras_flat))))
    deviation = record_deviation(
        f"fit {run['name']}",
        "final weights (rel. to max |w|)",
        flat,
        keras_flat,
        bound=f"{bound:.3g}",
        scale=float(np.max(np.abs(keras_flat))),
        chaotic=chaotic,
    )
    if deviation.max_abs > bound:
        failures.append(f"weights: {deviation.max_abs:.3g} > {bound:.3g}")
    assert not failures, f"{run['name']}: " + "; ".join(failures)


def test_learning_rate_column_equals_keras_exactly(
    run: dict[str, Any], record_deviation: Any
) -> None:
    keras_history, _ = run["keras"]
    history, _ = run["lrsim"]
    if "learning_rate" not in keras_history:
        assert "learning_rate" not in history
        return
    record_deviation(
        f"fit {run['name']}",
        f"learning_rate, {EPOCHS} epochs",
        history["learning_rate"],
        keras_history["learning_rate"],
        bound="0 (equal)",
    )
    assert history["learning_rate"].tolist() == keras_history["learning_rate"].tolist()
    # The plateau must really have cut the rate, or equality would prove little.
    assert len(set(keras_history["learning_rate"].tolist())) >= 3


def test_ensemble_of_learning_rates_computes_each_single_run(record_deviation: Any) -> None:
    """One lrsim ensemble over the plain runs equals the single runs checked against Keras."""
    names = [name for name, (_, plateau) in RUNS.items() if plateau is None]
    rates = np.array([RUNS[name][0] for name in names])
    history, _ = lrsim_fit([np.stack([w] * len(names)) for w in initial_weights()], rates)
    ours = np.stack([history[key] for key in METRICS])
    singles = [lrsim_fits(name)["float32"][0] for name in names]
    theirs = np.stack([np.stack([single[key] for single in singles], axis=1) for key in METRICS])
    record_deviation(
        "lrsim ensemble vs lrsim single runs",
        f"{len(names)} rates, members vs the single runs above",
        ours,
        theirs,
        bound="0",
    )
    np.testing.assert_array_equal(ours, theirs)


def test_first_batch_loss_and_gradient_agree_to_rounding(record_deviation: Any) -> None:
    x, y = DATA.x_train[:32].astype(np.float32), DATA.y_train[:32].astype(np.float32)
    keras_loss, keras_gradients = keras_reference.loss_and_gradients(initial_weights(), x, y)
    loss, gradients = model().loss_and_gradients(x, y)
    assert abs(loss - keras_loss) <= ULPS_8 * keras_loss
    assert_gradients_agree("first batch", gradients, keras_gradients, record_deviation)


def test_validation_metrics_of_initial_weights_agree_to_rounding() -> None:
    """Keras evaluates 60 samples as batches of 32 and 28 and weights them by size."""
    f32 = np.float32
    theirs = keras_reference.evaluate(initial_weights(), f32(DATA.x_val), f32(DATA.y_val))
    ours = model().evaluate(DATA.x_val, DATA.y_val)
    assert abs(ours["loss"] - theirs["loss"]) <= ULPS_8 * theirs["loss"]
    assert ours["accuracy"] == pytest.approx(theirs["accuracy"], abs=1e-7)


def assert_gradients_agree(
    case: str, ours: list[np.ndarray], theirs: list[np.ndarray], record_deviation: Any
) -> None:
    flat = np.concatenate([g.ravel() for g in ours])
    keras_flat = np.concatenate([g.ravel() for g in theirs])
    largest = float(np.max(np.abs(keras_flat)))
    record_deviation(
        "one batch: loss gradients (rel. to max |g|)",
        case,
        flat,
        keras_flat,
        bound="8 ulps",
        scale=largest,
    )
    np.testing.assert_allclose(flat, keras_flat, rtol=0, atol=ULPS_8 * largest, err_msg=case)


def test_cross_entropy_of_a_saturated_softmax_takes_the_backends_path(
    backend: str, record_deviation: Any
) -> None:
    """A confidently wrong sample (its wrong logit leads by 50). TensorFlow computes the loss
    from the softmax's logits: the sample costs 50 and its gradient is whole. JAX clips the
    probabilities to [1e-7, 1 - 1e-7]: it costs -log(1e-7) = 16.118 and passes no gradient.
    lrsim computing as the same backend must agree with each to rounding."""
    x = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [0.2, -0.1]], dtype=np.float32)
    y = np.eye(3, dtype=np.float32)[[1, 0, 0, 2]]  # sample 0 is confidently wrong
    weights = [np.array([[50.0, 0.0, 0.0], [0.0, 0.5, -0.5]], np.float32), np.zeros(3, np.float32)]
    keras_loss, keras_gradients = keras_reference.loss_and_gradients(weights, x[:1], y[:1])
    expected = {"tensorflow": 50.0, "jax": -np.log(1e-7)}[backend]
    assert keras_loss == pytest.approx(expected, rel=ULPS_8)

    single = network.Sequential([network.Dense(3, "softmax")], input_dim=2, dtype="float32",
                                backend=backend)  # fmt: skip
    single.set_weights(weights)
    loss, gradients = single.loss_and_gradients(x[:1], y[:1])
    assert abs(loss - keras_loss) <= ULPS_8 * keras_loss
    assert_gradients_agree("saturated softmax", gradients, keras_gradients, record_deviation)
    keras_loss, keras_gradients = keras_reference.loss_and_gradients(weights, x, y)
    loss, gradients = single.loss_and_gradients(x, y)
    assert abs(loss - keras_loss) <= ULPS_8 * keras_loss
    assert_gradients_agree(
        "saturated softmax in a batch", gradients, keras_gradients, record_deviation
    )


@pytest.mark.parametrize("name", [name for name, (rate, _) in RUNS.items() if rate >= CHAOTIC_RATE])
def test_chaotic_runs_agree_early_and_report_how_the_deviation_grows(
    name: str, record_deviation: Any
) -> None:
    """At Adam 1e-1 and 1 each epoch amplifies the float32 rounding of the last. The first
    epochs are compared tightly: each epoch's loss and val_loss within twice lrsim's own
    rounding spread (its runs from the weights nudged one ulp up and down), and never further
    than 8 ulps per update taken so far need. Then the deviation over epochs 1 to n is recorded
    beside that spread, so the table shows how both grow."""
    keras_history, _ = keras_fit(name)
    fits = lrsim_fits(name)
    history = fits["float32"][0]
    steps = int(np.ceil(len(DATA.x_train) / 32))
    for epoch in range(EARLY_EPOCHS):
        for key in ("loss", "val_loss"):
            ours, theirs = history[key][epoch], keras_history[key][epoch]
            spread = max(abs(other[0][key][epoch] - ours) for other in fits.values())
            bound = max(2 * spread, (epoch + 1) * steps * ULPS_8 * abs(theirs))
            assert abs(ours - theirs) <= bound, (
                f"{name} epoch {epoch + 1} {key}: {ours} vs {theirs}"
            )
    for last in (1, 2, 5, 10, EPOCHS):
        window = slice(0, last)
        ours = np.stack([history[key][window] for key in ("loss", "val_loss")])
        theirs = np.stack([keras_history[key][window] for key in ("loss", "val_loss")])
        spread = max(
            float(np.max(np.abs(other[0][key][window] - history[key][window])))
            for other in fits.values()
            for key in ("loss", "val_loss")
        )
        record_deviation(
            f"fit {name}, growth",
            f"loss and val_loss, epochs 1-{last}",
            ours,
            theirs,
            bound=f"lrsim's own spread {spread:.2g}",
            scale=1.0,
            chaotic=last > 2,
        )
