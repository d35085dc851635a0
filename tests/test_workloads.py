"""Workloads of LEARN: gradients against finite differences, the growing batch, the Dirichlet split."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nodes.workloads import Digits, LinReg, Quadratic, dirichlet_split, train_alone


def fd_directional(fn, theta, v, eps=1e-6):
    return (fn(theta + eps * v) - fn(theta - eps * v)) / (2 * eps)


@pytest.fixture(scope="module")
def digits():
    return Digits(parts=5, h=4, alpha=1.0, rng=np.random.default_rng(3), batch="growing", batch0=4, lam=1e-2)


def test_quadratic_gradient_and_constants():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 3))
    w = Quadratic(x)
    theta = rng.standard_normal(3)
    for j in range(4):
        for i in range(3):
            e = np.eye(3)[i]
            assert w.grad(j, theta)[i] == pytest.approx(fd_directional(lambda th: w.loss(j, th), theta, e), abs=1e-6)
    # grad Lbar(theta) = theta - mean(x) (eq. 117) and K = D2(x) (eq. 115) at every theta
    assert np.allclose(w.avg_grad(theta), theta - x.mean(axis=0))
    from agreement.diameters import d2
    assert w.K_at(theta) == pytest.approx(d2(x))


def test_linreg_gradient_full_finite_differences():
    rng = np.random.default_rng(1)
    w = LinReg(h=3, d=4, m=10, hetero=1.0, noise=0.1, rng=rng)
    theta = rng.standard_normal(4)
    for j in range(3):
        fd = np.array([fd_directional(lambda th: w.loss(j, th), theta, e) for e in np.eye(4)])
        assert np.allclose(w.grad(j, theta), fd, atol=1e-6)
    # L is the largest eigenvalue of A^T A / m: the gradient is L-Lipschitz, tight along the top eigenvector
    a = w.A[0]
    assert w.L >= np.linalg.eigvalsh(a.T @ a / w.m)[-1] - 1e-12


def test_digits_gradient_directional_finite_differences(digits):
    rng = np.random.default_rng(2)
    theta = 0.1 * rng.standard_normal(digits.d)
    for j in range(digits.h):
        g = digits.grad(j, theta)
        for _ in range(3):
            v = rng.standard_normal(digits.d)
            assert g @ v == pytest.approx(fd_directional(lambda th: digits.loss(j, th), theta, v), rel=1e-5, abs=1e-7)


def test_digits_flipped_gradient_is_gradient_on_labels_9_minus_l(digits):
    theta = 0.05 * np.random.default_rng(4).standard_normal(digits.d)
    j = 4  # a Byzantine shard
    X, y = digits.Xs[j], digits.ys[j]
    W = theta.reshape(digits.p, 10)
    yf = 9 - y

    def loss(th):
        Wt = th.reshape(digits.p, 10)
        z = X @ Wt
        lse = np.log(np.exp(z).sum(axis=1))
        return np.mean(lse - z[np.arange(len(yf)), yf]) + 0.5 * digits.lam * np.sum(Wt * Wt)
    full = Digits.__new__(Digits)
    full.__dict__.update(digits.__dict__)
    full.batch = "full"
    g = full.flipped_grad(j, theta, 1, np.random.default_rng(0))
    v = np.random.default_rng(5).standard_normal(digits.d)
    assert g @ v == pytest.approx(fd_directional(loss, theta, v), rel=1e-5)
    assert W.shape == (65, 10)


def test_growing_batch_noise_vanishes(digits):
    rng = np.random.default_rng(0)
    theta = 0.1 * rng.standard_normal(digits.d)
    j = 0
    m = len(digits.ys[j])
    small = digits.stoch_grad(j, theta, 1, rng)
    assert not np.allclose(small, digits.grad(j, theta))  # a batch of 4 is noisy
    t_full = int(np.ceil(m / digits.batch0))
    assert np.allclose(digits.stoch_grad(j, theta, t_full, rng), digits.grad(j, theta))  # whole shard: exact


def test_digits_accuracy_matches_slow_reference(digits):
    theta = 0.3 * np.random.default_rng(6).standard_normal(digits.d)
    W = theta.reshape(digits.p, 10)
    correct = 0
    for x, y in zip(digits.X_test, digits.y_test):
        scores = [sum(x[i] * W[i, c] for i in range(digits.p)) for c in range(10)]
        correct += int(np.argmax(scores) == y)
    assert digits.accuracy(theta) == pytest.approx(correct / len(digits.y_test))


def test_digits_split_uses_every_training_sample_once(digits):
    allidx = np.concatenate(digits.shards)
    assert np.array_equal(np.sort(allidx), np.arange(digits.y_train.size))
    assert digits.d == 650


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 6), st.integers(2, 7), st.floats(0.05, 20.0), st.integers(0, 10**6), st.integers(20, 120))
def test_dirichlet_split_properties(classes, parts, alpha, seed, m):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, classes, size=m)
    shards, P = dirichlet_split(labels, parts, alpha, np.random.default_rng(seed + 1), classes)
    # every sample in exactly one shard
    allidx = np.concatenate(shards)
    assert np.array_equal(np.sort(allidx), np.arange(m))
    # class c's count in shard k follows the drawn proportions: slow reference of the rounding rule
    assert P.shape == (classes, parts) and np.allclose(P.sum(axis=1), 1.0)
    for c in range(classes):
        mc = int(np.sum(labels == c))
        edges = [0] + [int(np.round(sum(P[c][: k + 1]) * mc)) for k in range(parts - 1)] + [mc]
        for k in range(parts):
            got = int(np.sum(labels[shards[k]] == c))
            assert got == edges[k + 1] - edges[k]
            assert abs(got - P[c][k] * mc) <= 1.0 + 1e-9


def test_train_alone_is_gradient_descent_on_own_loss():
    x = np.array([[1.0, 2.0], [3.0, -1.0]])
    w = Quadratic(x)
    th = train_alone(w, 1, np.zeros(2), 5, 0.5, np.random.default_rng(0))
    ref = np.zeros(2)
    for _ in range(5):
        ref = ref - 0.5 * (ref - x[1])
    assert np.allclose(th, ref)
