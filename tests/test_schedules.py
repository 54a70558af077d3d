"""Learning-rate schedules: Keras's formulas pinned at hand-derived steps, laws, and bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lrsim.schedules import CosineDecay, ExponentialDecay, PiecewiseConstantDecay


def test_exponential_decay_halves_every_decay_steps_and_is_smooth_in_between():
    """ExponentialDecay(0.1, 100, 0.5): 0.1·0.5^(s/100) at s = 0, 50, 100, 250."""
    schedule = ExponentialDecay(0.1, decay_steps=100, decay_rate=0.5)
    expected = [0.1, 0.1 / math.sqrt(2), 0.05, 0.1 * 0.5**2.5]
    np.testing.assert_allclose(schedule([0, 50, 100, 250]), expected, rtol=1e-15)


def test_staircase_exponential_decay_is_step_decay():
    """ExponentialDecay(0.1, 100, 0.1, staircase=True): 0.1 up to step 99, 0.01 from step 100."""
    schedule = ExponentialDecay(0.1, decay_steps=100, decay_rate=0.1, staircase=True)
    np.testing.assert_allclose(schedule([0, 99, 100, 199, 200]), [0.1, 0.1, 0.01, 0.01, 0.001])


def test_staircase_with_fractional_decay_steps_floors_the_float32_quotient_as_keras():
    """33 / 1.1 is 30 in float32 (Keras: 0.1·0.5**30 = 9.31e-11) but 29.999... in float64."""
    assert math.floor(33 / 1.1) == 29  # the float64 quotient lands a stair early
    schedule = ExponentialDecay(0.1, decay_steps=1.1, decay_rate=0.5, staircase=True)
    assert schedule(33) == pytest.approx(0.1 * 0.5**30, rel=1e-12)
    steps = np.arange(2000)
    stairs = np.floor(np.float32(steps) / np.float32(1.1)).astype(np.float64)
    np.testing.assert_allclose(schedule(steps), 0.1 * 0.5**stairs, rtol=1e-12)


def test_piecewise_constant_keeps_a_boundary_step_in_the_interval_it_closes():
    """PiecewiseConstantDecay([10, 20], [1, 0.5, 0.1]): step 10 -> 1, 11 -> 0.5, 21 -> 0.1."""
    schedule = PiecewiseConstantDecay([10, 20], [1.0, 0.5, 0.1])
    np.testing.assert_array_equal(schedule([0, 10, 11, 20, 21, 10**6]), [1, 1, 0.5, 0.5, 0.1, 0.1])


def test_cosine_decay_hits_the_half_cosine_values_and_stays_at_alpha():
    """CosineDecay(1, 100, alpha=0.1): 1, 0.55 at s = 50, 0.1 at s >= 100; 0.5(1 + cos(pi/4))."""
    schedule = CosineDecay(1.0, decay_steps=100, alpha=0.1)
    quarter = 0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi / 4))
    np.testing.assert_allclose(schedule([0, 25, 50, 100, 500]), [1.0, quarter, 0.55, 0.1, 0.1])


def test_warmup_rises_linearly_then_the_cosine_starts_at_the_target():
    """CosineDecay(0.01, 100, warmup_target=0.1, warmup_steps=10): 0.01 -> 0.1 over 10 steps."""
    schedule = CosineDecay(0.01, decay_steps=100, warmup_target=0.1, warmup_steps=10)
    np.testing.assert_allclose(
        schedule([0, 1, 5, 10, 60, 110, 1000]),
        [0.01, 0.019, 0.055, 0.1, 0.05, 0.0, 0.0],
        atol=1e-15,
    )


def test_cosine_without_warmup_target_ignores_warmup_steps():
    plain = CosineDecay(0.1, decay_steps=50)
    ignored = CosineDecay(0.1, decay_steps=50, warmup_steps=20)
    steps = np.arange(80)
    np.testing.assert_array_equal(plain(steps), ignored(steps))


def test_zero_warmup_steps_start_the_cosine_at_the_target():
    schedule = CosineDecay(0.0, decay_steps=10, warmup_target=0.2, warmup_steps=0)
    np.testing.assert_allclose(schedule([0, 5, 10]), [0.2, 0.1, 0.0], atol=1e-15)


@settings(max_examples=100, deadline=None)
@given(
    peak=st.floats(1e-6, 10),
    decay_steps=st.integers(1, 1000),
    alpha=st.floats(0, 1),
    step=st.integers(0, 5000),
)
def test_cosine_decay_stays_between_alpha_times_peak_and_peak(peak, decay_steps, alpha, step):
    rate = CosineDecay(peak, decay_steps=decay_steps, alpha=alpha)(step)
    assert alpha * peak * (1 - 1e-12) <= rate <= peak * (1 + 1e-12)


@settings(max_examples=100, deadline=None)
@given(decay_rate=st.floats(0.01, 0.99), decay_steps=st.integers(1, 100))
def test_decaying_schedules_never_increase(decay_rate, decay_steps):
    steps = np.arange(300)
    for schedule in (
        ExponentialDecay(1.0, decay_steps, decay_rate),
        ExponentialDecay(1.0, decay_steps, decay_rate, staircase=True),
        CosineDecay(1.0, decay_steps),
    ):
        assert np.all(np.diff(schedule(steps)) <= 0)


def test_per_epoch_holds_the_rate_of_each_epochs_first_step():
    schedule = CosineDecay(0.1, decay_steps=40)
    by_epoch = schedule.per_epoch(steps_per_epoch=10)
    assert [by_epoch(epoch, 123.0) for epoch in range(5)] == [
        schedule(0),
        schedule(10),
        schedule(20),
        schedule(30),
        schedule(40),
    ]
    assert isinstance(by_epoch(1, 0.1), float)


def test_scalar_steps_give_floats_and_array_steps_give_arrays():
    schedule = ExponentialDecay(0.1, 10, 0.5)
    assert isinstance(schedule(3), float)
    assert schedule(np.arange(4)).shape == (4,)


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (
            lambda: ExponentialDecay(0.1, decay_steps=0, decay_rate=0.5),
            r"decay_steps must be finite and in \(0, inf\)",
        ),
        (
            lambda: ExponentialDecay(-0.1, 10, 0.5),
            r"initial_learning_rate must be finite and in \[0, inf\)",
        ),
        (lambda: CosineDecay(0.1, 10, alpha=1.5), r"alpha must be finite and in \[0, 1\]"),
        (lambda: CosineDecay(0.1, -5), r"decay_steps must be finite and in \(0, inf\)"),
        (lambda: PiecewiseConstantDecay([20, 10], [1, 2, 3]), "strictly increasing"),
        (lambda: PiecewiseConstantDecay([10], [1, 2, 3]), "one more element than boundaries"),
        (lambda: ExponentialDecay(0.1, 10, 0.5)(-1), "step must be >= 0"),
        (lambda: ExponentialDecay(0.1, 10, 0.5).per_epoch(0), "steps_per_epoch must be an integer"),
    ],
)
def test_bad_arguments_raise_value_errors_that_name_them(build, message):
    with pytest.raises(ValueError, match=message):
        build()


def test_non_numeric_arguments_raise_type_errors():
    with pytest.raises(TypeError, match="decay_steps"):
        ExponentialDecay(0.1, decay_steps=True, decay_rate=0.5)
    with pytest.raises(TypeError, match="step"):
        CosineDecay(0.1, 10)("ten")


def test_ensemble_scheduler_member_trains_as_a_single_model_with_learning_rate_scheduler():
    from lrsim.callbacks import EnsembleScheduler, LearningRateScheduler, ReduceLROnPlateau
    from lrsim.datasets import spirals
    from lrsim.network import Dense, Sequential
    from lrsim.optimizers import Adam
    from lrsim.training import fit

    data = spirals(n_samples=160, seed=0)
    schedule = CosineDecay(0.05, decay_steps=16).per_epoch(steps_per_epoch=4)

    def run(seed, optimizer, callbacks):
        model = Sequential([Dense(8, "relu"), Dense(3, "softmax")], input_dim=2, seed=seed)
        return fit(model, optimizer, data.x_train, data.y_train, epochs=5, seed=seed,
                   validation_data=data.validation_data, callbacks=callbacks)  # fmt: skip

    plateau = ReduceLROnPlateau(factor=0.5, patience=1, min_delta=10.0)  # never improves
    together = run([0, 0], Adam([0.05, 0.05]), [EnsembleScheduler([schedule, None]), plateau])
    alone = run(0, Adam(0.05), [LearningRateScheduler(schedule)])
    rates = np.asarray(together.history["learning_rate"])
    np.testing.assert_allclose(rates[:, 0], [schedule(epoch, 0.0) for epoch in range(5)])
    np.testing.assert_allclose(
        np.asarray(together.history["val_loss"])[:, 0], alone.history["val_loss"], rtol=1e-12
    )
    assert rates[-1, 1] < 0.05  # the unscheduled member followed the plateau callback


def test_ensemble_scheduler_needs_one_schedule_per_member():
    from types import SimpleNamespace

    from lrsim.callbacks import EnsembleScheduler
    from lrsim.optimizers import SGD

    scheduler = EnsembleScheduler([None])
    scheduler.set_model(SimpleNamespace(optimizer=SGD([0.1, 0.2])))
    with pytest.raises(ValueError, match="one entry per ensemble member"):
        scheduler.on_epoch_begin(0)
    with pytest.raises(TypeError, match="schedules must be"):
        EnsembleScheduler([])


def test_ensemble_scheduler_applies_a_schedule_object_before_every_batch():
    from lrsim.callbacks import EnsembleScheduler
    from lrsim.datasets import spirals
    from lrsim.network import Dense, Sequential
    from lrsim.optimizers import SGD
    from lrsim.training import fit

    data = spirals(n_samples=100, seed=0)  # 80 training samples: 3 batches of 32 per epoch
    schedule = CosineDecay(0.0, decay_steps=6, warmup_target=0.1, warmup_steps=3)
    model = Sequential([Dense(3, "softmax")], input_dim=2, seed=[0, 1])
    optimizer = SGD([0.5, 0.5])
    history = fit(
        model, optimizer, data.x_train, data.y_train, epochs=3, seed=0,
        callbacks=[EnsembleScheduler([schedule, None])],
    )  # fmt: skip
    logged = np.asarray(history.history["learning_rate"])
    np.testing.assert_allclose(logged[:, 0], schedule([0, 3, 6]))
    np.testing.assert_allclose(logged[:, 1], 0.5)
    assert optimizer.iterations == 9
    assert optimizer.learning_rate[0] == schedule(8)
