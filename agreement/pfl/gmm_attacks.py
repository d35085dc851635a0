"""The adversary of the GMM paper: non-adaptive additive contamination. It knows the component means
mu_i and how many clients it controls (``count``), not the genuine samples; it writes ``count``
values. Masses are in units of m (a component holds about m genuine clients).

* ``silent``: far from every component, isolated points (spacing 2 Delta + 1): nothing passes the
  filter;
* ``shift``: the budget split evenly (eps = count / (m k) per component), each component's share at
  mu_i + l(eps + delta - margin), the farthest point that still passes the filter;
* ``destroy``: (rho_Delta - delta - f(3 Delta))(1 + margin) of mass at mu_i + 3 Delta on as many
  components as the budget allows (a filtered-in point 3 Delta from the mean breaks the clique), the
  rest silent;
* ``worst``: destroy what the budget allows, shift the other components with the rest;
* ``lb``: Theorem 1's attack on the k' components that maximise the lower bound (mass c / k' each):
  corrupted points of density psi = (f_eps(x - mu') - phi(x - mu)) / eps, the plateau density
  f_eps of length sqrt(2 pi) eps, with mu' = mu - sqrt(2 pi) eps theta, theta drawn from the
  cos^2 prior 2 sin^2(pi t) on [0, 1] (the prior of the Bayesian bound, so that the bound applies
  to any estimator's average error).
"""
from __future__ import annotations

import math

import numpy as np

from agreement.pfl.gmm import gap, l_of, lower_bound, phi

ATTACKS = ("none", "silent", "shift", "destroy", "worst", "lb")
_SQRT2PI = math.sqrt(2.0 * math.pi)


def _silent(mu: np.ndarray, count: int, D: float) -> np.ndarray:
    start = float(np.max(mu)) + 20.0 * D + 100.0
    return start + (2.0 * D + 1.0) * np.arange(count)


def destroy_cost(D: float, delta: float, margin: float) -> float:
    """Mass (units of m) that destroys one component: (rho - delta - f(3 Delta))(1 + margin)."""
    return (gap(3.0 * D, D) - delta) * (1.0 + margin)


def _shift(mu: np.ndarray, counts: np.ndarray, m: float, D: float, delta: float, margin: float) -> list[np.ndarray]:
    out = []
    for mi, cnt in zip(mu.tolist(), counts.tolist()):
        eps = cnt / m
        reach = eps + delta - margin
        x = l_of(reach, D) if reach > 0 else 0.0
        out.append(np.full(int(cnt), mi + (x if math.isfinite(x) else 3.0 * D)))
    return out


def _sample_psi(mu: float, mu_p: float, eps: float, size: int, rng: np.random.Generator) -> np.ndarray:
    """``size`` draws of psi(x) = (f_eps(x - mu') - phi(x - mu)) / eps by rejection from
    f_eps(x - mu') / (1 + eps) (accept with probability 1 - phi(x - mu) / f_eps(x - mu'))."""
    L = _SQRT2PI * eps
    out: list[np.ndarray] = []
    have = 0
    while have < size:
        batch = max(64, int(1.3 * (size - have) * (1 + eps) / eps) + 16)
        plateau = rng.random(batch) < eps / (1 + eps)
        z = rng.standard_normal(batch)
        x = np.where(plateau, mu_p + L * rng.random(batch), np.where(z <= 0, mu_p + z, mu_p + L + z))
        y = x - mu_p
        fe = np.where(y <= 0, np.exp(-0.5 * y * y) / _SQRT2PI,
                      np.where(y <= L, 1.0 / _SQRT2PI, np.exp(-0.5 * (y - L) ** 2) / _SQRT2PI))
        accept = rng.random(batch) < 1.0 - np.exp(-0.5 * (x - mu) ** 2) / _SQRT2PI / fe
        out.append(x[accept])
        have += int(accept.sum())
    return np.concatenate(out)[:size]


def _cos2_prior(rng: np.random.Generator) -> float:
    """One draw of the density 2 sin^2(pi t) on [0, 1] (rejection from the uniform)."""
    while True:
        t = rng.random()
        if rng.random() < math.sin(math.pi * t) ** 2:
            return t


def contaminate(attack: str, mu: np.ndarray, count: int, m: float, D: float, delta: float, c: float,
                rng: np.random.Generator, margin: float = 0.04, shift_margin: float = 0.01) -> tuple[np.ndarray, dict]:
    """The ``count`` corrupted values of ``attack`` and a description of what it did."""
    k = len(mu)
    info: dict = {"attack": attack, "count": int(count)}
    if attack == "none" or count == 0:
        return np.zeros(0), info
    if attack == "silent":
        return _silent(mu, count, D), info
    if attack == "shift":
        counts = np.full(k, count // k) + (np.arange(k) < count % k)
        info["eps_each"] = float(count / (m * k))
        return np.concatenate(_shift(mu, counts, m, D, delta, shift_margin)), info
    if attack in ("destroy", "worst"):
        per = int(math.ceil(destroy_cost(D, delta, margin) * m))
        n_d = min(k, count // per)
        parts = [np.full(per, mi + 3.0 * D) for mi in mu[:n_d].tolist()]
        rest = count - n_d * per
        info.update(destroyed=int(n_d), per_component=per)
        if attack == "destroy" or n_d == k:
            parts.append(_silent(mu, rest, D))
        else:
            others = k - n_d
            counts = np.full(others, rest // others) + (np.arange(others) < rest % others)
            parts += _shift(mu[n_d:], counts, m, D, delta, shift_margin)
            info["shift_eps_each"] = float(rest / (m * others))
        return np.concatenate(parts), info
    if attack == "lb":
        _, kp = lower_bound(c, k)
        counts = np.full(kp, count // kp) + (np.arange(kp) < count % kp)
        parts, mu_p = [], []
        for mi, cnt in zip(mu[:kp].tolist(), counts.tolist()):
            eps = cnt / m
            mp = mi - _SQRT2PI * eps * _cos2_prior(rng)
            mu_p.append(mp)
            parts.append(_sample_psi(mi, mp, eps, int(cnt), rng))
        info.update(k_prime=int(kp), mu_prime=mu_p, eps_each=float(count / (m * kp)))
        return np.concatenate(parts), info
    raise ValueError(f"unknown GMM attack {attack!r}; use one of {', '.join(ATTACKS)}")


def psi_is_density(mu: float, mu_p: float, eps: float, grid: np.ndarray) -> float:
    """min over ``grid`` of f_eps(x - mu') - phi(x - mu) (>= 0 iff psi is non-negative there): the
    premise mu' in [mu - sqrt(2 pi) eps, mu] of Theorem 1's attack."""
    L = _SQRT2PI * eps
    y = grid - mu_p
    fe = np.where(y <= 0, np.exp(-0.5 * y * y), np.where(y <= L, 1.0, np.exp(-0.5 * (y - L) ** 2))) / _SQRT2PI
    return float(np.min(fe - np.array([phi(v) for v in (grid - mu).tolist()])))
