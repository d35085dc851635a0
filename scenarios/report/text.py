"""The human summary of a run (rich): parameters, per-iteration diameters beside the bound, verdicts,
message counts."""
from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table


def fmt(v: Any) -> str:
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
        checks.add_row(escape(name), verdict(c.get("holds")), fmt(c.get("measured")), fmt(c.get("bound")),
                       escape(str(c.get("detail", ""))))
    console.print(checks)


def print_summary(result: dict[str, Any], console: Console | None = None, max_rows: int = 40) -> None:
    console = console or Console()
    if "learn" in result:  # a LEARN run has its own summary
        return print_learn_summary(result, console)
    if result["scenario"]["scenario"].get("kind") in SEED_KINDS:
        return print_seed_summary(result, console)
    sc = result["scenario"]
    s, a, adv = sc["system"], sc["algorithm"], sc["adversary"]
    th = result.get("theory", {})
    console.print(f"[bold]{sc['scenario']['name']}[/]  seed {result['seed']}  digest {result['trace_digest'][:16]}")
    console.print(f"n = {s['n']}, f = {s['f']}, h = {s['h']}, q = {s['q']}, d = {s['dim']}, "
                  f"include_self = {fmt(s['include_self'])}; algorithm {a['name']} (rule {a['rule']}), t = {a['t']}, "
                  f"iterations = {a['iterations']} ({a.get('iterations_source', '')}); "
                  f"attack {adv['attack']}, schedule {adv['schedule']}")
    if th:
        if th.get("holds"):
            console.print(f"theory: e = {fmt(th['eps'])}, e~ = {fmt(th['eps_tilde'])}, N(t) = {th['iterations']}, "
                          f"C = {fmt(th['C'])}; threshold {th.get('threshold', '')}")
        else:
            console.print(f"theory: [yellow]{th.get('reason')}[/]")
    if a.get("warning"):
        console.print(f"[bold yellow]warning:[/] {a['warning']}")
    rows = result["iterations"]
    table = Table(title="honest vectors per iteration", show_lines=False)
    for col in ("iteration", "D2", "Dcw2", "bound", "||mean - mean0||", "nodes"):
        table.add_column(col, justify="right")
    shown = rows if len(rows) <= max_rows else rows[: max_rows // 2] + rows[-max_rows // 2 :]
    for i, r in enumerate(shown):
        if len(rows) > max_rows and i == max_rows // 2:
            table.add_row("...", "", "", "", "", "")
        table.add_row(str(r["iteration"]), fmt(r["diameter"]), fmt(r["cw_diameter"]), fmt(r.get("bound")),
                      fmt(r.get("avg_error")), str(r["nodes"]))
    console.print(table)
    print_checks(result, console)
    m = result["messages"]
    rej = ", ".join(f"{k} {v}" for k, v in m["rejected"].items()) or "none"
    console.print(f"messages: sent {m['sent']}, delivered {m['delivered']}, bytes {m['bytes']}, "
                  f"signature verifications {m['signature_verifications']}; rejected: {rej}")
    if result.get("stalled"):
        console.print("[red]the run stalled: nothing left in flight while honest nodes were still running[/]")
    console.print(f"{result['steps']} deliveries in {result['wall_seconds']:.2f} s")


SEED_KINDS = ("cga", "licchavi", "gmm")


def _seed_facts(kind: str, body: dict[str, Any], spec: dict[str, Any]) -> list[str]:
    if kind == "gmm":
        return [f"k = {spec['k']}, m = {spec['m']}, Delta = {fmt(spec['Delta'])}, delta = {fmt(spec['delta'])}, "
                f"c = {fmt(spec['c'])} (c/k = {fmt(spec['c'] / spec['k'])}), attack {spec['attack']}, "
                f"{spec['replicates']} replicate(s){', networked' if spec['network'] else ''}",
                f"MSE {fmt(body.get('mse'))} (standard error {fmt(body.get('mse_se'))}); bounds: lower "
                f"{fmt(body.get('lower_bound'))} (printed {fmt(body.get('lower_bound_printed'))}), upper at finite delta "
                f"{fmt(body.get('upper_bound_finite'))}, asymptotic {fmt(body.get('upper_bound_asymptotic'))}"]
    line = f"experiment {body.get('experiment', spec.get('experiment'))}"
    for key in ("N", "eta", "eta_source", "L", "L_bound"):
        if key in body:
            line += f", {key} = {fmt(body[key])}"
    return [line]


def print_seed_summary(result: dict[str, Any], console: Console | None = None) -> None:
    """A cga, licchavi or gmm run: what ran, the key numbers, the verdicts."""
    console = console or Console()
    sc = result["scenario"]
    kind = sc["scenario"]["kind"]
    console.print(f"[bold]{sc['scenario']['name']}[/] ({kind})  seed {result['seed']}  digest {result['trace_digest'][:16]}")
    for line in _seed_facts(kind, result.get(kind, {}), sc[kind]):
        console.print(line)
    print_checks(result, console)
    console.print(f"{result.get('wall_seconds', 0.0):.2f} s")


def print_learn_summary(result: dict[str, Any], console=None) -> None:
    console = console or Console(stderr=False)
    sc, L = result["scenario"], result["learn"]
    s, a, adv = sc["system"], sc["algorithm"], sc["adversary"]
    console.print(f"[bold]{sc['scenario']['name']}[/]  seed {result['seed']}  digest {result['trace_digest'][:16]}")
    console.print(f"LEARN on {L['workload']['workload']} (d = {L['workload']['d']}): n = {s['n']}, f = {s['f']}, "
                  f"h = {s['h']}, q = {s['q']}; AVG {a['name']} (rule {a['rule']}), agreement iterations "
                  f"{L['avg_iterations']}; T = {L['T']}, delta = {fmt(L['delta'])}, eta = {fmt(L['eta'])} "
                  f"({L['eta_source']}), L = {fmt(L['L'])}, C = {fmt(L['C'])}; attack {adv['attack']}, "
                  f"schedule {adv['schedule']}")
    rows = L["rounds"]
    acc = any("accuracy_mean" in r for r in rows)
    table = Table(title="honest parameters per round")
    cols = ["t", "D2(theta)", "||grad Lbar(mean)||", "Lbar(mean)", "D2(g)", "D2(gamma)"] + (["test acc (mean of nodes)"] if acc else [])
    for c in cols:
        table.add_column(c, justify="right")
    idx = list(range(len(rows)))
    if len(idx) > 24:
        idx = idx[:6] + [-1] + idx[-12:]
    for i in idx:
        if i < 0:
            table.add_row(*(["..."] + [""] * (len(cols) - 1)))
            continue
        r = rows[i]
        cells = [str(r["iteration"]), fmt(r["diameter"]), fmt(r["grad_norm"]), fmt(r["loss"]),
                 fmt(r.get("D2_gradients")), fmt(r.get("D2_gamma"))]
        if acc:
            cells.append(fmt(r.get("accuracy_mean")))
        table.add_row(*cells)
    console.print(table)
    if "final" in L:
        fin = L["final"]
        line = (f"output theta_{L['output_index']} ({L['output']}): D2 = {fmt(fin['diameter'])}, "
                f"||grad Lbar|| = {fmt(fin['grad_norm'])}, K = {fmt(L['K'])}, (1 + delta) C K = {fmt(L['bound'])}")
        if "accuracy_mean" in fin:
            line += f", test accuracy {fin['accuracy_mean']:.4f} (min over nodes {fin['accuracy_min']:.4f})"
        console.print(line)
    if "alone" in L:
        al = L["alone"]
        line = f"baseline, each honest node alone: ||grad Lbar|| mean {fmt(al['grad_norm_mean'])}"
        if "accuracy_mean" in al:
            line += f", test accuracy mean {al['accuracy_mean']:.4f} (min {al['accuracy_min']:.4f}, max {al['accuracy_max']:.4f})"
        console.print(line)
    print_checks(result, console)
    m = result["messages"]
    rej = ", ".join(f"{k} {v}" for k, v in m["rejected"].items()) or "none"
    console.print(f"messages: sent {m['sent']}, delivered {m['delivered']}, signature verifications "
                  f"{m['signature_verifications']}; rejected: {rej}; {result['steps']} deliveries in {result['wall_seconds']:.2f} s")


def print_compare(result: dict[str, Any], console: Console | None = None) -> None:
    console = console or Console()
    for r in result["variants"]:
        print_summary(r, console, max_rows=12)
        console.print()
    key = result["compare"]["key"]
    table = Table(title=f"comparison over {key}")
    table.add_column(key)
    names = list(result["variants"][0]["checks"])
    for name in names:
        table.add_column(f"{name} (measured / bound)")
    for r, v in zip(result["variants"], result["compare"]["values"]):
        cells = []
        for name in names:
            c = r["checks"].get(name, {})
            cells.append(f"{verdict(c.get('holds'))} {fmt(c.get('measured'))} / {fmt(c.get('bound'))}")
        table.add_row(str(v), *cells)
    console.print(table)
