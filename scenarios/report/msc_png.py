"""The message-sequence diagram (:class:`scenarios.report.msc.Diagram`) as PNG, drawn with matplotlib
from the same geometry as the SVG (:mod:`scenarios.report.msc_svg`): no browser needed."""
from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np

from scenarios.report.msc import (
    BYZANTINE_COLOUR,
    HELD_COLOUR,
    HONEST_COLOURS,
    ROW,
    TOP,
    Diagram,
    head,
    kind_anchor,
    label_anchor,
    legend_items,
)

DPI = 100


def render_png(d: Diagram, path: str | Path, scale: float | None = None) -> Path:
    """Write the diagram to ``path`` (pixels: its width and height times ``scale``; default 1.5, 1 for
    a diagram taller than 1500 px)."""
    if scale is None:
        scale = 1.5 if d.height <= 1500 else 1.0
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Circle, Polygon

    w, h = d.width, d.height + 14 * len(d.omitted)
    fig = plt.figure(figsize=(w * scale / DPI, h * scale / DPI), dpi=DPI)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, w)
    ax.set_ylim(h, 0)  # y grows downwards, as in the SVG
    ax.axis("off")
    pt = 0.75 * scale  # one SVG px in points

    def text(x, y, s, size, colour="#222", ha="left", bold=False, halo=False):
        t = ax.text(x, y, s, fontsize=size * pt, color=colour, ha=ha, va="baseline",
                    fontweight="bold" if bold else "normal")
        if halo:
            import matplotlib.patheffects as pe
            t.set_path_effects([pe.withStroke(linewidth=3 * pt, foreground="white")])

    text(10, 20, d.title, 14, "#111", bold=True)
    if len(d.kinds) > 1:
        text(d.width - 10, 20, "kinds: " + ", ".join(f"{k[:1]} = {k}" for k in d.kinds), 10, ha="right")
    for key, label, x, y in legend_items(d):
        if key in ("used", "dropped", "byzantine", "held"):
            colour = {"used": HONEST_COLOURS[0], "dropped": HONEST_COLOURS[0], "byzantine": BYZANTINE_COLOUR,
                      "held": HELD_COLOUR}[key]
            ax.plot([x, x + 26], [y, y], color=colour, alpha={"dropped": 0.55, "held": 0.28}.get(key, 1.0),
                    linewidth={"used": 1.7, "byzantine": 1.7, "dropped": 1.1, "held": 6}[key] * pt,
                    linestyle=(0, (5, 3)) if key == "dropped" else "-")
        else:
            ax.add_patch(Circle((x + 13, y), 5.5 if key == "forced" else 3.5, color="black" if key == "forced" else "#222"))
        text(x + 32, y + 3.5, label, 10)
    bottom = d.height - 28
    for lane in d.lanes:
        text(lane.x, TOP - 10, lane.label, 12, lane.colour, ha="center", bold=True)
        ax.plot([lane.x, lane.x], [TOP - 4, bottom], color=lane.colour, alpha=0.35,
                linewidth=(2.5 if lane.honest else 1.5) * pt)
    for j, step in enumerate(d.rows):
        if j % 5 == 0:
            text(6, TOP + (j + 0.5) * ROW + 3, str(step), 8, "#888")
    for a in d.arrows:
        if a.held:
            ax.plot([a.x0, a.x1], [a.y0, a.y1], color=HELD_COLOUR, alpha=0.28, linewidth=6 * pt,
                    solid_capstyle="butt")
        dropped = a.used is False or not a.delivered
        alpha = 0.55 if dropped and not a.byzantine else 1.0
        ax.plot([a.x0, a.x1], [a.y0, a.y1], color=a.colour, alpha=alpha,
                linewidth=(1.7 if (a.used or a.byzantine) else 1.1) * pt, linestyle=(0, (5, 3)) if dropped else "-")
        if a.delivered:
            ax.add_patch(Polygon(head(a), closed=True, facecolor="white" if dropped else a.colour,
                                 edgecolor=a.colour, alpha=alpha, linewidth=pt))
        else:
            ax.plot([a.x1 - 4, a.x1 + 4], [a.y1 - 4, a.y1 + 4], color=HELD_COLOUR, linewidth=2 * pt)
            ax.plot([a.x1 - 4, a.x1 + 4], [a.y1 + 4, a.y1 - 4], color=HELD_COLOUR, linewidth=2 * pt)
        if len(d.kinds) > 1:
            kx, ky = kind_anchor(a)
            text(kx, ky, a.kind[:1], 8, a.colour, ha="center", halo=True)
        lx, ly, anchor = label_anchor(a)
        if a.byzantine and a.value:
            text(lx, ly, a.value, 10, BYZANTINE_COLOUR, ha="right" if anchor == "end" else "left", bold=True, halo=True)
        if a.held:
            what = "never delivered" if not a.delivered else f"held {a.step - a.sent}"
            text((a.x0 + a.x1) / 2, (a.y0 + a.y1) / 2, what, 9, HELD_COLOUR, ha="center", halo=True)
        if a.forced:
            cx = a.x1 + (6 if a.x1 >= a.x0 else -6)
            ax.add_patch(Circle((cx, a.y1 + 6), 5.5, color="black"))
            text(cx, a.y1 + 9, "L" if a.forced == "liveness" else "F", 8, "white", ha="center")
    for m in d.marks:
        ax.add_patch(Circle((m.x, m.y), 3.5, color="#222"))
        text(m.x + 6, m.y + 11, f"x{m.iteration} = {m.text}", 9, halo=True)
    y = d.height - 12
    for s in d.omitted:
        text(10, y, f"left out: {s}", 10, "#a00")
        y += 14
    p = Path(path)
    fig.set_facecolor("white")
    fig.canvas.draw()
    rgb = np.asarray(fig.canvas.buffer_rgba())[:, :, :3]
    plt.close(fig)
    palette = _palette()
    write_palette_png(p, _nearest(rgb, palette), palette)
    return p


def _palette() -> np.ndarray:
    """The diagram's colours blended with white at a few opacities, and greys: a PNG of at most 256
    colours (anti-aliasing kept coarsely), a few times smaller than true colour."""
    base = ["#000000", "#222222", "#888888", BYZANTINE_COLOUR, HELD_COLOUR, *HONEST_COLOURS, "#a00000"]
    cols = [(255, 255, 255)]
    for hexa in base:
        c = np.array([int(hexa[i:i + 2], 16) for i in (1, 3, 5)], dtype=float)
        for a in (1.0, 0.8, 0.6, 0.45, 0.3, 0.18, 0.08):
            cols.append(tuple(np.round(a * c + (1 - a) * 255).astype(int)))
    cols += [(v, v, v) for v in range(0, 256, 17)]
    return np.unique(np.array(cols, dtype=np.uint8), axis=0)


def _nearest(rgb: np.ndarray, palette: np.ndarray) -> np.ndarray:
    """Index of the nearest palette colour of every pixel (computed once per distinct colour)."""
    keys = (rgb[:, :, 0].astype(np.int32) << 16) | (rgb[:, :, 1].astype(np.int32) << 8) | rgb[:, :, 2]
    uniq, inverse = np.unique(keys.ravel(), return_inverse=True)
    cols = np.stack([(uniq >> 16) & 255, (uniq >> 8) & 255, uniq & 255], axis=1)
    pal = palette.astype(np.int32)
    best = np.empty(len(uniq), dtype=np.uint8)
    for i in range(0, len(uniq), 4096):
        d = ((cols[i:i + 4096, None, :] - pal[None, :, :]) ** 2).sum(axis=2)
        best[i:i + 4096] = np.argmin(d, axis=1)
    return best[inverse].reshape(keys.shape)


def write_palette_png(path: str | Path, indices: np.ndarray, palette: np.ndarray) -> None:
    """A palette PNG (colour type 3, 8 bits) of ``indices`` (h x w, uint8) into ``palette`` (k x 3)."""
    h, w = indices.shape

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    raw = np.zeros((h, w + 1), dtype=np.uint8)  # filter type 0 per row
    raw[:, 1:] = indices
    Path(path).write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 3, 0, 0, 0))
                           + chunk(b"PLTE", palette.astype(np.uint8).tobytes())
                           + chunk(b"IDAT", zlib.compress(raw.tobytes(), 9)) + chunk(b"IEND", b""))
