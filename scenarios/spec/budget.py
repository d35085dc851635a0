"""Resource guards, before anything runs: a scenario whose estimated deliveries exceed
``run.max_steps`` or whose estimated memory exceeds ``run.memory_budget_mib`` is refused with the
numbers and the keys to change (a user raises a budget explicitly, e.g. ``--set run.max_steps=...``).

Estimates (stated here, deliberately simple; they bound the real numbers within a small factor):

- **deliveries**: the protocol's messages per iteration (n^2 for "iterate a rule":
  h (n - 1) honest plus f h Byzantine slots; about 4 h n^2 for broadcast-based agreement) times the
  iterations; a LEARN run has, per round t, AVG_tau's iterations of the gradient phase and of the
  parameter phase, bounded by T (iterations(T) + iterations of the parameter phase) (the protocol's
  ``learn_iterations``: T + 1 rounds of 2n messages for the trusted server);
- **memory** (bytes): :data:`ROUNDS_IN_FLIGHT` iterations of messages held at once, each iteration
  holding the protocol's distinct vector payloads (a broadcast is one signed blob shared by its n - 1
  deliveries: h payloads per iteration for "iterate a rule", h (n + 1) for broadcast-based agreement
  whose ECHOs carry the value; plus the Byzantine ones when the attack writes any), 8d +
  :data:`MESSAGE_OVERHEAD` bytes each, and :data:`DELIVERY_OVERHEAD` bytes per delivery; plus the
  honest vectors the adversary keeps (``seen_window`` rounds, or every iteration for an attack that
  keeps them all); plus the inputs (h x d). Measured against it: ICwTM at n = 100, f = 19,
  d = 100,000 (``jungle bench --only memory``) peaks at about 455 MiB above the interpreter; the
  estimate says about 270 MiB. All-to-all copies (n^2 d 8 bytes per round) would say 23 GiB.

Everything is computed in closed form (no loop over rounds or iterations), so a scenario asking for
10^9 of anything is refused at once.
"""
from __future__ import annotations

from nodes.adversary import SEEN_WINDOW
from scenarios.errors import ScenarioError
from scenarios.run.protocols import protocol_class
from scenarios.spec.adversary import attacks_for
from scenarios.spec.learn import iterations_fn, workload_dim

ROUNDS_IN_FLIGHT = 3
"""Iterations whose messages are held at once (about 2.8 measured under the random schedule)."""
MESSAGE_OVERHEAD = 200
"""Bytes of a signed payload beyond its vector: header, signature, Python objects."""
DELIVERY_OVERHEAD = 300
"""Bytes of one delivery in flight (its record in the network's pool)."""
FLOAT = 8
"""Bytes of a float64."""
MIB = 1 << 20


def _iterations(scenario) -> int:
    """Total agreement iterations of the run (LEARN: every AVG of every round, bounded in closed form)."""
    a, s, lc = scenario.algorithm, scenario.system, scenario.learn
    if lc is None:
        return a.iterations
    its = iterations_fn(lc, a.name, s.n, s.f, s.q, s.dim)
    return protocol_class(a.name).learn_iterations(lc.rounds, its)


def estimate(scenario) -> dict[str, int]:
    """{"deliveries", "memory_bytes", "iterations", "messages_per_iteration"} of a resolved scenario."""
    s, adv = scenario.system, scenario.adversary
    proto = protocol_class(scenario.algorithm.name)
    attack = attacks_for(proto, scenario.learn is not None)[adv.attack]
    iterations = _iterations(scenario)
    per_iteration = proto.messages_per_iteration(s.n, s.f)
    honest, byzantine = proto.vectors_per_iteration(s.n, s.f)
    writes = getattr(attack, "observes", True)  # an attack that reads nothing (silence) writes nothing
    vector = FLOAT * s.dim
    in_flight = (honest + (byzantine if writes else 0)) * (vector + MESSAGE_OVERHEAD) + per_iteration * DELIVERY_OVERHEAD
    window = adv.seen_window or getattr(attack, "seen_window", None) or SEEN_WINDOW
    seen = min(window, iterations + 1) * s.h * vector if writes else 0
    memory = ROUNDS_IN_FLIGHT * in_flight + seen + s.h * vector
    return {"deliveries": per_iteration * iterations, "memory_bytes": memory, "iterations": iterations,
            "messages_per_iteration": per_iteration}


def check_budget(scenario) -> None:
    """Refuse the scenario (one line, the numbers and the keys to change) when an estimate exceeds
    its budget."""
    e = estimate(scenario)
    run, s = scenario.run, scenario.system
    what = (f"n = {s.n}, d = {s.dim}, {e['iterations']} iterations x {e['messages_per_iteration']} messages"
            + (f" ({scenario.learn.rounds} LEARN rounds)" if scenario.learn is not None else ""))
    fewer = "learn.rounds" if scenario.learn is not None else "algorithm.t or algorithm.iterations"
    if e["deliveries"] > run.max_steps:
        raise ScenarioError(f"this run needs about {e['deliveries']:.3g} deliveries ({what}), more than "
                            f"run.max_steps = {run.max_steps}: lower system.n or {fewer}, or raise run.max_steps")
    mib = e["memory_bytes"] / MIB
    if mib > run.memory_budget_mib:
        fixed = scenario.learn is not None and workload_dim(scenario.learn) is not None
        dim = f"the {scenario.learn.workload} workload's d (its [learn] keys)" if fixed else "system.dim"
        raise ScenarioError(f"this run needs about {mib:.4g} MiB of memory ({what}), more than run.memory_budget_mib = "
                            f"{run.memory_budget_mib}: lower system.n or {dim}, or raise run.memory_budget_mib")
