"""Third-party plugins through entry points: the example package in examples/ is pip-installed (into
a temporary target directory, so this environment is not changed) and used by a jungle subprocess;
the registries themselves (names, suggestions, no silent shadowing)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from agreement.registry import Registry, UnknownName
from agreement.rules import RULES, get_rule
from net.schedules import SCHEDULES
from nodes.attacks import ATTACKS, BROADCAST_ATTACKS
from scenarios.cli.main import COMMANDS
from scenarios.run.workloads import WORKLOADS
from scenarios.run.protocols import PROTOCOLS
from scenarios.spec.inputs import CONSTRUCTIONS

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "jungle-plugin-example"


def _install(src: Path, target: Path) -> None:
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target), str(src)],
                   check=True, capture_output=True)


def _jungle(args: list[str], pythonpath: Path, cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(pythonpath), str(ROOT)]))
    return subprocess.run([sys.executable, "-m", "scenarios", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300)


@pytest.fixture(scope="module")
def plugin_path(tmp_path_factory):
    target = tmp_path_factory.mktemp("site")
    _install(EXAMPLE, target)
    return target


def test_every_registry_has_a_distinct_entry_point_group():
    regs = [RULES, SCHEDULES, ATTACKS, BROADCAST_ATTACKS, PROTOCOLS, CONSTRUCTIONS, WORKLOADS, COMMANDS]
    groups = [r.group for r in regs]
    assert len(set(groups)) == len(groups) and all(g.startswith("jungle.") for g in groups)


def test_unknown_name_suggests_the_closest():
    with pytest.raises(UnknownName, match=r"did you mean 'cwtm'"):
        get_rule("cwmt")
    with pytest.raises(UnknownName, match=r"unknown attack 'zzz'"):
        ATTACKS["zzz"]


def test_a_name_is_taken_once():
    reg = Registry("thing", "jungle.things")
    reg.register("a", 1)
    with pytest.raises(ValueError):
        reg.register("a", 2)
    with reg.temporarily("b", 3):
        assert reg["b"] == 3
    assert "b" not in reg


def test_plugin_attack_schedule_rule_and_command_from_an_installed_package(plugin_path, tmp_path):
    out = tmp_path / "mirror.json"
    r = _jungle(["run", "icwtm-contraction", "--quiet", "--set", "adversary.attack=mirror", "--set",
                 "adversary.mirror_gain=3.0", "--set", "adversary.schedule=starve-0", "--json", str(out)],
                plugin_path, tmp_path)
    assert r.returncode == 0, r.stderr
    res = json.loads(out.read_text())
    assert res["scenario"]["adversary"]["attack"] == "mirror"
    assert res["scenario"]["adversary"]["params"]["mirror_gain"] == 3.0 if "params" in res["scenario"]["adversary"] \
        else res["scenario"]["adversary"]["mirror_gain"] == 3.0
    assert res["scenario"]["adversary"]["schedule"] == "starve-0"
    assert res["checks"]["termination"]["holds"]
    base = tmp_path / "split.json"
    r = _jungle(["run", "icwtm-contraction", "--quiet", "--set", "adversary.schedule=starve-0", "--json", str(base)],
                plugin_path, tmp_path)
    assert r.returncode == 0, r.stderr
    assert json.loads(base.read_text())["trace_digest"] != res["trace_digest"]  # the plugin's payloads ran

    out = tmp_path / "midrange.json"
    r = _jungle(["run", "icwtm-contraction", "--quiet", "--set", "algorithm.name=midrange", "--set",
                 "algorithm.iterations=3", "--json", str(out)], plugin_path, tmp_path)
    assert r.returncode == 0, r.stderr
    assert json.loads(out.read_text())["scenario"]["algorithm"]["rule"] == "midrange"

    r = _jungle(["run", "icwtm-contraction", "--quiet", "--set", "adversary.attack=mirror", "--set",
                 "adversary.mirror_gain=\"big\""], plugin_path, tmp_path)
    assert r.returncode == 2 and "mirror_gain" in r.stderr and r.stderr.count("\n") == 1  # typed like jungle's own

    r = _jungle(["hello"], plugin_path, tmp_path)
    assert r.returncode == 0 and "mirror registered: True" in r.stdout


def test_without_the_package_the_names_are_unknown(tmp_path):
    r = _jungle(["run", "icwtm-contraction", "--quiet", "--set", "adversary.attack=mirror"], tmp_path, tmp_path)
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1 and "mirror" in r.stderr and "Traceback" not in r.stderr


def test_a_broken_plugin_is_one_line_not_a_traceback(tmp_path):
    pkg = tmp_path / "broken"
    (pkg / "broken_plugin").mkdir(parents=True)
    (pkg / "broken_plugin" / "__init__.py").write_text("raise RuntimeError('boom')\n")
    (pkg / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["setuptools>=68"]\nbuild-backend = "setuptools.build_meta"\n'
        '[project]\nname = "broken-plugin"\nversion = "0"\n'
        '[project.entry-points."jungle.attacks"]\nbroken = "broken_plugin:X"\n'
        '[tool.setuptools]\npackages = ["broken_plugin"]\n')
    site = tmp_path / "site"
    _install(pkg, site)
    r = _jungle(["run", "icwtm-contraction", "--quiet"], site, tmp_path)
    assert r.returncode == 2, r.stderr
    assert r.stderr.count("\n") == 1 and "broken" in r.stderr and "RuntimeError: boom" in r.stderr


def test_plugin_workload_from_an_installed_package_runs_learn(plugin_path, tmp_path):
    """The example package's ``blobs`` workload (entry point group ``jungle.workloads``) trains under
    LEARN over ICwTM, under label flipping (its ``flipped_grad``), and against the trusted server."""
    base = ["--quiet", "--set", "learn.workload=blobs", "--set", "learn.rounds=20", "--set", "learn.eta=0.5",
            "--set", "learn.init_scale=1.0", "--set", "learn.output=last", "--set", "system.n=7", "--set", "system.f=1", "--set", "system.dim=5"]
    for i, extra in enumerate(([], ["--set", "adversary.attack=lf"],
                               ["--set", "algorithm.name=server", "--set", "algorithm.rule=nnm+cwtm"])):
        out = tmp_path / f"blobs{i}.json"
        r = _jungle(["run", "learn-quadratic", *base, *extra, "--json", str(out)], plugin_path, tmp_path)
        assert r.returncode == 0, r.stderr
        res = json.loads(out.read_text())
        assert res["learn"]["workload"]["workload"] == "blobs" and res["learn"]["workload"]["d"] == 5
        assert res["checks"]["termination"]["holds"] and res["checks"]["agreement"]["holds"]
        rows = res["learn"]["rounds"]
        assert rows[-1]["loss"] < rows[0]["loss"]
        assert res["learn"]["final"]["accuracy_of_mean"] > 0.75 > rows[0]["accuracy_of_mean"]  # 0.47 at theta_1

    r = _jungle(["run", "learn-quadratic", "--quiet", "--set", "learn.workload=blobs"], tmp_path, tmp_path)
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "blobs" in r.stderr  # not installed: one line
