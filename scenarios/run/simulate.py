"""Run one simulation: build keys, validator, network, adversary and node tasks, and drive them
with trio until every honest node has its output. Generic over the protocol (see
:mod:`scenarios.run.protocols`); the agreement and LEARN runners build their results on top of it.

Determinism: one master seed; ``numpy.random.SeedSequence(seed).spawn`` gives independent streams
for inputs/data, the schedule, the adversary and protocol randomness (in that order).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
import trio

from net.keys import Keyring, SealLog
from net.network import Network
from net.schedules import make_schedule
from net.validate import Verifier
from nodes.adversary import Adversary, ByzantineNode
from nodes.context import AttackContext, LearnContext
from nodes.honest import HonestNode


@dataclass
class Streams:
    inputs: np.random.Generator
    schedule: np.random.Generator
    adversary: np.random.Generator
    protocol: np.random.Generator

    @classmethod
    def from_seed(cls, seed: int) -> "Streams":
        return cls(*(np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(4)))


@dataclass
class Simulation:
    scenario: Any
    """The resolved scenario (:class:`scenarios.spec.schema.Scenario`)."""
    honest: list[int]
    byzantine: list[int]
    net: Network
    nodes: list[HonestNode]
    adversary: Adversary
    outputs: dict[int, Any] = field(default_factory=dict)
    digest: str = ""
    byz_nodes: list = field(default_factory=list)


@dataclass(frozen=True)
class LearnRun:
    """What the LEARN runner hands a protocol that simulates LEARN its own way
    (:meth:`scenarios.run.protocols.Protocol.simulate_learn`): the shared setup and the measurements."""

    context: LearnContext
    """What the adversary may know (the workload, eta, theta_1, T, the rule, the momentum)."""
    theta1: np.ndarray
    T: int
    eta: float
    momentum: float
    output: str
    output_index: int
    grad_fn: Callable[[int], Callable[[np.ndarray, int], np.ndarray]]
    """``grad_fn(i)``: honest node i's gradient oracle ``(theta, t) -> g`` (its own seeded stream)."""
    on_theta: Callable[[int, int, np.ndarray], None]
    on_grad: Callable[[int, int, np.ndarray, np.ndarray], None]
    trace: Any = None
    """Where the delivery trace goes (:class:`scenarios.run.tracing.TraceOut`), or None."""


def build(scenario, protocol, streams: Streams, x0: np.ndarray | None,
          on_vector: Callable | None = None, progress: Callable[[int], None] | None = None,
          machine_factory: Callable[[int], Any] | None = None, learn: LearnContext | None = None,
          trace: Any = None) -> Simulation:
    """Build keys, validator, schedule, network, adversary and node objects (nothing runs yet).
    ``machine_factory(node)`` overrides ``protocol.machine(node, x0[i], on_vector)``; ``learn`` is
    the LEARN context the adversary may read; ``trace`` (a :class:`scenarios.run.tracing.TraceOut`)
    records the delivery trace and the honest values."""
    s, adv = scenario.system, scenario.adversary
    n, f, q, d = s.n, s.f, s.q, s.dim
    h = n - f
    honest, byzantine = list(range(h)), list(range(h, n))
    keyring = Keyring(scenario.scenario.seed, n)
    honest_seals, byzantine_seals = SealLog(honest), SealLog(byzantine)  # net.keys.SealLog: contained
    verifier = Verifier(keyring, d, protocol.schemas(d), seals=(honest_seals, byzantine_seals))
    schedule = make_schedule(adv.schedule, adv.schedule_params)
    bounds = getattr(protocol, "flood_bounds", None)
    net = Network(n, honest, byzantine, schedule, verifier, streams.schedule,
                  record_trace=bool(scenario.run.record_trace or protocol.record_trace or trace is not None),
                  max_steps=scenario.run.max_steps, progress=progress,
                  flood=bounds(n, f) if bounds is not None else None)
    attack = protocol.attacks()[adv.attack]()
    context = AttackContext(algorithm=scenario.algorithm.name, schedule_params=adv.schedule_params, learn=learn,
                            include_self=s.include_self)
    adversary = Adversary(attack, n=n, f=f, q=q, d=d, honest=honest, byzantine=byzantine,
                          signers={b: keyring.signer(b, byzantine_seals) for b in byzantine}, rng=streams.adversary,
                          params=adv.params, context=context, seen_window=adv.seen_window)
    net.serve_after_output = bool(getattr(protocol, "serve_after_output", False))
    if trace is not None:
        trace.attach(scenario, net, x0, honest, byzantine)
        on_vector = trace.chain(on_vector)
    net.adversary = adversary
    nodes = []
    for i in honest:
        m = machine_factory(i) if machine_factory else protocol.machine(i, x0[i], on_vector)
        nodes.append(HonestNode(i, m, keyring.signer(i, honest_seals), net))
    net.prune_enabled = bool(nodes) and all(hasattr(node.machine, "stale_below") for node in nodes)
    sim = Simulation(scenario, honest, byzantine, net, nodes, adversary)
    sim.byz_nodes = [ByzantineNode(b, adversary, net) for b in byzantine]
    return sim


async def run_async(sim: Simulation) -> Simulation:
    """Run a built simulation inside the caller's trio run: one task per honest and Byzantine node,
    plus the network's coordinator; returns when every honest node is done (or the run stalled)."""
    net = sim.net
    if sim.scenario.run.dispatch == "inline":
        net.inline = {node.node: node.handle for node in [*sim.nodes, *sim.byz_nodes]}
        await net.run(sim.honest)
        return _finish(sim)
    async with trio.open_nursery() as nursery:
        for node in [*sim.nodes, *sim.byz_nodes]:
            await nursery.start(node.run)  # returns once the node waits in its inbox
        await net.run(sim.honest)
        nursery.cancel_scope.cancel()
    return _finish(sim)


def _finish(sim: Simulation) -> Simulation:
    net = sim.net
    sim.outputs = {node.node: node.output for node in sim.nodes if node.done}
    outs = []
    for i in sim.honest:
        o = sim.outputs.get(i)
        outs.append(np.asarray(o, dtype=np.float64).tobytes() if o is not None else b"<none>")
    sim.digest = net.finish_digest(outs)
    return sim


def simulate(scenario, protocol, streams: Streams, x0: np.ndarray | None,
             on_vector: Callable | None = None, progress: Callable[[int], None] | None = None,
             machine_factory: Callable[[int], Any] | None = None, learn: LearnContext | None = None,
             trace: Any = None) -> Simulation:
    """Build and run a simulation in a fresh trio run."""
    sim = build(scenario, protocol, streams, x0, on_vector, progress, machine_factory, learn, trace)
    return trio.run(run_async, sim)
