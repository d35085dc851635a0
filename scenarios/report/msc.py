"""The message-sequence diagram of a run's first iterations, as geometry (no drawing here):
:mod:`scenarios.report.msc_svg` and :mod:`scenarios.report.msc_png` draw the same :class:`Diagram`.

One lane per node (honest, then Byzantine), time flowing down: one row per delivery, in delivery
order; one arrow per delivery of the rendered iterations (the trace records with round < K), from
the sender's lane at the step it sent the message (an honest broadcast) or its slot opened (a
Byzantine slot) to the receiver's lane at the step it was delivered. So a message the schedule held
back is a long arrow; those held longer than :func:`hold_threshold` are marked, and honest messages
never delivered (pruned as stale once their receiver moved on, dropped after its output, or still in
flight at the end) are drawn up to the step they were dropped and marked. Deliveries the network
forced (liveness: the schedule withheld everything; fairness: the bound K) are marked.

For "iterate a rule" (ICwTM, MDA, CVA, any rule) the q vectors a node used in an iteration are the
first q - 1 it accepted of that iteration (its own counts among the q with ``include_self``), in
delivery order (the machine takes buffered ones in arrival order): :func:`used_flags` marks them, and
every other delivery to it of that iteration (accepted too late, or refused) as dropped. For the
broadcast-based protocol, which uses every value reliably delivered before its witnesses, no such
mark is drawn.

Large runs are sampled: at most ``max_lanes`` lanes (honest nodes chosen across the groups, evenly
by their final projection, and the first Byzantine ones) and ``max_arrows`` arrows (fewer iterations,
then the first deliveries); :attr:`Diagram.omitted` says what was left out.
"""
from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from typing import Any

import numpy as np

ROW = 17.0
"""Height of one delivery row (px)."""
LANE = 96.0
"""Distance between two lanes (px)."""
TOP = 112.0
LEFT = 84.0
RIGHT = 150.0
BOTTOM = 40.0
MIN_WIDTH = 940.0
MAX_LANES = 12
MAX_ARROWS = 320

HONEST_COLOURS = ("#1f63b4", "#1b8a3a", "#8a5a00", "#5b3a9a")
"""Lane and arrow colours of the honest groups (A, B, ...)."""
BYZANTINE_COLOUR = "#d0181b"
HELD_COLOUR = "#8e2bb0"
DROPPED_COLOUR = "#9a9a9a"
ITERATE_ALGORITHMS_EXCLUDED = ("broadcast",)


@dataclass
class Lane:
    node: int
    x: float
    honest: bool
    group: int | None
    """Index of the honest group (None for a Byzantine lane)."""
    label: str
    colour: str


@dataclass
class Arrow:
    step: int
    sent: int
    sender: int
    receiver: int
    kind: str
    round: int
    verdict: str
    forced: str | None
    byzantine: bool
    used: bool | None
    """True: among the q the receiver used in that iteration; False: dropped; None: not judged."""
    held: bool
    """In flight longer than the hold threshold (the schedule held it back)."""
    value: str
    """The value as the receiver got it (short text), '' when none."""
    x0: float
    y0: float
    x1: float
    y1: float
    colour: str
    delivered: bool = True
    """False: an honest message never delivered (``why`` says what happened to it)."""
    why: str = ""

    @property
    def title(self) -> str:
        who = "Byzantine " if self.byzantine else ""
        if not self.delivered:
            return (f"{who}{self.kind} {self.sender}->{self.receiver} iteration {self.round}, sent at step {self.sent}: "
                    f"never delivered ({self.why} at step {self.step})")
        parts = [f"step {self.step}: {who}{self.kind} {self.sender}->{self.receiver} iteration {self.round}",
                 f"sent at step {self.sent}", self.verdict]
        if self.used is not None:
            parts.append("used" if self.used else "dropped")
        if self.held:
            parts.append(f"held {self.step - self.sent} steps")
        if self.forced:
            parts.append(f"forced by the network ({self.forced})")
        if self.value:
            parts.append(f"value {self.value}")
        return ", ".join(parts)


@dataclass
class Mark:
    """A node's new value on its lane (it finished an iteration at that delivery)."""
    node: int
    iteration: int
    x: float
    y: float
    text: str


@dataclass
class Diagram:
    lanes: list[Lane]
    arrows: list[Arrow]
    marks: list[Mark]
    width: float
    height: float
    iterations: int
    """Iterations rendered (rounds 0 .. iterations - 1)."""
    steps: tuple[int, int]
    """First and last delivery step drawn."""
    omitted: list[str] = field(default_factory=list)
    """What sampling left out (empty: everything of the rendered iterations is drawn)."""
    hold_threshold: int = 0
    judged_use: bool = False
    title: str = ""
    rows: list[int] = field(default_factory=list)
    """The delivery step of each row, top to bottom."""
    kinds: list[str] = field(default_factory=list)
    """The message kinds drawn (more than one: each arrow shows its kind's initial)."""


def fmt(v: float) -> str:
    if v == 0:
        return "0"
    a = abs(v)
    if 1e-3 <= a < 1e4:
        s = f"{v:.3g}"
    else:
        s = f"{v:.2e}"
    return s


def value_text(value: Any) -> str:
    """The short text of a record's value summary ({field: list | {norm, proj}})."""
    if not value:
        return ""
    parts = []
    for name, v in value.items():
        if isinstance(v, list):
            body = ", ".join(fmt(x) for x in v)
            parts.append(f"({body})" if len(v) > 1 else body)
        elif isinstance(v, dict):
            if "proj" in v:
                parts.append(f"p={fmt(v['proj'])} |x|={fmt(v['norm'])}")
            else:
                parts.append(f"|x|={fmt(v['norm'])}")
    return " ".join(parts)


def used_flags(records: list[dict[str, Any]], q: int, include_self: bool) -> list[bool]:
    """For each delivery record (in order): whether its receiver used it ("iterate a rule": the first
    q - 1 (q without ``include_self``) vectors of an iteration it accepted)."""
    need = q - 1 if include_self else q
    taken: dict[tuple[int, int, int], int] = {}
    out = []
    for r in records:
        key = (r["receiver"], r["instance"], r["round"])
        if r["verdict"] == "accepted" and r["kind"] == "VEC":
            c = taken.get(key, 0)
            taken[key] = c + 1
            out.append(c < need)
        else:
            out.append(False)
    return out


def hold_threshold(records: list[dict[str, Any]], h: int, n: int) -> int:
    """Steps in flight beyond which a delivery counts as held back: one iteration's worth of
    deliveries (the deliveries of the run's busiest round), at least h (n - 1)."""
    per_round: dict[int, int] = {}
    for r in records:
        per_round[r["round"]] = per_round.get(r["round"], 0) + 1
    busiest = max(per_round.values()) if per_round else 0
    return max(busiest, h * (n - 1), 1)


def final_values(values: list[dict[str, Any]]) -> dict[int, float]:
    """Honest node -> its last recorded value (projection on the honest spread; the norm without one)."""
    last: dict[int, tuple[int, float]] = {}
    for v in values:
        p = v.get("proj")
        if p is None and isinstance(v["x"], dict):
            p = v["x"].get("norm")
        if p is not None and (v["node"] not in last or v["iteration"] >= last[v["node"]][0]):
            last[v["node"]] = (v["iteration"], float(p))
    return {i: p for i, (_, p) in last.items()}


def groups_of(finals: dict[int, float]) -> dict[int, int]:
    """Honest node -> group: two groups when the final values (projections) split at a gap of at
    least half their range, else one."""
    if len(finals) < 2:
        return {i: 0 for i in finals}
    items = sorted(finals.items(), key=lambda kv: (kv[1], kv[0]))
    vals = np.array([v for _, v in items])
    span = float(vals[-1] - vals[0])
    gaps = np.diff(vals)
    k = int(np.argmax(gaps))
    if span <= 0 or gaps[k] < 0.5 * span:
        return {i: 0 for i in finals}
    return {node: (0 if j <= k else 1) for j, (node, _) in enumerate(items)}


def _choose_honest(honest: list[int], finals: dict[int, float], groups: dict[int, int], limit: int) -> list[int]:
    if len(honest) <= limit:
        return list(honest)
    order = sorted(honest, key=lambda i: (finals.get(i, 0.0), i))
    idx = np.unique(np.round(np.linspace(0, len(order) - 1, limit)).astype(int))
    chosen = {order[j] for j in idx}
    for g in set(groups.values()):  # every group shows
        if not any(groups.get(i) == g for i in chosen):
            chosen.add(next(i for i in order if groups.get(i) == g))
    return sorted(chosen)


def layout(header: dict[str, Any], records: list[dict[str, Any]], undelivered: list[dict[str, Any]],
           values: list[dict[str, Any]], iterations: int = 2, max_lanes: int = MAX_LANES,
           max_arrows: int = MAX_ARROWS) -> Diagram:
    """The diagram of the first ``iterations`` iterations of a trace (header, delivery records in
    order, undelivered honest messages, honest values: :mod:`scenarios.run.tracing`)."""
    honest, byzantine = list(header["honest"]), list(header["byzantine"])
    n = header["n"]
    h = len(honest)
    judged = header.get("algorithm") not in ITERATE_ALGORITHMS_EXCLUDED and header.get("kind") == "agreement"
    used = used_flags(records, header["q"], header["include_self"]) if judged else [None] * len(records)
    threshold = hold_threshold(records, h, n)
    finals = final_values(values)
    groups = groups_of(finals) if finals else {i: 0 for i in honest}
    omitted: list[str] = []

    # -- lanes (sampled) -------------------------------------------------------------------------
    max_lanes = max(2, max_lanes)
    byz_limit = min(len(byzantine), max(1, max_lanes // 4)) if byzantine else 0
    shown_honest = _choose_honest(honest, finals, groups, max_lanes - byz_limit)
    shown_byz = byzantine[:byz_limit]
    if len(shown_honest) < h:
        omitted.append(f"{h - len(shown_honest)} of {h} honest nodes (lanes shown: {', '.join(map(str, shown_honest))}, "
                       "chosen evenly by final value, every group represented)")
    if len(shown_byz) < len(byzantine):
        omitted.append(f"{len(byzantine) - len(shown_byz)} of {len(byzantine)} Byzantine nodes "
                       f"(shown: {', '.join(map(str, shown_byz))})")
    if omitted:
        omitted.append("the arrows to and from the nodes left out")
    shown = set(shown_honest) | set(shown_byz)

    # -- deliveries of the rendered iterations (fewer iterations, then fewer deliveries, to fit) --
    k = max(1, int(iterations))
    all_rounds = max((r["round"] for r in records), default=-1) + 1

    def pick(kk: int) -> list[int]:
        return [i for i, r in enumerate(records)
                if r["round"] < kk and r["sender"] in shown and r["receiver"] in shown]
    idx = pick(k)
    asked = k
    while k > 1 and len(idx) > max_arrows:
        k -= 1
        idx = pick(k)
    if k < asked:
        omitted.append(f"iterations {k}..{asked - 1} of the {asked} asked (more than {max_arrows} arrows)")
    if len(idx) > max_arrows:
        omitted.append(f"{len(idx) - max_arrows} later deliveries of iteration 0 (only the first {max_arrows} drawn)")
        idx = idx[:max_arrows]
    k = min(k, max(all_rounds, 1))
    drop = [u for u in undelivered if u["round"] < k and u["sender"] in shown and u["receiver"] in shown]
    if idx:
        last_step = records[idx[-1]]["step"]
        drop = [u for u in drop if u["sent"] <= last_step]
    if len(idx) + len(drop) > max_arrows:
        room = max(0, max_arrows - len(idx))
        omitted.append(f"{len(drop) - room} of the {len(drop)} honest messages never delivered (at most {max_arrows} arrows)")
        drop = sorted(drop, key=lambda u: (u["step"], u["sent"], u["sender"], u["receiver"]))[:room]

    lanes: list[Lane] = []
    xs: dict[int, float] = {}
    count = len(shown_honest) + len(shown_byz)
    spacing = max(LANE, (MIN_WIDTH - LEFT - RIGHT) / max(count - 1, 1))
    for j, node in enumerate(shown_honest + shown_byz):
        x = LEFT + j * spacing
        xs[node] = x
        if node in shown_byz:
            lanes.append(Lane(node, x, False, None, f"{node} (Byz)", BYZANTINE_COLOUR))
        else:
            g = groups.get(node, 0)
            lanes.append(Lane(node, x, True, g, f"{node} ({chr(65 + g)})", HONEST_COLOURS[g % len(HONEST_COLOURS)]))

    steps = [records[i]["step"] for i in idx]
    drop_steps = sorted({u["step"] for u in drop} - set(steps))
    rows = sorted(set(steps) | set(drop_steps))

    def y_at(step: int) -> float:
        """The centre of the row of ``step`` (a row is a delivery drawn, or a drop)."""
        return TOP + (bisect_left(rows, step) + 0.5) * ROW

    def y_sent(step: int) -> float:
        """Where a message sent during delivery ``step`` starts (0: the start of the run)."""
        if step <= 0:
            return TOP
        j = bisect_left(rows, step)
        if j < len(rows) and rows[j] == step:
            return TOP + (j + 0.5) * ROW
        return TOP + bisect_right(rows, step) * ROW

    arrows: list[Arrow] = []
    for i in idx:
        r = records[i]
        byz = r["sender"] in byzantine
        colour = BYZANTINE_COLOUR if byz else HONEST_COLOURS[groups.get(r["sender"], 0) % len(HONEST_COLOURS)]
        sent = r["sent"] if r["sent"] >= 0 else r["step"]
        arrows.append(Arrow(step=r["step"], sent=sent, sender=r["sender"], receiver=r["receiver"], kind=r["kind"],
                            round=r["round"], verdict=r["verdict"], forced=r["forced"], byzantine=byz,
                            used=used[i], held=(r["step"] - sent > threshold) or r["verdict"] == "held",
                            value=value_text(r["value"]), x0=xs[r["sender"]], y0=y_sent(sent),
                            x1=xs[r["receiver"]], y1=y_at(r["step"]), colour=colour))
    for u in drop:
        colour = HONEST_COLOURS[groups.get(u["sender"], 0) % len(HONEST_COLOURS)]
        sent = max(u["sent"], 0)
        arrows.append(Arrow(step=u["step"], sent=sent, sender=u["sender"], receiver=u["receiver"], kind=u["kind"],
                            round=u["round"], verdict=u["why"], forced=None, byzantine=False, used=False if judged else None,
                            held=True, value="", x0=xs[u["sender"]], y0=y_sent(sent), x1=xs[u["receiver"]],
                            y1=y_at(u["step"]), colour=colour, delivered=False, why=u["why"]))

    # -- a node's new value where it finished an iteration -----------------------------------
    marks: list[Mark] = []
    if judged:
        need = header["q"] - 1 if header["include_self"] else header["q"]
        count: dict[tuple[int, int], int] = {}
        val = {(v["node"], v["iteration"]): v for v in values}
        for i in idx:
            if not used[i]:
                continue
            r = records[i]
            key = (r["receiver"], r["round"])
            count[key] = count.get(key, 0) + 1
            if count[key] == need and r["receiver"] in xs:
                v = val.get((r["receiver"], r["round"] + 1))
                text = value_text({"x": v["x"]}) if v else ""
                marks.append(Mark(r["receiver"], r["round"] + 1, xs[r["receiver"]], y_at(r["step"]), text))

    height = TOP + max(len(rows), 1) * ROW + BOTTOM
    width = LEFT + max(len(lanes) - 1, 0) * spacing + RIGHT
    span = (rows[0], rows[-1]) if rows else (0, 0)
    return Diagram(lanes=lanes, arrows=arrows, marks=marks, width=width, height=height, iterations=k, steps=span,
                   omitted=omitted, hold_threshold=threshold, judged_use=judged,
                   title=f"{header.get('scenario', '')}: iterations 0..{k - 1}", rows=rows,
                   kinds=sorted({a.kind for a in arrows}))


def head(a: Arrow, size: float = 7.0) -> list[tuple[float, float]]:
    """The arrowhead triangle of ``a`` (tip at its end)."""
    dx, dy = a.x1 - a.x0, a.y1 - a.y0
    norm = float(np.hypot(dx, dy)) or 1.0
    ux, uy = dx / norm, dy / norm
    bx, by = a.x1 - size * ux, a.y1 - size * uy
    px, py = -uy * size * 0.45, ux * size * 0.45
    return [(a.x1, a.y1), (bx + px, by + py), (bx - px, by - py)]


def kind_anchor(a: Arrow) -> tuple[float, float]:
    """Where an arrow's kind initial goes when a diagram mixes kinds: on the line, near its head."""
    return a.x0 + 0.82 * (a.x1 - a.x0), a.y0 + 0.82 * (a.y1 - a.y0) - 2.0


def label_anchor(a: Arrow) -> tuple[float, float, str]:
    """Where an arrow's value label goes: just past its head, on the side it comes from."""
    if a.x1 >= a.x0:
        return a.x1 - 12.0, a.y1 - 6.0, "end"
    return a.x1 + 12.0, a.y1 - 6.0, "start"


LEGEND = (
    ("used", "an honest vector the receiver used (one of its q in that iteration)"),
    ("dropped", "delivered but not used (late, or refused: see the tooltip)"),
    ("byzantine", "a Byzantine message, labelled with the value THIS receiver got"),
    ("held", "held back by the schedule (longer than one iteration in flight), or never delivered (x)"),
    ("forced", "L / F: delivered by the network's liveness / fairness rule, not by the schedule"),
    ("mark", "the receiver's new value after its q-th vector"),
)


def legend_items(d: Diagram) -> list[tuple[str, str, float, float]]:
    """(key, text, x, y) of each legend entry, wrapped in rows across the diagram's width."""
    out = []
    x, y = 10.0, 40.0
    for key, text in LEGEND:
        if key in ("used", "dropped", "mark") and not d.judged_use:
            continue
        span = 40 + 5.4 * len(text)
        if x > 10 and x + span > d.width:
            x, y = 10.0, y + 14
        out.append((key, text, x, y))
        x += span
    return out
