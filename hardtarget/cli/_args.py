"""Arguments shared by the subcommands: the parser class, data, budgets, verbosity.

Nothing here imports numpy, numba or torch at module level, so ``hardtarget --help``
and ``--version`` stay fast.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Callable, Iterator
from typing import Any

from .. import registry
from ..errors import HardTargetError

__all__ = [
    "EXIT_CODES",
    "Parser",
    "LazyChoices",
    "add_parser",
    "add_data_args",
    "add_budget_args",
    "load_problem_arg",
    "nonneg_int",
    "pos_int",
    "pos_float",
    "progress_flag",
    "say",
    "verbosity_args",
    "STRATEGY_CHOICES",
    "SOLVER_CHOICES",
    "EXPORTER_CHOICES",
]

EXIT_CODES = """\
exit codes:
  0    success (feasible, solved, written)
  1    a negative answer (infeasible, no width found, errors left)
  2    bad input (the message names the problem and the fix)
  3    internal error (a bug: please report it; -v prints the traceback)
  130  interrupted (Ctrl-C or SIGTERM), after printing the best result so far"""


class Parser(argparse.ArgumentParser):
    """An ArgumentParser whose usage errors raise :class:`HardTargetError` (exit 2)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise HardTargetError(f"{message}\n{self.format_usage().rstrip()}")


class LazyChoices:
    """Choices computed on first use, so building the parser imports nothing heavy."""

    def __init__(self, load: Callable[[], list[str]]):
        self._load = load
        self._items: list[str] | None = None

    def _get(self) -> list[str]:
        if self._items is None:
            self._items = list(self._load())
        return self._items

    def __iter__(self) -> Iterator[str]:
        return iter(self._get())

    def __contains__(self, item: object) -> bool:
        return item in self._get()


def verbosity_args(parser: argparse.ArgumentParser, verbose: Any = 0, quiet: Any = False) -> None:
    """``-v``/``-q``; a subcommand passes ``argparse.SUPPRESS`` so that an unset flag
    keeps the value given before the subcommand."""
    parser.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=verbose,
        help="log progress to stderr; with an internal error, print the traceback",
    )
    parser.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        default=quiet,
        help="print only the result and errors: no progress lines or bars",
    )


def add_parser(subparsers: Any, name: str, help: str, description: str | None = None) -> Parser:
    """Add a subcommand parser that accepts ``-v``/``-q`` and lists the exit codes."""
    p = subparsers.add_parser(
        name,
        help=help,
        description=description or help,
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    verbosity_args(p, argparse.SUPPRESS, argparse.SUPPRESS)
    return p


def _number(kind: Callable, what: str, ok: Callable[[Any], bool], text: str) -> Any:
    try:
        value = kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None
    if not ok(value):
        raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}")
    return value


def nonneg_int(text: str) -> int:
    """An integer >= 0 (seeds, widths)."""
    return _number(int, "an integer >= 0", lambda v: v >= 0, text)


def pos_int(text: str) -> int:
    """An integer >= 1."""
    return _number(int, "an integer >= 1", lambda v: v >= 1, text)


def pos_float(text: str) -> float:
    """A finite number > 0 (seconds)."""
    return _number(float, "a number of seconds > 0", lambda v: math.isfinite(v) and v > 0, text)


# the registered names (hardtarget.registry), read when a parser first needs them
STRATEGY_CHOICES = registry.choices("strategies", extra=("auto",))
SOLVER_CHOICES = registry.choices("unit_solvers")
EXPORTER_CHOICES = registry.choices("exporters")


def add_data_args(p: argparse.ArgumentParser, multiclass: bool = True) -> None:
    """``--problem`` (built-in) or ``--data`` (file), with ``--label``."""
    src = p.add_argument_group("data (one of --problem, --data)")
    g = src.add_mutually_exclusive_group(required=True)
    g.add_argument(
        "--problem",
        "-p",
        metavar="SPEC",
        help="built-in problem, e.g. parity:3 or planted:8-4-1:200:0 (see `hardtarget problems`)",
    )
    g.add_argument(
        "--data",
        "-d",
        metavar="FILE",
        help="a .csv file (numeric columns; the header row is optional) or .npz file "
        "(arrays X and y)",
    )
    src.add_argument(
        "--label",
        metavar="COLUMN",
        help="label column of --data: CSV header name or 0-based index (default: the last "
        "column); NPZ array name (default: y)",
    )
    if multiclass:
        src.add_argument(
            "--multiclass",
            choices=["ovr"],
            help="more than two classes: one output unit per class (one-vs-rest)",
        )


def add_budget_args(p: argparse.ArgumentParser) -> None:
    """``--time-limit`` and ``--seed``."""
    p.add_argument(
        "--time-limit",
        type=pos_float,
        metavar="SECONDS",
        help="stop after this many seconds and return the best result so far",
    )
    p.add_argument(
        "--seed", type=nonneg_int, default=0, help="random seed, an integer >= 0 (default 0)"
    )


def load_problem_arg(args: argparse.Namespace):
    """The :class:`~hardtarget.Problem` named by ``--problem`` or ``--data``."""
    from ..datasets import load_data, load_problem

    multiclass = getattr(args, "multiclass", None)
    if args.problem is not None:
        return load_problem(args.problem, args.label, multiclass)
    return load_data(args.data, args.label, multiclass)


def progress_flag(args: argparse.Namespace) -> bool | None:
    """``False`` under ``-q``; else ``None`` (a bar on a terminal, log lines otherwise)."""
    return False if args.quiet else None


def say(text: str) -> None:
    """A line for the user on stderr (notes that are not the result)."""
    print(text, file=sys.stderr)
