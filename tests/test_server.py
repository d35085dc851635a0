"""The trusted-server baseline (NNM paper, Algorithm 3): the sans-IO machines against a slow D-SHB
reference, first-q gathering, and end-to-end runs through the adversarial network."""
from __future__ import annotations

from collections import deque

import numpy as np
import pytest

from agreement.messages import BROADCAST, Envelope
from agreement.rules import get_rule
from agreement.server import MODEL, MOMENTUM, ServerMachine, WorkerMachine, model_instance, momentum_instance
from scenarios.errors import ScenarioError
from scenarios.run.execute import prepare
from scenarios.run.learn import run_learn


def drive(machines):
    """FIFO delivery of every message (unicast or broadcast) among ``machines`` (id -> machine)."""
    q, outputs = deque(), {}

    def take(i, step):
        for out in step.send:
            for j in (machines if out.to == BROADCAST else [out.to]):
                if j != i:
                    q.append((j, out.envelope))
        if step.done:
            outputs[i] = step.output
    for i, m in machines.items():
        take(i, m.start())
    while q:
        j, env = q.popleft()
        take(j, machines[j].feed(env))
    return outputs


@pytest.mark.parametrize("beta", [0.0, 0.9])
def test_server_with_mean_is_d_shb(beta):
    rng = np.random.default_rng(0)
    n, d, T, eta = 4, 3, 6, 0.3
    x = rng.standard_normal((n, d))
    theta1 = rng.standard_normal(d)
    ms = {i: WorkerMachine(i, n, (lambda i: lambda th, t: th - x[i])(i), T=T, eta=eta, momentum=beta) for i in range(n)}
    ms[n] = ServerMachine(n, theta1, workers=list(range(n)), f=0, q=n, rule=get_rule("mean"), T=T, eta=eta)
    outs = drive(ms)
    theta, m = theta1.copy(), np.zeros((n, d))
    for _ in range(T):  # Algorithm 3 with F = mean, written out
        for i in range(n):
            m[i] = beta * m[i] + (1 - beta) * (theta - x[i])
        theta = theta - eta * m.mean(axis=0)
    assert set(outs) == set(range(n + 1))
    for i in outs:
        np.testing.assert_allclose(outs[i], theta, rtol=1e-12, atol=1e-12)


def test_server_gathers_the_first_q_momenta_of_a_round():
    seen = []

    def spy(X, f, own):
        seen.append((X.copy(), f, own))
        return X.mean(axis=0)
    srv = ServerMachine(9, np.zeros(2), workers=list(range(5)), f=1, q=3, rule=spy, T=2, eta=1.0)
    step = srv.start()
    assert step.send[0].envelope.kind == MODEL and step.send[0].envelope.instance == model_instance(1)

    def mom(sender, t, v, kind=MOMENTUM):
        return Envelope(kind, sender, 0, momentum_instance(t), {"x": np.full(2, float(v))})
    assert srv.feed(mom(0, 2, 7.0)).rejected is None            # a later round is buffered
    assert srv.feed(mom(4, 1, 1.0)).rejected is None
    assert srv.feed(mom(4, 1, 5.0)).rejected == "duplicate"
    assert srv.feed(mom(1, 1, 2.0, kind=MODEL)).rejected == "wrong_kind"
    assert srv.feed(mom(12, 1, 2.0)).rejected == "unknown_sender"
    assert srv.feed(mom(1, 3, 2.0)).rejected == "round_out_of_range"
    srv.feed(mom(1, 1, 2.0))
    step = srv.feed(mom(2, 1, 3.0))                             # the q-th: aggregate, theta_2 goes out
    X, f, own = seen[0]
    np.testing.assert_array_equal(X, [[1.0, 1.0], [2.0, 2.0], [3.0, 3.0]])
    assert f == 1 and own is None
    np.testing.assert_allclose(step.send[0].envelope.payload["x"], [-2.0, -2.0])
    assert srv.feed(mom(3, 1, 4.0)).rejected == "stale_round"   # the (q+1)-th of round 1 is too late
    assert srv.t == 2 and list(srv.rows) == [0]                 # the buffered round-2 momentum is in


def test_worker_processes_models_in_order_and_only_from_the_server():
    got = []
    wk = WorkerMachine(0, 5, lambda th, t: th + t, T=2, eta=0.5, on_theta=lambda i, t, th: got.append((t, th[0])))

    def model(t, v, sender=5):
        return Envelope(MODEL, sender, 0, model_instance(t), {"x": np.full(1, float(v))})
    assert wk.feed(model(1, 1.0, sender=3)).rejected == "not_from_server"
    assert wk.feed(model(2, 2.0)).send == []                    # theta_2 before theta_1: buffered
    step = wk.feed(model(1, 1.0))
    assert [o.envelope.instance for o in step.send] == [momentum_instance(1), momentum_instance(2)]
    assert all(o.to == 5 for o in step.send)
    assert got == [(1, 1.0), (2, 2.0)]
    step = wk.feed(model(3, 3.0))
    assert step.done and step.output[0] == 3.0
    assert wk.feed(model(3, 3.0)).rejected == "stale_round"


def _server(attack, rule="cwtm", **learn):
    sets = ['algorithm.name="server"', f'algorithm.rule="{rule}"', "system.n=7", "system.f=2", "system.dim=3",
            f'adversary.attack="{attack}"', "learn.rounds=6", "learn.alone=false"]
    sets += [f"learn.{k}={v}" for k, v in learn.items()]
    return run_learn(prepare("learn-quadratic", sets, 2))


@pytest.mark.parametrize("attack", ["none", "alie", "lf", "ipm", "dissensus", "garbage", "split"])
def test_server_end_to_end_under_attack(attack):
    res = _server(attack, momentum=0.5)
    assert res["checks"]["termination"]["holds"] and not res["stalled"]
    assert res["checks"]["agreement"]["measured"] == 0.0       # every worker outputs the server's model
    L = res["learn"]["rounds"]
    assert len(L) == 7 and L[-1]["grad_norm"] < L[0]["grad_norm"]
    assert "not_from_server" not in res["messages"]["rejected"]  # Byzantine vectors go to the server only
    if attack != "garbage":  # (garbage replays honest messages, models included)
        assert res["messages"]["by_kind"]["MODEL"] == 7 * 7     # theta_1..theta_7 to the 7 workers


def test_server_is_deterministic_and_learn_only():
    a, b = _server("alie", rule="nnm+cwtm"), _server("alie", rule="nnm+cwtm")
    assert a["trace_digest"] == b["trace_digest"]
    # refused when the scenario is resolved, before anything runs
    with pytest.raises(ScenarioError, match="LEARN"):
        prepare("icwtm-contraction", ['algorithm.name="server"'], 1)


def test_server_budget_counts_its_rounds():
    """The resource budget counts T + 1 rounds of 2n messages (model out, momenta and Byzantine slots in)."""
    from scenarios.spec.budget import estimate

    sets = ['algorithm.name="server"', "system.n=7", "system.f=2", "system.dim=3", 'adversary.attack="alie"',
            "learn.rounds=6", "learn.alone=false"]
    sc = prepare("learn-quadratic", sets, 2)
    e = estimate(sc)
    assert (e["iterations"], e["messages_per_iteration"]) == (7, 14)
    res = run_learn(sc)
    assert res["steps"] <= e["deliveries"] and res["messages"]["by_kind"]["MODEL"] == 7 * 7
    with pytest.raises(ScenarioError, match="run.max_steps"):
        prepare("learn-quadratic", sets + ["run.max_steps=97"], 2)
