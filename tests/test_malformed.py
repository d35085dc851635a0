"""Malformed scenario files and arguments, for every subcommand: each one is refused with exactly one
line on stderr (``jungle: error: ...``) and exit status 2, before anything runs: no traceback, no
hang, no run on nonsense (issue 11). The CLI runs in-process; every way a run could start is
replaced by a tripwire.

A case is (id, argv, needle): ``{d}`` in argv is the directory of the prepared files below; the
needle must appear in the message (the key to change, or the closest known name).
"""
from __future__ import annotations

import json

import numpy as np
import pytest

from scenarios.cli.main import main
from scenarios.run.kinds import SEED_RUNNERS

BASE = """\
[scenario]
name = "malformed"
[system]
n = 6
f = 1
dim = 2
[algorithm]
name = "icwtm"
t = 1
[adversary]
attack = "split"
schedule = "random"
"""


def _toml(extra: str = "", inputs: str = "") -> str:
    return BASE + extra + ("\n[inputs]\n" + inputs if inputs else "")


FILES = {
    "nan-values.toml": _toml(inputs='kind = "values"\nvalues = [[nan, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [0.5, 0.5]]'),
    "inf-values.toml": _toml(inputs='kind = "values"\nvalues = [[inf, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [0.5, 0.5]]'),
    "huge-values.toml": _toml(inputs='kind = "values"\nvalues = [[1e308, 0.0], [-1e308, 0.0], [0.0, 1.0], [1.0, 1.0], [0.5, 0.5]]'),
    "shape-values.toml": _toml(inputs='kind = "values"\nvalues = [[0.0, 0.0], [1.0, 0.0]]'),
    "ragged-values.toml": _toml(inputs='kind = "values"\nvalues = [[0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [0.5, 0.5]]'),
    "text-values.toml": _toml(inputs='kind = "values"\nvalues = [["a", "b"], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [0.5, 0.5]]'),
    "stray-values.toml": _toml(inputs='kind = "gaussian"\nvalues = [[0.0, 0.0]]'),
    "no-values.toml": _toml(inputs='kind = "values"'),
    "npz.toml": _toml(inputs='kind = "file"\npath = "x.npz"'),
    "str-npy.toml": _toml(inputs='kind = "file"\npath = "str.npy"'),
    "obj-npy.toml": _toml(inputs='kind = "file"\npath = "obj.npy"'),
    "shape-npy.toml": _toml(inputs='kind = "file"\npath = "shape.npy"'),
    "nan-npy.toml": _toml(inputs='kind = "file"\npath = "nan.npy"'),
    "huge-npy.toml": _toml(inputs='kind = "file"\npath = "huge.npy"'),
    "missing-npy.toml": _toml(inputs='kind = "file"\npath = "missing.npy"'),
    "dir-npy.toml": _toml(inputs='kind = "file"\npath = "adir.npy"'),
    "garbage-npy.toml": _toml(inputs='kind = "file"\npath = "garbage.npy"'),
    "no-path.toml": _toml(inputs='kind = "file"'),
    "path-int.toml": _toml(inputs='kind = "file"\npath = 5'),
    "compare-set.toml": _toml('[compare]\nkey = "algorithm.name"\nvalues = ["icwtm"]\nset = 5\n'),
    "compare-empty.toml": _toml('[compare]\nkey = "algorithm.name"\nvalues = []\n'),
    "compare-key.toml": _toml('[compare]\nkey = "nodot"\nvalues = [1]\n'),
    "compare-bad-variant.toml": _toml('[compare]\nkey = "algorithm.name"\nvalues = ["icwtm", "bogus"]\n'),
    "compare-set-entry.toml": _toml('[compare]\nkey = "algorithm.name"\nvalues = ["icwtm"]\n[compare.set]\nicwtm = 5\n'),
    "compare-not-table.toml": "compare = 5\n" + BASE,
    "table-not-table.toml": "system = 5\n",
    "unknown-table.toml": _toml("[sytem]\nn = 5\n"),
    "bad.toml": "[system\nn = 3\n",
    "groups.toml": BASE.replace('schedule = "random"', 'schedule = "partition"\n[adversary.schedule_params]\ngroups = [[0, 99]]'),
    "grups.toml": BASE.replace('schedule = "random"', 'schedule = "partition"\n[adversary.schedule_params]\ngrups = [[0, 1]]'),
    "search-shape.toml": BASE.replace('attack = "split"', 'attack = "search"\nsearch_values = [[[0, 0]]]'),
    "grid-unknown.toml": "[system]\nn = [5, 6]\nff = 1\n",
    "grid-seeds.toml": '[sweep]\nseeds = "abc"\n[system]\nn = [5, 6]\n',
    "grid-invalid.toml": "[system]\nn = [2, 3]\nf = 5\n",
    "grid-literal.toml": '[sweep]\nliteral = 5\n[system]\nn = [5, 6]\n',
    "table.json": "{not json",
    "table-shape.json": json.dumps({"a": 1}),
    "table-list.json": json.dumps([1, 2]),
    "result-list.json": json.dumps([1, 2]),
    "result-shape.json": json.dumps({"scenario": {}, "seed": "x"}),
    "a-file": "x",
    "newline-key.toml": _toml('"n\\nx" = 5\n'),
}


@pytest.fixture(scope="module")
def d(tmp_path_factory):
    root = tmp_path_factory.mktemp("malformed")
    for name, text in FILES.items():
        (root / name).write_text(text)
    (root / "latin1.toml").write_bytes("[scenario]\nname = \"caf\xe9\"\n".encode("latin-1") + b"\xff\xfe")
    (root / "garbage.bin").write_bytes(bytes(range(256)) * 4)
    (root / "garbage.npy").write_bytes(b"\x93NUMPY garbage")
    (root / "adir.npy").mkdir()
    (root / "emptydir").mkdir()
    (root / "adir.toml").mkdir()
    np.savez(root / "x.npz", x=np.zeros((5, 2)))
    np.save(root / "str.npy", np.array([["a", "b"]] * 5))
    np.save(root / "obj.npy", np.array([[object(), 1]] * 5, dtype=object), allow_pickle=True)
    np.save(root / "shape.npy", np.zeros((3, 2)))
    np.save(root / "nan.npy", np.full((5, 2), np.nan))
    np.save(root / "huge.npy", np.array([[1e308, 0.0], [-1e308, 0.0]] + [[0.0, 0.0]] * 3))
    return root


@pytest.fixture(autouse=True)
def tripwires(monkeypatch):
    """Anything that would run a simulation, a sweep, thresholds, a table or a benchmark fails the test."""
    def boom(*a, **k):
        raise AssertionError("a run started although the input was malformed")

    monkeypatch.setattr("net.network.Network.run", boom)
    monkeypatch.setattr("scenarios.cli.sweep.run_sweep", boom)
    monkeypatch.setattr("scenarios.cli.thresholds.run_thresholds", boom)
    monkeypatch.setattr("scenarios.cli.table.run_table", boom)
    monkeypatch.setattr("scenarios.explore.executor.Executor.run", boom)
    monkeypatch.setattr("scenarios.cli.bench.SECTIONS", [("mda", boom, boom), ("rules", boom, boom)])
    monkeypatch.setattr("scenarios.cli.bench.GROUPS", {})
    for kind in SEED_RUNNERS:  # cga, licchavi, gmm: no network, their own runner
        monkeypatch.setitem(SEED_RUNNERS, kind, boom)


ICWTM = ["run", "icwtm-contraction", "--quiet"]
LEARN = ["run", "learn-quadratic", "--quiet"]


def s(*sets: str) -> list[str]:
    """``jungle run icwtm-contraction --set A --set B ...``"""
    return [*ICWTM, *[x for a in sets for x in ("--set", a)]]


def sl(*sets: str) -> list[str]:
    """``jungle run learn-quadratic --set ...``"""
    return [*LEARN, *[x for a in sets for x in ("--set", a)]]


def sk(name: str, *sets: str) -> list[str]:
    """``jungle run NAME --set ...`` for a seed kind's built-in (cga, licchavi, gmm) or cga-learn."""
    return ["run", name, "--quiet", *[x for a in sets for x in ("--set", a)]]


CASES = [
    # --- wrong types: text where a number is, a list where a name is, numbers where booleans are ----
    ("n-text", s("system.n=x"), "system.n"),
    ("n-quoted-int", s('system.n="5"'), "system.n = '5': expected an integer"),
    ("n-bool", s("system.n=true"), "system.n = True: expected an integer"),
    ("n-float", s("system.n=5.0"), "system.n = 5.0"),
    ("f-text", s('system.f="two"'), "system.f"),
    ("q-list", s("system.q=[1, 2]"), "system.q"),
    ("dim-text", s('system.dim="10"'), "system.dim"),
    ("include-self-no", s('system.include_self="no"'), "system.include_self = 'no': expected true or false"),
    ("t-text", s('algorithm.t="3"'), "algorithm.t"),
    ("t-bool", s("algorithm.t=true"), "algorithm.t"),
    ("iterations-text", s('algorithm.iterations="many"'), "algorithm.iterations"),
    ("allow-below-no", s("system.n=20", 'algorithm.allow_below_threshold="no"'), "algorithm.allow_below_threshold"),
    ("allow-below-int", s("algorithm.allow_below_threshold=1"), "algorithm.allow_below_threshold"),
    ("name-list", s('algorithm.name=["icwtm"]'), "algorithm.name"),
    ("name-int", s("algorithm.name=5"), "algorithm.name"),
    ("name-empty", s('algorithm.name=""'), "algorithm.name = '': must not be empty"),
    ("rule-list", s('algorithm.rule=["cwtm"]'), "algorithm.rule"),
    ("seed-text", s('scenario.seed="1"'), "scenario.seed"),
    ("kind-both", s('scenario.kind="both"'), "scenario.kind"),
    ("scenario-name-int", s("scenario.name=5"), "scenario.name"),
    ("inputs-kind-list", s('inputs.kind=["gaussian"]'), "inputs.kind"),
    ("scale-text", s('inputs.scale="big"'), "inputs.scale"),
    ("attack-list", s('adversary.attack=["split"]'), "adversary.attack"),
    ("schedule-int", s("adversary.schedule=5"), "adversary.schedule"),
    ("noise-scale-text", s('adversary.attack="noise"', 'adversary.noise_scale="big"'), "adversary.noise_scale"),
    ("split-push-text", s('adversary.split_push="far"'), "adversary.split_push"),
    ("split-mode-bad", s('adversary.split_mode="sideways"'), "adversary.split_mode"),
    ("seen-window-text", s('adversary.seen_window="2"'), "adversary.seen_window"),
    ("schedule-params-int", s("adversary.schedule_params=5"), "adversary.schedule_params"),
    ("max-steps-text", s('run.max_steps="many"'), "run.max_steps"),
    ("dispatch-bad", s('run.dispatch="threads"'), "run.dispatch"),
    ("record-trace-yes", s('run.record_trace="yes"'), "run.record_trace"),
    ("inputs-path-int", ["run", "{d}/path-int.toml"], "inputs.path"),
    ("values-text", ["run", "{d}/text-values.toml"], "inputs.values"),
    ("learn-rounds-text", sl('learn.rounds="5"'), "learn.rounds"),
    ("learn-alone-no", sl('learn.alone="no"'), "learn.alone"),
    ("learn-batch-bad", sl('learn.batch="half"'), "learn.batch"),
    # --- out of range, non-finite, overflowing -------------------------------------------------------
    ("n-zero", s("system.n=0"), "system.n = 0: must be >= 1"),
    ("n-huge", s("system.n=1000000"), "system.n"),
    ("f-negative", s("system.f=-1"), "system.f"),
    ("f-ge-n", s("system.f=26"), "system.f must be < system.n"),
    ("q-zero", s("system.q=0"), "system.q"),
    ("q-too-big", s("system.q=99"), "system.q"),
    ("dim-zero", s("system.dim=0"), "system.dim"),
    ("t-negative", s("algorithm.t=-1"), "algorithm.t"),
    ("t-1e9", s("algorithm.t=1000000000"), "algorithm.t"),
    ("iterations-negative", s("algorithm.iterations=-1"), "algorithm.iterations"),
    ("iterations-1e9", s("algorithm.iterations=1000000000"), "run.max_steps"),
    ("dim-1e12", s("system.dim=1000000000000"), "run.memory_budget_mib"),
    ("dim-1e6-memory", s("system.dim=1000000"), "run.memory_budget_mib"),
    ("n-steps", s("system.n=5000", "system.f=5"), "run.max_steps"),
    ("max-steps-zero", s("run.max_steps=0"), "run.max_steps = 0: must be >= 1"),
    ("max-steps-negative", s("run.max_steps=-5"), "run.max_steps = -5"),
    ("max-steps-small", s("run.max_steps=10"), "raise run.max_steps"),
    ("memory-zero", s("run.memory_budget_mib=0"), "run.memory_budget_mib"),
    ("seed-negative", s("scenario.seed=-1"), "scenario.seed"),
    ("scale-nan", s("inputs.scale=nan"), "inputs.scale = nan: expected a finite number"),
    ("scale-inf", s("inputs.scale=inf"), "inputs.scale"),
    ("scale-1e308", s("inputs.scale=1e308"), "inputs.scale"),
    ("scale-negative", s("inputs.scale=-1"), "inputs.scale"),
    ("noise-scale-nan", s('adversary.attack="noise"', "adversary.noise_scale=nan"), "adversary.noise_scale"),
    ("far-value-inf", s('adversary.attack="far"', "adversary.far_value=inf"), "adversary.far_value"),
    ("split-push-negative", s("adversary.split_push=-1"), "adversary.split_push"),
    ("seen-window-zero", s("adversary.seen_window=0"), "adversary.seen_window"),
    ("learn-rounds-1e9", sl("learn.rounds=1000000000"), "learn.rounds"),
    ("learn-rounds-zero", sl("learn.rounds=0"), "learn.rounds"),
    ("learn-delta-nan", sl("learn.delta=nan"), "learn.delta"),
    ("learn-eta-zero", sl("learn.eta=0"), "learn.eta"),
    ("learn-samples-zero", sl("learn.samples=0"), "learn.samples"),
    ("learn-init-scale-huge", sl("learn.init_scale=1e300"), "learn.init_scale"),
    ("learn-eta-huge", sl("learn.eta=1e300"), "learn.eta"),
    ("learn-theory-rounds-1e9", sl('learn.avg_iterations="theory"', "learn.rounds=1000000000"), "run.max_steps"),
    ("learn-momentum-one", sl("learn.momentum=1.0"), "learn.momentum"),
    ("learn-momentum-negative", sl("learn.momentum=-0.1"), "learn.momentum"),
    ("learn-momentum-nan", sl("learn.momentum=nan"), "learn.momentum"),
    ("learn-momentum-text", sl('learn.momentum="high"'), "learn.momentum"),
    ("learn-momentum-bool", sl("learn.momentum=true"), "learn.momentum"),
    ("learn-hidden-zero", sl("learn.hidden=[0]"), "learn.hidden"),
    ("learn-hidden-negative", sl("learn.hidden=[32, -1]"), "learn.hidden"),
    ("learn-hidden-int", sl("learn.hidden=32"), "learn.hidden"),
    ("learn-hidden-text", sl('learn.hidden=["32"]'), "learn.hidden"),
    ("learn-hidden-float", sl("learn.hidden=[32.0]"), "learn.hidden"),
    ("learn-hidden-bool", sl("learn.hidden=[true]"), "learn.hidden"),
    ("learn-hidden-wide", sl("learn.hidden=[1000000]"), "learn.hidden"),
    ("learn-hidden-deep", sl(f"learn.hidden=[{', '.join(['4'] * 17)}]"), "learn.hidden"),
    ("learn-mlp-memory", ["run", "learn-mnist", "--quiet", "--set", "learn.hidden=[50000, 50000]"],
     "run.memory_budget_mib"),
    ("learn-dataset-cifar", sl('learn.dataset="cifar"'), "learn.dataset"),
    ("learn-dataset-int", sl("learn.dataset=5"), "learn.dataset"),
    ("learn-batch-fixed-zero", sl('learn.batch="fixed"', "learn.batch0=0"), "learn.batch0"),
    ("learn-mnist-dim", sl('learn.workload="mnist"'), "fixes d = 7850"),
    ("learn-mlp-dim", sl('learn.workload="mlp"', "learn.hidden=[8]"), "fixes d = 6370"),
    ("ipm-eps-text", s('adversary.attack="ipm"', 'adversary.ipm_eps="x"'), "adversary.ipm_eps"),
    ("ipm-eps-negative", s('adversary.attack="ipm"', "adversary.ipm_eps=-0.1"), "adversary.ipm_eps"),
    ("ipm-eps-nan", s('adversary.attack="ipm"', "adversary.ipm_eps=nan"), "adversary.ipm_eps"),
    ("ipm-eps-typo", s('adversary.attack="ipm"', "adversary.ipm_esp=0.2"), "did you mean adversary.ipm_eps?"),
    ("ipm-eps-other-attack", s("adversary.ipm_eps=0.2"), "is a parameter of attack 'ipm'"),
    ("dissensus-eps-text", s('adversary.attack="dissensus"', 'adversary.dissensus_eps="far"'), "adversary.dissensus_eps"),
    ("dissensus-eps-inf", s('adversary.attack="dissensus"', "adversary.dissensus_eps=inf"), "adversary.dissensus_eps"),
    ("dissensus-eps-huge", s('adversary.attack="dissensus"', "adversary.dissensus_eps=1e300"), "adversary.dissensus_eps"),
    ("server-in-agreement", s('algorithm.name="server"'), "LEARN scenarios only"),
    ("server-rule-typo", sl('algorithm.name="server"', 'algorithm.rule="cwmd"'), "did you mean 'cwmed'?"),
    ("server-cwtm-q-le-2f", sl('algorithm.name="server"', "system.q=4"), "cannot aggregate"),
    ("bucketing-typo", s('algorithm.name="bucketng+cwtm"'), "did you mean 'bucketing'?"),
    ("scenario-name-long", s(f'scenario.name="{"x" * 300}"'), "scenario.name"),
    ("values-nan", ["run", "{d}/nan-values.toml"], "inputs.values"),
    ("values-inf", ["run", "{d}/inf-values.toml"], "inputs.values"),
    ("values-1e308", ["run", "{d}/huge-values.toml"], "inputs.values"),
    ("values-shape", ["run", "{d}/shape-values.toml"], "inputs.values: expected shape (5, 2)"),
    ("values-ragged", ["run", "{d}/ragged-values.toml"], "inputs.values"),
    ("npy-nan", ["run", "{d}/nan-npy.toml"], "finite"),
    ("npy-1e308", ["run", "{d}/huge-npy.toml"], "overflow"),
    # --- unknown keys: the closest known key is named ----------------------------------------------
    ("unknown-system-key", s("system.nn=5"), "did you mean system.n?"),
    ("unknown-algorithm-key", s("algorithm.iteration=5"), "did you mean algorithm.iterations?"),
    ("unknown-inputs-key", s("inputs.scal=2"), "did you mean inputs.scale?"),
    ("unknown-run-key", s("run.max_step=5"), "did you mean run.max_steps?"),
    ("unknown-scenario-key", s("scenario.seeds=2"), "did you mean scenario.seed?"),
    ("unknown-learn-key", sl("learn.round=5"), "did you mean learn.rounds?"),
    ("unknown-attack-param", s('adversary.attack="noise"', "adversary.noise_scal=2"), "did you mean adversary.noise_scale?"),
    ("unknown-adversary-key", s("adversary.seen_windw=2"), "did you mean adversary.seen_window?"),
    ("param-of-another-attack", s("adversary.noise_scale=2"), "is a parameter of attack 'noise'"),
    ("unknown-table-set", s("sytem.n=5"), "did you mean [system]?"),
    ("unknown-table-file", ["run", "{d}/unknown-table.toml"], "did you mean [system]?"),
    ("newline-in-key", ["run", "{d}/newline-key.toml"], "is not a known key"),
    ("unknown-schedule-param", ["run", "{d}/grups.toml"], "did you mean adversary.schedule_params.groups?"),
    ("learn-in-agreement", s("learn.rounds=5"), "[learn] is only read"),
    # --- names checked against the registries, closest name suggested ----------------------------
    ("algorithm-typo", s('algorithm.name="icwtmm"'), "did you mean 'icwtm'?"),
    ("rule-typo", s('algorithm.name="nnm+cwtmm"'), "did you mean 'cwtm'?"),
    ("pre-aggregation-typo", s('algorithm.name="nnn+cwtm"'), "did you mean 'nnm'?"),
    ("rule-explicit-typo", s('algorithm.rule="cwmd"'), "did you mean 'cwmed'?"),
    ("attack-typo", s('adversary.attack="splt"'), "did you mean 'split'?"),
    ("schedule-typo", s('adversary.schedule="randm"'), "did you mean 'random'?"),
    ("inputs-kind-typo", s('inputs.kind="gausian"'), "did you mean 'gaussian'?"),
    ("workload-typo", sl('learn.workload="digit"'), "did you mean 'digits'?"),
    ("attack-of-other-protocol", s('algorithm.name="broadcast"', "system.n=16", "system.f=5",
                                   'adversary.attack="alie"'), "adversary.attack"),
    ("learn-broadcast-attack", sl('algorithm.name="broadcast"', "system.n=7", "system.f=2",
                                  'adversary.attack="fake-echo"'), "LEARN over broadcast"),
    ("nnm-cwtm-q-le-2f", s('algorithm.name="nnm+cwtm"', "system.q=10"), "cannot aggregate"),
    ("nnm-cwtm-q-le-2f-iterations", s('algorithm.name="nnm+cwtm"', "system.q=10", "algorithm.iterations=3"),
     "cannot aggregate"),
    ("cwtm-q-le-2f", s("system.q=10", "algorithm.allow_below_threshold=true"), "cannot aggregate"),
    ("below-threshold", s("system.n=20"), "allow_below_threshold"),
    ("search-values-shape", ["run", "{d}/search-shape.toml"], "adversary.search_values must have shape"),
    ("partition-group-id", ["run", "{d}/groups.toml"], "not an honest node id"),
    ("construction-counts", s('inputs.kind="theorem5"', "system.n=7", "system.f=2",
                              "algorithm.allow_below_threshold=true"), "theorem5"),
    ("digits-dim", ["run", "learn-digits", "--set", "system.dim=10"], "remove system.dim"),
    # --- inputs: values and files ------------------------------------------------------------------
    ("values-stray", ["run", "{d}/stray-values.toml"], "inputs.values is only read"),
    ("values-missing", ["run", "{d}/no-values.toml"], "inputs.values is required"),
    ("file-npz", ["run", "{d}/npz.toml"], ".npy"),
    ("file-string-npy", ["run", "{d}/str-npy.toml"], "inputs.path"),
    ("file-object-npy", ["run", "{d}/obj-npy.toml"], "inputs.path"),
    ("file-shape", ["run", "{d}/shape-npy.toml"], "expected shape (5, 2)"),
    ("file-missing", ["run", "{d}/missing-npy.toml"], "does not exist"),
    ("file-directory", ["run", "{d}/dir-npy.toml"], "is a directory"),
    ("file-garbage", ["run", "{d}/garbage-npy.toml"], "cannot be read as .npy"),
    ("file-no-path", ["run", "{d}/no-path.toml"], "inputs.path is required"),
    # --- [compare] -----------------------------------------------------------------------------------
    ("compare-set-int", ["run", "{d}/compare-set.toml"], "compare.set"),
    ("compare-values-empty", ["run", "{d}/compare-empty.toml"], "compare.values"),
    ("compare-key-nodot", ["run", "{d}/compare-key.toml"], "compare.key = 'nodot': expected TABLE.KEY"),
    ("compare-bad-variant", ["run", "{d}/compare-bad-variant.toml"], "[compare] algorithm.name = 'bogus'"),
    ("compare-set-entry", ["run", "{d}/compare-set-entry.toml"], "compare.set.icwtm = 5: expected a list"),
    ("compare-not-table", ["run", "{d}/compare-not-table.toml"], "compare = 5: expected a table"),
    # --- scenario files and --set --------------------------------------------------------------------
    ("scenario-directory", ["run", "{d}/adir.toml"], "is a directory"),
    ("scenario-directory-no-suffix", ["run", "{d}/emptydir"], "is a directory"),
    ("scenario-not-utf8", ["run", "{d}/latin1.toml"], "not UTF-8"),
    ("scenario-binary", ["run", "{d}/garbage.bin"], "not UTF-8"),
    ("scenario-bad-toml", ["run", "{d}/bad.toml"], "not valid TOML"),
    ("scenario-missing", ["run", "{d}/missing.toml"], "does not exist"),
    ("scenario-unknown-builtin", ["run", "icwtm-contractoin"], "did you mean 'icwtm-contraction'?"),
    ("scenario-table-not-table", ["run", "{d}/table-not-table.toml"], "system"),
    ("set-no-equals", [*ICWTM, "--set", "nodot"], "KEY=VALUE"),
    ("set-no-table", [*ICWTM, "--set", "n=5"], "TABLE.KEY"),
    ("set-empty-key", [*ICWTM, "--set", "=5"], "TABLE.KEY"),
    ("set-double-dot", [*ICWTM, "--set", "system..n=5"], "TABLE.KEY"),
    ("set-into-value", [*ICWTM, "--set", "scenario.name.x=1"], "is not a table"),
    ("seed-abc", [*ICWTM, "--seed", "abc"], "--seed"),
    ("seed-negative-arg", [*ICWTM, "--seed", "-1"], "--seed"),
    ("seed-huge-arg", [*ICWTM, "--seed", str(2**64)], "--seed"),
    ("json-directory", [*ICWTM, "--json", "{d}"], "--json"),
    ("json-unwritable", [*ICWTM, "--json", "/proc/nope/result.json"], "--json"),
    ("json-under-file", [*ICWTM, "--json", "{d}/a-file/x.json"], "--json"),
    ("plot-proc", [*ICWTM, "--plot", "/proc/nope"], "--plot"),
    ("plot-file", [*ICWTM, "--plot", "{d}/a-file"], "--plot"),
    ("run-missing-argument", ["run"], "scenario"),
    ("run-unknown-option", [*ICWTM, "--bogus"], "--bogus"),
    ("unknown-subcommand", ["frobnicate"], "frobnicate"),
    # --- jungle table -----------------------------------------------------------------------------
    ("table-from-json-not-json", ["table", "--from-json", "{d}/table.json"], "not JSON"),
    ("table-from-json-not-utf8", ["table", "--from-json", "{d}/latin1.toml"], "not UTF-8"),
    ("table-from-json-shape", ["table", "--from-json", "{d}/table-shape.json"], "--from-json"),
    ("table-from-json-list", ["table", "--from-json", "{d}/table-list.json"], "--from-json"),
    ("table-from-json-missing", ["table", "--from-json", "{d}/missing.json"], "does not exist"),
    ("table-from-json-dir", ["table", "--from-json", "{d}"], "is a directory"),
    ("table-seeds-zero", ["table", "--seeds", "0"], "--seeds"),
    ("table-seeds-text", ["table", "--seeds", "abc"], "--seeds"),
    ("table-workers-zero", ["table", "--workers", "0"], "--workers"),
    ("table-attack-unknown", ["table", "--quick", "--attacks", "nope"], "--attacks"),
    ("table-row-unknown", ["table", "--quick", "--rows", "bogusrule"], "--rows = 'bogusrule'"),
    ("table-json-dir", ["table", "--quick", "--json", "{d}"], "--json"),
    ("table-bad-set", ["table", "--quick", "--set", "learn.rounds=0"], "learn.rounds"),
    ("table-bad-scenario", ["table", "--quick", "--scenario", "nope"], "unknown scenario"),
    # --- jungle plot ------------------------------------------------------------------------------
    ("plot-not-utf8", ["plot", "{d}/latin1.toml"], "not UTF-8"),
    ("plot-binary", ["plot", "{d}/garbage.bin"], "not UTF-8"),
    ("plot-not-json", ["plot", "{d}/table.json"], "not JSON"),
    ("plot-json-list", ["plot", "{d}/result-list.json"], "not a jungle result"),
    ("plot-json-shape", ["plot", "{d}/result-shape.json"], "not a jungle result"),
    ("plot-missing", ["plot", "{d}/missing.json"], "does not exist"),
    ("plot-empty-dir", ["plot", "{d}/emptydir"], "no result JSON"),
    ("plot-out-file", ["plot", "{d}/table.json", "--out", "{d}/a-file"], "--out"),
    # --- jungle sweep -----------------------------------------------------------------------------
    ("sweep-directory", ["sweep", "{d}/emptydir"], "is a directory"),
    ("sweep-unknown-grid", ["sweep", "icwtm-nf"], "did you mean 'icwtm-n-f'?"),
    ("sweep-unknown-key", ["sweep", "{d}/grid-unknown.toml"], "did you mean system.f?"),
    ("sweep-seeds-text", ["sweep", "{d}/grid-seeds.toml"], "sweep.seeds = 'abc': expected an integer or a list"),
    ("sweep-literal-int", ["sweep", "{d}/grid-literal.toml"], "sweep.literal"),
    ("sweep-all-invalid", ["sweep", "{d}/grid-invalid.toml"], "no point of the grid"),
    ("sweep-not-utf8", ["sweep", "{d}/latin1.toml"], "not UTF-8"),
    ("sweep-workers-zero", ["sweep", "icwtm-n-f", "--workers", "0"], "--workers"),
    ("sweep-out-file", ["sweep", "icwtm-n-f", "--out", "{d}/a-file"], "--out"),
    # --- jungle thresholds ------------------------------------------------------------------------
    ("thresholds-seeds-text", ["thresholds", "--seeds", "abc"], "--seeds"),
    ("thresholds-seeds-empty", ["thresholds", "--seeds", ","], "--seeds"),
    ("thresholds-f-zero", ["thresholds", "--f", "0"], "--f"),
    ("thresholds-algorithm-typo", ["thresholds", "--algorithms", "icwtmm"], "did you mean 'icwtm'?"),
    ("thresholds-attack-unknown", ["thresholds", "--attacks", "nope"], "--attacks"),
    ("thresholds-server", ["thresholds", "--algorithms", "icwtm,server"], "LEARN scenarios only"),
    ("thresholds-schedule-unknown", ["thresholds", "--schedules", "nope"], "--schedules"),
    ("thresholds-inputs-unknown", ["thresholds", "--inputs", "nope"], "--inputs"),
    ("thresholds-dim-zero", ["thresholds", "--dim", "0"], "--dim"),
    ("thresholds-t-huge", ["thresholds", "--t", "1000000000"], "--t"),
    ("thresholds-out-file", ["thresholds", "--out", "{d}/a-file"], "--out"),
    ("thresholds-json-dir", ["thresholds", "--json", "{d}"], "--json"),
    # --- the seed kinds (cga, licchavi, gmm) and the pfl workload ---------------------------------
    ("cga-rounds-float", sk("cga-linreg", "cga.rounds=1.5"), "cga.rounds = 1.5: expected an integer"),
    ("cga-experiment-unknown", sk("cga-linreg", 'cga.experiment="linear"'), "cga.experiment"),
    ("cga-key-typo", sk("cga-linreg", "cga.honnest=3"), "did you mean cga.honest?"),
    ("cga-regularization-unknown", sk("cga-linreg", 'cga.regularizations=["l3"]'), "cga.regularizations"),
    ("cga-system-table", sk("cga-linreg", "system.n=3"), "[system] is not used by scenario kind 'cga'"),
    ("licchavi-p0-one", sk("licchavi-manipulable", "licchavi.p0=1.0"), "licchavi.p0 = 1.0: must be >"),
    ("licchavi-queries-unknown", sk("licchavi-manipulable", 'licchavi.queries="grid"'), "licchavi.queries"),
    ("licchavi-A-not-above-1", sk("licchavi-theorem10", "licchavi.A_values=[0.5]"), "licchavi.A_values"),
    ("gmm-m-below-m-h", sk("gmm-silent", "gmm.m=1000"), "m_h"),
    ("gmm-delta-one", sk("gmm-silent", "gmm.delta=1.0"), "gmm.delta = 1.0: must be <"),
    ("gmm-attack-unknown", sk("gmm-silent", 'gmm.attack="worse"'), "gmm.attack"),
    ("gmm-network", sk("gmm-silent", "gmm.network=true"), "gmm.network = true"),
    ("gmm-table-elsewhere", s("gmm.k=3"), '[gmm] is only read when scenario.kind = "gmm"'),
    ("pfl-mode-server", sk("cga-learn", 'pfl.mode="server"'), 'pfl.mode = "server"'),
    ("pfl-dim-mismatch", sk("cga-learn", "system.dim=3"), "fixes d = 5 (pfl.d)"),
    ("pfl-without-workload", sl("pfl.d=3"), '[pfl] is only read when learn.workload = "pfl"'),
    ("cga-attack-param-typo", sk("cga-learn", "adversary.cga_projct=false"), "did you mean adversary.cga_project?"),
    # --- jungle worst-case ------------------------------------------------------------------------
    ("worst-case-unknown-algorithm", ["worst-case", "bogus", "--n", "5", "--f", "1"], "unknown algorithm 'bogus'"),
    ("worst-case-n-text", ["worst-case", "icwtm", "--n", "abc", "--f", "1"], "--n"),
    ("worst-case-f-negative", ["worst-case", "icwtm", "--n", "5", "--f", "-1"], "--f"),
    ("worst-case-n-at-most-2f", ["worst-case", "icwtm", "--n", "4", "--f", "2"], "--n 4 <= 2f = 4"),
    ("worst-case-json-dir", ["worst-case", "icwtm", "--n", "5", "--f", "1", "--json", "{d}", "--no-replay",
                             "--out", "{d}/wc"], "--json"),
    ("worst-case-time-limit-zero", ["worst-case", "mda", "--n", "5", "--f", "1", "--time-limit", "0"], "--time-limit"),
    ("worst-case-q-with-table", ["worst-case", "icwtm,median", "--n", "5", "--f", "1", "--q", "4"], "--q"),
    # --- jungle run --trace, jungle explain ---------------------------------------------------------
    ("trace-dir", [*ICWTM, "--trace", "{d}"], "--trace"),
    ("trace-under-file", [*ICWTM, "--trace", "{d}/a-file/t.jsonl"], "--trace"),
    ("trace-seed-kind", ["run", "gmm-silent", "--quiet", "--trace", "{d}/t.jsonl"], "no delivery trace"),
    ("trace-compare", ["run", "broadcast-contraction", "--quiet", "--trace", "{d}/t.jsonl"], "[compare] variants"),
    ("explain-unknown", ["explain", "icwtm-contractoin", "--out", "{d}/r.html"], "did you mean 'icwtm-contraction'?"),
    ("explain-missing-json", ["explain", "{d}/missing.json", "--out", "{d}/r.html"], "does not exist"),
    ("explain-not-json", ["explain", "{d}/table.json", "--out", "{d}/r.html"], "not JSON"),
    ("explain-json-list", ["explain", "{d}/result-list.json", "--out", "{d}/r.html"], "not a jungle result"),
    ("explain-json-shape", ["explain", "{d}/result-shape.json", "--out", "{d}/r.html"], "not a jungle result"),
    ("explain-json-set", ["explain", "{d}/result-shape.json", "--set", "system.n=5"], "--set and --seed apply to a scenario"),
    ("explain-iterations-zero", ["explain", "icwtm-contraction", "--iterations", "0"], "--iterations"),
    ("explain-iterations-text", ["explain", "icwtm-contraction", "--iterations", "two"], "--iterations"),
    ("explain-max-lanes-zero", ["explain", "icwtm-contraction", "--max-lanes", "0"], "--max-lanes"),
    ("explain-out-dir", ["explain", "icwtm-contraction", "--out", "{d}"], "--out"),
    ("explain-out-under-file", ["explain", "icwtm-contraction", "--out", "{d}/a-file/r.html"], "--out"),
    ("explain-bad-set", ["explain", "icwtm-contraction", "--set", "system.nn=5", "--out", "{d}/r.html"],
     "did you mean system.n?"),
    ("explain-learn", ["explain", "learn-quadratic", "--out", "{d}/r.html"], "draws agreement runs"),
    ("explain-seed-kind", ["explain", "gmm-silent", "--out", "{d}/r.html"], "no delivery trace"),
    ("explain-variant-unknown", ["explain", "broadcast-contraction", "--variant", "n=5 nope", "--out", "{d}/r.html"],
     "is not a variant"),
    ("explain-variant-plain", ["explain", "icwtm-contraction", "--variant", "x", "--out", "{d}/r.html"],
     "has no [compare] variants"),
    ("explain-bad-toml", ["explain", "{d}/bad.toml", "--out", "{d}/r.html"], "bad.toml"),
    # --- jungle bench, jungle schema ----------------------------------------------------------------
    ("bench-only-unknown", ["bench", "--only", "nope"], "--only"),
    ("bench-json-dir", ["bench", "--json", "{d}"], "--json"),
    ("schema-out-dir", ["schema", "--out", "{d}"], "--out"),
]


@pytest.mark.parametrize("argv,needle", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_malformed_is_one_line_and_status_2(argv, needle, d, capsys):
    args = [a.replace("{d}", str(d)) for a in argv]
    assert main(args) == 2
    out, err = capsys.readouterr()
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("jungle: error: "), err
    assert "Traceback" not in err and "Traceback" not in out
    assert needle in lines[0], (needle, lines[0])


def test_there_are_at_least_100_cases():
    assert len(CASES) >= 100
    assert len({c[0] for c in CASES}) == len(CASES)
