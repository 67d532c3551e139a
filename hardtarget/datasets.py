"""Built-in problems and user data files.

Specs: ``xor``, ``and:N``, ``parity:N``, ``majority:N``, ``planted:8-4-1:200:0``
(architecture, points, seed), ``breast_cancer``, ``digits:A-B``, ``iris:A-B``; or the
path of a ``.csv``/``.npz`` file with a label column.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import numpy as np

from . import registry
from ._numeric import matmul, preactivations
from .errors import HardTargetError
from .network import Network
from .params import declare
from .problem import Problem, make_problem
from .targets import TargetSetting

__all__ = [
    "load_features",
    "load_problem",
    "list_problems",
    "load_data",
    "PROBLEMS",
    "check_dataset",
]


def _cube(n: int) -> np.ndarray:
    """All 2^n points of {-1, +1}^n, in lexicographic order."""
    return np.array(list(itertools.product((-1.0, 1.0), repeat=n)))


def _int_arg(spec: str, arg: str, lo: int, hi: int) -> int:
    if not arg.isdigit() or not lo <= int(arg) <= hi:
        raise HardTargetError(
            f"bad problem {spec!r}: expected an integer between {lo} and {hi} after ':'"
        )
    return int(arg)


def _xor(spec: str, arg: str) -> Problem:
    X = _cube(2)
    return make_problem(X, np.where(X[:, 0] != X[:, 1], 1, -1), name="xor")


def _and(spec: str, arg: str) -> Problem:
    n = _int_arg(spec, arg or "2", 1, 16)
    X = _cube(n)
    return make_problem(X, np.where(np.all(X > 0, axis=1), 1, -1), name=f"and:{n}")


def _parity(spec: str, arg: str) -> Problem:
    n = _int_arg(spec, arg or "3", 2, 16)
    X = _cube(n)
    return make_problem(X, np.where((X > 0).sum(axis=1) % 2 == 1, 1, -1), name=f"parity:{n}")


def _majority(spec: str, arg: str) -> Problem:
    n = _int_arg(spec, arg or "3", 1, 16)
    X = _cube(n)
    return make_problem(X, np.where(X.sum(axis=1) > 0, 1, -1), name=f"majority:{n}")


def _balanced_threshold(z: np.ndarray) -> float | None:
    """A threshold between the two distinct values nearest the median of ``z``."""
    u = np.unique(z)
    if u.size < 2:
        return None
    k = int(np.searchsorted(u, np.median(z)))
    k = min(max(k, 1), u.size - 1)
    return float((u[k - 1] + u[k]) / 2)


def _planted(spec: str, arg: str) -> Problem:
    parts = arg.split(":") if arg else []
    if len(parts) != 3:
        raise HardTargetError(
            f"bad problem {spec!r}: write planted:ARCH:POINTS:SEED, e.g. planted:8-4-1:200:0"
        )
    try:
        widths = [int(w) for w in parts[0].split("-")]
    except ValueError:
        raise HardTargetError(
            f"bad architecture in {spec!r}: widths are integers joined by '-', e.g. 8-4-1"
        ) from None
    if len(widths) < 2 or min(widths) < 1 or widths[-1] != 1:
        raise HardTargetError(
            f"bad architecture in {spec!r}: need inputs-...-1 with every width >= 1"
        )
    m = _int_arg(spec, parts[1], 2, 10_000_000)
    seed = _int_arg(spec, parts[2], 0, 2**32 - 1)
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((m, widths[0]))
    for _attempt in range(1000):
        H, weights, hidden = X, [], []
        for d in range(1, len(widths)):
            W = rng.standard_normal((widths[d - 1] + 1, widths[d]))
            W[-1] = 0.0
            for j in range(widths[d]):
                thr = _balanced_threshold(matmul(H, W[:-1, j : j + 1])[:, 0])
                if thr is None:
                    break
                W[-1, j] = -thr
            else:
                weights.append(W)
                H = np.where(preactivations(H, W) > 0, 1.0, -1.0)
                hidden.append(H.astype(np.int8))
                continue
            break
        else:
            net = Network(weights, ["sign"] * len(weights))
            targets = TargetSetting(hidden[:-1])
            labels = net.predict(X)
            if np.all(net.forward(X)[-1] == hidden[-1]) and np.unique(labels).size == 2:
                return make_problem(
                    X, labels, name=f"planted:{arg}", planted={"network": net, "targets": targets}
                )
    raise HardTargetError(
        f"could not plant a non-degenerate network for {spec!r}; try another seed"
    )


def _pair(spec: str, arg: str, n_classes: int, default: str) -> tuple:
    a, _, b = (arg or default).partition("-")
    if not (a.isdigit() and b.isdigit()) or a == b or max(int(a), int(b)) >= n_classes:
        raise HardTargetError(
            f"bad problem {spec!r}: write two different classes 0..{n_classes - 1}, "
            f"e.g. ':{default}'"
        )
    return int(a), int(b)


def _standardize(X: np.ndarray) -> np.ndarray:
    sd = X.std(axis=0)
    return (X - X.mean(axis=0)) / np.where(sd > 0, sd, 1.0)


def _breast_cancer(spec: str, arg: str) -> Problem:
    from sklearn.datasets import load_breast_cancer

    d = load_breast_cancer()
    return make_problem(
        _standardize(d.data), d.target, name="breast_cancer", feature_names=list(d.feature_names)
    )


def _digits(spec: str, arg: str) -> Problem:
    from sklearn.datasets import load_digits

    d = load_digits()
    if arg == "all":
        return make_problem(
            np.where(d.data >= 8, 1.0, -1.0), d.target, name="digits:all", multiclass="ovr"
        )
    a, b = _pair(spec, arg, 10, "0-1")
    keep = np.isin(d.target, (a, b))
    X = np.where(d.data[keep] >= 8, 1.0, -1.0)  # pixels 0..16 binarized at the midpoint
    return make_problem(X, np.where(d.target[keep] == b, 1, 0), name=f"digits:{a}-{b}")


def _iris(spec: str, arg: str) -> Problem:
    from sklearn.datasets import load_iris

    d = load_iris()
    if arg == "all":
        return make_problem(
            _standardize(d.data),
            d.target,
            name="iris:all",
            multiclass="ovr",
            feature_names=list(d.feature_names),
        )
    a, b = _pair(spec, arg, 3, "1-2")
    keep = np.isin(d.target, (a, b))
    return make_problem(
        _standardize(d.data[keep]),
        np.where(d.target[keep] == b, 1, 0),
        name=f"iris:{a}-{b}",
        feature_names=list(d.feature_names),
    )


def check_dataset(obj) -> None:
    """Refuse a registered data set that is not a loader ``(spec, arg) -> Problem``.

    A data set is a function called with the whole spec (``"parity:3"``, for messages)
    and the text after its first ``:`` (``""`` when there is none), returning a
    :class:`~hardtarget.Problem`.  Its ``shapes`` attribute maps example specs to the
    ``(n_samples, n_features)`` they load with (checked by the contract tests).

    Parameters
    ----------
    obj : object
        What an entry point of ``hardtarget.datasets`` gave.

    Raises
    ------
    TypeError
        Naming what a data set must be.
    """
    if not callable(obj) or isinstance(obj, type):
        raise TypeError(f"a data set must be a function (spec, arg) -> Problem, got {obj!r}")
    shapes = getattr(obj, "shapes", None)
    if not isinstance(shapes, dict) or not shapes:
        raise TypeError("a data set declares `shapes`: {example spec: (n_samples, n_features)}")


# The built-in data sets, each registered by its entry point in pyproject.toml (group
# hardtarget.datasets) exactly as a plugin's.
xor_problem = declare(summary="XOR of two ±1 inputs (4 points)", shapes={"xor": (4, 2)})(_xor)
and_problem = declare(
    summary="and:N — AND of N ±1 inputs, all 2^N points (default N=2)",
    shapes={"and": (4, 2), "and:3": (8, 3)},
)(_and)
parity_problem = declare(
    summary="parity:N — odd number of +1 among N ±1 inputs, all 2^N points (default N=3)",
    shapes={"parity": (8, 3), "parity:4": (16, 4)},
)(_parity)
majority_problem = declare(
    summary="majority:N — sign of the sum of N ±1 inputs, all 2^N points (default N=3)",
    shapes={"majority": (8, 3), "majority:5": (32, 5)},
)(_majority)
planted_problem = declare(
    summary="planted:ARCH:POINTS:SEED — Gaussian inputs labelled by a random sign network, "
    "e.g. planted:8-4-1:200:0; feasible by construction, planted targets kept",
    shapes={"planted:8-4-1:200:0": (200, 8), "planted:3-2-1:20:1": (20, 3)},
)(_planted)
breast_cancer_problem = declare(
    summary="scikit-learn breast cancer, 569 x 30, standardized",
    shapes={"breast_cancer": (569, 30)},
)(_breast_cancer)
digits_problem = declare(
    summary="digits:A-B — scikit-learn 8x8 digits A vs B, pixels binarized to ±1 (default "
    "0-1); digits:all — all 10 classes, one-vs-rest outputs",
    shapes={"digits": (360, 64), "digits:all": (1797, 64)},
)(_digits)
iris_problem = declare(
    summary="iris:A-B — scikit-learn iris classes A vs B, standardized (default 1-2); "
    "iris:all — 3 classes, one-vs-rest outputs",
    shapes={"iris": (100, 4), "iris:all": (150, 4)},
)(_iris)


class _Problems(Mapping):
    """``{name: (description, loader)}`` of the registered data sets (a live view)."""

    def __getitem__(self, name: str) -> tuple[str, Callable]:
        if name not in registry.names("datasets"):
            raise KeyError(name)
        comp = registry.get("datasets", name)
        return comp.summary, comp.obj

    def __iter__(self) -> Iterator[str]:
        return iter(registry.names("datasets"))

    def __len__(self) -> int:
        return len(registry.names("datasets"))


PROBLEMS: Mapping[str, tuple[str, Callable]] = _Problems()
"""``{name: (description, loader)}``: the registry's data sets (group ``hardtarget.datasets``)."""


def list_problems() -> list[tuple[str, str]]:
    """(name, description) of every built-in problem.

    Returns
    -------
    list of tuple of (str, str)

    Examples
    --------
    >>> names = [name for name, _ in list_problems()]
    >>> "parity" in names and "xor" in names
    True
    """
    return [(c.name, c.summary) for c in registry.components("datasets")]


def load_data(
    path: str | os.PathLike[str],
    label: str | int | None = None,
    multiclass: str | None = None,
) -> Problem:
    """Read a CSV (numeric feature columns) or NPZ (arrays ``X`` and ``y``) file.

    A CSV's first row is a header when some column is numeric below it but not in it;
    otherwise it is data (columns are then named ``column 0``, ...).  NPZ files are read
    without pickles; object arrays are refused.

    Parameters
    ----------
    path : str or path-like
        A ``.csv`` (or ``.txt``) or ``.npz`` file.
    label : str or int, default=None
        CSV: the label column's header name or 0-based index (default: the last
        column). NPZ: the label array's name (default: ``"y"``).
    multiclass : {None, "ovr"}, default=None
        ``"ovr"`` accepts more than two classes (one output unit per class).

    Returns
    -------
    Problem

    Raises
    ------
    HardTargetError
        A missing, unreadable or malformed file, with what to change.

    Examples
    --------
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "and.csv")
    >>> _ = open(path, "w").write("a,b,y\\n0,0,0\\n0,1,0\\n1,0,0\\n1,1,1\\n")
    >>> load_data(path).t.tolist()
    [-1, -1, -1, 1]
    """
    from ._npz import check_readable, read_npz

    path = check_readable(path, "data file")
    suffix = path.suffix.lower()
    if suffix == ".npz":
        arrays = read_npz(path, "data file")
        key = "y" if label is None else str(label)
        if "X" not in arrays or key not in arrays:
            raise HardTargetError(
                f"{path} must hold arrays 'X' and {key!r}; it has {sorted(arrays)}. "
                "Save them with np.savez(path, X=X, y=y) or name the label with --label"
            )
        return make_problem(arrays["X"], arrays[key], name=path.name, multiclass=multiclass)
    if suffix in (".csv", ".txt"):
        header, body = _read_csv(path)
        col = _label_column(path, header, label)
        return _csv_problem(path, header, body, col, label is None, multiclass)
    raise HardTargetError(
        f"unsupported data file {path.name!r}: use .csv (numeric columns) or .npz (arrays X, y)"
    )


def load_features(
    path: str | os.PathLike[str], label: str | int | None = None
) -> tuple[np.ndarray, np.ndarray | None]:
    """Feature rows, and a label column when one is named, from a CSV or NPZ file.

    What a trained model predicts from (``hardtarget predict``): the same reader as
    :func:`load_data`, but the labels are optional and kept as they are written.

    Parameters
    ----------
    path : str or path-like
        A ``.csv`` (or ``.txt``; numeric feature columns, a header row optional) or an
        ``.npz`` file with an array ``X``.
    label : str or int, default=None
        A label column to leave out of the features (CSV: header name or 0-based index;
        NPZ: array name); None: every column is a feature.

    Returns
    -------
    X : numpy.ndarray of shape (n_samples, n_features)
    y : numpy.ndarray of shape (n_samples,) or None
        The label column's cells (CSV: text; NPZ: the array), or None.  A file that
        cannot be read raises :class:`HardTargetError` as in :func:`load_data`.

    Examples
    --------
    >>> from pathlib import Path
    >>> from tempfile import mkdtemp
    >>> new = Path(mkdtemp()) / "new.csv"
    >>> _ = new.write_text("0,1,yes\\n1,1,no\\n")
    >>> X, y = load_features(new, label=2)
    >>> X.tolist(), y.tolist()
    ([[0.0, 1.0], [1.0, 1.0]], ['yes', 'no'])
    """
    from ._npz import check_readable, read_npz

    path = check_readable(path, "data file")
    suffix = path.suffix.lower()
    if suffix == ".npz":
        arrays = read_npz(path, "data file")
        if "X" not in arrays or (label is not None and str(label) not in arrays):
            need = "'X'" if label is None else f"'X' and {str(label)!r}"
            raise HardTargetError(f"{path} must hold arrays {need}; it has {sorted(arrays)}")
        y = None if label is None else np.asarray(arrays[str(label)])
        return np.asarray(arrays["X"], dtype=float), y
    if suffix not in (".csv", ".txt"):
        raise HardTargetError(
            f"unsupported data file {path.name!r}: use .csv (numeric columns) or .npz (array X)"
        )
    header, body = _read_csv(path)
    col = None if label is None else _label_column(path, header, label)
    fix = "name a label column with --label (label= in the API), or drop the column"
    X, _, labels, _ = _csv_columns(path, header, body, col, fix)
    return X, None if labels is None else np.array(labels)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _floats(cells) -> list[float] | None:
    """The cells as floats, or None if one is not a number."""
    try:
        return [float(c) for c in cells]
    except ValueError:
        return None


def _read_csv(path: Path) -> tuple[list[str] | None, list[list[str]]]:
    """``(header or None, data rows)``; rows of unequal length are refused."""
    import csv

    try:
        # utf-8-sig: a byte-order mark (Excel's UTF-8 CSV) is not part of the first name
        with open(path, newline="", encoding="utf-8-sig") as fh:
            rows = [r for r in csv.reader(fh) if r]
    except (UnicodeDecodeError, csv.Error) as exc:
        raise HardTargetError(
            f"{path} is not a text CSV file ({exc}); save it as UTF-8 CSV"
        ) from None
    if not rows:
        raise HardTargetError(f"{path} is empty; it needs data rows (and optionally a header row)")
    if any(len(r) != len(rows[0]) for r in rows):
        bad = next(i for i, r in enumerate(rows) if len(r) != len(rows[0]))
        raise HardTargetError(
            f"{path} has rows of different lengths (line {bad + 1} has {len(rows[bad])} "
            f"fields, line 1 has {len(rows[0])}); every row needs the same fields"
        )
    first, rest = [c.strip() for c in rows[0]], rows[1:]
    header = any(
        not _is_number(first[j]) and rest and _floats(r[j] for r in rest) is not None
        for j in range(len(first))
    )
    if header or (not rest and not all(map(_is_number, first))):
        return first, rest
    return None, rows


def _label_column(path: Path, header: list[str] | None, label: str | int | None) -> int:
    if label is None:
        return -1  # the last column
    if isinstance(label, int) or str(label).lstrip("-").isdigit():
        return int(label)
    if header is not None and label in header:
        return header.index(label)
    if header is None:
        raise HardTargetError(
            f"{path} has no header row, so the label column cannot be named "
            f"{label!r}; give its 0-based index (--label 0 for the first column)"
        )
    raise HardTargetError(f"label column {label!r} not in {path}; columns: {header}")


def _csv_columns(path: Path, header, body, col: int | None, fix: str) -> tuple:
    """``(X, feature names, label cells or None, label name or None)`` of a CSV's rows;
    ``col`` is the label column (None: every column is a feature); ``fix`` ends the
    message about a non-numeric feature."""
    if len(body) < 1:
        raise HardTargetError(f"{path} has a header row but no data rows")
    ncol = len(body[0])
    if col is not None:
        if not -ncol <= col < ncol:
            raise HardTargetError(
                f"label column index {col} is out of range for {path} with {ncol} columns "
                f"(0 to {ncol - 1})"
            )
        col %= ncol
    names = header if header is not None else [f"column {j}" for j in range(ncol)]
    feats = [j for j in range(ncol) if j != col]
    try:
        X = np.array([[float(r[j]) for j in feats] for r in body])
    except ValueError:
        i, j = next((i, j) for j in feats for i, r in enumerate(body) if not _is_number(r[j]))
        raise HardTargetError(
            f"{path}: feature column {names[j]!r} (index {j}) has the non-numeric "
            f"value {body[i][j]!r} in data row {i + 1}; {fix}"
        ) from None
    labels = None if col is None else [r[col].strip() for r in body]
    return X, [names[j] for j in feats], labels, (None if col is None else names[col])


def _csv_problem(path: Path, header, body, col: int, default_label: bool, multiclass) -> Problem:
    if body and len(body[0]) < 2:
        raise HardTargetError(f"{path} has one column; it needs feature columns and a label column")
    fix = (
        "the label is the last column by default; pick the label column with --label "
        "NAME or index (label= in the API)"
        if default_label
        else "encode categories as numbers or drop the column"
    )
    X, feature_names, labels, label_name = _csv_columns(path, header, body, col, fix)
    blank = [i + 1 for i, v in enumerate(labels) if not v]
    if blank:
        rows = ", ".join(map(str, blank[:10])) + (", ..." if len(blank) > 10 else "")
        raise HardTargetError(
            f"{path}: label column {label_name!r} is blank in data row(s) {rows}; a blank is "
            "a missing label, not a class: fill them in or drop those rows"
        )
    numeric = _floats(labels)
    y = np.array(labels) if numeric is None else np.array(numeric)
    if numeric is not None and np.all(np.abs(y) < 2**53) and np.all(y == np.round(y)):
        y = y.astype(np.int64)  # numeric labels sort as numbers, not as strings
    return make_problem(X, y, name=path.name, feature_names=feature_names, multiclass=multiclass)


def load_problem(
    spec: str, label: str | int | None = None, multiclass: str | None = None
) -> Problem:
    """Load a built-in problem by spec, or a data file by path.

    Parameters
    ----------
    spec : str
        A built-in problem (``xor``, ``parity:3``, ``planted:8-4-1:200:0``, ...; see
        :func:`list_problems`) or the path of a ``.csv``/``.npz`` file.
    label, multiclass :
        For data files, as in :func:`load_data`.

    Returns
    -------
    Problem

    Examples
    --------
    >>> load_problem("parity:3").X.shape
    (8, 3)
    """
    if not isinstance(spec, str):
        raise HardTargetError(f"problem spec must be a string, got {type(spec).__name__}")
    name, _, arg = spec.partition(":")
    if name in registry.names("datasets"):
        if label is not None or multiclass is not None:
            raise HardTargetError(
                f"label and multiclass apply to data files, not to the built-in problem {spec!r} "
                "(digits:all and iris:all are already one-vs-rest); drop them"
            )
        return registry.get("datasets", name).obj(spec, arg)
    if os.path.sep in spec or Path(spec).suffix.lower() in (".csv", ".npz", ".txt"):
        return load_data(spec, label, multiclass)
    raise HardTargetError(
        f"unknown problem {spec!r}; built-in: {', '.join(registry.names('datasets'))} "
        "(see `hardtarget problems`), "
        "or give the path of a .csv/.npz file"
    )
