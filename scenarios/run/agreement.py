"""Run a resolved agreement scenario and build its result (the result JSON contract of DESIGN.md)."""
from __future__ import annotations

import math
import time
from typing import Any, Callable

import trio

from scenarios.run.protocols import protocol_for
from scenarios.run.record import IterationRecorder
from scenarios.run.simulate import Streams, build, run_async
from scenarios.spec.inputs import make_inputs

RESULT_VERSION = 1


def _theory_bound(theory: dict[str, Any], k: int, row0: dict[str, Any]) -> float | None:
    """Bound on iteration k's diameter from the per-iteration factor of the algorithm's lemma."""
    per = theory.get("per_iteration")
    if per is None:
        return None
    on = theory.get("extra", {}).get("bound_on", "diameter")
    return float(per ** k * row0[on])


def agreement_checks(rows: list[dict], cfg: dict[str, Any], stalled: bool, outputs: int) -> dict[str, Any]:
    """Contraction (Definition 2) and C-averaging (Definition 3), computed from the measured rows."""
    alg = cfg["algorithm"]
    th = alg["theory"]
    t = alg["t"]
    h = cfg["system"]["h"]
    first, last = rows[0], rows[-1]
    D0 = first["diameter"]
    complete = (not stalled) and outputs == h and last["iteration"] == alg["iterations"] and last["nodes"] == h
    bound_c = 2.0 ** -t
    if D0 > 0:
        contraction_measured = last["diameter"] / D0
        averaging_measured = last["avg_error"] / D0
    else:
        contraction_measured = 0.0 if last["diameter"] == 0 else math.inf
        averaging_measured = 0.0 if last["avg_error"] == 0 else math.inf
    C = th.get("C")
    c_source = "theorem" if C is not None else None
    if C is None and th.get("extra", {}).get("C_formula") is not None:
        C, c_source = th["extra"]["C_formula"], "formula (the theorem's assumption fails: no guarantee)"
    checks = {
        "termination": {"holds": complete, "measured": outputs, "bound": h,
                        "detail": "every honest node produced its output" if complete else "some honest node did not finish"},
        "contraction": {"holds": bool(complete and contraction_measured <= bound_c), "measured": contraction_measured,
                        "bound": bound_c, "detail": "D2(final) / D2(initial) <= 2^-t"},
        "averaging": {"holds": (bool(complete and averaging_measured <= C) if C is not None else None),
                      "measured": averaging_measured, "bound": C, "bound_source": c_source,
                      "detail": "||mean(final) - mean(initial)|| / D2(initial) <= C"},
    }
    return checks


def prepare_agreement(cfg: dict[str, Any], progress: Callable[[int], None] | None = None):
    """Build (not run) an agreement simulation; returns (simulation, recorder, protocol)."""
    streams = Streams.from_seed(cfg["scenario"]["seed"])
    x0 = make_inputs(cfg, streams.inputs)
    protocol = protocol_for(cfg)
    recorder = IterationRecorder(list(range(cfg["system"]["h"])))
    sim = build(cfg, protocol, streams, x0, on_vector=recorder.add, progress=progress)
    return sim, recorder, protocol


def agreement_result(cfg: dict[str, Any], sim, recorder: IterationRecorder, protocol, wall: float) -> dict[str, Any]:
    rows = recorder.finish()
    th = cfg["algorithm"]["theory"]
    for row in rows:
        row["bound"] = _theory_bound(th, row["iteration"], rows[0])
        if rows[0]["diameter"] > 0:
            row["avg_error_ratio"] = row.get("avg_error", 0.0) / rows[0]["diameter"]
    checks = agreement_checks(rows, cfg, sim.net.stalled, len(sim.outputs))
    for name, check in protocol.post_checks(sim).items():
        checks.setdefault(name, check)  # never replaces a check of jungle's own
    result = {
        "version": RESULT_VERSION,
        "scenario": {k: v for k, v in cfg.items() if not k.startswith("_")},
        "seed": cfg["scenario"]["seed"],
        "trace_digest": sim.digest,
        "include_self": cfg["system"]["include_self"],
        "theory": th,
        "iterations": rows,
        "checks": checks,
        "messages": sim.net.message_counts(),
        "stalled": sim.net.stalled,
        "steps": sim.net.step,
        "wall_seconds": wall,
    }
    result.update(protocol.extra_results(sim))
    return result


def run_agreement(cfg: dict[str, Any], progress: Callable[[int], None] | None = None) -> dict[str, Any]:
    sim, recorder, protocol = prepare_agreement(cfg, progress)
    t0 = time.perf_counter()
    trio.run(run_async, sim)
    return agreement_result(cfg, sim, recorder, protocol, time.perf_counter() - t0)


async def run_agreement_async(cfg: dict[str, Any]) -> dict[str, Any]:
    """The same run inside an existing trio run (tests use it with pytest-trio)."""
    sim, recorder, protocol = prepare_agreement(cfg)
    t0 = time.perf_counter()
    await run_async(sim)
    return agreement_result(cfg, sim, recorder, protocol, time.perf_counter() - t0)
