"""The protocol adapter of "iterate a rule" (ICwTM, MDA, CVA, any rule), and the base of every
adapter: how to build each honest node's machine from the resolved scenario, the message schemas
the validator enforces, the attacks aimed at it, what resolution checks (the rule can aggregate q
vectors), the messages per iteration and the iterations of a LEARN run (for the step and memory
budgets), how a LEARN run is simulated when the protocol has its own way (the trusted server), and
checks run on the finished run.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from agreement.iterate import VEC, IterateRule
from agreement.learn import PHASE_GRAD, PHASE_PARAM
from agreement.registry import Registry
from agreement.rules import get_rule
from net.flood import FloodBounds
from net.validate import VECTOR
from nodes.attacks import ATTACKS
from scenarios.run.views import run_view


class Protocol:
    name = "iterate"
    record_trace = False
    serve_after_output = False
    learn_only = False
    """True for a protocol that only runs LEARN scenarios (the trusted server): refused at resolution
    in an agreement scenario."""
    default_rule: str | None = None
    """The rule ``algorithm.rule`` defaults to for this protocol (None: the algorithm's name is the rule,
    or :data:`scenarios.spec.resolve.DEFAULT_RULE`'s)."""

    def __init__(self, scenario):
        self.scenario = scenario
        """The resolved scenario (:class:`scenarios.spec.schema.Scenario`), read-only."""

    def schemas(self, d: int) -> dict[str, dict[str, Any]]:
        return {VEC: {"x": VECTOR}}

    def machine(self, node: int, x0: np.ndarray, on_vector: Callable) -> Any:
        s, a = self.scenario.system, self.scenario.algorithm
        return IterateRule(node, x0, n=s.n, f=s.f, q=s.q, rule=get_rule(a.rule),
                           iterations=a.iterations, include_self=s.include_self, on_vector=on_vector)

    @classmethod
    def attacks(cls) -> Registry:
        """The registry of the attacks aimed at this protocol."""
        return ATTACKS

    def flood_bounds(self, n: int, f: int) -> FloodBounds:
        """What one sender may usefully send one receiver per (instance, round, kind): one message of
        each kind (a machine takes one per sender); the slot cap and K follow (:mod:`net.flood`)."""
        return FloodBounds.for_protocol(self.schemas(1), n, f)

    @classmethod
    def check_rule(cls, rule: Callable, q: int, f: int) -> None:
        """Raise ``ValueError`` when ``rule`` cannot aggregate the q vectors a node gathers (tried
        once on zeros, d = 1: e.g. a trimmed mean needs q > 2f)."""
        rule(np.zeros((q, 1)), f, np.zeros(1))

    @classmethod
    def messages_per_iteration(cls, n: int, f: int) -> int:
        """Messages of one iteration: every honest node to every other node, and a Byzantine slot
        per (Byzantine, honest) pair."""
        h = n - f
        return h * (n - 1) + f * h

    @classmethod
    def vectors_per_iteration(cls, n: int, f: int) -> tuple[int, int]:
        """(honest, Byzantine) distinct vector payloads of one iteration: each honest broadcast is
        one blob shared by its deliveries; the Byzantine nodes may write one per (Byzantine, honest)
        pair."""
        h = n - f
        return h, f * h

    @classmethod
    def learn_iterations(cls, T: int, iterations: Callable[[int, int], int]) -> int:
        """Agreement iterations of a LEARN run of T rounds (for the budget), AVG_tau's ``iterations(t,
        phase)`` given: bounded in closed form by T (iterations(T, gradient) + iterations(1, parameter))."""
        return T * (iterations(T, PHASE_GRAD) + iterations(1, PHASE_PARAM))

    def simulate_learn(self, streams, run) -> Any:
        """A protocol that runs LEARN its own way (the trusted server) builds and runs the simulation
        here (``run``: :class:`scenarios.run.simulate.LearnRun`); None (the default): LEARN runs
        Algorithm 1, every honest node a :class:`agreement.learn.LearnMachine` over this protocol's
        agreement."""
        return None

    def post_checks(self, sim) -> dict[str, Any]:
        """Checks computed from the finished run; an attack may contribute its own (``post_checks``),
        computed from a read-only view of the run (:func:`scenarios.run.views.run_view`) and marked
        with their source; they never replace a check of jungle's own."""
        attack = getattr(sim.adversary, "attack", None)
        hook = getattr(attack, "post_checks", None)
        if hook is None:
            return {}
        out = {}
        for name, check in dict(hook(run_view(sim))).items():
            check = dict(check)
            check.setdefault("source", f"attack {getattr(attack, 'name', type(attack).__name__)}")
            out[str(name)] = check
        return out

    def extra_results(self, sim) -> dict[str, Any]:
        return {}
