"""Target settings: the discrete variables of the combinatorial half (paper, section 2).

A target setting holds one ``(n_samples, n_units)`` int8 array of ±1 per hidden layer
(the paper's ``T_1 ... T_{L-1}``, transposed).  The output targets ``T_L`` are the
problem's labels and are not part of it.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Sequence

import numpy as np

from .errors import HardTargetError

__all__ = ["TargetSetting", "as_target_setting", "digest", "load_targets"]


def digest(*arrays: np.ndarray) -> bytes:
    """A 16-byte BLAKE2 digest of arrays' shapes, dtypes and bytes."""
    h = hashlib.blake2b(digest_size=16)
    for a in arrays:
        a = np.ascontiguousarray(a)
        h.update(str((a.shape, a.dtype.str)).encode())
        h.update(a.data)
    return h.digest()


class TargetSetting:
    """Hidden-layer targets, one int8 ±1 array ``(m, n_d)`` per hidden layer.

    Parameters
    ----------
    layers : list of array-like
        One ±1 matrix ``(n_samples, n_units)`` per hidden layer.

    Examples
    --------
    >>> import numpy as np
    >>> ts = TargetSetting([np.array([[1, -1], [-1, 1], [1, 1]])])
    >>> ts.widths, sorted(ts.to_npz_dict())
    ((2,), ['T1'])
    >>> ts.flipped(0, 0, 1).layers[0][0].tolist()
    [1, 1]
    """

    __slots__ = ("layers",)

    def __init__(self, layers: Sequence[np.ndarray]):
        self.layers = [np.ascontiguousarray(T, dtype=np.int8) for T in layers]

    @property
    def widths(self) -> tuple:
        """Units per hidden layer."""
        return tuple(T.shape[1] for T in self.layers)

    def copy(self) -> TargetSetting:
        """An independent copy (the arrays are copied)."""
        return TargetSetting([T.copy() for T in self.layers])

    def flipped(self, layer: int, sample: int, unit: int) -> TargetSetting:
        """A copy with one target negated.

        Parameters
        ----------
        layer : int
            Hidden layer (0-based).
        sample : int
            Row.
        unit : int
            Column.

        Returns
        -------
        TargetSetting
        """
        out = self.copy()
        out.layers[layer][sample, unit] = -out.layers[layer][sample, unit]
        return out

    def key(self) -> bytes:
        """Hashable identity of the setting."""
        return digest(*self.layers)

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, TargetSetting)
            and len(self.layers) == len(other.layers)
            and all(np.array_equal(a, b) for a, b in zip(self.layers, other.layers, strict=True))
        )

    def __hash__(self) -> int:
        return hash(self.key())

    def __repr__(self) -> str:
        m = self.layers[0].shape[0] if self.layers else 0
        return f"TargetSetting(widths={self.widths}, n_samples={m})"

    def to_npz_dict(self) -> dict:
        """``{"T1": ..., "T2": ...}`` for ``np.savez``; :func:`load_targets` reads it back."""
        return {f"T{d + 1}": T for d, T in enumerate(self.layers)}


def as_target_setting(targets, n_samples: int) -> TargetSetting:
    """Validate hidden targets (a TargetSetting, a list of arrays, or one array)."""
    if isinstance(targets, TargetSetting):
        layers = targets.layers
    elif isinstance(targets, np.ndarray):
        layers = [targets]
    else:
        try:
            layers = list(targets)
        except TypeError:
            raise HardTargetError(
                "targets must be a TargetSetting or a list of (n_samples, n_units) arrays, "
                f"got {type(targets).__name__}"
            ) from None
    out = []
    for d, T in enumerate(layers):
        try:
            T = np.asarray(T, dtype=np.float64)
        except (ValueError, TypeError):
            raise HardTargetError(
                f"hidden targets of layer {d + 1} are ragged or not numeric"
            ) from None
        if T.ndim == 1:
            T = T.reshape(-1, 1)
        if T.ndim != 2 or T.shape[0] != n_samples:
            raise HardTargetError(
                f"hidden targets of layer {d + 1} must have shape (n_samples={n_samples}, "
                f"n_units), got {T.shape}"
            )
        if T.shape[1] < 1:
            raise HardTargetError(
                f"hidden layer {d + 1} has no units; every hidden layer needs width >= 1"
            )
        if not np.all(np.isin(T, (-1.0, 1.0))):
            raise HardTargetError(
                f"hidden targets of layer {d + 1} must be -1 or +1 only; "
                "map {0,1} targets with 2*T - 1"
            )
        out.append(T.astype(np.int8))
    return TargetSetting(out)


def load_targets(path: str | os.PathLike[str], n_samples: int | None = None) -> TargetSetting:
    """Read hidden targets saved as ``T1, T2, ...`` in an ``.npz`` file (``solve --targets-out``).

    The names must run from ``T1`` without gaps; with ``n_samples`` the shapes are
    checked too.  Anything else raises :class:`HardTargetError`.

    Parameters
    ----------
    path : str or path-like
        The ``.npz`` file.
    n_samples : int, optional
        Expected number of rows of every array.

    Returns
    -------
    TargetSetting

    Examples
    --------

    >>> import numpy as np, tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "t.npz")
    >>> np.savez(path, T1=np.array([[1], [-1]]))
    >>> load_targets(path).widths
    (1,)
    """
    from ._npz import read_npz

    arrays = read_npz(path, "targets file")
    names = sorted(
        (k for k in arrays if re.fullmatch(r"T[1-9][0-9]*", k)), key=lambda k: int(k[1:])
    )
    if not names:
        raise HardTargetError(
            f"{path} holds no arrays named T1, T2, ... (it has {sorted(arrays)}); "
            "save hidden targets with np.savez(path, T1=..., T2=...)"
        )
    expected = [f"T{d}" for d in range(1, len(names) + 1)]
    if names != expected:
        missing = sorted(set(expected) - set(names), key=lambda k: int(k[1:]))
        raise HardTargetError(
            f"{path} has {', '.join(names)} but no {', '.join(missing)}; hidden layers "
            "are T1, T2, ... without gaps, one per hidden layer in order"
        )
    layers = [arrays[k] for k in names]
    for k, T in zip(names, layers, strict=True):
        if T.dtype.kind not in "biuf":
            raise HardTargetError(
                f"{k} in {path} has dtype {T.dtype}; hidden targets are numbers -1 or +1"
            )
    if n_samples is None:
        n_samples = layers[0].shape[0] if layers[0].ndim else 0
    return as_target_setting(layers, n_samples)
