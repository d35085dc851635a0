"""Run a resolved agreement scenario and build its result (the result JSON contract of DESIGN.md)."""
from __future__ import annotations

import time
from typing import Any, Callable

import trio

from scenarios.run.checks import agreement_checks, construction_checks, needs_families
from scenarios.run.checks.worstcase import worst_case_checks
from scenarios.run.protocols import protocol_for
from scenarios.run.record import IterationRecorder
from scenarios.run.result import run_result
from scenarios.run.simulate import Streams, build, run_async
from scenarios.spec.inputs import make_inputs


def _theory_bound(theory, k: int, row0: dict[str, Any]) -> float | None:
    """Bound on iteration k's diameter from the per-iteration factor of the algorithm's lemma."""
    if theory.per_iteration is None:
        return None
    on = theory.extra.get("bound_on", "diameter")
    return float(theory.per_iteration ** k * row0[on])


def prepare_agreement(scenario, progress: Callable[[int], None] | None = None, trace=None):
    """Build (not run) an agreement simulation; returns (simulation, recorder, protocol). ``trace``: a
    :class:`scenarios.run.tracing.TraceOut` recording the deliveries and the honest values."""
    streams = Streams.from_seed(scenario.scenario.seed)
    x0 = make_inputs(scenario, streams.inputs)
    protocol = protocol_for(scenario)
    recorder = IterationRecorder(list(range(scenario.system.h)), keep_families=needs_families(scenario.adversary.attack))
    sim = build(scenario, protocol, streams, x0, on_vector=recorder.add, progress=progress, trace=trace)
    return sim, recorder, protocol


def agreement_result(scenario, sim, recorder: IterationRecorder, protocol, wall: float) -> dict[str, Any]:
    rows = recorder.finish()
    th = scenario.algorithm.theory
    for row in rows:
        row["bound"] = _theory_bound(th, row["iteration"], rows[0])
        if rows[0]["diameter"] > 0:
            row["avg_error_ratio"] = row.get("avg_error", 0.0) / rows[0]["diameter"]
    checks = agreement_checks(rows, scenario, sim.net.stalled, len(sim.outputs))
    for name, check in protocol.post_checks(sim).items():
        checks.setdefault(name, check)  # never replaces a check of jungle's own
    s = scenario.system
    checks.update(construction_checks(scenario.adversary.attack, s.n, s.f, s.q, recorder.families,
                                      scenario.algorithm.iterations, rule=scenario.algorithm.rule))
    checks.update(worst_case_checks(scenario, rows, len(sim.outputs)))
    result = run_result(scenario, sim, iterations=rows, checks=checks, wall=wall)
    result.update(protocol.extra_results(sim))
    return result


def run_agreement(scenario, progress: Callable[[int], None] | None = None, trace=None) -> dict[str, Any]:
    sim, recorder, protocol = prepare_agreement(scenario, progress, trace)
    t0 = time.perf_counter()
    trio.run(run_async, sim)
    return agreement_result(scenario, sim, recorder, protocol, time.perf_counter() - t0)


async def run_agreement_async(scenario) -> dict[str, Any]:
    """The same run inside an existing trio run (tests use it with pytest-trio)."""
    sim, recorder, protocol = prepare_agreement(scenario)
    t0 = time.perf_counter()
    await run_async(sim)
    return agreement_result(scenario, sim, recorder, protocol, time.perf_counter() - t0)
