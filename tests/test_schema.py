"""The scenario schema: `jungle schema` prints a JSON Schema that every built-in scenario, grid and
committed counterexample satisfies (checked with the jsonschema package), malformed files do not, the
resolved scenario is immutable and carries its theory, and defaults live in the schema."""
from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest

from scenarios.cli.main import main
from scenarios.spec.files import builtin_dir, grid_dir
from scenarios.spec.jsonschema import grid_schema, scenario_schema

jsonschema = pytest.importorskip("jsonschema")

ROOT = Path(__file__).resolve().parent.parent
BUILTIN = sorted(p for p in builtin_dir().iterdir() if p.name.endswith(".toml"))
GRIDS = sorted(p for p in grid_dir().iterdir() if p.name.endswith(".toml"))
COUNTEREXAMPLES = sorted((ROOT / "docs" / "thresholds" / "counterexamples").glob("*.toml"))


def _validator(schema):
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def _data(path) -> dict:
    return tomllib.loads(path.read_text())


@pytest.fixture(scope="module")
def scenario_validator():
    return _validator(scenario_schema())


@pytest.fixture(scope="module")
def grid_validator():
    return _validator(grid_schema())


def test_jungle_schema_prints_the_json_schema(capsys):
    assert main(["schema"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == json.loads(json.dumps(scenario_schema()))
    assert printed["$schema"].startswith("https://json-schema.org/")
    assert {"scenario", "system", "algorithm", "inputs", "adversary", "run", "learn", "compare"} <= set(printed["properties"])
    assert {"cga", "licchavi", "gmm", "pfl"} <= set(printed["properties"])  # the seed kinds' tables
    assert main(["schema", "--grid"]) == 0
    assert "sweep" in json.loads(capsys.readouterr().out)["properties"]


def test_every_attack_and_schedule_parameter_is_in_the_schema():
    defs = scenario_schema()["$defs"]
    adversary = defs["Adversary"]["properties"]
    for key in ("noise_scale", "far_value", "split_push", "split_mode", "theorem5_delta", "groups", "alie_z",
                "foe_eta", "gaussian_std", "theorem7_push", "search_values", "search_silent", "search_support",
                "ipm_eps", "dissensus_eps", "cga_project"):
        assert key in adversary, key
    assert {"holds", "byzantine_first", "gated", "groups", "senders", "receivers", "q"} <= set(
        defs["ScheduleParams"]["properties"])


@pytest.mark.parametrize("path", BUILTIN + COUNTEREXAMPLES, ids=lambda p: p.name)
def test_builtin_scenarios_and_counterexamples_validate(path, scenario_validator):
    assert BUILTIN and COUNTEREXAMPLES
    scenario_validator.validate(_data(path))


@pytest.mark.parametrize("path", GRIDS, ids=lambda p: p.name)
def test_grids_validate_against_the_grid_schema(path, grid_validator):
    grid_validator.validate(_data(path))


def test_a_grid_is_not_a_scenario(scenario_validator):
    """Lists where a value is expected are what makes a grid: the scenario schema refuses them."""
    assert not scenario_validator.is_valid(_data(GRIDS[0]))


@pytest.mark.parametrize("bad", [
    {"system": {"n": "26"}},                          # text where a number is
    {"system": {"n": True}},                          # a boolean is not an integer
    {"system": {"n": 0}},                             # out of range
    {"system": {"nn": 5}},                            # unknown key
    {"sytem": {"n": 5}},                              # unknown table
    {"algorithm": {"name": ["icwtm"]}},              # a list where a name is
    {"algorithm": {"allow_below_threshold": "no"}},  # "no" is not a boolean
    {"algorithm": {"t": -1}},
    {"inputs": {"path": 5}},
    {"adversary": {"schedule_params": 5}},
    {"adversary": {"split_push": "far"}},
    {"adversary": {"bogus": 1}},                       # a key no attack declares
    {"run": {"max_steps": 0}},
    {"run": {"dispatch": "threads"}},
    {"compare": {"key": "nodot", "values": [1]}},
    {"compare": {"key": "algorithm.name", "values": []}},
    {"learn": {"rounds": 0}},
    {"learn": {"momentum": 1.0}},
    {"learn": {"hidden": [0]}},
    {"learn": {"hidden": 32}},
    {"learn": {"dataset": "cifar"}},
    {"learn": {"batch": "tiny"}},
    {"adversary": {"attack": "ipm", "ipm_eps": "x"}},
    {"scenario": {"kind": "both"}},
    {"cga": {"rounds": 0}},
    {"cga": {"regularizations": ["l3"]}},
    {"licchavi": {"bogus": 1}},
    {"licchavi": {"A_values": [1.0]}},
    {"gmm": {"delta": 1.0}},
    {"gmm": {"attack": "worse"}},
    {"pfl": {"regularization": "l3"}},
    {"pfl": {"d": 0}},
])
def test_malformed_files_do_not_validate(bad, scenario_validator, grid_validator):
    assert not scenario_validator.is_valid(bad)
    if not any(isinstance(v, list) for t in bad.values() if isinstance(t, dict) for v in t.values()):
        assert not grid_validator.is_valid(bad)


@pytest.mark.parametrize("bad", [{"sweep": {"seeds": "abc"}}, {"sweep": {"seeds": 0}}, {"sweep": {"literal": 5}},
                                 {"system": {"n": []}}, {"system": {"n": ["5"]}}])
def test_malformed_grids_do_not_validate(bad, grid_validator):
    assert not grid_validator.is_valid(bad)


def test_resolved_scenario_is_immutable_and_carries_its_theory():
    from pydantic import ValidationError

    from scenarios.run.execute import prepare

    sc = prepare("icwtm-contraction")
    with pytest.raises(ValidationError):
        sc.system.n = 5  # frozen
    with pytest.raises(Exception):
        sc.algorithm.theory.C = 0.0  # a frozen dataclass
    with pytest.raises(TypeError):
        sc.algorithm.theory.extra["C_formula"] = 0.0  # read-only mapping
    th = sc.algorithm.theory
    assert (th.n, th.f, th.q, th.d, th.t) == (sc.system.n, sc.system.f, sc.system.q, sc.system.dim, sc.algorithm.t)
    assert sc.as_json()["algorithm"]["theory"]["C"] == th.C
    # the result JSON's scenario: every default filled in, attack parameters written as [adversary] keys
    js = sc.as_json()
    assert js["adversary"]["split_push"] == 0.0 and js["run"]["max_steps"] == 50_000_000
    assert js["system"]["q"] == 21 and js["system"]["h"] == 21


def test_learn_digits_takes_d_from_its_workload():
    from scenarios.run.execute import prepare

    sc = prepare("learn-digits")
    assert sc.system.dim == sc.algorithm.theory.d == 650
    assert sc.learn.init_scale == 0.01


def test_learn_mnist_takes_d_from_its_workload():
    """The mlp workload's d follows learn.hidden and learn.dataset, without loading any data."""
    from nodes.datasets import DATASETS
    from scenarios.run.execute import prepare
    from scenarios.spec.schema import LearnTable

    sc = prepare("learn-mnist")
    assert sc.system.dim == sc.algorithm.theory.d == 784 * 32 + 32 + 32 * 10 + 10
    assert sc.learn.init_scale == 1.0 and sc.learn.hidden == [32] and sc.learn.momentum == 0.0
    sc = prepare("learn-mnist", ["learn.hidden=[16, 8]", 'learn.dataset="digits"'])
    assert sc.system.dim == 64 * 16 + 16 + 16 * 8 + 8 + 8 * 10 + 10
    assert prepare("learn-mnist", ['learn.workload="mnist"']).system.dim == 785 * 10
    # the schema's datasets are the loaders'
    assert set(LearnTable.model_json_schema()["properties"]["dataset"]["enum"]) == set(DATASETS)


def test_file_data_round_trips_through_resolution():
    """The resolved scenario written back as a file resolves to the same scenario."""
    from scenarios.run.execute import prepare
    from scenarios.spec.resolve import resolve

    for name in ("icwtm-contraction", "mda-theorem5", "learn-quadratic", "broadcast-below-threshold", "learn-mnist",
                 "gmm-silent", "licchavi-theorem10", "cga-learn"):
        sc = prepare(name)
        again = resolve(sc.file_data())
        assert again.as_json() == sc.as_json(), name


def test_a_plugin_attack_declares_and_receives_its_own_parameters():
    """A third-party attack declares its [adversary] keys as a Params model: they are typed and
    checked like jungle's own, reach the attack as a read-only object, and appear in the schema."""
    import numpy as np

    from net.params import PluginParams
    from nodes.adversary import Attack
    from nodes.attacks import ATTACKS
    from scenarios.errors import ScenarioError
    from scenarios.run.agreement import run_agreement
    from scenarios.spec.resolve import resolve

    got = []

    class Shift(Attack):
        name = "shift-test"

        class Params(PluginParams):
            shift: float = 1.0

        def write(self, b, r, instance, round_):
            got.append(self.adv.params.shift)
            return [self.vec(b, instance, round_, np.full(self.adv.d, self.adv.params.shift))]

    base = {"system": {"n": 6, "f": 1, "dim": 2}, "algorithm": {"name": "icwtm", "t": 1},
            "adversary": {"attack": "shift-test", "schedule": "fifo"}}
    with ATTACKS.temporarily("shift-test", Shift):
        sc = resolve({**base, "adversary": {**base["adversary"], "shift": 2.5}})
        assert sc.adversary.params.shift == 2.5 and sc.as_json()["adversary"]["shift"] == 2.5
        assert "shift" in scenario_schema()["$defs"]["Adversary"]["properties"]
        run_agreement(sc)
        assert got and set(got) == {2.5}
        with pytest.raises(ScenarioError, match="adversary.shift = 'far': expected a number"):
            resolve({**base, "adversary": {**base["adversary"], "shift": "far"}})
        with pytest.raises(ScenarioError, match="did you mean adversary.shift"):
            resolve({**base, "adversary": {**base["adversary"], "shfit": 1.0}})
        assert resolve(base).adversary.params.shift == 1.0  # the default, declared once by the plugin


def test_nothing_below_scenarios_reads_a_config_dict():
    """The resolved scenario stays in scenarios/: agreement/, net/ and nodes/ get typed values."""
    for top in ("agreement", "net", "nodes"):
        for path in (ROOT / top).rglob("*.py"):
            text = path.read_text()
            for needle in ('cfg[', '"cfg"', "_learn", ".cfg", "params.get("):
                assert needle not in text, (path, needle)


def test_inputs_path_is_relative_to_the_scenario_file(tmp_path, monkeypatch):
    import numpy as np

    from scenarios.run.execute import execute, prepare

    sub = tmp_path / "here"
    sub.mkdir()
    x = np.arange(10, dtype=np.int64).reshape(5, 2)  # integers are numbers too
    np.save(sub / "x.npy", x)
    (sub / "s.toml").write_text('[system]\nn = 6\nf = 1\ndim = 2\n[algorithm]\nt = 1\n'
                                '[inputs]\nkind = "file"\npath = "x.npy"\n[adversary]\nattack = "silent"\n')
    monkeypatch.chdir(tmp_path)  # not the scenario's directory
    sc = prepare(str(sub / "s.toml"))
    assert sc.inputs.path == str((sub / "x.npy").resolve())
    r = execute(sc, progress=False)
    assert r["scenario"]["inputs"]["path"] == sc.inputs.path
    assert r["iterations"][0]["diameter"] > 0
