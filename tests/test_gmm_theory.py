"""The GMM paper's closed forms against slow references (agreement.pfl.gmm, gmm_estimator, gmm_attacks)."""
import itertools
import math
from statistics import NormalDist

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agreement.pfl import gmm
from agreement.pfl.gmm_attacks import _cos2_prior, _sample_psi, psi_is_density
from agreement.pfl.gmm_estimator import _merge_intervals, combine_estimates, combine_estimates_slow, m_h_of


def simpson(fn, a, b, n=20000):
    x = np.linspace(a, b, 2 * n + 1)
    y = fn(x)
    return (b - a) / (6 * n) * (y[0] + y[-1] + 4 * y[1:-1:2].sum() + 2 * y[2:-1:2].sum())


def gap_slow(x, D):
    """rho - f(x) = 2 phi(Delta) int_0^x e^{-t^2/2} sinh(t Delta) dt (another form of the integrand)."""
    return 2 * gmm.phi(D) * simpson(lambda t: np.exp(-t * t / 2) * np.sinh(t * D), 0.0, x)


@pytest.mark.parametrize("D", [2.0, 3.0, 4.0])
@pytest.mark.parametrize("x", [1e-3, 0.05, 0.7, 1.9, 4.5, 9.0])
def test_gap_matches_slow_integral(D, x):
    assert gmm.gap(x, D) == pytest.approx(gap_slow(x, D), rel=1e-9)


@pytest.mark.parametrize("D", [2.0, 3.0])
def test_gap_is_quadratic_near_zero_not_cubic(D):
    for x in (1e-4, 1e-6, 1e-8):
        assert gmm.gap(x, D) / (D * gmm.phi(D) * x * x) == pytest.approx(1.0, rel=1e-6)


def test_gap_agrees_with_direct_difference_where_no_cancellation():
    for D in (2.0, 3.0):
        for x in (1.0, 2.5, 6.0, 20.0):
            direct = gmm.rho_delta(D) - gmm.f_mass(x, D)
            assert gmm.gap(x, D) == pytest.approx(direct, rel=1e-12)


@settings(max_examples=60, deadline=None)
@given(st.floats(-13, -0.05), st.sampled_from([2.0, 3.0, 4.0]))
def test_l_inverts_gap(log10_eps, D):
    eps = 10 ** log10_eps * gmm.rho_delta(D)
    assert gmm.gap(gmm.l_of(eps, D), D) == pytest.approx(eps, rel=1e-11)


@settings(max_examples=60, deadline=None)
@given(st.floats(-15, math.log10(0.49)))
def test_half_inv(log10_u):
    u = 10 ** log10_u
    x = gmm.half_inv(u)
    assert 0.5 * math.erf(x / math.sqrt(2)) == pytest.approx(u, rel=1e-12)
    if u > 1e-6:
        assert x == pytest.approx(NormalDist().inv_cdf(0.5 + u), rel=1e-8)


def test_g_matches_printed_formula_where_no_cancellation():
    D = 3.0
    for eps in (0.05, 0.3, 0.8):
        l = gmm.l_of(eps, D)
        printed = NormalDist().inv_cdf(0.5 * (1 + eps + gmm.Phi(l + D) - gmm.Phi(D)))
        assert gmm.g_of(eps, D) == pytest.approx(printed, rel=1e-10)


def test_C0_values_and_definition():
    assert gmm.C0(2.0) == pytest.approx(1.0477, abs=1e-4)
    assert gmm.C0(3.0) == pytest.approx(1.00271, abs=1e-5)
    for D in (2.0, 3.0, 4.0):
        direct = 1.0 / (gmm.Phi(D) - gmm.Phi(-D) - (gmm.Phi(4 * D) - gmm.Phi(2 * D)))
        assert gmm.C0(D) == pytest.approx(direct, rel=1e-12)
        # the printed 1 / f^-1(rho - 3 Delta) is undefined: rho - 3 Delta is below every value of f
        assert gmm.rho_delta(D) - 3 * D < 0


@pytest.mark.parametrize("D", [2.0, 3.0, 4.0])
def test_tail_term_against_integral(D):
    a = 1.5 * D
    slow = 2 * simpson(lambda x: (x + a) ** 2 * np.exp(-x * x / 2) / math.sqrt(2 * math.pi), a, a + 40)
    assert gmm.tail_term(D) == pytest.approx(slow, rel=1e-9)


def test_eps_cr_is_the_inflection_and_refutes_the_printed_values():
    for D, expect, printed in ((2.0, 3.98e-3, 8.1e-6), (3.0, 2.2e-4, 1.2e-9), (4.0, 5.0e-6, 1.4e-14)):
        e = gmm.eps_cr(D)
        assert e == pytest.approx(expect, rel=0.02)
        fn = lambda x: gmm.B(x, D)  # noqa: E731
        assert gmm._second_diff(fn, 0.7 * e) < 0 < gmm._second_diff(fn, 1.4 * e)
        assert gmm._second_diff(fn, printed) < 0  # the paper's eps_cr lies where B is still concave


def test_lower_bound_integer_against_brute_force_allocations():
    """max over allocations of (1/k) sum h(eps_i), sum eps_i = c, on a simplex grid that contains
    every equal split: equals the integer formula (the paper's Lagrange argument)."""
    k, steps = 3, 60
    for c in (0.5, 1.0, 2.5, 4.0, 7.0):
        best = 0.0
        for i, j in itertools.product(range(steps + 1), repeat=2):
            if i + j <= steps:
                e = (c * i / steps, c * j / steps, c * (steps - i - j) / steps)
                best = max(best, sum(gmm.h_lb(x) for x in e) / k)
        assert gmm.lower_bound(c, k)[0] == pytest.approx(best, rel=1e-12)


@settings(max_examples=80, deadline=None)
@given(st.floats(0.05, 20.0), st.integers(1, 12))
def test_printed_lower_bound_is_the_relaxation(c, k):
    lb, kp = gmm.lower_bound(c, k)
    if c / k < math.sqrt(2 * math.pi):
        assert gmm.lower_bound_printed(c, k) >= lb - 1e-15
    assert 1 <= kp <= k


def test_printed_lower_bound_reached_only_at_integer_k_prime():
    k = 10
    for j in (1, 2, 3):
        c = math.sqrt(2 * math.pi) * j
        assert gmm.lower_bound(c, k)[0] == pytest.approx(gmm.lower_bound_printed(c, k), rel=1e-12)
    assert gmm.lower_bound(3.0, k)[0] < gmm.lower_bound_printed(3.0, k) - 5e-4  # 0.0589 < 0.0598
    assert gmm.lower_bound(1.0, k)[0] < 0.7 * gmm.lower_bound_printed(1.0, k)  # 0.0137 < 0.0199


def test_plateau_of_length_sqrt_2pi_eps_has_mass_eps():
    for eps in (0.1, 0.5, 2.0):
        L = math.sqrt(2 * math.pi) * eps
        added = L / math.sqrt(2 * math.pi)  # f_eps - phi integrates to the plateau's extra mass
        assert added == pytest.approx(eps)
        # and psi >= 0 exactly for mu' in [mu - L, mu]
        grid = np.linspace(-12, 12 + L, 4001)
        assert psi_is_density(0.0, -L, eps, grid) >= -1e-15
        assert psi_is_density(0.0, 0.0, eps, grid) >= -1e-15
        assert psi_is_density(0.0, 0.2, eps, grid) < 0
        assert psi_is_density(0.0, -L - 0.2, eps, grid) < 0


def test_psi_sampler_has_the_plateau_mass():
    rng = np.random.default_rng(3)
    eps, mu, mu_p = 0.8, 0.0, -1.0
    s = _sample_psi(mu, mu_p, eps, 200000, rng)
    L = math.sqrt(2 * math.pi) * eps
    # psi's c.d.f. at a point x: (F_eps(x - mu') - Phi(x - mu)) / eps, F_eps the plateau c.d.f.
    for x in (-1.5, -0.5, 0.5, 1.2):
        y = x - mu_p
        F = gmm.Phi(min(y, 0)) + max(0.0, min(y, L)) / math.sqrt(2 * math.pi) + (gmm.Phi(y - L) - 0.5 if y > L else 0)
        assert np.mean(s <= x) == pytest.approx((F - gmm.Phi(x - mu)) / eps, abs=0.005)


def test_cos2_prior_mean_and_second_moment():
    rng = np.random.default_rng(0)
    t = np.array([_cos2_prior(rng) for _ in range(20000)])
    assert t.mean() == pytest.approx(0.5, abs=0.01)
    assert t.var() == pytest.approx(1 / 12 - 1 / (2 * math.pi ** 2), abs=0.005)


def test_finite_delta_bound_majorises_random_allocations():
    """Jensen: (1/k) sum E(eps_i) <= majorant(c/k) for every allocation with sum eps_i = c."""
    D, delta, k = 3.0, 0.05, 10
    e_destroy = gmm.gap(3 * D, D) - delta
    E = lambda e: 1.0 if e >= e_destroy else gmm.B_delta(e, D, delta)  # noqa: E731
    rng = np.random.default_rng(1)
    for c in (0.3, 1.0, 3.0):
        ub = gmm.upper_bound_finite(c / k, D, delta) - gmm.tail_term(D)
        for _ in range(12):
            w = rng.dirichlet(np.full(k, rng.choice([0.1, 1.0, 10.0])))
            assert np.mean([E(float(x)) for x in c * w]) <= ub + 1e-12
        assert ub >= E(c / k) - 1e-12


def test_B_delta_at_zero_delta_is_B():
    for eps in (1e-5, 1e-3, 0.1, 0.5):
        assert gmm.B_delta(eps, 3.0, 0.0) == pytest.approx(gmm.B(eps, 3.0), rel=1e-12)


def test_m_h():
    assert m_h_of(10, 0.05) == pytest.approx(800 * math.log(200))
    assert 4200 < m_h_of(10, 0.05) < 4300


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(-50, 50), min_size=1, max_size=12), st.floats(0.1, 5.0))
def test_merge_intervals_is_the_union(points, half):
    pts = np.sort(np.array(points))
    merged = _merge_intervals(pts, half)
    probe = np.linspace(-60, 60, 2001)
    inside = np.array([any(abs(p - x) < half for p in pts) for x in probe])
    inside2 = np.array([any(a < x < b for a, b in merged) for x in probe])
    assert (inside == inside2).all()


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(-4000, 4000).map(lambda i: i / 100), st.floats(-0.2, 1.2)), min_size=0,
                max_size=6, unique_by=lambda c: c[0]),
       st.lists(st.floats(-50, 50), min_size=1, max_size=30))
def test_combine_estimates_matches_slow(clusters, xs):
    """Distinct estimates (Algorithm 1's are medians of disjoint point sets); ties in distance go to the
    smaller estimate in both versions."""
    mu = np.array([c[0] for c in clusters])
    eps = np.array([c[1] for c in clusters])
    fast = combine_estimates(mu, eps, np.array(xs), 3.0)
    slow = combine_estimates_slow(mu, eps, np.array(xs), 3.0)
    assert np.allclose(fast, slow, rtol=0, atol=1e-12)
