"""The human summary of a run (rich): parameters, per-iteration diameters beside the bound, verdicts,
message counts."""
from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table


def _fmt(v: Any) -> str:
    if v is None:
        return "-"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v)


def verdict(holds: Any) -> str:
    if holds is None:
        return "[yellow]n/a[/]"
    return "[green]HOLDS[/]" if holds else "[red]FAILS[/]"


def print_checks(result: dict[str, Any], console: Console) -> None:
    """The verdicts table: each check's verdict, measured value and bound, computed from the run."""
    checks = Table(title="verdicts (computed from this run)")
    for col in ("check", "verdict", "measured", "bound", "what"):
        checks.add_column(col)
    for name, c in result["checks"].items():
        checks.add_row(name, verdict(c.get("holds")), _fmt(c.get("measured")), _fmt(c.get("bound")), str(c.get("detail", "")))
    console.print(checks)


def print_summary(result: dict[str, Any], console: Console | None = None, max_rows: int = 40) -> None:
    console = console or Console()
    if "learn" in result:  # a LEARN run has its own summary
        from .learn_runner import print_learn_summary

        return print_learn_summary(result, console)
    sc = result["scenario"]
    s, a, adv = sc["system"], sc["algorithm"], sc["adversary"]
    th = result.get("theory", {})
    console.print(f"[bold]{sc['scenario']['name']}[/]  seed {result['seed']}  digest {result['trace_digest'][:16]}")
    console.print(f"n = {s['n']}, f = {s['f']}, h = {s['h']}, q = {s['q']}, d = {s['dim']}, "
                  f"include_self = {_fmt(s['include_self'])}; algorithm {a['name']} (rule {a['rule']}), t = {a['t']}, "
                  f"iterations = {a['iterations']} ({a.get('iterations_source', '')}); "
                  f"attack {adv['attack']}, schedule {adv['schedule']}")
    if th:
        if th.get("holds"):
            console.print(f"theory: e = {_fmt(th['eps'])}, e~ = {_fmt(th['eps_tilde'])}, N(t) = {th['iterations']}, "
                          f"C = {_fmt(th['C'])}; threshold {th.get('threshold', '')}")
        else:
            console.print(f"theory: [yellow]{th.get('reason')}[/]")
    rows = result["iterations"]
    table = Table(title="honest vectors per iteration", show_lines=False)
    for col in ("iteration", "D2", "Dcw2", "bound", "||mean - mean0||", "nodes"):
        table.add_column(col, justify="right")
    shown = rows if len(rows) <= max_rows else rows[: max_rows // 2] + rows[-max_rows // 2 :]
    for i, r in enumerate(shown):
        if len(rows) > max_rows and i == max_rows // 2:
            table.add_row("...", "", "", "", "", "")
        table.add_row(str(r["iteration"]), _fmt(r["diameter"]), _fmt(r["cw_diameter"]), _fmt(r.get("bound")),
                      _fmt(r.get("avg_error")), str(r["nodes"]))
    console.print(table)
    print_checks(result, console)
    m = result["messages"]
    rej = ", ".join(f"{k} {v}" for k, v in m["rejected"].items()) or "none"
    console.print(f"messages: sent {m['sent']}, delivered {m['delivered']}, bytes {m['bytes']}, "
                  f"signature verifications {m['signature_verifications']}; rejected: {rej}")
    if result.get("stalled"):
        console.print("[red]the run stalled: nothing left in flight while honest nodes were still running[/]")
    console.print(f"{result['steps']} deliveries in {result['wall_seconds']:.2f} s")
