"""Per-iteration measurements of the honest family, computed as soon as every honest node has its
vector of that iteration (so a run never holds more than the iterations still in progress, unless
``keep_families``: the checks of the lower-bound constructions read every iteration's family). The
recorder keeps its own copies of the vectors it measures."""
from __future__ import annotations

import numpy as np

from agreement.diameters import d2, dcw2


class IterationRecorder:
    def __init__(self, honest: list[int], keep_families: bool = False):
        self.index = {node: i for i, node in enumerate(honest)}
        self.h = len(honest)
        self._pending: dict[int, list[np.ndarray | None]] = {}
        self._count: dict[int, int] = {}
        self.rows: dict[int, dict] = {}
        self.mean0: np.ndarray | None = None
        self.d2_0: float | None = None
        self.final: dict[int, np.ndarray] = {}
        self.keep_families = keep_families
        self.families: dict[int, np.ndarray] = {}
        """Iteration k -> the h x d honest family (only with ``keep_families``; complete iterations)."""

    def add(self, node: int, k: int, x: np.ndarray) -> None:
        slot = self._pending.setdefault(k, [None] * self.h)
        i = self.index[node]
        if slot[i] is None:
            self._count[k] = self._count.get(k, 0) + 1
        x = np.array(x, dtype=np.float64)  # the recorder's own copy: nothing else can change what it measures
        slot[i] = x
        self.final[node] = x
        if self._count[k] == self.h:
            self._close(k)

    def _close(self, k: int) -> None:
        X = np.stack(self._pending.pop(k))
        self._count.pop(k)
        if self.keep_families:
            self.families[k] = X
        self._measure(k, X, self.h)

    def _measure(self, k: int, X: np.ndarray, nodes: int) -> None:
        if k == 0:
            self.mean0 = X.mean(axis=0)
            self.d2_0 = d2(X)
        row = {"iteration": k, "diameter": d2(X), "cw_diameter": dcw2(X), "nodes": nodes}
        if self.mean0 is not None:
            row["avg_error"] = float(np.linalg.norm(X.mean(axis=0) - self.mean0))
        self.rows[k] = row

    def finish(self) -> list[dict]:
        """Close iterations some honest node never reached (a stalled run): measured on those that did."""
        for k in sorted(self._pending):
            xs = [x for x in self._pending[k] if x is not None]
            if xs:
                self._measure(k, np.stack(xs), len(xs))
        self._pending.clear()
        return [self.rows[k] for k in sorted(self.rows)]


__all__ = ["IterationRecorder"]
