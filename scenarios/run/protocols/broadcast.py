"""The broadcast-based agreement protocol (agreement paper, section 6) for the scenario engine.

Honest nodes run :class:`agreement.broadcast.BroadcastAgreement`; nodes keep relaying after their
output (``serve_after_output``), as reliable broadcast needs. After the run,
:meth:`BroadcastProtocol.post_checks` *drains* the network: every honest message still in flight is
delivered (honest traffic only, the Byzantine nodes falling silent), so that RB totality, which is an
"eventually" property, is judged on the closed trace; then the trace checkers of
:mod:`agreement.trace_checks` run on what the honest machines recorded. The attacks aimed at it are
in :mod:`nodes.attacks.broadcast` (registry :data:`nodes.attacks.BROADCAST_ATTACKS`).
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from agreement import trace_checks
from agreement.broadcast import DIGEST_SIZE, ECHO, INITIAL, KINDS, READY, REPORT, BroadcastAgreement, digest
from agreement.messages import BROADCAST
from agreement.registry import Registry
from agreement.rules import get_rule
from net import wire
from net.validate import VECTOR, Bytes, IntList
from nodes.attacks import BROADCAST_ATTACKS
from scenarios.run.protocols.iterate import Protocol


class BroadcastProtocol(Protocol):
    name = "broadcast"
    record_trace = False
    serve_after_output = True

    def schemas(self, d):
        s = self.scenario.system
        n, f = s.n, s.f
        return {INITIAL: {"x": VECTOR}, ECHO: {"x": VECTOR}, READY: {"dg": Bytes(DIGEST_SIZE)},
                REPORT: {"ids": IntList(n - f, 0, n - 1), "dgs": Bytes(DIGEST_SIZE * (n - f))}}

    def machine(self, node: int, x0: np.ndarray, on_vector: Callable) -> Any:
        s, a = self.scenario.system, self.scenario.algorithm
        return BroadcastAgreement(node, x0, n=s.n, f=s.f, rule=get_rule(a.rule),
                                  iterations=a.iterations, on_vector=on_vector)

    @classmethod
    def attacks(cls) -> Registry:
        return BROADCAST_ATTACKS

    @classmethod
    def check_rule(cls, rule, q, f) -> None:
        """The rule aggregates the witnessed values (their number varies): nothing to try up front."""

    @classmethod
    def messages_per_iteration(cls, n: int, f: int) -> int:
        """h (2n + 2)(n - 1) honest messages (measured in the result's ``complexity``) plus as many Byzantine ones."""
        return 2 * (n - f) * (2 * n + 2) * (n - 1)

    @classmethod
    def vectors_per_iteration(cls, n: int, f: int) -> tuple[int, int]:
        """Every node's INITIAL and its ECHO of each instance carry a vector: (h (n + 1), f (n + 1))."""
        return (n - f) * (n + 1), f * (n + 1)

    # -- after the run ----------------------------------------------------------------------
    @staticmethod
    def drain(sim, max_deliveries: int = 20_000_000) -> int:
        """Deliver every honest message still in flight, and what it causes, honest nodes only
        (the Byzantine nodes fall silent), in FIFO order. Returns the number of deliveries."""
        net = sim.net
        machines = {node.node: node for node in sim.nodes}
        queue = [(d.receiver, d.data) for d in sorted(net.pool.items, key=lambda d: d.key)
                 if not d.slot and d.receiver in machines]
        head = done = 0
        while head < len(queue) and done < max_deliveries:
            r, data = queue[head]
            head += 1
            done += 1
            env, reason = net.verifier.check(data)
            if env is None:
                continue
            step = machines[r].machine.feed(env)
            for out in step.send:
                blob = wire.encode(out.envelope, machines[r].signer)
                targets = sorted(machines) if out.to == BROADCAST else [out.to]
                queue.extend((t, blob) for t in targets if t != r and t in machines)
        return done

    def post_checks(self, sim) -> dict[str, Any]:
        s = self.scenario.system
        n, f = s.n, s.f
        ms = {node.node: node.machine for node in sim.nodes}
        used = {j: dict(m.used) for j, m in ms.items()}
        xs = {j: dict(m.xs) for j, m in ms.items()}
        at_end = {j: dict(m.delivered_log) for j, m in ms.items()}
        drained = self.drain(sim)
        delivered = {j: dict(m.delivered_log) for j, m in ms.items()}
        sent = {}
        for j, m in ms.items():
            for k, x in m.xs.items():
                if k < self.scenario.algorithm.iterations:
                    sent[(k, j)] = digest(x)
        checks = {
            "rb_consistency": trace_checks.rb_consistency(delivered),
            "rb_totality": trace_checks.rb_totality(delivered),
            "rb_validity": trace_checks.rb_validity(delivered, sent),
            "witness_overlap": trace_checks.witness_overlap(used, n, f),
            "validity_box": trace_checks.validity_box(xs),
        }
        late = sum(len(delivered[j]) - len(at_end[j]) for j in delivered)
        for name in ("rb_totality", "rb_validity"):
            checks[name]["detail"] += f" (after draining {drained} honest deliveries in flight: {late} late deliveries)"
        cx = self.complexity(sim)
        self._complexity = cx
        return checks

    def complexity(self, sim) -> dict[str, Any]:
        n = self.scenario.system.n
        rows = []
        count = sim.net.honest_by_round  # counted by the network, not by the attack
        nbytes = sim.net.honest_bytes_by_round
        for k in sorted({k for (k, _) in count}):
            row = {"iteration": k, "n3": n ** 3}
            for kind in KINDS:
                row[kind] = int(count.get((k, kind), 0))
                row[f"{kind}_bytes"] = int(nbytes.get((k, kind), 0))
            row["messages"] = sum(row[kind] for kind in KINDS)
            row["bytes"] = sum(row[f"{kind}_bytes"] for kind in KINDS)
            rows.append(row)
        return {"what": "honest messages sent per iteration (one per recipient), by kind, and their bytes",
                "n": n, "n3": n ** 3, "per_iteration": rows}

    def extra_results(self, sim) -> dict[str, Any]:
        cx = getattr(self, "_complexity", None) or self.complexity(sim)
        return {"complexity": cx}

