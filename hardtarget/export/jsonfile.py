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

import numpy as np

from .._io import atomic_open
from ..errors import HardTargetError
from ..network import Network

__all__ = ["FORMAT", "VERSION", "to_document", "from_document", "save_json", "load"]

FORMAT = "hardtarget-model"
VERSION = 1
_KINDS = {"b": "bool", "i": "int", "u": "int", "f": "float", "U": "str"}


def _numbers(a: np.ndarray) -> list:
    if np.all(a == np.round(a)) and np.all(np.abs(a) < 2**53):
        return a.astype(np.int64).tolist()
    return a.tolist()


def _classes(classes) -> dict | None:
    if classes is None:
        return None
    c = np.asarray(classes)
    if c.dtype.kind == "O" and all(isinstance(v, str) for v in c.tolist()):
        c = c.astype(str)
    if c.dtype.kind not in _KINDS:
        raise HardTargetError(
            f"class labels of dtype {c.dtype} cannot be exported; use numbers or strings"
        )
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
        "classes": _classes(net.classes),
    }
    doc["checksum"] = _checksum(doc)
    return doc


def save_json(net: Network, path: str | os.PathLike[str]) -> None:
    """Write ``net`` to ``path`` as a model file, atomically."""
    with atomic_open(path, "w") as fh:
        json.dump(to_document(net), fh, indent=1, allow_nan=False)
        fh.write("\n")


def _matrix(value, rows: int, what: str) -> np.ndarray:
    try:
        a = np.array(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise HardTargetError(f"{what} must be a rectangular list of numbers") from None
    if a.ndim != 2 or a.shape[0] != rows or a.shape[1] < 1:
        raise HardTargetError(f"{what} has shape {a.shape}, expected ({rows}, n_units)")
    return a


def from_document(doc, source: str = "document") -> Network:
    """Validate a model document and build its Network."""
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise HardTargetError(f'{source} is not a hardtarget model file (no "format": "{FORMAT}")')
    version = doc.get("version")
    if not isinstance(version, int) or version < 1:
        raise HardTargetError(f"{source} has an invalid format version {version!r}")
    if version > VERSION:
        raise HardTargetError(
            f"{source} has format version {version}, newer than this hardtarget reads "
            f"({VERSION}); upgrade hardtarget (pip install -U hardtarget)"
        )
    if doc.get("checksum") != _checksum(doc):
        raise HardTargetError(
            f"{source} fails its checksum: the file was changed or truncated; "
            "export the model again"
        )
    n = doc.get("n_features")
    layers = doc.get("layers")
    if not isinstance(n, int) or n < 1 or not isinstance(layers, list) or not layers:
        raise HardTargetError(f"{source} needs n_features >= 1 and a non-empty list of layers")
    weights, acts, rows = [], [], n
    for d, layer in enumerate(layers):
        if not isinstance(layer, dict) or not {"activation", "weights", "bias"} <= set(layer):
            raise HardTargetError(f"{source}: layer {d} needs activation, weights and bias")
        W = _matrix(layer["weights"], rows, f"{source}: layer {d} weights")
        b = np.array(layer["bias"], dtype=np.float64)
        if b.shape != (W.shape[1],):
            raise HardTargetError(
                f"{source}: layer {d} bias has shape {b.shape}, expected ({W.shape[1]},)"
            )
        weights.append(np.vstack([W, b]))
        acts.append(layer["activation"])
        rows = W.shape[1]
    classes = doc.get("classes")
    if classes is not None:
        kinds = {v: k for k, v in _KINDS.items()}
        if not isinstance(classes, dict) or classes.get("dtype") not in kinds:
            raise HardTargetError(
                f"{source}: classes need a dtype among {sorted(kinds)} and values"
            )
        classes = np.array(
            classes.get("values"),
            dtype={"bool": bool, "int": np.int64, "float": np.float64, "str": str}[
                classes["dtype"]
            ],
        )
        expected = rows if rows > 1 else 2
        if classes.shape != (expected,):
            raise HardTargetError(
                f"{source}: {classes.size} classes for {rows} output unit(s); expected {expected}"
            )
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
    if p.suffix == ".npz":
        return Network.load(p)
    try:
        text = p.read_text()
    except FileNotFoundError:
        raise HardTargetError(f"model file {p} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise HardTargetError(f"cannot read {p} as a model file ({exc})") from None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise HardTargetError(
            f"{p} is not valid JSON ({exc}); is it a model file from hardtarget.export?"
        ) from None
    return from_document(doc, str(p))
