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
- in Lemma 13 (eq. 137-151 with CVA's selection S = H u F at node i, |H| = q - 2f honest, |F| = f,
  Hbar = [h] - sigma(H) the honest nodes not in H, |Hbar| = 2f + h - q), eq. 141 needs three norms:

  * ||z_H - x_Hbar|| <= D2 (eq. 142-147: both are means of honest vectors);
  * ||z_H - z_F|| <= 2 D2: every selected vector lies within D2 of x_i (at least q - f honest
    vectors, each within D2 of the honest x_i, are among the q gathered, so the (q - f)-th closest
    is within D2), hence so do the means z_H and z_F, and the triangle inequality through x_i;
  * ||z_F - x_Hbar|| <= 2 D2: z_F is within D2 of x_i (as above) and x_Hbar, a mean of honest
    vectors, is within D2 of the honest x_i. (MDA's eq. 148 goes through z_H instead, which here
    would give 2 D2 + D2 = 3 D2: valid, but 4-9% higher C; that was this module's first constant.)

  So eq. 141 gives (q - f) h ||y_i - x_bar|| <= (|H||Hbar| + 2|F||H| + 2|Hbar||F|) D2 with
  2|F||H| + 2|Hbar||F| = 2f ((q - 2f) + (2f + h - q)) = 2fh:

      alpha = ((q - 2f)(2f + h - q) + 2fh) / (h (q - f)),   C = alpha / e~   (as Theorem 3).

  The one-step bound ||CVA_i(z) - x_bar|| <= alpha D2 needs no assumption beyond q > 2f (the
  assumption enters only through e~, which sums the steps); ``tests/test_cva.py`` checks it
  against brute-force worst cases in d = 1 and d = 2.
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
    """((q - 2f)(2f + h - q) + 2fh) / (h (q - f)): Lemma 13's one-step bound on ||y_i - x_bar|| / D2
    with CVA's selection, every selected vector within D2 of x_i (module doc)."""
    h = n - f
    return ((q - 2 * f) * (2 * f + h - q) + 2 * f * h) / (h * (q - f))


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
