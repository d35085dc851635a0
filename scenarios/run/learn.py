"""Run a LEARN scenario (agreement paper, section 4, Algorithm 1) and build its result.

The scenario's ``[learn]`` table (every key optional):

  workload        "quadratic" | "linreg" | "digits"
  rounds          T, the number of LEARN rounds
  delta           the agreement/learning tolerance delta of Definition 4
  eta             the learning rate; default delta / (12 L) (Algorithm 1, line 2)
  batch           "full" (exact gradients) | "growing" (batch min(m_j, ceil(batch0 t)): sigma_t -> 0)
  batch0          initial batch size of "growing"
  noise           quadratic only: gradient noise std noise / t when batch = "growing"
  alpha           digits: Dirichlet(alpha) label split
  lam             digits: l2 coefficient
  hetero, samples linreg: spread of the nodes' true parameters, samples per node
  init_scale      theta_1 ~ init_scale * N(0, I), drawn once from the protocol stream (shared seed)
  output          "random" (theta_* for a shared * in [T], Remark 2) | "last" (Remark 1)
  avg_iterations  "log2": AVG_tau runs tau iterations (ceil(log2 t) on gradients, 1 on parameters);
                  "theory": it runs the algorithm's N(tau) iterations for a 2^-tau contraction
  alone           also train each honest node alone on its own data (baseline)

The result carries every key of the result contract (DESIGN.md) plus ``learn``: per-round metrics
(D2 of honest parameters, exact gradient norm of the honest average loss at the honest mean, loss,
test accuracy), the final values at the output family, and the (1 + delta) C K bound of Definition 4
with K estimated along the trajectory.
"""
from __future__ import annotations

import math
import time
from typing import Any, Callable

import numpy as np
from pydantic import ValidationError
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from agreement.diameters import d2, dcw2
from agreement.learn import PHASE_GRAD, LearnMachine, avg_builder, tau
from agreement.registry import Registry
from agreement.rules import get_rule
from agreement.theory import theory_for
from agreement.theory.icwtm import n_icwtm
from nodes.workloads import Digits, LinReg, Quadratic, Workload, train_alone
from nodes.workloads_pfl import LicchaviL1, PersonalisedLeastSquares
from scenarios.errors import ScenarioError
from scenarios.run.protocols import Protocol, protocol_for
from scenarios.run.simulate import Streams, simulate
from scenarios.spec.inputs import make_inputs
from scenarios.spec.kinds import one_line
from scenarios.spec.kinds.pfl import PflSpec

RESULT_VERSION = 1

LEARN_DEFAULTS: dict[str, Any] = {
    "workload": "quadratic", "rounds": 30, "delta": 1.0, "batch": "full", "batch0": 8.0, "noise": 0.0,
    "alpha": 1.0, "lam": 1e-3, "hetero": 1.0, "samples": 40, "output": "last", "avg_iterations": "log2",
    "alone": True,
}


def _num(lc: dict, key: str, lo: float | None = None, strict: bool = True) -> float:
    v = lc.get(key)
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        raise ScenarioError(f"learn.{key} must be a number, got {v!r}")
    if lo is not None and (v <= lo if strict else v < lo):
        raise ScenarioError(f"learn.{key} must be {'>' if strict else '>='} {lo}, got {v}")
    return float(v)


def validate_learn(cfg: dict[str, Any]) -> dict[str, Any]:
    """Fill the ``[learn]`` defaults and validate (one-line ScenarioError naming the key)."""
    lc = dict(LEARN_DEFAULTS)
    lc.update(cfg.get("learn", {}) or {})
    unknown = sorted(set(lc) - set(LEARN_DEFAULTS) - {"eta", "init_scale"})
    if unknown:
        raise ScenarioError(f"learn.{unknown[0]} is not a known key; known: {', '.join(sorted(LEARN_DEFAULTS))}, eta, init_scale")
    if lc["workload"] not in WORKLOADS:
        raise ScenarioError(f"learn.workload: {WORKLOADS.unknown(lc['workload'])}")
    r = lc["rounds"]
    if not isinstance(r, int) or isinstance(r, bool) or r < 1:
        raise ScenarioError(f"learn.rounds must be an integer >= 1, got {r!r}")
    _num(lc, "delta", 0.0)
    if lc.get("eta") is not None:
        _num(lc, "eta", 0.0)
    if lc["batch"] not in ("full", "growing"):
        raise ScenarioError(f"learn.batch must be \"full\" or \"growing\", got {lc['batch']!r}")
    _num(lc, "batch0", 0.0)
    _num(lc, "noise", 0.0, strict=False)
    _num(lc, "alpha", 0.0)
    _num(lc, "lam", 0.0, strict=False)
    _num(lc, "hetero", 0.0, strict=False)
    if not isinstance(lc["samples"], int) or lc["samples"] < 1:
        raise ScenarioError(f"learn.samples must be an integer >= 1, got {lc['samples']!r}")
    if lc.get("init_scale") is not None:
        _num(lc, "init_scale", 0.0, strict=False)
    if lc["output"] not in ("random", "last"):
        raise ScenarioError(f"learn.output must be \"random\" or \"last\", got {lc['output']!r}")
    if lc["avg_iterations"] not in ("log2", "theory"):
        raise ScenarioError(f"learn.avg_iterations must be \"log2\" or \"theory\", got {lc['avg_iterations']!r}")
    if not isinstance(lc["alone"], bool):
        raise ScenarioError("learn.alone must be true or false")
    cfg["learn"] = lc
    return lc


def _quadratic(cfg: dict[str, Any], lc: dict[str, Any], rng: np.random.Generator) -> Workload:
    return Quadratic(make_inputs(cfg, rng), batch=lc["batch"], noise=lc["noise"])


def _linreg(cfg: dict[str, Any], lc: dict[str, Any], rng: np.random.Generator) -> Workload:
    s = cfg["system"]
    return LinReg(s["h"], s["dim"], lc["samples"], lc["hetero"], 0.1, rng, batch=lc["batch"], batch0=lc["batch0"],
                  extra=s["n"] - s["h"])


def _digits(cfg: dict[str, Any], lc: dict[str, Any], rng: np.random.Generator) -> Workload:
    s = cfg["system"]
    return Digits(s["n"], s["h"], lc["alpha"], rng, batch=lc["batch"], batch0=lc["batch0"], lam=lc["lam"])


def _pfl(cfg: dict[str, Any], lc: dict[str, Any], rng: np.random.Generator) -> Workload:
    """Personalised learning, rho as the parameter ([pfl] table, :mod:`nodes.workloads_pfl`)."""
    try:
        p = PflSpec.model_validate(cfg.get("pfl", {}) or {}).model_dump()
    except ValidationError as exc:
        raise ScenarioError(one_line("pfl", exc)) from None
    cfg["pfl"] = p
    if p["mode"] == "server":
        raise ScenarioError("pfl.mode = \"server\" needs the trusted-server protocol (issue 12), not in this version: "
                            "use pfl.mode = \"decentralised\" (or kind = \"cga\" for the paper's synchronous loop)")
    if p["regularization"] == "l1":
        return LicchaviL1(cfg["system"]["h"], p["d"], p["samples"], p["noise"], p["hetero"], p["lam"], p["lam0"],
                          p["target"], rng)
    return PersonalisedLeastSquares(cfg["system"]["h"], p["d"], p["samples"], p["noise"], p["hetero"],
                                    p["regularization"], p["lam"], p["target"], rng)


WORKLOADS: Registry[Callable[[dict[str, Any], dict[str, Any], np.random.Generator], Workload]] = Registry(
    "workload", "jungle.workloads")
"""name -> ``make(cfg, learn_table, rng) -> Workload`` (:class:`nodes.workloads.Workload`); third-party
workloads come under the ``jungle.workloads`` entry point group."""
for _name, _make in (("quadratic", _quadratic), ("linreg", _linreg), ("digits", _digits), ("pfl", _pfl)):
    WORKLOADS.register(_name, _make)


def make_workload(cfg: dict[str, Any], lc: dict[str, Any], rng: np.random.Generator) -> Workload:
    return WORKLOADS[lc["workload"]](cfg, lc, rng)


class LearnProtocol(Protocol):
    name = "learn"

    @property
    def serve_after_output(self) -> bool:  # reliable broadcast relays after a node has its output
        return self.cfg["algorithm"]["name"] == "broadcast"

    def schemas(self, d):
        name = self.cfg["algorithm"]["name"]
        if name == "broadcast":
            return protocol_for(self.cfg).schemas(d)
        return super().schemas(d)


def _iterations_fn(cfg: dict[str, Any], lc: dict[str, Any], d: int) -> Callable[[int, int], int]:
    """Agreement iterations of AVG_tau: tau itself ("log2") or the algorithm's N(tau) ("theory")."""
    s, a = cfg["system"], cfg["algorithm"]
    if lc["avg_iterations"] == "log2":
        return lambda t, phase: tau(t) if phase == PHASE_GRAD else 1

    cache: dict[int, int] = {}

    def N(target: int) -> int:
        if target not in cache:
            th = theory_for(a["name"], s["n"], s["f"], s["q"], d, target)
            if th.holds and th.iterations is not None:
                cache[target] = int(th.iterations)
            else:
                cache[target] = n_icwtm(target, s["h"], 1.0 / (2 * max(1, s["q"] - 2 * s["f"])))
        return cache[target]
    return lambda t, phase: N(tau(t)) if phase == PHASE_GRAD else N(1)


class _Recorder:
    """Per-round measurements of the honest family, computed as soon as all h thetas of a round exist."""

    def __init__(self, w, honest: list[int], ref_mean: np.ndarray | None, on_round: Callable[[int], None] | None):
        self.w, self.h = w, len(honest)
        self.pending: dict[int, dict[int, np.ndarray]] = {}
        self.grads: dict[int, dict[int, tuple[np.ndarray, np.ndarray]]] = {}
        self.rows: dict[int, dict[str, Any]] = {}
        self.ref_mean = ref_mean
        self.on_round = on_round
        self.K = 0.0

    def theta(self, node: int, t: int, theta: np.ndarray) -> None:
        bucket = self.pending.setdefault(t, {})
        bucket[node] = np.array(theta, dtype=np.float64)
        if len(bucket) == self.h:
            X = np.stack([bucket[k] for k in sorted(bucket)])
            del self.pending[t]
            self.rows[t] = row = measure(self.w, X, t)
            row["avg_error"] = (float(np.linalg.norm(X.mean(axis=0) - self.ref_mean))
                                if self.ref_mean is not None else None)
            self.K = max(self.K, row["K_at_mean"])
            g = self.grads.pop(t - 1, None)
            if g is not None and t - 1 in self.rows:
                self.rows[t - 1].update(g)
            if self.on_round:
                self.on_round(t)

    def grad(self, node: int, t: int, g: np.ndarray, gamma: np.ndarray) -> None:
        bucket = self.grads.setdefault(t, {})
        bucket[node] = (np.array(g), np.array(gamma))
        if len(bucket) == self.h:
            G = np.stack([bucket[k][0] for k in sorted(bucket)])
            Gam = np.stack([bucket[k][1] for k in sorted(bucket)])
            self.grads[t] = {"D2_gradients": d2(G), "D2_gamma": d2(Gam),
                             "gamma_error": float(np.linalg.norm(Gam.mean(axis=0) - G.mean(axis=0)))}


def measure(w, X: np.ndarray, t: int | None = None) -> dict[str, Any]:
    """Metrics of an honest parameter family X (h x d): D2, Dcw2, exact ||grad Lbar(mean)||, Lbar(mean),
    test accuracy of the mean and of each node, K at the mean."""
    m = X.mean(axis=0)
    row: dict[str, Any] = {}
    if t is not None:
        row["iteration"] = t
    row.update(diameter=d2(X), cw_diameter=dcw2(X), grad_norm=float(np.linalg.norm(w.avg_grad(m))),
               loss=w.avg_loss(m), K_at_mean=w.K_at(m), nodes=int(X.shape[0]))
    acc = w.accuracy(m)
    if acc is not None:
        per = [w.accuracy(x) for x in X]
        row.update(accuracy_of_mean=acc, accuracy_mean=float(np.mean(per)), accuracy_min=float(np.min(per)))
    return row


def run_learn(cfg: dict[str, Any], progress: bool | Callable[[int], None] | None = None) -> dict[str, Any]:
    lc = validate_learn(cfg)
    seed = cfg["scenario"]["seed"]
    s, a = cfg["system"], cfg["algorithm"]
    n, f, q, h = s["n"], s["f"], s["q"], s["h"]
    streams = Streams.from_seed(seed)
    w = make_workload(cfg, lc, streams.inputs)
    s["dim"] = d = int(w.d)
    T = int(lc["rounds"])
    delta = float(lc["delta"])
    if lc.get("eta") is not None:
        eta, eta_source = float(lc["eta"]), "learn.eta"
    else:
        eta, eta_source = delta / (12.0 * w.L), "delta / (12 L) (Algorithm 1, line 2)"
    # The shared seed (Remark 2): theta_1 and * come from the protocol stream, once, for everyone.
    init = lc.get("init_scale")
    init = (1.0 if lc["workload"] != "digits" else 0.01) if init is None else float(init)
    theta1 = init * streams.protocol.standard_normal(d)
    star = int(streams.protocol.integers(1, T + 1))
    node_seeds = streams.protocol.integers(0, 2**63, size=n)
    th = theory_for(a["name"], n, f, q, d, a["t"])
    C = th.C if th.holds else None
    C_source = "theorem" if C is not None else None
    if C is None and th.extra.get("C_formula") is not None:
        C, C_source = th.extra["C_formula"], "formula (the theorem's assumption fails: no guarantee)"
    try:
        builder = avg_builder(a["name"], n=n, f=f, q=q, include_self=s["include_self"], rule=a["rule"], cfg=cfg)
    except KeyError as exc:
        raise ScenarioError(f"algorithm.name {a['name']!r}: {exc.args[0]}") from None
    if a["name"] == "broadcast" and cfg["adversary"]["attack"] not in ("none", "silent"):
        raise ScenarioError("adversary.attack: LEARN over broadcast-based agreement supports only \"none\" or "
                            "\"silent\" (the broadcast attacks read instance ids as RB instances)")
    iterations = _iterations_fn(cfg, lc, d)

    cfg["_learn"] = {"workload": w, "eta": eta, "theta1": theta1, "T": T, "rule": get_rule(a["rule"])}

    ref_mean = w.x.mean(axis=0) if lc["workload"] == "quadratic" else None
    bar, bar_ctx = None, None
    on_round = progress if callable(progress) else None
    if progress is True:
        bar_ctx = Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                           TextColumn("rounds"), TimeElapsedColumn(), transient=True)
        bar = bar_ctx.__enter__()
        task = bar.add_task(cfg["scenario"]["name"], total=T + 1)
        on_round = lambda t: bar.update(task, completed=t)  # noqa: E731
    rec = _Recorder(w, list(range(h)), ref_mean, on_round)

    def factory(i: int) -> LearnMachine:
        rng = np.random.default_rng(int(node_seeds[i]))
        return LearnMachine(i, theta1, lambda theta, t: w.stoch_grad(i, theta, t, rng), T=T, eta=eta, avg=builder,
                            iterations=iterations, output=lc["output"], output_index=star,
                            on_theta=rec.theta, on_grad=rec.grad)

    t0 = time.perf_counter()
    try:
        sim = simulate(cfg, LearnProtocol(cfg), streams, None, machine_factory=factory)
    finally:
        if bar_ctx is not None:
            bar_ctx.__exit__(None, None, None)
    wall = time.perf_counter() - t0
    cfg.pop("_learn", None)

    rows = [rec.rows[t] for t in sorted(rec.rows)]
    complete = (not sim.net.stalled) and len(sim.outputs) == h
    learn: dict[str, Any] = {
        "workload": w.describe(), "T": T, "delta": delta, "eta": eta, "eta_source": eta_source, "L": w.L,
        "C": C, "C_source": C_source, "output": lc["output"], "output_index": star if lc["output"] == "random" else T + 1,
        "avg_iterations": lc["avg_iterations"],
        "agreement_iterations": {"gradient": [iterations(t, 0) for t in range(1, T + 1)], "parameter": iterations(1, 1)},
        "rounds": rows,
    }
    checks: dict[str, Any] = {"termination": {"holds": complete, "measured": len(sim.outputs), "bound": h,
                                              "detail": "every honest node produced its output"}}
    if complete:
        Xout = np.stack([np.asarray(sim.outputs[i]) for i in range(h)])
        final = measure(w, Xout)
        learn["final"] = final
        K = rec.K
        K_source = "max over the trajectory of max_jk ||grad L_j - grad L_k|| at the honest mean"
        if lc["workload"] == "quadratic":
            K, K_source = d2(w.x), "D2(x) (eq. 115)"
        learn["K"], learn["K_source"] = K, K_source
        bound = (1 + delta) * C * K if C is not None else None
        learn["bound"] = bound
        checks["agreement"] = {"holds": bool(final["diameter"] <= delta), "measured": final["diameter"], "bound": delta,
                               "detail": "D2(honest output parameters) <= delta (Definition 4)"}
        checks["learning"] = {"holds": (bool(final["grad_norm"] <= bound) if bound is not None else None),
                              "measured": final["grad_norm"], "bound": bound,
                              "detail": "||grad Lbar(mean output)|| <= (1 + delta) C K (Definition 4)"}
        if hasattr(w, "extra_checks"):  # a workload's own claims (e.g. pfl: resistance to the CGA)
            checks.update(w.extra_checks(Xout, cfg))
        if ref_mean is not None:
            err = float(np.linalg.norm(Xout.mean(axis=0) - ref_mean))
            bnd = C * d2(w.x) if C is not None else None
            checks["averaging"] = {"holds": (bool(err <= bnd) if bnd is not None else None), "measured": err,
                                   "bound": bnd, "bound_source": C_source,
                                   "detail": "||mean(output) - mean(x)|| <= C D2(x) (Theorem 2)"}
    if lc["alone"]:
        learn["alone"] = alone_baseline(w, theta1, T, eta, node_seeds[:h])
    result = {
        "version": RESULT_VERSION,
        "scenario": {k: v for k, v in cfg.items() if not k.startswith("_")},
        "seed": seed,
        "trace_digest": sim.digest,
        "include_self": s["include_self"],
        "theory": th.as_dict(),
        "iterations": [{k: r.get(k) for k in ("iteration", "diameter", "cw_diameter", "avg_error", "nodes")} for r in rows],
        "checks": checks,
        "messages": sim.net.message_counts(),
        "stalled": sim.net.stalled,
        "steps": sim.net.step,
        "wall_seconds": wall,
        "learn": learn,
    }
    return result


def alone_baseline(w, theta1: np.ndarray, T: int, eta: float, seeds) -> dict[str, Any]:
    """Each honest node trains alone on its own data for T steps (what collaboration buys)."""
    X = np.stack([train_alone(w, j, theta1, T, eta, np.random.default_rng(int(seeds[j]) ^ 0x5A5A)) for j in range(w.h)])
    out = {"grad_norm_mean": float(np.mean([np.linalg.norm(w.avg_grad(x)) for x in X])),
           "loss_mean": float(np.mean([w.avg_loss(x) for x in X]))}
    acc = [w.accuracy(x) for x in X]
    if acc[0] is not None:
        out.update(accuracy_mean=float(np.mean(acc)), accuracy_min=float(np.min(acc)), accuracy_max=float(np.max(acc)))
    return out
