"""``hardtarget min-width``: the smallest hidden width that fits the data."""

from __future__ import annotations

import argparse

from ..status import Status
from ._args import add_parser, load_problem_arg, nonneg_int
from ._output import print_json
from .solve import add_search_args, checked_options

__all__ = ["register", "run"]


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``min-width`` to the command line."""
    p = add_parser(
        subparsers,
        "min-width",
        "find the smallest hidden width that fits the data",
        "Try one hidden layer of width 0 (a single perceptron), 1, 2, ... up to --max-width "
        "and stop at the first that fits. Exact strategies (exhaustive, sat, sat-lp) prove "
        "the smaller widths infeasible; heuristics only report them as not found.",
    )
    add_search_args(p, "exhaustive")
    p.add_argument(
        "--max-width",
        type=nonneg_int,
        default=8,
        metavar="W",
        help="largest hidden width to try, an integer >= 0 (default 8)",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Search widths; exit 0 when one fits, 1 when none up to --max-width does."""
    from ..search import min_width
    from ._options import strategy_arg

    options = checked_options(args)
    problem = load_problem_arg(args)
    strategy, kwargs = strategy_arg(args.strategy, options, args.seed)
    r = min_width(
        problem,
        strategy=strategy,
        max_width=args.max_width,
        time_limit=args.time_limit,
        seed=args.seed,
        activation=args.activation,
        objective=args.objective,
        **kwargs,
    )
    stopped = any(res.status == Status.INTERRUPTED for res in r.results.values())
    if args.json:
        d = r.to_dict()
        d["interrupted"] = stopped
        print_json(d)
    elif r.width is not None:
        below = ", ".join(f"{w}: {v}" for w, v in r.proofs.items()) or "none"
        print(
            f"{problem.name}: minimal hidden width {r.width} "
            f"({'proven' if r.proven else 'not proven'}; smaller widths — {below})"
        )
    elif r.undecided is not None:  # an exact strategy stopped: keep the proofs it made
        print(f"{problem.name}: {r.message}")
    elif stopped:
        below = ", ".join(f"{w}: {v}" for w, v in r.proofs.items()) or "none"
        print(f"{problem.name}: interrupted at width {max(r.results)}; smaller widths — {below}")
    else:
        print(f"{problem.name}: no width up to {args.max_width} found")
    return 130 if stopped else 0 if r.width is not None else 1
