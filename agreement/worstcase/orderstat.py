"""Exact worst case of one iteration for the order-statistic rules (CwTM, median, trimmed middle).

Setting (d = 1, which bounds every coordinate of a coordinate-wise rule): h = n - f honest inputs
of spread 1; each honest node gathers q values: its own (when ``include_self``), q - f - [self]
other honest values of the adversary's choice and f Byzantine values of its choice (per recipient).
The factor is the largest honest spread after the iteration. Only q > 2f is considered (below it
the median, like any rule, can be made to output a Byzantine value: the factor is unbounded).

Sufficiency of the finite search (the proof)
--------------------------------------------
The rule R is an L-estimator: on sorted values s_1 <= ... <= s_q it outputs sum_p w_p s_p with fixed
weights w_p >= 0 (CwTM: 1/(q - 2f) on p = f+1..q-f; median: the middle one or two; trimmed middle:
1/2 on p = f+1 and p = q-f). So R is non-decreasing in each input, commutes with x -> a x + c
(a > 0), and w_p = 0 for p <= f and p > q - f.

1. WLOG exactly f Byzantine values are gathered (a Byzantine node can send the value of the honest
   sender it replaces), and to maximise node i's output they are all at the top (monotonicity:
   +infinity dominates any value). Since w_p = 0 for p > q - f, any value >= the honest maximum
   gives the same output as +infinity: the Byzantine nodes send the honest maximum (1) to the nodes
   they push up and the minimum (0) to the nodes they push down.
2. With the Byzantine values fixed so, node i's best honest senders are the largest values (others'
   top q - f - [self], monotonicity again): U_i(x) = max over sender sets S of a function that, on
   each order cone {x_pi(1) <= ... <= x_pi(h)}, is linear in x. So U_i is convex on every cone
   (a maximum of linear functions), L_i (bottom values, Byzantine at 0) is concave, and the
   largest spread max_{i != k} (U_i - L_k) is convex on every cone.
3. By translation and scale invariance, fix x_pi(1) = 0 and x_pi(h) = 1: the cone becomes the simplex
   0 = x_pi(1) <= ... <= x_pi(h) = 1, whose vertices are the 0/1 vectors (m zeros, h - m ones,
   1 <= m <= h - 1). A convex function on a simplex is maximal at a vertex.

Hence the factor is the maximum over m = 1..h-1 of U_a - L_b on inputs (0 x m, 1 x (h - m)), the node
pushed up (kind a: value 0 or 1) and the node pushed down (kind b) distinct nodes: 4(h - 1)
evaluations of the rule. The configuration returned pushes one node of kind a up and every other node
down; no output then leaves [L_b, U_a] (a node c outside would make a better pair), so its spread is
the factor. Nothing here is a sample: the result is exact, and the configuration returned attains
it (the Byzantine values are finite, the senders are listed).
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from agreement.worstcase.model import Configuration, outputs, spread

ORDER_STATISTIC_RULES = ("cwtm", "cwmed", "median", "trimmed_middle")
"""Rules of :mod:`agreement.rules.trimmed` that are monotone L-estimators with w_p = 0 outside
f < p <= q - f: the proof above applies to them."""


def _plan(x: list[float], i: int, n: int, f: int, q: int, include_self: bool, up: bool) -> list[int]:
    """Senders of node i: the f Byzantine nodes first, then the other honest nodes with the largest
    (``up``) or smallest values, ties by id."""
    h = n - f
    others = sorted((j for j in range(h) if j != i), key=lambda j: (-x[j] if up else x[j], j))
    return list(range(h, n)) + others[: q - f - int(include_self)]


def configuration(n: int, f: int, q: int, include_self: bool, m: int, up_nodes: set[int]) -> Configuration:
    """Inputs (0 x m, 1 x (h - m)); the nodes of ``up_nodes`` hear the largest values and get the
    Byzantine value 1, the others the smallest and 0."""
    h = n - f
    x = [0.0] * m + [1.0] * (h - m)
    order = [_plan(x, i, n, f, q, include_self, i in up_nodes) for i in range(h)]
    values = [[1.0 if i in up_nodes else 0.0 for i in range(h)] for _ in range(f)]
    return Configuration(n=n, f=f, q=q, include_self=include_self, x=x, order=order, values=values)


def exact(rule: Callable, n: int, f: int, q: int, include_self: bool) -> tuple[float, Configuration]:
    """(factor, a configuration attaining it) for an order-statistic rule (module doc: the proof)."""
    h = n - f
    if h < 2:
        raise ValueError("at least two honest nodes are needed for a spread")
    if q <= 2 * f:
        raise ValueError(f"q = {q} <= 2f = {2 * f}: the rule can output a Byzantine value, the factor is unbounded")
    if q - f - int(include_self) > h - 1:
        raise ValueError(f"q = {q} cannot be gathered from h = {h} honest nodes and f = {f} Byzantine")
    best: tuple[float, int, int] | None = None
    own = [0.0] if include_self else []
    k = q - f - int(include_self)
    for m in range(1, h):
        count = {0.0: m, 1.0: h - m}
        U, L = {}, {}
        for v in (0.0, 1.0):  # a node of each kind (nodes of a kind are exchangeable)
            others = sorted([0.0] * (m - (v == 0.0)) + [1.0] * (h - m - (v == 1.0)))
            U[v] = _out(rule, [v] * len(own) + others[len(others) - k:] + [1.0] * f, f, v)
            L[v] = _out(rule, [v] * len(own) + others[:k] + [0.0] * f, f, v)
        for a in (0.0, 1.0):
            for b in (0.0, 1.0):
                if count[a] >= 1 and count[b] >= 1 and (a != b or count[a] >= 2):
                    if best is None or U[a] - L[b] > best[0]:
                        best = (U[a] - L[b], m, 0 if a == 0.0 else h - 1)
    assert best is not None
    _, m, up = best
    cfg = configuration(n, f, q, include_self, m, {up})
    return spread(outputs(cfg, rule)), cfg


def _out(rule: Callable, values: list[float], f: int, own: float) -> float:
    return float(rule(np.asarray(values, dtype=np.float64)[:, None], f, np.array([own]))[0])
