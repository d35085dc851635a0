"""When a run counts as breaking an algorithm, and what kind of break it is.

Below a threshold the run's iteration count N comes from a formula that guarantees nothing (the
theorem's N(t) with its assumption failing, or eq. 169 with e~ = 1/(2(q - 2f))), so a run can end
above 2^-t D2(0) only because it contracts slowly. A candidate break found at N iterations is
therefore re-run, same scenario and adversary, for a horizon of :data:`HORIZON_FACTOR` x N iterations
(at least :data:`MIN_HORIZON`), and counts only if it still breaks there:

- ``termination``: some honest node never produced its output (a stall);
- ``divergence``: D2 at the horizon is above D2(0) and still growing (per-iteration factor over the
  last half of the horizon > 1 + :data:`STUCK_TOLERANCE`: the adversary pushes the honest nodes apart);
- ``no contraction``: D2 at the horizon is above 2^-t D2(0) and the factor over the last half is
  1 within :data:`STUCK_TOLERANCE` (contraction stopped);
- ``above target at horizon``: D2 at the horizon is still above 2^-t D2(0) although it shrinks
  again by the end (a break at this horizon; the factor is reported so a reader can judge how far
  the run is from contracting);
- ``averaging``: the averaging check FAILS (only where it is applicable, i.e. the theorem's C holds).

Committed counterexamples are saved at their horizon (``algorithm.iterations`` explicit), so that
``jungle run FILE`` replays the break itself.
"""
from __future__ import annotations

import math
from typing import Any

HORIZON_FACTOR = 4
"""The horizon is this many times the run's own iteration count N."""
MIN_HORIZON = 24
"""...and at least this many iterations (N can be 1 or 2 below a threshold)."""
STUCK_TOLERANCE = 1e-9
"""A per-iteration factor >= 1 - this over the last half of the horizon is "no contraction"."""


def horizon(iterations: int) -> int:
    return max(HORIZON_FACTOR * iterations, MIN_HORIZON)


def last_half_factor(result: dict[str, Any]) -> float | None:
    """Geometric mean of D2(k)/D2(k-1) over the last half of the run (None when D2 reached 0)."""
    rows = result.get("iterations") or []
    if len(rows) < 2:
        return None
    half = rows[len(rows) // 2:]
    a, b = half[0]["diameter"], half[-1]["diameter"]
    steps = half[-1]["iteration"] - half[0]["iteration"]
    if steps <= 0 or a <= 0 or b <= 0:
        return None
    return (b / a) ** (1.0 / steps)


def kind_of(result: dict[str, Any]) -> str | None:
    """The kind of break this run shows (see the module docstring), or None if it breaks nothing."""
    c = result["checks"]
    if (c.get("termination") or {}).get("holds") is False:
        return "termination"
    ct = c.get("contraction") or {}
    if ct.get("holds") is False:
        factor = last_half_factor(result)
        if factor is None or factor > 1 + STUCK_TOLERANCE:
            return "divergence"
        if factor >= 1 - STUCK_TOLERANCE:
            return "no contraction"
        return "above target at horizon"
    if (c.get("averaging") or {}).get("holds") is False:
        return "averaging"
    return None


def describe(result: dict[str, Any]) -> dict[str, Any]:
    """What a confirmed break measured at its horizon."""
    rows = result["iterations"]
    D0 = rows[0]["diameter"]
    factor = last_half_factor(result)
    return {"kind": kind_of(result), "horizon": rows[-1]["iteration"],
            "d2_ratio_at_horizon": rows[-1]["diameter"] / D0 if D0 > 0 else math.nan,
            "factor_last_half": factor}


def at_horizon(scenario, iterations: int | None = None):
    """The same scenario run for the horizon (``algorithm.iterations`` explicit)."""
    n_its = horizon(iterations if iterations is not None else scenario.algorithm.iterations)
    return scenario.updated("algorithm", iterations=n_its, iterations_source="algorithm.iterations")
