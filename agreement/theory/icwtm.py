"""Theory of ICwTM (agreement paper, section 7): Assumption 6, e~, N_ICwTM(t) (eq. 169), Lemma 15,
Theorem 8 and Remark 3."""
from __future__ import annotations

import math

from agreement.theory.base import Theory


def eps_max(n: int, f: int, q: int) -> tuple[float | None, str | None]:
    """The largest e in [0, 1) allowed by Assumption 6, or (None, reason) when none is.

    Assumption 6: n >= 4(1 - 2e)/(1 - 4e) f + 1 and q >= (1 + 4e)/2 h + 2f + 1/2, h = n - f.
    The first bound increases with e on [0, 1/4), so it gives e <= (n - 1 - 4f) / (4 (n - 1 - 2f))
    (for f >= 1); the second gives e <= (2q - 4f - 1 - h) / (4h).
    """
    h = n - f
    if f == 0:
        e1 = math.inf
    else:
        if n < 4 * f + 1:
            return None, f"Assumption 6 needs n >= 4f + 1 = {4 * f + 1} (e = 0), got n = {n}"
        e1 = (n - 1 - 4 * f) / (4 * (n - 1 - 2 * f))
    e2 = (2 * q - 4 * f - 1 - h) / (4 * h)
    if e2 < 0:
        need = h / 2 + 2 * f + 0.5
        return None, (f"Assumption 6 needs q >= h/2 + 2f + 1/2 = {need:g} (e = 0), got q = {q}"
                      f" (h = {h}; with q <= n - f this needs n >= 5f + 1)")
    e = min(e1, e2, 1.0 - 1e-12)
    return e, None


def eps_tilde(e: float, h: int, q: int, f: int) -> float:
    """e~ = ceil(2 e h + 1/2) / (2 (q - 2f)) (Assumption 6; the ceiling is the one of eq. 175-176)."""
    return math.ceil(2 * e * h + 0.5 - 1e-12) / (2 * (q - 2 * f))


def n_icwtm(t: int, h: int, et: float) -> int:
    """N_ICwTM(t) = ceil((2 (t + 1) ln 2 + ln h) / (2 e~)) (eq. 169)."""
    return math.ceil((2 * (t + 1) * math.log(2) + math.log(h)) / (2 * et))


def c_icwtm(n: int, f: int, q: int, d: int) -> float:
    """C = (2f + h - q)/h * min(2 sqrt(h), sqrt(d)) (Theorem 8 with Remark 3)."""
    h = n - f
    return (2 * f + h - q) / h * min(2 * math.sqrt(h), math.sqrt(d))


def theory(n: int, f: int, q: int, d: int, t: int) -> Theory:
    h = n - f
    base = dict(algorithm="icwtm", n=n, f=f, q=q, h=h, d=d, t=t, headline_n=4 * f + 1,
                threshold="n >= 4f + 1 (headline); Assumption 6 with q <= n - f needs n >= 5f + 1")
    extra = {"C_formula": c_icwtm(n, f, q, d) if h > 0 else None, "bound_on": "cw_diameter"}
    e, why = eps_max(n, f, q)
    if e is None:
        return Theory(holds=False, reason=why, extra=extra, **base)
    et = eps_tilde(e, h, q, f)
    return Theory(holds=True, eps=e, eps_tilde=et, iterations=n_icwtm(t, h, et), C=c_icwtm(n, f, q, d),
                  per_iteration=1 - et, extra=extra, **base)
