"""Local Polyak momentum (NNM paper, D-SHB, eq. 3) in LEARN, against a slow reference; the new
learn keys' validation."""
from __future__ import annotations

import numpy as np
import pytest

from agreement.learn import PHASE_GRAD, PHASE_PARAM, LearnMachine, avg_builder, instance_of, tau
from nodes.workloads import Quadratic, train_alone
from scenarios.errors import ScenarioError
from scenarios.run.execute import prepare
from scenarios.run.learn import run_learn
from tests.test_attacks_learn import H, X, feed, make_adv, written
from tests.test_learn import drive


def log2_iters(t, phase):
    return tau(t) if phase == PHASE_GRAD else 1


def slow_dshb(x, theta1, T, eta, beta):
    """Exact averaging (f = 0, mean rule): every node holds the same theta; node i's momentum
    m_i = beta m_i + (1 - beta) (theta - x_i) and theta <- theta - eta mean_i m_i."""
    theta, m = np.array(theta1, dtype=float), [np.zeros_like(theta1) for _ in x]
    out = [theta.copy()]
    for _ in range(T):
        for i in range(len(x)):
            m[i] = beta * m[i] + (1 - beta) * (theta - x[i])
        theta = theta - eta * np.mean(m, axis=0)
        out.append(theta.copy())
    return out


@pytest.mark.parametrize("beta", [0.0, 0.5, 0.9])
def test_learn_with_momentum_is_distributed_heavy_ball(beta):
    rng = np.random.default_rng(0)
    n, d, T, eta = 4, 3, 7, 0.3
    x = rng.standard_normal((n, d))
    theta1 = rng.standard_normal(d)
    build = avg_builder("mean", n=n, f=0, q=n, include_self=True, rule="mean")
    agreed = {}
    ms = [LearnMachine(i, theta1, (lambda i: lambda th, t: th - x[i])(i), T=T, eta=eta, avg=build,
                       iterations=log2_iters, momentum=beta,
                       on_grad=lambda node, t, g, gam: agreed.setdefault(t, {}).__setitem__(node, g))
          for i in range(n)]
    outs = drive(ms)
    ref = slow_dshb(x, theta1, T, eta, beta)
    for i in range(n):
        np.testing.assert_allclose(outs[i], ref[-1], rtol=1e-12, atol=1e-12)
    # what a node agrees on in round 1 is (1 - beta) g_1 (m_0 = 0), and g_1 itself without momentum
    for i in range(n):
        np.testing.assert_allclose(agreed[1][i], (1 - beta) * (theta1 - x[i]))
    with pytest.raises(ValueError):
        LearnMachine(0, theta1, lambda th, t: th, T=1, eta=0.1, avg=build, iterations=log2_iters, momentum=1.0)


def test_train_alone_with_momentum():
    x = np.random.default_rng(1).standard_normal((2, 3))
    w = Quadratic(x)
    theta1 = np.ones(3)
    got = train_alone(w, 1, theta1, 5, 0.2, np.random.default_rng(0), momentum=0.8)
    ref = slow_dshb(x[1:2], theta1, 5, 0.2, 0.8)[-1]
    np.testing.assert_allclose(got, ref, rtol=1e-12)
    np.testing.assert_allclose(train_alone(w, 1, theta1, 5, 0.2, np.random.default_rng(0)),
                               slow_dshb(x[1:2], theta1, 5, 0.2, 0.0)[-1], rtol=1e-12)


def test_label_flip_sends_its_flipped_momentum():
    x = np.random.default_rng(2).standard_normal((H, X.shape[1]))
    w = Quadratic(x)
    theta1, eta, beta = np.ones(X.shape[1]), 0.25, 0.5
    adv, kr = make_adv("lf", ctx={"workload": w, "eta": eta, "theta1": theta1, "momentum": beta})
    inst = instance_of(1, PHASE_GRAD)
    feed(adv, kr, X, inst)
    m1 = (1 - beta) * w.flipped_grad(H, theta1, 1, None)
    np.testing.assert_allclose(written(adv, H, 0, inst), m1)
    feed(adv, kr, X, instance_of(1, PHASE_PARAM))
    np.testing.assert_allclose(written(adv, H, 0, instance_of(1, PHASE_PARAM)), theta1 - eta * m1)
    inst2 = instance_of(2, PHASE_GRAD)
    feed(adv, kr, X, inst2)
    m2 = beta * m1 + (1 - beta) * w.flipped_grad(H, X.mean(axis=0), 2, None)
    np.testing.assert_allclose(written(adv, H, 0, inst2), m2)


def test_momentum_run_end_to_end_and_reported():
    sets = ["system.n=6", "system.f=1", "system.dim=3", "learn.rounds=6", "learn.momentum=0.5",
            'adversary.attack="lf"']
    res = run_learn(prepare("learn-quadratic", sets, 3))
    assert res["checks"]["termination"]["holds"] and res["learn"]["momentum"] == 0.5
    assert res["scenario"]["learn"]["momentum"] == 0.5
    base = run_learn(prepare("learn-quadratic", sets[:-2] + ['adversary.attack="lf"'], 3))
    assert base["learn"]["momentum"] == 0.0 and base["trace_digest"] != res["trace_digest"]


@pytest.mark.parametrize("key,value", [("momentum", "1.0"), ("momentum", "-0.1"), ("hidden", "[0]"),
                                       ("hidden", "32"), ("dataset", '"cifar10"'), ("batch", '"tiny"')])
def test_new_learn_keys_are_validated(key, value):
    # refused when the scenario is resolved, before anything runs
    with pytest.raises(ScenarioError, match=f"learn.{key}"):
        prepare("learn-quadratic", [f"learn.{key}={value}"], None)
