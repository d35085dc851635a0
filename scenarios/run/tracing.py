"""Recording a run's delivery trace (``jungle run --trace PATH``, ``jungle explain``): what the
network records (:mod:`net.trace`), plus the honest values per iteration and the direction of the
honest spread, as JSON Lines or in memory.

A trace file is JSON Lines, one object per line, each with a ``type``:

- ``header``: scenario name, kind, algorithm, n, f, q, d, the honest and Byzantine ids, ``direction``
  (the unit vector u of the honest spread: the principal direction of the honest inputs; [1] when
  d = 1), ``full_value_max_d``;
- ``delivery``: one per delivery, in order (the fields of :data:`net.trace.FIELDS`);
- ``undelivered``: one per honest message never delivered (pruned as stale once its receiver moved
  past its round, dropped because its receiver had its output, or still in flight at the end):
  sender, receiver, kind, round, instance, sent, step (when it was dropped), why; not in the digest;
- ``value``: one per (honest node, iteration): ``x`` (the vector when d <= full_value_max_d, else
  ``{"norm", "proj"}``) and ``proj`` = <x, u>;
- ``end``: ``outputs`` (the honest outputs' bytes, hex, as the digest hashed them), ``trace_digest``.

:func:`net.trace.digest_of` over the delivery records and the outputs gives back ``trace_digest``.
Recording changes nothing in the run (the pinned digests hold with it on).
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import IO, Any, Callable

import numpy as np

from net.trace import DROPPED_FIELDS, FIELDS, FULL_VALUE_MAX_D, DeliveryTrace, summarize


def honest_direction(x0: np.ndarray | None) -> np.ndarray | None:
    """The unit direction of the honest spread: the first principal direction of the honest inputs
    (sign: the largest coordinate positive); e_1 when they are all equal; [1] when d = 1."""
    if x0 is None:
        return None
    X = np.asarray(x0, dtype=np.float64)
    d = X.shape[1]
    if d == 1:
        return np.ones(1)
    C = X - X.mean(axis=0)
    if not np.any(C):
        u = np.zeros(d)
        u[0] = 1.0
        return u
    u = np.linalg.svd(C, full_matrices=False)[2][0]
    if u[np.argmax(np.abs(u))] < 0:
        u = -u
    return u


class TraceOut:
    """Where a run's trace goes: a JSON Lines file (``path``) or memory (``records``, ``values``).

    The runner calls :meth:`attach` right after building the network (before anything runs) and
    wraps its ``on_vector`` callback with :meth:`chain`; the network closes the trace after the run."""

    def __init__(self, path: str | Path | None = None, keep_rounds: int | None = None):
        """``keep_rounds``: in memory, keep only the delivery and undelivered records of rounds below
        it (a report draws the first iterations; the counts and ``end`` still cover the whole run)."""
        self.path = Path(path) if path is not None else None
        self.keep_rounds = keep_rounds
        self.header: dict[str, Any] = {}
        self.records: list[dict[str, Any]] = []
        self.values: list[dict[str, Any]] = []
        self.undelivered: list[dict[str, Any]] = []
        self.end: dict[str, Any] = {}
        self.direction: np.ndarray | None = None
        self._fh: IO[str] | None = None
        self.deliveries = 0

    def attach(self, scenario, net, x0: np.ndarray | None, honest: list[int], byzantine: list[int]) -> None:
        tracer: DeliveryTrace = net.tracer
        s = scenario.system
        self.direction = honest_direction(x0)
        tracer.direction = self.direction
        self.header = {"type": "header", "scenario": scenario.scenario.name, "kind": scenario.scenario.kind,
                       "algorithm": scenario.algorithm.name, "n": s.n, "f": s.f, "q": s.q, "d": s.dim,
                       "include_self": s.include_self, "seed": scenario.scenario.seed,
                       "honest": list(honest), "byzantine": list(byzantine),
                       "direction": None if self.direction is None else [float(v) for v in self.direction],
                       "full_value_max_d": FULL_VALUE_MAX_D, "fields": list(FIELDS)}
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._fh = self.path.open("w")
            self._write(self.header)
        tracer.sink = self._delivery
        tracer.on_close = self._close

    def chain(self, on_vector: Callable | None) -> Callable:
        """``on_vector`` (node, k, x), also recording the value of node at iteration k."""
        def record(node: int, k: int, x) -> None:
            x = np.asarray(x, dtype=np.float64)
            row = {"type": "value", "node": int(node), "iteration": int(k), "x": summarize(x, self.direction)}
            if self.direction is not None and self.direction.shape == x.shape:
                row["proj"] = float(x @ self.direction)
            if self._fh is not None:
                self._write(row)
            else:
                self.values.append(row)
            if on_vector is not None:
                on_vector(node, k, x)
        return record

    def _delivery(self, record: list) -> None:
        self.deliveries += 1
        if self._fh is None and self.keep_rounds is not None and record[4] >= self.keep_rounds:
            return
        row = {"type": "delivery", **dict(zip(FIELDS, record))}
        if self._fh is not None:
            self._write(row)
        else:
            self.records.append(row)

    def _close(self, tracer: DeliveryTrace) -> None:
        for rec in tracer.dropped:
            if self._fh is None and self.keep_rounds is not None and rec[3] >= self.keep_rounds:
                continue
            row = {"type": "undelivered", **dict(zip(DROPPED_FIELDS, rec))}
            if self._fh is not None:
                self._write(row)
            else:
                self.undelivered.append(row)
        self.end = {"type": "end", "deliveries": self.deliveries, "outputs": [b.hex() for b in tracer.outputs],
                    "trace_digest": tracer.digest}
        if self._fh is not None:
            self._write(self.end)
            self._fh.close()
            self._fh = None

    def _write(self, row: dict[str, Any]) -> None:
        self._fh.write(json.dumps(row, separators=(",", ":"), allow_nan=True) + "\n")


def read_trace(path: str | Path) -> TraceOut:
    """A trace file read back into memory (header, delivery records, values, end)."""
    out = TraceOut()
    with Path(path).open() as fh:
        for line in fh:
            row = json.loads(line)
            t = row.get("type")
            if t == "header":
                out.header = row
            elif t == "delivery":
                out.records.append(row)
            elif t == "value":
                out.values.append(row)
            elif t == "undelivered":
                out.undelivered.append(row)
            elif t == "end":
                out.end = row
    d = out.header.get("direction")
    out.direction = None if d is None else np.asarray(d)
    return out
