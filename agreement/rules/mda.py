"""Minimum-Diameter Averaging, exact (agreement paper, section 5.1, eq. 119 and 120).

MDA picks, among the q gathered vectors, a subset S of q - f vectors of minimal l2 diameter and
outputs its mean. This module computes that subset EXACTLY, without enumerating the C(q, f) subsets:

1. Rows with a non-finite coordinate can never be honest: they are excluded first (they count
   against the f vectors MDA may drop). If fewer than q - f rows are finite, :class:`ValueError`.
2. The pairwise squared distances are computed ONCE (``pairwise_sq_exact``: direct differences, so
   that geometrically equal distances compare exactly equal and ties are real ties).
3. The minimal diameter is the smallest pairwise distance r such that dropping at most f rows
   leaves no pair farther apart than r. "Dropping at most b rows removes every pair at distance
   > r" is a vertex cover of size <= b in the *conflict graph* (edges: pairs at distance > r), which
   is decided exactly by the classic bounded search tree (branch on a vertex of maximal degree:
   drop it, or keep it and drop all its conflict neighbours; a vertex of degree > b must be
   dropped; more than b * maxdeg edges is infeasible): O(2^f q) steps on bitmasks. A binary search
   over the sorted distinct distances finds the minimum with O(log q) such searches. Removing more
   rows never increases a diameter, so "at most f" and "exactly f" give the same minimum.
4. Ties (several subsets of minimal diameter). Rule ``mda`` returns the LEXICOGRAPHICALLY SMALLEST
   index set (sorted indices of the rows as gathered, non-finite rows included in the numbering)
   among the minimal ones, found greedily (keep row i if some minimal subset contains the rows kept
   so far and i). With the node's own vector first in its gathered family (``IterateRule`` puts it
   first), own is kept whenever some minimal subset contains it. The output is permutation
   invariant whenever the minimal subset is unique. Rule ``mda-all-minimal`` is the paper's
   rigorous variant (proof of Theorem 5): the average, over ALL minimal subsets, of their means,
   computed by counting for each row the minimal subsets that contain it (same search tree, with
   the free choices at the leaves counted by binomials, never enumerated); it is permutation
   invariant.

Overflow: when a squared distance overflows (values beyond about 1e154), the distances are
recomputed in extended precision by direct differences (:mod:`agreement.rules.overflow`), thresholds
keep that precision, and the mean of the subset is taken overflow-safe.

Cost: O(q^2 d) for the distances, plus O(2^f q log q) bit operations for the search (the naive
method, ByzFL's and Garfield's, is O(C(q, f) (q - f)^2 d)). ``mda-all-minimal`` adds the counting
search, also O(2^f q) nodes.
"""
from __future__ import annotations

from functools import lru_cache
from math import comb

import numpy as np

from agreement.rules.gram import direct_difference_error, gram
from agreement.rules.overflow import safe_mean, sq_distances_extended, squares_underflow

__all__ = ["pairwise_sq_exact", "mda_select", "mda", "mda_all_minimal", "RULES"]


_ONE_SHOT = 1 << 20
"""Largest q^2 d for which :func:`pairwise_sq_exact` builds the q x q x d differences in one go."""


@lru_cache(maxsize=128)
def _upper(m: int) -> tuple[np.ndarray, np.ndarray]:
    return np.triu_indices(m, 1)


def pairwise_sq_exact(X: np.ndarray) -> np.ndarray:
    """Squared l2 distances between rows by direct differences, ``q x q``, exactly symmetric with a
    zero diagonal. Each entry is computed once, so equal geometric distances give equal numbers
    when the inputs make them exact. Cost O(q^2 d) (a Python loop over q rows, vectorised over d)."""
    X = np.asarray(X, dtype=np.float64)
    q = X.shape[0]
    with np.errstate(over="ignore", invalid="ignore"):
        if q * q * X.shape[1] <= _ONE_SHOT:  # all differences at once (same numbers, about 5x faster at small d)
            diff = X[:, None, :] - X[None, :, :]
            D = np.einsum("ijk,ijk->ij", diff, diff)
        else:
            D = np.zeros((q, q))
            for i in range(q - 1):
                diff = X[i + 1 :] - X[i]
                D[i, i + 1 :] = np.einsum("ij,ij->i", diff, diff)
            D = D + D.T
    if np.isfinite(X).all() and (not np.isfinite(D).all() or squares_underflow(X)):  # extended precision
        return sq_distances_extended(X)
    return D


def _masks(D: np.ndarray, thr) -> list[int]:
    """Conflict graph as bitmasks: bit j of masks[i] is set when D[i, j] > thr."""
    return _pack(D > thr)


def _pack(M: np.ndarray) -> list[int]:
    """Boolean q x q matrix -> bitmasks (bit j of masks[i] is M[i, j])."""
    packed = np.packbits(M, axis=1, bitorder="little")
    return [int.from_bytes(row.tobytes(), "little") for row in packed]


def _bits(x: int):
    while x:
        low = x & -x
        yield low.bit_length() - 1
        x ^= low


def _maxdeg(adj: list[int], alive: int) -> tuple[int, int, int]:
    """(vertex of maximal degree, its degree, number of edges) in the graph induced by ``alive``."""
    best_v, best_d, total = -1, 0, 0
    for v in _bits(alive):
        dg = (adj[v] & alive).bit_count()
        total += dg
        if dg > best_d:
            best_v, best_d = v, dg
    return best_v, best_d, total // 2


def _vc(adj: list[int], alive: int, b: int) -> bool:
    """True when removing at most ``b`` vertices of ``alive`` leaves no conflict edge (bounded
    search tree for vertex cover)."""
    v, dg, edges = _maxdeg(adj, alive)
    if dg == 0:
        return True
    if b <= 0 or edges > b * dg:
        return False
    if dg > b:  # v must go: keeping it would cost dg > b removals
        return _vc(adj, alive & ~(1 << v), b - 1)
    if _vc(adj, alive & ~(1 << v), b - 1):
        return True
    nb = adj[v] & alive
    return _vc(adj, alive & ~nb & ~(1 << v), b - dg)


def _count(adj: list[int], alive: int, b: int) -> tuple[int, dict[int, int]]:
    """Number of ways to remove EXACTLY ``b`` vertices of ``alive`` leaving no conflict edge, and for
    each vertex of ``alive`` the number of those ways that keep it."""
    if b < 0:
        return 0, {}
    v, dg, edges = _maxdeg(adj, alive)
    if dg == 0:
        s = alive.bit_count()
        if b > s:
            return 0, {}
        keep = comb(s - 1, b) if s >= 1 else 0
        return comb(s, b), {u: keep for u in _bits(alive)}
    if b == 0 or edges > b * dg:
        return 0, {}
    t1, c1 = _count(adj, alive & ~(1 << v), b - 1)  # v removed
    nb = adj[v] & alive
    t2, c2 = _count(adj, alive & ~nb & ~(1 << v), b - dg) if dg <= b else (0, {})  # v kept
    out = dict(c1)
    for u, c in c2.items():
        out[u] = out.get(u, 0) + c
    if t2:
        out[v] = out.get(v, 0) + t2
    return t1 + t2, out


def _prepare(X: np.ndarray, f: int):
    return _prepare_norms(X, f)[:4]


def _prepare_norms(X: np.ndarray, f: int):
    """(X as float64, indices of its finite rows, q - f, the budget of rows to drop, the finite rows'
    squared norms or None): the norms, wanted by the Gram path at large sizes, double as the
    finiteness check there (one pass over X instead of two)."""
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2:
        raise ValueError(f"mda: X must be q x d, got shape {X.shape}")
    q = X.shape[0]
    k = q - f
    if f < 0 or k < 1:
        raise ValueError(f"mda: needs q > f, got q = {q}, f = {f}")
    norms = None
    if q * q * X.shape[1] > _ONE_SHOT:  # the Gram path (_threshold) needs the squared norms: one pass for both
        with np.errstate(over="ignore", invalid="ignore"):
            norms = np.einsum("ij,ij->i", X, X)
        fin = np.isfinite(norms)  # a finite sum of squares: a finite row; otherwise look at the row
        for i in np.flatnonzero(~fin):
            fin[i] = np.isfinite(X[i]).all()
        finite = np.flatnonzero(fin)
        norms = norms[finite]
    else:
        finite = np.flatnonzero(np.isfinite(X).all(axis=1))
    m = finite.size
    if m < k:
        raise ValueError(f"mda: only {m} of {q} vectors are finite, fewer than q - f = {k}: more than f are Byzantine")
    return X, finite, k, m - k, norms


def _min_threshold(D: np.ndarray, budget: int) -> tuple[np.floating, list[int]]:
    """Minimal squared diameter r* reachable by removing at most ``budget`` rows, and the conflict
    masks of D > r*."""
    m = D.shape[0]
    full = (1 << m) - 1
    if budget == 0 or m <= 1:
        top = D.max(initial=0.0)  # a numpy scalar of D's precision (float() would overflow an extended one)
        return top, _masks(D, top)
    cand = np.unique(D[_upper(m)])
    cand = np.concatenate((np.zeros(1, dtype=cand.dtype), cand)) if cand.size == 0 or cand[0] > 0.0 else cand
    lo, hi = 0, cand.size - 1  # cand[hi] (the full diameter) is always feasible
    hi_masks = None
    while lo < hi:
        mid = (lo + hi) // 2
        masks = _masks(D, cand[mid])
        if _vc(masks, full, budget):
            hi, hi_masks = mid, masks
        else:
            lo = mid + 1
    if hi_masks is None:
        hi_masks = _masks(D, cand[hi])
    return cand[hi], hi_masks


def _exact_pairs(X: np.ndarray, P: np.ndarray) -> np.ndarray:
    """:func:`pairwise_sq_exact`'s numbers (its row loop) for the pairs P (k x 2, i < j)."""
    m = X.shape[0]
    out = np.empty(P.shape[0])
    with np.errstate(over="ignore", invalid="ignore"):
        for i in np.unique(P[:, 0]):
            sel = np.flatnonzero(P[:, 0] == i)
            js = P[sel, 1]
            if js.size == 1 and i < m - 2:  # einsum sums one row differently from several: as the loop
                js = np.array([js[0], m - 1 if js[0] != m - 1 else m - 2])
            diff = X[js] - X[i]
            out[sel] = np.einsum("ij,ij->i", diff, diff)[: sel.size]
    return out


def _min_feasible(cands: np.ndarray, graph, budget: int, full: int):
    """Smallest c of the sorted ``cands`` whose conflict graph ``graph(c)`` (bitmasks) can be cleared
    by removing at most ``budget`` rows; the largest must be feasible. Returns (index, masks)."""
    lo, hi, hi_masks = 0, cands.size - 1, None
    while lo < hi:
        mid = (lo + hi) // 2
        masks = graph(cands[mid])
        if _vc(masks, full, budget):
            hi, hi_masks = mid, masks
        else:
            lo = mid + 1
    return hi, (graph(cands[hi]) if hi_masks is None else hi_masks)


def _threshold(X: np.ndarray, budget: int, norms: np.ndarray | None = None) -> tuple[np.floating, list[int]]:
    """``_min_threshold(pairwise_sq_exact(X), budget)``, the same numbers, faster at large d.

    At large q^2 d the exact pairwise differences (O(q^2 d) subtractions) dominate MDA. Instead: Gram
    distances G with a rigorous bound E (:mod:`agreement.rules.gram`), so the exact D lies in [L, U] =
    [G - E, G + E]. The minimal feasible threshold r* lies in [t_lo, t_hi], t_lo (t_hi) the minimal
    feasible threshold of the graph {L > t} ({U > t}), since {L > t} is a subgraph and {U > t} a
    supergraph of {D > t}. Pairs whose interval misses [t_lo, t_hi] compare the same way against
    every threshold there; the few others (usually a handful) get their exact D, and the search is
    finished on those exact values. Result and masks are exactly those of the exact computation."""
    m, d = X.shape
    full = (1 << m) - 1
    if budget == 0 or m <= 2 or m * m * d <= _ONE_SHOT:
        return _min_threshold(pairwise_sq_exact(X), budget)
    gb = gram(X, norms)
    if gb is None:
        return _min_threshold(pairwise_sq_exact(X), budget)
    G, E, _ = gb
    E = direct_difference_error(G, E, d)
    iu, ju = _upper(m)
    zero = np.zeros(1)
    L = np.maximum(G - E, 0.0)
    U = G + E
    cl = np.unique(np.concatenate((zero, L[iu, ju])))
    cu = np.unique(np.concatenate((zero, U[iu, ju])))
    t_lo = cl[_min_feasible(cl, lambda t: _masks(L, t), budget, full)[0]]
    t_hi = cu[_min_feasible(cu, lambda t: _masks(U, t), budget, full)[0]]
    inside = (L[iu, ju] <= t_hi) & (U[iu, ju] >= t_lo)
    if inside.sum() > iu.size // 4:  # too uncertain to be worth it (e.g. rows far from the origin, close together)
        return _min_threshold(pairwise_sq_exact(X), budget)
    P = np.stack((iu[inside], ju[inside]), axis=1)
    Dp = _exact_pairs(X, P)
    if not np.isfinite(Dp).all():
        return _min_threshold(pairwise_sq_exact(X), budget)
    base = L > t_hi  # pairs outside the window that are edges at every threshold in it
    base[P[:, 0], P[:, 1]] = False
    base[P[:, 1], P[:, 0]] = False

    def graph(t):
        M = base.copy()
        hit = Dp > t
        M[P[hit, 0], P[hit, 1]] = True
        M[P[hit, 1], P[hit, 0]] = True
        return _pack(M)

    cand = np.unique(Dp[(Dp >= t_lo) & (Dp <= t_hi)])
    if t_lo <= 0.0 and (cand.size == 0 or cand[0] > 0.0):
        cand = np.concatenate((zero, cand))
    k, masks = _min_feasible(cand, graph, budget, full)
    return cand[k], masks


def mda_select(X: np.ndarray, f: int, ties: str = "lex") -> tuple[np.ndarray, float]:
    """The minimal-diameter subset of eq. 119: (sorted row indices of X, its l2 diameter).

    ``ties = "lex"``: the lexicographically smallest index set among the minimal ones (module doc).
    """
    X, finite, k, budget, norms = _prepare_norms(X, f)
    r2, adj = _threshold(X[finite] if finite.size < X.shape[0] else X, budget, norms)
    m = finite.size
    alive, b, kept = (1 << m) - 1, budget, []
    for v in range(m):
        if not (alive >> v) & 1:
            continue
        if len(kept) == k:
            break
        nb = adj[v] & alive & ~(1 << v)
        cost = nb.bit_count()
        if cost <= b and _vc(adj, alive & ~nb & ~(1 << v), b - cost):
            kept.append(v)
            alive &= ~nb & ~(1 << v)
            b -= cost
        else:
            alive &= ~(1 << v)
            b -= 1
    with np.errstate(over="ignore"):
        return finite[np.asarray(kept, dtype=np.int64)], float(np.sqrt(r2))


def mda(X: np.ndarray, f: int, own: np.ndarray | None = None) -> np.ndarray:
    """MDA (eq. 119, 120): mean of the minimal-diameter subset of q - f rows, exact; ties go to the
    lexicographically smallest index set. ``own`` is unused. Cost O(q^2 d + 2^f q log q)."""
    X = np.asarray(X, dtype=np.float64)
    idx, _ = mda_select(X, f)
    return _rows_mean(X, idx)


def _rows_mean(X: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """``safe_mean(X[idx])`` without the copy of the rows, the same numbers: numpy's mean along axis 0
    of a C-ordered k x d array (d >= 2) adds whole rows one after the other, then divides by k."""
    if X.ndim != 2 or X.shape[1] < 8192 or idx.size < 2 or not X.flags.c_contiguous:  # small: the copy is cheaper
        return safe_mean(X[idx])
    with np.errstate(over="ignore", invalid="ignore"):
        acc = X[idx[0]] + X[idx[1]]
        for i in idx[2:]:
            acc += X[i]
        acc /= idx.size
    if np.isfinite(acc).all():
        return acc
    return safe_mean(X[idx])


def mda_weights(X: np.ndarray, f: int) -> np.ndarray:
    """Weights w (summing to 1) such that sum_i w_i x_i is the average over ALL minimal-diameter
    subsets of their means; w_i = (number of minimal subsets containing i) / (M (q - f))."""
    X, finite, k, budget, norms = _prepare_norms(X, f)
    _, adj = _threshold(X[finite] if finite.size < X.shape[0] else X, budget, norms)
    total, counts = _count(adj, (1 << finite.size) - 1, budget)
    w = np.zeros(X.shape[0])
    for v, c in counts.items():
        w[finite[v]] = c / (total * k)
    return w


def mda_all_minimal(X: np.ndarray, f: int, own: np.ndarray | None = None) -> np.ndarray:
    """MDA, the paper's rigorous tie rule (proof of Theorem 5): the average over all subsets of
    minimal diameter of their means. Permutation invariant. Cost O(q^2 d + 2^f q log q)."""
    X = np.asarray(X, dtype=np.float64)
    w = mda_weights(X, f)
    nz = np.flatnonzero(w)
    return w[nz] @ X[nz]


RULES = {"mda": mda, "mda-all-minimal": mda_all_minimal}
