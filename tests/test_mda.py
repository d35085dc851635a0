"""Exact MDA against full enumeration (hypothesis), NaN/inf rows, ties, and MDA theory."""
from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agreement.rules import get_rule
from agreement.rules.mda import mda, mda_all_minimal, mda_select, pairwise_sq_exact
from agreement.theory import theory_for
from agreement.theory import mda as tmda


def _naive_sq(a, b):
    return float(np.sum((a - b) ** 2))


def brute_minimal(X, f):
    """Every subset of q - f finite rows, distances recomputed per subset (the naive method):
    (minimal squared diameter, all minimal subsets in lexicographic order)."""
    q = X.shape[0]
    fin = [i for i in range(q) if np.isfinite(X[i]).all()]
    best, subsets = None, []
    for S in itertools.combinations(fin, q - f):
        dm = max((_naive_sq(X[a], X[b]) for a, b in itertools.combinations(S, 2)), default=0.0)
        if best is None or dm < best:
            best, subsets = dm, [S]
        elif dm == best:
            subsets.append(S)
    return best, subsets


@st.composite
def int_family(draw, max_q=9):
    """Small integer coordinates: every distance is exact in floating point, so ties are real."""
    q = draw(st.integers(2, max_q))
    f = draw(st.integers(0, q - 1))
    d = draw(st.integers(1, 3))
    X = np.array(draw(st.lists(st.lists(st.integers(-3, 3), min_size=d, max_size=d), min_size=q, max_size=q)),
                 dtype=np.float64)
    bad = draw(st.lists(st.integers(0, q - 1), max_size=f, unique=True))
    for i in bad:
        X[i, draw(st.integers(0, d - 1))] = draw(st.sampled_from([np.nan, np.inf, -np.inf]))
    return X, f


@settings(max_examples=300, deadline=None)
@given(int_family())
def test_exact_mda_is_the_lexicographically_first_minimal_subset(case):
    X, f = case
    best, subsets = brute_minimal(X, f)
    idx, diam = mda_select(X, f)
    assert tuple(idx) == subsets[0]
    assert diam == pytest.approx(math.sqrt(best), abs=1e-12)
    np.testing.assert_allclose(mda(X, f), X[list(subsets[0])].mean(axis=0), rtol=0, atol=1e-12)


@settings(max_examples=200, deadline=None)
@given(int_family(max_q=8))
def test_all_minimal_averages_every_minimal_subset(case):
    X, f = case
    _, subsets = brute_minimal(X, f)
    ref = np.mean([X[list(S)].mean(axis=0) for S in subsets], axis=0)
    np.testing.assert_allclose(mda_all_minimal(X, f), ref, rtol=0, atol=1e-12)
    perm = np.random.default_rng(len(subsets)).permutation(X.shape[0])
    np.testing.assert_allclose(mda_all_minimal(X[perm], f), ref, rtol=0, atol=1e-12)


@settings(max_examples=150, deadline=None)
@given(st.integers(2, 10), st.data())
def test_float_inputs_minimal_diameter_and_subset(q, data):
    f = data.draw(st.integers(0, q - 1))
    d = data.draw(st.integers(1, 4))
    seed = data.draw(st.integers(0, 2**32 - 1))
    X = np.random.default_rng(seed).standard_normal((q, d)) * data.draw(st.sampled_from([1e-3, 1.0, 1e3]))
    D = pairwise_sq_exact(X)
    # reference 1: enumeration on the same distance matrix (tests the search exactly)
    best, first = None, None
    for S in itertools.combinations(range(q), q - f):
        dm = max((D[a, b] for a, b in itertools.combinations(S, 2)), default=0.0)
        if best is None or dm < best:
            best, first = dm, S
    idx, diam = mda_select(X, f)
    assert tuple(idx) == first
    # reference 2: the naive per-subset recomputation finds the same diameter
    nbest, _ = brute_minimal(X, f)
    assert diam == pytest.approx(math.sqrt(nbest), rel=1e-9, abs=1e-300)


def test_pairwise_sq_exact_matches_naive():
    X = np.random.default_rng(0).standard_normal((7, 5))
    D = pairwise_sq_exact(X)
    for i in range(7):
        for j in range(7):
            assert D[i, j] == pytest.approx(_naive_sq(X[i], X[j]), rel=1e-12, abs=1e-15)
    assert (D == D.T).all() and (np.diag(D) == 0).all()


def test_non_finite_rows_never_selected_and_too_many_raise():
    X = np.array([[0.0], [0.1], [np.nan], [0.2], [np.inf]])
    idx, _ = mda_select(X, 2)
    assert list(idx) == [0, 1, 3]
    with pytest.raises(ValueError):
        mda(X, 1)


def test_theorem5_view_of_the_first_group():
    """Eq. 161-162: the first 2f nodes see ((-2 + 1/f) x f, -1 x 2f, 0 x (f-1), 1 x f) and output -1."""
    for f in (1, 2, 3, 4):
        z = np.array([-2 + 1 / f] * f + [-1.0] * (2 * f) + [0.0] * (f - 1) + [1.0] * f)[:, None]
        assert mda(z, f)[0] == pytest.approx(-1.0, abs=1e-12)


def test_permutation_invariance_when_unique():
    rng = np.random.default_rng(3)
    X = rng.standard_normal((9, 4))
    out = mda(X, 3)
    for _ in range(5):
        np.testing.assert_allclose(mda(X[rng.permutation(9)], 3), out, atol=1e-12)


def _slow_nnm(X, f):
    """NNM (Algorithm 2) written out: row i -> mean of its q - f nearest rows, ties to the lower index."""
    q = len(X)
    out = []
    for i in range(q):
        order = sorted(range(q), key=lambda j: (float(np.sum((X[i] - X[j]) ** 2)), j))
        out.append(np.mean([X[j] for j in order[: q - f]], axis=0))
    return np.array(out)


def test_registered():
    assert get_rule("mda") is mda and get_rule("mda-all-minimal") is mda_all_minimal


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(5, 9), st.integers(1, 2))
def test_nnm_mda_is_mda_of_the_mixed_rows(seed, q, f):
    """nnm+mda = MDA applied to the NNM-mixed rows, against a slow NNM and the slow MDA enumeration.
    Mixing often makes rows equal up to rounding (two rows with the same neighbours), so the minimal
    subset is compared up to such near-ties: the output is the mean of a subset whose diameter is the
    enumerated minimum within 1e-9 (relative)."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((q, 3)) * rng.choice([1.0, 100.0], size=(q, 1))
    mixed = _slow_nnm(X, f)
    out = get_rule("nnm+mda")(X, f)
    best, _ = brute_minimal(mixed, f)

    def sq_diam(S):
        return max((_naive_sq(mixed[a], mixed[b]) for a, b in itertools.combinations(S, 2)), default=0.0)

    near = [S for S in itertools.combinations(range(q), q - f) if sq_diam(S) <= best * (1 + 1e-9) + 1e-12]
    assert any(np.allclose(out, mixed[list(S)].mean(axis=0), rtol=1e-9, atol=1e-9) for S in near)


# -- theory ------------------------------------------------------------------------------------

def _grid_eps(n, f, q):
    h = n - f
    ok = [e for e in np.linspace(1e-6, 1 - 1e-6, 20001)
          if n >= (6 + 2 * e) / (1 - e) * f - 1e-9 and q >= (1 + e) / 2 * h + (5 + 3 * e) / 2 * f - 1e-9]
    return max(ok) if ok else None


@pytest.mark.parametrize("n,f,q", [(7, 1, 6), (13, 2, 11), (13, 2, 10), (31, 5, 26), (20, 3, 15), (12, 2, 10), (11, 2, 9)])
def test_eps_is_the_largest_allowed(n, f, q):
    e, why = tmda.eps_max(n, f, q)
    g = _grid_eps(n, f, q)
    if g is None:
        assert e is None and why
    else:
        assert e == pytest.approx(g, abs=1e-4)


def test_theory_values():
    th = theory_for("mda", 13, 2, 11, 1, 3)
    assert th.holds
    e = 1 / 17
    assert th.eps == pytest.approx(e)
    assert th.eps_tilde == pytest.approx(2 * e / (1 + e))
    assert th.iterations == math.ceil(3 * math.log(2) / th.eps_tilde)
    assert th.per_iteration == pytest.approx(8 / 9) and th.per_iteration <= 1 - th.eps_tilde + 1e-12
    assert th.C == pytest.approx(((4 + 11 - 11) * 11 + (11 - 4) * 2) / (11 * 9 * th.eps_tilde))
    for f in (1, 2, 5):
        assert not theory_for("mda", 6 * f, f, 5 * f, 10, 3).holds
        assert not theory_for("mda", 6 * f - 1, f, 5 * f - 1, 10, 3).holds
        assert theory_for("mda", 6 * f + 1, f, 5 * f + 1, 10, 3).holds
    bad = theory_for("mda", 11, 2, 9, 1, 3)
    assert "6f + 1" in bad.reason and bad.C is None


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 6), st.integers(0, 40), st.integers(0, 40))
def test_lemma12_factor_below_one_minus_eps_tilde(f, extra_n, drop_q):
    n = 6 * f + 1 + extra_n
    h = n - f
    q = max(f + 1, h - drop_q)
    th = tmda.theory(n, f, q, 1, 3)
    if th.holds:
        assert th.per_iteration <= 1 - th.eps_tilde + 1e-12
        assert th.C > 0 and th.iterations >= 1


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 12), st.sampled_from([1, 2, 3, 8, 33, 200]), st.integers(0, 2**32 - 1))
def test_pairwise_one_shot_equals_row_loop(q, d, seed):
    """The one-shot q x q x d path of pairwise_sq_exact gives exactly the numbers of the row loop."""
    import agreement.rules.mda as m

    X = np.random.default_rng(seed).normal(size=(q, d)) * 10.0 ** np.random.default_rng(seed).uniform(-3, 3)
    fast = m.pairwise_sq_exact(X)
    old, m._ONE_SHOT = m._ONE_SHOT, -1
    try:
        slow = m.pairwise_sq_exact(X)
    finally:
        m._ONE_SHOT = old
    np.testing.assert_array_equal(fast, slow)
    np.testing.assert_array_equal(fast, fast.T)
    assert not np.diag(fast).any()


def _mda_cases(n=30):
    from scenarios.bench.rules import mda_inputs

    for seed in range(n):
        rng = np.random.default_rng(seed)
        q = int(rng.integers(5, 32))
        f = int(rng.integers(1, (q - 1) // 2 + 1))
        d = max(int(rng.choice([1500, 4000])), (1 << 20) // (q * q) + 1)  # the Gram path's sizes
        X = mda_inputs(q, f, d, seed)
        if seed % 3 == 0:
            X = np.round(X * 4) / 4  # exact ties between distances
        if seed % 4 == 0:
            X[1] = X[0]  # duplicate rows
        if seed % 5 == 0:
            X = X + 1000.0  # far from the origin: wide bounds, many exact recomputations
        if seed % 7 == 0:
            X[2, 5] = np.inf if seed % 2 else np.nan  # a non-finite row (dropped first)
        if seed % 11 == 0:
            X[3] *= 1e200  # finite, but its squared norm overflows: extended precision, no Gram path
        yield X, f


def test_gram_threshold_is_the_exact_one(monkeypatch):
    """The Gram distances with error bounds give exactly the threshold and conflict graph of the
    exact pairwise differences (hence the same subset, diameter and mean), ties included; and the
    Gram path is really taken, recomputing only a few pairs exactly."""
    import agreement.rules.mda as m

    recomputed = []
    real = m._exact_pairs
    monkeypatch.setattr(m, "_exact_pairs", lambda X, P: recomputed.append(len(P)) or real(X, P))
    for X, f in _mda_cases():
        _, finite, _, budget, norms = m._prepare_norms(X, f)
        assert np.array_equal(finite, np.flatnonzero(np.isfinite(X).all(axis=1)))
        Y = X[finite]
        assert m._threshold(Y, budget, norms) == m._min_threshold(m.pairwise_sq_exact(Y), budget)
    assert len(recomputed) >= 10 and min(recomputed) <= 5


def test_exact_pairs_are_the_row_loop_numbers():
    """einsum sums a row alone differently from a row among others: _exact_pairs reproduces the row
    loop of pairwise_sq_exact for any subset of pairs, single pairs included."""
    import agreement.rules.mda as m

    rng = np.random.default_rng(3)
    X = rng.standard_normal((9, 20_000))
    D = m.pairwise_sq_exact(X)
    iu, ju = np.triu_indices(9, 1)
    for _ in range(20):
        sel = np.sort(rng.choice(iu.size, size=int(rng.integers(1, 8)), replace=False))
        P = np.stack((iu[sel], ju[sel]), axis=1)
        assert np.array_equal(m._exact_pairs(X, P), D[iu[sel], ju[sel]])


def test_rows_mean_is_the_mean_of_the_copied_rows():
    """The mean of chosen rows without copying them: numpy's numbers, in any row order."""
    import agreement.rules.mda as m
    from agreement.rules.overflow import safe_mean

    for seed in range(12):
        rng = np.random.default_rng(seed)
        q = int(rng.integers(3, 32))
        d = int(rng.choice([2, 1000, 8192, 30_000]))
        X = rng.standard_normal((q, d)) * 10.0 ** int(rng.integers(-3, 3))
        if seed % 4 == 0:
            X[0, :3] = 1.7e308  # an overflowing sum: rescaled like safe_mean
        idx = rng.permutation(q)[: int(rng.integers(2, q + 1))]
        assert np.array_equal(m._rows_mean(X, idx), safe_mean(X[idx]))
