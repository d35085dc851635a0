"""Plots of the seed kinds: the GMM paper's Figure 1a (average client's MSE against c/k) with the
measured MSE of a sweep between the bounds. Returns matplotlib Figures whose lines carry the data
(tests read them); :func:`scenarios.report.plots.save` writes PNG and SVG."""
from __future__ import annotations

from typing import Any

import numpy as np

from agreement.pfl import gmm as G


def _plt():
    import matplotlib  # heavy and optional: imported when a plot is drawn

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def figure1a(results: list[dict[str, Any]], deltas: tuple[float, ...] = (2.0, 3.0, 4.0)):
    """Theorem 2's corrected asymptotic bound for each Delta in ``deltas``, the finite-delta bound of
    the runs' (Delta, delta), Theorem 1's integer and printed lower bounds, and each attack's measured
    MSE (error bars: 2 standard errors)."""
    plt = _plt()
    runs = [r for r in results if "gmm" in r]
    spec = runs[0]["scenario"]["gmm"]
    k, D, delta = spec["k"], spec["Delta"], spec["delta"]
    top = max([0.5] + [r["gmm"]["c_over_k"] for r in runs])
    xs = np.linspace(0.0, top, 101)
    fig, ax = plt.subplots(figsize=(7.5, 5))
    palette = ["tab:cyan", "tab:orange", "tab:green", "tab:olive", "tab:gray"]
    for Dd, col in zip(deltas, palette):
        ax.plot(xs, [G.upper_bound_paper(x, Dd) for x in xs], "-", lw=1.2, color=col,
                label=f"upper bound, Theorem 2 corrected (Delta = {Dd:g}, delta -> 0)")
    ax.plot(xs, [G.upper_bound_finite(x, D, delta) for x in xs], "--", color="k", lw=1.4,
            label=f"upper bound at delta = {delta:g} (Delta = {D:g})")
    ax.plot(xs, [G.lower_bound(x * k, k)[0] for x in xs], "-", color="tab:purple", lw=1.6,
            label=f"lower bound, Theorem 1 (integer k', k = {k})")
    ax.plot(xs, [G.lower_bound_printed(x * k, k) for x in xs], ":", color="tab:purple", lw=1.2,
            label="lower bound as printed, c/(sqrt(8 pi) k)")
    markers = {"worst": ("o", "tab:red"), "lb": ("s", "tab:brown"), "destroy": ("^", "tab:pink"),
               "shift": ("v", "tab:blue"), "silent": ("x", "k"), "none": ("+", "k")}
    for attack in sorted({r["scenario"]["gmm"]["attack"] for r in runs}):
        pts = sorted((r["gmm"]["c_over_k"], r["gmm"]["mse"], r["gmm"]["mse_se"]) for r in runs
                     if r["scenario"]["gmm"]["attack"] == attack)
        mk, col = markers.get(attack, ("o", "tab:red"))
        ax.errorbar([p[0] for p in pts], [p[1] for p in pts], yerr=[2 * p[2] for p in pts], fmt=mk, color=col,
                    ms=6, capsize=3, label=f"measured MSE, attack {attack} (m = {spec['m']}, bars: 2 s.e.)")
    ax.set_xlabel("c / k (corrupted mass per component)")
    ax.set_ylabel("average uncorrupted client's MSE")
    ax.set_xlim(0, top * 1.02)
    ax.set_ylim(0, max(0.6, top * 1.2))
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=7, loc="upper left")
    ax.set_title("Robust personalised mean estimation, GMM (Figure 1a with measurements)\n"
                 f"k = {k}, Delta = {D:g}, delta = {delta:g}, separation 9 Delta", fontsize=9)
    return fig

