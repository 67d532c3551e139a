"""Compare strategies on a suite of problems, several seeds (``hardtarget bench``).

Not to be confused with ``benchmarks/`` (the developers' measurement scripts): this module
is the library behind the ``hardtarget bench`` command, formerly ``hardtarget.bench``.

``run_suite`` returns one row per run; ``summarize`` aggregates them per (problem,
strategy) into success rate, mean training accuracy, median time to best and mean
states evaluated; ``markdown`` renders the table and ``plot`` draws best loss against
time.  To add a problem, add a ``(spec, hidden)`` pair to a suite; to add a strategy,
register it (:func:`hardtarget.search.register`) and name it in ``strategies``.
"""

from __future__ import annotations

import logging
import os
import statistics
import warnings
from collections.abc import Callable
from contextlib import closing, nullcontext

from .datasets import load_problem
from .errors import HardTargetError
from .search import STRATEGIES, solve
from .search.api import prepare_search
from .search.base import run_strategy
from .search.cluster import Shared, dask_map
from .search.scheduler import check_scheduler
from .status import Status

__all__ = ["SUITES", "run_suite", "summarize", "markdown", "plot", "write_results", "write_report"]

log = logging.getLogger("hardtarget.compare")

SUITES = {
    "quick": [
        ("xor", (2,)),
        ("parity:3", (3,)),
        ("majority:5", ()),
        ("planted:4-2-1:40:{seed}", (2,)),
        ("planted:8-3-1:100:{seed}", (3,)),
        ("iris:1-2", (2,)),
    ],
    "full": [
        ("xor", (2,)),
        ("parity:3", (3,)),
        ("parity:4", (4,)),
        ("parity:5", (5,)),
        ("majority:7", ()),
        ("planted:4-2-1:40:{seed}", (2,)),
        ("planted:8-3-1:100:{seed}", (3,)),
        ("planted:16-8-1:500:{seed}", (8,)),
        ("iris:1-2", (2,)),
        ("digits:3-8", (4,)),
        ("breast_cancer", (2,)),
    ],
}


def run_suite(
    suite="quick",
    strategies=None,
    seeds=(0, 1, 2),
    time_limit: float = 10.0,
    options: dict | None = None,
    on_result: Callable[[dict], object] | None = None,
    scheduler=None,
) -> list:
    """Run every strategy on every problem of ``suite`` (a name or a list of (spec, hidden)).

    Each finished run is logged as one line and passed to ``on_result`` (to save it
    at once).  Ctrl-C stops the suite: the rows finished so far are returned, the
    interrupted run last with status ``interrupted``.  With ``scheduler`` (a Dask
    address or ``distributed.Client``) the runs go to the cluster, each problem sent
    once; rows come back in the serial order.
    """
    if isinstance(suite, str) and suite not in SUITES:
        raise HardTargetError(f"unknown suite {suite!r}; valid: {', '.join(SUITES)}")
    problems = SUITES[suite] if isinstance(suite, str) else suite
    strategies = list(strategies or sorted(STRATEGIES))
    options = options or {}
    if scheduler is not None:
        scheduler = check_scheduler(scheduler)
        grid = [
            (s.format(seed=seed), h, n, seed)
            for s, h in problems
            for seed in seeds
            for n in strategies
        ]
        return _run_dask(grid, time_limit, options, on_result, scheduler)
    rows: list = []
    try:
        solve(
            load_problem("xor"), hidden=(2,), strategy="exhaustive", progress=False
        )  # JIT warm-up
        for spec, hidden in problems:
            for seed in seeds:
                problem = load_problem(spec.format(seed=seed))
                for name in strategies:
                    row = _run_one(problem, hidden, name, seed, time_limit, options.get(name, {}))
                    rows.append(row)
                    if on_result is not None:
                        on_result(row)
                    if row["status"] == Status.INTERRUPTED:
                        return rows
    except KeyboardInterrupt:
        log.info("interrupted after %d run(s)", len(rows))
    return rows


def _run_dask(grid: list, time_limit, options: dict, on_result, scheduler) -> list:
    shared = {spec: load_problem(spec) for spec in dict.fromkeys(g[0] for g in grid)}
    tasks = [(Shared(s), h, n, seed, time_limit, options.get(n, {})) for s, h, n, seed in grid]
    done: dict = {}
    try:
        with closing(dask_map(_run_one, tasks, scheduler, shared)) as stream:
            for i, row in stream:
                done[i] = row
                if on_result is not None:
                    on_result(row)
    except KeyboardInterrupt:
        log.info("interrupted after %d run(s)", len(done))
    return [done[i] for i in sorted(done)]


def _run_one(
    problem, hidden, name: str, seed: int, time_limit: float, options: dict, remote=None
) -> dict:
    """One run of the grid as a row; on Dask (``remote``, a
    :class:`~hardtarget.budget.RemoteBudget`) it stops as ``interrupted`` once the grid is
    abandoned (Ctrl-C)."""
    row = {"problem": problem.name, "hidden": list(hidden), "strategy": name, "seed": seed}
    try:
        with warnings.catch_warnings(), remote.open() if remote else nullcontext() as budget:
            warnings.simplefilter("ignore")
            strat, ctx = prepare_search(
                problem,
                hidden=hidden,
                strategy=name,
                time_limit=time_limit,
                seed=seed,
                progress=False,
                run_budget=budget,
                **options,
            )
            r = run_strategy(strat, ctx)
    except HardTargetError as exc:  # e.g. exhaustive refuses a space too big to finish
        row.update(status=Status.REFUSED, message=str(exc))
        log.info("%s %s seed %d: refused (%s)", problem.name, name, seed, exc)
        return row
    row.update(
        status=r.status,
        success=r.success,
        train_accuracy=r.train_accuracy,
        loss=r.loss,
        time_to_best=r.time_to_best,
        wall_time=r.wall_time,
        states_evaluated=r.states_evaluated,
        history=r.history,
    )
    log.info(
        "%s %s seed %d: %s, train accuracy %.4f, %.2f s",
        problem.name,
        name,
        seed,
        r.status,
        r.train_accuracy,
        r.wall_time,
    )
    return row


def summarize(rows: list) -> list:
    """Aggregate rows per (problem family, strategy)."""
    groups: dict = {}
    for r in rows:
        fam = (
            r["problem"].rsplit(":", 1)[0] if r["problem"].startswith("planted:") else r["problem"]
        )
        groups.setdefault((fam, tuple(r["hidden"]), r["strategy"]), []).append(r)
    out = []
    for (fam, hidden, strat), rs in groups.items():
        done = [r for r in rs if r["status"] != Status.REFUSED]
        if not done:
            out.append(
                {
                    "problem": fam,
                    "hidden": list(hidden),
                    "strategy": strat,
                    "runs": len(rs),
                    "refused": True,
                }
            )
            continue
        out.append(
            {
                "problem": fam,
                "hidden": list(hidden),
                "strategy": strat,
                "runs": len(done),
                "refused": False,
                "success_rate": sum(r["success"] for r in done) / len(done),
                "train_accuracy": statistics.fmean(r["train_accuracy"] for r in done),
                "time_to_best": statistics.median(r["time_to_best"] for r in done),
                "states": statistics.fmean(r["states_evaluated"] for r in done),
                "statuses": sorted({r["status"] for r in done}),
            }
        )
    return out


def markdown(summary: list) -> str:
    """The summary rows as a markdown table."""
    lines = [
        "| problem | hidden | strategy | runs | success | train acc | time to best (s) | states "
        "| status |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for s in summary:
        h = ",".join(map(str, s["hidden"])) or "0"
        if s["refused"]:
            lines.append(
                f"| {s['problem']} | {h} | {s['strategy']} | {s['runs']} "
                "| — | — | — | — | too big |"
            )
        else:
            lines.append(
                f"| {s['problem']} | {h} | {s['strategy']} | {s['runs']} "
                f"| {s['success_rate']:.0%} | "
                f"{s['train_accuracy']:.4f} | {s['time_to_best']:.3f} | {s['states']:.0f} | "
                f"{'/'.join(s['statuses'])} |"
            )
    return "\n".join(lines)


def plot(rows: list, path: str) -> str | None:
    """Best loss against time per strategy, one panel per problem (needs matplotlib)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        log.warning("matplotlib is not installed (pip install hardtarget[plot]); no plot written")
        return None
    probs = sorted({r["problem"] for r in rows if r.get("history")})
    fig, axes = plt.subplots(len(probs), 1, figsize=(7, 2.6 * len(probs)), squeeze=False)
    colors: dict = {}
    for ax, prob in zip(axes[:, 0], probs, strict=True):
        for r in rows:
            if r["problem"] != prob or not r.get("history"):
                continue
            ts = [max(h[0], 1e-4) for h in r["history"]] + [max(r["wall_time"], 1e-4)]
            ls = [h[2] for h in r["history"]] + [r["history"][-1][2]]
            c = colors.setdefault(r["strategy"], f"C{len(colors)}")
            ax.step(
                ts,
                ls,
                where="post",
                color=c,
                alpha=0.7,
                label=r["strategy"] if r["seed"] == min(x["seed"] for x in rows) else None,
            )
        ax.set_xscale("log")
        ax.set_title(prob, fontsize=9)
        ax.set_ylabel("best loss")
        ax.legend(fontsize=7)
    axes[-1, 0].set_xlabel("seconds")
    fig.tight_layout()
    from ._io import atomic_open

    with atomic_open(path) as fh:
        fig.savefig(fh, format="png", dpi=90)
    plt.close(fig)
    return path


def write_results(rows: list, out_dir: str) -> list:
    """Write results.json (strict JSON) and results.md under ``out_dir``, atomically."""
    from ._io import atomic_open, dumps_json

    os.makedirs(out_dir, exist_ok=True)
    summary = summarize(rows)
    with atomic_open(os.path.join(out_dir, "results.json"), "w") as fh:
        fh.write(dumps_json({"rows": rows, "summary": summary}, indent=1))
    with atomic_open(os.path.join(out_dir, "results.md"), "w") as fh:
        fh.write(markdown(summary) + "\n")
    return summary


def write_report(rows: list, out_dir: str) -> dict:
    """Write results.json, results.md and loss_vs_time.png under ``out_dir``."""
    summary = write_results(rows, out_dir)
    return {"summary": summary, "plot": plot(rows, os.path.join(out_dir, "loss_vs_time.png"))}
