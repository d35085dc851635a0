"""The search adversary (payload family, schedule, optimiser), shrinking, and replayable TOML."""
from __future__ import annotations

import json
import math
import tomllib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nodes.attacks_search import MENU, menu_values, pick
from scenarios.cli import execute, main, prepare
from scenarios.search import apply, family, optimise, roles_of, score
from scenarios.shrink import save_counterexample, scenario_data, shrink, size, to_toml


def _base(alg, n, f, d=2):
    return prepare("icwtm-contraction", ["adversary.attack=\"silent\"", f"algorithm.name=\"{alg}\"", f"system.n={n}",
                                         f"system.f={f}", f"system.dim={d}", "algorithm.t=1",
                                         "algorithm.allow_below_threshold=true"], 1)


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 6), st.integers(1, 4), st.integers(0, 2**32 - 1))
def test_menu_matches_slow_reference(q, d, seed):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((q, d))
    own = rng.standard_normal(d)
    idx = rng.integers(len(MENU), size=d)
    got = pick(menu_values(X, own), idx)
    for c in range(d):
        col = [float(row[c]) for row in X]
        lo, hi = min(col), max(col)
        w = hi - lo
        ref = {"lo-2w": lo - 2 * w, "lo-w": lo - w, "lo-w/2": lo - w / 2, "lo-w/4": lo - w / 4, "lo": lo,
               "own": float(own[c]), "mean": sum(col) / q, "hi": hi, "hi+w/4": hi + w / 4, "hi+w/2": hi + w / 2,
               "hi+w": hi + w, "hi+2w": hi + 2 * w}[MENU[idx[c]]]
        assert got[c] == pytest.approx(ref, abs=1e-12)


def test_apply_expands_roles_to_nodes():
    cfg = _base("mda", 7, 1)
    fam = family(cfg, roles=2)
    assert set(fam) == {"cut", "value", "silent", "gated", "hold", "byzantine_first"}
    assert fam["cut"] == ((1,), 7) and fam["value"] == ((2,), len(MENU))
    assert list(roles_of({"cut": np.array([3])}, 6)) == [0, 0, 0, 1, 1, 1]
    assert list(roles_of({"cut": np.array([5, 2])}, 6)) == [0, 0, 1, 1, 1, 2]
    th = {"role": np.array([0, 0, 1, 1, 0, 1]), "value": np.array([4, 7]), "silent": np.array([0, 1]),
          "gated": np.array([1]), "hold": np.array([[0, 1], [0, 0]]), "byzantine_first": np.array([1])}
    c = apply(cfg, th)
    adv = c["adversary"]
    assert adv["attack"] == adv["schedule"] == "search"
    assert adv["search_values"] == [[[4, 4], [4, 4], [7, 7], [7, 7], [4, 4], [7, 7]]]
    assert adv["search_silent"] == [[0, 0, 1, 1, 0, 1]]
    # role 0 -> role 1 links held: senders {0, 1, 4}, receivers {2, 3, 5}
    assert sorted(map(tuple, adv["schedule_params"]["holds"])) == [(s, r) for s in (0, 1, 4) for r in (2, 3, 5)]
    assert adv["schedule_params"]["gated"] and adv["schedule_params"]["byzantine_first"]
    assert [row[0] for row in c["inputs"]["values"]] == [-1, -1, 1, 1, -1, 1]
    assert all(row[1] == 0 for row in c["inputs"]["values"])


def test_search_attack_sends_the_chosen_values():
    """Byzantine payloads, read off the signed trace, are the menu values of the honest vectors."""
    cfg = _base("mda", 5, 1, d=1)
    th = {"role": np.array([0, 0, 1, 1]), "value": np.array([MENU.index("lo"), MENU.index("hi+w")]),
          "silent": np.array([0, 0]), "gated": np.array([1]), "hold": np.zeros((2, 2), int),
          "byzantine_first": np.array([0])}
    c = apply(cfg, th)
    from nodes.attacks import ATTACKS

    seen = []

    class Spy(ATTACKS["search"]):
        def write(self, b, r, instance, round_):
            out = super().write(b, r, instance, round_)
            from nodes.attacks import _current

            cur = _current(self.adv, instance, round_)
            X = np.stack([cur[i] for i in sorted(cur)])
            seen.append((r, float(out[0].payload["x"][0]), X[:, 0].min(), X[:, 0].max()))
            return out

    ATTACKS["spy-search"] = Spy
    try:
        c["adversary"]["attack"] = "spy-search"
        execute(c, progress=False)
    finally:
        del ATTACKS["spy-search"]
    assert seen
    for r, x, lo, hi in seen:
        assert x == pytest.approx(lo if r in (0, 1) else hi + (hi - lo))


@settings(max_examples=30, deadline=None)
@given(st.dictionaries(st.sampled_from(["a", "b_c", "d-e"]), st.one_of(
    st.integers(-10**6, 10**6), st.booleans(), st.text(max_size=8),
    st.floats(allow_nan=False), st.lists(st.lists(st.integers(0, 9), max_size=3), max_size=3)), max_size=4))
def test_to_toml_round_trips(table):
    data = {"scenario": {"name": "x"}, "t": table, "adversary": {"attack": "search", "schedule_params": {"holds": [[0, 1]]}}}
    back = tomllib.loads(to_toml(data))
    assert back == data


def test_search_breaks_broadcast_at_3f_and_replays(tmp_path):
    cfg = _base("broadcast", 3, 1)
    out = optimise(cfg, generations=3, samples=6, local=8, roles=2)
    assert out.broken and out.evaluations <= 26
    assert out.result["checks"]["termination"]["holds"]  # a break with every honest output, not a stall
    again = optimise(cfg, generations=3, samples=6, local=8, roles=2)
    assert again.result["trace_digest"] == out.result["trace_digest"]  # the search itself is seeded
    path = save_counterexample(out.cfg, tmp_path / "ce.toml", note="test")
    seed = out.cfg["scenario"]["seed"]
    assert main(["run", str(path), "--seed", str(seed), "--quiet", "--json", str(tmp_path / "r.json")]) == 0
    replay = json.loads((tmp_path / "r.json").read_text())
    assert replay["trace_digest"] == out.result["trace_digest"]
    assert replay["checks"]["contraction"]["holds"] is False or replay["checks"]["averaging"]["holds"] is False


def test_search_breaks_mda_at_6f_minus_1_for_f1_shrinks_and_replays(tmp_path):
    cfg = _base("mda", 5, 1)
    out = optimise(cfg, generations=5, samples=12, local=20, roles=2, seed=3)
    assert out.broken, out.history
    assert score(out.result)[1]
    small = shrink(out.cfg, budget=20, result=out.result)
    assert score(small.result)[1]
    b, a = small.summary["before"], small.summary["after"]
    assert all(a[k] <= b[k] for k in ("held_links", "deviations", "silent_pairs", "orderings", "t"))
    assert small.evaluations <= 20
    path = save_counterexample(small.cfg, tmp_path / "mda.toml")
    rerun = execute(prepare(str(path), [], small.cfg["scenario"]["seed"]), progress=False)
    assert rerun["trace_digest"] == small.result["trace_digest"]
    # the file holds no derived keys: resolve recomputes them identically
    assert "theory" not in tomllib.loads(path.read_text())["algorithm"]


def test_shrink_leaves_a_run_that_is_not_broken_alone():
    cfg = _base("mda", 7, 1)
    res = execute(cfg, progress=False)
    assert not score(res)[1]
    s = shrink(cfg, budget=5, result=res)
    assert s.cfg is cfg and s.evaluations == 0
