"""Rules that do not overflow (issue 12, item 5): every rule of the zoo gives the right answer for finite
inputs up to the float maximum, checked against slow references in exact arithmetic (fractions).

Inputs are drawn at extreme magnitudes: each row is small integers times a power-of-two scale picked
from a set that spans the float range (2^-1000 .. 2^1012, and the float maximum itself), so that
squares, sums and differences overflow the float arithmetic. "Right" is the exact rule's output up to
float rounding: |out - exact| <= 32 q eps max|X| per coordinate (the error bound of a float sum of q
values of magnitude max|X|); Krum-type rules that select a row must select one whose exact score is
optimal when the scores are far apart (the overflow path computes distances in extended precision).
"""
from __future__ import annotations

import math
from fractions import Fraction
from itertools import combinations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from agreement.rules import get_rule
from agreement.rules.overflow import EXTENDED

M = np.finfo(np.float64).max
EPS = np.finfo(np.float64).eps
SCALES = [2.0 ** -1000, 2.0 ** -20, 1.0, 2.0 ** 400, 2.0 ** 520, 2.0 ** 1000, 2.0 ** 1012]


@st.composite
def extreme(draw, qmin=3, qmax=8, dmax=3):
    q = draw(st.integers(qmin, qmax))
    d = draw(st.integers(1, dmax))
    f = draw(st.integers(0, (q - 1) // 2))
    rows = []
    for _ in range(q):
        kind = draw(st.sampled_from(["scaled", "scaled", "max"]))
        if kind == "max":
            row = [draw(st.sampled_from([M, -M, M * 0.75, -M * 0.5, 0.0])) for _ in range(d)]
        else:
            s = draw(st.sampled_from(SCALES))
            row = [draw(st.integers(-16, 16)) * s for _ in range(d)]
        rows.append(row)
    X = np.array(rows, dtype=np.float64)
    assume(np.isfinite(X).all())
    return X, f


def F(x) -> Fraction:
    return Fraction(float(x))


def tol(X: np.ndarray) -> float:
    return 32 * X.shape[0] * EPS * float(np.max(np.abs(X))) + 1e-300


def close(out, ref, X) -> bool:
    out = np.asarray(out, dtype=np.float64)
    t = tol(X)
    return bool(np.isfinite(out).all()) and all(abs(F(o) - r) <= F(t) for o, r in zip(out, ref))


# -- exact references, tie-aware ----------------------------------------------------------------------
# A rule that SELECTS values (by deviation, distance, score or diameter) may break a near-tie (keys
# equal up to float rounding) either way; its output is right when it is the exact output of one of
# the selections that are optimal up to that rounding. References return every such output.
CAP = 64


def near_optimal_sets(keys, k, slack):
    """Index sets of size k that a selection of the k smallest ``keys`` (exact) may return when keys
    within ``slack`` of the k-th smallest are indistinguishable (at most CAP sets)."""
    order = sorted(range(len(keys)), key=lambda i: (keys[i], i))
    kth = keys[order[k - 1]]
    sure = [i for i in order if keys[i] < kth - slack]
    maybe = [i for i in order if abs(keys[i] - kth) <= slack]
    need = k - len(sure)
    out = []
    for extra in combinations(maybe, need):
        out.append(tuple(sorted(sure + list(extra))))
        if len(out) >= CAP:
            break
    return out


def cols(X):
    return [[F(v) for v in X[:, c]] for c in range(X.shape[1])]


def per_column(X, fn):
    """Candidate outputs of a coordinate-wise rule: the product of each column's candidates (capped)."""
    outs = [[]]
    for c in cols(X):
        outs = [o + [v] for o in outs for v in fn(c)][:CAP]
    return outs


def ref_cwtm(X, f):
    q = X.shape[0]
    return per_column(X, lambda c: [sum(sorted(c)[f:q - f]) / (q - 2 * f)])


def ref_trimmed_middle(X, f):
    q = X.shape[0]
    return per_column(X, lambda c: [(sorted(c)[f] + sorted(c)[q - f - 1]) / 2])


def ref_median(c):
    s, q = sorted(c), len(c)
    return s[q // 2] if q % 2 else (s[q // 2 - 1] + s[q // 2]) / 2


def ref_cwmed(X, f):
    return per_column(X, lambda c: [ref_median(c)])


def ref_mean(X, f):
    return per_column(X, lambda c: [sum(c) / len(c)])


def ref_meamed(X, f):
    q = X.shape[0]

    def column(c):
        med = ref_median(c)
        dev = [abs(v - med) for v in c]
        slack = F(8 * EPS) * (abs(med) + max(dev))
        return [sum(c[i] for i in S) / (q - f) for S in near_optimal_sets(dev, q - f, slack)]
    return per_column(X, column)


def exact_rows(X):
    return [[F(v) for v in row] for row in X]


def sqd(a, b):
    return sum((x - y) ** 2 for x, y in zip(a, b))


def gram_slack(X):
    """What the Gram product can get wrong on one squared distance (absolute): c eps max||x - mean||^2."""
    R = exact_rows(X)
    m = [sum(r[c] for r in R) / len(R) for c in range(X.shape[1])]
    return F(64 * (X.shape[1] + 2) * X.shape[0] * EPS) * max(sqd(r, m) for r in R)


def ref_scores(X, f):
    R = exact_rows(X)
    q = len(R)
    return [sum(sorted(sqd(R[i], R[j]) for j in range(q))[: q - f]) for i in range(q)]


def mean_rows(R, idx):
    return [sum(R[i][c] for i in idx) / len(idx) for c in range(len(R[0]))]


def ref_multikrum(X, f):
    R, s = exact_rows(X), ref_scores(X, f)
    slack = gram_slack(X) * len(R)
    return [mean_rows(R, S) for S in near_optimal_sets(s, len(R) - f, slack)]


def ref_cva(X, f, own):
    R, o = exact_rows(X), [F(v) for v in own]
    dist = [sqd(r, o) for r in R]
    slack = F(16 * (X.shape[1] + 2) * EPS) * max(dist)
    return [mean_rows(R, S) for S in near_optimal_sets(dist, len(R) - f, slack)]


def ref_nnm_cwtm(X, f):
    R = exact_rows(X)
    q = len(R)
    slack = gram_slack(X)
    per_row = []
    for i in range(q):
        dist = [sqd(R[i], R[j]) for j in range(q)]
        options = []
        for S in near_optimal_sets(dist, q - f, slack):
            m = mean_rows(R, S)
            if m not in options:  # sets that differ only by equal rows give the same mixture: one option
                options.append(m)
        per_row.append(options)
    mixes = [[]]
    for options in per_row:
        mixes = [m + [o] for m in mixes for o in options][:CAP]
    return [[sum(sorted(m[i][c] for i in range(q))[f:q - f]) / (q - 2 * f) for c in range(X.shape[1])]
            for m in mixes]


def ref_mda(X, f):
    R = exact_rows(X)
    q = len(R)
    diam = {}
    for S in combinations(range(q), q - f):
        diam[S] = max((sqd(R[i], R[j]) for i, j in combinations(S, 2)), default=F(0))
    best = min(diam.values())
    slack = F(16 * (X.shape[1] + 2) * EPS) * best + F(1e-300)
    return [mean_rows(R, S) for S, v in diam.items() if v <= best + slack][:CAP]


def close_any(out, refs, X) -> bool:
    return any(close(out, ref, X) for ref in refs)


COORDINATEWISE = {"cwtm": ref_cwtm, "trimmed_middle": ref_trimmed_middle, "cwmed": ref_cwmed, "mean": ref_mean,
                  "meamed": ref_meamed}


# -- tests ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(COORDINATEWISE))
@settings(max_examples=150, deadline=None)
@given(case=extreme())
def test_coordinatewise_rules_at_extreme_magnitudes(name, case):
    X, f = case
    if name in ("cwtm", "trimmed_middle"):
        assume(X.shape[0] > 2 * f)
    out = get_rule(name)(X.copy(), f, X[0])
    assert close_any(out, COORDINATEWISE[name](X, f), X), (name, X, f, out)


@pytest.mark.parametrize("name", ["cwtm", "trimmed_middle", "cwmed"])
@settings(max_examples=60, deadline=None)
@given(case=extreme())
def test_owned_variants_agree(name, case):
    X, f = case
    assume(X.shape[0] > 2 * f)
    rule = get_rule(name)
    a = rule(X.copy(), f, None)
    b = rule.owned(X.copy(), f, None)
    np.testing.assert_array_equal(a, b)


@settings(max_examples=150, deadline=None)
@given(case=extreme())
def test_krum_selects_a_row_of_optimal_exact_score(case):
    X, f = case
    out = get_rule("krum")(X, f, X[0])
    assert np.isfinite(out).all()
    i = int(np.flatnonzero((X == out).all(axis=1))[0])
    s = ref_scores(X, f)
    # the Gram product (no overflow) is exact up to eps max||x - mean||^2 per distance; the overflow
    # path (extended precision) up to 2^-60 relative
    assert s[i] <= min(s) + gram_slack(X) * X.shape[0], (X, f, out)


@pytest.mark.parametrize("name,ref", [("multikrum", ref_multikrum), ("mda", ref_mda)])
@settings(max_examples=100, deadline=None)
@given(case=extreme(qmax=7))
def test_selection_rules_at_extreme_magnitudes(name, ref, case):
    X, f = case
    out = get_rule(name)(X, f, X[0])
    assert close_any(out, ref(X, f), X), (name, X, f, out)


@settings(max_examples=150, deadline=None)
@given(case=extreme(), pick=st.integers(0, 7))
def test_cva_at_extreme_magnitudes(case, pick):
    X, f = case
    own = X[pick % X.shape[0]]
    out = get_rule("cva")(X, f, own)
    assert close_any(out, ref_cva(X, f, own), X), (X, f, own, out)


@settings(max_examples=100, deadline=None)
@given(case=extreme(qmax=7))
def test_nnm_cwtm_at_extreme_magnitudes(case):
    X, f = case
    assume(X.shape[0] > 2 * f)
    out = get_rule("nnm+cwtm")(X, f, X[0])
    assert close_any(out, ref_nnm_cwtm(X, f), X), (X, f, out)


def _objective(X, z):
    Y = X.astype(np.longdouble) if EXTENDED is not None else X
    diff = Y - np.asarray(z, dtype=Y.dtype)
    return np.sqrt(np.einsum("ij,ij->i", diff, diff)).sum()


@settings(max_examples=80, deadline=None)
@given(case=extreme())
def test_geomed_at_extreme_magnitudes(case):
    """The geometric median has no closed form: the reference is its objective sum_i ||x_i - z||,
    evaluated in extended precision, which the output must (nearly) minimise among the candidates a
    slow search knows: every input row and the coordinate-wise median."""
    X, _ = case
    z = get_rule("geomed")(X, 0, None)
    assert np.isfinite(z).all()
    lo, hi = X.min(axis=0), X.max(axis=0)
    assert all(F(lo[c]) - F(tol(X)) <= F(z[c]) <= F(hi[c]) + F(tol(X)) for c in range(X.shape[1]))
    obj = _objective(X, z)
    for cand in [*X, np.median(X.astype(np.longdouble), axis=0)]:
        assert obj <= _objective(X, cand) * (1 + 1e-6) + 1e-300


# -- the cases: Byzantine values at the float maximum -----------------------------------------
@pytest.mark.parametrize("name", ["krum", "multikrum", "nnm+cwtm", "nnm+krum", "nnm+cwmed", "cva", "mda", "geomed",
                                  "meamed", "cwtm", "mean", "mda-all-minimal", "cwmed", "trimmed_middle"])
@pytest.mark.parametrize("far", [M, -M, 1e155, 1e200])
def test_byzantine_at_the_float_maximum_are_ignored(name, far):
    rng = np.random.default_rng(3)
    honest = rng.standard_normal((9, 4))
    byz = np.full((2, 4), far)
    byz[1, ::2] = -far
    X = np.vstack([honest, byz])
    out = get_rule(name)(X, 2, honest[0])
    assert np.isfinite(out).all()
    if name == "mean":
        return  # the plain mean is not robust: only finite
    assert (np.abs(out) <= np.abs(honest).max() + 1e-9).all(), (name, out)


@pytest.mark.parametrize("name", ["krum", "multikrum", "nnm+cwtm"])
def test_overflow_path_selects_the_exact_optimum(name):
    rng = np.random.default_rng(5)
    honest = rng.integers(-8, 8, size=(7, 3)).astype(float)
    X = np.vstack([honest, [[M, -M, M]], [[-M, M, -M * 0.5]]])
    f = 2
    out = get_rule(name)(X, f, X[0])
    R, s = exact_rows(X), ref_scores(X, f)
    order = sorted(range(len(R)), key=lambda i: (s[i], i))
    assert s[order[len(R) - f - 1]] < s[order[len(R) - f]]  # no tie at the cut: one exact answer
    ref = {"krum": lambda: R[order[0]],
           "multikrum": lambda: mean_rows(R, order[: len(R) - f]),
           "nnm+cwtm": lambda: ref_nnm_cwtm(X, f)[0]}[name]()
    assert all(abs(F(o) - r) <= F(1e-12) for o, r in zip(out, ref)), (out, ref)


def test_ordinary_inputs_are_bit_identical_to_the_plain_arithmetic():
    """The overflow path never runs on ordinary inputs: the results are those of the formulas as
    they were (the pinned digests depend on it)."""
    rng = np.random.default_rng(11)
    X = rng.standard_normal((11, 6))
    f = 2
    q = X.shape[0]
    assert np.array_equal(get_rule("cwtm")(X, f, None), np.sort(X, axis=0)[f:q - f].mean(axis=0))
    S = np.sort(X, axis=0)
    assert np.array_equal(get_rule("trimmed_middle")(X, f, None), 0.5 * (S[f] + S[q - f - 1]))
    assert np.array_equal(get_rule("mean")(X, f, None), X.mean(axis=0))
    assert math.isfinite(float(get_rule("krum")(X, f, None)[0]))


class _FloatMax(__import__("nodes.adversary", fromlist=["Attack"]).Attack):
    """Byzantine vectors at the float maximum, a different sign pattern to each recipient."""

    name = "float-max"

    def write(self, b, r, instance, round_):
        x = np.full(self.adv.d, M)
        x[(r + b) % 2::2] = -M
        return [self.vec(b, instance, round_, x)]


@pytest.mark.parametrize("rule", ["krum", "multikrum", "nnm+cwtm"])
@pytest.mark.parametrize("schedule", ["random", "byzantine-first"])
def test_runs_with_byzantine_values_at_the_float_maximum_contract(rule, schedule):
    from nodes.attacks import ATTACKS
    from scenarios.run.agreement import run_agreement
    from scenarios.spec.resolve import resolve

    with ATTACKS.temporarily(_FloatMax.name, _FloatMax):
        cfg = resolve({"scenario": {"name": "float-max", "seed": 1}, "system": {"n": 11, "f": 2, "dim": 4},
                       "algorithm": {"name": rule, "t": 3, "iterations": 12},
                       "adversary": {"attack": _FloatMax.name, "schedule": schedule}})
        r = run_agreement(cfg)
    c = r["checks"]
    assert not r["stalled"] and c["termination"]["holds"], c
    assert c["contraction"]["holds"], c
    assert all(math.isfinite(row["diameter"]) for row in r["iterations"])


@pytest.mark.parametrize("name", ["cc", "scclip"])
@settings(max_examples=150, deadline=None)
@given(data=extreme())
def test_clipping_rules_are_finite_and_homogeneous_at_extreme_magnitudes(name, data):
    """cc and scclip (main's clipping rules): finite for finite inputs up to the float maximum, and
    equal to the rule on the same rows scaled into the ordinary range (both rules are positively
    homogeneous), up to float rounding."""
    X, f = data
    rule = get_rule(name)
    own = X[0]
    out = np.asarray(rule(X, f, own), dtype=np.float64)
    assert np.isfinite(out).all()
    top = float(np.max(np.abs(X)))
    if top == 0.0:
        assert np.array_equal(out, np.zeros(X.shape[1]))
        return
    k = math.frexp(top)[1]
    small = np.ldexp(X, -k)
    if np.min(np.abs(small[small != 0]), initial=1.0) < 2.0 ** -900:
        return  # the scaled reference itself would lose the small rows
    ref = np.ldexp(np.asarray(rule(small, f, small[0]), dtype=np.float64), k)
    assert np.all(np.abs(out - ref) <= 64 * X.shape[0] * EPS * top + 1e-300)


@pytest.mark.parametrize("name", ["cc", "scclip"])
def test_clipping_rules_take_the_ordinary_path_on_ordinary_inputs(name):
    from agreement.rules.clipping import CC_ITERATIONS, clip_step

    X = np.random.default_rng(5).standard_normal((9, 4))
    fin = np.ones(9, dtype=bool)
    if name == "cc":
        v = np.median(X, axis=0)
        for _ in range(CC_ITERATIONS):
            v = clip_step(X, fin, v, 2)
        expected = v
    else:
        expected = clip_step(X, fin, X[0], 2)
    assert np.array_equal(get_rule(name)(X, 2, X[0]), expected)


def test_geomed_returns_the_data_point_that_is_the_median():
    """Found by hypothesis: two rows at the origin and two at the float maximum. The origin is the
    unique geometric median (two coincident rows outweigh two unit directions at an angle); Weiszfeld
    stopped 0.2% of the scale short of it. The optimality test of a data point returns it exactly."""
    X = np.array([[0.0, 0.0], [0.0, 0.0], [M, M], [M, 1.34826985e308]])
    assert get_rule("geomed")(X, 0, None).tolist() == [0.0, 0.0]
    Y = np.array([[0.0, 0.0], [0.0, 0.0], [1.0, 1.0], [1.0, 0.75]])
    assert get_rule("geomed")(Y, 0, None).tolist() == [0.0, 0.0]
