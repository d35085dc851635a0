"""Checks of a finished run, computed from recorded data (never inside an attack): termination,
contraction (Definition 2) and C-averaging (Definition 3) of every agreement run, and the checks of
the lower-bound constructions (:mod:`scenarios.run.checks.lowerbound`)."""
from __future__ import annotations

from typing import Any

from scenarios.run.checks.lowerbound import construction_checks, needs_families
from scenarios.run.checks.verdict import RELATIVE_TOLERANCE, at_least, at_most, gated, not_applicable


def averaging_constant(theory) -> tuple[float | None, str | None]:
    """(C, where it comes from): the theorem's C, else the theorem's formula when its assumption
    fails (no guarantee), else (None, None)."""
    if theory.C is not None:
        return theory.C, "theorem"
    if theory.extra.get("C_formula") is not None:
        return theory.extra["C_formula"], "formula (the theorem's assumption fails: no guarantee)"
    return None, None


def agreement_checks(rows: list[dict], scenario, stalled: bool, outputs: int) -> dict[str, Any]:
    """Termination, contraction (Definition 2) and C-averaging (Definition 3), from the measured rows.

    - ``termination`` holds when every honest node produced its output after the scenario's
      iterations;
    - ``contraction`` holds when D2(final) <= 2^-t D2(initial); not applicable when D2(initial) = 0
      (equal honest inputs: any run "contracts");
    - ``averaging`` holds when ||mean(final) - mean(initial)|| <= C D2(initial), with the C of the
      algorithm's theorem; not applicable when the theorem's assumption fails for these parameters
      (its formula is then shown as the bound, but it guarantees nothing) or no C is known.
    A run that did not terminate fails contraction and averaging (its final family is incomplete).
    """
    alg = scenario.algorithm
    h = scenario.system.h
    first, last = rows[0], rows[-1]
    D0 = first["diameter"]
    complete = (not stalled) and outputs == h and last["iteration"] == alg.iterations and last["nodes"] == h
    unfinished = "the run did not terminate"
    termination = {"holds": complete, "measured": outputs, "bound": h,
                   "detail": "every honest node produced its output" if complete else "some honest node did not finish"}
    if D0 > 0:
        contraction = gated(at_most(last["diameter"] / D0, 2.0 ** -alg.t, "D2(final) / D2(initial) <= 2^-t"),
                            complete, unfinished)
    else:
        contraction = not_applicable("D2(initial) = 0: the honest inputs are equal, so contraction says nothing",
                                     "D2(final) / D2(initial) <= 2^-t", measured=last["diameter"], bound=2.0 ** -alg.t)
    C, c_source = averaging_constant(alg.theory)
    err = last["avg_error"] / D0 if D0 > 0 else last["avg_error"]
    what = "||mean(final) - mean(initial)|| / D2(initial) <= C" if D0 > 0 else \
        "||mean(final) - mean(initial)|| <= C D2(initial) = 0 (equal honest inputs)"
    if c_source == "theorem":
        averaging = gated(at_most(err, C if D0 > 0 else 0.0, what, bound_source=c_source), complete, unfinished)
    else:
        reason = (f"the theorem's assumption fails for these parameters ({alg.theory.reason}): its C guarantees nothing"
                  if C is not None else f"no averaging constant C is known for {alg.name!r}")
        averaging = not_applicable(reason, what, measured=err, bound=C, bound_source=c_source)
    return {"termination": termination, "contraction": contraction, "averaging": averaging}


__all__ = ["RELATIVE_TOLERANCE", "agreement_checks", "at_least", "at_most", "averaging_constant",
           "construction_checks", "gated", "needs_families", "not_applicable"]
