"""Centered clipping, self-centred clipping and bucketing against slow, obvious references."""
from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agreement.rules import PRE_AGGREGATIONS, RULES, get_rule
from agreement.rules.bucketing import bucket_means, bucket_size, permutation
from agreement.rules.clipping import CC_ITERATIONS, centered_clipping, self_centered_clipping


def slow_median(X):
    q, d = len(X), len(X[0])
    out = []
    for k in range(d):
        c = sorted(float(x[k]) for x in X)
        out.append(c[q // 2] if q % 2 else 0.5 * (c[q // 2 - 1] + c[q // 2]))
    return out


def slow_clip_step(X, c, f, tau=None):
    q, d = len(X), len(c)
    diffs = [[float(x[k]) - c[k] for k in range(d)] for x in X]
    dist = [math.sqrt(sum(v * v for v in row)) for row in diffs]
    if tau is None:
        tau = sorted(dist, reverse=True)[f] if f < q else 0.0
    out = list(c)
    for row, r in zip(diffs, dist):
        s = tau / r if r > tau else 1.0
        for k in range(d):
            out[k] += s * row[k] / q
    return out


def slow_cc(X, f, L=CC_ITERATIONS, tau=None):
    v = slow_median(X)
    for _ in range(L):
        v = slow_clip_step(X, v, f, tau)
    return np.array(v)


def slow_cwtm(X, f):
    q, d = X.shape
    return np.array([sum(sorted(X[:, k])[f : q - f]) / (q - 2 * f) for k in range(d)])


@st.composite
def family(draw, min_q=1, max_q=12):
    q = draw(st.integers(min_q, max_q))
    f = draw(st.integers(0, q))
    d = draw(st.integers(1, 5))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((q, d)) * draw(st.sampled_from([1e-2, 1.0, 1e2]))
    if draw(st.booleans()) and q > 1:
        X[-1] = 1e6  # a far Byzantine-looking row
    return X, f, rng.standard_normal(d)


@settings(max_examples=200, deadline=None)
@given(family())
def test_centered_clipping_matches_the_slow_reference(case):
    X, f, _ = case
    np.testing.assert_allclose(get_rule("cc")(X, f, None), slow_cc(X, f), rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(centered_clipping(X, f, tau=0.5, iterations=2), slow_cc(X, f, 2, 0.5),
                               rtol=1e-9, atol=1e-9)


@settings(max_examples=200, deadline=None)
@given(family())
def test_self_centered_clipping_matches_the_slow_reference(case):
    X, f, own = case
    np.testing.assert_allclose(get_rule("scclip")(X, f, own), slow_clip_step(X, list(own), f), rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(self_centered_clipping(X, f, None), slow_clip_step(X, slow_median(X), f),
                               rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(self_centered_clipping(X, f, own, tau=0.3), slow_clip_step(X, list(own), f, 0.3),
                               rtol=1e-9, atol=1e-9)


def test_clipping_bounds_a_far_row_and_is_the_mean_without_byzantine():
    rng = np.random.default_rng(0)
    H = rng.standard_normal((8, 3))
    X = np.vstack([H, np.full((2, 3), 1e9)])
    for name in ("cc", "scclip"):
        out = get_rule(name)(X, 2, H[0])
        assert np.linalg.norm(out - H.mean(axis=0)) < 3 * np.abs(H).max(), name  # the far rows moved it little
        np.testing.assert_allclose(get_rule(name)(H, 0, H[0]), H.mean(axis=0), atol=1e-12)
    # self-centred with tau = 0 stays at own; with f >= q as well
    np.testing.assert_array_equal(self_centered_clipping(H, 0, H[3], tau=0.0), H[3])
    np.testing.assert_array_equal(self_centered_clipping(H, 8, H[3]), H[3])


def test_clipping_ignores_non_finite_rows():
    X = np.array([[0.0], [0.1], [0.2], [np.inf], [np.nan]])
    for name in ("cc", "scclip"):
        out = get_rule(name)(X, 2, X[0])
        assert np.isfinite(out).all() and -0.1 <= out[0] <= 0.2, name


def test_bucket_size_leaves_more_than_2f_buckets():
    for q in range(1, 40):
        for f in range(0, (q - 1) // 2 + 1):
            s = bucket_size(q, f)
            assert s >= 1 and math.ceil(q / s) > 2 * f
    assert bucket_size(17, 4) == 2 == 17 // 8  # the NNM paper's setting (n = 17, f = 4): s = 2


@settings(max_examples=200, deadline=None)
@given(family(min_q=3))
def test_bucketing_matches_the_slow_reference(case):
    X, f, _ = case
    f = min(f, (X.shape[0] - 1) // 2)
    q = X.shape[0]
    pi = permutation(X)
    assert sorted(pi.tolist()) == list(range(q))
    s = bucket_size(q, f)
    buckets = [[X[pi[k]] for k in range(b, min(b + s, q))] for b in range(0, q, s)]
    slow = np.array([[sum(float(x[j]) for x in bk) / len(bk) for j in range(X.shape[1])] for bk in buckets])
    np.testing.assert_allclose(bucket_means(X, f), slow, rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(get_rule("bucketing+cwtm")(X, f, None), slow_cwtm(slow, f), rtol=1e-9, atol=1e-9)


def test_bucketing_permutation_is_deterministic_and_data_dependent():
    rng = np.random.default_rng(5)
    X = rng.standard_normal((16, 4))
    assert np.array_equal(permutation(X), permutation(X.copy()))
    Y = X.copy()
    Y[0, 0] += 1e-9
    perms = {tuple(permutation(Z)) for Z in (X, Y, X + 1, X[::-1].copy())}
    assert len(perms) == 4  # unrelated inputs get unrelated permutations (here: all different)
    assert not np.array_equal(permutation(X, seed=1), permutation(X))
    # bucketing+mean is the mean when every bucket is full (s divides q)
    np.testing.assert_allclose(get_rule("bucketing+mean")(X, 3, None), X.mean(axis=0), atol=1e-12)  # s = 2


def test_new_rules_are_registered():
    for name in ("cc", "centered_clipping", "scclip", "self_centered_clipping"):
        assert name in RULES
    assert "bucketing" in PRE_AGGREGATIONS
    with pytest.raises(ValueError):
        bucket_means(np.zeros((3, 2)), 1, s=0)
