"""Algorithm 1 (the server's ROBUST CLUSTERING) and Algorithm 2 (the client's COMBINE ESTIMATES) of
the GMM paper, in numpy, plus the data model: (k + c) m clients, each corrupted with probability
c / (k + c), each genuine client holding one sample of N(mu_i, 1) for a uniform component i.

Algorithm 1, as read here (see docs/seeds.md):

1. m_h = (2 / delta^2) ln(k / delta), m = n / (k + c), m1 = m2 = (m - m_h) / 2; each point goes to
   H, T1 or T2 with odds m_h : m1 : m2;
2. H' = points of H with at least (rho_Delta - delta) m1 points of T1 at distance < Delta;
3. join points of H' closer than 3 Delta (connected components of the graph) and keep the
   components of span < 3 Delta: exactly the components that are cliques;
4. per kept component: S_c = points of T2 within Delta of one of its points, l = span(S_c) - 2 Delta,
   mu_tilde = median(S_c), eps_tilde = |S_c| / m2 - (Phi(l + Delta) - Phi(-Delta)) + delta.
   (The paper divides by m; S_c holds T2 points, m2 per component on average: m2 is meant.)

Algorithm 2: nearest mu_tilde to the client's sample x; if |mu_tilde - x| < 1.5 Delta, return
(mu_tilde + g(eps_tilde)^2 x) / (1 + g(eps_tilde)^2) (g = 0 when eps_tilde <= 0, and x itself when
eps_tilde >= rho_Delta, where g is infinite), else x.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from agreement.pfl.gmm import Phi, g_of, rho_delta


def m_h_of(k: int, delta: float) -> float:
    """m_h = (2 / delta^2) ln(k / delta) (Algorithm 1, line 2): about 4,239 at k = 10, delta = 0.05."""
    return 2.0 / delta ** 2 * math.log(k / delta)


@dataclass
class Population:
    """The reported samples: ``y`` (every client, genuine first), ``genuine`` count, component of
    each genuine client, and the component means."""

    y: np.ndarray
    genuine: int
    component: np.ndarray
    mu: np.ndarray


def draw_genuine(mu: np.ndarray, m: int, c: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, int]:
    """(samples, components, number corrupted): (k + c) m clients, each corrupted with probability
    c / (k + c) (rounded to an integer count of clients)."""
    k = len(mu)
    n = int(round((k + c) * m))
    corrupted = int(rng.binomial(n, c / (k + c))) if c > 0 else 0
    comp = rng.integers(0, k, size=n - corrupted)
    return mu[comp] + rng.standard_normal(n - corrupted), comp, corrupted


@dataclass
class Clustering:
    """Algorithm 1's output L = {(mu_tilde_c, eps_tilde_c)} and what led to it."""

    mu: np.ndarray
    eps: np.ndarray
    kept: int
    components: int
    dropped_spans: list[float] = field(default_factory=list)
    sizes: list[int] = field(default_factory=list)
    m_h: float = 0.0
    m1: float = 0.0


def _merge_intervals(points: np.ndarray, half: float) -> list[tuple[float, float]]:
    """The union of the open intervals (p - half, p + half) for sorted ``points``."""
    out: list[tuple[float, float]] = []
    for p in points.tolist():
        if out and p - half < out[-1][1]:
            out[-1] = (out[-1][0], p + half)
        else:
            out.append((p - half, p + half))
    return out


def robust_clustering(y: np.ndarray, k: int, c: float, delta: float, D: float,
                      rng: np.random.Generator) -> Clustering:
    """Algorithm 1 on the reported samples ``y`` with backoff ``delta`` and Delta = ``D``."""
    m = len(y) / (k + c)
    m_h = m_h_of(k, delta)
    if m <= m_h:
        raise ValueError(f"m = {m:.0f} must exceed m_h = (2/delta^2) ln(k/delta) = {m_h:.0f}")
    m1 = m2 = (m - m_h) / 2.0
    part = rng.choice(3, size=len(y), p=[m_h / m, m1 / m, m2 / m])
    H, T1, T2 = (np.sort(y[part == i]) for i in range(3))
    rho = rho_delta(D)
    count = np.searchsorted(T1, H + D, side="left") - np.searchsorted(T1, H - D, side="right")
    Hp = H[count >= (rho - delta) * m1]
    mus, epss, sizes, dropped = [], [], [], []
    if len(Hp):
        cuts = np.flatnonzero(np.diff(Hp) >= 3 * D) + 1
        groups = np.split(Hp, cuts)
    else:
        groups = []
    for grp in groups:
        span = float(grp[-1] - grp[0])
        if span >= 3 * D:
            dropped.append(span)
            continue
        pieces = [T2[np.searchsorted(T2, a, side="right"):np.searchsorted(T2, b, side="left")]
                  for a, b in _merge_intervals(grp, D)]
        S = np.concatenate(pieces) if pieces else np.zeros(0)
        if S.size == 0:
            continue
        l = float(S[-1] - S[0]) - 2 * D
        mus.append(float(np.median(S)))
        epss.append(S.size / m2 - (Phi(l + D) - Phi(-D)) + delta)
        sizes.append(int(S.size))
    return Clustering(np.array(mus), np.array(epss), int(len(Hp)), len(groups), dropped, sizes, m_h, m1)


def client_weights(eps_tilde: np.ndarray, D: float) -> np.ndarray:
    """w_c = g(eps_tilde_c)^2 (0 when eps_tilde <= 0, inf when eps_tilde >= rho_Delta)."""
    rho = rho_delta(D)
    out = np.empty(len(eps_tilde))
    for i, e in enumerate(np.asarray(eps_tilde, dtype=float).tolist()):
        out[i] = 0.0 if e <= 0 else (math.inf if e >= rho else g_of(e, D) ** 2)
    return out


def combine_estimates(mu_tilde: np.ndarray, eps_tilde: np.ndarray, x: np.ndarray, D: float) -> np.ndarray:
    """Algorithm 2 for every client sample in ``x`` (vectorised)."""
    x = np.asarray(x, dtype=np.float64)
    if len(mu_tilde) == 0:
        return x.copy()
    order = np.argsort(mu_tilde, kind="stable")
    mus, w = np.asarray(mu_tilde)[order], client_weights(np.asarray(eps_tilde)[order], D)
    j = np.clip(np.searchsorted(mus, x), 1, len(mus) - 1) if len(mus) > 1 else np.zeros(len(x), dtype=int)
    if len(mus) > 1:
        left_closer = np.abs(x - mus[j - 1]) <= np.abs(x - mus[j])
        j = np.where(left_closer, j - 1, j)
    j = np.searchsorted(mus, mus[j], side="left")  # equal estimates: the one listed first (as the slow version)
    near, wj = mus[j], w[j]
    use = (np.abs(near - x) < 1.5 * D) & np.isfinite(wj)
    out = x.copy()
    out[use] = (near[use] + wj[use] * x[use]) / (1.0 + wj[use])
    return out


def combine_estimates_slow(mu_tilde, eps_tilde, x, D) -> np.ndarray:
    """Algorithm 2 client by client, as printed (the reference of the vectorised version)."""
    rho = rho_delta(D)
    out = []
    for xv in np.asarray(x, dtype=float).tolist():
        if len(mu_tilde) == 0:
            out.append(xv)
            continue
        i = min(range(len(mu_tilde)), key=lambda c: (abs(mu_tilde[c] - xv), mu_tilde[c], c))
        mu, e = float(mu_tilde[i]), float(eps_tilde[i])
        if abs(mu - xv) >= 1.5 * D or e >= rho:
            out.append(xv)
            continue
        G = 0.0 if e <= 0 else g_of(e, D) ** 2
        out.append((mu + G * xv) / (1 + G))
    return np.array(out)
