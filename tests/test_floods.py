"""A fair network under floods (issue 12, item 2): a Byzantine node emitting 10^6 messages per slot
(the same message, distinct messages, far-future rounds, oversized, padded) against ICwTM, broadcast
and LEARN. Every run terminates, its verdicts and honest results equal the run without the flood,
the drops are counted (``flood``), and its peak RSS, measured in a child process, stays within the
documented bound (docs/adversary.md). The attacks are generators: the network reads at most its
per-slot cap of each, so no run materialises the 10^6 messages."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import flood_attacks as F  # tests/ is on sys.path (pytest prepends it)
import pytest

ROOT = Path(__file__).resolve().parent.parent


def _child(protocol: str) -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), str(ROOT / "tests"), env.get("PYTHONPATH", "")])
    out = subprocess.run([sys.executable, str(ROOT / "tests" / "flood_attacks.py"), protocol, *F.MODES],
                         capture_output=True, text=True, env=env, check=True, timeout=600)
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("protocol", ["icwtm", "broadcast", "learn"])
def test_floods_change_no_verdict_and_stay_within_the_memory_bound(protocol):
    runs = _child(protocol)
    base = runs["none"]
    assert not base["stalled"] and all(base["verdicts"].values()), base["verdicts"]
    bound = F.rss_bound(protocol)
    bounds = base["bounds"]
    for mode in F.MODES[1:]:
        r = runs[mode]
        assert not r["stalled"], mode
        assert r["verdicts"] == base["verdicts"], (mode, r["verdicts"])
        assert r["final"] == base["final"], mode                       # the honest computation is untouched
        assert r["flood"] > 0, mode                                     # the drops are counted
        assert r["honest"] >= base["honest"] * 0.5, mode                # honest progress as without the flood
        assert r["byzantine"] <= bounds["fairness_K"] * (r["honest"] + 1)
        extra = (r["peak_kib"] - base["peak_kib"]) * 1024
        assert extra <= bound, (mode, extra, bound)
    # the same message over and over is exactly the run without the flood (the copies never reach anyone)
    assert runs["same"]["digest"] == base["digest"]


def test_a_flood_never_counts_as_honest_progress():
    """run.max_steps bounds honest deliveries: a flood that once exhausted it (and faked a stall)
    cannot any more."""
    from nodes.attacks import ATTACKS
    from scenarios.run.agreement import run_agreement

    cls = F.attack_class("icwtm", "future")
    with ATTACKS.temporarily(cls.name, cls):
        plain = run_agreement(F.scenario("icwtm", "silent"))
        # just above what the run needs (below the resolution budget's estimate, hence set after it)
        sc = F.scenario("icwtm", cls.name).updated("run", max_steps=plain["messages"]["honest_deliveries"] + 5)
        r = run_agreement(sc)
    assert not r["stalled"] and r["checks"]["termination"]["holds"]
    assert r["messages"]["byzantine_deliveries"] > r["messages"]["honest_deliveries"]


def test_fairness_delivers_an_honest_message_after_at_most_k_byzantine_ones(monkeypatch):
    """With a small K and a schedule that always prefers Byzantine slots, the network interleaves
    honest deliveries: never more than K Byzantine messages in a row while an honest one waits."""
    from dataclasses import replace

    import trio

    from nodes.attacks import ATTACKS
    from scenarios.run.agreement import agreement_result, prepare_agreement, run_agreement
    from scenarios.run.protocols.iterate import Protocol
    from scenarios.run.simulate import run_async

    K = 7
    original = Protocol.flood_bounds
    monkeypatch.setattr(Protocol, "flood_bounds", lambda self, n, f: replace(original(self, n, f), fairness=K))
    cls = F.attack_class("icwtm", "future")
    with ATTACKS.temporarily(cls.name, cls):
        sc = F.scenario("icwtm", cls.name, "byzantine-first", run={"record_trace": True})
        sim, recorder, protocol = prepare_agreement(sc)
        trio.run(run_async, sim)
        r = agreement_result(sc, sim, recorder, protocol, 0.0)
        plain = F.scenario("icwtm", cls.name, "byzantine-first")
        monkeypatch.setattr(Protocol, "flood_bounds", original)
        unfair = run_agreement(plain)
    m = r["messages"]
    assert m["flood_bounds"]["fairness_K"] == K
    assert m["fairness_forced"] > 0 and m["flood"] > 0
    assert not r["stalled"] and r["checks"]["termination"]["holds"]
    assert {k: c["holds"] for k, c in r["checks"].items()} == {k: c["holds"] for k, c in unfair["checks"].items()}
    run = longest = 0
    byzantine = set(sim.byzantine)
    for (_, sender, *_rest) in sim.net.trace:
        run = run + 1 if sender in byzantine else 0
        longest = max(longest, run)
    assert longest <= K < unfair["messages"]["byzantine_deliveries"]
