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
  one iteration reproduces it (``worst_case_replay``, computed from the recorded run by
  :mod:`scenarios.run.checks.worstcase`, never inside the attack).

Without ``worst_case_values`` / ``worst_case_order`` the attack is silent.

Values are sent as the same number on every coordinate (the configurations are in d = 1).
"""
from __future__ import annotations

from typing import Annotated

import numpy as np
from pydantic import Field

from net.params import PluginParams
from nodes.adversary import Attack
from nodes.attacks.core import honest_vectors

NodeId = Annotated[int, Field(ge=0)]


def check_order(key: str, order: list[list[int]] | None, n: int, f: int) -> None:
    """Raise ``ValueError`` unless ``order`` is h lists of distinct node ids (0..n-1)."""
    if order is None:
        return
    h = n - f
    if len(order) != h:
        raise ValueError(f"{key} must be h = n - f = {h} lists (one per honest node), got {len(order)}")
    for i, row in enumerate(order):
        bad = [s for s in row if not 0 <= s < n]
        if bad:
            raise ValueError(f"{key}[{i}] names node {bad[0]}, not a node id (0..{n - 1})")
        if len(set(row)) != len(row):
            raise ValueError(f"{key}[{i}] lists a sender twice")


class WorstCaseParams(PluginParams):
    """Parameters of the ``worst-case`` attack (see the module docstring)."""

    worst_case_values: list[list[float]] | None = None
    worst_case_order: list[list[NodeId]] | None = None
    worst_case_factor: float | None = Field(None, ge=0.0)

    def check(self, *, n, f, q, d):
        h = n - f
        if (self.worst_case_values is None) != (self.worst_case_order is None):
            raise ValueError("adversary.worst_case_values and adversary.worst_case_order go together: give both or neither")
        if self.worst_case_values is not None and (len(self.worst_case_values) != f or
                                                   any(len(row) != h for row in self.worst_case_values)):
            raise ValueError(f"adversary.worst_case_values must be f x h = {f} x {h} numbers")
        check_order("adversary.worst_case_order", self.worst_case_order, n, f)


class WorstCase(Attack):
    name = "worst-case"
    Params = WorstCaseParams

    def bind(self, adv):
        super().bind(adv)
        h, f = len(adv.honest), adv.f
        vals = self.adv.params.worst_case_values
        order = self.adv.params.worst_case_order
        if vals is None or order is None:  # no configuration: silent (see the module doc)
            self.values, self.order = None, None
            return
        self.values = np.asarray(vals, dtype=np.float64).reshape(len(vals), -1) if vals else np.zeros((0, h))
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
