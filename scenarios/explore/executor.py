"""One executor for every batch of independent runs (sweep, thresholds, the LEARN table): in this
process, in local worker processes, or on a Dask cluster, chosen by one option, behind one progress
display.

    ex = Executor(workers=2)                     # or Executor(dask="tcp://host:8786"), Executor(workers=1)
    for i, result in ex.run(fn, jobs, label="sweep"):
        ...                                       # results arrive as they complete; i indexes ``jobs``

``fn`` must be a module-level function (worker processes are spawned, Dask pickles it) and each job a
tuple of its arguments. Runs are deterministic by their own seeds, so where a job runs never changes
its result. If a job raises, the pending ones are cancelled and the error is raised here
(a :class:`~scenarios.errors.ScenarioError` keeps its one-line message).

Progress: a rich bar on a terminal; elsewhere (CI, a log file) one line every ``every`` results and at
the end, so that a long batch is never silent.
"""
from __future__ import annotations

import multiprocessing as mp
import os
import time
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Sequence

from rich.console import Console
from threadpoolctl import threadpool_limits
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from scenarios.errors import ScenarioError

DASK_CONNECT_TIMEOUT = 60
"""Seconds to reach the scheduler (a cold cluster on a busy machine can take longer than dask's 30 s)."""


class _Display:
    """The one progress display: a bar on a terminal, a line every ``every`` results elsewhere."""

    def __init__(self, label: str, total: int, enabled: bool, every: int, describe: Callable[[Any], str] | None):
        self.label, self.total, self.every, self.describe = label, total, every, describe
        self.console = Console(stderr=True)
        self.lines = enabled and not self.console.is_terminal
        self.t0 = time.perf_counter()
        self.count = 0
        self.bar = None
        if enabled and not self.lines:
            self.bar = Progress(TextColumn(f"[bold]{label}[/]"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                                TextColumn("ETA"), TimeRemainingColumn(), console=self.console, transient=False)
            self.task = self.bar.add_task(label, total=total)
            self.bar.start()

    def advance(self, result: Any) -> None:
        self.count += 1
        if self.bar is not None:
            self.bar.advance(self.task)
        elif self.lines and (self.count % self.every == 0 or self.count == self.total):
            what = f" {self.describe(result)}" if self.describe else ""
            self.console.print(f"[{time.perf_counter() - self.t0:6.0f} s] {self.label} {self.count}/{self.total}{what}",
                               highlight=False)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()


def one_blas_thread() -> None:
    """Worker initialiser: one BLAS thread per worker process. The workers already use every core;
    a multithreaded BLAS on top oversubscribes them (measured here: one q x q Gram product at
    d = 100,000 took seconds instead of milliseconds on a loaded 2-core machine)."""
    threadpool_limits(limits=1, user_api="blas")


@dataclass
class Executor:
    """Where a batch runs: ``dask`` (a scheduler address or a ``distributed.Client``) if given, else
    ``workers`` local processes (default: one per core; 1 runs in this process)."""

    workers: int | None = None
    dask: Any = None
    progress: bool = True
    every: int = 10
    connect_timeout: float = DASK_CONNECT_TIMEOUT

    def __post_init__(self) -> None:
        if self.workers is not None and (isinstance(self.workers, bool) or not isinstance(self.workers, int)
                                         or self.workers < 1):
            raise ScenarioError(f"--workers must be a whole number >= 1, got {self.workers!r}")

    @property
    def where(self) -> str:
        if self.dask is not None:
            return f"dask {self.dask}"
        w = self.workers or os.cpu_count() or 1
        return "this process" if w == 1 else f"{w} local processes"

    def run(self, fn: Callable[..., Any], jobs: Sequence[tuple], *, label: str = "runs",
            describe: Callable[[Any], str] | None = None) -> Iterator[tuple[int, Any]]:
        """Run ``fn(*job)`` for every job; yield ``(index, result)`` as each completes."""
        display = _Display(label, len(jobs), self.progress, self.every, describe)
        try:
            if not jobs:
                return
            if self.dask is not None:
                source = self._dask(fn, jobs)
            elif (self.workers or os.cpu_count() or 1) <= 1 or len(jobs) == 1:
                source = ((i, fn(*job)) for i, job in enumerate(jobs))
            else:
                source = self._processes(fn, jobs)
            for i, result in source:
                display.advance(result)
                yield i, result
        finally:
            display.close()

    def _processes(self, fn, jobs) -> Iterator[tuple[int, Any]]:
        w = min(self.workers or os.cpu_count() or 1, len(jobs))
        ex = ProcessPoolExecutor(max_workers=w, mp_context=mp.get_context("spawn"), initializer=one_blas_thread)
        try:
            pending = {ex.submit(fn, *job): i for i, job in enumerate(jobs)}
            while pending:
                done, _ = wait(list(pending), return_when=FIRST_COMPLETED)
                for fut in sorted(done, key=lambda fu: pending[fu]):
                    i = pending.pop(fut)
                    yield i, fut.result()
        except BaseException:
            ex.shutdown(wait=False, cancel_futures=True)
            raise
        ex.shutdown(wait=True)

    def _dask(self, fn, jobs) -> Iterator[tuple[int, Any]]:
        try:
            from distributed import Client, as_completed
        except ModuleNotFoundError as exc:
            raise ScenarioError("--dask needs the dask extra: pip install 'jungle[dask]'") from exc
        own = not isinstance(self.dask, Client)
        try:
            client = Client(self.dask, timeout=self.connect_timeout) if own else self.dask
        except (OSError, TimeoutError, ValueError) as exc:
            raise ScenarioError(f"--dask {self.dask!r}: cannot reach the scheduler ({exc})") from None
        try:
            futs = [client.submit(fn, *job, pure=False) for job in jobs]
            index = {f.key: i for i, f in enumerate(futs)}
            try:
                for fut in as_completed(futs):
                    yield index[fut.key], fut.result()
            except BaseException:
                client.cancel(futs)
                raise
        finally:
            if own:
                client.close()
