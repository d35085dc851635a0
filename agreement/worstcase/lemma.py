"""The paper's per-iteration factor for one iteration of each algorithm, or why none applies.

- ICwTM / cwtm: Lemma 15, Delta_cw(y) <= (1 - e~) Delta_cw(x) under Assumption 6
  (``agreement.theory.icwtm``: ``per_iteration``); without Assumption 6 the lemma says nothing.
- MDA: Lemma 12, eq. 133: D2(y) <= (4f + h - q)/(q - f) D2(x). The inequality only needs two
  (q - 2f)-subsets of the h honest nodes to meet, 2(q - 2f) > h (eq. 129); Assumption 5 makes the
  factor <= 1 - e~ (eq. 134-135). Without Assumption 5 the factor may be >= 1 (a valid but vacuous bound).
- CVA: the factor (5f + h - q)/(q - f) derived in ``agreement.theory.cva`` (Lemma 12 with CVA's
  selection); its derivation pairs the Byzantine vectors through x_i and x_j, not through a common
  honest vector, so it needs only q > 2f.
- median, trimmed middle (as "iterate a rule"): the paper proves no per-iteration factor. Theorem 6's
  factor 1/2 is for the broadcast algorithm, where reliable broadcast forbids equivocation and the
  witness technique makes any two honest nodes share q = n - f values; it does not cover a rule
  iterated over an arbitrary q-subset per node.
"""
from __future__ import annotations

from dataclasses import dataclass

from agreement.theory import cva as tcva
from agreement.theory import icwtm as ticwtm
from agreement.theory import mda as tmda


@dataclass
class LemmaFactor:
    factor: float | None
    """The proven bound on one iteration's factor (None: not applicable)."""
    source: str
    """Which statement gives it (or would)."""
    note: str = ""
    """Why it does not apply, or a caveat (e.g. vacuous: >= 1)."""

    def as_dict(self) -> dict:
        return {"factor": self.factor, "source": self.source, "note": self.note}


def lemma_factor(algorithm: str, n: int, f: int, q: int) -> LemmaFactor:
    h = n - f
    if algorithm in ("icwtm", "cwtm"):
        th = ticwtm.theory(n=n, f=f, q=q, d=1, t=1)
        if not th.holds:
            return LemmaFactor(None, "Lemma 15 (1 - e~)", f"not applicable: {th.reason}")
        return LemmaFactor(th.per_iteration, "Lemma 15 (1 - e~)", f"e~ = {th.eps_tilde:.6g}")
    if algorithm == "mda":
        if 2 * (q - 2 * f) <= h:
            return LemmaFactor(None, "Lemma 12, eq. 133 ((4f + h - q)/(q - f))",
                               f"not applicable: eq. 129 needs 2(q - 2f) > h, got 2(q - 2f) = {2 * (q - 2 * f)}, h = {h}")
        val = tmda.lemma12_factor(n, f, q)
        e, why = tmda.eps_max(n, f, q)
        note = "Assumption 5 holds" if e is not None else f"Assumption 5 fails ({why}); the bound still holds"
        return LemmaFactor(val, "Lemma 12, eq. 133 ((4f + h - q)/(q - f))", note + ("; vacuous (>= 1)" if val >= 1 else ""))
    if algorithm == "cva":
        src = "theory/cva.py ((5f + h - q)/(q - f), Lemma 12 with CVA's selection)"
        if q <= 2 * f:
            return LemmaFactor(None, src, f"not applicable: needs q > 2f, got q = {q}")
        val = tcva.per_iteration_factor(n, f, q)
        e, why = tcva.eps_max(n, f, q)
        note = "CVA's assumption holds" if e is not None else f"CVA's assumption fails ({why}); the bound still holds"
        return LemmaFactor(val, src, note + ("; vacuous (>= 1)" if val >= 1 else ""))
    if algorithm in ("cwmed", "median"):
        return LemmaFactor(None, "none", "not applicable: the paper proves no per-iteration factor for the median")
    if algorithm == "trimmed_middle":
        return LemmaFactor(None, "Theorem 6 (1/2, broadcast algorithm)",
                           "not applicable: Theorem 6's 1/2 needs reliable broadcast (no equivocation) and the witness "
                           "technique (any two honest nodes share q = n - f values); here each node gathers any q")
    return LemmaFactor(None, "none", f"not applicable: no per-iteration lemma is known for {algorithm!r}")
