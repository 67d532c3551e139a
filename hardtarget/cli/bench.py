"""``hardtarget bench``: every strategy on a suite of problems, several seeds."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from ..errors import HardTargetError
from ..status import Status
from ._args import add_parser, pos_float, pos_int
from ._output import locked_outputs

if TYPE_CHECKING:
    from tqdm import tqdm

__all__ = ["register", "run"]


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``bench`` to the command line."""
    p = add_parser(
        subparsers,
        "bench",
        "benchmark every strategy on a suite of problems",
        "Run every strategy on every problem of a suite for several seeds. Each result is "
        "written to OUT/results.json and results.md as soon as it finishes, so a stopped "
        "run keeps what it had; the plot is drawn at the end.",
    )
    p.add_argument(
        "--suite", default="quick", choices=["quick", "full"], help="problem suite (default quick)"
    )
    p.add_argument(
        "--strategies", metavar="NAMES", help="comma-separated strategy names (default: all)"
    )
    p.add_argument("--seeds", type=pos_int, default=3, metavar="N", help="seeds 0..N-1 (default 3)")
    p.add_argument(
        "--time-limit",
        type=pos_float,
        default=10.0,
        metavar="SECONDS",
        help="seconds per run (default 10)",
    )
    p.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="run the grid on a Dask cluster, each problem sent once "
        "(default $HARDTARGET_SCHEDULER; needs dask[distributed])",
    )
    p.add_argument(
        "--out",
        default="bench-results",
        metavar="DIR",
        help="folder for results.md, results.json and loss_vs_time.png (default bench-results)",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run the suite, writing results as they finish; exit 0 (130 when stopped early)."""
    from ..compare import SUITES, markdown, run_suite, write_report, write_results
    from ..search import STRATEGIES
    from ..search.portfolio import SCHEDULER_ENV

    strategies = [s.strip() for s in args.strategies.split(",")] if args.strategies else None
    for s in strategies or []:
        if s not in STRATEGIES:
            raise HardTargetError(
                f"unknown strategy {s!r} in --strategies; valid: {', '.join(sorted(STRATEGIES))}"
            )
    if os.path.isfile(args.out):
        raise HardTargetError(f"--out {args.out} is a file; bench writes a folder of results")
    expected = len(SUITES[args.suite]) * args.seeds * len(strategies or STRATEGIES)
    rows: list = []

    def finished(row: dict) -> None:
        rows.append(row)
        write_results(rows, args.out)
        if bar is not None:
            bar.update(1)

    with (
        locked_outputs(args.out, files=False),
        _runs_only(args.verbose),
        _bar(args, expected) as bar,
    ):
        rows[:] = run_suite(  # the serial order (a Dask grid finishes in any order)
            args.suite,
            strategies,
            seeds=range(args.seeds),
            time_limit=args.time_limit,
            on_result=finished,
            scheduler=args.scheduler or os.environ.get(SCHEDULER_ENV) or None,
        )
        if len(rows) < expected or (rows and rows[-1]["status"] == Status.INTERRUPTED):
            print(
                f"interrupted: {len(rows)} of {expected} run(s) kept in {args.out}/results.json "
                "and results.md"
            )
            return 130
        rep = write_report(rows, args.out)  # the plot, still under the lock
    print(markdown(rep["summary"]))
    print(
        f"\nwritten: {args.out}/results.md, results.json"
        + (", loss_vs_time.png" if rep["plot"] else "")
    )
    return 0


@contextmanager
def _runs_only(verbose: int) -> Iterator[None]:
    """One progress line per finished run: the searches inside log only under ``-v``."""
    search = logging.getLogger("hardtarget.search")
    old = search.level
    if not verbose:
        search.setLevel(logging.WARNING)
    try:
        yield
    finally:
        search.setLevel(old)


@contextmanager
def _bar(args: argparse.Namespace, total: int) -> Iterator[tqdm | None]:
    """A progress bar over the runs on a terminal (log lines take its place elsewhere)."""
    if args.quiet or not sys.stderr.isatty():
        yield None
        return
    from tqdm import tqdm

    with tqdm(total=total, unit="run", desc="bench", leave=False) as bar:
        yield bar
