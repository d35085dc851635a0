"""Exact minimisation of small strictly convex piecewise-quadratic problems

    F(z) = 1/2 z^T P z + c^T z + sum_k a_k |b_k^T z - e_k|,   P positive definite, a_k > 0,

by enumerating the 3^K sign patterns (each |.| positive, negative or at its kink) and solving each
pattern's equality-constrained quadratic through its KKT system; the pattern whose solution has
consistent signs and kink multipliers in [-1, 1] gives THE minimiser (F is strictly convex). Used
for LICCHAVI's Theorem 10 instance (K = 4: 81 patterns). :func:`kkt_residual` measures how far a
point is from satisfying 0 in the subdifferential, with each |.| term carrying ONE subgradient
shared by every partial derivative (the point the paper's Theorem 10 proof misses).
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np


@dataclass
class PiecewiseQP:
    P: np.ndarray
    c: np.ndarray
    a: np.ndarray      # K weights
    Bm: np.ndarray     # K x n rows b_k
    e: np.ndarray      # K offsets
    const: float = 0.0

    def value(self, z: np.ndarray) -> float:
        return float(0.5 * z @ self.P @ z + self.c @ z + self.a @ np.abs(self.Bm @ z - self.e) + self.const)

    def smooth_grad(self, z: np.ndarray) -> np.ndarray:
        return self.P @ z + self.c


def solve_exact(qp: PiecewiseQP, tol: float = 1e-11, hint: tuple[int, ...] | None = None) -> tuple[np.ndarray, tuple[int, ...]]:
    """The minimiser and the sign pattern that certifies it (see module docstring). F being strictly
    convex, the first pattern whose solution satisfies the KKT conditions gives the minimiser;
    ``hint`` (e.g. the previous solve's pattern) is tried first."""
    K = len(qp.a)
    patterns = itertools.product((-1, 0, 1), repeat=K)
    if hint is not None:
        patterns = itertools.chain([tuple(hint)], patterns)
    for sig in patterns:
        z, s = _solve_pattern(qp, sig)
        if z is None:
            continue
        r = qp.Bm @ z - qp.e
        scale = 1.0 + float(np.max(np.abs(z)))
        if all((sig[k] * r[k] >= -tol * scale) if sig[k] else (abs(s[k]) <= 1 + tol) for k in range(K)):
            return z, tuple(sig)
    raise ArithmeticError("no sign pattern satisfies the KKT conditions (P not positive definite?)")


def _solve_pattern(qp: PiecewiseQP, sig: tuple[int, ...]) -> tuple[np.ndarray | None, np.ndarray]:
    n, K = len(qp.c), len(qp.a)
    lin = qp.c + sum(qp.a[k] * sig[k] * qp.Bm[k] for k in range(K) if sig[k])
    zero = [k for k in range(K) if sig[k] == 0]
    E = qp.Bm[zero] if zero else np.zeros((0, n))
    kkt = np.block([[qp.P, E.T], [E, np.zeros((len(zero), len(zero)))]])
    rhs = np.concatenate([-lin, qp.e[zero]])
    try:
        sol = np.linalg.solve(kkt, rhs)
    except np.linalg.LinAlgError:  # dependent kink rows: another pattern covers this point
        return None, np.zeros(K)
    s = np.zeros(K)
    for i, k in enumerate(zero):
        s[k] = sol[n + i] / qp.a[k]  # the kink's multiplier as a subgradient of |.|
    return sol[:n], s


def kkt_residual(qp: PiecewiseQP, z: np.ndarray, tol: float = 1e-12) -> float:
    """min over valid subgradients of ||grad smooth(z) + sum_k a_k s_k b_k||_2, where s_k = sgn(b_k^T z
    - e_k) off the kink and s_k in [-1, 1] (one value per term) at it: 0 exactly at the minimiser.
    The box-constrained least squares over the kink terms is solved by enumerating which s_k sit on a
    bound (exact for the few terms at hand)."""
    r = qp.Bm @ z - qp.e
    kink = [k for k in range(len(qp.a)) if abs(r[k]) <= tol * (1 + np.max(np.abs(z)))]
    base = qp.smooth_grad(z) + sum(qp.a[k] * np.sign(r[k]) * qp.Bm[k] for k in range(len(qp.a)) if k not in kink)
    if not kink:
        return float(np.linalg.norm(base))
    M = np.stack([qp.a[k] * qp.Bm[k] for k in kink], axis=1)
    best = np.inf
    for pat in itertools.product(("free", -1.0, 1.0), repeat=len(kink)):
        s = np.array([0.0 if p == "free" else p for p in pat])
        free = [i for i, p in enumerate(pat) if p == "free"]
        resid = base + M @ s
        if free:
            sol, *_ = np.linalg.lstsq(M[:, free], -resid, rcond=None)
            if np.any(np.abs(sol) > 1 + 1e-12):
                continue
            s[free] = sol
        best = min(best, float(np.linalg.norm(base + M @ s)))
    return best
