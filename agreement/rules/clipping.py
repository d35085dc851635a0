"""Clipping rules: centered clipping (server) and self-centred clipping (ClippedGossip, peer to peer).

* ``cc`` (``centered_clipping``): Karimireddy, He and Jaggi, "Learning from History for Byzantine
  Robust Optimization" (ICML 2021), eq. (CC): starting from a centre v_0, iterate
  v_{l+1} = v_l + 1/q sum_i (x_i - v_l) min(1, tau_l / ||x_i - v_l||), l = 0..L-1, and output v_L.
  The paper's v_0 is the previous round's aggregate (server state); a rule here is a pure function,
  so v_0 is the coordinate-wise median of the finite rows (a robust start that needs no history;
  pass ``centre=`` to :func:`centered_clipping` to start elsewhere). L = :data:`CC_ITERATIONS`.
* ``scclip`` (``self_centered_clipping``): He, Karimireddy and Jaggi,
  "Byzantine-robust decentralized learning via ClippedGossip / self-centered clipping" (2022),
  eq. (SCClip): x_i <- sum_j W_ij (x_i + CLIP(x_j - x_i, tau_i)) with the node's OWN vector x_i as the
  centre and uniform gossip weights W_ij = 1/q over the q gathered rows (the own row, when gathered,
  contributes 0). ``own`` is the rule's third argument; without it (outside a node) the centre falls
  back to the coordinate-wise median, a documented choice, not the paper's.

Clipping radius (both rules, unless ``tau`` is given): adaptive, tau = the (f+1)-th largest distance
of the rows to the current centre, so that the f farthest rows (where f Byzantine rows would sit to
do the most harm) are clipped and every row at least as close as the (f+1)-th farthest is not. This
is ClippedGossip's adaptive choice (the authors' code clips the farthest neighbour, tau = the second
largest distance, for one Byzantine neighbour) generalised to f. With f = 0 nothing is clipped and
both rules return the mean. With f >= q, tau = 0 and the output is the centre.

Rows with a non-finite coordinate (which the network already rejects) contribute 0 (as if at the
centre). Cost: O(q d) per clipping step (one distance per row and one weighted sum), cc L times.

Overflow: both rules are positively homogeneous (in the rows, the centre and tau together). When a
difference or a squared distance may overflow (a value beyond 2^480, or a non-finite output from
finite rows), or every squared distance underflows (values below about 1e-154), the rule is computed on
the rows, centre and tau scaled by one power of two (exact) that brings the largest value near 1;
ordinary inputs take the unscaled path, bit for bit as before.
"""
from __future__ import annotations

import math
from typing import Callable

import numpy as np

from agreement.rules.overflow import needs_rescue, squares_underflow

CC_ITERATIONS = 3
"""L, the number of centered-clipping steps of ``cc`` (the paper's experiments use L = 1 with a
server-side history; three steps from the median start make the output stable in trials)."""


def _finite_rows(X: np.ndarray, name: str) -> tuple[np.ndarray, np.ndarray]:
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[0] == 0:
        raise ValueError(f"{name}: X must be a non-empty q x d array, got shape {X.shape}")
    fin = np.isfinite(X).all(axis=1)
    if not fin.any():
        raise ValueError(f"{name}: no finite vector")
    return X, fin


def adaptive_tau(dist: np.ndarray, f: int) -> float:
    """The (f+1)-th largest of ``dist`` (0 when f >= len(dist)): rows farther than it are clipped."""
    q = dist.shape[0]
    if f >= q:
        return 0.0
    return float(np.partition(dist, q - f - 1)[q - f - 1])


def clip_step(X: np.ndarray, fin: np.ndarray, centre: np.ndarray, f: int, tau: float | None = None) -> np.ndarray:
    """One clipping step around ``centre``: centre + 1/q sum_i CLIP(x_i - centre, tau). O(q d)."""
    diff = np.where(fin[:, None], X - centre, 0.0)
    dist = np.sqrt(np.einsum("ij,ij->i", diff, diff))
    t = adaptive_tau(dist, f) if tau is None else float(tau)
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.where(dist > t, t / dist, 1.0)
    return centre + (scale @ diff) / X.shape[0]


LARGE = 2.0 ** 480
"""Above this magnitude a squared distance may overflow (a difference up to twice it, d squares)."""


def _safe(fn: Callable, X: np.ndarray, fin: np.ndarray, centre: np.ndarray | None, tau: float | None) -> np.ndarray:
    """``fn(X, centre, tau)``, recomputed on X, centre and tau scaled by 2^-k when that overflowed
    (finite rows, a non-finite output) or the squared distances underflow (module docstring)."""
    rows = X[fin] if centre is None else np.vstack([X[fin], np.asarray(centre, dtype=np.float64)[None, :]])
    top = float(np.max(np.abs(rows)))
    if top < LARGE and not squares_underflow(rows):  # ordinary magnitudes: squared distances are finite
        out = fn(X, centre, tau)
        if not needs_rescue(out, rows):
            return out
    k = math.frexp(top)[1] + 2  # the largest value scaled to [1/8, 1/4): differences and squared norms stay finite
    c = None if centre is None else np.ldexp(np.asarray(centre, dtype=np.float64), -k)
    t = None if tau is None else math.ldexp(float(tau), -k)
    with np.errstate(over="ignore", invalid="ignore"):
        return np.ldexp(fn(np.ldexp(X, -k), c, t), k)


def centered_clipping(X: np.ndarray, f: int, own: np.ndarray | None = None, *, tau: float | None = None,
                      iterations: int = CC_ITERATIONS, centre: np.ndarray | None = None) -> np.ndarray:
    """Centered clipping (Karimireddy et al. 2021, eq. CC), L = ``iterations`` steps from ``centre``
    (default the coordinate-wise median; ``own`` is not used: the server's rule); adaptive tau per
    step unless ``tau``. Cost: O(L q d) + one median, O(q log q d)."""
    X, fin = _finite_rows(X, "cc")

    def run(X, centre, tau):
        v = np.median(X[fin], axis=0) if centre is None else np.asarray(centre, dtype=np.float64)
        for _ in range(int(iterations)):
            v = clip_step(X, fin, v, f, tau)
        return v
    return _safe(run, X, fin, centre, tau)


def self_centered_clipping(X: np.ndarray, f: int, own: np.ndarray | None = None, *,
                           tau: float | None = None) -> np.ndarray:
    """Self-centred clipping (ClippedGossip, eq. SCClip) around ``own`` with uniform weights 1/q;
    adaptive tau unless ``tau``. Cost: O(q d) (O(q log q d) more for the median without ``own``)."""
    X, fin = _finite_rows(X, "scclip")

    def run(X, centre, tau):
        c = np.median(X[fin], axis=0) if centre is None else centre
        return clip_step(X, fin, c, f, tau)
    return _safe(run, X, fin, None if own is None else np.asarray(own, dtype=np.float64), tau)


RULES = {"cc": centered_clipping, "centered_clipping": centered_clipping,
         "scclip": self_centered_clipping, "self_centered_clipping": self_centered_clipping}
