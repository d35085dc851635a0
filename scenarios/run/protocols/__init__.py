"""Protocol adapters: what a scenario's ``algorithm.name`` runs.

:data:`PROTOCOLS` maps an algorithm name to its adapter class; a name not in it is "iterate a rule"
(:class:`~scenarios.run.protocols.iterate.Protocol`, the rule being ``algorithm.rule``). Built here
from explicit imports; third-party protocols come under the ``jungle.protocols`` entry point group.
"""
from __future__ import annotations

from typing import Any

from agreement.registry import Registry
from scenarios.run.protocols.broadcast import BroadcastProtocol
from scenarios.run.protocols.iterate import Protocol
from scenarios.run.protocols.server import ServerProtocol

PROTOCOLS: Registry[type[Protocol]] = Registry("protocol", "jungle.protocols")
PROTOCOLS.register("broadcast", BroadcastProtocol)
PROTOCOLS.register("server", ServerProtocol)


def protocol_for(cfg: dict[str, Any]) -> Protocol:
    name = cfg["algorithm"]["name"]
    return (PROTOCOLS[name] if name in PROTOCOLS else Protocol)(cfg)


__all__ = ["PROTOCOLS", "Protocol", "protocol_for"]
