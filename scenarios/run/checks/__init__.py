"""Checks of a finished run, computed from recorded data (never inside an attack): termination,
contraction (Definition 2) and C-averaging (Definition 3) of every agreement run, and the checks of
the lower-bound constructions (:mod:`scenarios.run.checks.lowerbound`)."""
from __future__ import annotations

import math
from typing import Any

from scenarios.run.checks.lowerbound import construction_checks, needs_families


def averaging_constant(theory) -> tuple[float | None, str | None]:
    """(C, where it comes from): the theorem's C, else the theorem's formula when its assumption
    fails (no guarantee), else (None, None)."""
    if theory.C is not None:
        return theory.C, "theorem"
    if theory.extra.get("C_formula") is not None:
        return theory.extra["C_formula"], "formula (the theorem's assumption fails: no guarantee)"
    return None, None


def agreement_checks(rows: list[dict], scenario, stalled: bool, outputs: int) -> dict[str, Any]:
    """Contraction (Definition 2) and C-averaging (Definition 3), computed from the measured rows."""
    alg = scenario.algorithm
    h = scenario.system.h
    first, last = rows[0], rows[-1]
    D0 = first["diameter"]
    complete = (not stalled) and outputs == h and last["iteration"] == alg.iterations and last["nodes"] == h
    bound_c = 2.0 ** -alg.t
    if D0 > 0:
        contraction_measured = last["diameter"] / D0
        averaging_measured = last["avg_error"] / D0
    else:
        contraction_measured = 0.0 if last["diameter"] == 0 else math.inf
        averaging_measured = 0.0 if last["avg_error"] == 0 else math.inf
    C, c_source = averaging_constant(alg.theory)
    return {
        "termination": {"holds": complete, "measured": outputs, "bound": h,
                        "detail": "every honest node produced its output" if complete else "some honest node did not finish"},
        "contraction": {"holds": bool(complete and contraction_measured <= bound_c), "measured": contraction_measured,
                        "bound": bound_c, "detail": "D2(final) / D2(initial) <= 2^-t"},
        "averaging": {"holds": (bool(complete and averaging_measured <= C) if C is not None else None),
                      "measured": averaging_measured, "bound": C, "bound_source": c_source,
                      "detail": "||mean(final) - mean(initial)|| / D2(initial) <= C"},
    }


__all__ = ["agreement_checks", "averaging_constant", "construction_checks", "needs_families"]
