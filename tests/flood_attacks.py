"""Flooding attacks for the flood tests (``test_floods.py``), written through the public plugin
interface, and a runner usable in-process and in a child process (peak RSS).

Each attack writes, per slot, ONE base message (a well-formed vector, or an ECHO for broadcast) and
then a flood of FLOOD = 10^6 more, lazily (a generator or ``itertools.repeat``: the network reads at
most its per-slot cap):

- ``same``: the base message 10^6 times;
- ``distinct``: 10^6 distinct well-signed messages for the same (instance, round, kind);
- ``future``: 10^6 well-signed messages for rounds (and, for LEARN, instances) far ahead;
- ``oversized``: a 300 kB message 10^6 times;
- ``padded``: a signed message with bytes between its vector and its signature, 10^6 times;
- ``none``: the base message only (the run every flood is compared with).
"""
from __future__ import annotations

import itertools
import json
import struct
import sys

import msgpack
import numpy as np

from agreement.broadcast import ECHO
from agreement.messages import Envelope
from net import wire
from nodes.adversary import Attack
from nodes.attacks import ATTACKS, BROADCAST_ATTACKS

FLOOD = 10 ** 6
MODES = ("none", "same", "distinct", "future", "oversized", "padded")


def _padded(kind, b, rnd, inst, x, signer, pad=8):
    header = msgpack.packb([wire.VERSION, kind, b, rnd, inst, {}, [["x", "<f8", [len(x)]]]], use_bin_type=True)
    body = struct.pack("<I", len(header)) + header + np.asarray(x, dtype="<f8").tobytes() + b"\0" * pad
    return body + signer.sign(body)


class FloodAttack(Attack):
    name = "flood"
    mode = "none"
    observes = False

    def base(self, b, r, instance, round_):
        return Envelope(self.kind, b, round_, instance, {"x": np.full(self.adv.d, 0.25 + 0.01 * b)})

    def flood(self, b, r, instance, round_, first: bytes):
        adv, signer, d = self.adv, self.adv.signers[b], self.adv.d
        if self.mode == "same":
            return itertools.repeat(first, FLOOD)
        if self.mode == "distinct":
            return (adv.sign(b, Envelope(self.kind, b, round_, instance, {"x": np.full(d, float(i))}))
                    for i in range(FLOOD))
        if self.mode == "future":
            far = 10 + round_
            return (adv.sign(b, Envelope(self.kind, b, far + i, instance + 2 * (i % 3), {"x": np.full(d, 1.0)}))
                    for i in range(FLOOD))
        if self.mode == "oversized":
            big = wire.encode_unsigned(Envelope(self.kind, b, round_, instance, {"x": np.zeros(d), "pad": b"\0" * 300_000}))
            return itertools.repeat(big + signer.sign(big), FLOOD)
        if self.mode == "padded":
            return itertools.repeat(_padded(self.kind, b, round_, instance, np.zeros(d), signer), FLOOD)
        return ()

    def write(self, b, r, instance, round_):
        first = self.adv.sign(b, self.base(b, r, instance, round_))
        return itertools.chain([first], self.flood(b, r, instance, round_, first))


class BroadcastFlood(FloodAttack):
    """For broadcast-based agreement: the base message is an ECHO (of a made-up vector) on the slot's
    RB instance; the floods are ECHOs."""

    kind = ECHO

    def base(self, b, r, instance, round_):
        inst = instance if instance > 0 else b + 1
        return Envelope(ECHO, b, round_, inst, {"x": np.full(self.adv.d, 7.0 + b)})

    def flood(self, b, r, instance, round_, first):
        return super().flood(b, r, instance if instance > 0 else b + 1, round_, first)


def attack_class(protocol: str, mode: str):
    base = BroadcastFlood if protocol == "broadcast" else FloodAttack
    return type(f"Flood_{mode}", (base,), {"mode": mode, "name": f"flood-{mode}"})


def scenario(protocol: str, attack: str, schedule: str = "random", run: dict | None = None):
    """The resolved scenario (``run``: keys of its ``[run]`` table)."""
    from scenarios.spec.resolve import resolve

    extra = {"run": dict(run)} if run else {}
    if protocol == "learn":
        return resolve({"scenario": {"name": "flood-learn", "seed": 3, "kind": "learn"},
                        "system": {"n": 11, "f": 2, "dim": 3}, "algorithm": {"name": "icwtm", "t": 2},
                        "learn": {"rounds": 3, "eta": 0.5, "alone": False},
                        "adversary": {"attack": attack, "schedule": schedule}, **extra})
    name = "broadcast" if protocol == "broadcast" else "icwtm"
    n, f = (7, 2) if protocol == "broadcast" else (11, 2)
    return resolve({"scenario": {"name": f"flood-{protocol}", "seed": 3},
                    "system": {"n": n, "f": f, "dim": 10}, "algorithm": {"name": name, "t": 2},
                    "adversary": {"attack": attack, "schedule": schedule}, **extra})


def run(protocol: str, mode: str) -> dict:
    """Run the flooded scenario; the summary the tests compare."""
    from scenarios.run.agreement import run_agreement
    from scenarios.run.learn import run_learn

    registry = BROADCAST_ATTACKS if protocol == "broadcast" else ATTACKS
    cls = attack_class(protocol, mode)
    with registry.temporarily(cls.name, cls):
        cfg = scenario(protocol, cls.name)
        r = run_learn(cfg) if protocol == "learn" else run_agreement(cfg)
    m = r["messages"]
    return {"digest": r["trace_digest"], "stalled": r["stalled"],
            "verdicts": {k: c["holds"] for k, c in r["checks"].items()},
            "final": (r["learn"]["final"]["diameter"] if protocol == "learn" else r["iterations"][-1]["diameter"]),
            "flood": m["flood"], "rejected": m["rejected"], "honest": m["honest_deliveries"],
            "byzantine": m["byzantine_deliveries"], "bounds": m["flood_bounds"]}


def rss_bound(protocol: str) -> int:
    """The documented bound (docs/adversary.md) on what a flood may add to a run's peak RSS: the
    verifier's cache of Byzantine verdicts (V), the adversary's cache of signed envelopes (A), every
    honest machine at its memory bound (h M), and 8 MiB of allocator slack."""
    from agreement.rules import get_rule
    from net.validate import LOOSE_BUDGET
    from nodes.adversary import SIGNED_CACHE_BYTES

    sc = scenario(protocol, "silent")
    s, a = sc.system, sc.algorithm
    n, f, q, d = s.n, s.f, s.q, s.dim
    x0 = np.zeros(d)
    if protocol == "broadcast":
        from agreement.broadcast import BroadcastAgreement

        m = BroadcastAgreement(0, x0, n=n, f=f, rule=get_rule(a.rule), iterations=a.iterations)
        M = m.memory_bound()
    else:
        from agreement.iterate import IterateRule

        m = IterateRule(0, x0, n=n, f=f, q=q, rule=get_rule(a.rule), iterations=max(1, a.iterations or 8))
        M = m.memory_bound()
        if protocol == "learn":
            from agreement.learn import LearnMachine, avg_builder

            lm = LearnMachine(0, x0, lambda th, t: th, T=3, eta=0.5,
                              avg=avg_builder("icwtm", n=n, f=f, q=q, include_self=True, rule=a.rule),
                              iterations=lambda t, ph: 8)
            lm.start()
            M = lm.memory_bound()
    return LOOSE_BUDGET + SIGNED_CACHE_BYTES + (n - f) * M + (8 << 20)


def _peak_kib() -> int:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


if __name__ == "__main__":  # child process: python flood_attacks.py PROTOCOL MODE...
    protocol, modes = sys.argv[1], sys.argv[2:]
    out = {}
    for mode in modes:
        s = run(protocol, mode)
        s["peak_kib"] = _peak_kib()
        out[mode] = s
    print(json.dumps(out))
