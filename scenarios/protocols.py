"""Protocols a scenario can run: how to build each honest node's machine, the message schemas the
validator enforces, the attacks aimed at it, and checks run on the finished run.

"iterate a rule" (ICwTM, MDA, CVA, any rule) is built in; other protocols register themselves in
:data:`PROTOCOLS` (e.g. ``broadcast``).
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from agreement.iterate import VEC, IterateRule
from agreement.rules import get_rule
from net.validate import VECTOR


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

    def attacks(self) -> dict[str, type]:
        from nodes.attacks import ATTACKS
        return ATTACKS

    def post_checks(self, sim) -> dict[str, Any]:
        """Checks computed from the finished run; an attack may contribute its own (``post_checks``)."""
        hook = getattr(getattr(sim.adversary, "attack", None), "post_checks", None)
        return dict(hook(sim)) if hook is not None else {}

    def extra_results(self, sim) -> dict[str, Any]:
        return {}


PROTOCOLS: dict[str, type[Protocol]] = {}
"""algorithm name -> Protocol class, for algorithms that are not "iterate a rule"."""


def protocol_for(cfg: dict[str, Any]) -> Protocol:
    name = cfg["algorithm"]["name"]
    if name not in PROTOCOLS:
        _load_optional()
    return PROTOCOLS.get(name, Protocol)(cfg)


def _load_optional() -> None:
    from agreement.plugins import import_optional

    import_optional("nodes.broadcast_protocol")
