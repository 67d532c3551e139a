"""``hardtarget predict``: a trained model's labels for new data."""

from __future__ import annotations

import argparse
import csv
import io
from pathlib import Path

from ..errors import HardTargetError
from ._args import add_parser
from ._output import check_paths, locked_outputs, print_json

__all__ = ["register", "run", "read_features"]


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


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _read_csv(path: Path, label: str | None):
    with open(path, newline="", encoding="utf-8") as fh:
        rows = [[c.strip() for c in r] for r in csv.reader(fh) if r]
    if not rows:
        raise HardTargetError(f"{path} is empty; it needs one row of feature values per sample")
    header = None if all(map(_is_number, rows[0])) else rows[0]
    body = rows if header is None else rows[1:]
    if not body:
        raise HardTargetError(f"{path} has a header row but no data rows")
    if any(len(r) != len(body[0]) for r in body):
        raise HardTargetError(
            f"{path} has rows of different lengths; every row needs the same fields"
        )
    col = None
    if label is not None:
        if label.lstrip("-").isdigit():
            col = int(label) % len(body[0]) if -len(body[0]) <= int(label) < len(body[0]) else None
        elif header is not None and label in header:
            col = header.index(label)
        if col is None:
            raise HardTargetError(
                f"label column {label!r} not in {path}; columns: "
                f"{header if header is not None else list(range(len(body[0])))}"
            )
    feats = [j for j in range(len(body[0])) if j != col]
    for i, r in enumerate(body):
        for j in feats:
            if not _is_number(r[j]):
                name = header[j] if header else f"column {j}"
                raise HardTargetError(
                    f"{path}: feature {name!r} has the non-numeric value {r[j]!r} in data row "
                    f"{i + 1}; name a label column with --label, or drop the column"
                )
    X = [[float(r[j]) for j in feats] for r in body]
    y = None if col is None else [r[col] for r in body]
    return X, y


def read_features(path: str, label: str | None = None):
    """``(X, y)`` from a CSV or NPZ file; ``y`` is ``None`` without a label column.

    Parameters
    ----------
    path : str
        A ``.csv``/``.txt`` file (numeric feature columns, an optional header row) or an
        ``.npz`` file with an array ``X``.
    label : str, optional
        The label column (CSV: header name or 0-based index; NPZ: array name).

    Returns
    -------
    X : numpy.ndarray of shape (n_samples, n_features)
    y : numpy.ndarray of shape (n_samples,) or None
    """
    import numpy as np

    from .._npz import check_readable, read_npz

    p = check_readable(path, "data file")
    if p.suffix.lower() == ".npz":
        arrays = read_npz(p, "data file")
        if "X" not in arrays or (label is not None and label not in arrays):
            need = "'X'" if label is None else f"'X' and {label!r}"
            raise HardTargetError(f"{p} must hold arrays {need}; it has {sorted(arrays)}")
        return np.asarray(arrays["X"], dtype=float), (
            None if label is None else np.asarray(arrays[label])
        )
    if p.suffix.lower() not in (".csv", ".txt"):
        raise HardTargetError(f"unsupported data file {p.name!r}: use .csv or .npz (array X)")
    try:
        X, y = _read_csv(p, label)
    except (UnicodeDecodeError, csv.Error) as exc:
        raise HardTargetError(f"{p} is not a text CSV file ({exc}); save it as UTF-8 CSV") from None
    return np.array(X, dtype=float), (None if y is None else np.array(y))


def _same(pred, y) -> list[bool]:
    """Label equality, numbers compared as numbers (``1`` equals ``1.0``)."""
    out = []
    for a, b in zip(pred.tolist(), y.tolist()):
        a, b = str(a), str(b)
        out.append(a == b or (_is_number(a) and _is_number(b) and float(a) == float(b)))
    return out


def run(args: argparse.Namespace) -> int:
    """Print (or write) the predictions; exit 0."""
    from .._io import atomic_open
    from ..export import load

    inputs = [("MODEL", args.model), ("--data", args.data)]
    check_paths([("--out", args.out)], inputs)  # predictions never overwrite their inputs
    net = load(args.model)
    X, y = read_features(args.data, args.label)
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
    if accuracy is not None:
        print(f"accuracy {accuracy:.4f} ({sum(_same(pred, y))} of {len(y)} rows)")
    elif args.out:
        print(f"wrote {len(pred)} predictions to {args.out}")
    return 0
