"""Checks of the lower-bound constructions (``nodes.attacks.lowerbound``), computed from the
recorded honest families: the theorem's claim, measured.

- ``theorem5`` (attack): ``theorem5_d2_never_shrinks`` (D2(final)/D2(initial) stays 1) and
  ``lemma12_per_iteration`` (max_k D2(k) / (factor^k D2(0)) with Lemma 12's factor, MDA only);
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
from scenarios.run.checks.verdict import at_least, at_most, not_applicable

Families = dict[int, np.ndarray]

MDA_RULES = ("mda", "mda-all-minimal")
"""Lemma 12 is MDA's lemma: its per-iteration bound applies to these rules only."""


def theorem5_checks(n: int, f: int, q: int, fams: Families, out: np.ndarray, rule: str = "mda") -> dict[str, Any]:
    """Theorem 5's claim and Lemma 12's per-iteration bound, from the recorded families.

    - ``theorem5_d2_never_shrinks`` holds when D2(final) >= D2(initial): the construction stopped
      contraction completely, as Theorem 5's proof says it does at n <= 6f - 1 (HOLDS = the algorithm
      was defeated; it FAILS, e.g., at n = 6f + 1 where MDA contracts);
    - ``lemma12_per_iteration`` holds when D2(k) <= factor^k D2(0) for every iteration k, with Lemma
      12's factor (4f + h - q)/(q - f); applicable only to MDA and only when the factor is below 1
      (otherwise the lemma bounds nothing).
    """
    h = n - f
    D0 = d2(fams[0])
    what5 = "D2(final) / D2(initial) >= 1: Theorem 5's construction stops contraction (HOLDS = MDA defeated)"
    if D0 == 0:
        return {"theorem5_d2_never_shrinks": not_applicable("D2(initial) = 0", what5)}
    checks = {"theorem5_d2_never_shrinks": at_least(d2(out) / D0, 1.0, what5)}
    factor = (4 * f + h - q) / (q - f) if q > f else math.inf
    what12 = f"max_k D2(k) / (factor^k D2(0)) <= 1, Lemma 12's factor (4f+h-q)/(q-f) = {factor:.4g}"
    if rule not in MDA_RULES:
        checks["lemma12_per_iteration"] = not_applicable(f"Lemma 12 is MDA's; the rule here is {rule!r}", what12)
    elif not factor < 1:
        checks["lemma12_per_iteration"] = not_applicable(f"Lemma 12's factor {factor:.4g} >= 1 bounds nothing", what12,
                                                         factor=factor)
    else:
        worst = max((d2(x) / (factor ** k * D0) for k, x in fams.items() if k >= 1), default=0.0)
        checks["lemma12_per_iteration"] = at_most(worst, 1.0, what12, factor=factor)
    return checks


def theorem4_checks(n: int, f: int, q: int, fams: Families, out: np.ndarray, rule: str = "") -> dict[str, Any]:
    """Theorem 4: the averaging error is at least (h + 2f - q)/h - D2(final)/D2(initial) (HOLDS = the
    construction forced the lower bound's error)."""
    h = n - f
    x0 = fams[0]
    D0 = d2(x0)
    what = "Theorem 4: ||mean(final) - mean(initial)|| / D2(initial) >= (h+2f-q)/h - D2(final)/D2(initial)"
    if D0 == 0:
        return {"averaging_lower_bound": not_applicable("D2(initial) = 0", what)}
    err = float(np.linalg.norm(out.mean(axis=0) - x0.mean(axis=0))) / D0
    bound = (h + 2 * f - q) / h
    slack = d2(out) / D0
    return {"averaging_lower_bound": at_least(err, bound - slack, what, lower_bound=bound, slack=slack)}


BY_ATTACK: dict[str, Callable[..., dict[str, Any]]] = {"theorem5": theorem5_checks, "theorem4": theorem4_checks}
"""attack name -> its construction's checks."""


def needs_families(attack: str) -> bool:
    """Whether the run's checks read every iteration's honest family (the recorder then keeps them)."""
    return attack in BY_ATTACK


def construction_checks(attack: str, n: int, f: int, q: int, fams: Families, iterations: int,
                        rule: str = "mda") -> dict[str, Any]:
    """The checks of the construction the attack belongs to (none for other attacks)."""
    fn = BY_ATTACK.get(attack)
    if fn is None or 0 not in fams or iterations not in fams:
        return {}
    return fn(n, f, q, fams, fams[iterations], rule=rule)
