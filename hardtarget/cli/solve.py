"""``hardtarget solve``: search hidden targets and train a hard-threshold network."""

from __future__ import annotations

import argparse

from ..errors import HardTargetError
from ..status import Status
from ._args import (
    SOLVER_CHOICES,
    STRATEGY_CHOICES,
    add_budget_args,
    add_data_args,
    add_parser,
    load_problem_arg,
    pos_int,
    progress_flag,
    say,
)
from ._output import check_paths, locked_outputs, print_json

__all__ = ["register", "run", "parse_hidden", "add_search_args", "checked_options"]

DEFAULT_STRATEGY = "beam"


def parse_hidden(text: str) -> tuple[int, ...] | str:
    """``"4"`` -> (4,), ``"4,3"`` -> (4, 3), ``"0"`` or ``""`` -> (), ``"auto"`` -> "auto"."""
    from ..network import hidden_widths

    text = (text or "").strip()
    return "auto" if text == "auto" else hidden_widths(text)


def add_search_args(p: argparse.ArgumentParser, default_strategy: str) -> None:
    """Data, budget, activation, strategy and ``-o`` options (solve and min-width)."""
    add_data_args(p)
    add_budget_args(p)
    p.add_argument(
        "--strategy",
        "-s",
        default=default_strategy,
        choices=STRATEGY_CHOICES,
        metavar="NAME",
        help="search strategy: %(choices)s (default %(default)s; "
        "`hardtarget strategies` lists their options)",
    )
    p.add_argument(
        "--option",
        "-o",
        action="append",
        metavar="KEY=VALUE",
        help="strategy option, e.g. -o width=8 -o init=ftprop-mb (repeatable; "
        "`hardtarget strategies` lists each strategy's options)",
    )
    p.add_argument(
        "--objective",
        default=None,
        choices=["errors", "margin", "sparsity"],
        help="what to prefer among networks with equal training error: errors (default: "
        "the first found), margin (maximum-margin units) or sparsity (fewest nonzero "
        "weights); see docs/guide/objectives.md. Not the sat/sat-lp option "
        "-o objective=..., which still sets what their solver optimizes",
    )
    p.add_argument(
        "--activation",
        default="sign",
        choices=["sign", "step"],
        help="hidden activation (default sign)",
    )
    p.add_argument("--json", action="store_true", help="print the result as JSON")


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``solve`` to the command line."""
    p = add_parser(subparsers, "solve", "search hidden targets and train a hard-threshold network")
    add_search_args(p, DEFAULT_STRATEGY)
    p.add_argument(
        "--hidden",
        default="2",
        help="hidden widths, e.g. 4 or 4,3 (0: none), or auto (the smallest single layer "
        "that fits; with --strategy auto, the estimator's defaults); default 2",
    )
    p.add_argument("--max-states", type=pos_int, metavar="N", help="stop after N evaluated states")
    p.add_argument(
        "--solver",
        default="auto",
        choices=SOLVER_CHOICES,
        metavar="NAME",
        help="unit solver: %(choices)s (default %(default)s)",
    )
    p.add_argument(
        "--jobs",
        type=pos_int,
        default=1,
        metavar="N",
        help="run N restarts (seeds SEED..SEED+N-1) in N processes; the best wins",
    )
    p.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="run the restarts on a Dask cluster (default $HARDTARGET_SCHEDULER)",
    )
    p.add_argument("--out", metavar="FILE", help="save the trained network here (.npz)")
    p.add_argument(
        "--targets-out",
        metavar="FILE",
        help="save the best hidden targets here (.npz with T1, T2, ...)",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Solve; exit 0 with zero training errors, 1 with errors left, 130 when interrupted."""
    import os

    from ..search import solve
    from ..search.scheduler import SCHEDULER_ENV, check_scheduler
    from ._options import strategy_arg

    hidden = parse_hidden(args.hidden)
    auto = "auto" in (hidden, args.strategy)
    if auto and _parallel(args):
        raise HardTargetError(
            "--hidden auto and --strategy auto run one search at a time; drop --jobs and "
            "--scheduler, or name a width and a strategy"
        )
    options = checked_options(args)
    outputs = [("--out", args.out), ("--targets-out", args.targets_out)]
    proof = options.get("proof")
    if proof:  # sat-lp's proof set: the DRAT file, its CNF and its certificates
        outputs += [("-o proof=", proof), ("the proof's CNF", f"{proof}.cnf")]
        outputs += [("the proof's certificates", f"{proof}.json")]
    inputs = [("--data", args.data)]
    check_paths(outputs, inputs)
    scheduler = args.scheduler or os.environ.get(SCHEDULER_ENV)
    if scheduler:  # a malformed address fails here, before any work
        check_scheduler(scheduler)
    problem = load_problem_arg(args)
    # -o objective= (sat, sat-lp) goes to the strategy, --objective to solve (strategy_arg
    # builds the instance when an option shares a name with a keyword of solve)
    strategy, kwargs = strategy_arg(args.strategy, options, args.seed)
    with locked_outputs(*outputs, inputs=inputs):
        r = (
            _portfolio(args, problem, hidden, options)
            if _parallel(args)
            else solve(
                problem,
                hidden=hidden,
                strategy=strategy,
                activation=args.activation,
                objective=args.objective,
                solver=args.solver,
                time_limit=args.time_limit,
                max_states=args.max_states,
                seed=args.seed,
                progress=progress_flag(args),
                **kwargs,
            )
        )
        written = _write(args, r)
    if args.json:
        d = r.to_dict()
        d.update(problem=problem.name, written=written)
        print_json(d)
    else:
        print(f"{problem.name}: {r.status} ({r.message})")
        if r.network is None:
            print(
                f"  no network found: {r.states_evaluated} states evaluated in {r.wall_time:.3f} s"
            )
        else:
            print(
                f"  strategy {r.strategy}, hidden {r.hidden}, "
                f"train accuracy {r.train_accuracy:.4f}, "
                f"loss {r.loss:g}, {r.states_evaluated} states, {r.wall_time:.3f} s"
            )
            if "min_normalized_margin" in r.info:
                print(
                    f"  objective {r.info['search_objective']}: smallest normalized margin "
                    f"{r.info['min_normalized_margin']:.4g}, "
                    f"{r.info['nonzero_weights']} nonzero weights"
                )
    return 130 if r.status == Status.INTERRUPTED else 0 if r.success else 1


def checked_options(args: argparse.Namespace) -> dict:
    """The ``-o`` options checked against ``--strategy`` (none with ``--strategy auto``)."""
    from ._options import strategy_options

    if args.strategy != "auto":
        return strategy_options(args.strategy, args.option)
    if args.option:
        raise HardTargetError(
            "-o options belong to a named strategy; --strategy auto picks one per width "
            "(see docs/guide/estimator.md), so name the strategy to pass options"
        )
    return {}


def _parallel(args: argparse.Namespace) -> bool:
    import os

    return args.jobs > 1 or bool(args.scheduler) or bool(os.environ.get("HARDTARGET_SCHEDULER"))


def _portfolio(args: argparse.Namespace, problem, hidden, options):
    """``--jobs``/``--scheduler``: restarts of the strategy as a search portfolio."""
    from ..search.portfolio import Member, portfolio

    members = [Member(args.strategy, args.seed + i, options) for i in range(args.jobs)]
    return portfolio(
        problem,
        hidden,
        members,
        jobs=args.jobs,
        scheduler=args.scheduler,
        time_limit=args.time_limit,
        activation=args.activation,
        solver=args.solver,
        max_states=args.max_states,
        **({} if args.objective is None else {"objective": args.objective}),
    )


def _write(args: argparse.Namespace, r) -> dict:
    """Write ``--out`` and ``--targets-out``; say why a requested file was not written."""
    import numpy as np

    from .._io import atomic_open

    written: dict = {}
    if args.out:
        if r.network is not None:
            r.network.save(args.out)
            written["out"] = args.out
        else:
            written["out"] = None
            hint = "; allow more time (--time-limit)" if r.status == Status.TIME_LIMIT else ""
            say(
                f"hardtarget solve: {args.out} not written: the search ended ({r.status}) "
                f"before any target setting was evaluated, so there is no network{hint}"
            )
    if args.targets_out:
        if r.targets is not None and r.network is not None:
            with atomic_open(args.targets_out) as fh:
                np.savez(fh, **r.targets.to_npz_dict())
            written["targets_out"] = args.targets_out
        else:
            written["targets_out"] = None
            say(f"hardtarget solve: {args.targets_out} not written: no target setting was found")
    return written
