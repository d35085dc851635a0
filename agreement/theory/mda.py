"""Theory of MDA (agreement paper, section 5): Assumption 5, e~, N_MDA(t), Lemma 12 (eq. 133-135),
Lemma 13 (eq. 136), Theorem 3, and the lower bounds of Theorem 4 and Theorem 5."""
from __future__ import annotations

import math

from agreement.theory.base import Theory

_E_CAP = 1.0 - 1e-12


def eps_max(n: int, f: int, q: int) -> tuple[float | None, str | None]:
    """The largest e in (0, 1) allowed by Assumption 5, or (None, reason) when none is.

    Assumption 5: n >= (6 + 2e)/(1 - e) f, i.e. e <= (n - 6f)/(n + 2f); and
    q >= (1 + e)/2 h + (5 + 3e)/2 f, i.e. e <= (2q - h - 5f)/(h + 3f). Both bounds increase with n
    and q; e must be > 0, so n >= 6f + 1 and q > (h + 5f)/2 are needed. (With q = h the two bounds
    coincide: that is the e of Corollary 1, eq. 155.) The supremum is not attained when e would reach
    1 (f = 0): e is then capped just below 1.
    """
    h = n - f
    e1 = math.inf if f == 0 else (n - 6 * f) / (n + 2 * f)
    e2 = (2 * q - h - 5 * f) / (h + 3 * f)
    if e1 <= 0:
        return None, f"Assumption 5 needs n >= (6 + 2e)/(1 - e) f with e > 0, i.e. n >= 6f + 1 = {6 * f + 1}; got n = {n}"
    if e2 <= 0:
        return None, (f"Assumption 5 needs q >= (1 + e)/2 h + (5 + 3e)/2 f with e > 0, i.e. q > (h + 5f)/2 = "
                      f"{(h + 5 * f) / 2:g}; got q = {q} (h = {h})")
    return min(e1, e2, _E_CAP), None


def eps_tilde(e: float) -> float:
    """e~ = 2e/(1 + e) (Assumption 5)."""
    return 2 * e / (1 + e)


def n_mda(t: int, et: float) -> int:
    """N_MDA(t) = ceil(t ln 2 / e~) (section 5.1)."""
    return math.ceil(t * math.log(2) / et)


def lemma12_factor(n: int, f: int, q: int) -> float:
    """(4f + h - q)/(q - f): one MDA iteration multiplies D2 by at most this (eq. 133). The
    inequality itself only needs two (q - 2f)-subsets of honest nodes to meet, 2(q - 2f) > h
    (eq. 129); Assumption 5 makes it <= 1 - e~ (eq. 134-135)."""
    h = n - f
    return (4 * f + h - q) / (q - f)


def alpha_mda(n: int, f: int, q: int) -> float:
    """((2f + h - q) q + (q - 2f) f) / (h (q - f)): Lemma 13's one-step bound on ||y - mean|| / D2."""
    h = n - f
    return ((2 * f + h - q) * q + (q - 2 * f) * f) / (h * (q - f))


def c_mda(n: int, f: int, q: int, et: float) -> float:
    """C_MDA = ((2f + h - q) q + (q - 2f) f) / (h (q - f) e~) (Theorem 3)."""
    return alpha_mda(n, f, q) / et


def averaging_lower_bound(n: int, f: int, q: int) -> float:
    """(h + 2f - q)/h: no asynchronous algorithm has a smaller averaging constant (Theorem 4)."""
    h = n - f
    return (h + 2 * f - q) / h


def theory(n: int, f: int, q: int, d: int, t: int) -> Theory:
    h = n - f
    base = dict(algorithm="mda", n=n, f=f, q=q, h=h, d=d, t=t, headline_n=6 * f + 1,
                threshold="n >= 6f + 1 (Assumption 5; Theorem 5: fails at n <= 6f - 1)")
    extra = {
        "bound_on": "diameter",
        "C_formula": None,
        "lemma12_factor": lemma12_factor(n, f, q) if q > f else None,
        "lemma12_applies": bool(2 * (q - 2 * f) > h),
        "alpha": alpha_mda(n, f, q) if q > f and h > 0 else None,
        "averaging_lower_bound": averaging_lower_bound(n, f, q) if h > 0 else None,
    }
    e, why = eps_max(n, f, q)
    if e is None:
        return Theory(holds=False, reason=why, extra=extra, **base)
    et = eps_tilde(e)
    C = c_mda(n, f, q, et)
    extra["C_formula"] = C
    return Theory(holds=True, eps=e, eps_tilde=et, iterations=n_mda(t, et), C=C,
                  per_iteration=lemma12_factor(n, f, q), extra=extra, **base)
