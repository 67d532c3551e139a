"""A portfolio: several strategies and seeds on one problem, in parallel processes.

Members run through joblib's ``loky`` backend on this machine, or on a Dask
``distributed`` cluster when a scheduler address is given (the problem is scattered
to the workers once; each task then sends only its member and a remote budget, see
:mod:`.cluster`).  The first member to *decide* the problem (an exact proof, or zero
training errors) stops the members after it; the members before it finish, so the
answer is the one a serial run over the same members in the same order gives: the
best by (loss, undecided, position) among the members up to the first decisive one.

Every member runs under the portfolio's one :class:`~hardtarget.budget.Budget`: a
child of it here, a :class:`~hardtarget.budget.RemoteBudget` (the same deadline and a
cancel channel: a stop file with loky, a ``distributed.Event`` on Dask) in another
process.  Ctrl-C cancels the portfolio's budget, and through the channel every
member's, which stops CP-SAT and PySAT too: they end as ``interrupted`` within about
``hardtarget.budget.POLL`` seconds.
"""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
import time
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace

from ..budget import Budget, FileChannel, RemoteBudget
from ..errors import HardTargetError
from ..problem import Problem
from ..signals import StopSignals
from ..status import Status
from .api import budget_of_run, get_strategy, prepare_search
from .base import SearchResult, run_strategy
from .cluster import Shared, dask_map
from .scheduler import SCHEDULER_ENV, check_scheduler, connect

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

_DECISIVE = (Status.OPTIMAL, Status.INFEASIBLE)


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


def _run(problem: Problem, hidden, member: Member, common: dict, budget):
    """Run one member under ``budget``: a :class:`~hardtarget.budget.Budget` (serial, here)
    or a :class:`~hardtarget.budget.RemoteBudget` (a worker: opened here, stopped as
    ``interrupted`` once its cancel channel is set).  None when the time was up or the
    portfolio was stopped before it started."""
    if isinstance(budget, RemoteBudget):
        left = budget.time_left()
        if (left is not None and left <= 0) or budget.cancelled():
            return None
        with budget.open() as opened:
            return _run(problem, hidden, member, common, opened)
    if budget.stopped():
        return None
    # the instance is built first: an option may share a name with a keyword of ``common``
    # (``solver``: the SAT solver of sat/sat-lp, the unit solver there)
    strat = get_strategy(member.strategy, seed=member.seed, **member.options)
    strat, ctx = prepare_search(
        problem, hidden, strat, seed=member.seed, run_budget=budget, progress=False, **common
    )
    return run_strategy(strat, ctx)


def _loky(problem, hidden, members, common, jobs, remote) -> Iterator[tuple[int, object]]:
    from joblib import Parallel, delayed

    def task(i: int, m: Member):
        return i, _run(problem, hidden, m, common, remote)

    par = Parallel(n_jobs=jobs, backend="loky", return_as="generator_unordered")
    with warnings.catch_warnings():  # cancelling the members after a decisive one is the point
        warnings.filterwarnings("ignore", message=".*still being processed by the workers")
        yield from par(delayed(task)(i, m) for i, m in enumerate(members))


def _dask(problem, hidden, members, common, address, budget) -> Iterator[tuple[int, object]]:
    tasks = [(Shared("problem"), hidden, m, common) for m in members]
    yield from dask_map(_run, tasks, address, {"problem": problem}, budget)


def _collect(
    stream, n: int, backend: str, budget: Budget, channel: FileChannel | None = None
) -> tuple[dict, int, bool]:
    """Members' results from ``stream`` until the answer is known: ``(done, first, interrupted)``.

    With loky, Ctrl-C (or SIGTERM) cancels the portfolio's ``budget``: the cancel
    ``channel`` tells every member to stop and return its best so far, and those results
    are still collected; a second Ctrl-C gives up on them.  Serial members handle Ctrl-C
    themselves; on Dask, Ctrl-C cancels the cluster's tasks.
    """
    done: dict[int, SearchResult] = {}
    first = n  # position of the first decisive member seen
    interrupted = False
    signals = StopSignals(budget)
    try:
        with contextlib.ExitStack() as stack:
            if backend == "loky":
                stack.enter_context(signals)
                if channel is not None:
                    stack.enter_context(budget.on_cancel(channel.set))
            for i, r in stream:
                if r is None or i > first:
                    continue
                done[i] = r
                if r.status == Status.INTERRUPTED:  # Ctrl-C reached the member first
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
    run_budget: Budget | None = None,
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
    run_budget : a :class:`~hardtarget.budget.Budget` of the caller's for the whole
        portfolio (with ``time_limit``, a child of it); cancelling it stops every member.
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
    >>> print(r.status, r.info["member"])
    feasible beam(seed=0)
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
    budget = budget_of_run(run_budget, time_limit, None)
    if scheduler is not None:
        scheduler = check_scheduler(scheduler)
    channel = None
    with tempfile.TemporaryDirectory(prefix="hardtarget-portfolio-") as tmp:
        if scheduler is not None:
            stream = _dask(problem, hidden, members, common, scheduler, budget)
            backend = "dask"
        elif jobs > 1:
            channel = FileChannel(os.path.join(tmp, "stop"))
            stream = _loky(problem, hidden, members, common, jobs, budget.remote(channel))
            backend = "loky"
        else:
            stream = (
                (i, _run(problem, hidden, m, common, budget.child())) for i, m in enumerate(members)
            )
            backend = "serial"
        done, first, interrupted = _collect(stream, len(members), backend, budget, channel)
    kept = [(i, r) for i, r in done.items() if i <= first]
    if not kept and interrupted:
        raise KeyboardInterrupt
    if not kept and budget.cancelled:
        raise HardTargetError(
            "the portfolio's run_budget was cancelled before any member finished: nothing to return"
        )
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
        out = replace(out, status=Status.INTERRUPTED, message="interrupted by the user")
    return out
