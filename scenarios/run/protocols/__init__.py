"""Protocol adapters: what a scenario's ``algorithm.name`` runs.

:data:`PROTOCOLS` maps an algorithm name to its adapter class; a name not in it is "iterate a rule"
(:class:`~scenarios.run.protocols.iterate.Protocol`, the rule being ``algorithm.rule``). Built here
from explicit imports; third-party protocols come under the ``jungle.protocols`` entry point group.
"""
from __future__ import annotations

from agreement.registry import Registry
from scenarios.run.protocols.broadcast import BroadcastProtocol
from scenarios.run.protocols.iterate import Protocol
from scenarios.run.protocols.server import ServerProtocol

PROTOCOLS: Registry[type[Protocol]] = Registry("protocol", "jungle.protocols")
PROTOCOLS.register("broadcast", BroadcastProtocol)
PROTOCOLS.register("server", ServerProtocol)


def protocol_class(algorithm: str) -> type[Protocol]:
    """The adapter class of an algorithm name ("iterate a rule" when no protocol has the name)."""
    return PROTOCOLS[algorithm] if algorithm in PROTOCOLS else Protocol


def protocol_for(scenario) -> Protocol:
    """The adapter of a resolved scenario."""
    return protocol_class(scenario.algorithm.name)(scenario)


__all__ = ["PROTOCOLS", "Protocol", "protocol_class", "protocol_for"]
