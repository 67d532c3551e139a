"""``hardtarget solve`` and ``hardtarget min-width``."""

from __future__ import annotations

import argparse
import ast
import json

from ..errors import HardTargetError

__all__ = ["SOLVE", "MIN_WIDTH", "BENCH", "parse_options", "parse_hidden"]


def parse_hidden(text: str) -> tuple:
    """``"4"`` -> (4,), ``"4,3"`` -> (4, 3), ``"0"`` or ``""`` -> ()."""
    text = (text or "").strip()
    if text in ("", "0"):
        return ()
    try:
        widths = tuple(int(w) for w in text.split(","))
    except ValueError:
        raise HardTargetError(f"--hidden takes widths joined by commas, e.g. 4 or 4,3; got {text!r}") from None
    if any(w < 1 for w in widths):
        raise HardTargetError(f"every hidden layer needs width >= 1, got {text!r}; use --hidden 0 for none")
    return widths


def parse_options(items: "list[str] | None") -> dict:
    """``["width=8", "init=ftprop-mb"]`` -> {"width": 8, "init": "ftprop-mb"}."""
    out = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise HardTargetError(f"--option takes KEY=VALUE, got {item!r}")
        try:
            out[key] = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            out[key] = value
    return out


def _common(p: argparse.ArgumentParser) -> None:
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--problem", "-p", help="built-in problem spec (see `hardtarget problems`)")
    src.add_argument("--data", help="a .csv or .npz data file")
    p.add_argument("--label", help="label column (CSV name or index) or array name (NPZ)")
    p.add_argument("--multiclass", choices=["ovr"], help="more than two classes: one output unit per class")
    p.add_argument("--time-limit", type=float, help="seconds; the best result so far is returned when hit")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--activation", default="sign", help="sign (default) or step")
    p.add_argument("--option", "-o", action="append", metavar="KEY=VALUE",
                   help="strategy option, e.g. -o width=8 -o init=ftprop-mb (repeatable)")
    p.add_argument("--json", action="store_true", help="print JSON")


def _solve_args(p: argparse.ArgumentParser) -> None:
    _common(p)
    p.add_argument("--hidden", default="2", help="hidden widths, e.g. 4 or 4,3 (0: none); default 2")
    p.add_argument("--strategy", "-s", default="beam", help="exhaustive, hill, beam, ftprop, madaline, sat, sat-lp")
    p.add_argument("--max-states", type=int, help="stop after this many evaluated states")
    p.add_argument("--solver", default="auto", help="unit solver (default auto)")
    p.add_argument("--out", help="save the trained network here (.npz)")
    p.add_argument("--targets-out", help="save the best hidden targets here (.npz with T1, T2, ...)")


def _load(args):
    from ..datasets import load_data, load_problem

    if args.problem:
        return load_problem(args.problem, args.label, args.multiclass)
    return load_data(args.data, args.label, args.multiclass)


def _solve_run(args) -> int:
    import numpy as np

    from .._io import atomic_open
    from .api import solve

    problem = _load(args)
    r = solve(problem, hidden=parse_hidden(args.hidden), strategy=args.strategy, activation=args.activation,
              solver=args.solver, time_limit=args.time_limit, max_states=args.max_states, seed=args.seed,
              **parse_options(args.option))
    if args.out and r.network is not None:
        r.network.save(args.out)
    if args.targets_out and r.targets is not None:
        with atomic_open(args.targets_out) as fh:
            np.savez(fh, **r.targets.to_npz_dict())
    if args.json:
        d = r.to_dict()
        d["problem"] = problem.name
        print(json.dumps(d, indent=2))
    else:
        print(f"{problem.name}: {r.status} ({r.message})")
        print(f"  strategy {r.strategy}, hidden {r.hidden}, train accuracy {r.train_accuracy:.4f}, "
              f"loss {r.loss:g}, {r.states_evaluated} states, {r.wall_time:.3f} s")
    return 0 if r.success else 1


def _min_width_args(p: argparse.ArgumentParser) -> None:
    _common(p)
    p.add_argument("--strategy", "-s", default="exhaustive", help="exhaustive, sat, sat-lp (proofs) or a heuristic")
    p.add_argument("--max-width", type=int, default=8)


def _min_width_run(args) -> int:
    from .api import min_width

    problem = _load(args)
    r = min_width(problem, strategy=args.strategy, max_width=args.max_width, time_limit=args.time_limit,
                  seed=args.seed, activation=args.activation, **parse_options(args.option))
    if args.json:
        print(json.dumps(r.to_dict(), indent=2))
    elif r.width is None:
        print(f"{problem.name}: no width up to {args.max_width} found")
    else:
        below = ", ".join(f"{w}: {v}" for w, v in r.proofs.items()) or "none"
        print(f"{problem.name}: minimal hidden width {r.width} ({'proven' if r.proven else 'not proven'}; "
              f"smaller widths — {below})")
    return 0 if r.width is not None else 1


SOLVE = ("search hidden targets and train a hard-threshold network", _solve_args, _solve_run)
MIN_WIDTH = ("find the smallest hidden width that fits the data", _min_width_args, _min_width_run)


def _bench_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--suite", default="quick", help="quick (default) or full")
    p.add_argument("--strategies", help="comma-separated strategy names (default: all)")
    p.add_argument("--seeds", type=int, default=3, help="seeds 0..N-1 (default 3)")
    p.add_argument("--time-limit", type=float, default=10.0, help="seconds per run (default 10)")
    p.add_argument("--out", default="bench-results", help="folder for results.md/.json and the plot")


def _bench_run(args) -> int:
    from ..bench import SUITES, markdown, run_suite, write_report

    if args.suite not in SUITES:
        raise HardTargetError(f"unknown suite {args.suite!r}; valid: {', '.join(SUITES)}")
    strategies = args.strategies.split(",") if args.strategies else None
    from .api import STRATEGIES

    for s in strategies or []:
        if s not in STRATEGIES:
            raise HardTargetError(f"unknown strategy {s!r}; valid: {', '.join(sorted(STRATEGIES))}")
    rows = run_suite(args.suite, strategies, seeds=range(args.seeds), time_limit=args.time_limit)
    rep = write_report(rows, args.out)
    print(markdown(rep["summary"]))
    print(f"\nwritten: {args.out}/results.md, results.json" + (", loss_vs_time.png" if rep["plot"] else ""))
    return 0


BENCH = ("benchmark every strategy on a suite of problems", _bench_args, _bench_run)
