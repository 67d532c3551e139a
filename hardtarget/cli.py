"""The ``hardtarget`` command.

Each subcommand is a pair (add arguments, run); later features register theirs in
``COMMANDS``.  Exit codes: 0 success (feasible), 1 a negative verdict
(infeasible), 2 bad input.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from typing import Callable

import numpy as np

__all__ = ["main", "COMMANDS"]


def _add_problem_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--problem", "-p", required=True,
                   help="built-in problem spec (see `hardtarget problems`) or a .csv/.npz file")
    p.add_argument("--label", help="label column (CSV name or index) or array name (NPZ)")


def _problems_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="print JSON")


def _problems_run(args) -> int:
    from .datasets import list_problems

    items = list_problems()
    if args.json:
        print(json.dumps([{"name": n, "description": d} for n, d in items], indent=2))
    else:
        for n, d in items:
            print(f"{n:15s} {d}")
    return 0


def _verify_args(p: argparse.ArgumentParser) -> None:
    _add_problem_args(p)
    p.add_argument("--targets", help=".npz file with hidden targets T1, T2, ... (n_samples x n_units, ±1); "
                                     "default: the planted targets of a planted problem, else no hidden layer")
    p.add_argument("--activation", default="sign", help="sign (default) or step")
    p.add_argument("--solver", default="lp", help="unit solver: lp (default, max-margin + certificates) or auto")
    p.add_argument("--out", help="save the assembled network here (.npz) when feasible")
    p.add_argument("--sat", choices=["cpsat", "pysat"],
                   help="also check every unit with this SAT encoding and cross-check it against the LP")
    p.add_argument("--weights", help="weight class of the --sat check: integer (cpsat default), binary "
                                     "(pysat default) or ternary")
    p.add_argument("--time-limit", type=float, help="seconds per unit for the --sat check")
    p.add_argument("--json", action="store_true", help="print the full report as JSON")


def _verify_run(args) -> int:
    from .datasets import load_problem
    from .errors import HardTargetError
    from .feasibility import verify

    problem = load_problem(args.problem, args.label)
    if args.targets:
        try:
            with np.load(args.targets, allow_pickle=False) as f:
                names = sorted((k for k in f.files if k[:1] == "T" and k[1:].isdigit()), key=lambda k: int(k[1:]))
                targets = [f[k] for k in names]
        except (OSError, ValueError) as exc:
            raise HardTargetError(f"cannot read targets file {args.targets}: {exc}") from None
        if not targets:
            raise HardTargetError(f"{args.targets} holds no arrays named T1, T2, ...; save them with np.savez")
    elif problem.planted is not None:
        targets = problem.planted["targets"]
    else:
        targets = []
    if args.sat:
        return _sat_verify_run(args, problem, targets)
    if args.weights or args.time_limit is not None:
        raise HardTargetError("--weights and --time-limit apply to the SAT check only; add --sat cpsat or --sat pysat")
    report = verify(problem, targets, activation=args.activation, solver=args.solver)
    if args.out and report.network is not None:
        report.network.save(args.out)
    if args.json:
        print(json.dumps(report.to_dict(), indent=2))
    else:
        print(report.summary())
    return 0 if report.feasible else 1


def _sat_verify_run(args, problem, targets) -> int:
    """``verify --sat``: the encoding's verdict per unit next to the LP's."""
    from .search.sat import sat_verify

    r = sat_verify(problem, targets, activation=args.activation, backend=args.sat, weights=args.weights,
                   time_limit=args.time_limit)
    if args.out and r.feasible and r.lp.network is not None:
        r.lp.network.save(args.out)
    if args.json:
        print(json.dumps({"feasible": r.feasible, "exact": r.exact, "agree": r.agree, "lp_feasible": r.lp.feasible,
                          "units": r.units}, indent=2))
    else:
        for u in r.units:
            print(f"layer {u['layer']} unit {u['unit']}: {args.sat} {'fits' if u['sat'] else 'no fit'}"
                  f"{' (exact for real weights)' if u['exact'] else ''}, LP {'separable' if u['lp'] else 'not separable'}")
        print(f"{args.sat}: {'feasible' if r.feasible else 'infeasible'}; "
              f"{'agrees' if r.agree else 'DISAGREES'} with the LP verifier")
    return 0 if r.feasible else 1


COMMANDS: "dict[str, tuple[str, Callable, Callable]]" = {
    "problems": ("list the built-in problems", _problems_args, _problems_run),
    "verify": ("check a hidden target setting for feasibility, unit by unit", _verify_args, _verify_run),
    "solve": __import__("hardtarget.search.cli", fromlist=["SOLVE"]).SOLVE,
    "min-width": __import__("hardtarget.search.cli", fromlist=["MIN_WIDTH"]).MIN_WIDTH,
    "bench": __import__("hardtarget.search.cli", fromlist=["BENCH"]).BENCH,
    "train": __import__("hardtarget.torch.cli", fromlist=["COMMAND"]).COMMAND,  # torch imported lazily
}


def build_parser() -> argparse.ArgumentParser:
    from . import __version__

    parser = argparse.ArgumentParser(prog="hardtarget", description="Learn hard-threshold networks by target search.")
    parser.add_argument("--version", action="version", version=f"hardtarget {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (help_, add_args, _run) in COMMANDS.items():
        add_args(sub.add_parser(name, help=help_, description=help_))
    return parser


def main(argv: "list[str] | None" = None) -> int:
    from .errors import HardTargetError

    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(message)s")
    if args.command is None:
        parser.print_help()
        return 2
    try:
        return COMMANDS[args.command][2](args)
    except HardTargetError as exc:
        print(f"hardtarget: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
