"""``hardtarget problems``: list the built-in problems."""

from __future__ import annotations

import argparse

from ._args import add_parser

__all__ = ["register", "run"]


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``problems`` to the command line."""
    p = add_parser(subparsers, "problems", "list the built-in problems")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Print every built-in problem spec with its description."""
    from .._io import dumps_json
    from ..datasets import list_problems

    items = list_problems()
    if args.json:
        print(dumps_json([{"name": n, "description": d} for n, d in items]))
    else:
        for n, d in items:
            print(f"{n:15s} {d}")
    return 0
