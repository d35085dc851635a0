"""LEARN (Algorithm 1): the sans-IO machine against a slow reference, instance separation, and short
end-to-end runs over the real network for every AVG algorithm of this build."""
from __future__ import annotations

from collections import deque

import numpy as np
import pytest

from agreement.learn import PHASE_GRAD, PHASE_PARAM, LearnMachine, avg_builder, instance_of, phase_of, tau
from agreement.messages import BROADCAST, Envelope
from agreement.rules import RULES
from nodes.attacks import LEARN_BROADCAST_ATTACKS
from scenarios.errors import ScenarioError
from scenarios.run.execute import prepare
from scenarios.run.learn import run_learn


def drive(machines):
    """Deliver every message FIFO to every other node (a benign synchronous network)."""
    q = deque()
    outputs = {}

    def take(i, step):
        for out in step.send:
            assert out.to == BROADCAST
            for j in range(len(machines)):
                if j != i:
                    q.append((j, out.envelope))
        if step.done:
            outputs[i] = step.output
    for i, m in enumerate(machines):
        take(i, m.start())
    while q:
        j, env = q.popleft()
        take(j, machines[j].feed(env))
    return outputs


def log2_iters(t, phase):
    return tau(t) if phase == PHASE_GRAD else 1


def test_tau_and_instances():
    assert [tau(t) for t in (1, 2, 3, 4, 5, 8, 9)] == [0, 1, 2, 2, 3, 3, 4]
    for t in (1, 2, 7):
        for ph in (PHASE_GRAD, PHASE_PARAM):
            assert phase_of(instance_of(t, ph)) == (t, ph)
    assert len({instance_of(t, ph) for t in range(1, 20) for ph in (0, 1)}) == 38


@pytest.mark.parametrize("output", ["last", "random"])
def test_learn_with_mean_rule_is_gradient_descent_on_the_average_loss(output):
    """With f = 0, q = n and the mean rule, AVG is exact averaging, so Algorithm 1 is gradient descent on
    Lbar: theta_{t+1} = theta_t - eta (theta_t - mean x) for the quadratic losses of Theorem 2."""
    rng = np.random.default_rng(0)
    n, d, T, eta = 4, 3, 6, 0.3
    x = rng.standard_normal((n, d))
    theta1 = rng.standard_normal(d)
    build = avg_builder("mean", n=n, f=0, q=n, include_self=True, rule="mean")
    seen = {}
    ms = [LearnMachine(i, theta1, (lambda i: lambda th, t: th - x[i])(i), T=T, eta=eta, avg=build,
                       iterations=log2_iters, output=output, output_index=3,
                       on_theta=lambda node, t, th: seen.setdefault(t, {}).__setitem__(node, th))
          for i in range(n)]
    outs = drive(ms)
    ref = [theta1]
    for _ in range(T):
        ref.append(ref[-1] - eta * (ref[-1] - x.mean(axis=0)))
    want = ref[-1] if output == "last" else ref[2]
    assert set(outs) == set(range(n))
    for i in range(n):
        assert np.allclose(outs[i], want)
    assert sorted(seen) == list(range(1, T + 2))
    for t in seen:
        for i in range(n):
            assert np.allclose(seen[t][i], ref[t - 1])


def test_learn_machine_separates_instances():
    d = 2
    build = avg_builder("mean", n=3, f=0, q=3, include_self=True, rule="mean")
    m = LearnMachine(0, np.zeros(d), lambda th, t: np.ones(d), T=3, eta=0.1, avg=build, iterations=log2_iters)
    step = m.start()
    # t = 1: the gradient phase has tau(1) = 0 iterations, so the node is at once in the parameter phase
    assert m.t == 1 and m.phase == PHASE_PARAM and len(step.send) == 1
    assert step.send[0].envelope.instance == instance_of(1, PHASE_PARAM)
    assert np.allclose(step.send[0].envelope.payload["x"], -0.1 * np.ones(d))
    # a message of a later instance is buffered, not fed to the current AVG
    fut = Envelope("VEC", 1, 0, instance_of(2, PHASE_GRAD), {"x": np.full(d, 5.0)})
    s = m.feed(fut)
    assert s.rejected is None and not s.send and m.phase == PHASE_PARAM
    # out-of-range instances are refused
    assert m.feed(Envelope("VEC", 1, 0, instance_of(4, PHASE_GRAD), {"x": np.zeros(d)})).rejected == "round_out_of_range"
    # finishing round 1's parameter phase moves to round 2, where the buffered vector is replayed
    m.feed(Envelope("VEC", 1, 0, instance_of(1, PHASE_PARAM), {"x": -0.1 * np.ones(d)}))
    s = m.feed(Envelope("VEC", 2, 0, instance_of(1, PHASE_PARAM), {"x": -0.1 * np.ones(d)}))
    assert m.t == 2 and m.phase == PHASE_GRAD
    assert s.send and s.send[-1].envelope.instance == instance_of(2, PHASE_GRAD)
    assert m.sub._senders == {0, 1}  # own vector + the replayed one of node 1
    # now round 1's messages are stale
    assert m.feed(Envelope("VEC", 2, 0, instance_of(1, PHASE_PARAM), {"x": np.zeros(d)})).rejected == "stale_round"


def _available_algorithms():
    algs = ["icwtm", "cwmed", "mean", "trimmed_middle"]
    algs += [a for a in ("mda", "cva") if a in RULES]
    return algs


def tiny(alg, attack="split", **learn):
    sets = [f'algorithm.name="{alg}"', "system.n=6", "system.f=1", "system.dim=3", f'adversary.attack="{attack}"',
            "algorithm.allow_below_threshold=true", "learn.rounds=5", "learn.alone=false"]
    sets += [f"learn.{k}={v}" for k, v in learn.items()]
    return prepare("learn-quadratic", sets, 3)


REQUIRED = ("scenario", "seed", "trace_digest", "iterations", "checks", "messages", "learn")


@pytest.mark.parametrize("alg", _available_algorithms())
def test_end_to_end_short_learn_run(alg):
    res = run_learn(tiny(alg))
    for k in REQUIRED:
        assert k in res
    assert res["checks"]["termination"]["holds"]
    assert not res["stalled"]
    L = res["learn"]
    assert [r["iteration"] for r in L["rounds"]] == list(range(1, 7))
    assert L["agreement_iterations"]["gradient"] == [0, 1, 2, 2, 3]
    # LEARN moved the honest mean from theta_1 towards mean(x): the quadratic's gradient norm decreases
    assert L["rounds"][-1]["grad_norm"] < L["rounds"][0]["grad_norm"]
    assert res["messages"]["sent"] > 0


@pytest.mark.parametrize("attack", ["none", "silent"])
def test_end_to_end_broadcast(attack):
    pytest.importorskip("agreement.broadcast.machine")
    cfg = tiny("broadcast", attack=attack)
    assert cfg.adversary.schedule == "random"
    res = run_learn(cfg)
    assert res["checks"]["termination"]["holds"] and not res["stalled"]
    L = res["learn"]
    assert L["rounds"][-1]["grad_norm"] < L["rounds"][0]["grad_norm"]
    assert res["messages"]["by_kind"].get("ECHO", 0) > 0


LEARN_OVER_BROADCAST = sorted(a for a in LEARN_BROADCAST_ATTACKS if a not in ("none", "silent"))


@pytest.mark.parametrize("attack", LEARN_OVER_BROADCAST)
def test_every_learn_attack_runs_over_broadcast(attack):
    """Each vector attack, wrapped as a protocol-following reliable broadcaster, runs against LEARN over
    broadcast-based agreement: the run terminates, Byzantine messages are delivered, honest agree."""
    res = run_learn(tiny("broadcast", attack=attack))
    assert res["checks"]["termination"]["holds"] and not res["stalled"]
    assert res["checks"]["agreement"]["holds"], res["checks"]["agreement"]
    assert res["messages"]["byzantine_deliveries"] > 0
    assert res["messages"]["by_kind"]["REPORT"] > 0
    assert res["learn"]["rounds"][-1]["grad_norm"] < res["learn"]["rounds"][0]["grad_norm"]


def test_learn_attacks_over_broadcast_bite_plain_averaging_and_are_contained_by_the_rule():
    """Over broadcast with plain averaging (``algorithm.rule = mean``) the strong attacks reach the honest
    nodes (their values are reliably delivered and averaged): test accuracy falls far below the clean
    run's; with the paper's trimmed_middle the same attacks leave the honest nodes in agreement."""
    def acc(attack, rule):
        sets = ["algorithm.name=broadcast", f"algorithm.rule={rule}", "system.n=7", "system.f=2",
                f"adversary.attack={attack}", "learn.rounds=8", "learn.avg_iterations=log2", "learn.output=last",
                "learn.alone=false"]
        res = run_learn(prepare("learn-digits", sets, 1))
        assert res["checks"]["termination"]["holds"] and res["checks"]["agreement"]["holds"]
        return res["learn"]["final"]["accuracy_of_mean"]
    clean = acc("none", "mean")
    assert clean > 0.6
    for attack in ("sf", "lf", "alie-opt"):
        assert acc(attack, "mean") < clean - 0.3, attack
    assert acc("foe-opt", "trimmed_middle") > 0.1  # runs, agrees (the rule keeps it off the f extremes)


def test_attacks_bound_to_iterate_are_refused_over_broadcast_and_params_are_typed():
    with pytest.raises(ScenarioError, match=r"adversary.attack = 'theorem4'.*LEARN over broadcast"):
        tiny("broadcast", attack="theorem4")
    cfg = prepare("learn-quadratic", ["algorithm.name=broadcast", "adversary.attack=foe", "adversary.foe_eta=3.0"], 1)
    assert cfg.adversary.params.foe_eta == 3.0
    with pytest.raises(ScenarioError, match="alie_z"):
        prepare("learn-quadratic", ["algorithm.name=broadcast", "adversary.attack=foe", "adversary.alie_z=1.0"], 1)


def test_learn_run_is_a_function_of_the_seed():
    a = run_learn(tiny("icwtm", attack="alie"))
    b = run_learn(tiny("icwtm", attack="alie"))
    assert a["trace_digest"] == b["trace_digest"]
    assert a["learn"]["rounds"][-1]["diameter"] == b["learn"]["rounds"][-1]["diameter"]


def test_learn_quadratic_checks_from_the_run():
    res = run_learn(prepare("learn-quadratic", ["learn.rounds=10", "learn.eta=0.5", "system.n=8", "system.f=1",
                                                "learn.alone=false"], None))
    c = res["checks"]
    assert c["agreement"]["holds"] and c["averaging"]["holds"]
    # the verdicts are computed from the run's own numbers
    L = res["learn"]
    assert c["agreement"]["bound"] == L["delta"] and c["agreement"]["measured"] == L["final"]["diameter"]
    assert c["averaging"]["bound"] == pytest.approx(L["C"] * L["K"])


def test_theory_iteration_counts():
    cfg = tiny("icwtm", avg_iterations='"theory"', rounds=2)
    assert (cfg.system.n, cfg.system.f) == (6, 1)
    res = run_learn(cfg)
    from agreement.theory import theory_for
    from agreement.theory.icwtm import n_icwtm
    s = res["scenario"]["system"]
    g = res["learn"]["agreement_iterations"]["gradient"]
    for t, k in enumerate(g, start=1):
        th = theory_for("icwtm", s["n"], s["f"], s["q"], 3, tau(t))
        want = th.iterations if th.holds else n_icwtm(tau(t), s["h"], 1 / (2 * (s["q"] - 2 * s["f"])))
        assert k == want


@pytest.mark.parametrize("key,value", [("workload", '"cifar10"'), ("rounds", "0"), ("delta", "-1"), ("batch", '"half"'),
                                       ("output", '"best"'), ("avg_iterations", '"many"'), ("bogus", "1")])
def test_bad_learn_keys_are_one_line_errors(key, value):
    # refused when the scenario is resolved, before anything runs
    with pytest.raises(ScenarioError, match=f"learn.{key}"):
        prepare("learn-quadratic", [f"learn.{key}={value}"], None)


def test_learn_agreement_check_fails_under_dissensus_with_the_plain_mean():
    """The LEARN agreement check can fail: plain averaging under the dissensus attack leaves the honest
    parameters 19 apart (delta = 1). Without an averaging constant for the mean, the learning and
    averaging checks say "not applicable", never HOLDS."""
    from scenarios.run.execute import execute, prepare

    r = execute(prepare("learn-quadratic", ["algorithm.name=\"mean\"", "adversary.attack=\"dissensus\"",
                                            "learn.rounds=8", "learn.alone=false", "learn.avg_iterations=\"log2\""], 1),
                progress=False)
    c = r["checks"]
    assert c["termination"]["holds"] and c["agreement"]["holds"] is False and c["agreement"]["measured"] > 1.0
    assert c["learning"]["holds"] is None and c["averaging"]["holds"] is None


def test_learn_learning_and_averaging_checks_fail_when_eta_breaks_algorithm_1():
    """Algorithm 1 needs eta <= delta / (12 L) (here 1/12); with eta = 3 the iterates run away from the
    honest average's minimiser: the learning check ((1 + delta) C K) and the averaging check (Theorem 2,
    C D2(x)) both FAIL, while the honest nodes still agree."""
    from scenarios.run.execute import execute, prepare

    r = execute(prepare("learn-quadratic", ["learn.eta=3.0", "learn.rounds=8", "learn.alone=false",
                                            "learn.avg_iterations=\"log2\""], 1), progress=False)
    c = r["checks"]
    assert c["agreement"]["holds"] is True
    assert c["learning"]["holds"] is False and c["learning"]["measured"] > 10 * c["learning"]["bound"]
    assert c["averaging"]["holds"] is False and c["averaging"]["margin"] < 0


def test_a_third_party_vector_attack_is_wrapped_over_broadcast_and_reads_the_iterations_inputs():
    """An attack registered in ATTACKS (as a plugin would be) runs over broadcast unchanged: it reads
    ``seen(instance, round)`` = the honest INITIAL vectors of that LEARN instance's iteration (read-only)."""
    from agreement.learn import phase_of
    from nodes.adversary import Attack
    from nodes.attacks import ATTACKS
    calls = []

    class Zero(Attack):
        name = "zero-vec"

        def write(self, b, r, instance, round_):
            seen = self.adv.seen(instance, round_)
            calls.append((phase_of(instance), len(seen), all(not x.flags.writeable for x in seen.values())))
            return [self.vec(b, instance, round_, np.zeros(self.adv.d))]

    with ATTACKS.temporarily("zero-vec", Zero):
        res = run_learn(tiny("broadcast", attack="zero-vec"))
    assert res["checks"]["termination"]["holds"] and res["checks"]["agreement"]["holds"]
    assert res["messages"]["byzantine_deliveries"] > 0
    assert calls and all(n >= 3 and ro for _, n, ro in calls)  # h = 5: at least ceil(h / 2) seen, read-only
    assert {ph for (t, ph), _, _ in calls} == {0, 1} and max(t for (t, _), _, _ in calls) == 5
