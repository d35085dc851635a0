"""A structured search for MDA and CVA worst cases (lower bounds), fast where the MILP is slow.

The search space: honest inputs on a few levels (0 and 1, or 0, 1/2 and 1, with every count), the
pushed node of each level, the number of other honest values of each level it hears, and Byzantine
values from a menu (the levels, the levels +- 1/2 and +- 1). Each candidate is scored with the
rule's CLOSURE semantics: among the windows the rule may select (MDA: minimal range; CVA: no
outside value closer to the node's own value), the adversary takes the best one; all arithmetic is
on integers (values scaled by 4), so ties are exact. The best candidates are then realised by
:func:`agreement.worstcase.milp.realise` (same sorted positions and windows, conditions made strict),
and only a realised value counts. What the search finds is a LOWER BOUND; it is exact only when it
meets a proven upper bound (the lemma's factor or a MILP dual bound), which the caller decides.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass

SCALE = 4
"""Values are integers in units of 1/SCALE of the spread."""


@dataclass
class Plan:
    """What one pushed node gathers: its value, the other honest values (level, count) it hears,
    the Byzantine values, all scaled by SCALE, and the window its rule selects."""
    own: int
    heard: tuple[int, ...]
    byz: tuple[int, ...]
    value: float
    window: int


def _windows(rule: str, vals: list[int], m: int, own: int) -> list[int]:
    """Start indices (in sorted order) of the windows the rule may select (closure semantics)."""
    q = len(vals)
    starts = range(q - m + 1)
    if rule == "mda":
        r = [vals[j + m - 1] - vals[j] for j in starts]
        best = min(r)
        return [j for j in starts if r[j] == best]
    out = []
    for j in starts:  # cva: every outside value at least as far from own as every inside value
        inside = max(abs(vals[j] - own), abs(vals[j + m - 1] - own))
        left = own - vals[j - 1] if j > 0 else None
        right = vals[j + m] - own if j + m < q else None
        if (left is None or (vals[j - 1] <= own and left >= inside)) and \
                (right is None or (vals[j + m] >= own and right >= inside)):
            out.append(j)
    return out


def best_output(rule: str, own: int, heard: list[int], byz: tuple[int, ...], m: int, up: bool,
                include_self: bool) -> tuple[float, int] | None:
    """(the best window mean for the adversary, its start) under closure semantics, or None."""
    vals = sorted(([own] if include_self else []) + heard + list(byz))
    ws = _windows(rule, vals, m, own)
    if not ws:
        return None
    means = [(sum(vals[j:j + m]) / m, j) for j in ws]
    return max(means) if up else min(means)


def _menu(levels: list[int]) -> list[int]:
    s = set()
    for v in levels:
        s.update(v + d for d in (-SCALE, -SCALE // 2, 0, SCALE // 2, SCALE))
    return sorted(s)


def candidates(rule: str, n: int, f: int, q: int, include_self: bool, three_levels: bool, keep: int = 8):
    """The ``keep`` best (factor, x, up-node plan, down-node plan) of the space (module doc), factor in
    units of the spread (closure semantics, not yet realised)."""
    h, m = n - f, q - f
    k = q - f - int(include_self)
    levels = [0, SCALE // 2, SCALE] if three_levels else [0, SCALE]
    menu = _menu(levels)
    byz_sets = list(itertools.combinations_with_replacement(menu, f))
    found = []
    L = len(levels)
    for counts in itertools.product(range(h + 1), repeat=L):
        if sum(counts) != h or counts[0] == 0 or counts[-1] == 0:
            continue
        best_u, best_l = {}, {}
        for i, own in enumerate(levels):
            if counts[i] == 0:
                continue
            avail = [c - (j == i) for j, c in enumerate(counts)]
            for take in itertools.product(*(range(min(a, k) + 1) for a in avail)):
                if sum(take) != k:
                    continue
                heard = [v for v, t in zip(levels, take) for _ in range(t)]
                for byz in byz_sets:
                    u = best_output(rule, own, heard, byz, m, True, include_self)
                    if u is not None and (own not in best_u or u[0] > best_u[own].value):
                        best_u[own] = Plan(own, tuple(heard), byz, u[0], u[1])
                    lo = best_output(rule, own, heard, byz, m, False, include_self)
                    if lo is not None and (own not in best_l or lo[0] < best_l[own].value):
                        best_l[own] = Plan(own, tuple(heard), byz, lo[0], lo[1])
        for a, pu in best_u.items():
            for b, pl in best_l.items():
                if a == b and counts[levels.index(a)] < 2:
                    continue
                found.append(((pu.value - pl.value) / SCALE, counts, pu, pl))
    found.sort(key=lambda t: -t[0])
    return found[:keep], levels


def placement(counts: tuple[int, ...], levels: list[int], pu: Plan, pl: Plan, f: int, include_self: bool):
    """Inputs x (in [0, 1]) with node 0 pushed up, node 1 down, nodes 2..h-1 sorted, and for nodes 0
    and 1 the items in sorted order with the window start: what :func:`milp.realise` takes."""
    rest = list(counts)
    rest[levels.index(pu.own)] -= 1
    rest[levels.index(pl.own)] -= 1
    xs = [pu.own, pl.own] + [v for v, c in zip(levels, rest) for _ in range(c)]
    placed = {}
    for node, plan in ((0, pu), (1, pl)):
        pool = [a for a in range(len(xs)) if a != node]
        heard = []
        for v in plan.heard:
            a = next(a for a in pool if xs[a] == v and a not in heard)
            heard.append(a)
        items = [(xs[a], 0, a, ("h", a)) for a in heard] + [(v, 1, t, ("b", t)) for t, v in enumerate(plan.byz)]
        if include_self:
            items.append((plan.own, 0, -1, ("h", node)))
        items.sort(key=lambda it: it[:3])
        placed[node] = ([it[3] for it in items], plan.window)
    return [v / SCALE for v in xs], placed


def lower_bounds(rule: str, n: int, f: int, q: int, include_self: bool, realise, keep: int = 6):
    """Realised configurations of the best candidates: a list of (configuration, selection)."""
    cands2, lv2 = candidates(rule, n, f, q, include_self, False, keep)
    cands = [(c, lv2) for c in cands2]
    if n - f >= 3:
        cands3, lv3 = candidates(rule, n, f, q, include_self, True, keep)
        cands += [(c, lv3) for c in cands3]
    cands.sort(key=lambda t: -t[0][0])
    out = []
    for (val, counts, pu, pl), levels in cands[:keep]:
        xs, placed = placement(counts, levels, pu, pl, f, include_self)
        got = realise(placed)
        if got is not None:
            out.append(got[:2])
    return out
