"""Byzantine payloads of the agreement paper's lower-bound proofs, so that a run shows the theorem.

- ``theorem5`` (proof of Theorem 5, MDA): honest nodes are split into L (first 2f), M (the middle
  h - 4f) and R (last 2f). Each Byzantine node sends to every node of L the vector
  xL + (1 - delta)/2 (xL - xR) (with xL, xR the current means of L and R; -2 + delta when xL = -1,
  xR = 1, as in eq. 161), to every node of R the mirror image, and nothing to M. ``delta`` is
  ``theorem5_delta`` (default 1/f, the proof's). Pair it with the ``theorem5`` schedule.
- ``theorem4`` (proof of Theorem 4): every Byzantine node acts exactly like the first honest node
  (one of the q - 2f zeros): it sends that node's current vector of the same round. Pair it with the
  ``theorem4`` schedule (the last h + f - q honest nodes are never heard by the first q - f).
- ``theorem9`` (proof of Theorem 9 / Lemma 16): honest nodes are split into two groups (adversary
  param ``groups``, default the first floor(h/2) and the rest, as the ``partition`` schedule does);
  each Byzantine node sends to a node the current mean of that node's own group ("f Byzantine
  inputs equal to x"), so each group only sees its own value confirmed. Pair it with ``partition``.
  Against two-point inputs the core's ``split`` attack with ``split_mode = "halves"`` writes the
  same values (the honest min and max are the two groups' values); ``theorem9`` also works for
  inputs that are not two points, and against any rule.

The first two also contribute checks computed from the run (``post_checks``): the theorem's
claim, measured.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from agreement.diameters import d2
from nodes.adversary import Attack


def _current(adv, instance: int, round_: int, nodes: list[int]) -> np.ndarray | None:
    """The round's vectors of ``nodes`` (the latest one for a node that has not sent that round)."""
    seen = adv.seen(instance, round_)
    rows = [seen.get(i, adv.latest.get(i)) for i in nodes]
    rows = [r for r in rows if r is not None]
    return np.stack(rows) if rows else None


def _families(sim) -> tuple[dict[int, np.ndarray], np.ndarray | None]:
    """Honest vectors per iteration as the adversary observed them (every honest node broadcasts
    x_k in iteration k), plus the outputs: {k: h x d}, and the outputs' h x d (None if some node
    did not finish)."""
    adv = sim.adversary
    iters = sim.cfg["algorithm"]["iterations"]
    fams = {}
    for k in range(iters):
        s = adv.seen(0, k)
        if all(i in s for i in sim.honest):
            fams[k] = np.stack([s[i] for i in sim.honest])
    out = None
    if all(i in sim.outputs for i in sim.honest):
        out = np.stack([np.asarray(sim.outputs[i], dtype=np.float64) for i in sim.honest])
        fams[iters] = out
    return fams, out


def _finished_families(sim):
    """(n, f, q, h, families, outputs) of a run whose iteration 0 and outputs are all known, else None."""
    n, f, q = sim.cfg["system"]["n"], sim.cfg["system"]["f"], sim.cfg["system"]["q"]
    fams, out = _families(sim)
    if 0 not in fams or out is None:
        return None
    return n, f, q, n - f, fams, out


class Theorem5(Attack):
    name = "theorem5"
    seen_window = 10**9  # post_checks reads every iteration's honest family from what was seen

    def groups(self) -> tuple[list[int], list[int], list[int]]:
        hon, f = self.adv.honest, self.adv.f
        return hon[: 2 * f], hon[2 * f : len(hon) - 2 * f], hon[len(hon) - 2 * f :]

    def slots(self, instance, round_):
        L, _, R = self.groups()
        return [(b, r) for b in self.adv.byzantine for r in L + R]

    def write(self, b, r, instance, round_):
        adv = self.adv
        L, _, R = self.groups()
        xl, xr = _current(adv, instance, round_, L), _current(adv, instance, round_, R)
        if xl is None or xr is None:
            return []
        cl, cr = xl.mean(axis=0), xr.mean(axis=0)
        delta = float(adv.params.get("theorem5_delta", 1.0 / adv.f))
        if r in L:
            return [self.vec(b, instance, round_, cl + 0.5 * (1.0 - delta) * (cl - cr))]
        return [self.vec(b, instance, round_, cr + 0.5 * (1.0 - delta) * (cr - cl))]

    def post_checks(self, sim) -> dict[str, Any]:
        ctx = _finished_families(sim)
        if ctx is None:
            return {}
        n, f, q, h, fams, out = ctx
        D0 = d2(fams[0])
        ratio = d2(out) / D0 if D0 > 0 else math.nan
        factor = (4 * f + h - q) / (q - f)
        worst = max((d2(x) / (factor ** k * D0) for k, x in fams.items() if k >= 1), default=0.0) if D0 > 0 else math.nan
        return {
            "theorem5_no_contraction": {
                "holds": bool(ratio >= 1 - 1e-9), "measured": ratio, "bound": 1.0,
                "detail": "Theorem 5's claim: D2(final)/D2(initial) stays 1 (holds = no contraction at all)"},
            "lemma12_per_iteration": {
                "holds": bool(worst <= 1 + 1e-9), "measured": worst, "bound": 1.0,
                "factor": factor,
                "detail": f"max_k D2(k) / (factor^k D2(0)) with Lemma 12's factor (4f+h-q)/(q-f) = {factor:.4g}"},
        }


class Theorem4(Attack):
    name = "theorem4"
    seen_window = 10**9  # post_checks reads every iteration's honest family from what was seen

    def write(self, b, r, instance, round_):
        adv = self.adv
        x = _current(adv, instance, round_, [adv.honest[0]])
        return [] if x is None else [self.vec(b, instance, round_, x[0])]

    def post_checks(self, sim) -> dict[str, Any]:
        ctx = _finished_families(sim)
        if ctx is None:
            return {}
        n, f, q, h, fams, out = ctx
        x0 = fams[0]
        D0 = d2(x0)
        if D0 == 0:
            return {}
        err = float(np.linalg.norm(out.mean(axis=0) - x0.mean(axis=0))) / D0
        bound = (h + 2 * f - q) / h
        slack = d2(out) / D0
        return {"averaging_lower_bound": {
            "holds": bool(err >= bound - slack - 1e-9), "measured": err, "bound": bound, "slack": slack,
            "detail": "Theorem 4: ||mean(final) - mean(initial)|| / D2(initial) >= (h+2f-q)/h - D2(final)/D2(initial)"}}


class Theorem9(Attack):
    name = "theorem9"

    def groups(self) -> list[list[int]]:
        hon = list(self.adv.honest)
        g = self.adv.params.get("groups") or (self.adv.params.get("schedule_params") or {}).get("groups")
        return [list(x) for x in g] if g else [hon[: len(hon) // 2], hon[len(hon) // 2 :]]

    def write(self, b, r, instance, round_):
        for g in self.groups():
            if r in g:
                x = _current(self.adv, instance, round_, g)
                return [] if x is None else [self.vec(b, instance, round_, x.mean(axis=0))]
        return []


LOWER_BOUND = (Theorem5, Theorem4, Theorem9)
