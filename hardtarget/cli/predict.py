"""``hardtarget predict``: a trained model's labels for new data."""

from __future__ import annotations

import argparse
import csv
import io

from ..errors import HardTargetError
from ._args import add_parser
from ._output import check_paths, locked_outputs, print_json

__all__ = ["register", "run"]


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``predict`` to the command line."""
    p = add_parser(
        subparsers,
        "predict",
        "a trained model's labels for new data (CSV or NPZ)",
        "Read a model (.npz from `solve --out`, or a .json model file) and a data file, "
        "and print one predicted label per row (or write them with --out). The data file "
        "holds the feature columns in the order the model was trained on; a label column, "
        "if present, is named with --label and the accuracy against it is reported.",
    )
    p.add_argument("model", metavar="MODEL", help="model file: .npz (Network.save) or .json")
    p.add_argument(
        "--data",
        required=True,
        metavar="FILE",
        help=".csv (numeric feature columns, header row optional) or .npz (array X)",
    )
    p.add_argument(
        "--label",
        metavar="COL",
        help="a label column to leave out of the features and score against "
        "(CSV: header name or 0-based index; NPZ: array name)",
    )
    p.add_argument("--out", metavar="FILE", help="write the predictions as a one-column CSV")
    p.add_argument("--json", action="store_true", help="print predictions (and accuracy) as JSON")
    p.set_defaults(func=run)


def _same(pred, y) -> list[bool]:
    """Label equality, numbers compared as numbers (``1`` equals ``1.0``)."""
    out = []
    for a, b in zip(pred.tolist(), y.tolist()):
        a, b = str(a), str(b)
        try:
            out.append(a == b or float(a) == float(b))
        except ValueError:  # not both numbers
            out.append(False)
    return out


def run(args: argparse.Namespace) -> int:
    """Print (or write) the predictions; exit 0."""
    from .._io import atomic_open
    from ..datasets import load_features
    from ..export import load

    inputs = [("MODEL", args.model), ("--data", args.data)]
    check_paths([("--out", args.out)], inputs)  # predictions never overwrite their inputs
    net = load(args.model)
    X, y = load_features(args.data, args.label)
    if X.ndim != 2 or X.shape[1] != net.n_features:
        cols = X.shape[1] if X.ndim == 2 else X.shape
        hint = (
            "; one column too many: name the label column with --label COL"
            if X.ndim == 2 and X.shape[1] == net.n_features + 1 and y is None
            else ""
        )
        raise HardTargetError(
            f"{args.data} has {cols} feature columns; the model takes {net.n_features}{hint}"
        )
    pred = net.predict_labels(X) if net.classes is not None else net.predict(X)
    if pred.ndim == 2:  # several output units and no labels: one row of activations each
        lines = [" ".join(str(v) for v in row) for row in pred.tolist()]
        import numpy as np

        pred = np.array(lines)
    accuracy = None if y is None else sum(_same(pred, y)) / len(y)
    if args.out:
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(["prediction"])
        writer.writerows([p] for p in pred.tolist())
        with locked_outputs(("--out", args.out), inputs=inputs), atomic_open(args.out, "w") as fh:
            fh.write(buf.getvalue())
    if args.json:
        print_json({"predictions": pred.tolist(), "accuracy": accuracy, "out": args.out})
        return 0
    if not args.out:
        for p in pred.tolist():
            print(p)
    if accuracy is not None and y is not None:
        print(f"accuracy {accuracy:.4f} ({sum(_same(pred, y))} of {len(y)} rows)")
    elif args.out:
        print(f"wrote {len(pred)} predictions to {args.out}")
    return 0
