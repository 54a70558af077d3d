"""The seed article's hand-worked numbers, pinned: what it got right, and its erratum."""

from __future__ import annotations

import numpy as np

from lrsim.parabola import classify, contraction_factor, iterate, loss

# Printed in the article for three steps from x = -1.
PRINTED_FOR_ETA_0_8 = [0.6, -0.36, 0.216]
PRINTED_FOR_ETA_1_2 = [1.2, -1.44, 1.728]


def test_eta_0_8_matches_the_article_and_oscillates_towards_zero():
    np.testing.assert_allclose(iterate(0.8, x0=-1.0, steps=3)[1:], PRINTED_FOR_ETA_0_8)
    assert classify(0.8).converges


def test_eta_1_2_diverges_with_factor_minus_1_4():
    assert contraction_factor(1.2) == -1.4
    np.testing.assert_allclose(iterate(1.2, x0=-1.0, steps=3)[1:], [1.4, -1.96, 2.744])
    assert not classify(1.2).converges


def test_article_values_for_eta_1_2_are_wrong_and_belong_to_eta_1_1():
    assert not np.allclose(iterate(1.2, x0=-1.0, steps=3)[1:], PRINTED_FOR_ETA_1_2)
    np.testing.assert_allclose(iterate(1.1, x0=-1.0, steps=3)[1:], PRINTED_FOR_ETA_1_2)
    assert contraction_factor(1.1) == -1.2000000000000002


def test_eta_1_is_a_period_two_orbit_with_constant_loss():
    path = iterate(1.0, x0=-1.0, steps=20)
    np.testing.assert_array_equal(path, np.tile([-1.0, 1.0], 11)[:21])
    np.testing.assert_array_equal(loss(path), np.ones(21))
