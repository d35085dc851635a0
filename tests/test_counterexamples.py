"""Every counterexample committed under docs/thresholds is a break, not slow contraction: it replays
to its recorded digest, its scenario runs for the horizon of the explorer (max(4 N, 24) iterations,
N the iteration count the scenario resolves to without an explicit one), and it still breaks there."""
import json
from pathlib import Path

import pytest

from scenarios.explore.breaks import horizon, kind_of
from scenarios.run.execute import execute, prepare
from scenarios.spec.resolve import resolve

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "thresholds" / "thresholds.json"


def _collect(node, out):
    if isinstance(node, dict):
        if "file" in node and "digest" in node and "seed" in node:
            out.append(node)
        for v in node.values():
            _collect(v, out)
    elif isinstance(node, list):
        for v in node:
            _collect(v, out)
    return out


CASES = {c["file"]: c for c in _collect(json.loads(DOC.read_text()), [])}.values() if DOC.exists() else []
CASES = sorted(CASES, key=lambda c: c["file"])


@pytest.mark.parametrize("case", CASES, ids=[Path(c["file"]).stem for c in CASES])
def test_counterexample_replays_and_breaks_at_its_horizon(case):
    scenario = prepare(str(ROOT / case["file"]), [], case["seed"])
    r = execute(scenario, progress=False)
    assert r["trace_digest"] == case["digest"]
    assert kind_of(r) is not None, r["checks"]
    assert case["break"]["kind"] == kind_of(r)
    data = scenario.file_data()
    data["algorithm"].pop("iterations")
    base = resolve(data).algorithm.iterations
    assert scenario.algorithm.iterations == horizon(base)


def test_there_are_counterexamples():
    assert len(CASES) >= 8
