"""``hardtarget strategies``: list the search strategies and their ``-o`` options."""

from __future__ import annotations

import argparse

from ._args import add_parser

__all__ = ["register", "run"]


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``strategies`` to the command line."""
    p = add_parser(subparsers, "strategies", "list the search strategies and their -o options")
    p.add_argument("--json", action="store_true", help="print every option's declaration as JSON")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Print every registered strategy with its options and their valid values."""
    from .. import registry
    from ..search import strategy_params
    from ._options import describe_options
    from ._output import print_json

    if args.json:
        print_json({name: strategy_params(name) for name in registry.names("strategies")})
    else:
        print(describe_options())
    return 0
