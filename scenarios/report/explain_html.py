"""The self-contained HTML report of ``jungle explain``: the message-sequence diagram and the honest
trajectories as inline SVG, the verdicts, the theory constants, the per-iteration table, the
message counts and the scenario with the command that replays it. No script, no external font,
style sheet or image: the file opens offline."""
from __future__ import annotations

from html import escape
from typing import Any

from scenarios.report.msc import Diagram
from scenarios.report.text import fmt

CSS = """
body{font-family:DejaVu Sans,Arial,Helvetica,sans-serif;margin:24px;color:#1a1a1a;max-width:1500px}
h1{font-size:22px;margin:0 0 6px} h2{font-size:17px;margin:26px 0 8px;border-bottom:1px solid #ddd}
.facts{color:#333;font-size:13px;line-height:1.55}
code,pre{font-family:DejaVu Sans Mono,Menlo,Consolas,monospace;font-size:12px}
pre{background:#f6f6f4;border:1px solid #e2e2dc;padding:10px;overflow:auto}
table{border-collapse:collapse;font-size:12px;margin:6px 0}
td,th{border:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top}
th{background:#f3f3f0}
.holds{color:#11751e;font-weight:bold}.fails{color:#c0121a;font-weight:bold}.na{color:#946200}
.note{background:#fff7e0;border:1px solid #f0d080;padding:6px 10px;font-size:13px;margin:8px 0}
.figure{overflow-x:auto;border:1px solid #e5e5e5;padding:4px;background:white}
.small{font-size:12px;color:#444}
"""


def _num(v: Any) -> str:
    """A cell's text (the console's :func:`scenarios.report.text.fmt`), HTML-escaped."""
    return escape(fmt(v))


def _verdict(holds: Any) -> str:
    if holds is None:
        return '<span class="na">n/a</span>'
    return '<span class="holds">HOLDS</span>' if holds else '<span class="fails">FAILS</span>'


def _checks(result: dict[str, Any]) -> str:
    rows = ["<table><tr><th>check</th><th>verdict</th><th>measured</th><th>bound</th><th>what</th></tr>"]
    for name, c in result.get("checks", {}).items():
        detail = c.get("detail", "") or c.get("reason", "")
        rows.append(f"<tr><td>{escape(name)}</td><td>{_verdict(c.get('holds'))}</td><td>{_num(c.get('measured'))}</td>"
                    f"<td>{_num(c.get('bound'))}</td><td>{escape(str(detail))}</td></tr>")
    rows.append("</table>")
    return "".join(rows)


def _kv(d: dict[str, Any]) -> str:
    rows = ["<table>"]
    for k, v in d.items():
        if isinstance(v, (dict, list)):
            v = ", ".join(f"{a}: {_num(b)}" for a, b in v.items()) if isinstance(v, dict) else ", ".join(map(_num, v))
            rows.append(f"<tr><th>{escape(str(k))}</th><td>{v}</td></tr>")
        else:
            rows.append(f"<tr><th>{escape(str(k))}</th><td>{_num(v)}</td></tr>")
    rows.append("</table>")
    return "".join(rows)


def _iterations(result: dict[str, Any], limit: int = 60) -> str:
    its = result.get("iterations") or []
    if not its:
        return ""
    cols = [c for c in ("iteration", "diameter", "cw_diameter", "bound", "avg_error", "nodes") if c in its[0]]
    rows = ["<table><tr>" + "".join(f"<th>{c}</th>" for c in cols) + "</tr>"]
    for r in its[:limit]:
        rows.append("<tr>" + "".join(f"<td>{_num(r.get(c))}</td>" for c in cols) + "</tr>")
    rows.append("</table>")
    if len(its) > limit:
        rows.append(f'<p class="small">{len(its) - limit} later iterations not shown (the result JSON has them all).</p>')
    return "".join(rows)


def report_html(*, result: dict[str, Any], diagram: Diagram, diagram_svg: str, trajectories_svg: str,
                replay: str, scenario_toml: str, groups: dict[int, int], notes: list[str]) -> str:
    sc = result["scenario"]
    s, a, adv = sc["system"], sc["algorithm"], sc["adversary"]
    name = sc["scenario"]["name"]
    group_text = []
    for g in sorted(set(groups.values())):
        members = sorted(i for i, gg in groups.items() if gg == g)
        group_text.append(f"group {chr(65 + g)}: nodes {', '.join(map(str, members))}")
    held = sum(1 for x in diagram.arrows if x.held)
    never = sum(1 for x in diagram.arrows if not x.delivered)
    forced = sum(1 for x in diagram.arrows if x.forced)
    byz = sum(1 for x in diagram.arrows if x.byzantine)
    parts = [
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        f"<title>jungle explain: {escape(name)}</title>", f"<style>{CSS}</style></head><body>",
        f"<h1>jungle explain: {escape(name)}</h1>",
        f'<div class="facts">{escape(sc["scenario"].get("description", ""))}<br>'
        f"n = {s['n']}, f = {s['f']}, h = {s['h']}, q = {s['q']}, d = {s['dim']}, include_self = {_num(s['include_self'])}; "
        f"algorithm <b>{escape(a['name'])}</b> (rule {escape(str(a.get('rule')))}), t = {a.get('t')}, "
        f"iterations = {a.get('iterations')}; attack <b>{escape(adv['attack'])}</b>, schedule "
        f"<b>{escape(adv['schedule'])}</b>; seed {result['seed']}; trace digest <code>{escape(result['trace_digest'])}</code>; "
        f"{result.get('steps', '-')} deliveries</div>",
        f"<p>Replay: <code>{escape(replay)}</code></p>",
    ]
    for note in notes:
        parts.append(f'<div class="note">{escape(note)}</div>')
    parts += [
        f"<h2>Message-sequence diagram: iterations 0..{diagram.iterations - 1}</h2>",
        '<p class="small">One lane per node (honest, then Byzantine); time flows down, one row per delivery '
        "(its step on the left); one arrow per delivery, from the step its sender sent it (or its Byzantine slot "
        "opened) to the step it was delivered. Honest lanes are coloured by group "
        f"({escape('; '.join(group_text))}), Byzantine messages are red and labelled with the value each recipient "
        "got (equivocation: different labels on the arrows of one Byzantine sender). Purple halos: messages the "
        f"schedule held back longer than one iteration's deliveries ({diagram.hold_threshold} steps), or never "
        "delivered (x: pruned as stale once the receiver moved past that iteration). Black badges: deliveries the "
        "network forced (L: liveness, F: fairness). "
        + ("Solid arrows: the q vectors a node used in that iteration; dashed: delivered but dropped. Dots: the "
           "node's new value. " if diagram.judged_use else "")
        + "Hover an arrow for its details.</p>",
        f'<p class="small">Drawn: {len(diagram.arrows)} arrows ({byz} Byzantine, {held} held back, of which {never} '
        f"never delivered; {forced} forced by the network), delivery steps {diagram.steps[0]}..{diagram.steps[1]}.</p>",
    ]
    if diagram.omitted:
        parts.append('<div class="note">Sampled: left out ' + escape("; ".join(diagram.omitted)) + ".</div>")
    parts += [f'<div class="figure">{diagram_svg}</div>',
              "<h2>Honest values per iteration</h2>",
              '<p class="small">' + ("The value of each honest node" if s["dim"] == 1 else
                                     "Each honest node's projection on the direction of the honest spread (the first "
                                     "principal direction of the honest inputs)")
              + " after each iteration; groups that never meet stay apart.</p>",
              f'<div class="figure">{trajectories_svg}</div>',
              "<h2>Verdicts (computed from this run)</h2>", _checks(result),
              "<h2>Theory constants</h2>", _kv(result.get("theory") or {"theory": "none for this run"}),
              "<h2>Per iteration</h2>", _iterations(result),
              "<h2>Messages</h2>", _kv({k: v for k, v in (result.get("messages") or {}).items() if k != "flood_bounds"}),
              "<h2>Scenario</h2>", f"<pre>{escape(scenario_toml)}</pre>",
              '<p class="small">Written by <code>jungle explain</code>; self-contained (no script, no external '
              "reference).</p>", "</body></html>"]
    return "\n".join(parts)
