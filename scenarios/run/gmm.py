"""Run a ``gmm`` scenario: robust personalised mean estimation for a Gaussian mixture (the GMM paper),
Algorithms 1-2 in numpy against a contamination attack, checked against the paper's bounds.
(``gmm.network = true``, the clients sending their samples to the server through jungle's network,
waits for the trusted-server protocol; :func:`one_run` takes the server as a callable for it.)

The result carries the contract keys and a ``gmm`` object (MSE, standard error, the bounds, what
Algorithm 1 found, what the adversary did).
"""
from __future__ import annotations

import math
import time
from typing import Any

import numpy as np

from agreement.pfl import gmm as G
from agreement.pfl.gmm_attacks import contaminate, destroy_cost
from agreement.pfl.gmm_estimator import (
    combine_estimates,
    draw_genuine,
    robust_clustering,
)
from scenarios.run.seeds_common import Digest, at_least, at_most, premise_failed, result
from scenarios.spec.schema import GmmTable, Scenario


def means(spec: GmmTable) -> np.ndarray:
    sep = spec.separation if spec.separation is not None else 9.0 * spec.Delta
    return sep * np.arange(1, spec.k + 1, dtype=np.float64)


def one_run(spec: GmmTable, seed_seq: np.random.SeedSequence, server=None) -> dict[str, Any]:
    """One replicate: genuine samples, the adversary's values, Algorithm 1 (``server(y, rng)`` if
    given, e.g. the networked path), Algorithm 2 for every genuine client, their squared errors."""
    rng_data, rng_adv, rng_server = (np.random.default_rng(s) for s in seed_seq.spawn(3))
    k, m, D, delta, c = spec.k, spec.m, spec.Delta, spec.delta, spec.c
    mu = means(spec)
    x, comp, count = draw_genuine(mu, m, c, rng_data)
    z, info = contaminate(spec.attack, mu, count, m, D, delta, c, rng_adv, spec.margin, spec.shift_margin)
    y = np.concatenate([x, z])
    cl = robust_clustering(y, k, c, delta, D, rng_server) if server is None else server(y, rng_server)
    est = combine_estimates(cl.mu, cl.eps, x, D)
    sq = (est - mu[comp]) ** 2
    per_comp = np.bincount(comp, weights=sq, minlength=k) / np.maximum(np.bincount(comp, minlength=k), 1)
    return {"mse": float(sq.mean()), "sq": sq, "per_component": per_comp, "clusters": cl, "attack": info,
            "genuine": int(len(x)), "corrupted": int(count), "samples": y}


def bounds(spec: GmmTable) -> dict[str, Any]:
    k, D, delta, c = spec.k, spec.Delta, spec.delta, spec.c
    lb, kp = G.lower_bound(c, k)
    return {"lower_bound": lb, "k_prime": kp, "lower_bound_printed": G.lower_bound_printed(c, k),
            "upper_bound_finite": G.upper_bound_finite(c / k, D, delta),
            "upper_bound_asymptotic": G.upper_bound_paper(c / k, D),
            "C0": G.C0(D), "eps_cr": G.eps_cr(D), "tail_term": G.tail_term(D), "rho_Delta": G.rho_delta(D),
            "destroy_cost": destroy_cost(D, delta, 0.0), "m_h": 2.0 / delta ** 2 * math.log(k / delta)}


def intended_destroys(spec: GmmTable) -> int:
    """How many components the nominal budget c destroys (the worst attack's plan)."""
    per = math.ceil(destroy_cost(spec.Delta, spec.delta, spec.margin) * spec.m)
    return min(spec.k, int(spec.c * spec.m) // per)


def gmm_checks(spec: GmmTable, mse: float, se: float, b: dict[str, Any], destroyed: list[int]) -> dict[str, Any]:
    k, D, c, attack = spec.k, spec.Delta, spec.c, spec.attack
    sep = spec.separation if spec.separation is not None else 9.0 * D
    premise = None if sep >= 9 * D and D > 1.5 else f"separation {sep:g} < 9 Delta or Delta <= 1.5 (Theorem 2)"
    out: dict[str, Any] = {}
    d_ub = "average client's MSE <= the finite-delta upper bound (per-component Lemmas 2-4, concave majorant, + tail)"
    out["upper_bound"] = (premise_failed(mse, b["upper_bound_finite"], d_ub, premise) if premise
                          else at_most(mse, b["upper_bound_finite"], d_ub, standard_error=se))
    d1 = "MSE < 1 (alone, a client's MSE is 1) for c/k <= 0.5"
    out["collaboration_beats_alone"] = (at_most(mse, 1.0 - 1e-12, d1) if c / k <= 0.5
                                        else premise_failed(mse, 1.0, d1, f"c/k = {c / k:g} > 0.5"))
    if attack in ("none", "silent"):
        out["collaboration_helps"] = at_most(mse, 0.01, f"MSE <= 0.01 under the {attack} attack")
    if attack == "lb":
        d_lb = "MSE >= Theorem 1's integer lower bound - 3 standard errors (Theorem 1's attack, cos^2 prior)"
        if c / k < math.sqrt(2 * math.pi):
            out["lower_bound"] = at_least(mse, b["lower_bound"] - 3 * se, d_lb, lower_bound=b["lower_bound"],
                                          standard_error=se)
        else:
            out["lower_bound"] = premise_failed(mse, b["lower_bound"], d_lb, "c/k >= sqrt(2 pi)")
    if attack == "worst":
        d_w = "MSE / upper bound >= 0.75: the budget-destroying attack nearly attains the bound"
        plan = intended_destroys(spec)
        if plan >= 1 and all(x == plan for x in destroyed):
            out["attains_bound"] = at_least(mse / b["upper_bound_finite"], 0.75, d_w, destroyed=plan)
        else:
            why = ("the budget destroys no component" if plan < 1 else
                   f"the realised budget (binomial) destroyed {destroyed} components, not the {plan} planned")
            out["attains_bound"] = premise_failed(mse / b["upper_bound_finite"], 0.75, d_w, why)
    return out


def run_gmm(scenario: Scenario, progress: bool = False) -> dict[str, Any]:
    spec = scenario.gmm
    t0 = time.perf_counter()
    dig = Digest().add("gmm", spec.attack)
    seqs = np.random.SeedSequence(scenario.seed).spawn(spec.replicates)
    runs = [one_run(spec, s) for s in seqs]
    mses = np.array([r["mse"] for r in runs])
    mse = float(mses.mean())
    se = (float(mses.std(ddof=1) / math.sqrt(len(mses))) if len(mses) > 1
          else float(runs[0]["sq"].std(ddof=1) / math.sqrt(len(runs[0]["sq"]))))
    b = bounds(spec)
    checks = gmm_checks(spec, mse, se, b, [int(r["attack"].get("destroyed", 0)) for r in runs])
    first = runs[0]
    cl = first["clusters"]
    for r in runs:
        dig.add(np.array([r["mse"]]), r["clusters"].mu, r["clusters"].eps)
    body: dict[str, Any] = {
        "mse": mse, "mse_se": se, "replicate_mse": mses.tolist(), "c_over_k": spec.c / spec.k, **b,
        "mse_per_component": first["per_component"].tolist(), "genuine": first["genuine"],
        "corrupted": first["corrupted"], "attack": first["attack"],
        "clusters": {"mu_tilde": cl.mu.tolist(), "eps_tilde": cl.eps.tolist(), "sizes": cl.sizes, "kept": cl.kept,
                     "components": cl.components, "dropped_spans": cl.dropped_spans, "m1": cl.m1},
    }
    return result(scenario, "gmm", dig, checks, body, time.perf_counter() - t0)
