"""``hardtarget export``: write a model as a portable file, ONNX or C, and check it."""

from __future__ import annotations

import argparse

from ._args import EXPORTER_CHOICES, add_parser
from ._output import check_paths, locked_outputs, print_json

__all__ = ["register", "run"]


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``export`` to the command line."""
    p = add_parser(
        subparsers,
        "export",
        "export a model as a JSON model file, ONNX or C99 source",
        "Export a model (a .npz from `solve --out` or a .json model file) as JSON, ONNX or "
        "C99 source with a header; --verify then checks the export bit for bit against "
        "hardtarget's own predictions (the C is compiled with the system compiler).",
    )
    p.add_argument("model", metavar="MODEL", help="model file: .npz (Network.save) or .json")
    p.add_argument(
        "--format",
        "-f",
        choices=EXPORTER_CHOICES,
        help="output format: %(choices)s (default: from the suffix of -o; see "
        "`hardtarget components exporters`)",
    )
    p.add_argument(
        "-o",
        "--out",
        required=True,
        metavar="OUT",
        help="output file (.json, .onnx, or .c with its .h written beside it)",
    )
    p.add_argument(
        "--inputs",
        choices=["real", "sign", "binary"],
        default="real",
        help="what the inputs are: real numbers (default), each -1/+1 or each 0/1, which "
        "lets the first layer run packed or on integers (other rows are then refused)",
    )
    p.add_argument("--name", help="C symbol prefix (default: the output file's stem)")
    p.add_argument(
        "--verify",
        action="store_true",
        help="check the export against the model; exit 1 on any mismatch",
    )
    p.add_argument("--cc", help="C compiler for --verify of a C export (default: $CC or cc)")
    p.add_argument(
        "--cflags", default="-O2", help="compiler flags for --verify of a C export (default -O2)"
    )
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Export; exit 0, or 1 when --verify finds a mismatch."""
    from pathlib import Path

    from ..export import export, load, verify_export
    from ..export.exporter import format_of, get_exporter

    exporter = get_exporter(format_of(args.out, args.format))
    first, *others = exporter.outputs(Path(args.out))
    out = [("--out", args.out)] + [(f"{p.suffix} file beside --out", str(p)) for p in others]
    check_paths(out, [("MODEL", args.model)])
    net = load(args.model)
    with locked_outputs(*out, inputs=[("MODEL", args.model)]):
        paths = export(net, args.out, args.format, inputs=args.inputs, name=args.name)
    check = None
    if args.verify:
        check = verify_export(
            net, paths[0], args.format, inputs=args.inputs, cc=args.cc, cflags=args.cflags
        )
    if args.json:
        report: dict[str, object] = {"written": [str(p) for p in paths]}
        if check is not None:
            report["verify"] = {
                "ok": check.ok,
                "inputs": check.n_inputs,
                "mismatches": check.mismatches,
                "exhaustive": check.exhaustive,
                "zero_units": check.zero_units,
                "units": check.units,
            }
        print_json(report)
    else:
        print("wrote " + ", ".join(str(p) for p in paths))
        if check is not None:
            print(check)
    return 0 if check is None or check.ok else 1
