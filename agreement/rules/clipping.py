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
"""
from __future__ import annotations

import numpy as np

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


def centered_clipping(X: np.ndarray, f: int, own: np.ndarray | None = None, *, tau: float | None = None,
                      iterations: int = CC_ITERATIONS, centre: np.ndarray | None = None) -> np.ndarray:
    """Centered clipping (Karimireddy et al. 2021, eq. CC), L = ``iterations`` steps from ``centre``
    (default the coordinate-wise median; ``own`` is not used: the server's rule); adaptive tau per
    step unless ``tau``. Cost: O(L q d) + one median, O(q log q d)."""
    X, fin = _finite_rows(X, "cc")
    v = np.median(X[fin], axis=0) if centre is None else np.asarray(centre, dtype=np.float64)
    for _ in range(int(iterations)):
        v = clip_step(X, fin, v, f, tau)
    return v


def self_centered_clipping(X: np.ndarray, f: int, own: np.ndarray | None = None, *,
                           tau: float | None = None) -> np.ndarray:
    """Self-centred clipping (ClippedGossip, eq. SCClip) around ``own`` with uniform weights 1/q;
    adaptive tau unless ``tau``. Cost: O(q d) (O(q log q d) more for the median without ``own``)."""
    X, fin = _finite_rows(X, "scclip")
    c = np.median(X[fin], axis=0) if own is None else np.asarray(own, dtype=np.float64)
    return clip_step(X, fin, c, f, tau)


RULES = {"cc": centered_clipping, "centered_clipping": centered_clipping,
         "scclip": self_centered_clipping, "self_centered_clipping": self_centered_clipping}
