"""Sweeps: grid expansion, run keys, resume after an interruption, CSV, local processes vs Dask."""
from __future__ import annotations

import csv
import json

import pytest

from scenarios.explore.sweep import expand, load_grid, run_key, run_sweep
from scenarios.run.execute import execute, prepare

GRID = {
    "sweep": {"seeds": [1, 2]},
    "scenario": {"name": "tiny"},
    "system": {"n": [5, 6], "f": 1, "dim": 2},
    "algorithm": {"name": "icwtm", "t": 1, "allow_below_threshold": True},
    "adversary": {"attack": ["split", "equivocate"], "schedule": "random"},
}


def _sets(p):
    return [f"{k}={json.dumps(v)}" for k, v in p.values.items()] + [
        "system.f=1", "system.dim=2", "algorithm.name=\"icwtm\"", "algorithm.t=1",
        "algorithm.allow_below_threshold=true", "adversary.schedule=\"random\""]


def test_expand_product_seeds_literal_and_invalid():
    g = expand(GRID)
    assert g.swept == ["system.n", "adversary.attack"]
    assert len(g.points) == 2 * 2 * 2
    assert sorted({(p.values["system.n"], p.values["adversary.attack"], p.seed) for p in g.points}) == sorted(
        (n, a, s) for n in (5, 6) for a in ("split", "equivocate") for s in (1, 2))
    assert len({p.key for p in g.points}) == 8
    for p in g.points:
        assert p.scenario.system.n == p.values["system.n"] and p.scenario.scenario.seed == p.seed
    # a literal list is one value, not an axis; an impossible point is recorded, not raised
    g2 = expand({**GRID, "sweep": {"seeds": 1, "literal": ["inputs.values"]},
                 "system": {"n": [3, 5], "f": 1, "dim": 1},
                 "inputs": {"kind": "values", "values": [[0.0], [1.0], [2.0], [3.0]]}})
    assert g2.swept == ["system.n", "adversary.attack"]
    bad = [p for p in g2.points if p.scenario is None]
    assert bad and all(p.values["system.n"] == 3 for p in bad) and all(p.error for p in bad)


def test_run_key_is_the_resolved_scenario_and_seed():
    a = prepare("icwtm-contraction", ["system.n=9", "system.f=1"], 3)
    b = prepare("icwtm-contraction", ["system.n=9", "system.f=1", "scenario.name=\"other\""], 3)
    c = prepare("icwtm-contraction", ["system.n=9", "system.f=1"], 4)
    d = prepare("icwtm-contraction", ["system.n=9", "system.f=1", "system.q=7"], 3)
    # q = 8 is the default here: writing it out changes nothing; another q is another run
    e = prepare("icwtm-contraction", ["system.n=9", "system.f=1", "system.q=8"], 3)
    assert run_key(a) == run_key(b) == run_key(e)
    assert run_key(a) != run_key(c) and run_key(a) != run_key(d)


def test_interrupted_sweep_resumes_only_missing_runs(tmp_path):
    g = expand(GRID)
    seen = []

    def stop_after_three(key, result):
        seen.append(key)
        if len(seen) == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_sweep(g, tmp_path, workers=1, progress=False, on_result=stop_after_three)
    saved = sorted(p.stem for p in (tmp_path / "runs").glob("*.json"))
    assert saved == sorted(seen)
    # the table written on interruption says which are missing
    rows = list(csv.DictReader(open(tmp_path / "results.csv")))
    assert sorted(r["status"] for r in rows) == ["done"] * 3 + ["missing"] * 5

    rep = run_sweep(expand(GRID), tmp_path, workers=1, progress=False)
    assert sorted(rep.skipped) == sorted(seen)
    assert sorted(rep.ran) == sorted({p.key for p in g.points} - set(seen))
    rows = list(csv.DictReader(open(tmp_path / "results.csv")))
    assert len(rows) == 8 and all(r["status"] == "done" for r in rows)
    for r in rows:
        res = json.loads((tmp_path / "runs" / f"{r['key']}.json").read_text())
        assert r["digest"] == res["trace_digest"]
        assert r["contraction.holds"] == str(res["checks"]["contraction"]["holds"])
        assert float(r["contraction.measured"]) == res["checks"]["contraction"]["measured"]
        assert int(r["system.n"]) == res["scenario"]["system"]["n"] and int(r["seed"]) == res["seed"]
        assert r["adversary.attack"] == res["scenario"]["adversary"]["attack"]
    # a third start runs nothing
    assert run_sweep(expand(GRID), tmp_path, workers=1, progress=False).ran == []
    # each stored run is the run `jungle run` makes of the same scenario and seed
    p = g.points[5]
    direct = execute(prepare("icwtm-contraction", _sets(p), p.seed), progress=False)
    stored = json.loads((tmp_path / "runs" / f"{p.key}.json").read_text())
    assert direct["trace_digest"] == stored["trace_digest"]


def test_local_processes_and_dask_cluster_give_the_same_digests(tmp_path):
    distributed = pytest.importorskip("distributed")
    grid = {**GRID, "sweep": {"seeds": [1]}}
    a = run_sweep(expand(grid), tmp_path / "procs", workers=2, progress=False)
    assert len(a.ran) == 4
    import dask

    # generous timeouts: worker processes start cold (imports) on a loaded 2-core CI machine
    with dask.config.set({"distributed.comm.timeouts.connect": "60s", "distributed.deploy.lost-worker-timeout": "60s"}), \
            distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cl:
        b = run_sweep(expand(grid), tmp_path / "dask", dask=cl.scheduler_address, progress=False)
    assert sorted(b.ran) == sorted(a.ran)
    da = {k: r["trace_digest"] for k, r in a.results.items()}
    db = {k: r["trace_digest"] for k, r in b.results.items()}
    assert da == db and len(set(da.values())) == 4


def test_builtin_grids_expand():
    from importlib import resources

    files = [p for p in (resources.files("scenarios.spec") / "grids").iterdir() if p.name.endswith(".toml")]
    assert files
    for f in files:
        g = load_grid(str(f))
        assert g.points and any(p.scenario is not None for p in g.points)
