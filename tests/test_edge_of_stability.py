"""Part II's experiment: full-batch descent from one initialisation, summarised at the edge."""

from __future__ import annotations

import numpy as np
import pytest

from lrsim.edge_of_stability import RATES, at_the_edge, train
from lrsim.sharpness import SharpnessHistory


def history(sharpness, loss, rates, every=2):
    sharpness = np.asarray(sharpness, dtype=float)
    return SharpnessHistory(
        learning_rate=np.asarray(rates, dtype=float),
        loss=np.asarray(loss, dtype=float),
        sharpness_step=np.arange(sharpness.shape[1]) * every,
        sharpness=sharpness,
        overflow_step=np.full(len(rates), np.inf),
    )


def test_the_edge_is_read_from_the_first_measurement_at_2_over_eta_on():
    # η = 1 (edge 2) reaches it at step 4; η = 0.5 (edge 4) at step 2.
    measured = history(
        [[1.0, 1.5, 2.2, 1.8, 2.0], [2.0, 4.0, 4.4, 3.6, 4.0]],
        [
            [5.0, 4.0, 3.0, 2.0, 2.5, 1.0, 1.5, 1.0, 0.9],
            [5.0, 4.0, 4.5, 3.0, 2.0, 2.2, 1.0, 0.8, 0.7],
        ],
        [1.0, 0.5],
    )
    edge = at_the_edge(measured)
    assert edge.first_reach == (4, 2)
    assert all(isinstance(step, int) for step in edge.first_reach)  # glued as the page prints
    assert edge.median_ratio == pytest.approx((1.0, 1.0))
    assert edge.low == pytest.approx(
        (np.quantile([1.1, 0.9, 1.0], 0.1), np.quantile([1.0, 1.1, 0.9, 1.0], 0.1))
    )
    # Loss from step 4 on: 2.5, 1.0, 1.5, 1.0, 0.9 rises once in 4; from step 2: once in 6.
    assert edge.rising_loss == pytest.approx((0.25, 1 / 6))


def test_a_run_that_never_reaches_its_edge_is_an_error_unless_allowed():
    measured = history([[1.0, 1.5]], [[3.0, 2.0, 1.0]], [0.5])
    with pytest.raises(ValueError, match="never reaches 2/η = 4"):
        at_the_edge(measured)
    edge = at_the_edge(measured, require=False)
    assert edge.first_reach == (-1,)
    assert np.isnan(edge.median_ratio[0])


def test_train_runs_one_initialisation_at_each_rate():
    model, measured = train(steps=4, sharpness_every=2)
    assert model.ensemble_size == len(RATES)
    assert measured.loss.shape == (3, 5)
    assert np.all(measured.loss[:, 0] == measured.loss[0, 0])  # the same start
    assert len(set(measured.loss[:, -1])) == 3  # different rates, different runs
    np.testing.assert_array_equal(measured.threshold, [8.0, 4.0, 2.0])


@pytest.mark.parametrize(
    ("arguments", "error", "name"),
    [({"rates": [0.5, -1.0]}, ValueError, "rates"), ({"steps": 0}, ValueError, "steps")],
)
def test_train_refuses_bad_input_naming_it(arguments, error, name):
    with pytest.raises(error, match=name):
        train(**arguments)
