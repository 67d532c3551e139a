"""``hardtarget components``: list the registered components of every kind, plugins included."""

from __future__ import annotations

import argparse

from ._args import add_parser

__all__ = ["register", "run"]


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``components`` to the command line."""
    from ..registry import KINDS

    p = add_parser(
        subparsers,
        "components",
        "list the registered strategies, unit solvers, exporters, data sets, ... and options",
        "List every registered component (the built-ins and installed plugins, found "
        "through the entry-point groups hardtarget.<kind>) with its options.",
    )
    p.add_argument(
        "kind",
        nargs="?",
        choices=list(KINDS),
        help="only this kind: %(choices)s (default: every kind)",
    )
    p.add_argument("--json", action="store_true", help="print every declaration as JSON")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Print the components of one kind or of every kind."""
    from .. import registry
    from ._options import describe_options
    from ._output import print_json

    kinds = [args.kind] if args.kind else list(registry.KINDS)
    if args.json:
        print_json({k: [c.to_dict() for c in registry.components(k)] for k in kinds})
        return 0
    blocks = []
    for kind in kinds:
        text = describe_options(kind, "-o" if kind == "strategies" else "option")
        blocks.append(f"{kind} ({registry.group(kind)}):\n" + _indent(text or "(none)"))
    print("\n\n".join(blocks))
    return 0


def _indent(text: str) -> str:
    return "\n".join("  " + line for line in text.splitlines())
