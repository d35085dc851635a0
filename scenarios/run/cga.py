"""Run a ``cga`` scenario: personalised learning with a trusted server under the counter-gradient
attack (poisoning paper), with the paper's claims as checks computed from the run.

Experiments (``cga.experiment``): "linreg", "model_attack", "single_point", "corollary2" here, and
"digits" in :mod:`scenarios.run.cga_digits`. The result carries the contract keys (scenario, seed,
trace_digest: a blake2b digest over the run's numbers, checks) and a ``cga`` object.
"""
from __future__ import annotations

import math
import time
from typing import Any

import numpy as np

from agreement.pfl.cga import (
    ExactLeastSquares,
    envelope_smoothness_l2sq,
    run_pfl,
    theorem4_ratio,
)
from agreement.pfl.poisoning import (
    clean_optimum,
    envelope_grad,
    geometric_median,
    optimum_l2sq,
    prop4_model,
    section52_model,
    theorem5_point,
    two_worlds,
)
from scenarios.errors import ScenarioError
from scenarios.run.cga_digits import digits_experiment
from scenarios.run.seeds_common import (
    Digest,
    at_least,
    at_most,
    check,
    premise_failed,
    result,
    streams,
)
from scenarios.spec.schema import CgaTable, Scenario


def make_linreg(spec: CgaTable, rng: np.random.Generator, honest: int | None = None, d: int | None = None):
    """(H, b, c, truth) of ``honest`` least-squares users: theta_n_dagger = hetero N(0, I), Gaussian
    queries, A = Q^T theta + noise; H = sum Q Q^T, b = sum A Q, c = 1/2 sum A^2 (sum losses, eq. 5)."""
    h, d, m = honest or spec.honest, d or spec.d, spec.samples
    truth = spec.hetero * rng.standard_normal((h, d))
    Q = rng.standard_normal((h, m, d))
    A = np.einsum("hmd,hd->hm", Q, truth) + spec.noise * rng.standard_normal((h, m))
    return np.einsum("hmd,hme->hde", Q, Q), np.einsum("hmd,hm->hd", Q, A), 0.5 * np.einsum("hm,hm->h", A, A), truth


def _eta(spec: CgaTable, N: int) -> tuple[float, str]:
    if spec.eta is not None:
        return float(spec.eta), "cga.eta"
    return 1.0 / (6.0 * spec.lam * N), "1/(6 lambda N)"


def _converged(tr, scale: float, tol: float = 1e-8) -> tuple[bool, float]:
    move = float(np.linalg.norm(tr.rho[-1] - tr.rho[-2]))
    return move <= tol * (1.0 + scale), move


# ------------------------------------------------------------------------------------------------
# linreg: Theorem 4 against l2sq, resistance of l2 / smooth-l2, Proposition 3, Theorem 12's bound
# ------------------------------------------------------------------------------------------------
def _linreg(spec, seed, dig):
    (rng,) = streams(seed, 1)
    H, b, c, truth = make_linreg(spec, rng)
    h, d, f, lam = spec.honest, spec.d, spec.colluders, spec.lam
    N = h + f
    eta, eta_src = _eta(spec, N)
    target = spec.target * np.ones(d)
    L = envelope_smoothness_l2sq(H, lam)
    body: dict[str, Any] = {"N": N, "h": h, "f": f, "eta": eta, "eta_source": eta_src, "L": L,
                            "L_bound": 2 * lam * h, "target": target, "runs": {}}
    checks: dict[str, Any] = {}
    for kind in spec.regularizations:
        if spec.local != "exact":
            raise ScenarioError("cga.local must be \"exact\" for experiment \"linreg\" (Theorem 4's setting); "
                                "\"one_step\" is the digits experiment's")
        tr = run_pfl(np.zeros(d), np.zeros((h, d)), ExactLeastSquares(kind, lam, H, b), kind, lam, eta,
                     spec.rounds, target=target if f else None, f=f, aim=spec.aim, N=N)
        clean = clean_optimum(kind, lam, H, b, c, truth.mean(axis=0))
        dig.add(kind, np.stack(tr.rho), np.stack(tr.g_s), clean)
        dist = [float(np.linalg.norm(r - target)) for r in tr.rho]
        body["runs"][kind] = {"rho_final": tr.rho[-1], "distance_to_target": dist, "clean_optimum": clean,
                              "clean_distance_to_target": float(np.linalg.norm(clean - target)),
                              "distance_to_clean": float(np.linalg.norm(tr.rho[-1] - clean)), "dropped": tr.dropped}
        checks.update(_linreg_checks(kind, spec, tr, clean, target, eta, L, H, b, N))
    return checks, body


def _linreg_checks(kind, spec, tr, clean, target, eta, L, H, b, N):
    lam, f, h = spec.lam, spec.colluders, spec.honest
    out: dict[str, Any] = {}
    if f == 0:
        return {f"attack[{kind}]": premise_failed(None, None, "CGA checks", "no strategic user (colluders = 0)")}
    out[f"plausible[{kind}]"] = at_most(tr.dropped, 0, "CGA's reports are all in GRAD (Proposition 2): none dropped")
    start = float(np.linalg.norm(tr.rho[0] - target))
    final = float(np.linalg.norm(tr.rho[-1] - target))
    if kind == "l2sq":
        ok = eta <= 1.0 / (3.0 * L) and spec.aim == "global"
        why = f"eta = {eta:.4g} > 1/(3L) = {1 / (3 * L):.4g}" if spec.aim == "global" else "aim = local"
        d1 = "||rho_T - theta_dagger|| / ||rho_1 - theta_dagger|| (Theorem 4: rho^t -> theta_dagger)"
        out["theorem4_target[l2sq]"] = at_most(final / start, 1e-6, d1) if ok else premise_failed(final / start, 1e-6, d1, why)
        ratio, count = theorem4_ratio(tr.rho)
        d2 = "max_t v_{t+2}/v_t, v_t = u_t + u_{t-1}, u_t = ||rho^{t+1} - rho^t|| (Theorem 4's proof, appendix H)"
        out["theorem4_rate[l2sq]"] = (at_most(ratio, 7 / 9, d2, compared=count) if ok
                                      else premise_failed(ratio, 7 / 9, d2, why, compared=count))
        return out
    clean_d = float(np.linalg.norm(clean - target))
    out[f"resists[{kind}]"] = at_least(final, 0.5 * clean_d, "||rho_T - theta_dagger|| against half the honest "
                                       "optimum's distance to the target")
    conv, move = _converged(tr, float(np.linalg.norm(target)))
    g = tr.g_s[-1] / max(f, 1)
    away = tr.rho[-2] - target
    u = lam * away / np.linalg.norm(away)
    p3 = float(np.linalg.norm(g - u)) / lam
    cos = float(g @ u / (np.linalg.norm(g) * np.linalg.norm(u))) if np.linalg.norm(g) > 0 else 0.0
    d3 = "||g_s - lambda (rho - theta_dagger)/||rho - theta_dagger|| || / lambda at convergence (Proposition 3)"
    if conv and final > 0:
        out[f"proposition3[{kind}]"] = check(p3 <= 1e-3 and cos >= 0.999, p3, 1e-3, d3 + "; and cosine >= 0.999",
                                             cosine=cos, last_move=move)
    else:
        out[f"proposition3[{kind}]"] = premise_failed(p3, 1e-3, d3, f"not converged (last move {move:.3g})", cosine=cos)
    out.update(_theorem12_check(kind, tr, lam, h, f, conv, move))
    return out


def _theorem12_check(kind, tr, lam, h, f, conv, move):
    """LICCHAVI's Theorem 12 (eq. 159) with N = l2, lambda_0 = 0: ||rho - rho*_H(theta_H)|| <=
    4 lambda_H/(lambda_H - lambda_-H) Delta_H(theta_H), rho*_H the geometric median of the honest
    local models (whatever the f strategic users send: a gradient of norm <= lambda each)."""
    rho_T = tr.rho[-2]  # the honest models of the last round were computed at rho^T
    rhoH = geometric_median(tr.thetas)
    DH = float(np.max(np.linalg.norm(tr.thetas - rhoH, axis=1)))
    lH, lO = h * lam, f * lam
    bound = 4 * lH / (lH - lO) * DH if lH > lO else math.inf
    measured = float(np.linalg.norm(rho_T - rhoH))
    det = "||rho_T - rho*_H(theta_H)|| <= 4 lambda_H/(lambda_H - lambda_-H) Delta_H (LICCHAVI Theorem 12, eq. 159)"
    if kind != "l2":
        return {f"theorem12[{kind}]": premise_failed(measured, bound, det, f"{kind} is not a norm (the proof needs Lemma 24)")}
    if lH <= lO:
        return {"theorem12[l2]": premise_failed(measured, bound, det, "no honest majority of voting power")}
    if not conv:
        return {"theorem12[l2]": premise_failed(measured, bound, det, f"not converged (last move {move:.3g})")}
    return {"theorem12[l2]": at_most(measured, bound, det, Delta_H=DH)}


# ------------------------------------------------------------------------------------------------
# model_attack: Proposition 4, section 5.2's printed formula, Lemma 2's data poisoning
# ------------------------------------------------------------------------------------------------
def _model_attack(spec, seed, dig):
    rng, rng_poison = streams(seed, 2)
    H, b, c, truth = make_linreg(spec, rng)
    h, d, lam = spec.honest, spec.d, spec.lam
    N = h + 1
    eta, eta_src = _eta(spec, N)
    target = spec.target * np.ones(d)
    tr = run_pfl(np.zeros(d), np.zeros((h, d)), ExactLeastSquares("l2sq", lam, H, b), "l2sq", lam, eta, spec.rounds,
                 target=target, f=1)
    g_inf = tr.g_s[-1]
    scale = 1.0 + float(np.linalg.norm(target))
    reached = float(np.linalg.norm(tr.rho[-1] - target)) / scale
    spade = prop4_model(target, g_inf, lam)
    err4 = float(np.linalg.norm(optimum_l2sq(H, b, lam, spade[None])[0] - target)) / scale
    err52 = float(np.linalg.norm(optimum_l2sq(H, b, lam, section52_model(target, g_inf)[None])[0] - target)) / scale
    dists = []
    for I in spec.poison_sizes:  # Lemma 2: answer I queries with theta_spade
        Q = rng_poison.standard_normal((I, d))
        A = Q @ spade + spec.noise * rng_poison.standard_normal(I)
        H2, b2 = np.concatenate([H, (Q.T @ Q)[None]]), np.concatenate([b, (Q.T @ A)[None]])
        dists.append(float(np.linalg.norm(optimum_l2sq(H2, b2, lam)[0] - target)))
    dig.add(np.stack(tr.rho), g_inf, spade, np.array(dists))
    det4 = "||rho*(theta_spade) - theta_dagger|| / (1 + ||theta_dagger||), theta_spade = theta_dagger - g/(2 lambda)"
    checks = {"cga_converged": at_most(reached, 1e-9, "||rho_T - theta_dagger|| / (1 + ||theta_dagger||) (premise of Proposition 4)")}
    checks["proposition4"] = (at_most(err4, 1e-9, det4) if reached <= 1e-9
                              else premise_failed(err4, 1e-9, det4, "CGA did not reach the target"))
    checks["section52_as_printed"] = at_most(err52, 1e-9, "the same with section 5.2's theta_dagger - g/2 "
                                             f"(exact only for lambda = 1; here lambda = {lam:g})")
    ratios = [b_ / a_ for a_, b_ in zip(dists, dists[1:])]
    checks["lemma2_data"] = at_most(max(ratios), 1.0, "answering I queries with theta_spade: ||rho* - theta_dagger|| "
                                    "falls as I grows (max ratio of consecutive distances < 1)", distances=dists)
    body = {"N": N, "eta": eta, "eta_source": eta_src, "g_inf": g_inf, "theta_spade": spade, "target": target,
            "poison_sizes": list(spec.poison_sizes), "poison_distances": dists}
    return checks, body


# ------------------------------------------------------------------------------------------------
# single_point: Theorem 5 (corrected and printed), the Theta(N) / Theta(N^2) growth
# ------------------------------------------------------------------------------------------------
def _single_point(spec, seed, dig):
    (rng,) = streams(seed, 1)
    d, lam = spec.d, spec.lam
    target = spec.target * np.ones(d)
    big = max(spec.growth_honest + [spec.honest])
    Hall, ball, _, _ = make_linreg(spec, rng, honest=big)
    scale = 1.0 + float(np.linalg.norm(target))

    def attack(h, sign):
        H, b = Hall[:h], ball[:h]
        g = envelope_grad("l2sq", lam, H, b, target)
        Qp, Ap = theorem5_point(g, target + g / (2 * lam), sign)
        H2, b2 = np.concatenate([H, np.outer(Qp, Qp)[None]]), np.concatenate([b, (Ap * Qp)[None]])
        return float(np.linalg.norm(optimum_l2sq(H2, b2, lam)[0] - target)) / scale, Qp, Ap

    e_fix, Qp, Ap = attack(spec.honest, 1.0)
    e_print, _, _ = attack(spec.honest, -1.0)
    det = "||rho*({(Q, A)}, D_-s) - theta_dagger|| / (1 + ||theta_dagger||)"
    checks = {"theorem5_corrected": at_most(e_fix, 1e-9, det + ", (Q, A) = (g, g^T theta_spade + 1)"),
              "theorem5_as_printed": at_most(e_print, 1e-9, det + ", the printed (g, g^T theta_spade - 1)")}
    Ns = np.array(spec.growth_honest, dtype=float)
    qn, an = [], []
    for h in spec.growth_honest:
        _, q_, a_ = attack(h, 1.0)
        qn.append(float(np.linalg.norm(q_)))
        an.append(abs(a_))
    sq = float(np.polyfit(np.log(Ns), np.log(qn), 1)[0])
    sa = float(np.polyfit(np.log(Ns), np.log(an), 1)[0])
    checks["query_norm_growth"] = check(abs(sq - 1) <= 0.2, sq, 1.0, "log-log slope of ||Q|| in N (Theta(N)): within 0.2 of 1")
    checks["answer_growth"] = check(abs(sa - 2) <= 0.4, sa, 2.0, "log-log slope of |A| in N (Theta(N^2)): within 0.4 of 2")
    dig.add(Qp, np.array([Ap]), np.array(qn), np.array(an))
    body = {"Q": Qp, "A": Ap, "residual_corrected": e_fix, "residual_printed": e_print, "growth_N": list(Ns),
            "query_norms": qn, "answers": an, "target": target}
    return checks, body


# ------------------------------------------------------------------------------------------------
# corollary2: the two worlds of appendix D
# ------------------------------------------------------------------------------------------------
def _world_data(theta: np.ndarray, seed: int, m: int, noise: float):
    """Each user's data drawn from its own stream (seed, user) and its own preferred value: what a
    user reports does not depend on which world it is in."""
    H, b, c = [], [], []
    for n, th in enumerate(theta.tolist()):
        r = np.random.default_rng([seed, n])
        Q = r.standard_normal((m, 1))
        A = Q[:, 0] * th + noise * r.standard_normal(m)
        H.append(Q.T @ Q)
        b.append(Q.T @ A)
        c.append(0.5 * float(A @ A))
    return np.array(H), np.array(b), np.array(c)


def _corollary2(spec, seed, dig):
    N, lam, m, noise = spec.corollary_N, spec.lam, spec.samples, spec.noise
    checks: dict[str, Any] = {}
    rows = []
    Fs = [F for F in spec.corollary_F if 0 < F < N]
    if not any(F >= N / 2 for F in Fs):
        Fs.append(math.ceil(N / 2))
    for F in Fs:
        cons = "corollary2" if F < N / 2 else "corollary1"
        th1, m1, th2, m2, gapv = two_worlds(N, F, cons)
        world1 = _world_data(th1, seed, m, noise)  # every user's reports, honest and Byzantine alike
        world2 = _world_data(th2, seed, m, noise)
        for kind in spec.regularizations:
            r1 = float(clean_optimum(kind, lam, *world1, np.zeros(1))[0])
            r2 = float(clean_optimum(kind, lam, *world2, np.zeros(1))[0])
            e1, e2 = abs(r1 - th1[m1].mean()), abs(r2 - th2[m2].mean())
            rows.append({"F": F, "construction": cons, "regularization": kind, "rho_world1": r1, "rho_world2": r2,
                         "error_world1": e1, "error_world2": e2, "bound": gapv,
                         "heterogeneity": [float(np.ptp(th1[m1])), float(np.ptp(th2[m2]))]})
            dig.add(kind, np.array([F, r1, r2]))
        mine = [r for r in rows if r["F"] == F and r["construction"] == cons]
        same = max(abs(r["rho_world1"] - r["rho_world2"]) for r in mine)
        worst = min(r["error_world1"] + r["error_world2"] for r in mine)
        tag = f"{cons}[F={F}]"
        checks[f"indistinguishable[F={F}]"] = at_most(same, 0.0, "|rho(world 1) - rho(world 2)|: the same reports")
        what = ("min over algorithms of (world-1 error + world-2 error), honest means F/(N - F) apart: no C < F/(N - F)"
                if cons == "corollary2" else "min over algorithms of the two worlds' errors summed, honest means 2 apart "
                "(heterogeneity 0 in both): F >= N/2 breaks any C")
        checks[tag] = at_least(worst, gapv * (1 - 1e-12), what)
    return checks, {"N": N, "rows": rows}


EXPERIMENTS = {"linreg": _linreg, "model_attack": _model_attack, "single_point": _single_point,
               "corollary2": _corollary2, "digits": digits_experiment}


def run_cga(scenario: Scenario, progress: bool = False) -> dict[str, Any]:
    spec = scenario.cga
    t0 = time.perf_counter()
    dig = Digest().add("cga", spec.experiment)
    fn = EXPERIMENTS[spec.experiment]
    checks, body = fn(spec, scenario.seed, dig)
    body["experiment"] = spec.experiment
    return result(scenario, "cga", dig, checks, body, time.perf_counter() - t0)
