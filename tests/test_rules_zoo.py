"""Every rule of the zoo against a slow, obvious reference on random inputs (hypothesis), and every
rule usable as the rule of "iterate a rule"."""
from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agreement.rules import RULES, get_rule
from agreement.rules.geomed import geomed
from agreement.rules.krum import kappa_krum, krum, krum_scores, multikrum
from agreement.rules.meamed import meamed
from agreement.rules.nnm import kappa_nnm, nnm_mix


def sq(a, b):
    return sum((float(x) - float(y)) ** 2 for x, y in zip(a, b))


def slow_scores(X, f):
    q = len(X)
    return [sum(sorted(sq(X[j], X[i]) for i in range(q))[: q - f]) for j in range(q)]


def slow_krum(X, f):
    s = slow_scores(X, f)
    return X[min(range(len(X)), key=lambda j: (s[j], j))]


def slow_multikrum(X, f):
    s = slow_scores(X, f)
    keep = sorted(range(len(X)), key=lambda j: (s[j], j))[: len(X) - f]
    return np.mean([X[j] for j in keep], axis=0)


def slow_meamed(X, f):
    q, d = X.shape
    out = []
    for k in range(d):
        col = sorted(float(v) for v in X[:, k])
        med = col[q // 2] if q % 2 else 0.5 * (col[q // 2 - 1] + col[q // 2])
        order = sorted(range(q), key=lambda i: (abs(float(X[i, k]) - med), i))[: q - f]
        out.append(sum(float(X[i, k]) for i in order) / (q - f))
    return np.array(out)


def slow_nnm(X, f):
    q = len(X)
    rows = []
    for i in range(q):
        order = sorted(range(q), key=lambda j: (sq(X[i], X[j]), j))[: q - f]
        rows.append(np.mean([X[j] for j in order], axis=0))
    return np.array(rows)


def slow_cwtm(X, f):
    q, d = X.shape
    return np.array([sum(sorted(X[:, k])[f : q - f]) / (q - 2 * f) for k in range(d)])


def slow_median(X):
    q, d = X.shape
    out = []
    for k in range(d):
        c = sorted(X[:, k])
        out.append(c[q // 2] if q % 2 else 0.5 * (c[q // 2 - 1] + c[q // 2]))
    return np.array(out)


def gm_objective(X, y):
    return float(sum(math.sqrt(sq(x, y)) for x in X))


@st.composite
def family(draw, min_q=2, max_q=12, need=lambda q: q - 1):
    q = draw(st.integers(min_q, max_q))
    f = draw(st.integers(0, need(q)))
    d = draw(st.integers(1, 5))
    seed = draw(st.integers(0, 2**32 - 1))
    X = np.random.default_rng(seed).standard_normal((q, d)) * draw(st.sampled_from([1e-2, 1.0, 1e2]))
    return X, f


@settings(max_examples=200, deadline=None)
@given(family())
def test_krum_and_multikrum(case):
    X, f = case
    np.testing.assert_allclose(krum_scores(X, f), slow_scores(X, f), rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(krum(X, f), slow_krum(X, f), rtol=0, atol=1e-12)
    np.testing.assert_allclose(multikrum(X, f), slow_multikrum(X, f), rtol=1e-12, atol=1e-12)


@settings(max_examples=200, deadline=None)
@given(family())
def test_meamed(case):
    X, f = case
    np.testing.assert_allclose(meamed(X, f), slow_meamed(X, f), rtol=1e-12, atol=1e-12)


@settings(max_examples=200, deadline=None)
@given(family())
def test_nnm_mix_and_composition(case):
    X, f = case
    np.testing.assert_allclose(nnm_mix(X, f), slow_nnm(X, f), rtol=1e-9, atol=1e-9)
    if X.shape[0] > 2 * f:
        np.testing.assert_allclose(get_rule("nnm+cwtm")(X, f), slow_cwtm(slow_nnm(X, f), f), rtol=1e-9, atol=1e-9)


@settings(max_examples=200, deadline=None)
@given(family(min_q=3, need=lambda q: (q - 1) // 2))
def test_cwtm_and_median(case):
    X, f = case
    np.testing.assert_allclose(get_rule("cwtm")(X, f), slow_cwtm(X, f), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(get_rule("cwmed")(X, f), slow_median(X), rtol=0, atol=1e-12)


@settings(max_examples=100, deadline=None)
@given(family(min_q=1, max_q=10))
def test_geomed_minimises_the_sum_of_distances(case):
    X, _ = case
    y = geomed(X)
    scale = float(np.abs(X).max()) + 1e-300
    obj = gm_objective(X, y)
    # no input point, the mean, the median, nor a small step in any axis direction does better
    cands = list(X) + [X.mean(axis=0), np.median(X, axis=0)]
    for k in range(X.shape[1]):
        for s in (1e-4, -1e-4):
            e = np.zeros(X.shape[1])
            e[k] = s * scale
            cands.append(y + e)
    for c in cands:
        assert obj <= gm_objective(X, c) + 1e-7 * scale * len(X)


def test_geomed_collinear_and_non_finite():
    X = np.array([[0.0, 0.0], [1.0, 0.0], [2.0, 0.0], [10.0, 0.0], [np.nan, 1.0]])
    np.testing.assert_allclose(geomed(X), [1.5, 0.0], atol=1e-6)  # any point of [1, 2] is optimal; symmetric start
    np.testing.assert_allclose(geomed(X[:3]), [1.0, 0.0], atol=1e-8)


def test_non_finite_rows_are_ignored_by_distance_rules():
    X = np.array([[0.0], [0.1], [0.2], [np.inf], [np.nan]])
    for name in ("krum", "multikrum", "meamed", "cva", "mda", "mda-all-minimal", "geomed", "nnm+mda", "nnm+krum"):
        out = get_rule(name)(X, 2, X[0])
        assert np.isfinite(out).all() and 0.0 <= out[0] <= 0.2, name


def test_kappas_follow_the_paper():
    n, f = 17, 4
    assert kappa_krum(n, f) == pytest.approx(6 * (1 + 4 / 9))
    assert kappa_nnm(n, f, 1.0) == pytest.approx(8 * 4 / 13 * 2)


@pytest.mark.parametrize("rule", sorted(set(RULES) - {"trimmed_middle"}) + ["nnm+cwtm", "nnm+mda", "nnm-own+krum"])
def test_every_rule_runs_as_iterate_a_rule(rule):
    from scenarios.spec.resolve import resolve
    from scenarios.run.agreement import run_agreement

    cfg = resolve({"scenario": {"name": f"zoo-{rule}", "seed": 3},
                   "system": {"n": 8, "f": 1, "dim": 3},
                   "algorithm": {"name": rule, "iterations": 3},
                   "inputs": {"kind": "gaussian"},
                   "adversary": {"attack": "noise", "schedule": "random"}})
    res = run_agreement(cfg)
    assert res["checks"]["termination"]["holds"]
    assert len(res["iterations"]) == 4
    assert res["iterations"][-1]["diameter"] < 10 * res["iterations"][0]["diameter"]


def test_bench_functions_agree_on_the_subset():
    from scenarios.bench.rules import bench_mda, bench_rules, naive_mda_recompute

    r = bench_mda(q=9, f=2, d=6, repeat=1)
    assert r["same_subset_matrix"] and r["same_subset_recompute"]
    assert r["diameter"] == pytest.approx(r["diameter_recompute"], rel=1e-9)
    rr = bench_rules(q=7, f=2, d=50, repeat=1, rules=("cwtm", "mda", "nnm+cwtm", "nope"))
    assert [row["rule"] for row in rr["rules"]] == ["cwtm", "mda", "nnm+cwtm"]
    X = np.random.default_rng(1).standard_normal((6, 3))
    from agreement.rules.mda import mda_select
    assert tuple(mda_select(X, 2)[0]) == naive_mda_recompute(X, 2)[0]


def test_rules_table_lists_every_rule_and_algorithm():
    from agreement.rules_table import render

    text = render()
    for name in sorted(RULES):
        assert f"| {name}" in text or f"{name})" in text or f", {name}" in text, name
    for alg in ("icwtm", "mda", "cva"):
        assert f"| {alg} |" in text
    assert "| mda | n >= 6f + 1" in text


def test_krum_gram_order_is_the_reference_order():
    """Krum / Multi-Krum at large q^2 d decide the order of the scores from an uncentered Gram product
    with a rigorous bound: when they decide, it is the reference order, and the outputs are the
    reference outputs bit for bit (ties, duplicates and offsets fall back to the reference)."""
    import agreement.rules.krum as K
    from agreement.rules.overflow import safe_mean
    from scenarios.bench.rules import mda_inputs

    decided = 0
    for seed in range(24):
        rng = np.random.default_rng(seed)
        q = int(rng.integers(5, 32))
        f = int(rng.integers(1, (q - 1) // 2 + 1))
        d = max(2000, (1 << 20) // (q * q) + 1)
        X = mda_inputs(q, f, d, seed)
        if seed % 3 == 0:
            X = np.round(X * 4) / 4
        if seed % 4 == 0:
            X[-3:] = X[-1]
        if seed % 5 == 0:
            X = X + 300.0
        ref = np.argsort(K.krum_scores(X, f), kind="stable")
        order = K._fast_order(X, f, q - f)
        if order is not None:
            decided += 1
            assert np.array_equal(order, ref[: q - f])
        assert np.array_equal(K.krum(X, f), X[ref[0]])
        assert np.array_equal(K.multikrum(X, f), safe_mean(X[ref[: q - f]]))
    assert decided >= 8


@pytest.mark.parametrize("q", [2, 3, 8, 31])
def test_geomed_helpers_are_numpy_bit_for_bit(q):
    """geomed's distances two rows at a time and its kernel median give numpy's numbers."""
    import agreement.rules.geomed as G

    rng = np.random.default_rng(q)
    for d in (700, 5000):
        X = rng.standard_normal((q, d))
        z = rng.standard_normal(d)
        diff = X - z
        assert np.array_equal(G._sq_dist(X, z, np.empty((2, d))), np.einsum("ij,ij->i", diff, diff))
        assert np.array_equal(G._median(X), np.median(X, axis=0))
        X[:, ::4] = 0.0
        X[0, ::8] = -0.0
        assert np.array_equal(G._median(X), np.median(X, axis=0))


def _weiszfeld_reference(X, tol=1e-10, nu=1e-12, max_iter=2000):
    """geomed's iterations as first written (numpy median, q x d temporaries, every distance)."""
    z = np.median(X, axis=0)
    diff = X - z
    dist = np.sqrt(np.einsum("ij,ij->i", diff, diff))
    s = dist.mean() or 1.0
    for _ in range(max_iter):
        near = dist <= nu * s
        far = ~near
        if not far.any():
            break
        w = 1.0 / dist[far]
        T = (w @ X[far]) / w.sum()
        eta = int(near.sum())
        if eta:
            r = np.linalg.norm(w @ (X[far] - z))
            g = min(1.0, eta / r) if r > 0 else 1.0
            z_new = (1.0 - g) * T + g * z
        else:
            z_new = T
        step = np.linalg.norm(z_new - z)
        z = z_new
        diff = X - z
        dist = np.sqrt(np.einsum("ij,ij->i", diff, diff))
        if step <= tol * s:
            break
    return z


@pytest.mark.parametrize("seed", range(6))
def test_geomed_is_the_reference_iteration_bit_for_bit(seed):
    """geomed's faster passes (kernel median, no copies, two-row distances, no distances after the
    last step) leave every iterate, hence the result, unchanged."""
    rng = np.random.default_rng(seed)
    q = int(rng.choice([2, 7, 12, 31]))
    X = rng.standard_normal((q, int(rng.choice([600, 9000]))))
    if seed % 2:
        X[1 % q] = X[0]  # a row on the median: the Vardi-Zhang step
    if seed % 3 == 0:
        X = np.round(X * 2) / 2
    assert np.array_equal(geomed(X), _weiszfeld_reference(X))
