"""docs/workloads.md's bring-your-own-workload example runs as written."""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from scenarios.run.execute import prepare
from scenarios.run.learn import run_learn
from scenarios.run.workloads import WORKLOADS

DOC = Path(__file__).resolve().parent.parent / "docs" / "workloads.md"


def test_the_documented_workload_runs_decentralised_and_against_the_server():
    code = re.findall(r"```python\n(.*?)```", DOC.read_text(), flags=re.S)[-1]
    ns: dict = {}
    exec(compile(code, str(DOC), "exec"), ns)
    w = ns["Ridge"](3, 4, 10, 0.1, np.random.default_rng(0))
    theta = np.arange(4.0)
    e = np.eye(4)
    fd = [(w.loss(1, theta + 1e-6 * v) - w.loss(1, theta - 1e-6 * v)) / 2e-6 for v in e]
    np.testing.assert_allclose(w.grad(1, theta), fd, rtol=1e-6, atol=1e-6)
    with WORKLOADS.temporarily("ridge", ns["make"]):
        sets = ["learn.workload=ridge", "learn.batch=fixed", "learn.momentum=0.9", "learn.rounds=8",
                "system.n=7", "system.f=1", "learn.alone=false"]
        for extra in ([], ["algorithm.name=server", "algorithm.rule=nnm+cwtm"]):
            res = run_learn(prepare("learn-quadratic", sets + extra, 1))
            assert res["checks"]["termination"]["holds"] and res["learn"]["workload"]["workload"] == "ridge"
            rows = res["learn"]["rounds"]
            assert rows[-1]["loss"] < rows[0]["loss"]
