"""Closed forms of robust personalised mean estimation for a Gaussian mixture (Managoli, Prabhakaran,
Diggavi; "the GMM paper"): k components N(mu_i, 1) with equal weights, (k + c) m clients of which a
fraction c / (k + c) is corrupted, separation D >= 9 Delta.

Symbols (Lemma 2, Lemma 3, Lemma 5 of the paper):

* rho_Delta = Phi(Delta) - Phi(-Delta), f(x) = Phi(x + Delta) - Phi(x - Delta) (the genuine mass
  within Delta of a point x away from a mean); :func:`gap` is rho_Delta - f(x), computed without
  cancellation (it is ~ Delta phi(Delta) x^2 near 0: a quadratic, not the cubic of Lemma 6);
* l(eps) = f^-1(rho_Delta - eps) (the farthest point an adversary of mass eps gets through the filter);
* g(eps) = Phi^-1((1 + eps + Phi(l(eps) + Delta) - Phi(Delta)) / 2) (Lemma 2: the median's error);
* eps_hat = eps + phi(Delta) l(eps) (Lemma 3: the server's estimate of eps is in [eps, eps_hat]);
* B(eps) = g(eps_hat)^2 / (1 + g(eps_hat)^2) (Lemma 4: one component's MSE bound).

Errata (checked numerically, see tests/test_gmm_theory.py and docs/seeds.md):

* Theorem 1: the adversary's plateau has length sqrt(2 pi) eps_i (its mass is then eps_i and the
  cos^2-prior bound gives h(eps) = eps^2 / (eps^2 + 2 pi)), not sqrt(2 pi eps_i); and the lower bound
  is (1/k) max over INTEGER k' in 1..k of c^2 k' / (c^2 + 2 pi k'^2): the printed c / (sqrt(8 pi) k)
  is the real-k' relaxation, an upper bound on that maximum, reached only when c / sqrt(2 pi) is an
  integer (:func:`lower_bound`, :func:`lower_bound_printed`).
* Theorem 2: C0 = 1 / (rho_Delta - f(3 Delta)) (the printed 1 / f^-1(rho - 3 Delta) is undefined:
  rho - 3 Delta is not a value of f); the theorem's first case omits the far-sample term
  2 Phi(-1.5 Delta) E[(X + 1.5 Delta)^2 | X > 1.5 Delta] that its second case and the proof carry
  (:func:`tail_term`); the paper's eps_cr values (8.1e-6, 1.2e-9, 1.4e-14 at Delta = 2, 3, 4) are not
  the inflection points of B (:func:`eps_cr`).
* Algorithm 1 line 15 divides |S_c| by m; the points of S_c are from T2 (m2 per component on
  average): the estimate is |S_c| / m2 (:mod:`agreement.pfl.gmm_estimator`).
"""
from __future__ import annotations

import math
from functools import lru_cache
from statistics import NormalDist

import numpy as np

_SQRT2 = math.sqrt(2.0)
_SQRT2PI = math.sqrt(2.0 * math.pi)
_GL_X, _GL_W = np.polynomial.legendre.leggauss(30)
_N01 = NormalDist()


def Phi(x: float) -> float:
    """Standard normal c.d.f."""
    return 0.5 * math.erfc(-x / _SQRT2)


def phi(x: float) -> float:
    """Standard normal p.d.f."""
    return math.exp(-0.5 * x * x) / _SQRT2PI


def rho_delta(D: float) -> float:
    """rho_Delta = Phi(Delta) - Phi(-Delta) = f(0) (Algorithm 1, line 6)."""
    return math.erf(D / _SQRT2)


def f_mass(x: float, D: float) -> float:
    """f(x) = Phi(x + Delta) - Phi(x - Delta) (Lemma 2)."""
    x = abs(x)
    return 0.5 * (math.erfc((x - D) / _SQRT2) - math.erfc((x + D) / _SQRT2))


def _gap_integrand(t: np.ndarray, D: float) -> np.ndarray:
    """d/dx (rho - f)(x) = phi(x - Delta) - phi(x + Delta) = phi(x - Delta)(1 - e^{-2 x Delta}) >= 0."""
    return np.exp(-0.5 * (t - D) ** 2) / _SQRT2PI * -np.expm1(-2.0 * t * D)


def gap(x: float, D: float) -> float:
    """rho_Delta - f(x) >= 0 without cancellation: the integral of phi(t - Delta)(1 - e^{-2 t Delta})
    over [0, |x|] by 30-point Gauss-Legendre on panels of length <= 1 (the integrand is positive and
    entire), and the direct difference once f(x) is negligible (|x| > Delta + 12)."""
    x = abs(float(x))
    if x > D + 12.0:
        return rho_delta(D) - f_mass(x, D)
    panels = max(1, math.ceil(x))
    edges = np.linspace(0.0, x, panels + 1)
    total = 0.0
    for a, b in zip(edges[:-1], edges[1:]):
        half, mid = 0.5 * (b - a), 0.5 * (a + b)
        total += half * float(np.dot(_GL_W, _gap_integrand(mid + half * _GL_X, D)))
    return total


def l_of(eps: float, D: float) -> float:
    """l(eps) = f^-1(rho_Delta - eps) >= 0, the root of gap(x) = eps (Lemma 2); +inf for eps >= rho_Delta."""
    rho = rho_delta(D)
    if eps <= 0.0:
        return 0.0
    if eps >= rho:
        return math.inf
    # gap(x) ~ Delta phi(Delta) x^2 near 0: start there, bracket, then safeguarded Newton.
    lo, hi = 0.0, max(1e-300, math.sqrt(eps / (D * phi(D))))
    while gap(hi, D) < eps:
        lo, hi = hi, 2.0 * hi + 1.0
    x = min(hi, math.sqrt(eps / (D * phi(D))))
    for _ in range(200):
        val = gap(x, D) - eps
        if val > 0:
            hi = x
        else:
            lo = x
        der = float(_gap_integrand(np.array(x), D))
        nxt = x - val / der if der > 0 else 0.5 * (lo + hi)
        if not (lo < nxt < hi):
            nxt = 0.5 * (lo + hi)
        if abs(nxt - x) <= 1e-15 * max(1.0, x) or hi - lo <= 1e-300:
            return nxt
        x = nxt
    return x


def half_inv(u: float) -> float:
    """The x >= 0 with Phi(x) - 1/2 = u, for 0 <= u < 1/2, accurate for small u (Newton on
    erf(x / sqrt 2) / 2 = u, where NormalDist().inv_cdf(0.5 + u) would lose the digits of u)."""
    if u <= 0.0:
        return 0.0
    if u >= 0.5:
        return math.inf
    if u > 0.25:
        return _N01.inv_cdf(0.5 + u)
    x = u * _SQRT2PI
    for _ in range(100):
        nxt = x - (0.5 * math.erf(x / _SQRT2) - u) / phi(x)
        if abs(nxt - x) <= 1e-16 * max(x, 1e-300):
            return nxt
        x = nxt
    return x


def _upper_mass(a: float, b: float) -> float:
    """Phi(b) - Phi(a) for 0 <= a <= b without cancellation (erfc differences)."""
    return 0.5 * (math.erfc(a / _SQRT2) - math.erfc(b / _SQRT2))


def g_of(eps: float, D: float, l_eps: float | None = None) -> float:
    """g(eps) = Phi^-1((1 + eps + Phi(l + Delta) - Phi(Delta)) / 2) with l = l(eps) (Lemma 2); 0 for
    eps <= 0. ``l_eps`` overrides l (the finite-delta bound uses l(eps + delta))."""
    if eps <= 0.0:
        return 0.0
    L = l_of(eps, D) if l_eps is None else l_eps
    extra = 0.5 * math.erfc(D / _SQRT2) if math.isinf(L) else _upper_mass(D, L + D)
    return half_inv(0.5 * (eps + extra))


def eps_hat(eps: float, D: float) -> float:
    """eps_hat = eps + phi(Delta) l(eps) (Lemma 3)."""
    return eps + phi(D) * l_of(eps, D)


def B(eps: float, D: float) -> float:
    """B(eps) = g(eps_hat)^2 / (1 + g(eps_hat)^2) (Lemmas 3-4); 1 once eps_hat >= rho_Delta (the
    client then keeps its own sample)."""
    e = eps_hat(eps, D)
    if e >= rho_delta(D):
        return 1.0
    G = g_of(e, D) ** 2
    return G / (1.0 + G)


def B_delta(eps: float, D: float, delta: float) -> float:
    """One component's MSE bound at a finite backoff delta: the filter lets through points up to
    l(eps + delta) from the mean (threshold (rho - delta) m1), the estimate is eps_tilde <=
    eps_hat_delta = eps + delta + phi(Delta) l(eps + delta) (Lemma 3 with the + delta of line 15), and
    Lemma 4's bound is monotone in g(eps_tilde): B_delta = g(eps_hat_delta)^2 / (1 + g(eps_hat_delta)^2).
    B_delta(eps, D, 0) = B(eps, D)."""
    rho = rho_delta(D)
    if eps + delta >= rho:
        return 1.0
    e = eps + delta + phi(D) * l_of(eps + delta, D)
    if e >= rho:
        return 1.0
    G = g_of(e, D) ** 2
    return G / (1.0 + G)


def C0(D: float) -> float:
    """C0(Delta) = 1 / (rho_Delta - f(3 Delta)) (Theorem 2, corrected): destroying a component costs
    rho_Delta - f(3 Delta) of mass (a filtered-in point 3 Delta from the mean breaks the clique).
    The printed 1 / f^-1(rho - 3 Delta) is undefined. 1.0477 at Delta = 2, 1.00271 at Delta = 3."""
    return 1.0 / gap(3.0 * D, D)


def tail_term(D: float) -> float:
    """2 Phi(-1.5 Delta) E[(X + 1.5 Delta)^2 | X > 1.5 Delta], X ~ N(0, 1): a client whose sample is
    farther than 1.5 Delta from its mean (proof of Theorem 2, omitted from the theorem's first case).
    With a = 1.5 Delta: E[(X + a)^2; X > a] = Q(a)(1 + a^2) + 3 a phi(a)."""
    a = 1.5 * D
    Q = 0.5 * math.erfc(a / _SQRT2)
    return 2.0 * (Q * (1.0 + a * a) + 3.0 * a * phi(a))


def _second_diff(fn, x: float, h: float = 1e-3) -> float:
    return (fn(x * (1 + h)) - 2.0 * fn(x) + fn(x * (1 - h))) / (x * h) ** 2


@lru_cache(maxsize=64)
def eps_cr(D: float, lo: float = 1e-12, hi: float = 0.2) -> float:
    """eps_cr(Delta): the inflection point of B (Lemma 5: B is concave below, convex above), found
    where the second difference of B changes sign (log grid, then bisection). The paper's values
    (8.1e-6, 1.2e-9, 1.4e-14 for Delta = 2, 3, 4) are not reproduced: 3.98e-3, 2.2e-4, 5.0e-6."""
    fn = lambda e: B(e, D)  # noqa: E731
    grid = np.geomspace(lo, hi, 200)
    signs = [_second_diff(fn, float(e)) > 0 for e in grid]
    for i in range(len(grid) - 1):
        if not signs[i] and signs[i + 1]:
            a, b = float(grid[i]), float(grid[i + 1])
            for _ in range(60):
                mid = math.sqrt(a * b)
                if _second_diff(fn, mid) > 0:
                    b = mid
                else:
                    a = mid
            return math.sqrt(a * b)
    raise ValueError(f"no concave-to-convex inflection of B in [{lo}, {hi}] for Delta = {D}")


def h_lb(eps: float) -> float:
    """h(eps) = eps^2 / (eps^2 + 2 pi): the minimax MSE bound of one attacked component (section IV),
    for a plateau of length sqrt(2 pi) eps (cos^2 prior, Fisher information (2 pi / length)^2)."""
    return eps * eps / (eps * eps + 2.0 * math.pi)


def lower_bound(c: float, k: int) -> tuple[float, int]:
    """Theorem 1 (corrected): K >= (1/k) max over integer k' in 1..k of c^2 k' / (c^2 + 2 pi k'^2);
    returns (bound, the maximising k'). (c = 0: bound 0, k' = 0.)"""
    if c <= 0:
        return 0.0, 0
    best, arg = -1.0, 1
    for kp in range(1, k + 1):
        v = c * c * kp / (c * c + 2.0 * math.pi * kp * kp) / k
        if v > best:
            best, arg = v, kp
    return best, arg


def lower_bound_printed(c: float, k: int) -> float:
    """The printed Theorem 1: c / (sqrt(8 pi) k), the real-k' relaxation (valid for c / k < sqrt(2 pi)
    only when c / sqrt(2 pi) is an integer)."""
    return c / (math.sqrt(8.0 * math.pi) * k)


def upper_bound_paper(ck: float, D: float, with_tail: bool = True) -> float:
    """Theorem 2's asymptotic bound, corrected: C0 c/k + B(eps_cr) for c/k > eps_cr, B(c/k) below
    (the proof's first case), plus :func:`tail_term` when ``with_tail``."""
    e = eps_cr(D)
    core = C0(D) * ck + B(e, D) if ck > e else B(ck, D)
    return core + (tail_term(D) if with_tail else 0.0)


def concave_majorant_at(xs: np.ndarray, ys: np.ndarray, x: float) -> float:
    """The least concave majorant of the points (xs, ys) (xs increasing) evaluated at x in
    [xs[0], xs[-1]] (upper hull, monotone chain)."""
    hull: list[tuple[float, float]] = []
    for px, py in zip(xs.tolist(), ys.tolist()):
        while len(hull) >= 2:
            (x1, y1), (x2, y2) = hull[-2], hull[-1]
            if (x2 - x1) * (py - y1) - (y2 - y1) * (px - x1) >= 0:  # hull[-1] below the chord
                hull.pop()
            else:
                break
        hull.append((px, py))
    hx = np.array([p[0] for p in hull])
    hy = np.array([p[1] for p in hull])
    return float(np.interp(x, hx, hy))


@lru_cache(maxsize=64)
def _finite_points(D: float, delta: float, points: int) -> tuple[np.ndarray, np.ndarray]:
    e_destroy = gap(3.0 * D, D) - delta
    xs = np.concatenate([[0.0], np.geomspace(1e-9, e_destroy, points)])
    # point x_i carries E(x_{i+1}) (E at x_N = e_destroy is 1: the component is destroyed)
    ys = np.array([B_delta(float(e), D, delta) for e in xs[1:-1]] + [1.0, 1.0])
    return xs, np.maximum.accumulate(ys)


def upper_bound_finite(ck: float, D: float, delta: float, points: int = 600) -> float:
    """The finite-delta upper bound on the average client's MSE, from the per-component bounds:
    E(eps) = B_delta(eps) while the clique survives (eps < rho - delta - f(3 Delta)) and 1 once it
    is destroyed; the adversary's average (1/k) sum E(eps_i) with sum eps_i <= c is at most the
    least concave majorant of E at c/k (Jensen). E is increasing, so E at the right end of each grid
    cell majorises it on the cell: the result is an upper bound, not an approximation. Plus
    :func:`tail_term`."""
    e_destroy = gap(3.0 * D, D) - delta
    if ck >= e_destroy:
        return 1.0 + tail_term(D)
    xs, ys = _finite_points(float(D), float(delta), int(points))
    return min(1.0, concave_majorant_at(xs, ys, ck)) + tail_term(D)
