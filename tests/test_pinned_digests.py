"""Behaviour pinned: the trace digest of every built-in scenario (each [compare] variant) and of every
committed counterexample, recorded before the layout change of issue 11. A refactor that changes any
delivery, payload or output changes a digest and fails here."""
import json
from pathlib import Path

import pytest

from scenarios.run.execute import execute, prepare

ROOT = Path(__file__).resolve().parent.parent
PINNED = json.loads((Path(__file__).parent / "data" / "pinned_digests.json").read_text())


def _digests(scenario: str) -> list[str]:
    r = execute(prepare(scenario, [], None), progress=False)
    return [v["trace_digest"] for v in r["variants"]] if "variants" in r else [r["trace_digest"]]


@pytest.mark.parametrize("name", sorted(PINNED["builtin"]))
def test_builtin_digest_pinned(name):
    assert _digests(name) == PINNED["builtin"][name]


@pytest.mark.parametrize("name", sorted(PINNED["counterexamples"]))
def test_counterexample_digest_pinned(name):
    path = ROOT / "docs" / "thresholds" / "counterexamples" / name
    assert _digests(str(path)) == [PINNED["counterexamples"][name]]


@pytest.mark.parametrize("name", sorted(PINNED.get("fixed", {})))
def test_fixed_scenario_digest_pinned(name):
    """Scenario files kept fixed under tests/data (counterexamples of an earlier thresholds run that the
    explorer has since replaced by others): their digests must never change either."""
    assert _digests(str(ROOT / "tests" / "data" / name)) == [PINNED["fixed"][name]]


def test_every_builtin_is_pinned():
    from scenarios.spec.files import builtin_names

    assert sorted(PINNED["builtin"]) == builtin_names()
