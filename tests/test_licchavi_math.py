"""LICCHAVI's closed forms and exact solvers against slow references (agreement.pfl.licchavi,
piecewise, theorem10)."""
import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agreement.pfl import theorem10 as t10
from agreement.pfl.licchavi import (
    Users,
    _coord_root_exact,
    _coord_terms,
    coord_root_bisect,
    draw_data,
    envelope_grad_l2sq,
    grad_norm_pow,
    lemma17_x,
    norm_q,
    rho_H,
    solve_l1_cw,
    solve_l2sq,
    solve_rho_fixed_smooth,
    stats_from_data,
    theorem7_w,
    theorem8_rho,
)
from agreement.pfl.piecewise import PiecewiseQP, kkt_residual, solve_exact

vec = st.lists(st.floats(-5, 5).filter(lambda v: abs(v) > 1e-3), min_size=2, max_size=5).map(np.array)


def num_grad(fn, x, h=1e-6):
    return np.array([(fn(x + h * e) - fn(x - h * e)) / (2 * h) for e in np.eye(len(x))])


@settings(max_examples=60, deadline=None)
@given(vec, st.sampled_from([1.5, 2.0, 3.0, 7.0]), st.sampled_from([1.5, 2.0, 3.0]), st.floats(0.3, 3.0))
def test_lemma17_smooth_norms(g, q, p, lam):
    x = lemma17_x(g, lam, p, q)
    assert np.allclose(lam * grad_norm_pow(x, p, q), g, rtol=1e-9, atol=1e-9)
    assert np.allclose(num_grad(lambda y: lam * norm_q(y, q) ** p, x), g, rtol=1e-5, atol=1e-5)


@settings(max_examples=40, deadline=None)
@given(vec, st.sampled_from([1.5, 2.0, 3.0]), st.floats(0.3, 3.0))
def test_lemma17_l1_and_linf_subgradients(g, p, lam):
    x = lemma17_x(g, lam, p, 1.0)  # x = alpha e_j*: d/dx_j* = lambda p |alpha|^{p-1} sgn alpha, others in [-., .]
    j = int(np.flatnonzero(x)[0])
    top = lam * p * abs(x[j]) ** (p - 1)
    assert math.isclose(top * np.sign(x[j]), g[j], rel_tol=1e-12)
    assert np.all(np.abs(np.delete(g, j)) <= top * (1 + 1e-12))
    x = lemma17_x(g, lam, p, math.inf)  # x = alpha sgn(g): lambda p alpha^{p-1} = ||g||_1, weights |g_j|/||g||_1
    alpha = float(np.max(np.abs(x)))
    assert math.isclose(lam * p * alpha ** (p - 1), float(np.sum(np.abs(g))), rel_tol=1e-12)
    assert np.all(np.sign(x) == np.sign(g))


def test_lemma17_printed_q_gt_1_case_gives_minus_g():
    """The paper's z_j = -SGN(g_j)(|g_j| / lambda p)^{1/(q-1)} yields the gradient -g (its own eq. 106)."""
    g, lam, p, q = np.array([1.0, -2.0, 0.5]), 1.3, 2.0, 3.0
    z = -np.sign(g) * (np.abs(g) / (lam * p)) ** (1 / (q - 1))
    x = norm_q(z, q) ** ((q - p) / (p - 1)) * z
    assert np.allclose(lam * grad_norm_pow(x, p, q), -g)


def random_users(rng, N=6, d=3, m=12, coordinate=False, fixed=()):
    H, b = [], []
    for _ in range(N):
        Q, A = draw_data(rng.standard_normal(d), m, rng, 0.3, coordinate)
        h_, b_ = stats_from_data(Q, A)
        H.append(h_)
        b.append(b_)
    fx = np.zeros(N, bool)
    fx[list(fixed)] = True
    return Users(np.array(H), np.array(b), rng.uniform(0.5, 2, N), fx, 3 * rng.standard_normal((N, d)),
                 rng.uniform(0.5, 2, (N, d)))


def dense_l2sq(u, lam0, Delta0):
    """The joint (N + 1) d linear system of the quadratic loss (the slow reference)."""
    N, d = u.N, u.d
    free = [n for n in range(N) if not u.fixed[n]]
    size = d * (1 + len(free))
    M, r = np.zeros((size, size)), np.zeros(size)
    M[:d, :d] += 2 * lam0 * np.diag(Delta0 ** 2)
    for n in range(N):
        two = 2 * u.lam[n]
        M[:d, :d] += two * np.eye(d)
        if u.fixed[n]:
            r[:d] += two * u.w[n]
            continue
        i = d * (1 + free.index(n))
        M[i:i + d, i:i + d] += u.H[n] + two * np.eye(d)
        M[:d, i:i + d] -= two * np.eye(d)
        M[i:i + d, :d] -= two * np.eye(d)
        r[i:i + d] += u.b[n]
    return np.linalg.solve(M, r)[:d]


@pytest.mark.parametrize("seed", range(4))
def test_solve_l2sq_matches_dense_system(seed):
    rng = np.random.default_rng(seed)
    u = random_users(rng, fixed=(0, 2))
    D0 = rng.uniform(0.5, 2, 3)
    rho, theta = solve_l2sq(u, 0.3, D0)
    assert np.allclose(rho, dense_l2sq(u, 0.3, D0), atol=1e-10)
    assert np.linalg.norm(envelope_grad_l2sq(u, rho, 0.3, D0)) < 1e-9


@pytest.mark.parametrize("seed", range(4))
def test_theorem7_and_8_exact(seed):
    rng = np.random.default_rng(seed)
    u = random_users(rng)
    s, t, chi = 0, 3, 10 * rng.standard_normal(3)
    others = u.subset(np.arange(u.N) != s)
    w = theorem7_w(chi, envelope_grad_l2sq(others, chi, 0.1, np.ones(3)), u.lam[s])
    assert np.allclose(solve_l2sq(u.with_model(s, w), 0.1, np.ones(3))[0], chi, atol=1e-9)
    rho_t = theorem8_rho(chi, u.H[t] @ chi - u.b[t], u.lam[t])
    w = theorem7_w(rho_t, envelope_grad_l2sq(others, rho_t, 0.1, np.ones(3)), u.lam[s])
    assert np.allclose(solve_l2sq(u.with_model(s, w), 0.1, np.ones(3))[1][t], chi, atol=1e-9)


@pytest.mark.parametrize("q", [1.5, 3.0])
def test_theorem7_other_norms(q):
    rng = np.random.default_rng(5)
    u = random_users(rng)
    s, chi = 0, np.array([4.0, -3.0, 2.0])
    others = u.subset(np.arange(u.N) != s)
    w = theorem7_w(chi, envelope_grad_l2sq(others, chi, 0.1, np.ones(3)), u.lam[s], 2.0, q)
    rho = solve_rho_fixed_smooth(u, 0.1, np.ones(3), s, w, 2.0, q, np.zeros(3))
    assert np.allclose(rho, chi, atol=1e-7)


def coord_envelope_value(r, a, centre, mu, lam0, d0):
    """sum_n min_theta [a/2 (theta - centre)^2 + mu |theta - rho|] + lam0 d0^2 rho^2 (fixed: mu |rho - w|)."""
    v = lam0 * d0 ** 2 * r * r
    for ai, ci, mi in zip(a, centre, mu):
        if math.isinf(ai):
            v += mi * abs(r - ci)
        elif ai > 0:
            z = abs(ci - r)
            v += 0.5 * ai * z * z if z <= mi / ai else mi * z - 0.5 * mi * mi / ai  # Huber
    return v


@pytest.mark.parametrize("seed", range(6))
def test_l1_coordinate_solver_exact_vs_bisection_vs_golden(seed):
    rng = np.random.default_rng(seed)
    u = random_users(rng, N=7, coordinate=True, fixed=(1, 4))
    rho, theta = solve_l1_cw(u, 0.1, np.ones(3))
    for j in range(3):
        a, centre, mu, _ = _coord_terms(u, j)
        assert rho[j] == pytest.approx(coord_root_bisect(a, centre, mu, 0.1, 1.0, 2.0), abs=1e-12)
        lo, hi = -50.0, 50.0  # golden section on the (convex) envelope value: the slow reference
        fn = lambda r: coord_envelope_value(r, a, centre, mu, 0.1, 1.0)  # noqa: E731
        for _ in range(200):
            m1, m2 = lo + 0.382 * (hi - lo), lo + 0.618 * (hi - lo)
            if fn(m1) <= fn(m2):
                hi = m2
            else:
                lo = m1
        assert rho[j] == pytest.approx(0.5 * (lo + hi), abs=1e-6)
    for n in np.flatnonzero(~u.fixed):  # theta* minimises each user's own problem given rho
        for j in range(3):
            a = u.H[n, j, j]
            grad = a * theta[n, j] - u.b[n, j]
            if theta[n, j] != rho[j]:
                assert grad + u.lam[n] * u.Delta[n, j] * np.sign(theta[n, j] - rho[j]) == pytest.approx(0, abs=1e-9)
            else:
                assert abs(grad) <= u.lam[n] * u.Delta[n, j] + 1e-9


def test_l1_solver_refuses_general_queries():
    u = random_users(np.random.default_rng(0), coordinate=False)
    with pytest.raises(ValueError):
        solve_l1_cw(u, 0.1, np.ones(3))


def test_exact_root_with_only_fixed_models_is_a_weighted_median():
    models = np.array([[0.0], [1.0], [5.0], [7.0], [100.0]])
    lam = np.array([1.0, 1.0, 1.0, 1.0, 1.0])
    assert rho_H(models, lam, np.ones((5, 1)), 1e-9, np.ones(1))[0] == pytest.approx(5.0, abs=1e-6)
    a, c, mu = np.full(5, np.inf), models[:, 0], lam
    assert _coord_root_exact(a, c, mu, 0.5, 1.0) == pytest.approx(coord_root_bisect(a, c, mu, 0.5, 1.0, 2.0), abs=1e-12)


# ------------------------------------------------------------------------------------------------
# Theorem 10 and the piecewise-quadratic solver
# ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("A,expect", [(2.0, 1.106), (5.0, 1.088), (20.0, 1.025)])
def test_theorem10_true_optimum_and_gain(A, expect):
    r = t10.report(A)
    assert r["solver_vs_closed_form"] < 1e-12
    assert r["solver_kkt_residual"] < 1e-12 and r["closed_form_kkt_residual"] < 1e-12
    assert r["paper_kkt_residual"] > 1.0  # the paper's point violates 0 in the subdifferential
    assert r["value_paper_point"] > r["value_optimum"] + 0.5
    assert r["gain_true"] == pytest.approx(expect, abs=5e-4)
    assert r["gain_claimed"] == pytest.approx(A / (1 + 2 * t10.eps_of(A)))
    assert np.allclose(r["truthful_optimum"], 0, atol=1e-12)  # eqs. 135-138 are right


def test_theorem10_closed_form_at_A2_is_15_77_9_77():
    assert np.allclose(t10.true_optimum(2.0), [15 / 77, 9 / 77, 15 / 77, 9 / 77], atol=1e-15)


def brute_min(qp, rng, starts=4, iters=3000):
    """Random-direction pattern search from several starts (slow reference for solve_exact)."""
    best_v, best_z = math.inf, None
    for _ in range(starts):
        z = rng.standard_normal(len(qp.c))
        step, v = 1.0, qp.value(z)
        for _ in range(iters):
            cand = z + step * rng.standard_normal(len(z))
            cv = qp.value(cand)
            if cv < v:
                z, v = cand, cv
            else:
                step *= 0.995
        if v < best_v:
            best_v, best_z = v, z
    return best_v, best_z


@pytest.mark.parametrize("seed", range(5))
def test_piecewise_solver_against_pattern_search(seed):
    rng = np.random.default_rng(seed)
    n, K = 3, 3
    M = rng.standard_normal((n, n))
    qp = PiecewiseQP(M @ M.T + 0.5 * np.eye(n), rng.standard_normal(n), rng.uniform(0.2, 2, K),
                     rng.standard_normal((K, n)), rng.standard_normal(K))
    z, _ = solve_exact(qp)
    assert kkt_residual(qp, z) < 1e-10
    v, _ = brute_min(qp, rng)
    assert qp.value(z) <= v + 1e-9
    assert qp.value(z) == pytest.approx(v, abs=1e-3)  # pattern search stalls on kinks: it is only close


def test_kkt_residual_shares_one_subgradient_per_term():
    """|x - y| with x = y = 0 and linear terms pushing x up and y up: one s serves both partials."""
    qp = PiecewiseQP(np.eye(2), np.array([1.0, 1.0]), np.array([1.0]), np.array([[1.0, -1.0]]), np.zeros(1))
    # d/dx = x + 1 + s, d/dy = y + 1 - s at (0, 0): needs s = -1 and s = +1 at once
    assert kkt_residual(qp, np.zeros(2)) == pytest.approx(math.sqrt(2), abs=1e-12)
    z, _ = solve_exact(qp)
    assert np.allclose(z, [-1, -1]) and kkt_residual(qp, z) < 1e-12


def test_theorem10_gain_search_finds_no_better_report():
    g, _ = t10.best_gain(2.0, grid=9, rounds=2)
    assert g == pytest.approx(t10.report(2.0)["gain_true"], abs=1e-9)


@pytest.mark.parametrize("A", [2.0, 5.0])
def test_theorem10_solver_pattern_independent_of_hint(A):
    qp = t10.instance(A, t10.paper_w(A))
    z0, pat = solve_exact(qp)
    for hint in itertools.islice(itertools.product((-1, 0, 1), repeat=4), 0, 81, 7):
        assert np.allclose(solve_exact(qp, hint=hint)[0], z0, atol=1e-10)


@pytest.mark.parametrize("seed", range(8))
def test_rho_fixed_exact_matches_per_coordinate_solver(seed):
    from agreement.pfl.licchavi import rho_fixed_exact

    rng = np.random.default_rng(seed)
    W = rng.standard_normal((9, 4)) * rng.choice([0.1, 1, 100], size=(9, 1))
    lam = rng.uniform(0.5, 2, 9)
    D0 = rng.uniform(0.5, 2, 4)
    assert np.allclose(rho_fixed_exact(W, lam, 0.3, D0), rho_H(W, lam, np.ones((9, 4)), 0.3, D0), atol=1e-10)
