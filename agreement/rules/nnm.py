"""Nearest Neighbour Mixing (NNM paper, section 4.1, Algorithm 2) as a pre-aggregation.

``nnm+RULE``: every gathered row x_i is replaced by the mean of its q - f nearest rows (itself
included; ties: lower index), then RULE is applied to the mixed rows with the same f (Lemma 1:
if RULE is (f, kappa)-robust, RULE o NNM is (f, 8f/(n - f) (kappa + 1))-robust). Cost O(q^2 d).

``nnm-own+RULE``: the peer-to-peer variant where the node's OWN vector is the pivot (the NNM paper
cites [16], honest nodes using their own vectors as pivots; Lemma 4 with mu = own): RULE is applied
to the q - f gathered rows nearest to own (ties: lower index), with the same f. So nnm-own+mean is
exactly CVA. When own is None (outside a node) it falls back to ``nnm``. Cost O(q d) + RULE's.
Rows with a non-finite coordinate are infinitely far from every row.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from agreement.rules.cva import cva_select
from agreement.rules.krum import sq_distances_finite


def nnm_mix(X: np.ndarray, f: int) -> np.ndarray:
    """Algorithm 2: row i -> mean of its q - f nearest rows (itself included)."""
    X = np.asarray(X, dtype=np.float64)
    q = X.shape[0]
    if q - f < 1:
        raise ValueError(f"nnm: needs q > f, got q = {q}, f = {f}")
    D = sq_distances_finite(X)
    near = np.argsort(D, axis=1, kind="stable")[:, : q - f]
    W = np.zeros((q, q))
    np.put_along_axis(W, near, 1.0 / (q - f), axis=1)
    fin = np.isfinite(X).all(axis=1)
    if fin.all():
        return W @ X  # one (q x q) @ (q x d) product
    out = np.empty_like(X)
    for i in range(q):  # a non-finite row among the neighbours must propagate (0 * inf is NaN anyway)
        out[i] = X[near[i]].mean(axis=0)
    return out


def nnm(rule: Callable) -> Callable:
    def mixed(X, f, own=None):
        return rule(nnm_mix(X, f), f, own)
    mixed.__name__ = f"nnm_{getattr(rule, '__name__', 'rule')}"
    mixed.__doc__ = f"NNM (Algorithm 2) then {getattr(rule, '__name__', 'the rule')}. Cost O(q^2 d) + the rule's."
    return mixed


def nnm_own(rule: Callable) -> Callable:
    def mixed(X, f, own=None):
        X = np.asarray(X, dtype=np.float64)
        if own is None:
            return rule(nnm_mix(X, f), f, own)

        return rule(X[np.sort(cva_select(X, f, own))], f, own)
    mixed.__name__ = f"nnm_own_{getattr(rule, '__name__', 'rule')}"
    mixed.__doc__ = f"Own-pivot NNM then {getattr(rule, '__name__', 'the rule')}. Cost O(q d) + the rule's on q - f rows."
    return mixed


def kappa_nnm(n: int, f: int, kappa: float) -> float:
    """kappa' <= 8f/(n - f) (kappa + 1) (NNM paper, Lemma 1)."""
    return 8 * f / (n - f) * (kappa + 1)


PRE_AGGREGATIONS = {"nnm": nnm, "nnm-own": nnm_own}
