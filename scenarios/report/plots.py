"""Plots (matplotlib, PNG and SVG) of runs, sweeps and threshold tables.

Every ``*_figure`` function returns a matplotlib Figure whose lines/collections carry the data
exactly as read from the results (tests compare them); ``save`` writes it as PNG and SVG.

- :func:`diameter_figure`: D2 per iteration (log scale) with the theory's bound line (drawn on the
  diameter the lemma tracks: D2, or the coordinate-wise Dcw2 for ICwTM/broadcast, also drawn);
- :func:`averaging_figure`: averaging error ||mean(iteration) - mean(inputs)|| / D2(inputs) per
  iteration, against the constant C;
- :func:`averaging_vs_c_figure`: a sweep's final averaging error against each run's C;
- :func:`thresholds_figure`: n against f per algorithm, pass or fail, the claimed threshold drawn;
- :func:`learn_figure`: LEARN accuracy and gradient norm per round, one line per attack.

Values of 0 cannot be drawn on a log scale: they are drawn as gaps (NaN) and the title says when
D2 reached 0 exactly.
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Iterable

from scenarios.errors import ScenarioError
from scenarios.report.seeds_plots import figure1a


class PlotsUnavailable(ScenarioError):
    """matplotlib is not installed (it is the ``plot`` extra)."""


def _plt():
    try:
        import matplotlib
    except ModuleNotFoundError as exc:
        if exc.name != "matplotlib":
            raise
        raise PlotsUnavailable("plots need matplotlib: pip install 'jungle[plot]'") from None

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _pos(values: Iterable[float | None]) -> list[float]:
    """Values for a log axis: non-positive and missing values become NaN (gaps)."""
    out = []
    for v in values:
        out.append(float(v) if v is not None and v > 0 and math.isfinite(v) else math.nan)
    return out


def title_of(result: dict[str, Any]) -> str:
    sc = result.get("scenario", {})
    s, a, adv = sc.get("system", {}), sc.get("algorithm", {}), sc.get("adversary", {})
    name = sc.get("scenario", {}).get("name", "run")
    return (f"{name}: {a.get('name')} n={s.get('n')} f={s.get('f')} q={s.get('q')} d={s.get('dim')}, "
            f"{adv.get('attack')}/{adv.get('schedule')}, seed {result.get('seed')}")


def save(fig, stem: str | Path) -> list[Path]:
    stem = Path(stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    paths = []
    for ext in ("png", "svg"):
        p = stem.with_suffix(f".{ext}")
        fig.savefig(p, dpi=110, bbox_inches="tight")
        paths.append(p)
    _plt().close(fig)
    return paths


# ------------------------------------------------------------------------------------------------
# one run
# ------------------------------------------------------------------------------------------------
def diameter_figure(result: dict[str, Any]):
    plt = _plt()
    rows = result["iterations"]
    it = [r["iteration"] for r in rows]
    th = result.get("theory") or {}
    on = (th.get("extra") or {}).get("bound_on", "diameter")
    fig, ax = plt.subplots(figsize=(7, 4.2))
    ax.plot(it, _pos(r["diameter"] for r in rows), "o-", ms=3, label="D2 (honest diameter)")
    if on != "diameter":
        ax.plot(it, _pos(r.get(on) for r in rows), "s-", ms=2, alpha=0.7, label="Dcw2 (coordinate-wise)")
    if any(r.get("bound") is not None for r in rows):
        ax.plot(it, _pos(r.get("bound") for r in rows), "--", color="k",
                label=f"theory bound on {'D2' if on == 'diameter' else 'Dcw2'}: (1 - e~)^k x initial"
                if th.get("eps_tilde") else f"theory bound on {'D2' if on == 'diameter' else 'Dcw2'}")
    D0 = rows[0]["diameter"] if rows else 0.0
    t = (result.get("scenario", {}).get("algorithm", {}) or {}).get("t")
    if t is not None and D0 > 0:
        ax.axhline(D0 * 2.0 ** -t, color="tab:green", ls=":", label=f"target 2^-t D2(0), t={t}")
    ax.set_yscale("log")
    ax.set_xlabel("iteration k")
    ax.set_ylabel("diameter (log scale)")
    zero = " (D2 reached 0)" if rows and rows[-1]["diameter"] == 0 else ""
    ax.set_title(f"D2 per iteration{zero}\n{title_of(result)}", fontsize=9)
    ax.legend(fontsize=8)
    ax.grid(True, which="both", alpha=0.3)
    return fig


def averaging_figure(result: dict[str, Any]):
    plt = _plt()
    rows = result["iterations"]
    D0 = rows[0]["diameter"] if rows else 0.0
    it = [r["iteration"] for r in rows]
    err = [(r.get("avg_error", 0.0) / D0) if D0 > 0 else math.nan for r in rows]
    fig, ax = plt.subplots(figsize=(7, 4.2))
    ax.plot(it, err, "o-", ms=3, label="||mean(x_k) - mean(x_0)|| / D2(x_0)")
    av = (result.get("checks") or {}).get("averaging") or {}
    C = av.get("bound")
    if C is not None:
        src = av.get("bound_source") or "theorem"
        ax.axhline(C, color="tab:red", ls="--", label=f"C = {C:.3g} ({src})")
    ax.set_xlabel("iteration k")
    ax.set_ylabel("averaging error / D2(inputs)")
    verdict = {True: "holds", False: "FAILS", None: "no bound"}[av.get("holds")]
    ax.set_title(f"averaging error against C (C-averaging {verdict})\n{title_of(result)}", fontsize=9)
    ax.legend(fontsize=8)
    ax.grid(True, alpha=0.3)
    return fig


def learn_figure(results: list[dict[str, Any]]):
    """Accuracy (when the workload has one) and gradient norm per round, one line per attack."""
    plt = _plt()
    has_acc = any(any("accuracy_mean" in r for r in res["learn"]["rounds"]) for res in results)
    fig, axes = plt.subplots(1, 2 if has_acc else 1, figsize=(12 if has_acc else 7, 4.2), squeeze=False)
    ax_g = axes[0][0]
    for res in results:
        rows = res["learn"]["rounds"]
        label = f"{res['scenario']['adversary']['attack']} (seed {res['seed']})"
        ax_g.plot([r["iteration"] for r in rows], _pos(r["grad_norm"] for r in rows), label=label)
        if has_acc:
            axes[0][1].plot([r["iteration"] for r in rows], [r.get("accuracy_mean", math.nan) for r in rows], label=label)
    ax_g.set_yscale("log")
    ax_g.set_xlabel("LEARN round")
    ax_g.set_ylabel("||grad L(mean of honest parameters)|| (log)")
    ax_g.set_title("gradient norm per round", fontsize=9)
    ax_g.legend(fontsize=8)
    ax_g.grid(True, which="both", alpha=0.3)
    if has_acc:
        ax = axes[0][1]
        ax.set_xlabel("LEARN round")
        ax.set_ylabel("test accuracy (mean over honest nodes)")
        ax.set_title("accuracy per round", fontsize=9)
        ax.legend(fontsize=8)
        ax.grid(True, alpha=0.3)
    sc = results[0]["scenario"]
    fig.suptitle(f"LEARN {sc['scenario']['name']}: {sc['learn']['workload']}, {sc['algorithm']['name']} "
                 f"n={sc['system']['n']} f={sc['system']['f']}, per attack", fontsize=10)
    return fig


def run_plots(result: dict[str, Any], out: str | Path) -> list[Path]:
    """Every plot of one run: D2 and averaging (agreement), or the LEARN curves."""
    out = Path(out)
    sc = result["scenario"]
    stem = f"{sc['scenario']['name']}-seed{result['seed']}"
    paths: list[Path] = []
    if "variants" in result:
        values = (result.get("compare") or {}).get("values") or list(range(len(result["variants"])))
        for v, val in zip(result["variants"], values):
            paths += run_plots(v, out / f"variant-{val}")
        return paths
    if "learn" in result:
        return save(learn_figure([result]), out / f"{stem}-learn")
    if "gmm" in result:
        return save(figure1a([result]), out / f"{stem}-figure1a")
    if result.get("iterations"):
        paths += save(diameter_figure(result), out / f"{stem}-d2")
        paths += save(averaging_figure(result), out / f"{stem}-averaging")
    return paths


# ------------------------------------------------------------------------------------------------
# many runs
# ------------------------------------------------------------------------------------------------
def averaging_vs_c_figure(results: list[dict[str, Any]], title: str = "sweep"):
    """Final averaging error of each run against its C (the line y = C is where the bound sits)."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6.5, 5))
    groups: dict[str, tuple[list[float], list[float]]] = {}
    for res in results:
        av = (res.get("checks") or {}).get("averaging") or {}
        if av.get("bound") is None or av.get("measured") is None:
            continue
        key = res["scenario"]["algorithm"]["name"]
        xs, ys = groups.setdefault(key, ([], []))
        xs.append(float(av["bound"]))
        ys.append(float(av["measured"]))
    top = 0.0
    for name in sorted(groups):
        xs, ys = groups[name]
        ax.scatter(xs, ys, label=name, s=18)
        top = max(top, max(xs), max(ys))
    if top > 0:
        ax.plot([0, top * 1.05], [0, top * 1.05], "k--", lw=1, label="error = C (bound)")
    ax.set_xlabel("C (the algorithm's averaging constant)")
    ax.set_ylabel("measured averaging error / D2(inputs)")
    ax.set_title(f"averaging error against C: {title}\n(points below the dashed line satisfy C-averaging)", fontsize=9)
    if groups:
        ax.legend(fontsize=8)
    ax.grid(True, alpha=0.3)
    return fig


def sweep_plots(results: list[dict[str, Any]], out: str | Path, title: str = "sweep") -> list[Path]:
    out = Path(out)
    paths: list[Path] = []
    agree = [r for r in results if "learn" not in r and "variants" not in r]
    if any(((r.get("checks") or {}).get("averaging") or {}).get("bound") is not None for r in agree):
        paths += save(averaging_vs_c_figure(agree, title), out / "averaging-vs-C")
    gmm = [r for r in results if "gmm" in r]
    if gmm:
        paths += save(figure1a(gmm), out / "figure1a")
    learn = [r for r in results if "learn" in r]
    if learn:
        by: dict[tuple, list] = {}
        for r in learn:
            sc = r["scenario"]
            k = (sc["learn"]["workload"], sc["algorithm"]["name"], sc["system"]["n"], sc["system"]["f"], r["seed"])
            by.setdefault(k, []).append(r)
        for k, rs in sorted(by.items(), key=lambda kv: str(kv[0])):
            rs.sort(key=lambda r: r["scenario"]["adversary"]["attack"])
            paths += save(learn_figure(rs), out / f"learn-{k[0]}-{k[1]}-n{k[2]}-f{k[3]}-seed{k[4]}")
    return paths


def plot_sweep(grid, results: dict[str, dict[str, Any]], out: str | Path) -> list[Path]:
    keys = [p.key for p in grid.points if p.scenario is not None and p.key in results]
    seen, ordered = set(), []
    for k in keys:
        if k not in seen:
            seen.add(k)
            ordered.append(results[k])
    name = grid.base.get("scenario", {}).get("name", "sweep")
    return sweep_plots(ordered, out, title=name)


# ------------------------------------------------------------------------------------------------
# thresholds
# ------------------------------------------------------------------------------------------------
def thresholds_figure(table: dict[str, Any]):
    """n against f per algorithm: green circles where every attack failed, red crosses where some
    attack broke it (a break confirmed over the horizon); the n the paper's assumption needs as a
    dashed line, and its headline n as a dotted one where they differ."""
    plt = _plt()
    rows = table["rows"]
    algos = list(dict.fromkeys(r["algorithm"] for r in rows))
    fig, axes = plt.subplots(1, len(algos), figsize=(3.6 * len(algos), 4.2), squeeze=False)
    for ax, alg in zip(axes[0], algos):
        rs = [r for r in rows if r["algorithm"] == alg]
        ok = [(r["f"], n) for r in rs for n, v in r["per_n"].items() if v["status"] == "pass"]
        bad = [(r["f"], n) for r in rs for n, v in r["per_n"].items() if v["status"] == "broken"]
        ax.scatter([f for f, _ in ok], [int(n) for _, n in ok], marker="o", color="tab:green", label="no attack broke it")
        ax.scatter([f for f, _ in bad], [int(n) for _, n in bad], marker="x", color="tab:red", s=50, label="broken")
        fs = sorted({r["f"] for r in rs})
        claimed = [next(r["claimed"] for r in rs if r["f"] == f) for f in fs]
        ax.plot(fs, claimed, "k--", marker="_", ms=14, label="n its assumption needs")
        headline = [next(r.get("headline") for r in rs if r["f"] == f) for f in fs]
        if all(h is not None for h in headline) and headline != claimed:
            ax.plot(fs, headline, ":", color="tab:blue", marker="_", ms=14, label="paper's headline n")
        ax.set_xticks(fs)
        ax.set_xlim(min(fs) - 0.5, max(fs) + 0.5)
        ax.set_xlabel("f")
        ax.set_ylabel("n")
        ax.set_title(f"{alg}", fontsize=10)
        ax.grid(True, alpha=0.3)
    axes[0][0].legend(fontsize=7, loc="upper left")
    fig.suptitle("resilience thresholds: n against f (every shipped attack and schedule, constructions, search)", fontsize=10)
    return fig


# ------------------------------------------------------------------------------------------------
# `jungle plot RESULTS`
# ------------------------------------------------------------------------------------------------
def plot_results(data: dict[str, Any], out: str | Path) -> list[Path]:
    """Plots of one result JSON (a run, a compare) or of a thresholds JSON, already read."""
    out = Path(out)
    if "rows" in data and data.get("kind") == "thresholds":
        return save(thresholds_figure(data), out / "thresholds")
    return run_plots(data, out)


def plot_sweep_dir(results: list[dict[str, Any]], out: str | Path, title: str) -> list[Path]:
    """Plots of a sweep directory's results, already read."""
    return sweep_plots(results, Path(out), title=title)


# ------------------------------------------------------------------------------------------------
# the LEARN heatmap (jungle table --heatmap)
# ------------------------------------------------------------------------------------------------
def heatmap_figure(hm: dict[str, Any]):
    """Worst-case honest test accuracy over attacks, one panel per row (aggregation), f down, alpha
    across; each cell annotated with its value in % (the clean accuracy in brackets)."""
    plt = _plt()
    rows, fs, alphas = hm["rows"], hm["fs"], hm["alphas"]
    fig, axes = plt.subplots(1, len(rows), figsize=(1.6 + 1.9 * len(alphas) * len(rows), 1.2 + 0.9 * len(fs)),
                             squeeze=False)
    im = None
    for ax, row in zip(axes[0], rows):
        grid = [[math.nan if v is None else 100 * v for v in line] for line in hm["worst"][row]]
        clean = hm.get("clean", {}).get(row)
        im = ax.imshow(grid, vmin=0, vmax=100, cmap="viridis", aspect="auto")
        ax.set_xticks(range(len(alphas)), [f"{a:g}" for a in alphas])
        ax.set_yticks(range(len(fs)), [str(f) for f in fs])
        ax.set_xlabel("alpha (Dirichlet label split; small = heterogeneous)")
        ax.set_ylabel("f")
        ns = sorted({hm["row_systems"][f"{row}|{f}|{a}"]["n"] for f in fs for a in alphas}) if hm.get("row_systems") else []
        ax.set_title(f"{row}" + (f" (n = {', '.join(map(str, ns))})" if ns else ""))
        for i in range(len(fs)):
            for j in range(len(alphas)):
                v = grid[i][j]
                txt = "-" if math.isnan(v) else f"{v:.0f}"
                if clean is not None and clean[i][j] is not None:
                    txt += f"\n({100 * clean[i][j]:.0f})"
                ax.text(j, i, txt, ha="center", va="center", color="white" if not math.isnan(v) and v < 60 else "black",
                        fontsize=9)
    fig.suptitle("worst-case honest test accuracy (%) over attacks; clean in brackets", fontsize=10)
    if im is not None:
        fig.colorbar(im, ax=axes[0].tolist(), shrink=0.8, label="accuracy (%)")
    return fig


def heatmap_plots(hm: dict[str, Any], out: str | Path) -> list[Path]:
    """The heatmap as PNG and SVG at ``out`` (a path stem)."""
    return save(heatmap_figure(hm), out)
