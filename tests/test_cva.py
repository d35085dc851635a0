"""CVA against a slow reference, its own-vector pivot, non-finite rows, and its theory."""
from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agreement.rules import get_rule
from agreement.rules.cva import cva
from agreement.theory import cva as tcva
from agreement.theory import theory_for


def slow_cva(X, f, own):
    q = len(X)
    dist = []
    for i in range(q):
        if not np.isfinite(X[i]).all():
            dist.append((math.inf, i))
        else:
            dist.append((sum((float(a) - float(b)) ** 2 for a, b in zip(X[i], own)), i))
    keep = [i for _, i in sorted(dist)[: q - f]]
    return np.mean([X[i] for i in keep], axis=0)


@settings(max_examples=300, deadline=None)
@given(st.integers(2, 12), st.data())
def test_cva_matches_reference(q, data):
    f = data.draw(st.integers(0, q - 1))
    d = data.draw(st.integers(1, 4))
    ints = data.draw(st.booleans())
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    X = rng.integers(-2, 3, (q, d)).astype(float) if ints else rng.standard_normal((q, d))
    for i in data.draw(st.lists(st.integers(0, q - 1), max_size=f, unique=True)):
        X[i, 0] = data.draw(st.sampled_from([np.nan, np.inf, -np.inf]))
    own = X[0] if np.isfinite(X[0]).all() else np.zeros(d)
    np.testing.assert_allclose(cva(X, f, own), slow_cva(X, f, own), rtol=0, atol=1e-12)


def test_own_vector_is_the_pivot_and_none_falls_back_to_median():
    X = np.array([[0.0], [0.1], [0.2], [5.0], [5.1]])
    assert cva(X, 2, np.array([0.0]))[0] == pytest.approx(0.1)
    assert cva(X, 2, np.array([5.0]))[0] == pytest.approx((5.0 + 5.1 + 0.2) / 3)
    # own None: pivot = coordinate-wise median (0.2): the three closest are 0.0, 0.1, 0.2
    assert cva(X, 2, None)[0] == pytest.approx(0.1)
    assert get_rule("cva") is cva


def test_nnm_own_mean_is_cva():
    X = np.random.default_rng(5).standard_normal((9, 3))
    np.testing.assert_allclose(get_rule("nnm-own+mean")(X, 2, X[4]), cva(X, 2, X[4]), atol=1e-12)


def _grid_eps(n, f, q):
    h = n - f
    ok = [e for e in np.linspace(1e-6, 1 - 1e-6, 20001)
          if n >= (7 + 3 * e) / (1 - e) * f - 1e-9 and q >= (1 + e) / 2 * h + (3 + 2 * e) * f - 1e-9]
    return max(ok) if ok else None


@pytest.mark.parametrize("n,f,q", [(8, 1, 7), (15, 2, 13), (15, 2, 12), (36, 5, 31), (14, 2, 12), (30, 3, 25)])
def test_eps_is_the_largest_allowed(n, f, q):
    e, why = tcva.eps_max(n, f, q)
    g = _grid_eps(n, f, q)
    if g is None:
        assert e is None and why
    else:
        assert e == pytest.approx(g, abs=1e-4)


def test_threshold_7f_plus_1():
    for f in (1, 2, 4):
        assert theory_for("cva", 7 * f + 1, f, 6 * f + 1, 3, 3).holds
        th = theory_for("cva", 7 * f, f, 6 * f, 3, 3)
        assert not th.holds and "7f + 1" in th.reason


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 6), st.integers(0, 40), st.integers(0, 40))
def test_derived_factor_below_one_minus_eps_tilde(f, extra_n, drop_q):
    n = 7 * f + 1 + extra_n
    q = max(f + 1, n - f - drop_q)
    th = tcva.theory(n, f, q, 1, 2)
    if th.holds:
        assert th.per_iteration <= 1 - th.eps_tilde + 1e-12
        assert th.iterations == math.ceil(2 * math.log(2) / th.eps_tilde)
        assert th.C >= th.extra["averaging_lower_bound"] - 1e-12


# --- the averaging constant (theory/cva.py, Lemma 13 with CVA's selection) against brute force ---
def _alpha_old(n, f, q):
    """The first constant: ||z_F - x_Hbar|| bounded by 3 D2 through z_H (valid, looser)."""
    h = n - f
    return ((q - 2 * f) * (2 * f + h - q) + 2 * f * (q - 2 * f) + 3 * f * (2 * f + h - q)) / (h * (q - f))


def _worst_one_step_error(n, f, q, configs, byz):
    """max over honest families X, node i, the q - f - 1 other honest senders it hears (own
    included) and the f Byzantine vectors (from ``byz``) of ||CVA_i - mean(X)|| / D2(X)."""
    import itertools

    h = n - f
    worst = 0.0
    for X in configs:
        X = np.asarray(X, dtype=float)
        D = max(np.linalg.norm(a - b) for a in X for b in X)
        xbar = X.mean(axis=0)
        for i in range(h):
            for S in itertools.combinations([j for j in range(h) if j != i], q - f - 1):
                honest = [X[i]] + [X[j] for j in S]
                for B in itertools.combinations_with_replacement(range(len(byz)), f):
                    rows = np.array(honest + [byz[b] for b in B], dtype=float)
                    worst = max(worst, float(np.linalg.norm(cva(rows, f, X[i]) - xbar)) / D)
    return worst


def _line_configs(h, K):
    import itertools

    for c in itertools.combinations_with_replacement([k / K for k in range(K + 1)], h - 2):
        yield [[0.0]] + [[v] for v in c] + [[1.0]]


@pytest.mark.parametrize("n,f,K", [(5, 1, 4), (6, 1, 4), (8, 1, 2), (7, 2, 2)])
def test_alpha_bounds_brute_force_worst_case_d1(n, f, K):
    q = n - f
    byz = [np.array([v]) for v in np.arange(-1.0, 2.0 + 1e-9, 0.125)]
    worst = _worst_one_step_error(n, f, q, _line_configs(n - f, K), byz)
    alpha = tcva.alpha_cva(n, f, q)
    assert worst <= alpha + 1e-12
    assert alpha < _alpha_old(n, f, q)
    assert worst >= (n - f + 2 * f - q) / (n - f)  # the search is not toothless: Theorem 4's bound is reached


def test_alpha_bounds_brute_force_worst_case_d2():
    n, f = 6, 1
    q = n - f
    rng = np.random.default_rng(3)
    square = [np.array([a, b]) for a in (0.0, 1.0) for b in (0.0, 1.0)]
    configs = [np.array([square[k % 4] for k in range(n - f)])]
    configs += [rng.uniform(0, 1, size=(n - f, 2)) for _ in range(6)]
    byz = [np.array([a, b]) for a in (-1.0, -0.5, 0.0, 0.5, 1.0, 1.5, 2.0) for b in (-1.0, 0.0, 0.5, 1.0, 2.0)]
    worst = _worst_one_step_error(n, f, q, configs, byz)
    assert worst <= tcva.alpha_cva(n, f, q) + 1e-12
    assert worst > 0.3


@pytest.mark.parametrize("n,f", [(8, 1), (9, 1), (15, 2), (16, 2), (22, 3), (40, 5)])
def test_new_C_is_below_the_old_and_above_theorem4(n, f):
    q = n - f
    th = tcva.theory(n, f, q, 1, 2)
    assert th.holds
    old_C = _alpha_old(n, f, q) / th.eps_tilde
    assert th.C == pytest.approx(tcva.alpha_cva(n, f, q) / th.eps_tilde)
    assert 0.90 * old_C < th.C < 0.97 * old_C
    assert th.C >= th.extra["averaging_lower_bound"]
