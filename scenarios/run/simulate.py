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

from net.keys import Keyring
from net.network import Network
from net.schedules import make_schedule
from net.validate import Verifier
from nodes.adversary import Adversary, ByzantineNode
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
    cfg: dict[str, Any]
    honest: list[int]
    byzantine: list[int]
    net: Network
    nodes: list[HonestNode]
    adversary: Adversary
    outputs: dict[int, Any] = field(default_factory=dict)
    digest: str = ""
    byz_nodes: list = field(default_factory=list)


def build(cfg: dict[str, Any], protocol, streams: Streams, x0: np.ndarray | None,
          on_vector: Callable | None = None, progress: Callable[[int], None] | None = None,
          machine_factory: Callable[[int], Any] | None = None) -> Simulation:
    """Build keys, validator, schedule, network, adversary and node objects (nothing runs yet).
    ``machine_factory(node)`` overrides ``protocol.machine(node, x0[i], on_vector)``."""
    s, adv_cfg = cfg["system"], cfg["adversary"]
    n, f, q, d = s["n"], s["f"], s["q"], s["dim"]
    h = n - f
    honest, byzantine = list(range(h)), list(range(h, n))
    seed = cfg["scenario"]["seed"]
    keyring = Keyring(seed, n)
    verifier = Verifier(keyring, d, protocol.schemas(d))
    schedule = make_schedule(adv_cfg["schedule"], adv_cfg.get("schedule_params"))
    bounds = getattr(protocol, "flood_bounds", None)
    net = Network(n, honest, byzantine, schedule, verifier, streams.schedule,
                  record_trace=bool(cfg["run"].get("record_trace") or protocol.record_trace),
                  max_steps=int(cfg["run"].get("max_steps", 50_000_000)), progress=progress,
                  flood=bounds(n, f) if bounds is not None else None)
    attack = protocol.attacks()[adv_cfg["attack"]]()
    adversary = Adversary(attack, n=n, f=f, q=q, d=d, honest=honest, byzantine=byzantine,
                          signers={b: keyring.signer(b) for b in byzantine}, rng=streams.adversary,
                          params=adv_cfg, protocol={"name": cfg["algorithm"]["name"], "cfg": cfg})
    net.serve_after_output = bool(getattr(protocol, "serve_after_output", False))
    net.adversary = adversary
    nodes = []
    for i in honest:
        m = machine_factory(i) if machine_factory else protocol.machine(i, x0[i], on_vector)
        nodes.append(HonestNode(i, m, keyring.signer(i), net))
    net.prune_enabled = bool(nodes) and all(hasattr(node.machine, "stale_below") for node in nodes)
    sim = Simulation(cfg, honest, byzantine, net, nodes, adversary)
    sim.byz_nodes = [ByzantineNode(b, adversary, net) for b in byzantine]
    return sim


async def run_async(sim: Simulation) -> Simulation:
    """Run a built simulation inside the caller's trio run: one task per honest and Byzantine node,
    plus the network's coordinator; returns when every honest node is done (or the run stalled)."""
    net = sim.net
    if sim.cfg["run"].get("dispatch", "tasks") == "inline":
        net.inline = {node.node: node.handle for node in [*sim.nodes, *sim.byz_nodes]}
        await net.run(sim.honest)
        return _finish(sim)
    async with trio.open_nursery() as nursery:
        for node in sim.nodes:
            nursery.start_soon(node.run)
        for bn in sim.byz_nodes:
            nursery.start_soon(bn.run)
        while len(net._inbox) < net.n:  # every task has opened its inbox
            await trio.sleep(0)
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


def simulate(cfg: dict[str, Any], protocol, streams: Streams, x0: np.ndarray | None,
             on_vector: Callable | None = None, progress: Callable[[int], None] | None = None,
             machine_factory: Callable[[int], Any] | None = None) -> Simulation:
    """Build and run a simulation in a fresh trio run."""
    sim = build(cfg, protocol, streams, x0, on_vector, progress, machine_factory)
    return trio.run(run_async, sim)
