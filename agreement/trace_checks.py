"""Trace checkers for broadcast-based agreement: pure functions over what honest nodes recorded.

Inputs (all keyed by honest node id):

- ``delivered[j][(k, b)] = digest``: the value node j delivered for the RB instance of broadcaster b
  in iteration k;
- ``sent[(k, b)] = digest``: the value honest broadcaster b reliably broadcast in iteration k;
- ``used[j][k] = ((b, digest), ...)``: the values node j's rule used in iteration k;
- ``xs[j][k] = x``: node j's vector x_k (k = 0 is its input).

Each checker returns ``{"holds": bool, "measured": ..., "bound": ..., "detail": str}``.
"""
from __future__ import annotations

from typing import Any

import numpy as np


def _check(holds: bool, measured: Any, bound: Any, detail: str) -> dict[str, Any]:
    return {"holds": bool(holds), "measured": measured, "bound": bound, "detail": detail}


def rb_consistency(delivered: dict[int, dict[tuple[int, int], bytes]]) -> dict[str, Any]:
    """No two honest nodes deliver different values for one RB instance. measured = number of
    instances with two different delivered digests (bound 0)."""
    seen: dict[tuple[int, int], bytes] = {}
    bad: set[tuple[int, int]] = set()
    for j in sorted(delivered):
        for inst in sorted(delivered[j]):
            dg = delivered[j][inst]
            if seen.setdefault(inst, dg) != dg:
                bad.add(inst)
    first = sorted(bad)[:3]
    return _check(not bad, len(bad), 0,
                  f"instances (k, b) delivered with two values: {first}" if bad
                  else f"{len(seen)} instances, one value each at every honest node that delivered")


def rb_totality(delivered: dict[int, dict[tuple[int, int], bytes]]) -> dict[str, Any]:
    """If one honest node delivers an instance, every honest node does. measured = number of
    (instance, honest node) pairs missing (bound 0)."""
    nodes = sorted(delivered)
    union = sorted({inst for j in nodes for inst in delivered[j]})
    missing = [(inst, j) for inst in union for j in nodes if inst not in delivered[j]]
    return _check(not missing, len(missing), 0,
                  f"delivered somewhere but not everywhere, e.g. (instance, node) {missing[:3]}" if missing
                  else f"{len(union)} instances delivered by all {len(nodes)} honest nodes")


def rb_validity(delivered: dict[int, dict[tuple[int, int], bytes]], sent: dict[tuple[int, int], bytes]) -> dict[str, Any]:
    """An honest broadcaster's value is delivered, unchanged, by every honest node. measured = number
    of (instance, node) pairs where it was not (bound 0)."""
    bad = [(inst, j) for inst in sorted(sent) for j in sorted(delivered) if delivered[j].get(inst) != sent[inst]]
    return _check(not bad, len(bad), 0,
                  f"honest value not delivered (or changed), e.g. {bad[:3]}" if bad
                  else f"{len(sent)} honest instances delivered unchanged everywhere")


def witness_overlap(used: dict[int, dict[int, tuple[tuple[int, bytes], ...]]], n: int, f: int) -> dict[str, Any]:
    """Every pair of honest nodes shared at least n - f values in every iteration both computed.
    measured = the smallest overlap seen (bound n - f)."""
    nodes = sorted(used)
    worst, where = None, None
    for k in sorted({k for j in nodes for k in used[j]}):
        sets = [(j, set(used[j][k])) for j in nodes if k in used[j]]
        for a in range(len(sets)):
            for c in range(a + 1, len(sets)):
                o = len(sets[a][1] & sets[c][1])
                if worst is None or o < worst:
                    worst, where = o, (k, sets[a][0], sets[c][0])
    need = n - f
    if worst is None:
        return _check(False, None, need, "no iteration was computed by two honest nodes")
    return _check(worst >= need, worst, need,
                  f"smallest shared set: {worst} values (iteration {where[0]}, nodes {where[1]} and {where[2]})")


def validity_box(xs: dict[int, dict[int, np.ndarray]], rtol: float = 1e-12) -> dict[str, Any]:
    """Each honest x_{k+1} lies inside the coordinate-wise box of the honest x_k. measured = the
    largest distance outside the box, relative to the box's largest side (bound 0, up to ``rtol``)."""
    nodes = sorted(xs)
    ks = sorted({k for j in nodes for k in xs[j]})
    worst, where = 0.0, None
    for k in ks:
        if k + 1 not in ks:
            continue
        have = [j for j in nodes if k in xs[j]]
        if len(have) < len(nodes):
            continue  # the box of iteration k is not known (a node never reached it)
        X = np.stack([xs[j][k] for j in nodes])
        lo, hi = X.min(axis=0), X.max(axis=0)
        scale = float(np.max(hi - lo)) or 1.0
        for j in nodes:
            y = xs[j].get(k + 1)
            if y is None:
                continue
            out = float(np.max(np.maximum(lo - y, 0.0) + np.maximum(y - hi, 0.0))) / scale
            if out > worst:
                worst, where = out, (k + 1, j)
    ok = worst <= rtol
    return _check(ok, worst, 0.0,
                  "every honest x_{k+1} inside the honest box of x_k" if ok
                  else f"node {where[1]}'s x_{where[0]} is outside the honest box by {worst:.3g} of its side")
