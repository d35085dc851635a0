"""Plots: each figure's data series are the results it was drawn from; files are written."""
from __future__ import annotations

import json
import math

import numpy as np
import pytest

pytest.importorskip("matplotlib")

from scenarios.report import plots
from scenarios.run.execute import execute, prepare
from scenarios.cli.main import main


@pytest.fixture(scope="module")
def result():
    cfg = prepare("icwtm-contraction", ["system.n=6", "system.f=1", "system.dim=2", "algorithm.t=1"], 2)
    return json.loads(json.dumps(execute(cfg, progress=False), default=float))


def _line(ax, label_start):
    lines = [ln for ln in ax.get_lines() if ln.get_label().startswith(label_start)]
    assert len(lines) == 1, [ln.get_label() for ln in ax.get_lines()]
    return lines[0]


def _same(a, b):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return a.shape == b.shape and bool(np.all((a == b) | (np.isnan(a) & np.isnan(b))))


def test_diameter_figure_series(result):
    fig = plots.diameter_figure(result)
    ax = fig.axes[0]
    rows = result["iterations"]
    d2 = _line(ax, "D2 (honest")
    assert list(d2.get_xdata()) == [r["iteration"] for r in rows]
    assert _same(d2.get_ydata(), [r["diameter"] if r["diameter"] > 0 else math.nan for r in rows])
    cw = _line(ax, "Dcw2")  # ICwTM's lemma tracks Dcw2
    assert _same(cw.get_ydata(), [r["cw_diameter"] if r["cw_diameter"] > 0 else math.nan for r in rows])
    bound = _line(ax, "theory bound")
    assert _same(bound.get_ydata(), [r["bound"] for r in rows])
    # the bound is (1 - e~)^k Dcw2(0)
    et = result["theory"]["eps_tilde"]
    assert np.allclose(bound.get_ydata(), [(1 - et) ** r["iteration"] * rows[0]["cw_diameter"] for r in rows])
    target = _line(ax, "target")
    assert target.get_ydata()[0] == pytest.approx(rows[0]["diameter"] * 2 ** -result["scenario"]["algorithm"]["t"])
    assert ax.get_yscale() == "log" and ax.get_xlabel() and ax.get_ylabel()
    assert "icwtm-contraction" in ax.get_title() and "seed 2" in ax.get_title()


def test_averaging_figure_series(result):
    ax = plots.averaging_figure(result).axes[0]
    rows = result["iterations"]
    err = _line(ax, "||mean")
    assert np.allclose(err.get_ydata(), [r["avg_error"] / rows[0]["diameter"] for r in rows])
    assert err.get_ydata()[-1] == pytest.approx(result["checks"]["averaging"]["measured"])
    C = _line(ax, "C = ")
    assert C.get_ydata()[0] == pytest.approx(result["checks"]["averaging"]["bound"])
    assert "averaging" in ax.get_title()


def test_averaging_vs_c_and_sweep_plots(result, tmp_path):
    other = json.loads(json.dumps(result))
    other["scenario"]["algorithm"]["name"] = "mda"
    other["checks"]["averaging"].update(bound=2.5, measured=0.7)
    ax = plots.averaging_vs_c_figure([result, other]).axes[0]
    pts = {c.get_label(): c.get_offsets().tolist() for c in ax.collections}
    assert pts["icwtm"] == [[result["checks"]["averaging"]["bound"], result["checks"]["averaging"]["measured"]]]
    assert pts["mda"] == [[2.5, 0.7]]
    paths = plots.sweep_plots([result, other], tmp_path)
    assert sorted(p.name for p in paths) == ["averaging-vs-C.png", "averaging-vs-C.svg"]
    assert all(p.stat().st_size > 1000 for p in paths)


def test_thresholds_figure_series():
    table = {"kind": "thresholds", "rows": [
        {"algorithm": "mda", "f": 1, "claimed": 7, "headline": 7,
         "per_n": {"5": {"status": "broken"}, "6": {"status": "broken"}, "7": {"status": "pass"}, "8": {"status": "pass"}}},
        {"algorithm": "mda", "f": 2, "claimed": 13, "headline": 13,
         "per_n": {"11": {"status": "broken"}, "13": {"status": "pass"}}},
        {"algorithm": "broadcast", "f": 1, "claimed": 4, "per_n": {"3": {"status": "broken"}, "4": {"status": "pass"}}},
        {"algorithm": "icwtm", "f": 1, "claimed": 6, "headline": 5, "per_n": {"5": {"status": "broken"}}},
    ]}
    fig = plots.thresholds_figure(table)
    ax_mda, ax_b, ax_i = fig.axes
    sc = {c.get_label(): sorted(map(tuple, c.get_offsets().tolist())) for c in ax_mda.collections}
    assert sc["no attack broke it"] == [(1, 7), (1, 8), (2, 13)]
    assert sc["broken"] == [(1, 5), (1, 6), (2, 11)]
    claimed = _line(ax_mda, "n its assumption")
    assert list(claimed.get_xdata()) == [1, 2] and list(claimed.get_ydata()) == [7, 13]
    assert not [ln for ln in ax_mda.get_lines() if "headline" in ln.get_label()]  # same as the assumption's
    headline = _line(ax_i, "paper's headline")
    assert list(headline.get_ydata()) == [5] and list(_line(ax_i, "n its assumption").get_ydata()) == [6]
    assert ax_b.get_title() == "broadcast" and ax_mda.get_xlabel() == "f" and ax_mda.get_ylabel() == "n"


def test_learn_figure_series():
    cfg = prepare("learn-quadratic", ["system.n=6", "system.f=1", "system.dim=2", "learn.rounds=3", "learn.alone=false"], 1)
    res = json.loads(json.dumps(execute(cfg, progress=False), default=float))
    other = json.loads(json.dumps(res))
    other["scenario"]["adversary"]["attack"] = "noise"
    for r in other["learn"]["rounds"]:
        r["grad_norm"] *= 2
    ax = plots.learn_figure([res, other]).axes[0]
    for r, label in ((res, "split"), (other, "noise")):
        ln = _line(ax, label)
        assert list(ln.get_xdata()) == [row["iteration"] for row in r["learn"]["rounds"]]
        assert np.allclose(ln.get_ydata(), [row["grad_norm"] for row in r["learn"]["rounds"]])
    assert ax.get_yscale() == "log"


def test_run_plot_flag_and_plot_command(tmp_path, capsys):
    assert main(["run", "icwtm-contraction", "--set", "system.n=6", "--set", "system.f=1", "--set", "system.dim=2",
                 "--set", "algorithm.t=1", "--quiet", "--json", str(tmp_path / "r.json"), "--plot", str(tmp_path / "p")]) == 0
    names = sorted(p.name for p in (tmp_path / "p").iterdir())
    assert names == ["icwtm-contraction-seed1-averaging.png", "icwtm-contraction-seed1-averaging.svg",
                     "icwtm-contraction-seed1-d2.png", "icwtm-contraction-seed1-d2.svg"]
    assert main(["plot", str(tmp_path / "r.json"), "--out", str(tmp_path / "q")]) == 0
    assert sorted(p.name for p in (tmp_path / "q").iterdir()) == names
    assert main(["plot", str(tmp_path / "missing.json")]) == 2
