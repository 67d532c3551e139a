"""A portfolio: several strategies and seeds on one problem, in parallel processes.

Members run through joblib's ``loky`` backend on this machine, or on a Dask
``distributed`` cluster when a scheduler address is given (the problem is scattered
to the workers once; each task then sends only its member and a deadline).  The
first member to *decide* the problem (an exact proof, or zero training errors) stops
the members after it; the members before it finish, so the answer is the one a
serial run over the same members in the same order gives: the best by (loss,
undecided, position) among the members up to the first decisive one.  On Dask the
members still running are cancelled and see a cluster-wide stop flag (a
``distributed.Event`` looked at every ``STOP_POLL`` seconds, which stops CP-SAT and
PySAT too): they end as ``interrupted`` within about that time.  :func:`dask_map` runs
any grid of tasks the same way (``hardtarget bench --scheduler``).
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import tempfile
import threading
import time
import uuid
import warnings
from collections.abc import Callable, Generator, Iterable, Iterator
from dataclasses import dataclass, field, replace

from ..errors import HardTargetError
from ..problem import Problem
from .api import get_strategy, prepare_search
from .base import SearchContext, SearchResult, run_strategy
from .scheduler import SCHEDULER_ENV, _distributed, check_scheduler, connect, connect_timeout
from .signals import StopSignals

__all__ = [
    "Member",
    "grid",
    "portfolio",
    "dask_map",
    "Shared",
    "SCHEDULER_ENV",
    "check_scheduler",
    "connect",
]

log = logging.getLogger("hardtarget.search")

STOP_POLL = 0.1  # seconds between a Dask member's looks at the stop flag
_DECISIVE = ("optimal", "infeasible")


@dataclass(frozen=True)
class Member:
    """One portfolio run: a strategy name, its seed and its options."""

    strategy: str
    seed: int = 0
    options: dict = field(default_factory=dict)

    def __str__(self) -> str:
        opts = "".join(f", {k}={v!r}" for k, v in sorted(self.options.items()))
        return f"{self.strategy}(seed={self.seed}{opts})"


def grid(
    strategies: Iterable[str] = ("beam", "hill", "ftprop"),
    seeds: Iterable[int] = (0,),
    **options,
) -> list[Member]:
    """Every strategy with every seed (restarts are more seeds), seeds varying fastest.

    >>> [str(m) for m in grid(["beam", "hill"], seeds=range(2))]
    ['beam(seed=0)', 'beam(seed=1)', 'hill(seed=0)', 'hill(seed=1)']
    """
    return [Member(s, int(seed), dict(options)) for s in strategies for seed in seeds]


def _decisive(r: SearchResult) -> bool:
    return r.status in _DECISIVE or (r.success and r.loss == 0)


def _rank(item: tuple[int, SearchResult]) -> tuple:
    i, r = item
    return (r.loss, _objective_rank(r), not _decisive(r), i)


def _objective_rank(r: SearchResult) -> float:
    """Among equal losses, a search objective's preference (smaller is better)."""
    obj = r.info.get("search_objective")
    if obj == "margin" and "min_normalized_margin" in r.info:
        return -float(r.info["min_normalized_margin"])
    if obj == "sparsity" and "nonzero_weights" in r.info:
        return float(r.info["nonzero_weights"])
    return 0.0


def _run(
    problem: Problem, hidden, member: Member, deadline, common: dict, stop_name=None, stop_file=None
):
    """Run one member in a worker; ``deadline`` is wall-clock (``time.time()``).  On Dask
    (``stop_name``, see :func:`dask_map`) the member stops as ``interrupted`` once the
    flag is set; with ``stop_file`` (loky), once that file exists."""
    limit = None if deadline is None else deadline - time.time()
    if (limit is not None and limit <= 0) or (stop_file is not None and os.path.exists(stop_file)):
        return None
    # the instance is built first: an option may share a name with a keyword of ``common``
    # (``solver``: the SAT solver of sat/sat-lp, the unit solver there)
    strat = get_strategy(member.strategy, seed=member.seed, **member.options)
    strat, ctx = prepare_search(
        problem, hidden, strat, seed=member.seed, time_limit=limit, progress=False, **common
    )
    if stop_file is not None:
        return _run_file_watched(strat, ctx, stop_file)
    return run_strategy(strat, ctx) if stop_name is None else run_watched(strat, ctx, stop_name)


def _run_file_watched(strategy, ctx: SearchContext, stop_file: str) -> SearchResult:
    """``run_strategy`` in a loky worker, stopped (``interrupted``, best so far) once
    ``stop_file`` exists: how the parent passes Ctrl-C on to its members."""
    done = threading.Event()

    def watch() -> None:
        while not done.wait(STOP_POLL):
            if os.path.exists(stop_file):
                ctx.signals.request(signal.SIGINT)
                return

    watcher = threading.Thread(target=watch, daemon=True, name="hardtarget-stop-file")
    watcher.start()
    try:
        return run_strategy(strategy, ctx)
    finally:
        done.set()


def _loky(
    problem, hidden, members, deadline, common, jobs, stop_file
) -> Iterator[tuple[int, object]]:
    from joblib import Parallel, delayed

    def task(i: int, m: Member):
        return i, _run(problem, hidden, m, deadline, common, stop_file=stop_file)

    par = Parallel(n_jobs=jobs, backend="loky", return_as="generator_unordered")
    with warnings.catch_warnings():  # cancelling the members after a decisive one is the point
        warnings.filterwarnings("ignore", message=".*still being processed by the workers")
        yield from par(delayed(task)(i, m) for i, m in enumerate(members))


def _watch(flag, ctx: SearchContext, done: threading.Event) -> None:
    """In a Dask worker: stop ``ctx``'s search once the stop ``flag`` is set."""
    while not done.is_set():
        try:
            if flag.wait(timeout=STOP_POLL):
                ctx.signals.request()
                return
        except Exception:  # the client went away: the member keeps its own deadline
            return


def run_watched(strategy, ctx: SearchContext, stop_name: str) -> SearchResult:
    """``run_strategy`` in a Dask task, stopped (``interrupted``) once the stop flag
    ``stop_name`` of :func:`dask_map` is set."""
    done = threading.Event()
    distributed = _distributed()  # the task's client, found from its thread, serves the watcher
    flag = distributed.Event(stop_name, client=distributed.get_client())
    watcher = threading.Thread(target=_watch, args=(flag, ctx, done), daemon=True)
    watcher.start()
    try:
        return run_strategy(strategy, ctx)
    finally:
        done.set()


@dataclass(frozen=True)
class Shared:
    """A task argument that :func:`dask_map` sends to the workers once (by key)."""

    key: str


def dask_map(
    fn: Callable,
    tasks: list[tuple],
    scheduler,
    shared: dict | None = None,
    deadline: float | None = None,
) -> Generator[tuple[int, object], None, None]:
    """Run ``fn(*task, stop_name)`` for every task on a Dask cluster; yield ``(index,
    result)`` as they finish.

    ``shared`` maps keys to large objects (problems) sent to every worker once; a task
    names one by a :class:`Shared` argument.  Closing the
    generator early (or Ctrl-C) cancels the tasks left and sets the stop flag
    ``stop_name`` (a ``distributed.Event``) that running tasks look at.  Connecting
    takes at most :func:`connect_timeout` of the wall-clock ``deadline``.
    """
    distributed = _distributed()
    Client = distributed.Client
    client = (
        scheduler
        if isinstance(scheduler, Client)
        else connect(scheduler, connect_timeout(deadline))
    )
    stop_name = f"hardtarget-stop-{uuid.uuid4().hex}"
    futures: dict = {}
    try:
        # a fresh key per call: with content keys, a client closing after an earlier call on
        # the same problem could release the data under this call's tasks ("lost dependencies")
        data = {k: client.scatter(v, broadcast=True, hash=False) for k, v in (shared or {}).items()}

        def args(task: tuple) -> list:
            return [data[a.key] if isinstance(a, Shared) else a for a in task]

        futures = {
            client.submit(fn, *args(task), stop_name, pure=False): i for i, task in enumerate(tasks)
        }
        for fut in distributed.as_completed(futures, loop=client.loop):
            yield futures[fut], fut.result()
    finally:
        if futures:
            distributed.Event(stop_name, client=client).set()
            client.cancel(list(futures))
        if client is not scheduler:
            client.close()


def _dask(problem, hidden, members, deadline, common, address) -> Iterator[tuple[int, object]]:
    tasks = [(Shared("problem"), hidden, m, deadline, common) for m in members]
    yield from dask_map(_run, tasks, address, {"problem": problem}, deadline)


def _collect(stream, n: int, backend: str, stop_file: str) -> tuple[dict, int, bool]:
    """Members' results from ``stream`` until the answer is known: ``(done, first, interrupted)``.

    With loky, Ctrl-C (or SIGTERM) is caught as a flag: the stop file tells every member to
    stop and return its best so far, and those results are still collected; a second
    Ctrl-C gives up on them.  Serial members handle Ctrl-C themselves; on Dask, Ctrl-C
    cancels the cluster's tasks.
    """
    done: dict[int, SearchResult] = {}
    first = n  # position of the first decisive member seen
    interrupted = False

    def stop_members() -> None:
        with open(stop_file, "w"):
            pass

    signals = StopSignals()
    try:
        with contextlib.ExitStack() as stack:
            if backend == "loky":
                stack.enter_context(signals)
                stack.enter_context(signals.hook(stop_members))
            for i, r in stream:
                if r is None or i > first:
                    continue
                done[i] = r
                if r.status == "interrupted":  # Ctrl-C reached the member first
                    interrupted = True
                    if backend != "loky":
                        break
                    continue  # the others are stopping too: keep their best so far
                if _decisive(r):
                    first = i
                if all(j in done for j in range(first)) and first < n:
                    break  # everything before the decisive member is in
    except KeyboardInterrupt:
        interrupted = True
    except Exception:
        if not signals.requested:
            raise
        # Ctrl-C from the terminal also reached a worker that was still starting (its task
        # fails to load): the members that were running have returned their best so far
        interrupted = True
    finally:
        stream.close()  # stops (loky: kills) the members still running
    if signals.requested:
        interrupted = True
    return done, first, interrupted


def portfolio(
    problem: Problem,
    hidden=(4,),
    members: Iterable[Member] | None = None,
    *,
    jobs: int = 1,
    scheduler=None,
    time_limit: float | None = None,
    **common,
) -> SearchResult:
    """Run ``members`` (default :func:`grid`) in parallel and return the best result.

    Parameters
    ----------
    problem, hidden : as for :func:`hardtarget.solve`.
    members : :class:`Member` list (strategy, seed, options); order matters for ties.
    jobs : worker processes on this machine (joblib/loky); 1 runs them in order here.
    scheduler : a Dask scheduler address (``tcp://host:8786``) or ``distributed.Client``;
        default the ``HARDTARGET_SCHEDULER`` environment variable, if set.
    time_limit : seconds for the whole portfolio; every member stops by then.
    common : passed to every member's :func:`hardtarget.solve` (``activation``,
        ``solver``, ``loss``, ``max_states``).

    Returns
    -------
    The chosen member's :class:`SearchResult`; ``info["member"]`` names it and
    ``info["members"]`` lists every member's status, loss and time.  Ctrl-C returns
    the best so far with status ``interrupted``.

    Examples
    --------
    >>> import hardtarget as ht
    >>> r = portfolio(ht.load_problem("xor"), (2,), grid(["beam", "exhaustive"]))
    >>> r.status, r.info["member"]
    ('feasible', 'beam(seed=0)')
    """
    members = list(grid() if members is None else members)
    if not members or not all(isinstance(m, Member) for m in members):
        raise HardTargetError(
            "members must be a non-empty list of portfolio.Member (see portfolio.grid)"
        )
    for m in members:  # unknown strategies or options fail here, before any work
        get_strategy(m.strategy, seed=m.seed, **m.options).validated()
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise HardTargetError(f"jobs must be an integer >= 1, got {jobs!r}")
    scheduler = scheduler or os.environ.get(SCHEDULER_ENV) or None
    start = time.time()
    deadline = None if time_limit is None else start + float(time_limit)
    if scheduler is not None:
        scheduler = check_scheduler(scheduler)
    with tempfile.TemporaryDirectory(prefix="hardtarget-portfolio-") as tmp:
        stop_file = os.path.join(tmp, "stop")
        if scheduler is not None:
            stream = _dask(problem, hidden, members, deadline, common, scheduler)
            backend = "dask"
        elif jobs > 1:
            stream = _loky(problem, hidden, members, deadline, common, jobs, stop_file)
            backend = "loky"
        else:
            stream = (
                (i, _run(problem, hidden, m, deadline, common)) for i, m in enumerate(members)
            )
            backend = "serial"
        done, first, interrupted = _collect(stream, len(members), backend, stop_file)
    kept = [(i, r) for i, r in done.items() if i <= first]
    if not kept and interrupted:
        raise KeyboardInterrupt
    if not kept:
        raise HardTargetError(
            "no portfolio member finished before the time limit; "
            "raise time_limit or use fewer members"
        )
    i, best = min(kept, key=_rank)
    report = [
        {
            "member": str(members[j]),
            "status": done[j].status,
            "loss": done[j].loss,
            "wall_time": done[j].wall_time,
        }
        for j in sorted(done)
    ]
    info = dict(best.info, member=str(members[i]), backend=backend, jobs=jobs, members=report)
    out = replace(best, info=info, wall_time=time.time() - start)
    if interrupted:
        out = replace(out, status="interrupted", message="interrupted by the user")
    return out
