"""Each honest node's value per iteration as an SVG chart: d = 1 the value itself, otherwise its
projection on the direction of the honest spread (:func:`scenarios.run.tracing.honest_direction`),
one polyline per node, coloured by its group, so that groups that never meet are two bands that
never join. Each point is a ``<circle class="point">`` with ``data-node``, ``data-iteration`` and
``data-value`` (the recorded value, full precision): a test compares them with the trace."""
from __future__ import annotations

from html import escape
from typing import Any

from scenarios.report.msc import HONEST_COLOURS, fmt

W, H = 940.0, 360.0
L, R, T, B = 70.0, 120.0, 36.0, 44.0
MAX_NODES = 60


def points(values: list[dict[str, Any]]) -> dict[int, list[tuple[int, float]]]:
    """Honest node -> [(iteration, plotted value)] (the projection; the norm when no direction)."""
    out: dict[int, list[tuple[int, float]]] = {}
    for v in values:
        y = v.get("proj")
        if y is None and isinstance(v["x"], dict):
            y = v["x"]["norm"]
        if y is None:
            continue
        out.setdefault(v["node"], []).append((v["iteration"], float(y)))
    for pts in out.values():
        pts.sort()
    return out


def render_trajectories(values: list[dict[str, Any]], groups: dict[int, int], d: int, title: str = "") -> str:
    pts = points(values)
    what = "value" if d == 1 else "projection on the honest spread's direction"
    if not pts:
        return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{W:.0f}" height="60"><text x="10" y="30" '
                f'font-size="12">no honest values recorded</text></svg>')
    nodes = sorted(pts)
    omitted = ""
    if len(nodes) > MAX_NODES:
        keep = sorted(nodes, key=lambda i: pts[i][-1][1])
        step = len(keep) / MAX_NODES
        nodes = sorted({keep[int(j * step)] for j in range(MAX_NODES)} | {keep[-1]})
        omitted = f"{len(pts) - len(nodes)} of {len(pts)} honest nodes left out (chosen evenly by final value)"
    its = [k for i in nodes for k, _ in pts[i]]
    ys = [y for i in nodes for _, y in pts[i]]
    k0, k1 = min(its), max(max(its), 1)
    y0, y1 = min(ys), max(ys)
    if y1 - y0 < 1e-12:
        y0, y1 = y0 - 1.0, y1 + 1.0
    pad = 0.06 * (y1 - y0)
    y0, y1 = y0 - pad, y1 + pad

    def X(k: float) -> float:
        return L + (k - k0) / max(k1 - k0, 1) * (W - L - R)

    def Y(v: float) -> float:
        return T + (y1 - v) / (y1 - y0) * (H - T - B)

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="trajectories" width="{W:.0f}" height="{H:.0f}" '
           f'viewBox="0 0 {W:.0f} {H:.0f}" style="font-family:DejaVu Sans,Arial,Helvetica,sans-serif">',
           f'<rect width="{W:.0f}" height="{H:.0f}" fill="white"/>',
           f'<text x="10" y="20" font-size="13" font-weight="bold">{escape(title or "honest values per iteration")} '
           f'({escape(what)})</text>',
           f'<line x1="{L}" y1="{H - B}" x2="{W - R}" y2="{H - B}" stroke="#444"/>',
           f'<line x1="{L}" y1="{T}" x2="{L}" y2="{H - B}" stroke="#444"/>',
           f'<text x="{(L + W - R) / 2:.1f}" y="{H - 8:.1f}" text-anchor="middle" font-size="11">iteration</text>']
    for j in range(5):
        v = y0 + (y1 - y0) * j / 4
        out.append(f'<text x="{L - 6:.1f}" y="{Y(v) + 3:.1f}" text-anchor="end" font-size="9" fill="#555">{escape(fmt(v))}</text>'
                   f'<line x1="{L:.1f}" y1="{Y(v):.1f}" x2="{W - R:.1f}" y2="{Y(v):.1f}" stroke="#eee"/>')
    ticks = sorted({k0, k1, *range(k0, k1 + 1, max(1, (k1 - k0) // 10))})
    for k in ticks:
        out.append(f'<text x="{X(k):.1f}" y="{H - B + 14:.1f}" text-anchor="middle" font-size="9" fill="#555">{k}</text>')
    for i in nodes:
        colour = HONEST_COLOURS[groups.get(i, 0) % len(HONEST_COLOURS)]
        path = " ".join(f"{X(k):.1f},{Y(v):.1f}" for k, v in pts[i])
        out.append(f'<g class="node" data-node="{i}"><polyline points="{path}" fill="none" stroke="{colour}" '
                   f'stroke-width="1.4" stroke-opacity="0.8"/>')
        for k, v in pts[i]:
            out.append(f'<circle class="point" data-node="{i}" data-iteration="{k}" data-value="{v!r}" cx="{X(k):.1f}" '
                       f'cy="{Y(v):.1f}" r="2.6" fill="{colour}"><title>node {i}, iteration {k}: {escape(fmt(v))}'
                       f'</title></circle>')
        out.append("</g>")
    labels: dict[tuple[int, float], list[int]] = {}
    for i in nodes:  # one label per end point: the nodes that end together
        k, v = pts[i][-1]
        labels.setdefault((k, round(Y(v) / 10)), []).append(i)
    for (k, _), ids in labels.items():
        v = pts[ids[0]][-1][1]
        colour = HONEST_COLOURS[groups.get(ids[0], 0) % len(HONEST_COLOURS)]
        names = ", ".join(map(str, ids[:8])) + (f" +{len(ids) - 8}" if len(ids) > 8 else "")
        out.append(f'<text x="{X(k) + 6:.1f}" y="{Y(v) + 3:.1f}" font-size="9" fill="{colour}">'
                   f'{"node" if len(ids) == 1 else "nodes"} {escape(names)} ({chr(65 + groups.get(ids[0], 0))})</text>')
    if omitted:
        out.append(f'<text class="omitted" x="10" y="{H - 26:.1f}" font-size="10" fill="#a00">left out: {escape(omitted)}</text>')
    out.append("</svg>")
    return "\n".join(out)
