"""The adversary of a worst-case configuration (``jungle worst-case``, :mod:`agreement.worstcase`).

Pair the attack ``worst-case`` with the schedule ``worst-case`` (:mod:`net.schedules.worstcase`).
Parameters, in the scenario's ``[adversary]`` table:

- ``worst_case_values``: f x h numbers, what Byzantine node h + b sends honest node i in iteration 0
  (equivocation: one value per recipient). In a later iteration k the same pattern is mapped
  affinely onto that iteration's honest values: lo_k + (v - lo_0) w_k / w_0, with lo and w the
  honest coordinate-wise minimum and spread (a replay of the pattern, not a worst case for k >= 1);
- ``worst_case_order``: h lists, the senders honest node i gathers, in delivery order (read by the
  schedule; a Byzantine node not listed for i stays silent towards i);
- ``worst_case_factor`` (optional): the factor the configuration gives; the run then checks that
  one iteration reproduces it (``worst_case_replay``).

Without ``worst_case_values`` / ``worst_case_order`` the attack is silent.

Values are sent as the same number on every coordinate (the configurations are in d = 1).
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from agreement.diameters import d2
from nodes.adversary import Attack
from nodes.attacks.core import honest_vectors


class WorstCase(Attack):
    name = "worst-case"

    def bind(self, adv):
        super().bind(adv)
        h, f = len(adv.honest), adv.f
        vals = adv.params.get("worst_case_values")
        order = adv.params.get("worst_case_order")
        if vals is None or order is None:  # no configuration: silent (see the module doc)
            self.values, self.order = None, None
            return
        self.values = np.asarray(vals, dtype=np.float64)
        if self.values.shape != (f, h) or len(order) != h:
            raise ValueError(f"adversary.worst_case_values must be f x h = {f} x {h} and worst_case_order h lists")
        self.order = [set(int(s) for s in row) for row in order]
        self.hi = {r: i for i, r in enumerate(adv.honest)}
        self.bi = {b: i for i, b in enumerate(adv.byzantine)}
        self._base: dict[int, tuple[np.ndarray, np.ndarray]] = {}

    def slots(self, instance, round_):
        if self.order is None:
            return []
        return [(b, r) for b in self.adv.byzantine for r in self.adv.honest if b in self.order[self.hi[r]]]

    def _frame(self, instance, round_) -> tuple[np.ndarray, np.ndarray] | None:
        cur = honest_vectors(self.adv, instance, round_)
        if not cur:
            return None
        X = np.stack([cur[i] for i in sorted(cur)])
        lo = X.min(axis=0)
        return lo, X.max(axis=0) - lo

    def write(self, b, r, instance, round_):
        v = float(self.values[self.bi[b], self.hi[r]])
        d = self.adv.d
        if round_ == 0:
            if instance not in self._base:
                frame = self._frame(instance, 0)
                if frame is not None:
                    self._base[instance] = frame
            return [self.vec(b, instance, round_, np.full(d, v))]
        base, frame = self._base.get(instance), self._frame(instance, round_)
        if base is None or frame is None:
            return [self.vec(b, instance, round_, np.full(d, v))]
        (lo0, w0), (lo, w) = base, frame
        scale = np.divide(w, w0, out=np.zeros_like(w), where=w0 > 0)
        return [self.vec(b, instance, round_, lo + (v - lo0) * scale)]

    def post_checks(self, sim) -> dict[str, Any]:
        expected = self.adv.params.get("worst_case_factor")
        if expected is None or sim.cfg["algorithm"]["iterations"] != 1 or len(sim.outputs) != len(sim.honest):
            return {}
        x0 = np.asarray(sim.cfg["inputs"].get("values"), dtype=np.float64)
        out = np.stack([np.asarray(sim.outputs[i], dtype=np.float64) for i in sim.honest])
        D0 = d2(x0) if x0.ndim == 2 else 0.0
        measured = d2(out) / D0 if D0 > 0 else math.nan
        ok = bool(D0 > 0 and abs(measured - float(expected)) <= 1e-9 * max(1.0, abs(float(expected))))
        return {"worst_case_replay": {
            "holds": ok, "measured": measured, "bound": float(expected),
            "detail": "one iteration of the worst-case configuration: D2(after) / D2(before) equals the factor "
                      "jungle worst-case computed (relative tolerance 1e-9)"}}
