"""The protocol adapter of "iterate a rule" (ICwTM, MDA, CVA, any rule), and the base of every
adapter: how to build each honest node's machine, the message schemas the validator enforces, the
attacks aimed at it, and checks run on the finished run.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from agreement.iterate import VEC, IterateRule
from agreement.rules import get_rule
from net.flood import FloodBounds
from net.validate import VECTOR
from nodes.attacks import ATTACKS
from scenarios.run.views import run_view


class Protocol:
    name = "iterate"
    record_trace = False

    def __init__(self, cfg: dict[str, Any]):
        self.cfg = cfg

    def schemas(self, d: int) -> dict[str, dict[str, Any]]:
        return {VEC: {"x": VECTOR}}

    def machine(self, node: int, x0: np.ndarray, on_vector: Callable) -> Any:
        s, a = self.cfg["system"], self.cfg["algorithm"]
        return IterateRule(node, x0, n=s["n"], f=s["f"], q=s["q"], rule=get_rule(a["rule"]),
                           iterations=a["iterations"], include_self=s["include_self"], on_vector=on_vector)

    def attacks(self):
        return ATTACKS

    def flood_bounds(self, n: int, f: int) -> FloodBounds:
        """What one sender may usefully send one receiver per (instance, round, kind): one message of
        each kind (a machine takes one per sender); the slot cap and K follow (:mod:`net.flood`)."""
        return FloodBounds.for_protocol(self.schemas(1), n, f)

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
