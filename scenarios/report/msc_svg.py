"""The message-sequence diagram (:class:`scenarios.report.msc.Diagram`) as SVG text, built directly
(every text escaped). Each arrow is a ``<g class="arrow">`` whose ``data-*`` attributes name the
delivery it draws (step, sender, receiver, kind, round, verdict, used, held, forced, delivered): a
test reads them back and compares them with the trace."""
from __future__ import annotations

from html import escape

from scenarios.report.msc import (
    BYZANTINE_COLOUR,
    HELD_COLOUR,
    HONEST_COLOURS,
    ROW,
    TOP,
    Arrow,
    Diagram,
    head,
    kind_anchor,
    label_anchor,
    legend_items,
)

FONT = "font-family:DejaVu Sans,Arial,Helvetica,sans-serif"


def _a(v) -> str:
    return escape(str(v), quote=True)


def _n(v: float) -> str:
    return f"{v:.1f}"


def _arrow(a: Arrow, kinds: bool = False) -> str:
    attrs = {"class": "arrow", "data-step": a.step, "data-sent": a.sent, "data-sender": a.sender,
             "data-receiver": a.receiver, "data-kind": a.kind, "data-round": a.round, "data-verdict": a.verdict,
             "data-used": "" if a.used is None else str(a.used).lower(), "data-held": str(a.held).lower(),
             "data-forced": a.forced or "", "data-delivered": str(a.delivered).lower(),
             "data-byzantine": str(a.byzantine).lower()}
    out = ["<g " + " ".join(f'{k}="{_a(v)}"' for k, v in attrs.items()) + ">", f"<title>{escape(a.title)}</title>"]
    line = f'x1="{_n(a.x0)}" y1="{_n(a.y0)}" x2="{_n(a.x1)}" y2="{_n(a.y1)}"'
    if a.held:
        out.append(f'<line {line} stroke="{HELD_COLOUR}" stroke-opacity="0.28" stroke-width="6"/>')
    dropped = a.used is False or not a.delivered
    width = 1.7 if (a.used or a.byzantine) else 1.1
    dash = ' stroke-dasharray="5 3"' if dropped else ""
    opacity = "0.55" if dropped and not a.byzantine else "1"
    out.append(f'<line {line} stroke="{a.colour}" stroke-width="{width}" stroke-opacity="{opacity}"{dash}/>')
    if a.delivered:
        pts = " ".join(f"{_n(x)},{_n(y)}" for x, y in head(a))
        fill = a.colour if not dropped else "white"
        out.append(f'<polygon points="{pts}" fill="{fill}" stroke="{a.colour}" stroke-width="1" '
                   f'fill-opacity="{opacity}"/>')
    else:
        x, y = a.x1, a.y1
        out.append(f'<path d="M{_n(x - 4)},{_n(y - 4)}L{_n(x + 4)},{_n(y + 4)}M{_n(x - 4)},{_n(y + 4)}L{_n(x + 4)},{_n(y - 4)}" '
                   f'stroke="{HELD_COLOUR}" stroke-width="2"/>')
    if kinds:
        kx, ky = kind_anchor(a)
        out.append(f'<text x="{_n(kx)}" y="{_n(ky)}" text-anchor="middle" font-size="8" fill="{a.colour}" '
                   f'stroke="white" stroke-width="2.5" paint-order="stroke">{escape(a.kind[:1])}</text>')
    lx, ly, anchor = label_anchor(a)
    if a.byzantine and a.value:
        out.append(f'<text x="{_n(lx)}" y="{_n(ly)}" text-anchor="{anchor}" font-size="10" fill="{BYZANTINE_COLOUR}" '
                   f'font-weight="bold" stroke="white" stroke-width="3" paint-order="stroke">{escape(a.value)}</text>')
    if a.held:
        what = "never delivered" if not a.delivered else f"held {a.step - a.sent}"
        hx = (a.x0 + a.x1) / 2
        hy = (a.y0 + a.y1) / 2
        out.append(f'<text x="{_n(hx)}" y="{_n(hy)}" text-anchor="middle" font-size="9" fill="{HELD_COLOUR}" '
                   f'stroke="white" stroke-width="3" paint-order="stroke">{escape(what)}</text>')
    if a.forced:
        cx = a.x1 + (6 if a.x1 >= a.x0 else -6)
        out.append(f'<circle cx="{_n(cx)}" cy="{_n(a.y1 + 6)}" r="5.5" fill="black"/>'
                   f'<text x="{_n(cx)}" y="{_n(a.y1 + 9)}" text-anchor="middle" font-size="8" fill="white">'
                   f'{"L" if a.forced == "liveness" else "F"}</text>')
    out.append("</g>")
    return "".join(out)


def render_svg(d: Diagram) -> str:
    """The diagram as a standalone SVG document (no external reference)."""
    w, h = d.width, d.height + 14 * len(d.omitted)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="msc" width="{_n(w)}" height="{_n(h)}" '
           f'viewBox="0 0 {_n(w)} {_n(h)}" style="{FONT}">',
           f'<rect width="{_n(w)}" height="{_n(h)}" fill="white"/>',
           f'<text x="10" y="20" font-size="14" font-weight="bold" fill="#111">{escape(d.title)}</text>',
           legend_rows(d)]
    bottom = d.height - 28
    for lane in d.lanes:
        out.append(f'<g class="lane" data-node="{lane.node}" data-honest="{str(lane.honest).lower()}" '
                   f'data-group="{"" if lane.group is None else lane.group}">'
                   f'<text x="{_n(lane.x)}" y="{_n(TOP - 10)}" text-anchor="middle" font-size="12" font-weight="bold" '
                   f'fill="{lane.colour}">{escape(lane.label)}</text>'
                   f'<line x1="{_n(lane.x)}" y1="{_n(TOP - 4)}" x2="{_n(lane.x)}" y2="{_n(bottom)}" stroke="{lane.colour}" '
                   f'stroke-width="{2.5 if lane.honest else 1.5}" stroke-opacity="0.35"/></g>')
    for j, step in enumerate(d.rows):
        if j % 5 == 0:
            out.append(f'<text x="6" y="{_n(TOP + (j + 0.5) * ROW + 3)}" font-size="8" fill="#888">{step}</text>')
    out.append(f'<text x="6" y="{_n(TOP - 8)}" font-size="8" fill="#888">step</text>')
    for a in d.arrows:
        out.append(_arrow(a, len(d.kinds) > 1))
    if len(d.kinds) > 1:
        out.append(f'<text x="{_n(d.width - 10)}" y="20" text-anchor="end" font-size="10" fill="#222">kinds: '
                   + escape(", ".join(f"{k[:1]} = {k}" for k in d.kinds)) + "</text>")
    for m in d.marks:
        out.append(f'<g class="mark" data-node="{m.node}" data-iteration="{m.iteration}">'
                   f'<circle cx="{_n(m.x)}" cy="{_n(m.y)}" r="3.5" fill="#222"/>'
                   f'<text x="{_n(m.x + 6)}" y="{_n(m.y + 11)}" font-size="9" fill="#222" stroke="white" stroke-width="3" '
                   f'paint-order="stroke">x{m.iteration} = {escape(m.text)}</text></g>')
    y = d.height - 12
    for text in d.omitted:
        out.append(f'<text class="omitted" x="10" y="{_n(y)}" font-size="10" fill="#a00">left out: {escape(text)}</text>')
        y += 14
    out.append("</svg>")
    return "\n".join(out)


def legend_rows(d: Diagram) -> str:
    """The legend (:func:`scenarios.report.msc.legend_items`)."""
    out = ['<g class="legend" font-size="10">']
    for key, text, x, y in legend_items(d):
        sw = f'<line x1="{_n(x)}" y1="{_n(y)}" x2="{_n(x + 26)}" y2="{_n(y)}" '
        if key == "used":
            out.append(sw + f'stroke="{HONEST_COLOURS[0]}" stroke-width="1.7"/>')
        elif key == "dropped":
            out.append(sw + f'stroke="{HONEST_COLOURS[0]}" stroke-width="1.1" stroke-opacity="0.55" stroke-dasharray="5 3"/>')
        elif key == "byzantine":
            out.append(sw + f'stroke="{BYZANTINE_COLOUR}" stroke-width="1.7"/>')
        elif key == "held":
            out.append(sw + f'stroke="{HELD_COLOUR}" stroke-opacity="0.28" stroke-width="6"/>')
        elif key == "forced":
            out.append(f'<circle cx="{_n(x + 13)}" cy="{_n(y)}" r="5.5" fill="black"/>')
        else:
            out.append(f'<circle cx="{_n(x + 13)}" cy="{_n(y)}" r="3.5" fill="#222"/>')
        out.append(f'<text x="{_n(x + 32)}" y="{_n(y + 3.5)}" fill="#222">{escape(text)}</text>')
    out.append("</g>")
    return "".join(out)


__all__ = ["render_svg"]
