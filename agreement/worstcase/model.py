"""One iteration of an "iterate a rule" algorithm in d = 1, as the adversary sets it up.

A :class:`Configuration` is everything the adversary chooses for one iteration (agreement paper,
section 2.1): the honest inputs ``x`` (node i holds ``x[i]``, honest ids 0..h-1 as in the
simulator), and for every honest receiver i the senders it gathers, in delivery order
(``order[i]``: honest ids < h, Byzantine ids h..n-1; the node's own vector is not listed, it counts
first when ``include_self``), and the value Byzantine node h + b sends to i (``values[b][i]``:
equivocation is free). The gathered family of node i is then exactly what
``agreement.iterate.IterateRule`` stacks: own vector first (when counted), then the first
q - [include_self] delivered vectors in delivery order. :func:`outputs` applies the rule to it, so
the factor of a configuration is computed by the very rule the simulator runs.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Callable

import numpy as np


@dataclass
class Configuration:
    n: int
    f: int
    q: int
    include_self: bool
    x: list[float]
    """Honest inputs, one per honest node (d = 1)."""
    order: list[list[int]]
    """order[i]: the senders honest node i gathers, in delivery order (its own vector excluded)."""
    values: list[list[float]]
    """values[b][i]: what Byzantine node h + b sends honest node i."""

    @property
    def h(self) -> int:
        return self.n - self.f

    def check(self) -> None:
        """Raise ValueError unless every receiver gathers exactly q vectors from distinct senders."""
        h, need = self.h, self.q - int(self.include_self)
        if len(self.x) != h or len(self.order) != h or len(self.values) != self.f:
            raise ValueError("configuration: need h inputs, h delivery orders and f rows of Byzantine values")
        for i, senders in enumerate(self.order):
            if len(senders) != need or len(set(senders)) != need:
                raise ValueError(f"configuration: node {i} must gather {need} distinct senders, got {senders}")
            if any(s == i or not 0 <= s < self.n for s in senders):
                raise ValueError(f"configuration: node {i} lists an invalid sender in {senders}")
        if any(len(row) != h for row in self.values):
            raise ValueError("configuration: each Byzantine node needs one value per honest receiver")

    def rows(self, i: int) -> np.ndarray:
        """The q x 1 family honest node i gathers, in the simulator's row order."""
        h = self.h
        vals = [self.x[i]] if self.include_self else []
        vals += [self.x[s] if s < h else self.values[s - h][i] for s in self.order[i]]
        return np.asarray(vals, dtype=np.float64)[:, None]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def outputs(cfg: Configuration, rule: Callable) -> list[float]:
    """Each honest node's vector after the iteration: rule(rows, f, own)."""
    return [float(np.asarray(rule(cfg.rows(i), cfg.f, np.array([cfg.x[i]])))[0]) for i in range(cfg.h)]


def spread(v) -> float:
    return float(max(v) - min(v))


def factor(cfg: Configuration, rule: Callable) -> float:
    """Honest spread after one iteration over the spread before (D2 = Dcw in d = 1)."""
    return spread(outputs(cfg, rule)) / spread(cfg.x)
