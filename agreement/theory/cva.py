"""Theory of CVA (agreement paper, section 5.4).

The paper gives only the assumption: n >= (7 + 3e)/(1 - e) f and q >= (1 + e)/2 h + (3 + 2e) f
("the same sketch of proof as MDA"), hence n >= 7f + 1, with e~ = 2e/(1 + e) and N(t) =
ceil(t ln 2 / e~) as for MDA. The per-iteration factor and the averaging constant below are DERIVED
here by following Lemma 12 and Lemma 13 with CVA's selection (they are not printed in the paper):

- every vector CVA selects at node i lies within D2 of x_i (at least q - f honest vectors do), so a
  Byzantine vector selected at i and one selected at j are at most 3 D2 apart (MDA: 2 D2), which
  turns eq. 132 into (q - f) ||y_i - y_j|| <= (3f + 2f + h - q) D2: factor (5f + h - q)/(q - f),
  <= (1 - e)/(1 + e) = 1 - e~ exactly under the assumption above (so the paper's assumption is the
  one this proof needs);
- in Lemma 13, ||z_H - z_F|| <= 2 D2 and ||z_F - x_Hbar|| <= 3 D2, so
  alpha = ((q - 2f)(2f + h - q) + 2f (q - 2f) + 3f (2f + h - q)) / (h (q - f)) and C = alpha / e~.
"""
from __future__ import annotations

import math

from agreement.theory.base import Theory
from agreement.theory.mda import averaging_lower_bound, eps_tilde, n_mda

_E_CAP = 1.0 - 1e-12


def eps_max(n: int, f: int, q: int) -> tuple[float | None, str | None]:
    """Largest e in (0, 1): e <= (n - 7f)/(n + 3f) and e <= (2q - h - 6f)/(h + 4f)."""
    h = n - f
    e1 = math.inf if f == 0 else (n - 7 * f) / (n + 3 * f)
    e2 = (2 * q - h - 6 * f) / (h + 4 * f)
    if e1 <= 0:
        return None, f"CVA's assumption needs n >= (7 + 3e)/(1 - e) f with e > 0, i.e. n >= 7f + 1 = {7 * f + 1}; got n = {n}"
    if e2 <= 0:
        return None, (f"CVA's assumption needs q >= (1 + e)/2 h + (3 + 2e) f with e > 0, i.e. q > h/2 + 3f = "
                      f"{h / 2 + 3 * f:g}; got q = {q} (h = {h})")
    return min(e1, e2, _E_CAP), None


def per_iteration_factor(n: int, f: int, q: int) -> float:
    """(5f + h - q)/(q - f) (derived, see the module doc)."""
    h = n - f
    return (5 * f + h - q) / (q - f)


def alpha_cva(n: int, f: int, q: int) -> float:
    h = n - f
    return ((q - 2 * f) * (2 * f + h - q) + 2 * f * (q - 2 * f) + 3 * f * (2 * f + h - q)) / (h * (q - f))


def theory(n: int, f: int, q: int, d: int, t: int) -> Theory:
    h = n - f
    base = dict(algorithm="cva", n=n, f=f, q=q, h=h, d=d, t=t, headline_n=7 * f + 1, threshold="n >= 7f + 1 (section 5.4)")
    extra = {
        "bound_on": "diameter",
        "C_formula": None,
        "derived": "per_iteration and C follow Lemma 12/13 with CVA's selection (module doc)",
        "averaging_lower_bound": averaging_lower_bound(n, f, q) if h > 0 else None,
    }
    e, why = eps_max(n, f, q)
    if e is None:
        return Theory(holds=False, reason=why, extra=extra, **base)
    et = eps_tilde(e)
    C = alpha_cva(n, f, q) / et
    extra["C_formula"] = C
    return Theory(holds=True, eps=e, eps_tilde=et, iterations=n_mda(t, et), C=C,
                  per_iteration=per_iteration_factor(n, f, q), extra=extra, **base)
