"""Checks of the lower-bound constructions (``nodes.attacks.lowerbound``), computed from the
recorded honest families: the theorem's claim, measured.

- ``theorem5`` (attack): ``theorem5_no_contraction`` (D2(final)/D2(initial) stays 1) and
  ``lemma12_per_iteration`` (max_k D2(k) / (factor^k D2(0)) with Lemma 12's factor);
- ``theorem4`` (attack): ``averaging_lower_bound`` (Theorem 4's error, up to the final diameter).

Each takes (n, f, q, families, outputs) where ``families[k]`` is the h x d honest family of iteration
k (the outputs at k = iterations) and returns its checks; nothing when iteration 0 or some output is
missing.
"""
from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np

from agreement.diameters import d2

Families = dict[int, np.ndarray]

TOLERANCE = 1e-9
"""Slack of the ``>=``/``<=`` comparisons of these checks (float rounding)."""


def theorem5_checks(n: int, f: int, q: int, fams: Families, out: np.ndarray) -> dict[str, Any]:
    """Theorem 5's claim (no contraction at all) and Lemma 12's per-iteration bound."""
    h = n - f
    D0 = d2(fams[0])
    ratio = d2(out) / D0 if D0 > 0 else math.nan
    factor = (4 * f + h - q) / (q - f)
    worst = max((d2(x) / (factor ** k * D0) for k, x in fams.items() if k >= 1), default=0.0) if D0 > 0 else math.nan
    return {
        "theorem5_no_contraction": {
            "holds": bool(ratio >= 1 - TOLERANCE), "measured": ratio, "bound": 1.0,
            "detail": "Theorem 5's claim: D2(final)/D2(initial) stays 1 (holds = no contraction at all)"},
        "lemma12_per_iteration": {
            "holds": bool(worst <= 1 + TOLERANCE), "measured": worst, "bound": 1.0,
            "factor": factor,
            "detail": f"max_k D2(k) / (factor^k D2(0)) with Lemma 12's factor (4f+h-q)/(q-f) = {factor:.4g}"},
    }


def theorem4_checks(n: int, f: int, q: int, fams: Families, out: np.ndarray) -> dict[str, Any]:
    """Theorem 4: ||mean(final) - mean(initial)|| / D2(initial) >= (h+2f-q)/h - D2(final)/D2(initial)."""
    h = n - f
    x0 = fams[0]
    D0 = d2(x0)
    if D0 == 0:
        return {}
    err = float(np.linalg.norm(out.mean(axis=0) - x0.mean(axis=0))) / D0
    bound = (h + 2 * f - q) / h
    slack = d2(out) / D0
    return {"averaging_lower_bound": {
        "holds": bool(err >= bound - slack - TOLERANCE), "measured": err, "bound": bound, "slack": slack,
        "detail": "Theorem 4: ||mean(final) - mean(initial)|| / D2(initial) >= (h+2f-q)/h - D2(final)/D2(initial)"}}


BY_ATTACK: dict[str, Callable[..., dict[str, Any]]] = {"theorem5": theorem5_checks, "theorem4": theorem4_checks}
"""attack name -> its construction's checks."""


def needs_families(attack: str) -> bool:
    """Whether the run's checks read every iteration's honest family (the recorder then keeps them)."""
    return attack in BY_ATTACK


def construction_checks(attack: str, n: int, f: int, q: int, fams: Families, iterations: int) -> dict[str, Any]:
    """The checks of the construction the attack belongs to (none for other attacks)."""
    fn = BY_ATTACK.get(attack)
    if fn is None or 0 not in fams or iterations not in fams:
        return {}
    return fn(n, f, q, fams, fams[iterations])
