"""Worst case of one iteration as a mixed-integer linear program (HiGHS through ``scipy.optimize.milp``).

For rules whose output, in d = 1, is the mean of a window of consecutive sorted values chosen by
linear conditions on the sorted values, the supremum of the one-step factor is the optimum of a MILP:

- MDA (eq. 119-120): q - f values of minimal diameter; in d = 1 some minimal subset is a window
  s_j..s_{j+m-1} (m = q - f) of the sorted family, and a window is minimal iff its range is <= the
  range of every other window;
- CVA (eq. 163-164): the q - f values closest to the node's own value P; in d = 1 they form a window,
  and a window j is the closest set iff the values just outside are no closer than the values
  inside: s_{j-1} <= P, P - s_{j-1} >= s_{j+m-1} - P, and s_{j+m} >= P, s_{j+m} - P >= P - s_j;
- CwTM, median, trimmed middle (a check of :mod:`agreement.worstcase.orderstat`): fixed weights on
  the sorted positions.

Model. Honest node 0 is pushed up, node 1 down (honest ids are exchangeable: any pair can be
relabelled so). Variables: the inputs x in [0, 1]^h (scale invariance: a maximiser of y_0 - y_1 over
the unit box has spread 1, or the factor is 0), and per pushed node: the Byzantine values
b_1 <= ... <= b_f in [-2, 3] (a selected value of MDA or CVA is within D2 = 1 of an honest value, so
in [-1, 2]; an unselected one can always be parked at -2 or 3, farther than 1 from every honest
value: all f of them being fewer than q - f, they never form a window of their own), q sorted
positions s_1 <= ... <= s_q with binaries placing one item (an honest node, at most once, the node
itself iff ``include_self``, or a Byzantine value, each exactly once: gathering all f Byzantine
values loses nothing, they can copy the honest value they displace) at each position (big-M links),
and a one-hot window. The objective is y_0 - y_1. Closed inequalities give the supremum over the
closure of each combinatorial type; :func:`solve` turns the optimum into a :class:`Configuration`
(with the same choices fixed and the window conditions strict by a margin, and a delivery order that
puts the selected values first), and :mod:`agreement.worstcase.solve` replays it with the real rule
and checks its value in exact arithmetic before calling anything exact. :func:`realise` does the
same for choices found by :mod:`agreement.worstcase.search`.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from agreement.worstcase.model import Configuration

B_LO, B_HI = -2.0, 3.0
BIG = B_HI - B_LO


@dataclass
class MilpResult:
    value: float
    """The MILP's optimum (primal objective of the returned solution)."""
    dual_bound: float
    """HiGHS's final upper bound on the optimum."""
    optimal: bool
    status: str
    config: Configuration | None
    nodes: int
    selection: dict[int, list[int]] | None = None
    """For the pushed-up node 0 and pushed-down node 1: the rows of ``config.rows(node)`` the window
    selects (the realisation's delivery order puts them first, own vector aside)."""
    strict_value: float | None = None
    """The optimum with the same integer choices and the window conditions strict by ``margin``
    (None: no such configuration, the optimum sits on a tie the rule may break otherwise)."""


class _Model:
    def __init__(self):
        self.lo, self.hi, self.integer = [], [], []
        self.rows: list[tuple[dict[int, float], float, float]] = []

    def var(self, lo: float, hi: float, integer: bool = False) -> int:
        self.lo.append(lo)
        self.hi.append(hi)
        self.integer.append(1 if integer else 0)
        return len(self.lo) - 1

    def add(self, coeffs: dict[int, float], lo: float = -np.inf, hi: float = np.inf) -> None:
        self.rows.append((coeffs, lo, hi))


def _sum(*terms: tuple[int, float]) -> dict[int, float]:
    """Coefficients of a linear form, adding up the terms on the same variable (windows overlap)."""
    out: dict[int, float] = {}
    for v, c in terms:
        out[v] = out.get(v, 0.0) + c
    return out


def _weights(rule: str, q: int, f: int) -> np.ndarray:
    w = np.zeros(q)
    if rule == "cwtm":
        w[f:q - f] = 1.0 / (q - 2 * f)
    elif rule in ("cwmed", "median"):
        if q % 2:
            w[q // 2] = 1.0
        else:
            w[q // 2 - 1] = w[q // 2] = 0.5
    elif rule == "trimmed_middle":
        w[f] += 0.5
        w[q - f - 1] += 0.5
    else:
        raise ValueError(rule)
    return w


WINDOW_RULES = ("mda", "cva")
FIXED_RULES = ("cwtm", "cwmed", "median", "trimmed_middle")


def _node(M: _Model, x: list[int], rule: str, me: int, up: bool, n: int, f: int, q: int, include_self: bool,
          sorted_honest: set[int], margin: float):
    """Add one pushed node's variables; return (y, positions, item binaries, window binaries, b)."""
    h, m = n - f, q - f
    b = [M.var(B_LO, B_HI) for _ in range(f)]
    for t in range(f - 1):
        M.add({b[t]: 1.0, b[t + 1]: -1.0}, hi=0.0)
    s = [M.var(B_LO, B_HI) for _ in range(q)]
    for p in range(q - 1):
        M.add({s[p]: 1.0, s[p + 1]: -1.0}, hi=0.0)
    items = [("h", a, x[a]) for a in range(h)] + [("b", t, b[t]) for t in range(f)]
    z = {}
    for p in range(q):
        for k, (_, _, v) in enumerate(items):
            z[p, k] = M.var(0, 1, True)
            # z = 1  =>  s_p = value of item k
            M.add({s[p]: 1.0, v: -1.0, z[p, k]: BIG}, hi=BIG)
            M.add({s[p]: -1.0, v: 1.0, z[p, k]: BIG}, hi=BIG)
        M.add({z[p, k]: 1.0 for k in range(len(items))}, lo=1.0, hi=1.0)
    # symmetry breaking: equal-valued items can trade places, so the honest nodes 2..h-1 (x sorted)
    # and the Byzantine values (b sorted) occupy increasing positions
    pos = {k: {z[p, k]: float(p) for p in range(q)} for k in range(len(items))}
    chain = [k for k, (kind, a, _) in enumerate(items) if (kind == "h" and a in sorted_honest) or kind == "b"]
    for k, k2 in zip(chain, chain[1:]):
        if items[k][0] != items[k2][0]:
            continue
        row = {v: c for v, c in pos[k].items()}
        for v, c in pos[k2].items():
            row[v] = row.get(v, 0.0) - c
        if items[k][0] == "h":  # only when both are heard: pos(k) - pos(k2) <= -1 + q (2 - heard_k - heard_k2)
            for p in range(q):
                row[z[p, k]] = row.get(z[p, k], 0.0) + q
                row[z[p, k2]] = row.get(z[p, k2], 0.0) + q
            M.add(row, hi=2.0 * q - 1.0)
        else:
            M.add(row, hi=-1.0)
    for k, (kind, a, _) in enumerate(items):
        row = {z[p, k]: 1.0 for p in range(q)}
        if kind == "b":
            M.add(row, lo=1.0, hi=1.0)
        elif a == me:
            M.add(row, lo=float(include_self), hi=float(include_self))
        else:
            M.add(row, hi=1.0)
    y = M.var(B_LO, B_HI)
    sign = 1.0 if up else -1.0  # up: y <= output (maximised); down: y >= output (minimised)
    if rule in FIXED_RULES:
        w = _weights(rule, q, f)
        row = {y: sign}
        for p in range(q):
            if w[p]:
                row[s[p]] = -sign * w[p]
        M.add(row, hi=0.0)
        return y, s, z, items, None, b
    om = [M.var(0, 1, True) for _ in range(f + 1)]
    M.add({o: 1.0 for o in om}, lo=1.0, hi=1.0)
    big = 2 * BIG
    for j in range(f + 1):
        row = {y: sign, om[j]: big}
        for p in range(j, j + m):
            row[s[p]] = row.get(s[p], 0.0) - sign / m
        M.add(row, hi=big)
        if rule == "mda":
            for k in range(f + 1):
                if k != j:  # range(window j) <= range(window k) when j is chosen
                    M.add(_sum((s[j + m - 1], 1.0), (s[j], -1.0), (s[k + m - 1], -1.0), (s[k], 1.0), (om[j], big)),
                          hi=big - margin)
        else:  # cva, pivot P = x[me]
            P = x[me]
            if j > 0:
                M.add({s[j - 1]: 1.0, P: -1.0, om[j]: big}, hi=big)
                M.add({s[j + m - 1]: 1.0, P: -2.0, s[j - 1]: 1.0, om[j]: big}, hi=big - margin)
            if j + m < q:
                M.add({P: 1.0, s[j + m]: -1.0, om[j]: big}, hi=big)
                M.add({P: 2.0, s[j]: -1.0, s[j + m]: -1.0, om[j]: big}, hi=big - margin)
    return y, s, z, items, om, b


def _build(rule: str, n: int, f: int, q: int, include_self: bool, margin: float):
    h = n - f
    M = _Model()
    x = [M.var(0.0, 1.0) for _ in range(h)]
    ordered = list(range(2, h))  # honest nodes other than 0 and 1 are exchangeable
    for a, a2 in zip(ordered, ordered[1:]):
        M.add({x[a]: 1.0, x[a2]: -1.0}, hi=0.0)
    up = _node(M, x, rule, 0, True, n, f, q, include_self, set(ordered), margin)
    down = _node(M, x, rule, 1, False, n, f, q, include_self, set(ordered), margin)
    c = np.zeros(len(M.lo))
    c[up[0]], c[down[0]] = -1.0, 1.0
    return M, x, up, down, c


def _run(M: _Model, c: np.ndarray, time_limit: float | None, fixed: np.ndarray | None = None):
    from scipy.optimize import Bounds, LinearConstraint, milp  # heavy: imported on use only
    from scipy.sparse import coo_matrix

    r, cidx, vals, lo, hi = [], [], [], [], []
    for i, (coeffs, a, b) in enumerate(M.rows):
        for j, v in coeffs.items():
            r.append(i)
            cidx.append(j)
            vals.append(v)
        lo.append(a)
        hi.append(b)
    A = coo_matrix((vals, (r, cidx)), shape=(len(M.rows), len(M.lo))).tocsr()
    vlo, vhi, integ = np.array(M.lo), np.array(M.hi), np.array(M.integer)
    if fixed is not None:  # fix every integer variable: what is left is an LP
        mask = integ == 1
        vlo[mask] = vhi[mask] = np.round(fixed[mask])
    opts = {"mip_rel_gap": 0.0}
    if time_limit:
        opts["time_limit"] = float(time_limit)
    return milp(c, integrality=integ, bounds=Bounds(vlo, vhi), constraints=LinearConstraint(A, np.array(lo), np.array(hi)),
                options=opts)


def solve(rule: str, n: int, f: int, q: int, include_self: bool, time_limit: float | None = None,
          margin: float = 1e-9) -> MilpResult:
    """Maximise y_0 - y_1 (module doc), then realise the optimum: with every integer variable fixed
    (the same sorted positions and windows), maximise again with the window conditions made strict
    by ``margin``, so that the real rule, whatever its tie rule, selects the same windows. Needs scipy."""
    if rule not in WINDOW_RULES + FIXED_RULES:
        raise ValueError(f"no MILP model for rule {rule!r}")
    h = n - f
    if h < 2 or q <= 2 * f or q - f - int(include_self) > h - 1:
        raise ValueError(f"no one-step problem for n = {n}, f = {f}, q = {q}")
    M, x, up, down, c = _build(rule, n, f, q, include_self, 0.0)
    res = _run(M, c, time_limit)
    nodes = int(getattr(res, "mip_node_count", 0) or 0)
    if res.x is None:
        return MilpResult(np.nan, np.nan, False, res.message, None, nodes)
    dual = -float(res.mip_dual_bound) if getattr(res, "mip_dual_bound", None) is not None else np.nan
    sol = res.x
    M2, x2, up2, down2, c2 = _build(rule, n, f, q, include_self, margin)
    strict = _run(M2, c2, time_limit, fixed=sol) if margin > 0 else None
    if strict is not None and strict.x is not None:
        cfg, selection = _configuration(strict.x, x2, up2, down2, (0, 1), n, f, q, include_self)
    else:
        cfg, selection = _configuration(sol, x, up, down, (0, 1), n, f, q, include_self)
    return MilpResult(value=-float(res.fun), dual_bound=dual, optimal=res.status == 0, status=res.message,
                      config=cfg, nodes=nodes, selection=selection,
                      strict_value=None if strict is None or strict.x is None else -float(strict.fun))


def _configuration(sol, x, up, down, pair, n, f, q, include_self):
    h = n - f
    xs = [float(np.clip(sol[v], 0.0, 1.0)) for v in x]
    values = [[xs[i] for i in range(h)] for _ in range(f)]  # benign default: a node's own value
    order: list[list[int]] = []
    for i in range(h):  # nodes other than 0 and 1: the first honest senders by id, Byzantine copying x_i
        others = [j for j in range(h) if j != i]
        order.append(list(range(h, n)) + others[: q - f - int(include_self)])
    selection: dict[int, list[int]] = {}
    for node, (y, s, z, items, om, b) in ((pair[0], up), (pair[1], down)):
        placed = []
        for p in range(q):
            k = max(range(len(items)), key=lambda k: sol[z[p, k]])
            placed.append(items[k])
        j = 0 if om is None else int(np.argmax([sol[o] for o in om]))
        inside = set(range(j, j + q - f)) if om is not None else set(range(q))
        ids, rows, first = [], [], int(include_self)
        for p in sorted(range(q), key=lambda p: (p not in inside, p)):  # window first: ties go our way
            kind, a, _ = placed[p]
            if kind == "h" and a == node:
                if p in inside:
                    rows.append(0)
                continue
            ids.append(a if kind == "h" else h + a)
            if kind == "b":
                values[a][node] = float(sol[b[a]])
            if p in inside:
                rows.append(first + len(ids) - 1)
        order[node] = ids
        selection[node] = sorted(rows)
    cfg = Configuration(n=n, f=f, q=q, include_self=include_self, x=xs, order=order, values=values)
    return cfg, selection


def realise(rule: str, n: int, f: int, q: int, include_self: bool, placed: dict[int, tuple[list, int]],
            margin: float = 1e-9, time_limit: float | None = 60.0) -> tuple[Configuration, dict, float] | None:
    """Realise a combinatorial choice found elsewhere (:mod:`agreement.worstcase.search`): for the
    pushed-up node 0 and pushed-down node 1, ``placed[node] = (items in sorted order, window start)``
    with items ``("h", honest id)`` or ``("b", t)`` (Byzantine values sorted by t). With those
    positions and windows fixed and the window conditions strict by ``margin``, the LP over x and the
    Byzantine values maximises y_0 - y_1. Returns (configuration, selection, LP value), or None when
    the choice is not strictly realisable (or breaks the symmetry conventions: honest nodes 2..h-1
    sorted, equal values in id order)."""
    M, x, up, down, c = _build(rule, n, f, q, include_self, margin)
    fixed = np.zeros(len(M.lo))
    for node, (y, s, z, items, om, b) in ((0, up), (1, down)):
        seq, j = placed[node]
        index = {(kind, a): k for k, (kind, a, _) in enumerate(items)}
        for p, item in enumerate(seq):
            fixed[z[p, index[item]]] = 1.0
        if om is not None:
            fixed[om[j]] = 1.0
    res = _run(M, c, time_limit, fixed=fixed)
    if res.x is None:
        return None
    cfg, selection = _configuration(res.x, x, up, down, (0, 1), n, f, q, include_self)
    return cfg, selection, -float(res.fun)
