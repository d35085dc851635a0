"""CwTM and the trimmed middle against slow obvious references; Lemma 15 as a property."""
import math

import numpy as np
from hypothesis import assume, given, settings, strategies as st
from hypothesis.extra.numpy import arrays

from agreement.diameters import d2, dcw, dcw2
from agreement.rules.trimmed import cwmed, cwtm, trimmed_middle
from agreement.theory.icwtm import eps_max, eps_tilde, theory

vals = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)


def slow_cwtm(X, f):
    q, d = X.shape
    out = []
    for i in range(d):
        col = sorted(X[j][i] for j in range(q))
        kept = col[f : q - f]
        out.append(sum(kept) / len(kept))
    return np.array(out)


def slow_trimmed_middle(X, f):
    q, d = X.shape
    return np.array([(sorted(X[:, i])[f] + sorted(X[:, i])[q - f - 1]) / 2 for i in range(d)])


@st.composite
def family(draw, min_q=1, max_q=12, max_d=6):
    f = draw(st.integers(0, 4))
    q = draw(st.integers(max(min_q, 2 * f + 1), max(max_q, 2 * f + 1)))
    d = draw(st.integers(1, max_d))
    X = draw(arrays(np.float64, (q, d), elements=vals))
    return X, f


@settings(max_examples=300, deadline=None)
@given(family())
def test_cwtm_matches_slow_reference(Xf):
    X, f = Xf
    np.testing.assert_allclose(cwtm(X, f), slow_cwtm(X, f), rtol=1e-12, atol=1e-6)


@settings(max_examples=300, deadline=None)
@given(family())
def test_trimmed_middle_matches_slow_reference(Xf):
    X, f = Xf
    np.testing.assert_allclose(trimmed_middle(X, f), slow_trimmed_middle(X, f), rtol=1e-12, atol=1e-9)


@settings(max_examples=100, deadline=None)
@given(family())
def test_cwmed_matches_sorted_middle(Xf):
    X, f = Xf
    np.testing.assert_allclose(cwmed(X, f), [np.median(sorted(c)) for c in X.T], atol=1e-9)


def test_cwtm_drops_exactly_f_per_side():
    X = np.array([[0.0], [1.0], [2.0], [3.0], [100.0]])
    assert cwtm(X, 1)[0] == 2.0
    assert cwtm(X, 2)[0] == 2.0
    assert cwtm(X, 0)[0] == np.mean(X)


def test_diameters_on_a_known_family():
    x = np.array([[0.0, 0.0], [3.0, 0.0], [0.0, 4.0]])
    assert d2(x) == 5.0
    np.testing.assert_array_equal(dcw(x), [3.0, 4.0])
    assert dcw2(x) == 5.0


@settings(max_examples=100, deadline=None)
@given(arrays(np.float64, st.tuples(st.integers(2, 8), st.integers(1, 5)), elements=vals))
def test_lemma1_bounds(x):
    h, d = x.shape
    D, Dc = d2(x), dcw2(x)
    assert D <= Dc * (1 + 1e-9) + 1e-9
    assert Dc <= min(math.sqrt(d), 2 * math.sqrt(h)) * D * (1 + 1e-9) + 1e-6


@st.composite
def lemma15_case(draw):
    """n, f, q satisfying Assumption 6; honest vectors; any Byzantine values and any choice of which
    q - f' honest vectors each node gathers (at most f Byzantine among its q)."""
    f = draw(st.integers(1, 3))
    n = draw(st.integers(5 * f + 1, 5 * f + 8))
    h = n - f
    e, _ = eps_max(n, f, h)
    q_min = math.ceil(h / 2 + 2 * f + 0.5)
    q = draw(st.integers(q_min, h))
    e, why = eps_max(n, f, q)
    assume(e is not None)
    d = draw(st.integers(1, 4))
    honest = draw(arrays(np.float64, (h, d), elements=st.floats(-10, 10)))
    gathered = []
    for _ in range(draw(st.integers(2, 5))):
        k = draw(st.integers(0, f))  # Byzantine values this node takes
        idx = draw(st.permutations(range(h)))[: q - k]
        byz = draw(arrays(np.float64, (k, d), elements=st.floats(-1e3, 1e3)))
        gathered.append(np.vstack([honest[list(idx)], byz]))
    return n, f, q, e, honest, gathered


@settings(max_examples=200, deadline=None)
@given(lemma15_case())
def test_lemma15_one_cwtm_step_contracts_every_coordinate(case):
    """Lemma 15 (eq. 170): Dcw(CwTM o BYZ(x)) <= (1 - e~) Dcw(x), coordinate by coordinate."""
    n, f, q, e, honest, gathered = case
    h = n - f
    et = eps_tilde(e, h, q, f)
    outs = np.stack([cwtm(G, f) for G in gathered])
    lo, hi = honest.min(axis=0), honest.max(axis=0)
    assert np.all(outs >= lo - 1e-9) and np.all(outs <= hi + 1e-9)  # validity (eq. 176-180)
    assert np.all(dcw(outs) <= (1 - et) * dcw(honest) + 1e-9)


def test_icwtm_theory_values():
    th = theory(n=26, f=5, q=21, d=10, t=3)
    assert th.holds and th.eps == 0.0
    assert th.eps_tilde == 1 / (2 * (21 - 10))
    assert th.iterations == math.ceil((2 * 4 * math.log(2) + math.log(21)) / (2 * th.eps_tilde))
    assert math.isclose(th.C, (10 + 21 - 21) / 21 * min(2 * math.sqrt(21), math.sqrt(10)))
    # headline n = 4f + 1 with q <= n - f: Assumption 6 cannot hold (REFERENCE.md, ICwTM)
    bad = theory(n=9, f=2, q=7, d=3, t=1)
    assert not bad.holds and "q >=" in bad.reason and bad.C is None
    assert not theory(n=8, f=2, q=6, d=3, t=1).holds


def test_eps_max_is_the_largest_allowed():
    for n, f, q in [(31, 5, 26), (51, 5, 46), (101, 10, 91), (26, 5, 21)]:
        e, _ = eps_max(n, f, q)
        h = n - f
        assert n >= 4 * (1 - 2 * e) / (1 - 4 * e) * f + 1 - 1e-9
        assert q >= (1 + 4 * e) / 2 * h + 2 * f + 0.5 - 1e-9
        e2 = e + 1e-6
        assert n < 4 * (1 - 2 * e2) / (1 - 4 * e2) * f + 1 or q < (1 + 4 * e2) / 2 * h + 2 * f + 0.5


@settings(max_examples=150, deadline=None)
@given(family())
def test_in_place_variants_match_the_rules(Xf):
    """The machines call rule.owned on their own stacked array (sorted in place): same result."""
    X, f = Xf
    for rule in (cwtm, trimmed_middle, cwmed):
        expected = rule(X, f)
        np.testing.assert_array_equal(rule.owned(X.copy(), f), expected)
