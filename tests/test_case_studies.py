"""Part III's experiment: the grids train what they say, and the summaries and verdicts read
constructed histories as the page's prose reads them."""

from __future__ import annotations

import numpy as np
import pytest

from lrsim.case_studies import (
    AT_CHANCE,
    EPOCHS,
    TARGET_ACCURACY,
    Summary,
    backend_gaps,
    best_rate,
    claims,
    failure_edge,
    mean_change,
    models,
    plateau_callback,
    train_grid,
)
from lrsim.optimizers import SGD, Adam


def summary(val_loss, *, val_accuracy=None, loss=None, learning_rate=None, diverged=None, rate=0.1):
    """A Summary of constructed (epochs, seeds) curves; nothing dead or saturated."""
    val_loss = np.asarray(val_loss, dtype=float)
    shape = val_loss.shape
    curves = {
        "loss": np.asarray(val_loss if loss is None else loss, dtype=float),
        "val_loss": val_loss,
        "val_accuracy": np.asarray(
            np.full(shape, 0.9) if val_accuracy is None else val_accuracy, dtype=float
        ),
        "learning_rate": np.asarray(
            np.full(shape, rate) if learning_rate is None else learning_rate, dtype=float
        ),
    }
    return Summary(
        rate=rate,
        curves=curves,
        diverged=np.zeros(shape[1], bool) if diverged is None else np.asarray(diverged),
        dead_per_epoch=np.zeros(shape),
        dead_layer_per_epoch=np.zeros(shape, bool),
        saturated_per_epoch=np.zeros(shape),
    )


def falling(seeds=4, epochs=EPOCHS, start=1.0, end=0.1):
    """A val_loss that falls smoothly from start to end, the same for every seed."""
    return np.tile(np.geomspace(start, end, epochs)[:, None], (1, seeds))


def accuracy_reaching(epoch, seeds=4, epochs=EPOCHS):
    """A val_accuracy at 0.5 until ``epoch`` (1-based), then at 0.9."""
    values = np.full((epochs, seeds), 0.5)
    values[epoch - 1 :] = 0.9
    return values


# The grid: one ensemble over learning rates × seeds.


@pytest.fixture(scope="module")
def grid():
    return train_grid(Adam, [1e-3, 1e-1], seeds=[3, 5], epochs=2)


def test_a_grid_has_one_member_per_rate_and_seed_in_rate_major_order(grid):
    assert grid.history.ensemble_size == 4
    assert grid.seeds == (3, 5)
    assert grid.rates.tolist() == [1e-3, 1e-1]
    assert grid.members(1e-1) == slice(2, 4)
    assert grid.model.dtype == "float32"
    # The same seed is the same untrained network at every rate: the comparison is controlled.
    assert grid.untrained_val_loss[0] == grid.untrained_val_loss[2]
    assert grid.untrained_val_loss[0] != grid.untrained_val_loss[1]


def test_a_grid_summary_holds_its_rates_members_epoch_by_epoch(grid):
    fast = grid.summary(1e-1)
    assert fast.curves["val_loss"].shape == (2, 2)
    assert fast.curves["val_loss"].dtype == np.float64
    np.testing.assert_array_equal(
        fast.curves["val_loss"], np.asarray(grid.history.history["val_loss"])[:, 2:]
    )
    # Without a callback the rate is constant, and the summary says which it was.
    assert np.all(fast.curves["learning_rate"] == 1e-1)
    assert fast.dead_per_epoch.shape == (2, 2)
    assert [s.rate for s in grid.summaries()] == [1e-3, 1e-1]


def test_a_grid_trains_each_member_at_its_own_rate():
    grid = train_grid(SGD, [1e-5, 1.0], seeds=[0], epochs=2)
    slow, fast = grid.summaries()
    assert abs(slow.final_val_loss[0] - grid.untrained_val_loss[0]) < 1e-3
    assert abs(fast.final_val_loss[0] - grid.untrained_val_loss[1]) > 1e-2


def test_a_run_that_ends_worse_than_it_started_counts_as_diverged():
    """No NaN, no inf: Adam at 1 leaves the network worse than untrained, as a log shows it."""
    grid = train_grid(Adam, [1e-3, 1.0], seeds=[0], epochs=2)
    steady, wild = grid.summaries()
    assert grid.history.divergence == [None, None]
    assert wild.final_val_loss[0] > grid.untrained_val_loss[1]
    assert wild.diverged.tolist() == [True]
    assert steady.diverged.tolist() == [False]


def test_the_plateau_callback_is_the_posts():
    callback = plateau_callback()
    assert (callback.monitor, callback.factor, callback.patience) == ("val_loss", 0.1, 5)


def test_models_are_seeded_ensembles_in_keras_precision():
    model = models([0, 0, 1])
    kernels = model.get_weights()[0]
    assert model.dtype == "float32"
    np.testing.assert_array_equal(kernels[0], kernels[1])
    assert not np.array_equal(kernels[0], kernels[2])


@pytest.mark.parametrize(
    ("arguments", "error", "names"),
    [
        ({"rates": [1e-3, -1.0]}, ValueError, "rates"),
        ({"rates": "fast"}, TypeError, "rates"),
        ({"rates": [1e-3], "epochs": 0}, ValueError, "epochs"),
        ({"rates": [1e-3], "seeds": [-1]}, ValueError, "seeds"),
    ],
)
def test_train_grid_refuses_bad_input_naming_it(arguments, error, names):
    with pytest.raises(error, match=names):
        train_grid(Adam, **arguments)


def test_a_rate_outside_the_grid_is_refused_naming_the_rates(grid):
    with pytest.raises(ValueError, match=r"rate must be one of .*0\.001"):
        grid.members(0.5)


# Summaries of constructed histories.


def test_at_chance_counts_a_nan_accuracy_as_a_failure():
    accuracy = np.full((3, 3), 0.9)
    accuracy[-1] = [AT_CHANCE, np.nan, AT_CHANCE + 0.01]
    case = summary(falling(3, 3), val_accuracy=accuracy)
    assert case.at_chance.tolist() == [True, True, False]


def test_spikes_count_epochs_whose_loss_jumps_by_half_again():
    loss = np.array([[1.0, 1.0], [1.6, 1.4], [1.0, 1.0], [2.0, 1.5]])
    assert summary(falling(2, 4), loss=loss).spikes.tolist() == [2, 0]


def test_oscillation_reads_the_last_50_epochs_only():
    val_loss = falling(1)
    val_loss[:40] += np.resize([0.0, 1.0], 40)[:, None]  # wild early, smooth late
    smooth = summary(falling(1)).oscillation
    assert summary(val_loss).oscillation == pytest.approx(smooth)
    val_loss[-10:] += np.resize([0.0, 0.2], 10)[:, None]
    assert summary(val_loss).oscillation > 5 * smooth


def test_rise_is_the_final_loss_over_the_best():
    val_loss = np.array([[1.0], [0.2], [0.5]])
    assert summary(val_loss).rise.tolist() == [2.5]


def test_epochs_to_target_and_reached_count_only_seeds_that_got_there():
    accuracy = np.column_stack([accuracy_reaching(10, 1)[:, 0], np.full(EPOCHS, 0.5)])
    case = summary(falling(2), val_accuracy=accuracy)
    assert case.epochs_to_target.tolist() == [10, -1]
    assert case.reached == 1
    assert case.median_epochs_to_target == 10
    assert case.measures()["epochs_to_target"] == 10.0
    never = summary(falling(2), val_accuracy=np.full((EPOCHS, 2), TARGET_ACCURACY - 0.01))
    assert never.measures()["epochs_to_target"] == -1.0


def test_cuts_and_still_improving_follow_the_callbacks_rule():
    rates = np.full((EPOCHS, 2), 1e-3)
    rates[50:, 1] = 1e-4  # cut at the end of epoch 50 (0-based 49)
    val_loss = falling(2)
    val_loss[-10:, 1] = val_loss[-11, 1]  # flat for the last ten epochs
    case = summary(val_loss, learning_rate=rates)
    assert [cuts.tolist() for cuts in case.cuts] == [[], [49]]
    assert case.cut_seeds == 1
    assert case.still_improving() == 1
    with pytest.raises(ValueError, match="window"):
        case.still_improving(window=0)


def test_measures_are_typed_as_the_page_glues_them():
    measures = summary(falling(), val_accuracy=accuracy_reaching(20)).measures()
    counts = {"reached", "diverged", "at_chance", "spikes", "cut_seeds"}
    assert {name for name, value in measures.items() if isinstance(value, int)} == counts
    assert measures["reached"] == 4
    assert measures["final_val_loss"] == pytest.approx(0.1)


def test_mean_change_is_per_column_for_a_2d_array():
    assert mean_change([[0.0, 1.0], [1.0, 1.0], [0.0, 3.0]]).tolist() == [1.0, 1.0]


# The verdicts, as data, on constructed histories.


def configurations(*, high_diverged=0, high_wild=False, default_cut=False):
    """Adam(1e-4), Adam(1e-3) + the callback and Adam(1e-1), four seeds each."""
    slow = summary(falling(end=0.5), val_accuracy=np.full((EPOCHS, 4), 0.5), rate=1e-4)
    rates = np.full((EPOCHS, 4), 1e-3)
    if default_cut:
        rates[60:] = 1e-4
    default = summary(falling(), val_accuracy=accuracy_reaching(30), learning_rate=rates, rate=1e-3)
    val_loss = falling(end=0.05)
    if high_wild:
        val_loss = val_loss * (1 + np.resize([0.0, 3.0], EPOCHS))[:, None]
    high = summary(
        val_loss,
        val_accuracy=accuracy_reaching(5),
        diverged=np.arange(4) < high_diverged,
        rate=1e-1,
    )
    return slow, default, high


def verdicts(rows):
    return {row.claim: (row.holds, row.verdict) for row in rows}


def test_claims_hold_or_not_as_the_measurements_say():
    rows = claims(*configurations())
    assert len(rows) == 7
    found = verdicts(rows)
    assert all(row.measured.count("/4") >= 1 for row in rows[:2])  # four seeds, counted
    assert found["slow: needs many more epochs"] == (True, "holds")
    assert found["reliable: stable training"] == (True, "holds (slowly)")
    assert found["a reasonable starting point"] == (
        True,
        "holds: safe, though `1e-1` did better here",
    )
    assert found["the callback cuts the LR on a plateau for stable fine-tuning"] == (
        False,
        f"never triggered: no plateau within {EPOCHS} epochs",
    )
    assert found["highly likely to diverge"] == (False, "does not hold")
    assert found["significant oscillations prevent convergence"] == (
        False,
        "half: it oscillates, but converges first and fastest",
    )
    assert found["validation loss increases dramatically"] == (
        False,
        "mild: it drifts up from its best",
    )


def test_claims_turn_when_the_measurements_turn():
    found = verdicts(claims(*configurations(high_diverged=3, high_wild=True, default_cut=True)))
    assert found["highly likely to diverge"] == (True, "holds")
    assert found["the callback cuts the LR on a plateau for stable fine-tuning"] == (True, "holds")
    assert found["validation loss increases dramatically"] == (True, "holds")


def test_claims_quote_the_measurements():
    row = claims(*configurations(high_diverged=1))[4]
    assert row.configuration == "`Adam(1e-1)`"
    assert row.measured.startswith("1/4 diverged; 0/4 end at chance")


# The sweep's readings.


def sweep(failed_pattern):
    """One summary per rate, 1e-3, 1e-2, ...: a True entry's seeds all diverged."""
    return [
        summary(falling(2, end=0.1 * (index + 1)), diverged=[failed, failed], rate=10.0**index)
        for index, failed in enumerate(failed_pattern)
    ]


def test_failure_edge_is_where_failure_starts_for_good():
    assert failure_edge(sweep([False, True, False, True, True])) == 1e3
    assert np.isnan(failure_edge(sweep([False, False])))
    assert np.isnan(failure_edge(sweep([True, True])))


def test_best_rate_has_the_lowest_median_final_loss():
    assert best_rate(sweep([False, False, False])) == 1.0


def test_backend_gaps_compare_rate_by_rate():
    first = sweep([False, False])
    second = [summary(s.curves["val_loss"] * [[1.0, 2.0]], rate=s.rate) for s in first]
    relative, largest = backend_gaps(first, second)
    np.testing.assert_allclose(relative, [1 / 3, 1 / 3])
    np.testing.assert_allclose(largest, [0.1, 0.2])
    with pytest.raises(ValueError, match="first and second"):
        backend_gaps(first, second[:1])
