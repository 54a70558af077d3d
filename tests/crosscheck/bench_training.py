"""Time lrsim against Keras 3 (JAX backend, CPU) on the seed's three runs, and lrsim's ensembles.

Run it with ``nox -s bench`` (which installs Keras and JAX and sets the environment below), or
``python tests/crosscheck/bench_training.py --help`` in an environment that has them.

What is timed, in one process:

1. The seed's configurations, 100 epochs each on the book's default data and model
   (``lrsim.datasets.spirals()``: 1200 training and 300 validation samples; 2 → 32 → 32 → 3,
   ReLU and softmax; batches of 32; shuffled every epoch; validation every epoch), from the
   same initial weights: Adam(1e-4); Adam(1e-3) + ReduceLROnPlateau(val_loss, 0.1, 5);
   Adam(1e-1). lrsim runs in float32, like Keras.
   Keras's first run of a model includes tracing and XLA compilation of its train and test
   steps; a warm run refits the same compiled model (weights and optimizer state reset). Both
   are reported; the headline ratio uses the warm figure, the one most favourable to Keras.
2. An lrsim ensemble of 3 learning rates x 10 seeds (30 members trained as one vectorised
   computation) against the same 30 runs one after another.

Every figure is the median of ``--repeats`` runs (3 by default) of wall-clock time; process
CPU time (all threads) is shown beside it, since a shared machine inflates wall-clock times.

Threads: both frameworks may use both cores. OPENBLAS_NUM_THREADS/OMP_NUM_THREADS/
MKL_NUM_THREADS = 2 cap NumPy's BLAS (nox sets them), and XLA's CPU client sizes its thread
pool to the visible cores (2 here); neither is pinned to a single thread.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jax
import keras
import numpy as np

from lrsim import callbacks, datasets, network, optimizers, training

# The Keras side of the cross-checks (beside this file) drives Keras here too.
sys.path.insert(0, str(Path(__file__).resolve().parent))
import keras_reference

LAYERS = [network.Dense(32, "relu"), network.Dense(32, "relu"), network.Dense(3, "softmax")]
PLATEAU = {"monitor": "val_loss", "factor": 0.1, "patience": 5}
CONFIGS: dict[str, tuple[float, dict[str, Any] | None]] = {
    "Adam(1e-4)": (1e-4, None),
    "Adam(1e-3)+ReduceLROnPlateau": (1e-3, PLATEAU),
    "Adam(1e-1)": (1e-1, None),
}
ENSEMBLE_RATES = (1e-4, 1e-3, 1e-1)
ENSEMBLE_SEEDS = range(10)


def timed(run: Callable[[], Any]) -> tuple[float, float, Any]:
    """Wall-clock and process CPU seconds of ``run()``, and its result."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = run()
    return time.perf_counter() - wall, time.process_time() - cpu, result


def median_times(samples: list[tuple[float, float]]) -> tuple[float, float]:
    return statistics.median(s[0] for s in samples), statistics.median(s[1] for s in samples)


def lrsim_run(
    data: datasets.Dataset,
    learning_rate: Any,
    *,
    epochs: int,
    plateau: dict[str, Any] | None = None,
    seed: Any = 0,
    weights: list[np.ndarray] | None = None,
) -> training.History:
    """One lrsim fit (or an ensemble, when ``learning_rate`` and ``seed`` are sequences)."""
    model = network.Sequential(LAYERS, input_dim=data.n_features, seed=seed, dtype="float32")
    if weights is not None:
        model.set_weights(weights)
    return training.fit(
        model,
        optimizers.Adam(learning_rate, dtype="float32"),
        data.x_train,
        data.y_train,
        epochs=epochs,
        validation_data=data.validation_data,
        seed=seed,
        callbacks=[] if plateau is None else [callbacks.ReduceLROnPlateau(**plateau)],
    )


def time_config(
    data: datasets.Dataset, name: str, *, epochs: int, repeats: int
) -> list[tuple[float, float]]:
    """Median (wall, CPU) seconds of lrsim, Keras's first run and Keras's warm run."""
    learning_rate, plateau = CONFIGS[name]
    start = network.Sequential(LAYERS, input_dim=data.n_features, seed=0, dtype="float32")
    weights = start.get_weights()
    f32 = np.float32
    keras_data = (f32(data.x_train), f32(data.y_train), f32(data.x_val), f32(data.y_val))

    def ours() -> training.History:
        return lrsim_run(data, learning_rate, epochs=epochs, plateau=plateau, weights=weights)

    def keras_fit(model: keras.Model) -> keras.Model:
        keras_reference.fit_classifier(
            weights, keras_data, learning_rate, epochs, plateau=plateau, shuffle=True, model=model
        )
        return model

    def keras_first_fit() -> keras.Model:
        return keras_fit(keras_reference.compiled_classifier(weights, learning_rate))

    samples: list[list[tuple[float, float]]] = [[], [], []]
    for _ in range(repeats):
        samples[0].append(timed(ours)[:2])
        wall, cpu, model = timed(keras_first_fit)
        samples[1].append((wall, cpu))
        keras_reference.reset_classifier(model, weights, learning_rate)
        samples[2].append(timed(lambda: keras_fit(model))[:2])  # noqa: B023 (called at once)
    return [median_times(sample) for sample in samples]


def bench_single_runs(data: datasets.Dataset, *, epochs: int, repeats: int) -> None:
    header = (
        f"{'configuration':30} {'lrsim':>8} {'Keras 1st':>10} {'Keras warm':>10} "
        f"{'ratio warm':>10} {'ratio 1st':>9}   (wall s; CPU s in brackets)"
    )
    print(f"\n1. The seed's three runs, {epochs} epochs each, median of {repeats}")
    print(header)
    print("-" * len(header))
    for name in CONFIGS:
        (ours_wall, ours_cpu), (first_wall, first_cpu), (warm_wall, warm_cpu) = time_config(
            data, name, epochs=epochs, repeats=repeats
        )
        print(
            f"{name:30} {ours_wall:8.2f} {first_wall:10.2f} {warm_wall:10.2f} "
            f"{warm_wall / ours_wall:9.1f}x {first_wall / ours_wall:8.1f}x"
        )
        print(
            f"{'':30} {f'({ours_cpu:.2f})':>8} {f'({first_cpu:.2f})':>10} {f'({warm_cpu:.2f})':>10} "
            f"{f'({warm_cpu / ours_cpu:.1f}x)':>10} {f'({first_cpu / ours_cpu:.1f}x)':>9}"
        )


def bench_ensemble(data: datasets.Dataset, *, epochs: int, repeats: int) -> None:
    rates = np.repeat(ENSEMBLE_RATES, len(ENSEMBLE_SEEDS))
    seeds = [int(s) for _ in ENSEMBLE_RATES for s in ENSEMBLE_SEEDS]

    def ensemble_run() -> training.History:
        return lrsim_run(data, rates, epochs=epochs, seed=seeds)

    def one_by_one() -> list[training.History]:
        return [
            lrsim_run(data, float(rate), epochs=epochs, seed=seed)
            for rate, seed in zip(rates, seeds, strict=True)
        ]

    together, separate = [], []
    for _ in range(repeats):
        wall, cpu, ensemble = timed(ensemble_run)
        together.append((wall, cpu))
        wall, cpu, runs = timed(one_by_one)
        separate.append((wall, cpu))
    # Both sides did the same work: the ensemble's members are the separate runs.
    final = np.asarray(ensemble.history["val_loss"])[-1]
    np.testing.assert_array_equal(final, [run.history["val_loss"][-1] for run in runs])
    (ens_wall, ens_cpu), (sep_wall, sep_cpu) = median_times(together), median_times(separate)
    print(
        f"\n2. lrsim ensemble of {len(ENSEMBLE_RATES)} learning rates x {len(ENSEMBLE_SEEDS)} "
        f"seeds, {epochs} epochs, median of {repeats}"
    )
    print(f"   one ensemble of {len(rates)} members: {ens_wall:7.2f} s wall ({ens_cpu:.2f} s CPU)")
    print(f"   {len(rates)} separate runs:        {sep_wall:7.2f} s wall ({sep_cpu:.2f} s CPU)")
    print(f"   ratio: {sep_wall / ens_wall:.1f}x wall ({sep_cpu / ens_cpu:.1f}x CPU)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=100, help="epochs per run (default 100)")
    parser.add_argument("--repeats", type=int, default=3, help="runs per median (default 3)")
    parser.add_argument(
        "--only", choices=["single", "ensemble"], help="run one part of the benchmark only"
    )
    arguments = parser.parse_args()
    threads = {k: os.environ.get(k, "unset") for k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS")}
    print(
        f"lrsim vs Keras {keras.__version__} ({keras.backend.backend()} {jax.__version__} on "
        f"{jax.default_backend()}), numpy {np.__version__}; {os.cpu_count()} cores, {threads}; "
        f"load average at start {os.getloadavg()[0]:.1f}"
    )
    data = datasets.spirals(seed=0)
    if arguments.only in (None, "single"):
        bench_single_runs(data, epochs=arguments.epochs, repeats=arguments.repeats)
    if arguments.only in (None, "ensemble"):
        bench_ensemble(data, epochs=arguments.epochs, repeats=arguments.repeats)
    print(f"\nload average at end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
