"""``hardtarget summary``: bits, memory and operations per layer of a model."""

from __future__ import annotations

import argparse

from ._args import add_parser
from ._output import print_json

__all__ = ["register", "run"]


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``summary`` to the command line."""
    p = add_parser(
        subparsers,
        "summary",
        "per-layer fan-in, weight bits, packed memory, operations",
        "Per layer: fan-in, units, the path the C export takes (packed XNOR-popcount, "
        "integer or float), weight bits, memory against float32, binary operations and "
        "Larq's compression ratio of memory (memory / float32).",
    )
    p.add_argument("model", metavar="MODEL", help="model file: .npz (Network.save) or .json")
    p.add_argument(
        "--inputs",
        choices=["real", "sign", "binary"],
        default="real",
        help="what the inputs are: real numbers (default), each -1/+1 or each 0/1",
    )
    p.add_argument("--json", action="store_true", help="print the table as JSON")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Print the summary; exit 0."""
    from ..export import load, summary

    s = summary(load(args.model), inputs=args.inputs)
    if args.json:
        print_json(s.to_dict())
    else:
        print(s)
    return 0
