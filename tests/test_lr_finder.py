"""The LR range test: fastai's smoothing, stop rule and suggestions; ensembles; bad input."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lrsim.datasets import spirals
from lrsim.lr_finder import RangeTest, lr_range_test
from lrsim.network import Dense, Sequential
from lrsim.optimizers import SGD, Adam

DATA = spirals(n_samples=200, seed=0)


def small_model(seed):
    return Sequential([Dense(8, "relu"), Dense(3, "softmax")], input_dim=2, seed=seed)


def fastai_valley_index(losses):
    """fastai's ``valley`` (fastai/callback/schedule.py), transcribed loop for loop."""
    n = len(losses)
    max_start, max_end = 0, 0
    lds = [1] * n
    for i in range(1, n):
        for j in range(i):
            if losses[i] < losses[j] and lds[i] < lds[j] + 1:
                lds[i] = lds[j] + 1
            if lds[max_end] < lds[i]:
                max_end = i
                max_start = max_end - lds[max_end]
    sections = (max_end - max_start) / 3
    return max_start + int(sections) + int(sections / 2)


def test_smoothing_is_a_bias_corrected_moving_average():
    """Smoothing 0.5 of losses 1, 2: 0.5/(1 - 0.5) = 1, then (0.25 + 1)/(1 - 0.25) = 5/3."""
    result = RangeTest.from_losses([0.1, 0.2], [1.0, 2.0], smoothing=0.5, divergence_factor=10)
    np.testing.assert_allclose(result.smoothed_losses[:, 0], [1.0, 5 / 3])


@settings(max_examples=50, deadline=None)
@given(level=st.floats(1e-3, 1e3), smoothing=st.floats(0, 0.99), steps=st.integers(1, 60))
def test_bias_correction_makes_a_constant_loss_its_own_average(level, smoothing, steps):
    rates = np.geomspace(1e-3, 1, steps + 1)
    result = RangeTest.from_losses(rates, np.full(steps + 1, level), smoothing=smoothing)
    np.testing.assert_allclose(result.smoothed_losses, level, rtol=1e-9)
    assert result.stop_reasons == ("completed",)


def test_a_smoothed_loss_above_four_times_its_minimum_stops_the_run():
    """Unsmoothed losses 1, 0.5, 1.9, 2.1: 2.1 > 4 x 0.5 stops at step 3, 'diverged'."""
    result = RangeTest.from_losses(np.geomspace(1e-3, 1, 6), [1, 0.5, 1.9, 2.1, 3, 4], smoothing=0)
    assert result.stop_steps.tolist() == [3]
    assert result.stop_reasons == ("diverged",)
    assert np.isnan(result.losses[4:]).all()


def test_a_nan_loss_runs_on_as_fastais_and_an_infinite_one_stops_the_run():
    """fastai stops on `smooth_loss > 4 * best_loss`: never for NaN, always for inf."""
    losses = np.array([[1.0, 1.0], [np.nan, np.inf], [1.0, 0.8]])
    result = RangeTest.from_losses([0.1, 1.0, 10.0], losses, smoothing=0.9)
    assert result.stop_steps.tolist() == [2, 1]
    assert result.stop_reasons == ("non-finite", "diverged")
    assert np.isnan(result.smoothed_losses[1:, 0]).all()
    assert np.isnan(result.losses[2, 1])


def test_suggestions_stop_at_the_first_nan_as_fastais():
    """100 steps, NaN from step 60: fastai's window is steps 10 to 59, not 10 to 54."""
    rates = np.geomspace(1e-4, 1, 100)
    losses = np.where(np.arange(100) < 60, 2.0 - np.arange(100) / 100, np.nan)
    result = RangeTest.from_losses(rates, losses, smoothing=0.0)
    assert result.stop_reasons == ("non-finite",)
    assert result.suggest_minimum()[0] == rates[59] / 10


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(0.1, 10), min_size=20, max_size=60))
def test_valley_suggestion_is_fastais_valley(losses):
    """Our vectorised longest-decreasing-run search picks the index fastai's loops pick."""
    rates = np.geomspace(1e-5, 10, len(losses))
    result = RangeTest.from_losses(rates, losses, smoothing=0.0, divergence_factor=1e9)
    window = slice(len(losses) // 10, len(losses) - 5)
    # fastai indexes the window's rates, so its occasional index -1 (a longest subsequence of
    # two ending at index 1) picks the window's last rate, and ours must too.
    expected = rates[window][fastai_valley_index(list(np.asarray(losses)[window]))]
    assert result.suggest_valley()[0] == expected


def test_valley_follows_fastai_to_the_last_rate_when_its_start_index_is_minus_one():
    """Window 1, 0.5, 1, 1, ...: fastai's max_start is 1 - 2 = -1 and lrs[-1] is the last."""
    losses = [1.0, 1.0, 1.0, 0.5] + [1.0] * 16
    rates = np.geomspace(1e-5, 10, len(losses))
    result = RangeTest.from_losses(rates, losses, smoothing=0.0, divergence_factor=1e9)
    assert fastai_valley_index([1.0, 0.5] + [1.0] * 11) == -1
    assert result.suggest_valley()[0] == rates[len(losses) - 6]


def test_steepest_and_minimum_follow_fastai_on_a_known_curve():
    """A bowl 1 + (log10 lr + 2)^2 has its minimum at 0.01, so ``minimum`` suggests 0.001."""
    rates = np.geomspace(1e-4, 1, 41)
    bowl = RangeTest.from_losses(rates, 1 + (np.log10(rates) + 2) ** 2, smoothing=0.0)
    np.testing.assert_allclose(bowl.suggest_minimum(), [1e-3])
    # the window starts at step 41 // 10 = 4, where the bowl falls fastest
    np.testing.assert_allclose(bowl.suggest_steepest(), [rates[4]])


def test_range_test_rates_are_fastais_geometric_ramp():
    """fastai's rate at step k of n is start·(end/start)^(k/n): 20 steps from 1e-4 to 1e-2
    end at 1e-4·100^(19/20), one factor 100^(1/20) short of 1e-2."""
    result = lr_range_test(
        small_model(0), SGD(0.1), DATA.x_train, DATA.y_train,
        start_learning_rate=1e-4, end_learning_rate=1e-2, steps=20, seed=0,
    )  # fmt: skip
    assert result.stop_reasons == ("completed",)
    np.testing.assert_allclose(result.learning_rates[[0, -1]], [1e-4, 1e-4 * 100 ** (19 / 20)])
    ratios = result.learning_rates[1:] / result.learning_rates[:-1]
    np.testing.assert_allclose(ratios, 100 ** (1 / 20))


class BatchRecorder(Sequential):
    """A model that notes the size of every batch it is handed."""

    sizes: list[int]

    def batch_gradients(self, x, y):
        self.sizes.append(x.shape[-1])
        return super().batch_gradients(x, y)


def test_range_test_drops_the_partial_last_batch_as_fastai():
    model = BatchRecorder([Dense(3, "softmax")], input_dim=2, seed=0)
    model.sizes = []
    samples = len(DATA.x_train)
    batch_size = samples // 3 + 1  # two full batches an epoch, and a remainder
    lr_range_test(
        model, SGD(0.1), DATA.x_train, DATA.y_train,
        start_learning_rate=1e-4, end_learning_rate=1e-3, steps=10, batch_size=batch_size, seed=0,
    )  # fmt: skip
    assert model.sizes == [batch_size] * 10
    with pytest.raises(ValueError, match="batch_size must be at most the number of samples"):
        lr_range_test(model, SGD(0.1), DATA.x_train, DATA.y_train, batch_size=samples + 1)


def test_range_test_restores_the_weights_and_the_optimizer_state():
    model = small_model(3)
    optimizer = Adam(0.01)
    optimizer.apply([np.ones_like(model.params)], [model.params])  # one step of history
    weights = model.get_weights()
    moments = optimizer.states[0].m.copy()
    lr_range_test(model, optimizer, DATA.x_train, DATA.y_train, steps=30, seed=1)
    for old, new in zip(weights, model.get_weights(), strict=True):
        np.testing.assert_array_equal(old, new)
    assert optimizer.iterations == 1
    assert optimizer.learning_rate == 0.01
    np.testing.assert_array_equal(moments, optimizer.states[0].m)


def test_each_ensemble_member_runs_the_test_a_single_model_would():
    arguments = {"start_learning_rate": 1e-3, "end_learning_rate": 1e3, "steps": 40, "seed": 5}
    together = lr_range_test(
        small_model([0, 1]), SGD([0.1, 0.1]), DATA.x_train, DATA.y_train, **arguments
    )
    for member, seed in enumerate([0, 1]):
        alone = lr_range_test(small_model(seed), SGD(0.1), DATA.x_train, DATA.y_train, **arguments)
        stop = int(alone.stop_steps[0])
        assert together.stop_steps[member] == stop
        assert together.stop_reasons[member] == alone.stop_reasons[0]
        np.testing.assert_allclose(
            together.losses[: stop + 1, member], alone.losses[: stop + 1, 0], rtol=1e-12
        )


def test_sgd_range_test_on_the_spirals_ends_by_diverging():
    result = lr_range_test(
        small_model([0, 1, 2]), SGD([0.1] * 3), DATA.x_train, DATA.y_train,
        start_learning_rate=1e-3, end_learning_rate=1e4, steps=60, seed=0,
    )  # fmt: skip
    assert set(result.stop_reasons) <= {"diverged", "non-finite"}
    assert np.all(result.learning_rates[result.stop_steps] > 1)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"start_learning_rate": 1.0, "end_learning_rate": 0.1}, "end_learning_rate must be >"),
        ({"start_learning_rate": 0.0}, "start_learning_rate must be > 0"),
        ({"steps": 5}, "steps must be an integer >= 10"),
        ({"batch_size": 0}, "batch_size must be an integer >= 1"),
        ({"smoothing": 1.0}, r"smoothing must be finite and in \[0, 1\)"),
        ({"divergence_factor": 1.0}, r"divergence_factor must be finite and in \(1, inf\)"),
    ],
)
def test_bad_arguments_raise_value_errors_that_name_them(arguments, message):
    with pytest.raises(ValueError, match=message):
        lr_range_test(small_model(0), SGD(0.1), DATA.x_train, DATA.y_train, **arguments)


def test_losses_of_the_wrong_shape_are_rejected():
    with pytest.raises(ValueError, match="losses must have shape"):
        RangeTest.from_losses([0.1, 0.2, 0.3], [1.0, 2.0])
