"""``jungle run --trace`` and ``jungle explain`` (issue 17): the trace is the data the digest hashes
(re-hashing it gives the reported digest) and recording it changes nothing in the run; the
diagram's arrows are exactly the trace's deliveries of the rendered iterations; the trajectory
points are the recorded values; the q vectors marked as used reproduce each honest node's next
value; the report is self-contained; large runs are sampled and say what they left out."""
from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

from agreement.rules import get_rule
from net.trace import digest_of
from scenarios.cli.main import main
from scenarios.explore.explain import explain
from scenarios.explore.shrink import to_toml
from scenarios.report.msc import used_flags
from scenarios.run.execute import execute, prepare
from scenarios.run.tracing import read_trace

ROOT = Path(__file__).resolve().parent.parent
ICWTM_N5 = str(ROOT / "docs/thresholds/counterexamples/icwtm-f1-n5.toml")
"""ICwTM at n = 4f + 1 = 5 (Theorem 5's construction): two honest groups that never agree."""
SVG = "{http://www.w3.org/2000/svg}"


def _arrows(svg_text: str) -> list[dict[str, str]]:
    root = ET.fromstring(svg_text)
    return [dict((k.removeprefix("data-"), v) for k, v in g.attrib.items() if k.startswith("data-"))
            for g in root.iter(f"{SVG}g") if g.get("class") == "arrow"]


@pytest.fixture(scope="module")
def traced(tmp_path_factory):
    """``jungle run ICWTM_N5 --trace t.jsonl --json r.json``: the trace and the result."""
    d = tmp_path_factory.mktemp("trace")
    assert main(["run", ICWTM_N5, "--quiet", "--trace", str(d / "t.jsonl"), "--json", str(d / "r.json")]) == 0
    return read_trace(d / "t.jsonl"), json.loads((d / "r.json").read_text()), d


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    d = tmp_path_factory.mktemp("explain")
    ex = explain(ICWTM_N5, d / "report.html", iterations=3)
    return ex, d


def test_trace_rehashes_to_the_reported_digest(traced):
    trace, result, _ = traced
    outputs = [bytes.fromhex(h) for h in trace.end["outputs"]]
    assert digest_of(trace.records, outputs) == result["trace_digest"] == trace.end["trace_digest"]
    assert len(trace.records) == result["steps"] == result["messages"]["delivered"]
    assert [r["step"] for r in trace.records] == list(range(1, len(trace.records) + 1))


def test_recording_changes_nothing(traced):
    _, result, _ = traced
    plain = execute(prepare(ICWTM_N5), progress=False)
    assert plain["trace_digest"] == result["trace_digest"]
    assert plain["messages"] == result["messages"]
    assert plain["checks"] == result["checks"]


def test_trace_records_have_the_issue_fields(traced):
    trace, _, _ = traced
    for r in trace.records:
        for key in ("step", "sender", "receiver", "kind", "instance", "round", "size", "verdict", "forced", "sent",
                    "value", "signature"):
            assert key in r
        assert r["sent"] <= r["step"]
        assert len(r["value"]["x"]) == trace.header["d"]  # d = 2: the value itself
    h = len(trace.header["honest"])
    its = max(v["iteration"] for v in trace.values)
    assert len(trace.values) == h * (its + 1)


def test_trace_on_broadcast_learn_and_server_rehashes(tmp_path):
    """The same trace for every protocol that uses the network: broadcast, LEARN (over iterate) and
    the trusted server."""
    for name, sets in (("broadcast-below-threshold", []), ("learn-quadratic", ["learn.rounds=2"]),
                       ("learn-quadratic", ["learn.rounds=2", 'algorithm.name="server"'])):
        path = tmp_path / f"{name}.jsonl"
        argv = ["run", name, "--quiet", "--trace", str(path), "--json", str(tmp_path / "r.json")]
        if name == "broadcast-below-threshold":
            argv = ["run", str(tmp_path / "b.toml"), "--quiet", "--trace", str(path), "--json", str(tmp_path / "r.json")]
            sc = prepare(name)
            (tmp_path / "b.toml").write_text(to_toml(sc.variants[0].file_data() if sc.variants else sc.file_data()))
        for s in sets:
            argv += ["--set", s]
        assert main(argv) == 0
        trace = read_trace(path)
        result = json.loads((tmp_path / "r.json").read_text())
        assert trace.records
        assert digest_of(trace.records, [bytes.fromhex(h) for h in trace.end["outputs"]]) == result["trace_digest"]


def test_arrows_are_the_trace_deliveries(report, traced):
    ex, d = report
    trace, _, _ = traced
    svg = (d / "report.svg").read_text()
    arrows = _arrows(svg)
    k = ex.diagram.iterations
    assert k == 3 and not ex.diagram.omitted
    delivered = [a for a in arrows if a["delivered"] == "true"]
    expected = [r for r in trace.records if r["round"] < k]
    assert len(delivered) == len(expected) > 0
    key = lambda a: (int(a["step"]), int(a["sender"]), int(a["receiver"]), a["kind"], int(a["round"]))  # noqa: E731
    assert [key(a) for a in delivered] == [(r["step"], r["sender"], r["receiver"], r["kind"], r["round"])
                                           for r in expected]
    assert [a["verdict"] for a in delivered] == [r["verdict"] for r in expected]
    # the honest messages never delivered (pruned as stale) of those iterations, drawn and marked
    last = expected[-1]["step"]
    never = [a for a in arrows if a["delivered"] == "false"]
    dropped = [u for u in trace.undelivered if u["round"] < k and u["sent"] <= last]
    assert sorted((int(a["sender"]), int(a["receiver"]), int(a["round"]), int(a["step"])) for a in never) == \
        sorted((u["sender"], u["receiver"], u["round"], u["step"]) for u in dropped)
    assert never and all(a["held"] == "true" for a in never)
    # the in-memory trace explain used is the one jungle run --trace wrote
    assert [(r["step"], r["signature"]) for r in ex.trace.records] == [(r["step"], r["signature"]) for r in trace.records
                                                                      if r["round"] < k]
    # Byzantine arrows carry the value each recipient got: the two groups got different values
    byz = {a["receiver"]: a for a in delivered if a["byzantine"] == "true" and a["round"] == "0"}
    root = ET.fromstring(svg)
    labels = {g.get("data-receiver"): "".join(t.text or "" for t in g.iter(f"{SVG}text"))
              for g in root.iter(f"{SVG}g") if g.get("class") == "arrow" and g.get("data-byzantine") == "true"
              and g.get("data-round") == "0"}
    assert set(byz) == set(labels) and len(set(labels.values())) == 2  # equivocation, at a glance


def test_png_and_html_written(report):
    ex, d = report
    assert ex.png is not None and ex.png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    html = ex.html.read_text()
    assert "<svg" in html and "Verdicts" in html and "jungle run " in html


def test_trajectory_points_are_the_recorded_values(report):
    ex, d = report
    html = ex.html.read_text()
    start = html.index('<svg xmlns="http://www.w3.org/2000/svg" class="trajectories"')
    root = ET.fromstring(html[start:html.index("</svg>", start) + 6])
    pts = {(int(c.get("data-node")), int(c.get("data-iteration"))): float(c.get("data-value"))
           for c in root.iter(f"{SVG}circle") if c.get("class") == "point"}
    recorded = {(v["node"], v["iteration"]): v["proj"] for v in ex.trace.values}
    assert pts == recorded
    # d = 2, direction of the honest spread e_1: the projection is the first coordinate
    assert all(v["proj"] == v["x"][0] for v in ex.trace.values)


def test_used_vectors_reproduce_each_next_value(report):
    """The q vectors marked used (own + the first q - 1 accepted) give, through the rule, exactly the
    node's recorded next value: the diagram's used/dropped split is the machine's."""
    ex, _ = report
    h = ex.trace.header
    rule = get_rule("cwtm")
    used = used_flags(ex.trace.records, h["q"], h["include_self"])
    vals = {(v["node"], v["iteration"]): np.asarray(v["x"]) for v in ex.trace.values}
    gathered: dict[tuple[int, int], list[np.ndarray]] = {}
    for r, u in zip(ex.trace.records, used):
        if u:
            gathered.setdefault((r["receiver"], r["round"]), []).append(np.asarray(r["value"]["x"]))
    assert gathered
    for (node, k), rows in gathered.items():
        assert len(rows) == h["q"] - 1
        own = vals[(node, k)]
        X = np.stack([own, *rows])
        np.testing.assert_array_equal(rule(X, h["f"], own), vals[(node, k + 1)])


def test_report_is_self_contained(report):
    ex, _ = report
    html = ex.html.read_text()
    for text in (html, (ex.svg).read_text()):
        assert "<script" not in text.lower()
        assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", text, re.I)
        assert not re.search(r"<link\b", text, re.I)
        assert "@import" not in text and "url(" not in text
        assert set(re.findall(r"https?://[^\s\"'<>]+", text)) <= {"http://www.w3.org/2000/svg"}


def test_explain_a_result_json(traced, tmp_path, capsys):
    _, result, d = traced
    out = tmp_path / "from-json.html"
    assert main(["explain", str(d / "r.json"), "--out", str(out), "--no-png"]) == 0
    assert out.exists() and out.with_suffix(".svg").exists()
    html = out.read_text()
    assert result["trace_digest"] in html and "differs" not in html
    assert "report written to" in capsys.readouterr().out


def test_explain_a_scenario_by_cli(tmp_path, capsys):
    out = tmp_path / "r.html"
    assert main(["explain", "icwtm-below-threshold", "--out", str(out), "--iterations", "1", "--no-png"]) == 0
    arrows = _arrows(out.with_suffix(".svg").read_text())
    assert arrows and all(a["round"] == "0" for a in arrows)


def test_large_n_is_sampled_and_says_what_it_left_out(tmp_path):
    ex = explain("icwtm-contraction", tmp_path / "big.html", sets=["algorithm.iterations=2"], png=False)
    d = ex.diagram
    assert len(d.lanes) <= 12 and d.omitted
    assert any("honest nodes" in t for t in d.omitted)
    shown = {lane.node for lane in d.lanes}
    assert all(a.sender in shown and a.receiver in shown for a in d.arrows)
    # every delivery among the shown lanes of the rendered iterations, no other
    expected = [r for r in ex.trace.records if r["round"] < d.iterations and r["sender"] in shown
                and r["receiver"] in shown]
    assert len([a for a in d.arrows if a.delivered]) == len(expected)
    html = ex.html.read_text()
    assert "Sampled: left out" in html
    assert "left out:" in ex.svg.read_text()


def test_broadcast_variant_and_liveness_marks(tmp_path):
    """Broadcast (every kind), and the deliveries the network's liveness rule forced, marked."""
    ex = explain("broadcast-contraction", tmp_path / "b.html", variant="n=4 silent", png=False)
    d = ex.diagram
    assert d.arrows and len(d.kinds) > 1
    assert any("n=4 silent" in note for note in ex.notes)
    assert not d.judged_use  # broadcast: no used/dropped mark
    arrows = [a for a in _arrows(ex.svg.read_text()) if a["delivered"] == "true"]
    expected = [r for r in ex.trace.records if r["round"] < d.iterations]
    assert [(int(a["step"]), a["kind"], a["forced"]) for a in arrows] == \
        [(r["step"], r["kind"], r["forced"] or "") for r in expected]
    assert any(a["forced"] == "liveness" for a in arrows)
