"""The counter-gradient attack on LEARN (workload "pfl", attack "cga") and the plausible pre-aggregation."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agreement.rules import get_rule
from scenarios.errors import ScenarioError
from scenarios.run.execute import execute
from scenarios.spec.resolve import resolve


def learn_pfl(rule_name, attack="cga", regularization="l2sq", **adv):
    data = {"scenario": {"name": "t", "kind": "learn", "seed": 3},
            "system": {"n": 6, "f": 1, "dim": 2},
            "algorithm": {"name": rule_name, "t": 2},
            "learn": {"workload": "pfl", "rounds": 12, "delta": 1.0, "output": "last",
                      "avg_iterations": "log2", "alone": False},
            "pfl": {"regularization": regularization, "d": 2, "samples": 20, "target": 4.0},
            "adversary": {"attack": attack, "schedule": "random", **adv},
            "run": {"dispatch": "inline"}}
    return execute(resolve(data), progress=False)


def test_mean_is_hijacked_and_icwtm_resists():
    mean = learn_pfl("mean")
    assert mean["checks"]["resists_cga"]["holds"] is False and mean["checks"]["resists_cga"]["measured"] < 0.05
    icwtm = learn_pfl("icwtm")
    assert icwtm["checks"]["resists_cga"]["holds"] is True and icwtm["checks"]["agreement"]["holds"]
    silent = learn_pfl("mean", attack="silent")
    assert silent["checks"]["resists_cga"]["holds"] is True


def test_pfl_table_is_validated():
    data = {"scenario": {"name": "t", "kind": "learn"}, "system": {"n": 6, "f": 1, "dim": 2},
            "algorithm": {"name": "icwtm", "t": 2}, "learn": {"workload": "pfl", "rounds": 2},
            "pfl": {"mode": "server"}, "adversary": {"attack": "cga"}}
    with pytest.raises(ScenarioError, match="pfl"):
        execute(resolve(data), progress=False)


def test_plausible_drops_outside_GRAD_and_lowers_f():
    X = np.array([[0.5, 0.0], [0.0, 0.5], [30.0, 0.0], [0.2, 0.2]])
    assert np.allclose(get_rule("plausible:1.0+mean")(X, 1, None), X[[0, 1, 3]].mean(axis=0))
    # cwtm with f = 1 on 3 rows would trim; the dropped row was the Byzantine one: f' = 0, the mean
    assert np.allclose(get_rule("plausible:1.0+cwtm")(X, 1, None), X[[0, 1, 3]].mean(axis=0))
    assert np.allclose(get_rule("plausible-inf:0.6+mean")(np.array([[0.5, -0.5], [0.7, 0.0]]), 1, None), [0.5, -0.5])
    with pytest.raises(ValueError, match="radius"):
        get_rule("plausible+mean")(X, 1, None)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(st.floats(-3, 3), min_size=3, max_size=3), min_size=2, max_size=8), st.floats(0.1, 4.0))
def test_plausible_keeps_exactly_the_ball(rows, radius):
    X = np.array(rows)
    keep = np.linalg.norm(X, axis=1) <= radius * (1 + 1e-9)
    if keep.any():
        assert np.allclose(get_rule(f"plausible:{radius!r}+mean")(X, 1, None), X[keep].mean(axis=0))


def test_unprojected_cga_is_dropped_by_plausible_under_l2():
    raw = learn_pfl("mean", regularization="l2", cga_project=False)
    assert raw["checks"]["resists_cga"]["holds"] is False  # the plain mean takes the implausible payload
    data_rule = learn_pfl_rule("plausible:1.0+mean", regularization="l2", cga_project=False)
    assert data_rule["checks"]["resists_cga"]["holds"] is True


def learn_pfl_rule(rule, **kw):
    data = {"scenario": {"name": "t", "kind": "learn", "seed": 3},
            "system": {"n": 6, "f": 1, "dim": 2},
            "algorithm": {"name": "mean", "rule": rule, "t": 2},
            "learn": {"workload": "pfl", "rounds": 12, "delta": 1.0, "output": "last",
                      "avg_iterations": "log2", "alone": False},
            "pfl": {"regularization": kw.pop("regularization", "l2sq"), "d": 2, "samples": 20, "target": 4.0},
            "adversary": {"attack": "cga", "schedule": "random", **kw},
            "run": {"dispatch": "inline"}}
    return execute(resolve(data), progress=False)


def test_licchavi_l1_workload_gradient_is_the_envelope_derivative():
    from nodes.workloads_pfl import LicchaviL1

    w = LicchaviL1(4, 3, 30, 0.1, 1.0, 1.0, 0.2, 5.0, np.random.default_rng(0))
    rho = np.array([0.3, -0.7, 2.0])
    for j in range(4):
        num = np.array([(w.loss(j, rho + 1e-6 * e) - w.loss(j, rho - 1e-6 * e)) / 2e-6 for e in np.eye(3)])
        assert np.allclose(w.grad(j, rho), num, atol=1e-5)
        assert np.all(np.abs(w.grad(j, rho) - 2 * 0.2 * rho / 4) <= 1.0 + 1e-12)  # the box GRAD (+ the known term)
    # at the honest optimum the honest gradients sum to zero
    assert np.allclose(sum(w.grad(j, w.clean_optimum()) for j in range(4)), 0, atol=1e-9)


def test_licchavi_learn_theorem12_under_the_mean():
    data = {"scenario": {"name": "t", "kind": "learn", "seed": 2},
            "system": {"n": 7, "f": 1, "dim": 2},
            "algorithm": {"name": "mean", "t": 2},
            "learn": {"workload": "pfl", "rounds": 15, "delta": 1.0, "output": "last",
                      "avg_iterations": "log2", "alone": False},
            "pfl": {"regularization": "l1", "d": 2, "samples": 20, "target": 50.0, "lam0": 0.1},
            "adversary": {"attack": "cga", "schedule": "random"}, "run": {"dispatch": "inline"}}
    r = execute(resolve(data), progress=False)
    assert r["checks"]["theorem12_decentralised"]["holds"] is True and r["checks"]["resists_cga"]["holds"] is True
    data["algorithm"] = {"name": "icwtm", "t": 2}
    r = execute(resolve(data), progress=False)
    assert r["checks"]["theorem12_decentralised"]["holds"] is None  # not the mean: not applicable
