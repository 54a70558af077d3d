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
3. The floor of any NumPy implementation of one training step of this model: the fewest NumPy
   calls that compute a batch's forward pass, loss, backward pass and Adam update, with every
   array preallocated and no bookkeeping, timed per step. It bounds from above the ratio a
   NumPy simulation can reach against Keras, whatever its code. lrsim's step (its whole fit,
   validation included, per step) is reported as a ratio to it; the target is <= 1.3.
4. The sweeps the book runs (``lrsim.case_studies``, on the case-study network and data, 100
   epochs, per-epoch diagnostics included): the post's three configurations x 10 seeds
   (Adam(1e-4) and Adam(1e-1) as one ensemble, Adam(1e-3)+ReduceLROnPlateau as another), and
   16 learning rates x 10 seeds for Adam and for SGD. lrsim's time per trained model is set
   against Keras training the same models one ``fit`` at a time in this warm process, each
   model built and compiled anew as a script would (so each fit includes its tracing and XLA
   compilation). Keras trains a sample of the models (``--keras-seeds`` seeds of each of the
   three configurations, and of every ``--keras-stride``-th rate of each optimizer); its time
   per model is the mean over that sample. Targets: >= 30x and >= 50x per model.

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

from lrsim import callbacks, case_studies, datasets, network, optimizers, training
from lrsim.experiments import CASE_STUDY

# The Keras side of the cross-checks (tests/crosscheck) drives Keras here too.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "crosscheck"))
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


def numpy_floor_seconds_per_step(data: datasets.Dataset, steps: int = 20_000) -> float:
    """Seconds per step of the bare NumPy operations of one float32 training step (see 3.)."""
    f32 = np.float32
    model = network.Sequential(LAYERS, input_dim=data.n_features, seed=0, dtype="float32")
    w1, b1, w2, b2, w3, b3 = model.get_weights()
    size = 32
    x = np.vstack([data.x_train[:size].T, np.ones((1, size))]).astype(f32)  # bias row of ones
    y = np.ascontiguousarray(data.y_train[:size].T, dtype=f32)
    params = np.zeros(model.count_params(), dtype=f32)
    grads, m, v, scratch, denominator = (np.zeros_like(params) for _ in range(5))
    shapes = [(w1.shape[0] + 1, w1.shape[1]), (w2.shape[0] + 1, w2.shape[1]), (w3.shape[0] + 1, 3)]
    offsets = np.cumsum([0] + [rows * columns for rows, columns in shapes])
    weights = [
        params[a:b].reshape(shape)
        for a, b, shape in zip(offsets, offsets[1:], shapes, strict=False)
    ]
    gradients = [
        grads[a:b].reshape(shape) for a, b, shape in zip(offsets, offsets[1:], shapes, strict=False)
    ]
    for matrix, kernel, bias in zip(weights, (w1, w2, w3), (b1, b2, b3), strict=True):
        matrix[:-1], matrix[-1] = kernel, bias
    hidden = [np.ones((shape[1] + 1, size), dtype=f32) for shape in shapes[:2]]
    deltas = [np.empty((shape[1], size), dtype=f32) for shape in shapes[:2]]
    logits = np.empty((3, size), dtype=f32)
    one_minus_beta_1, one_minus_beta_2, epsilon, alpha = f32(0.1), f32(0.001), f32(1e-7), f32(1e-3)

    def step() -> None:
        np.matmul(weights[0].T, x, out=hidden[0][:-1])
        np.maximum(hidden[0][:-1], 0, out=hidden[0][:-1])
        np.matmul(weights[1].T, hidden[0], out=hidden[1][:-1])
        np.maximum(hidden[1][:-1], 0, out=hidden[1][:-1])
        np.matmul(weights[2].T, hidden[1], out=logits)
        np.subtract(logits, logits.max(axis=0), out=logits)
        np.exp(logits, out=logits)
        np.divide(logits, logits.sum(axis=0), out=logits)
        np.log((logits * y).sum(axis=0)).sum()  # the batch loss
        np.subtract(logits, y, out=logits)  # delta of the output layer (scaled by 1/B below)
        np.multiply(logits, f32(1 / size), out=logits)
        np.matmul(hidden[1], logits.T, out=gradients[2])
        np.matmul(weights[2][:-1], logits, out=deltas[1])
        np.multiply(deltas[1], hidden[1][:-1] > 0, out=deltas[1])
        np.matmul(hidden[0], deltas[1].T, out=gradients[1])
        np.matmul(weights[1][:-1], deltas[1], out=deltas[0])
        np.multiply(deltas[0], hidden[0][:-1] > 0, out=deltas[0])
        np.matmul(x, deltas[0].T, out=gradients[0])
        np.subtract(grads, m, out=scratch)
        np.multiply(scratch, one_minus_beta_1, out=scratch)
        np.add(m, scratch, out=m)
        np.square(grads, out=scratch)
        np.subtract(scratch, v, out=scratch)
        np.multiply(scratch, one_minus_beta_2, out=scratch)
        np.add(v, scratch, out=v)
        np.sqrt(v, out=denominator)
        np.add(denominator, epsilon, out=denominator)
        np.multiply(m, alpha, out=scratch)
        np.divide(scratch, denominator, out=scratch)
        np.subtract(params, scratch, out=params)

    with np.errstate(all="ignore"):
        for _ in range(1000):  # warm caches and the allocator
            step()
        start = time.perf_counter()
        for _ in range(steps):
            step()
    return (time.perf_counter() - start) / steps


def bench_floor(data: datasets.Dataset, *, epochs: int, repeats: int) -> None:
    """Per-step times of lrsim, Keras (warm) and the NumPy floor on the Adam(1e-3) run."""
    start = network.Sequential(LAYERS, input_dim=data.n_features, seed=0, dtype="float32")
    weights = start.get_weights()
    f32 = np.float32
    keras_data = (f32(data.x_train), f32(data.y_train), f32(data.x_val), f32(data.y_val))
    steps = epochs * -(-len(data.x_train) // 32)
    model = keras_reference.compiled_classifier(weights, 1e-3)
    keras_reference.fit_classifier(weights, keras_data, 1e-3, 1, shuffle=True, model=model)
    ours, keras_warm, floor = [], [], []
    for _ in range(repeats):
        ours.append(timed(lambda: lrsim_run(data, 1e-3, epochs=epochs, weights=weights))[0])
        keras_reference.reset_classifier(model, weights, 1e-3)
        keras_warm.append(
            timed(
                lambda: keras_reference.fit_classifier(
                    weights, keras_data, 1e-3, epochs, shuffle=True, model=model
                )
            )[0]
        )
        floor.append(numpy_floor_seconds_per_step(data))
    per_step = {
        "Keras, warm (fit)": statistics.median(keras_warm) / steps,
        "lrsim (fit)": statistics.median(ours) / steps,
        "NumPy floor (bare step)": statistics.median(floor),
    }
    print(f"\n3. Time per training step, Adam(1e-3), {steps} steps, median of {repeats}")
    for name, seconds in per_step.items():
        ratio = per_step["Keras, warm (fit)"] / seconds
        print(f"   {name:26} {seconds * 1e6:7.1f} us/step   {ratio:5.1f}x faster than warm Keras")
    # Each run's ratio is taken against the floor timed right after it, so that a change of the
    # machine's load between runs cancels.
    ratios = sorted(run / steps / bare for run, bare in zip(ours, floor, strict=True))
    print(
        f"   lrsim's step / the floor: {statistics.median(ratios):.2f}x "
        f"(runs: {', '.join(f'{r:.2f}' for r in ratios)}; target <= 1.3x)"
    )


def keras_sweep_fit(
    data: tuple[np.ndarray, ...],
    optimizer_class: type,
    learning_rate: float,
    seed: int,
    *,
    epochs: int,
    plateau: dict[str, Any] | None,
) -> tuple[tuple[float, float], tuple[float, float]]:
    """One Keras model of the case study, built, compiled and fitted as a script would, then
    refitted from the same start with its compiled functions kept: (wall, CPU) of both."""
    weights = CASE_STUDY.model(seed, dtype="float32").get_weights()

    def fresh() -> keras.Model:
        model = keras_reference.dense_classifier(weights)
        model.compile(
            optimizer=optimizer_class(learning_rate=learning_rate),
            loss="categorical_crossentropy",
            metrics=["accuracy"],
        )
        return refit(model)

    def refit(model: keras.Model) -> keras.Model:
        keras_reference.fit_classifier(
            weights, data, learning_rate, epochs, plateau=plateau, shuffle=True, model=model
        )
        return model

    wall, cpu, model = timed(fresh)
    keras_reference.reset_classifier(model, weights, learning_rate)
    return (wall, cpu), timed(lambda: refit(model))[:2]


def bench_sweeps(*, epochs: int, repeats: int, keras_seeds: int, keras_stride: int) -> None:
    """Seconds per trained model of lrsim's sweeps (one process, ensembles) and of Keras."""
    f32 = np.float32
    data = CASE_STUDY.data()
    keras_data = (f32(data.x_train), f32(data.y_train), f32(data.x_val), f32(data.y_val))
    rates = [float(rate) for rate in case_studies.RATES]
    seeds = list(case_studies.SEEDS)
    sweeps: dict[str, Any] = {
        "3 configurations x 10 seeds": (
            [
                (optimizers.Adam, [1e-4, 1e-1], None),
                (optimizers.Adam, [1e-3], PLATEAU),
            ],
            [
                (optimizers.Adam, 1e-4, None),
                (optimizers.Adam, 1e-3, PLATEAU),
                (optimizers.Adam, 1e-1, None),
            ],
            30.0,
        ),
        "16 rates x 10 seeds x Adam, SGD": (
            [(optimizers.Adam, rates, None), (optimizers.SGD, rates, None)],
            [
                (optimizer, rate, None)
                for optimizer in (optimizers.Adam, optimizers.SGD)
                for rate in rates[::keras_stride]
            ],
            50.0,
        ),
    }
    # Warm: JAX and Keras initialised and one model compiled before anything is timed.
    keras_sweep_fit(keras_data, keras.optimizers.Adam, 1e-3, 0, epochs=1, plateau=None)
    keras_optimizer = {optimizers.Adam: keras.optimizers.Adam, optimizers.SGD: keras.optimizers.SGD}
    print(
        f"\n4. The book's sweeps (case-study network {CASE_STUDY.architecture}, "
        f"{len(data.x_train)} training samples, {epochs} epochs), median of {repeats}; "
        "wall s per trained model (CPU s in brackets)"
    )
    for name, (grids, keras_runs, target) in sweeps.items():
        models = sum(len(grid_rates) * len(seeds) for _, grid_rates, _ in grids)

        def ours(grids: Any = grids) -> None:
            for optimizer_class, grid_rates, plateau in grids:
                extra = [] if plateau is None else [case_studies.plateau_callback()]
                case_studies.train_grid(optimizer_class, grid_rates, extra, epochs=epochs)

        def theirs(keras_runs: Any = keras_runs) -> list[tuple[float, float]]:
            """Mean (wall, CPU) per model of fits with compile, and of refits without."""
            fits = [
                keras_sweep_fit(
                    keras_data,
                    keras_optimizer[optimizer_class],
                    rate,
                    seed,
                    epochs=epochs,
                    plateau=plateau,
                )
                for optimizer_class, rate, plateau in keras_runs
                for seed in seeds[:keras_seeds]
            ]
            return [
                (
                    statistics.mean(f[kind][0] for f in fits),
                    statistics.mean(f[kind][1] for f in fits),
                )
                for kind in (0, 1)
            ]

        lrsim_times: list[tuple[float, float]] = []
        compiled: list[tuple[float, float]] = []
        refitted: list[tuple[float, float]] = []
        for _ in range(repeats):
            wall, cpu, _ = timed(ours)
            lrsim_times.append((wall / models, cpu / models))
            with_compile, without = theirs()
            compiled.append(with_compile)
            refitted.append(without)
        ours_wall, ours_cpu = median_times(lrsim_times)
        print(
            f"   {name}: lrsim, {models} models in {len(grids)} ensemble(s): "
            f"{ours_wall:.4f} ({ours_cpu:.4f})"
        )
        for label, samples in (("fit, compile included", compiled), ("refit", refitted)):
            keras_wall, keras_cpu = median_times(samples)
            print(
                f"     Keras {label:22} {keras_wall:.3f} ({keras_cpu:.3f})  "
                f"{keras_wall / ours_wall:6.1f}x ({keras_cpu / ours_cpu:.1f}x CPU)"
                + (f"   target >= {target:.0f}x" if label.startswith("fit") else "")
            )
        print(f"     (Keras: mean over {len(keras_runs) * keras_seeds} of the models)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=100, help="epochs per run (default 100)")
    parser.add_argument("--repeats", type=int, default=3, help="runs per median (default 3)")
    parser.add_argument(
        "--only",
        choices=["single", "ensemble", "floor", "sweeps"],
        help="run one part of the benchmark only",
    )
    parser.add_argument(
        "--keras-seeds", type=int, default=2, help="seeds per Keras sample of 4. (default 2)"
    )
    parser.add_argument(
        "--keras-stride",
        type=int,
        default=5,
        help="Keras trains every n-th rate of 4.'s 16 (default 5: 4 rates per optimizer)",
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
    if arguments.only in (None, "floor"):
        bench_floor(data, epochs=arguments.epochs, repeats=arguments.repeats)
    if arguments.only in (None, "sweeps"):
        bench_sweeps(
            epochs=arguments.epochs,
            repeats=arguments.repeats,
            keras_seeds=arguments.keras_seeds,
            keras_stride=arguments.keras_stride,
        )
    print(f"\nload average at end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
