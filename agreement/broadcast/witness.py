"""The witness technique (Abraham, Amit and Dolev 2004; agreement paper, section 6.1), for one
iteration at one node.

After delivering n - f values of the iteration a node sends a REPORT naming the (broadcaster,
digest) pairs it delivered. Node j counts node k as a *witness* once j has itself delivered every
pair in k's report (same broadcaster, same digest). With n - f witnesses, j computes on every value
it has delivered. Two honest nodes j1, j2 have n - f witnesses each, so they share a witness w among
the at least n - 2f >= f + 1 common ones that is honest; both delivered the n - f values of w's
report: they share at least n - f values.
"""
from __future__ import annotations

import numpy as np

from agreement.messages import Rejection


class WitnessRound:
    """Deliveries, reports and witnesses of one iteration at one node."""

    def __init__(self, n: int, f: int):
        self.n, self.f = n, f
        self.need = n - f
        self.delivered: dict[int, tuple[bytes, np.ndarray]] = {}
        self.order: list[int] = []
        """Broadcasters in delivery order."""
        self.reports: dict[int, tuple[tuple[int, bytes], ...]] = {}
        self.witnesses: set[int] = set()
        self._waiting: dict[int, tuple[tuple[int, bytes], ...]] = {}
        self.reported = False

    def deliver(self, b: int, dg: bytes, x: np.ndarray) -> None:
        self.delivered[b] = (dg, x)
        self.order.append(b)
        for k in sorted(self._waiting):
            if self._covers(self._waiting[k]):
                self.witnesses.add(k)
                del self._waiting[k]

    def my_report(self) -> tuple[tuple[int, bytes], ...]:
        """The first n - f delivered pairs, sorted by broadcaster."""
        return tuple(sorted((b, self.delivered[b][0]) for b in self.order[: self.need]))

    def add_report(self, sender: int, pairs: tuple[tuple[int, bytes], ...]) -> Rejection | None:
        if sender in self.reports:
            return Rejection.DUPLICATE
        self.reports[sender] = pairs
        if self._covers(pairs):
            self.witnesses.add(sender)
        else:
            self._waiting[sender] = pairs
        return None

    def _covers(self, pairs) -> bool:
        d = self.delivered
        return all(b in d and d[b][0] == dg for b, dg in pairs)

    def ready(self) -> bool:
        return len(self.witnesses) >= self.need

    def values(self) -> tuple[list[int], np.ndarray]:
        """Every delivered value, rows sorted by broadcaster (the rule is symmetric; sorting only
        makes the record deterministic)."""
        bs = sorted(self.delivered)
        return bs, np.stack([self.delivered[b][1] for b in bs])


def parse_report(n: int, f: int, ids, dgs, digest_size: int) -> tuple[tuple[tuple[int, bytes], ...] | None, Rejection | None]:
    """Check a REPORT payload (``ids``: list of broadcaster ids, ``dgs``: their digests concatenated)
    and return its pairs, or (None, reason). A report names n - f distinct broadcasters."""
    if not isinstance(ids, list) or not all(isinstance(i, int) and not isinstance(i, bool) for i in ids):
        return None, Rejection.BAD_REPORT
    if len(ids) != n - f or len(set(ids)) != len(ids) or any(i < 0 or i >= n for i in ids):
        return None, Rejection.BAD_REPORT
    if not isinstance(dgs, bytes) or len(dgs) != digest_size * len(ids):
        return None, Rejection.BAD_REPORT
    pairs = tuple(sorted((b, dgs[digest_size * j : digest_size * (j + 1)]) for j, b in enumerate(ids)))
    return pairs, None
