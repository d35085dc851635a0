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
        self._pending: dict[int, tuple[np.ndarray, list[bool]]] = {}
        """Iteration k -> (its h x d family, filled in as the nodes get there; which rows are filled)."""
        self._count: dict[int, int] = {}
        self.rows: dict[int, dict] = {}
        self.mean0: np.ndarray | None = None
        self.d2_0: float | None = None
        self.final: dict[int, np.ndarray] = {}
        self.keep_families = keep_families
        self.families: dict[int, np.ndarray] = {}
        """Iteration k -> the h x d honest family (only with ``keep_families``; complete iterations)."""

    def add(self, node: int, k: int, x: np.ndarray) -> None:
        slot = self._pending.get(k)
        if slot is None:
            x = np.asarray(x, dtype=np.float64)
            slot = self._pending[k] = (np.empty((self.h, x.shape[0])), [False] * self.h)
        family, filled = slot
        i = self.index[node]
        if not filled[i]:
            self._count[k] = self._count.get(k, 0) + 1
            filled[i] = True
        family[i] = x  # the recorder's own copy, in place (no stack when the iteration closes)
        self.final[node] = family[i]
        if self._count[k] == self.h:
            self._close(k)

    def _close(self, k: int) -> None:
        X = self._pending.pop(k)[0]
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
            family, filled = self._pending[k]
            rows = [i for i, ok in enumerate(filled) if ok]
            if rows:
                self._measure(k, family[rows], len(rows))
        self._pending.clear()
        return [self.rows[k] for k in sorted(self.rows)]


__all__ = ["IterationRecorder"]
