"""lrsim's float32 optimizers against Keras's on quadratics, step by step.

Both sides get the same gradient function, evaluated in float32 on their own iterates, so any
difference comes from the update arithmetic alone. The table reports deviations relative to
the iterate, or absolutely below size 1 (every run starts at size 1).

Against Keras in eager mode the bound is zero: bit for bit. Eager Keras runs every op of
``update_step`` as its own computation (one XLA computation on JAX, one TensorFlow kernel on
TensorFlow) whose float32 result is correctly rounded (IEEE 754
add, multiply, divide, sqrt; ``power`` of a float32 base to small integer exponents), and
lrsim's ``dtype="float32"`` performs the same ops on the same float32 operands in the same
order, so the results are the same floats, infinities and NaNs of divergent runs included.
One ulp of difference would mean an operand rounded differently or an op reordered, which is
what this check exists to catch. The one exception is not Keras's but its backends': on the
CPU both XLA and TensorFlow's kernels flush subnormal results (below 2**-126 ≈ 1.2e-38) to
zero, where NumPy rounds gradually.
Once SGD's increment ``lr·h·x`` underflows, Keras's iterate freezes while lrsim's keeps
shrinking, which can only happen below ``FLUSH_BOUND = 2**-126 / (lr·h)_min`` ≈ 1.2e-32.

Against Keras compiled as ``Model.fit`` runs the update (XLA on JAX; a ``tf.function`` graph on
TensorFlow, which may rewrite and fuse ops too) bit equality is not expected: XLA fuses the
elementwise ops and may contract ``a*b + c`` into one fused multiply-add that rounds once
instead of twice, at most 1 ulp (2**-24 relative) per contraction. Measured on TensorFlow's
graphs: up to 1.1e-6 on a run that grows geometrically, and a run may overflow one step
earlier on one side. Along a
contracting trajectory such differences stay a few ulps; along an oscillating or growing one
each step can add a few ulps, so after n steps the relative deviation is bounded by about
n · 2**-23. The bound used is ``rtol = atol = STEPS · 2**-22`` (two ulps per step; 4.8e-5).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import keras
import numpy as np
import pytest

from lrsim import optimizers

from . import keras_reference

STEPS = 200
LEARNING_RATES = (1e-4, 1e-3, 1e-2, 1e-1, 1.0)
JIT_TOLERANCE = STEPS * 2.0**-22

# f(x) = x² from x = -1, as in the seed, and f(x) = ½ Σ h_i x_i² with condition number 1e4,
# stacked into one vector: the optimizers are elementwise, so each coordinate evolves as if
# alone, and one variable halves the cost of Keras's eager steps.
CURVATURES = np.concatenate([[2.0], np.logspace(-2, 2, 4)]).astype(np.float32)
START = np.array([-1.0, 1.0, 1.0, 1.0, 1.0], dtype=np.float32)
PROBLEMS = {"x^2 from -1": slice(0, 1), "kappa=1e4 quadratic, 4-D": slice(1, None)}
FLUSH_BOUND = 2.0**-126 / (min(LEARNING_RATES) * float(CURVATURES.min()))

# The Keras class of each label and its arguments; lrsim's class has the same name and arguments.
OPTIMIZERS: dict[str, tuple[str, dict[str, Any]]] = {
    "SGD": ("SGD", {}),
    "SGD momentum=0.9": ("SGD", {"momentum": 0.9}),
    "SGD Nesterov 0.9": ("SGD", {"momentum": 0.9, "nesterov": True}),
    "RMSprop": ("RMSprop", {}),
    "Adam": ("Adam", {}),
    "Adam amsgrad": ("Adam", {"amsgrad": True}),
}


@pytest.fixture(scope="module", autouse=True)
def describe(describe_setting: Any) -> None:
    """The setting, as the book's cross-check page quotes it."""
    describe_setting("optimizer_steps", STEPS)
    describe_setting("optimizer_learning_rates", list(LEARNING_RATES))
    describe_setting(
        "optimizer_condition_number", float(CURVATURES[1:].max() / CURVATURES[1:].min())
    )
    describe_setting("optimizers", list(OPTIMIZERS))


def gradient(values: list[Any]) -> list[Any]:
    """∇ of both quadratics, in float32 (one rounding), for NumPy and JAX arrays alike.

    A divergent run's gradient overflows here; lrsim itself must stay silent (pytest turns
    any RuntimeWarning it lets out into an error), so only this product is shielded.
    """
    with np.errstate(over="ignore", invalid="ignore"):
        return [CURVATURES * values[0]]


def lrsim_iterates(label: str, learning_rate: Any) -> np.ndarray:
    """lrsim's iterates, (steps + 1, [K,] 5); a 1-D learning rate runs an ensemble."""
    name, kwargs = OPTIMIZERS[label]
    optimizer = getattr(optimizers, name)(learning_rate=learning_rate, dtype="float32", **kwargs)
    members = optimizer.ensemble_size
    x = START.copy() if members is None else np.tile(START, (members, 1))
    iterates = [x.copy()]
    for _ in range(STEPS):
        optimizer.apply(gradient([x]), [x])
        iterates.append(x.copy())
    return np.stack(iterates)


def lrsim_runs(label: str) -> np.ndarray:
    """(learning rates, steps + 1, 5): one lrsim run per learning rate."""
    return np.stack([lrsim_iterates(label, lr) for lr in LEARNING_RATES])


def keras_optimizer(label: str, learning_rate: float) -> keras.optimizers.Optimizer:
    name, kwargs = OPTIMIZERS[label]
    return getattr(keras.optimizers, name)(learning_rate=learning_rate, **kwargs)


def per_problem(
    record: Any, family: str, label: str, ours: np.ndarray, theirs: np.ndarray, *, bound: str
) -> Iterator[tuple[str, np.ndarray, np.ndarray]]:
    """Record each problem's deviation; yield (problem, lrsim iterates, Keras iterates)."""
    for problem, coordinates in PROBLEMS.items():
        mine, keras_part = ours[..., coordinates], theirs[..., coordinates]
        case = f"{label}, {problem}, lr 1e-4..1, {STEPS} steps"
        record(family, case, mine, keras_part, bound=bound, scale=1.0)
        yield problem, mine, keras_part


@pytest.mark.parametrize("label", OPTIMIZERS)
def test_float32_optimizer_matches_eager_keras_bit_for_bit(
    label: str, record_deviation: Any
) -> None:
    keras_runs = np.stack(
        [
            keras_reference.optimizer_trajectory(
                keras_optimizer(label, lr), [START], gradient, STEPS
            )[0]
            for lr in LEARNING_RATES
        ]
    )
    single_runs = lrsim_runs(label)
    # An ensemble over the learning rates computes every member as its single run does.
    ensemble = np.moveaxis(lrsim_iterates(label, np.array(LEARNING_RATES)), 1, 0)
    np.testing.assert_array_equal(ensemble, single_runs, err_msg=f"{label} ensemble")

    bound = f"0 (bitwise) above {FLUSH_BOUND:.1e}"
    family = "optimizers, step by step, eager Keras"
    for problem, ours, theirs in per_problem(
        record_deviation, family, label, single_runs, keras_runs, bound=bound
    ):
        differs = ~((ours == theirs) | (np.isnan(ours) & np.isnan(theirs)))
        flushed = (np.abs(ours) < FLUSH_BOUND) & (np.abs(theirs) < FLUSH_BOUND)
        assert not np.any(differs & ~flushed), (
            f"{label} on {problem}: {np.count_nonzero(differs & ~flushed)} iterates differ from "
            f"Keras's, first at (lr index, step, coordinate) {np.argwhere(differs & ~flushed)[0]}"
        )


def up_to_overflow(theirs: np.ndarray, ours: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Both runs (lr, step, coordinate) with NaN from the first step where either overflowed.

    A compiled update rounds differently, so a run that grows geometrically can overflow one
    step earlier on one side than on the other (the last finite iterates agree to the
    tolerance). That step is allowed to differ by one, no more.
    """
    first = []
    for run in (theirs, ours):
        broken = ~np.isfinite(run)
        first.append(np.where(broken.any(axis=1), broken.argmax(axis=1), run.shape[1]))
    assert np.all(np.abs(first[0] - first[1]) <= 1), "the runs overflow more than a step apart"
    cut = np.arange(theirs.shape[1])[None, :, None] >= np.minimum(*first)[:, None, :]
    return np.where(cut, np.nan, theirs), np.where(cut, np.nan, ours)


@pytest.mark.parametrize("label", OPTIMIZERS)
def test_float32_optimizer_stays_within_fma_rounding_of_compiled_keras(
    label: str, record_deviation: Any
) -> None:
    runs = keras_reference.compiled_optimizer_trajectories(
        keras_optimizer(label, LEARNING_RATES[0]), LEARNING_RATES, [START], gradient, STEPS
    )
    keras_runs, single_runs = up_to_overflow(np.stack([run[0] for run in runs]), lrsim_runs(label))
    bound, family = f"{JIT_TOLERANCE:.2g}", "optimizers, step by step, compiled as fit does"
    for problem, ours, theirs in per_problem(
        record_deviation, family, label, single_runs, keras_runs, bound=bound
    ):
        np.testing.assert_allclose(
            ours, theirs, rtol=JIT_TOLERANCE, atol=JIT_TOLERANCE, err_msg=f"{label} {problem}"
        )
