"""The trusted-server baseline protocol, ``algorithm.name = "server"`` (NNM paper, Algorithm 3), for LEARN
scenarios: n workers (ids 0..n-1, the last f Byzantine) and one trusted server (id n, honest), on the
same adversarial network, schedule and attacks as the decentralised algorithms.

The server gathers the first q = ``system.q`` (default n - f) momenta of each round and applies
``algorithm.rule`` (with or without a pre-aggregation such as ``nnm+cwtm``); see
:mod:`agreement.server`. Every LEARN attack runs unchanged: the Byzantine workers send their
vectors to the server only (each attack's slots are redirected to it; none is offered for the
models, which workers accept from the server only), reading the honest momenta of the same round
as they read the honest gradients of Algorithm 1. The decentralised ``dissensus`` attack has no
honest recipient vector to push and stays silent here.
"""
from __future__ import annotations

from typing import Any, Callable

import trio

from agreement.rules import get_rule
from agreement.server import MODEL, MOMENTUM, ServerMachine, WorkerMachine
from net.keys import Keyring
from net.network import Network
from net.schedules import make_schedule
from net.validate import VECTOR, Verifier
from nodes.adversary import Adversary, ByzantineNode
from nodes.attacks import ATTACKS
from nodes.honest import HonestNode
from scenarios.errors import ScenarioError
from scenarios.run.protocols.iterate import Protocol
from scenarios.run.simulate import Simulation, Streams, run_async


def _to_server(cls: type, server: int) -> type:
    """``cls`` with its Byzantine slots redirected to the server, on momentum instances only."""
    class ToServer(cls):  # type: ignore[misc, valid-type]
        def slots(self, instance, round_):
            if instance % 2 or not super().slots(instance, round_):
                return []
            return [(b, server) for b in self.adv.byzantine]
    ToServer.__name__ = ToServer.__qualname__ = f"{cls.__name__}ToServer"
    return ToServer


class ServerProtocol(Protocol):
    name = "server"

    def schemas(self, d: int) -> dict[str, dict[str, Any]]:
        return {MOMENTUM: {"x": VECTOR}, MODEL: {"x": VECTOR}}

    def machine(self, node, x0, on_vector):
        raise ScenarioError("algorithm.name \"server\" runs LEARN scenarios only (scenario.kind = \"learn\")")

    def attacks(self):
        return ATTACKS

    def simulate_learn(self, streams: Streams, ctx: dict[str, Any]) -> Simulation:
        """Build and run the server simulation. ``ctx``: theta1, T, eta, momentum, output, output_index,
        grad_fn(i) -> oracle, on_theta, on_grad (the LEARN runner's)."""
        cfg = self.cfg
        s, adv_cfg = cfg["system"], cfg["adversary"]
        n, f, q, d = s["n"], s["f"], s["q"], s["dim"]
        h = n - f
        server = n
        workers, byzantine = list(range(h)), list(range(h, n))
        keyring = Keyring(cfg["scenario"]["seed"], n + 1)
        verifier = Verifier(keyring, d, self.schemas(d))
        schedule = make_schedule(adv_cfg["schedule"], adv_cfg.get("schedule_params"))
        net = Network(n + 1, workers + [server], byzantine, schedule, verifier, streams.schedule,
                      record_trace=bool(cfg["run"].get("record_trace")),
                      max_steps=int(cfg["run"].get("max_steps", 50_000_000)))
        attack = _to_server(self.attacks()[adv_cfg["attack"]], server)()
        adversary = Adversary(attack, n=n, f=f, q=q, d=d, honest=workers, byzantine=byzantine,
                              signers={b: keyring.signer(b) for b in byzantine}, rng=streams.adversary,
                              params=adv_cfg, protocol={"name": "server", "cfg": cfg})
        adversary.net = net
        net.adversary = adversary
        nodes = [HonestNode(i, WorkerMachine(i, server, ctx["grad_fn"](i), T=ctx["T"], eta=ctx["eta"],
                                             momentum=ctx["momentum"], output=ctx["output"],
                                             output_index=ctx["output_index"], on_theta=ctx["on_theta"],
                                             on_grad=ctx["on_grad"]), keyring.signer(i), net)
                 for i in workers]
        srv = ServerMachine(server, ctx["theta1"], workers=list(range(n)), f=f, q=q, rule=get_rule(cfg["algorithm"]["rule"]),
                            T=ctx["T"], eta=ctx["eta"], output=ctx["output"], output_index=ctx["output_index"])
        nodes.append(HonestNode(server, srv, keyring.signer(server), net))
        sim = Simulation(cfg, workers + [server], byzantine, net, nodes, adversary)
        sim.byz_nodes = [ByzantineNode(b, adversary, net) for b in byzantine]
        sim = trio.run(run_async, sim)
        sim.server_output = sim.outputs.pop(server, None)  # the workers are the honest family measured
        sim.honest = workers
        return sim


def learn_simulation(protocol, streams: Streams, ctx: dict[str, Any]) -> Simulation | None:
    """The protocol's own LEARN simulation when it has one (the server), else None."""
    fn: Callable | None = getattr(protocol, "simulate_learn", None)
    return fn(streams, ctx) if fn is not None else None
