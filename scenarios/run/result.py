"""The result of a run (DESIGN.md, result JSON contract): the keys every kind of run carries, built
in one place."""
from __future__ import annotations

from typing import Any

RESULT_VERSION = 1
"""Version of the result JSON layout; raised when a key changes meaning."""


def run_result(scenario, sim, *, iterations: list[dict[str, Any]], checks: dict[str, Any], wall: float,
               **extra: Any) -> dict[str, Any]:
    """The contract's keys for a simulated run (``scenario`` with every default filled in, ``seed``,
    ``trace_digest``, ``iterations``, ``checks``, ``messages``) plus ``theory``, ``include_self``,
    ``stalled``, ``steps``, ``wall_seconds`` and the kind's own keys (``extra``)."""
    return {
        "version": RESULT_VERSION,
        "scenario": scenario.as_json(),
        "seed": scenario.scenario.seed,
        "trace_digest": sim.digest,
        "include_self": scenario.system.include_self,
        "theory": scenario.algorithm.theory.as_dict(),
        "iterations": iterations,
        "checks": checks,
        "messages": sim.net.message_counts(),
        "stalled": sim.net.stalled,
        "steps": sim.net.step,
        "wall_seconds": wall,
        **extra,
    }


def digest_result(scenario, trace_digest: str, *, checks: dict[str, Any], wall: float, **extra: Any) -> dict[str, Any]:
    """The contract's keys for a run without a network (the seed kinds cga, licchavi, gmm):
    ``scenario``, ``seed``, ``trace_digest`` (a digest over the run's numbers), ``checks``,
    ``wall_seconds`` and the kind's own keys (``extra``)."""
    return {
        "version": RESULT_VERSION,
        "scenario": scenario.as_json(),
        "seed": scenario.scenario.seed,
        "trace_digest": trace_digest,
        "checks": checks,
        "wall_seconds": wall,
        **extra,
    }
