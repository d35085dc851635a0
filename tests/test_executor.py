"""The one executor behind sweep, thresholds and the LEARN table: same results wherever jobs run,
errors raised with their message, progress lines when not on a terminal."""
import math

import pytest

from scenarios.errors import ScenarioError
from scenarios.explore.executor import Executor


def square_plus(x, y):
    return x * x + y


def refuse(x):
    if x == 3:
        raise ScenarioError(f"job {x} refused")
    return x


@pytest.mark.parametrize("workers", [1, 2])
def test_every_job_once_with_its_own_result(workers):
    jobs = [(i, 10 * i) for i in range(7)]
    got = dict(Executor(workers=workers, progress=False).run(square_plus, jobs))
    assert got == {i: i * i + 10 * i for i in range(7)}


def test_a_failing_job_raises_its_error():
    with pytest.raises(ScenarioError, match="job 3 refused"):
        list(Executor(workers=2, progress=False).run(refuse, [(i,) for i in range(6)]))


def test_progress_lines_when_not_a_terminal(capsys):
    list(Executor(workers=1, every=2).run(math.factorial, [(i,) for i in range(5)], label="demo",
                                           describe=lambda r: f"last {r}"))
    err = capsys.readouterr().err
    assert "demo 2/5" in err and "demo 4/5" in err and "demo 5/5 last 24" in err


@pytest.mark.parametrize("bad", [0, -1, True, "2"])
def test_bad_worker_counts_are_refused(bad):
    with pytest.raises(ScenarioError, match="--workers"):
        Executor(workers=bad)


def test_an_unreachable_dask_scheduler_is_one_line():
    pytest.importorskip("distributed")
    with pytest.raises(ScenarioError, match="cannot reach the scheduler"):
        list(Executor(dask="tcp://127.0.0.1:1", progress=False, connect_timeout=2).run(math.factorial, [(3,)]))
