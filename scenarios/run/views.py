"""Read-only views of a finished run for plugin code (an attack's ``post_checks``).

A plugin gets what it legitimately reads and nothing it could change a verdict through: a copy of
the scenario, the honest and Byzantine ids, the honest outputs as read-only copies, the trace digest,
and the adversary (the attack's own object). Not the network, the honest machines, their keys, the
recorders or the result being built.
"""
from __future__ import annotations

import copy
from types import MappingProxyType
from typing import Any

import numpy as np


def _frozen(x) -> np.ndarray:
    a = np.array(x, dtype=np.float64)
    a.flags.writeable = False
    return a


class RunView:
    """``scenario`` (a deep copy of the resolved :class:`scenarios.spec.schema.Scenario`), ``honest``, ``byzantine`` (tuples), ``outputs`` (node -> read-only copy of
    its output vector), ``digest``, ``stalled``, ``adversary``."""

    __slots__ = ("scenario", "honest", "byzantine", "outputs", "digest", "stalled", "adversary")

    def __init__(self, sim: Any):
        self.scenario = copy.deepcopy(sim.scenario)
        self.honest = tuple(sim.honest)
        self.byzantine = tuple(sim.byzantine)
        self.outputs = MappingProxyType({i: _frozen(o) for i, o in sim.outputs.items()})
        self.digest = sim.digest
        self.stalled = bool(sim.net.stalled)
        self.adversary = sim.adversary


def run_view(sim: Any) -> RunView:
    return RunView(sim)
