"""Every counterexample committed under docs/thresholds replays: same trace digest, still failing."""
import json
from pathlib import Path

import pytest

from scenarios.run.execute import execute, prepare

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


CASES = _collect(json.loads(DOC.read_text()), []) if DOC.exists() else []


@pytest.mark.parametrize("case", CASES, ids=[Path(c["file"]).stem for c in CASES])
def test_counterexample_replays(case):
    cfg = prepare(str(ROOT / case["file"]), [], case["seed"])
    r = execute(cfg, progress=False)
    assert r["trace_digest"] == case["digest"]
    checks = r["checks"]
    assert not (checks["termination"]["holds"] and checks["contraction"]["holds"]
                and checks["averaging"]["holds"] is not False)  # it still breaks something


def test_there_are_counterexamples():
    assert len(CASES) >= 8
