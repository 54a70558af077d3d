"""Gradient descent on ½wᵀAw, least squares and x⁴/4: closed forms, thresholds, bad input."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lrsim import quartic
from lrsim.quadratic import (
    closed_form,
    condition_number,
    contraction_factors,
    convergence_rate,
    critical_learning_rate,
    eigenvalues,
    first_nonfinite_step,
    iterate,
    least_squares,
    loss,
    optimal_learning_rate,
    optimal_momentum,
    optimal_rate,
)

D2L = np.diag([0.2, 4.0])  # f = 0.1 x1² + 2 x2², the ill-conditioned example of D2L and our page


@st.composite
def psd_matrices(draw: st.DrawFn) -> np.ndarray:
    """A rotated diagonal matrix with eigenvalues in [0.05, 20]: any symmetric PD 2x2 or 3x3."""
    size = draw(st.integers(2, 3))
    values = draw(st.lists(st.floats(0.05, 20), min_size=size, max_size=size))
    seed = draw(st.integers(0, 2**32 - 1))
    rotation, _ = np.linalg.qr(np.random.default_rng(seed).standard_normal((size, size)))
    matrix = rotation @ np.diag(values) @ rotation.T
    return 0.5 * (matrix + matrix.T)


@settings(max_examples=40, deadline=None)
@given(matrix=psd_matrices(), scaled_eta=st.floats(0.01, 1.3), k=st.integers(0, 40))
def test_closed_form_per_eigendirection_equals_iteration(matrix, scaled_eta, k):
    eta = scaled_eta * critical_learning_rate(matrix)
    start = np.ones(matrix.shape[0])
    iterated = iterate(matrix, eta, start, steps=k)[-1]
    exact = closed_form(matrix, eta, start, k=k)
    growth = max(1.0, float(convergence_rate(matrix, eta))) ** k
    np.testing.assert_allclose(iterated, exact, rtol=0, atol=1e-12 * (k + 1) * growth * 10)


@settings(max_examples=30, deadline=None)
@given(matrix=psd_matrices(), scaled_eta=st.floats(0.05, 1.5))
def test_each_eigencoordinate_is_multiplied_by_one_minus_eta_lambda(matrix, scaled_eta):
    eta = scaled_eta * critical_learning_rate(matrix)
    _, vectors = np.linalg.eigh(matrix)
    path = iterate(matrix, eta, vectors.sum(axis=1), steps=3)
    coordinates = path @ vectors  # column i: the coordinate along eigenvector i
    factors = contraction_factors(matrix, eta)
    np.testing.assert_allclose(coordinates[1:], coordinates[:-1] * factors, rtol=0, atol=1e-12)


@settings(max_examples=30, deadline=None)
@given(matrix=psd_matrices())
def test_threshold_two_over_lambda_max_separates_convergence_from_divergence(matrix):
    edge = critical_learning_rate(matrix)
    start = np.linalg.eigh(matrix)[1][:, -1]  # the sharpest direction
    paths = iterate(matrix, [0.98 * edge, 1.02 * edge], start, steps=2000)
    distances = np.linalg.norm(paths[:, -1], axis=-1)
    assert distances[0] < np.linalg.norm(start) * 1e-6
    assert distances[1] > np.linalg.norm(start) * 1e6


@settings(max_examples=30, deadline=None)
@given(matrix=psd_matrices())
def test_optimal_learning_rate_minimises_the_rate_and_gives_kappa_formula(matrix):
    best = optimal_learning_rate(matrix)
    grid = np.linspace(0.0, critical_learning_rate(matrix), 2001)
    assert convergence_rate(matrix, best) <= convergence_rate(matrix, grid).min() + 1e-12
    kappa = condition_number(matrix)
    assert convergence_rate(matrix, best) == pytest.approx((kappa - 1) / (kappa + 1), rel=1e-9)
    assert optimal_rate(matrix) == pytest.approx((kappa - 1) / (kappa + 1), rel=1e-12)
    assert 1 / eigenvalues(matrix)[-1] <= best < critical_learning_rate(matrix)


def heavy_ball_rate(matrix: np.ndarray, eta: float, beta: float) -> float:
    """The worst growth per step of SGD(momentum=beta) on ½wᵀAw, over its eigendirections."""
    from lrsim.adam_dynamics import spectral_radius

    return float(np.max(spectral_radius(eta * eigenvalues(matrix), beta, "heavy_ball")))


@settings(max_examples=20, deadline=None)
@given(kappa=st.floats(1.5, 1e3), largest=st.floats(0.1, 100.0))
def test_optimal_momentum_beats_every_nearby_pair_and_gradient_descent(kappa, largest):
    matrix = np.diag([largest / kappa, largest])
    eta, beta = optimal_momentum(matrix)
    best = heavy_ball_rate(matrix, eta, beta)
    root = np.sqrt(kappa)
    assert best == pytest.approx((root - 1) / (root + 1), rel=1e-6)  # eigvals at a double root
    assert best < optimal_rate(matrix)
    for eta_factor in (0.97, 1.0, 1.03):
        for beta_shift in (-0.02, 0.0, 0.02):
            if (eta_factor, beta_shift) != (1.0, 0.0) and beta + beta_shift >= 0:
                assert heavy_ball_rate(matrix, eta * eta_factor, beta + beta_shift) > best


def test_d2l_example_has_the_factors_and_optimum_of_the_page():
    assert critical_learning_rate(D2L) == 0.5
    assert optimal_learning_rate(D2L) == pytest.approx(2 / 4.2)
    assert optimal_rate(D2L) == pytest.approx(19 / 21)
    np.testing.assert_allclose(contraction_factors(D2L, [0.4, 0.6]), [[0.92, -0.6], [0.88, -1.4]])
    assert convergence_rate(D2L, 0.5) == 1.0  # the x2 axis flips for ever at the edge


def test_loss_of_iterates_is_half_w_a_w():
    path = iterate(D2L, 0.4, [1.0, 1.0], steps=2)
    assert loss(D2L, path[0]) == pytest.approx(0.5 * (0.2 + 4.0))
    assert loss(D2L, path).shape == (3,)


def test_divergent_quadratic_overflows_silently_and_reports_the_step():
    path = iterate(D2L, 0.6, [1.0, 1.0], steps=3000)
    step = first_nonfinite_step(loss(D2L, path))
    assert 1000 < step < 3000  # 1.4^k overflows float64 near k ≈ 1055 (loss), 2110 (w)
    assert np.isnan(path[-1, 1])


def test_summed_loss_moves_the_threshold_by_the_number_of_samples():
    small_sum = least_squares(100, seed=0, reduction="sum")
    large_sum = least_squares(10_000, seed=0, reduction="sum")
    small_mean = least_squares(100, seed=0)
    large_mean = least_squares(10_000, seed=0)
    np.testing.assert_allclose(small_sum.hessian, 100 * small_mean.hessian)
    eta = 0.005
    assert (
        critical_learning_rate(large_sum.hessian) < eta < critical_learning_rate(small_sum.hessian)
    )
    assert np.isfinite(small_sum.gradient_descent(eta, 200)[-1])
    assert np.isfinite(first_nonfinite_step(large_sum.gradient_descent(eta, 200)))
    for problem in (small_mean, large_mean):
        assert critical_learning_rate(problem.hessian) > 0.5  # near 2/(2·E[x²]) = 1
        losses = problem.gradient_descent(eta, 200)
        assert np.all(np.diff(losses) < 0)


def test_a_larger_least_squares_draw_extends_the_smaller_one_targets_included():
    small, large = least_squares(100, seed=0), least_squares(10_000, seed=0)
    np.testing.assert_array_equal(large.x[:100], small.x)
    np.testing.assert_array_equal(large.y[:100], small.y)


def test_least_squares_loss_is_the_quadratic_with_its_hessian():
    problem = least_squares(50, n_features=3, seed=2)
    minimiser = np.linalg.lstsq(problem.x, problem.y, rcond=None)[0]
    offset = np.array([0.3, -0.2, 0.5])
    quadratic_part = 0.5 * offset @ problem.hessian @ offset
    assert problem.loss(minimiser + offset) == pytest.approx(
        problem.loss(minimiser) + quadratic_part
    )


def test_gradient_descent_vectorises_over_learning_rates():
    problem = least_squares(100, seed=0)
    together = problem.gradient_descent([0.1, 0.5], 20)
    apart = [problem.gradient_descent(eta, 20) for eta in (0.1, 0.5)]
    np.testing.assert_allclose(together, np.stack(apart), rtol=1e-14)


@settings(max_examples=60, deadline=None)
@given(eta=st.floats(0.01, 10), fraction=st.floats(0.05, 0.995))
def test_quartic_inside_the_basin_shrinks_at_every_step(eta, fraction):
    radius = quartic.basin_radius(eta)
    path = np.abs(quartic.iterate(eta, fraction * radius, steps=50))
    assert np.all(np.diff(path) < 0)


@settings(max_examples=60, deadline=None)
@given(eta=st.floats(0.01, 10), factor=st.floats(1.005, 3))
def test_quartic_outside_the_basin_grows_until_it_overflows(eta, factor):
    path = quartic.iterate(eta, -factor * quartic.basin_radius(eta), steps=200)
    step = first_nonfinite_step(path)
    assert np.isfinite(step)
    assert np.all(np.diff(np.abs(path[: int(step)])) > 0)


def test_quartic_on_the_basin_edge_flips_for_ever():
    path = quartic.iterate(0.5, 2.0, steps=6)
    np.testing.assert_array_equal(path, [2.0, -2.0, 2.0, -2.0, 2.0, -2.0, 2.0])


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: critical_learning_rate([[1.0, 2.0]]), ValueError, "hessian must be a square"),
        (lambda: critical_learning_rate([[1.0, 0.5], [0.0, 1.0]]), ValueError, "symmetric"),
        (lambda: critical_learning_rate(np.diag([1.0, -1.0])), ValueError, "semi-definite"),
        (lambda: critical_learning_rate(np.zeros((2, 2))), ValueError, "positive eigenvalue"),
        (lambda: critical_learning_rate("A"), TypeError, "hessian must be a real"),
        (
            lambda: iterate(D2L, 0.1, [1.0, 1.0, 1.0], 3),
            ValueError,
            r"w0 must have shape \(\.\.\., 2\)",
        ),
        (lambda: iterate(D2L, np.nan, [1.0, 1.0], 3), ValueError, "eta must be finite"),
        (lambda: iterate(D2L, 0.1, [1.0, 1.0], -1), ValueError, "steps must be a non-negative"),
        (lambda: least_squares(0), ValueError, "n_samples must be an integer >= 1"),
        (lambda: least_squares(10, noise=-1.0), ValueError, "noise must be"),
        (lambda: least_squares(10, reduction="mean"), ValueError, "reduction must be one of"),
        (lambda: quartic.basin_radius(0.0), ValueError, "eta must be > 0"),
        (lambda: quartic.iterate(0.1, [1.0], 2.5), TypeError, "steps must be a non-negative"),
    ],
)
def test_bad_input_names_the_argument(call, error, message):
    with pytest.raises(error, match=message):
        call()


@pytest.mark.parametrize("reduction", ["sum", "sum_over_batch_size"])
def test_least_squares_gradient_is_the_derivative_of_its_loss(reduction):
    problem = least_squares(50, n_features=3, seed=2, reduction=reduction)
    points = np.random.default_rng(0).normal(size=(4, 3))
    step = 1e-6
    numeric = np.stack(
        [
            (problem.loss(points + step * e) - problem.loss(points - step * e)) / (2 * step)
            for e in np.eye(3)
        ],
        axis=-1,
    )
    np.testing.assert_allclose(problem.gradient(points), numeric, rtol=1e-6)
