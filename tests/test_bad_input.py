"""Bad input anywhere in lrsim's public API gets a clear answer, and data is never refused.

Every public function and constructor is called with a valid baseline, then once per argument
with each class of bad value below in its place. Each call must either raise ``ValueError`` or
``TypeError`` whose message names the argument, or, where the value is data the book uses (NaN
and infinities where divergence is the subject, a float16 scalar), return a result with no
warning at all (pytest turns warnings into errors). Nothing may raise anything else, allocate
for 10**10 samples, or hang: sizes that large are refused before anything is allocated.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest

from lrsim import callbacks, datasets, network, optimizers, parabola, schedules, training
from lrsim.experiments import CASE_STUDY

HUGE = 10**10
BAD_VALUES: dict[str, Any] = {
    "nan": math.nan,
    "inf": math.inf,
    "-inf": -math.inf,
    "zero": 0,
    "negative": -1,
    "bool": True,
    "string": "0.1",
    "none": None,
    "complex": 1 + 2j,
    "float16": np.float16(0.1),
    "empty": np.array([]),
    "matrix": np.zeros((2, 2)),
    "huge": HUGE,
    "tiny": 1e-320,
    "extreme": 1e308,
}


@dataclass(frozen=True)
class Case:
    """A call, its valid arguments, and which bad-value classes each argument accepts as data."""

    name: str
    call: Callable[..., Any]
    kwargs: dict[str, Any]
    accepts: dict[str, set[str]] = field(default_factory=dict)


DATA = CASE_STUDY.data()
SMALL = datasets.spirals(n_samples=40, seed=0)


def small_model(**kwargs: Any) -> network.Sequential:
    return network.Sequential(
        [network.Dense(4, "relu"), network.Dense(3, "softmax")], input_dim=2, seed=0, **kwargs
    )


def fit_call(**kwargs: Any) -> Any:
    arguments = {
        "model": small_model(),
        "optimizer": optimizers.Adam(0.01),
        "x": SMALL.x_train,
        "y": SMALL.y_train,
        "epochs": 1,
    } | kwargs
    return training.fit(**arguments)


REAL_DATA = {"float16", "zero", "negative", "tiny", "extreme", "huge"}  # any real number
ARRAYS = REAL_DATA | {"empty", "matrix"}  # arguments documented as "float or array_like"
POSITIVE = {"float16", "tiny", "extreme", "huge"}
CASES = [
    Case(
        "parabola.contraction_factor",
        parabola.contraction_factor,
        {"eta": 0.8, "curvature": 2.0},
        {"eta": ARRAYS, "curvature": POSITIVE},
    ),
    Case(
        "parabola.classify",
        parabola.classify,
        {"eta": 0.8, "curvature": 2.0},
        {"eta": ARRAYS, "curvature": POSITIVE},
    ),
    Case(
        "parabola.closed_form",
        parabola.closed_form,
        {"eta": 0.8, "x0": -1.0, "k": 3, "curvature": 2.0},
        {"eta": ARRAYS, "x0": ARRAYS, "k": {"zero", "huge"}, "curvature": POSITIVE},
    ),
    Case(
        "parabola.loss",
        parabola.loss,
        {"x": -1.0, "curvature": 2.0},
        {"x": ARRAYS | {"nan", "inf", "-inf"}, "curvature": POSITIVE},
    ),
    Case(
        "parabola.iterate",
        parabola.iterate,
        {"eta": 0.8, "x0": -1.0, "steps": 3},
        {"eta": ARRAYS, "x0": ARRAYS, "steps": {"zero"}},
    ),
    Case(
        "parabola.steps_to_tolerance",
        parabola.steps_to_tolerance,
        {"eta": 0.8, "x0": -1.0, "tol": 1e-6},
        {"eta": ARRAYS, "x0": ARRAYS, "tol": POSITIVE},
    ),
    Case(
        "parabola.overflow",
        parabola.overflow,
        {"eta": 1.2, "x0": -1.0, "max_steps": 300},
        {"eta": REAL_DATA, "x0": REAL_DATA, "max_steps": {"zero"}},
    ),
    Case(
        "optimizers.SGD",
        optimizers.SGD,
        {"learning_rate": 0.1, "momentum": 0.9},
        {
            "learning_rate": {"float16", "tiny", "extreme", "huge"},
            "momentum": {"zero", "float16", "tiny"},
        },
    ),
    Case(
        "optimizers.Adam",
        optimizers.Adam,
        {"learning_rate": 0.1, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7},
        {
            "learning_rate": {"float16", "tiny", "extreme", "huge"},
            "beta_1": {"zero", "float16", "tiny"},
            "beta_2": {"zero", "float16", "tiny"},
            "epsilon": {"zero", "float16", "tiny", "extreme", "huge"},
        },
    ),
    Case(
        "optimizers.RMSprop",
        optimizers.RMSprop,
        {"learning_rate": 0.1, "rho": 0.9},
        {
            "learning_rate": {"float16", "tiny", "extreme", "huge"},
            "rho": {"zero", "float16", "tiny"},
        },
    ),
    Case(
        "callbacks.ReduceLROnPlateau",
        callbacks.ReduceLROnPlateau,
        {
            "monitor": "val_loss",
            "factor": 0.1,
            "patience": 5,
            "min_delta": 1e-4,
            "cooldown": 0,
            "min_lr": 0.0,
        },
        {
            "factor": {"float16", "tiny"},
            "patience": {"zero", "huge"},
            "min_delta": POSITIVE | {"zero"},
            "cooldown": {"zero", "huge"},
            "min_lr": POSITIVE | {"zero"},
        },
    ),
    Case(
        "callbacks.EarlyStopping",
        callbacks.EarlyStopping,
        {
            "monitor": "val_loss",
            "patience": 2,
            "min_delta": 0.0,
            "restore_best_weights": False,
            "start_from_epoch": 0,
        },
        {
            "patience": {"zero", "huge"},
            "min_delta": POSITIVE | {"zero"},
            "restore_best_weights": {"bool"},
            "start_from_epoch": {"zero", "huge"},
        },
    ),
    Case("network.Dense", network.Dense, {"units": 4, "activation": "relu"}, {"units": {"huge"}}),
    Case(
        "network.Sequential",
        network.Sequential,
        {"layers": [network.Dense(3, "softmax")], "input_dim": 2, "seed": 0},
        {"seed": {"zero", "none", "huge"}},
    ),
    # y_true and y_pred must have one shape: every substitute above changes it.
    Case(
        "network.categorical_crossentropy",
        network.categorical_crossentropy,
        {"y_true": [[0.0, 1.0]], "y_pred": [[0.5, 0.5]]},
    ),
    Case(
        "schedules.ExponentialDecay",
        schedules.ExponentialDecay,
        {"initial_learning_rate": 0.1, "decay_steps": 10, "decay_rate": 0.5, "staircase": False},
        {
            "initial_learning_rate": POSITIVE | {"zero"},
            "decay_steps": POSITIVE,
            "decay_rate": POSITIVE | {"zero"},
            "staircase": {"bool"},
        },
    ),
    Case(
        "schedules.PiecewiseConstantDecay",
        schedules.PiecewiseConstantDecay,
        {"boundaries": [10.0], "values": [0.1, 0.01]},
        {"boundaries": REAL_DATA},
    ),  # one boundary may be given as a number
    Case(
        "schedules.CosineDecay",
        schedules.CosineDecay,
        {"initial_learning_rate": 0.1, "decay_steps": 100, "alpha": 0.0},
        {
            "initial_learning_rate": POSITIVE | {"zero"},
            "decay_steps": POSITIVE,
            "alpha": {"zero", "float16", "tiny"},
        },
    ),
    Case(
        "datasets.spirals",
        datasets.spirals,
        {"n_samples": 30, "noise": 0.1, "validation_split": 0.2, "seed": 0},
        {
            "noise": {"zero", "float16", "tiny", "huge"},
            "validation_split": {"float16"},
            "seed": {"zero", "none", "huge"},
        },
    ),
    Case(
        "datasets.blobs",
        datasets.blobs,
        {"n_samples": 30, "n_features": 2, "cluster_std": 1.0, "seed": 0},
        {"cluster_std": {"float16", "tiny", "huge"}, "seed": {"zero", "none", "huge"}},
    ),
    Case(
        "training.fit",
        fit_call,
        {"batch_size": 32, "epochs": 1, "shuffle": True, "seed": 0},
        {
            "batch_size": {"huge"},
            "epochs": {"zero"},
            "shuffle": {"bool"},
            "seed": {"zero", "none", "huge"},
        },
    ),
]


CASES += [
    Case("parabola.critical_learning_rate", parabola.critical_learning_rate, {"curvature": 2.0},
         {"curvature": POSITIVE}),
    Case("parabola.optimal_learning_rate", parabola.optimal_learning_rate, {"curvature": 2.0},
         {"curvature": POSITIVE}),
    Case("callbacks.LearningRateScheduler", callbacks.LearningRateScheduler,
         {"schedule": lambda epoch, lr: lr, "verbose": 0}, {"verbose": {"zero", "huge"}}),
    Case("Sequential.predict", lambda x: small_model().predict(x), {"x": SMALL.x_val},
         {"x": {"matrix"}}),  # two samples of two features
    Case("Sequential.evaluate", lambda x, y: small_model().evaluate(x, y),
         {"x": SMALL.x_val, "y": SMALL.y_val}),
    Case("network.Sequential dtype and backend", network.Sequential,
         {"layers": [network.Dense(3, "softmax")], "input_dim": 2, "dtype": "float32",
          "backend": "jax"}),
    Case("datasets.to_categorical", datasets.to_categorical, {"labels": [0, 2, 1], "num_classes": 3},
         {"num_classes": {"none"}}),
    Case("training.fit data", lambda x, y, validation_data: fit_call(x=x, y=y, validation_data=validation_data),
         {"x": SMALL.x_train, "y": SMALL.y_train, "validation_data": SMALL.validation_data},
         {"validation_data": {"none"}}),
]  # fmt: skip

# Valid, and run for as long as asked: 10**10 epochs is a request, not an error.
NOT_RUN = {("training.fit", "epochs", "huge")}


def calls() -> list[Any]:
    return [
        pytest.param(case, argument, label, id=f"{case.name}-{argument}-{label}")
        for case in CASES
        for argument in case.kwargs
        for label in BAD_VALUES
        if (case.name, argument, label) not in NOT_RUN
    ]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_the_baseline_call_is_valid(case: Case) -> None:
    case.call(**case.kwargs)


@pytest.mark.parametrize(("case", "argument", "label"), calls())
def test_bad_value_is_refused_naming_the_argument_or_accepted_as_data(
    case: Case, argument: str, label: str
) -> None:
    kwargs = case.kwargs | {argument: BAD_VALUES[label]}
    if label in case.accepts.get(argument, set()):
        case.call(**kwargs)  # data: a result, and no warning (warnings are errors here)
        return
    with pytest.raises((ValueError, TypeError)) as raised:
        case.call(**kwargs)
    assert argument in str(raised.value), f"{case.name}({argument}={label}): {raised.value}"


def test_non_finite_probabilities_are_data_for_the_cross_entropy() -> None:
    losses = network.categorical_crossentropy(
        [[0.0, 1.0], [1.0, 0.0]], [[np.nan, 0.5], [np.inf, 1.0]]
    )
    assert np.isnan(losses).all()


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (
            lambda: network.Sequential(
                [network.Dense(HUGE, "relu"), network.Dense(3, "softmax")], input_dim=2
            ),
            "layers",
        ),
        (lambda: network.Sequential([network.Dense(3, "softmax")], input_dim=HUGE), "input_dim"),
        (lambda: parabola.iterate(0.8, -1.0, HUGE), "steps"),
        (lambda: parabola.overflow(1.0, dtype="float32", max_steps=HUGE), "max_steps"),
        (lambda: datasets.spirals(n_samples=HUGE), "n_samples"),
        (lambda: datasets.blobs(n_samples=100, n_features=HUGE), "n_features"),
        (lambda: datasets.blobs(n_samples=100, n_classes=HUGE), "n_classes"),
        (lambda: datasets.blobs(center_box=1e308), "center_box"),
    ],
)
def test_sizes_and_scales_beyond_reach_are_refused_before_anything_is_allocated(
    build, message
) -> None:
    """Issue 18: these were MemoryError, a hang, or OverflowError."""
    with pytest.raises(ValueError, match=message):
        build()


def test_overflow_predicts_what_it_measures_when_quotients_are_negative() -> None:
    """Issue 18: Decimal's // truncated towards zero where a floor was needed."""
    for kwargs in ({"eta": 5.0, "x0": 1e38}, {"eta": 5.0, "x0": -1.0, "curvature": 1e308}):
        report = parabola.overflow(dtype="float32", max_steps=50, **kwargs)
        assert report.x_inf_step == report.predicted_x_inf_step, (kwargs, report)
        assert report.loss_inf_step == report.predicted_loss_inf_step, (kwargs, report)


def test_overflow_takes_huge_and_negative_learning_rates_as_data() -> None:
    """Issue 18: a decimal.InvalidOperation at 1e308; 'x0 must be finite' for eta = -1."""
    huge = parabola.overflow(1e308, dtype="float32", max_steps=10)
    assert huge.x_inf_step == huge.predicted_x_inf_step == 1
    negative = parabola.overflow(-1.0, max_steps=2000)
    assert negative.x_inf_step == negative.predicted_x_inf_step
    assert negative.x_nan_step is None  # -1 has |r| = 3 and no sign flips: inf, never NaN


def test_piecewise_constant_decay_keeps_its_own_copy() -> None:
    boundaries, values = np.array([10.0]), np.array([0.1, 0.01])
    schedule = schedules.PiecewiseConstantDecay(boundaries, values)
    boundaries[0], values[0] = 1000.0, 5.0
    assert schedule(50) == pytest.approx(0.01)
    assert schedule(0) == pytest.approx(0.1)


@pytest.mark.parametrize("where", ["x", "validation x"])
@pytest.mark.parametrize("value", [np.nan, np.inf])
def test_fit_refuses_non_finite_inputs(where: str, value: float) -> None:
    x, x_val = SMALL.x_train.copy(), SMALL.x_val.copy()
    (x if where == "x" else x_val)[3, 1] = value
    name = "x" if where == "x" else "validation_data"
    with pytest.raises(ValueError, match=f"{name}.*finite"):
        fit_call(x=x, validation_data=(x_val, SMALL.y_val))


def test_fit_names_a_sample_count_mismatch() -> None:
    with pytest.raises(ValueError, match="x and y have different numbers of samples"):
        fit_call(x=SMALL.x_train[:-1])


def test_learning_rate_beyond_float32_is_refused_not_stored_as_inf() -> None:
    with pytest.raises(ValueError, match="learning_rate"):
        optimizers.Adam(1e308, dtype="float32")


def test_schedules_and_parabola_functions_stay_silent_on_extreme_data() -> None:
    assert schedules.ExponentialDecay(0.1, 1, 2.0)(2000) == math.inf
    assert parabola.contraction_factor(1e308) == -math.inf
    assert parabola.classify(1e308) is parabola.Regime.DIVERGENT
    assert parabola.steps_to_tolerance(1e308) == math.inf
    path = parabola.iterate(0.8, 1e308, 2, dtype="float32")  # x0 rounds to inf, then inf - inf
    assert np.isinf(path[0])
    assert np.isnan(path[1:]).all()


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: optimizers.Adam(0.1).apply(None, [np.zeros(2)]), "grads"),
        (lambda: optimizers.Adam(0.1).apply([np.array([1 + 2j, 0])], [np.zeros(2)]), "grads"),
        (lambda: callbacks.ReduceLROnPlateau(mode=np.array([])), "mode"),
        (lambda: callbacks.EarlyStopping(mode=np.array([])), "mode"),
        (lambda: parabola.closed_form([0.1, 0.2], x0=[1.0, 2.0, 3.0]), "eta and x0"),
        (lambda: parabola.iterate([0.1, 0.2], x0=[1.0, 2.0, 3.0]), "eta and x0"),
        (lambda: parabola.loss("0.1"), "x"),
        (lambda: parabola.iterate(True, -1.0, 3), "eta"),
        (lambda: datasets.spirals(seed=-1), "seed"),
        (lambda: fit_call(shuffle=False, seed="0.1"), "seed"),
    ],
)
def test_numpy_messages_never_reach_the_user(call, message) -> None:
    with pytest.raises((ValueError, TypeError), match=message):
        call()


def test_ragged_nesting_is_refused_naming_the_argument() -> None:
    with pytest.raises(TypeError, match="eta must be a real number"):
        parabola.iterate([[0.1], [0.2, 0.3]], -1.0, 2)
