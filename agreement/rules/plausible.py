"""``plausible:R+RULE`` and ``plausible-inf:R+RULE``: drop the gathered rows outside GRAD, the set of
plausible gradients of personalised learning (poisoning paper, section 2.2), then apply RULE.

GRAD is the closed l2 ball B(0, R) for the l2 and smooth-l2 regularizations (R = lambda) and the
l-infinity ball (the box [-R, R]^d) for LICCHAVI's l1 regularization with Delta = I. A dropped row is
provably Byzantine (an honest gradient is always plausible), so RULE gets f' = max(0, f - dropped).
The node's own vector is never dropped. Cost O(q d) + RULE's.
"""
from __future__ import annotations

from typing import Callable

import numpy as np


def _keep(X: np.ndarray, radius: float, order: float) -> np.ndarray:
    norms = np.linalg.norm(X, ord=order, axis=1) if X.size else np.zeros(0)
    return np.isfinite(X).all(axis=1) & (norms <= radius * (1.0 + 1e-9))


def plausible(rule: Callable, radius: str | float | None = None, order: float = 2.0) -> Callable:
    R = None if radius is None else float(radius)
    if R is not None and not R > 0:
        raise ValueError(f"plausible: the radius must be > 0, got {radius!r}")

    def filtered(X, f, own=None):
        if R is None:
            raise ValueError("plausible needs its radius: plausible:R+RULE (R = lambda)")
        X = np.asarray(X, dtype=np.float64)
        keep = _keep(X, R, order)
        if own is not None:  # the node's own row is honest: never dropped
            keep |= np.all(X == np.asarray(own, dtype=np.float64), axis=1)
        return rule(X[keep], max(0, f - int((~keep).sum())), own)

    filtered.__name__ = f"plausible_{getattr(rule, '__name__', 'rule')}"
    filtered.__doc__ = (f"Drop the rows outside GRAD (norm > R), then {getattr(rule, '__name__', 'the rule')}. "
                        "Cost O(q d) + the rule's.")
    return filtered


def plausible_inf(rule: Callable, radius: str | float | None = None) -> Callable:
    return plausible(rule, radius, order=np.inf)


PRE_AGGREGATIONS = {"plausible": plausible, "plausible-inf": plausible_inf}
