"""Theory of broadcast-based averaging agreement (agreement paper, section 6, Theorems 6 and 7).

- Threshold: n >= 3f + 1 with q = n - f (Theorem 6); Theorem 7: no algorithm works for n <= 3f.
- Iterations: N(t) = t + ceil(log2 h) (Theorem 6).
- Per iteration every coordinate-wise diameter is at least halved (proof of Theorem 6, from
  Abraham, Amit and Dolev 2004 in dimension 1), so the bound is tracked on Dcw2 with factor 1/2.
- C = 2 sqrt(h) (Theorem 6, eq. 166-167 with Lemma 1/2: Dcw2 <= 2 sqrt(h) D2).

Check of eq. 165: it uses Dcw2(x) <= h D2(x); this holds (Dcw2^2 <= sum over pairs of squared
distances <= h(h - 1)/2 D2^2, so Dcw2 <= sqrt(h(h - 1)/2) D2 <= h D2), and 2^ceil(log2 h) >= h, so
N(t) iterations give D2(y) <= Dcw2(y) <= 2^-N Dcw2(x) <= h 2^-N D2(x) <= 2^-t D2(x).
"""
from __future__ import annotations

import math

from agreement.theory.base import Theory


def n_broadcast(t: int, h: int) -> int:
    """N(t) = t + ceil(log2 h) (Theorem 6)."""
    return t + (math.ceil(math.log2(h)) if h > 1 else 0)


def c_broadcast(h: int) -> float:
    """C = 2 sqrt(h) (Theorem 6)."""
    return 2.0 * math.sqrt(h)


def theory(n: int, f: int, q: int, d: int, t: int) -> Theory:
    h = n - f
    base = dict(algorithm="broadcast", n=n, f=f, q=q, h=h, d=d, t=t, headline_n=3 * f + 1,
                threshold="n >= 3f + 1 with q = n - f (Theorem 6; Theorem 7: impossible for n <= 3f)")
    extra = {"C_formula": c_broadcast(h) if h > 0 else None, "bound_on": "cw_diameter",
             "C_lemma1_refined": min(2.0 * math.sqrt(h), math.sqrt(d)) if h > 0 else None,
             "iterations_formula": "t + ceil(log2 h)", "N_formula": n_broadcast(t, h) if h > 0 else None}
    if n < 3 * f + 1:
        return Theory(holds=False, reason=(f"the broadcast algorithm needs n >= 3f + 1 = {3 * f + 1} (Theorem 6; "
                                           f"Theorem 7: no algorithm works for n <= 3f), got n = {n}"),
                      extra=extra, **base)
    if q != n - f:
        return Theory(holds=False, reason=f"Theorem 6 is stated for q = n - f = {n - f}, got q = {q}",
                      extra=extra, **base)
    return Theory(holds=True, iterations=n_broadcast(t, h), C=c_broadcast(h), per_iteration=0.5,
                  extra=extra, **base)
