"""The portable model file: versioned JSON with a checksum and a validating loader.

Weights are written as integers where a layer's weights are all integral, else as the
shortest decimal that reads back to the same float64, so a loaded model predicts bit
for bit what the saved one did.  ``checksum`` is the SHA-256 of the rest of the
document in canonical form (sorted keys, no spaces).
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import TypeGuard

import numpy as np

from .._io import atomic_open
from ..errors import HardTargetError
from ..labels import check_classes
from ..network import Network

__all__ = ["FORMAT", "VERSION", "to_document", "from_document", "save_json", "load"]

FORMAT = "hardtarget-model"
VERSION = 1
_KINDS = {"b": "bool", "i": "int", "u": "int", "f": "float", "U": "str"}


def _numbers(a: np.ndarray) -> list:
    if np.all(a == np.round(a)) and np.all(np.abs(a) < 2**53):
        return a.astype(np.int64).tolist()
    return a.tolist()


def _classes(net: Network) -> dict | None:
    if net.classes is None:
        return None
    c = check_classes(net.classes, net.widths[-1])
    return {"dtype": _KINDS[c.dtype.kind], "values": c.tolist()}


def _checksum(doc: dict) -> str:
    body = {k: v for k, v in doc.items() if k != "checksum"}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), allow_nan=False)
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def to_document(net: Network) -> dict:
    """The JSON document of a network (a plain dict)."""
    layers = [
        {"activation": a.name, "weights": _numbers(W[:-1]), "bias": _numbers(W[-1])}
        for W, a in zip(net.weights, net.activations)
    ]
    doc = {
        "format": FORMAT,
        "version": VERSION,
        "n_features": net.n_features,
        "layers": layers,
        "classes": _classes(net),
    }
    doc["checksum"] = _checksum(doc)
    return doc


def save_json(net: Network, path: str | os.PathLike[str]) -> None:
    """Write ``net`` to ``path`` as a model file, atomically."""
    with atomic_open(path, "w") as fh:
        json.dump(to_document(net), fh, indent=1, allow_nan=False)
        fh.write("\n")


def _is_int(v) -> TypeGuard[int]:
    return isinstance(v, int) and not isinstance(v, bool)  # JSON true is not the number 1


def _is_number(v) -> bool:
    return _is_int(v) or isinstance(v, float)


def _vector(value, what: str) -> np.ndarray:
    if not isinstance(value, list) or not all(_is_number(v) for v in value):
        raise HardTargetError(
            f"{what} must be a list of numbers (not strings, booleans or nested lists)"
        )
    try:
        a = np.array(value, dtype=np.float64)
    except OverflowError:
        a = np.full(1, np.inf)
    if not np.all(np.isfinite(a)):
        raise HardTargetError(f"{what} contains a number too large for float64 (or NaN/inf)")
    return a


def _matrix(value, rows: int, what: str) -> np.ndarray:
    if not isinstance(value, list) or not all(isinstance(r, list) for r in value):
        raise HardTargetError(f"{what} must be a list of rows, each a list of numbers")
    lengths = {len(r) for r in value}
    if len(lengths) > 1:
        raise HardTargetError(f"{what} has rows of different lengths {sorted(lengths)}")
    shape = (len(value), lengths.pop() if lengths else 0)
    if shape[0] != rows or shape[1] < 1:
        raise HardTargetError(f"{what} has shape {shape}, expected ({rows}, n_units)")
    return np.vstack([_vector(r, what) for r in value])


def _strict_json(text: str, source: str):
    """``json.loads`` that refuses NaN, Infinity and numbers beyond float64, and
    nesting deeper than Python's stack, with a :class:`HardTargetError`."""

    def constant(name: str):
        raise HardTargetError(
            f"{source} contains {name}, which is not a JSON number; weights must be finite"
        )

    def number(text: str) -> float:
        x = float(text)
        if not np.isfinite(x):
            raise HardTargetError(
                f"{source} contains the number {text[:40]}, beyond the float64 range"
            )
        return x

    try:
        return json.loads(text, parse_constant=constant, parse_float=number)
    except json.JSONDecodeError as exc:
        raise HardTargetError(
            f"{source} is not valid JSON ({exc}); is it a model file from hardtarget.export?"
        ) from None
    except RecursionError:
        raise HardTargetError(
            f"{source} nests lists or objects too deeply to be a model file; export the model again"
        ) from None


def from_document(doc, source: str = "document") -> Network:
    """Validate a model document and build its Network."""
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise HardTargetError(f'{source} is not a hardtarget model file (no "format": "{FORMAT}")')
    version = doc.get("version")
    if not _is_int(version) or version < 1:
        raise HardTargetError(f"{source} has an invalid format version {version!r}")
    if version > VERSION:
        raise HardTargetError(
            f"{source} has format version {version}, newer than this hardtarget reads "
            f"({VERSION}); upgrade hardtarget (pip install -U hardtarget)"
        )
    try:
        checksum = _checksum(doc)
    except (TypeError, ValueError, RecursionError):  # NaN, odd keys, cycles in a dict given
        checksum = None
    if checksum is None or doc.get("checksum") != checksum:
        raise HardTargetError(
            f"{source} fails its checksum: the file was changed or truncated; "
            "export the model again"
        )
    n = doc.get("n_features")
    layers = doc.get("layers")
    if not _is_int(n) or n < 1 or not isinstance(layers, list) or not layers:
        raise HardTargetError(f"{source} needs n_features >= 1 and a non-empty list of layers")
    weights, acts, rows = [], [], n
    for d, layer in enumerate(layers):
        if not isinstance(layer, dict) or not {"activation", "weights", "bias"} <= set(layer):
            raise HardTargetError(f"{source}: layer {d} needs activation, weights and bias")
        W = _matrix(layer["weights"], rows, f"{source}: layer {d} weights")
        b = _vector(layer["bias"], f"{source}: layer {d} bias")
        if b.shape != (W.shape[1],):
            raise HardTargetError(
                f"{source}: layer {d} bias has shape {b.shape}, expected ({W.shape[1]},)"
            )
        weights.append(np.vstack([W, b]))
        if not isinstance(layer["activation"], str):
            raise HardTargetError(f"{source}: layer {d} activation must be a name, e.g. sign")
        acts.append(layer["activation"])
        rows = W.shape[1]
    classes = doc.get("classes")
    if classes is not None:
        kinds = {v: k for k, v in _KINDS.items()}
        if not isinstance(classes, dict) or classes.get("dtype") not in kinds:
            raise HardTargetError(
                f"{source}: classes need a dtype among {sorted(kinds)} and values"
            )
        kind = classes["dtype"]
        values = classes.get("values")
        ok = {
            "bool": lambda v: isinstance(v, bool),
            "int": _is_int,
            "float": _is_number,
            "str": lambda v: isinstance(v, str),
        }[kind]
        if not isinstance(values, list) or not all(ok(v) for v in values):
            raise HardTargetError(
                f"{source}: classes of dtype {kind} need a flat list of {kind} values"
            )
        try:
            values = np.array(
                values, dtype={"bool": bool, "int": np.int64, "float": np.float64, "str": str}[kind]
            )
        except OverflowError:
            raise HardTargetError(f"{source}: a class label is beyond int64") from None
        classes = check_classes(values, rows, source)
    return Network(weights, acts, classes)


def load(path: str | os.PathLike[str]) -> Network:
    """Read a model file (``.json`` from :func:`hardtarget.export`, or a ``Network.save`` ``.npz``).

    Parameters
    ----------
    path : str or path-like
        A ``.json`` model file or a ``.npz`` network file.

    Returns
    -------
    Network

    Raises
    ------
    HardTargetError
        A newer format version, a broken checksum or inconsistent shapes.

    Examples
    --------
    >>> import numpy as np, hardtarget as ht, tempfile, os
    >>> net = ht.Network([np.array([[1.0], [-1.0], [0.5]])], ["sign"])
    >>> path = os.path.join(tempfile.mkdtemp(), "m.json")
    >>> _ = ht.export(net, path, format="json")
    >>> ht.load(path).weights[0].tolist()
    [[1.0], [-1.0], [0.5]]
    """
    p = Path(path)
    if p.suffix == ".npz" or _is_zip(p):
        return Network.load(p)
    try:
        text = p.read_text()
    except FileNotFoundError:
        raise HardTargetError(f"model file {p} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise HardTargetError(f"cannot read {p} as a model file ({exc})") from None
    return from_document(_strict_json(text, str(p)), str(p))


def _is_zip(path: str | os.PathLike[str]) -> bool:
    """True for a zip archive (a ``Network.save`` file under another suffix)."""
    try:
        with open(path, "rb") as fh:
            return fh.read(4) in (b"PK\x03\x04", b"PK\x05\x06")
    except OSError:
        return False
