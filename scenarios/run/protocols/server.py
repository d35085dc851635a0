"""The trusted-server baseline protocol, ``algorithm.name = "server"`` (NNM paper, Algorithm 3), for LEARN
scenarios: n workers (ids 0..n-1, the last f Byzantine) and one trusted server (id n, honest), on the
same adversarial network, schedule and attacks as the decentralised algorithms.

The server gathers the first q = ``system.q`` (default n - f) momenta of each round and applies
``algorithm.rule`` (default ``cwtm``; with or without a pre-aggregation such as ``nnm+cwtm``); see
:mod:`agreement.server`. Every LEARN attack runs unchanged: the Byzantine workers send their
vectors to the server only (each attack's slots are redirected to it; none is offered for the
models, which workers accept from the server only), reading the honest momenta of the same round
as they read the honest gradients of Algorithm 1. The decentralised ``dissensus`` attack has no
honest recipient vector to push and stays silent here.

For the resource budget (:mod:`scenarios.spec.budget`) one "iteration" is one LEARN round: the model
to the n other nodes, the h honest momenta and f Byzantine slots, so 2n messages; T + 1 models in all.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np
import trio

from agreement.rules import get_rule
from agreement.server import MODEL, MOMENTUM, ServerMachine, WorkerMachine
from net.keys import Keyring, SealLog
from net.network import Network
from net.schedules import make_schedule
from net.validate import VECTOR, Verifier
from nodes.adversary import Adversary, ByzantineNode
from nodes.context import AttackContext
from nodes.honest import HonestNode
from scenarios.errors import ScenarioError
from scenarios.run.protocols.iterate import Protocol
from scenarios.run.simulate import LearnRun, Simulation, Streams, run_async


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
    learn_only = True
    default_rule = "cwtm"

    def schemas(self, d: int) -> dict[str, dict[str, Any]]:
        return {MOMENTUM: {"x": VECTOR}, MODEL: {"x": VECTOR}}

    def machine(self, node, x0, on_vector):
        raise ScenarioError("algorithm.name \"server\" runs LEARN scenarios only (scenario.kind = \"learn\")")

    @classmethod
    def check_rule(cls, rule: Callable, q: int, f: int) -> None:
        """The server aggregates the first q momenta with no vector of its own (``own = None``)."""
        rule(np.zeros((q, 1)), f, None)

    @classmethod
    def messages_per_iteration(cls, n: int, f: int) -> int:
        """Per LEARN round: the model to the n other nodes, h honest momenta and f Byzantine slots."""
        return 2 * n

    @classmethod
    def vectors_per_iteration(cls, n: int, f: int) -> tuple[int, int]:
        """Per LEARN round: (the model, one blob shared by its deliveries, + h momenta; f Byzantine ones)."""
        return (n - f) + 1, f

    @classmethod
    def learn_iterations(cls, T: int, iterations: Callable[[int, int], int]) -> int:
        """T + 1 models (rounds of exchange), whatever AVG_tau's iteration counts."""
        return T + 1

    def simulate_learn(self, streams: Streams, run: LearnRun) -> Simulation:
        """Build and run the server simulation (``run``: the LEARN runner's shared setup)."""
        scenario = self.scenario
        s, adv = scenario.system, scenario.adversary
        n, f, q, d = s.n, s.f, s.q, s.dim
        h = n - f
        server = n
        workers, byzantine = list(range(h)), list(range(h, n))
        keyring = Keyring(scenario.scenario.seed, n + 1)
        honest_seals, byzantine_seals = SealLog(workers + [server]), SealLog(byzantine)  # see net.keys.SealLog
        verifier = Verifier(keyring, d, self.schemas(d), seals=(honest_seals, byzantine_seals))
        schedule = make_schedule(adv.schedule, adv.schedule_params)
        net = Network(n + 1, workers + [server], byzantine, schedule, verifier, streams.schedule,
                      record_trace=bool(scenario.run.record_trace or run.trace is not None), max_steps=scenario.run.max_steps,
                      flood=self.flood_bounds(n + 1, f))
        attack = _to_server(self.attacks()[adv.attack], server)()
        context = AttackContext(algorithm=self.name, schedule_params=adv.schedule_params, learn=run.context,
                                include_self=s.include_self)
        adversary = Adversary(attack, n=n, f=f, q=q, d=d, honest=workers, byzantine=byzantine,
                              signers={b: keyring.signer(b, byzantine_seals) for b in byzantine}, rng=streams.adversary,
                              params=adv.params, context=context, seen_window=adv.seen_window)
        net.adversary = adversary
        if run.trace is not None:
            run.trace.attach(scenario, net, None, workers + [server], byzantine)
        nodes = [HonestNode(i, WorkerMachine(i, server, run.grad_fn(i), T=run.T, eta=run.eta, momentum=run.momentum,
                                             output=run.output, output_index=run.output_index,
                                             on_theta=run.on_theta, on_grad=run.on_grad), keyring.signer(i, honest_seals), net)
                 for i in workers]
        srv = ServerMachine(server, run.theta1, workers=list(range(n)), f=f, q=q, rule=get_rule(scenario.algorithm.rule),
                            T=run.T, eta=run.eta, output=run.output, output_index=run.output_index)
        nodes.append(HonestNode(server, srv, keyring.signer(server, honest_seals), net))
        sim = Simulation(scenario, workers + [server], byzantine, net, nodes, adversary)
        sim.byz_nodes = [ByzantineNode(b, adversary, net) for b in byzantine]
        sim = trio.run(run_async, sim)
        sim.server_output = sim.outputs.pop(server, None)  # the workers are the honest family measured
        sim.honest = workers
        return sim
