"""Problem: a training set with ±1 targets, validated once, here."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .errors import HardTargetError

__all__ = ["Problem", "make_problem", "check_inputs"]


def check_inputs(X, what: str = "X") -> np.ndarray:
    """Return ``X`` as a C-contiguous float64 ``(m, n)`` array or raise HardTargetError."""
    try:
        arr = np.asarray(X)
        if arr.dtype.kind == "c":
            raise HardTargetError(
                f"{what} is complex; hardtarget needs real features. Pass X.real, "
                "or the real and imaginary parts as separate columns"
            )
        arr = arr.astype(np.float64, copy=False)
    except (ValueError, TypeError) as exc:
        if isinstance(exc, HardTargetError):
            raise
        raise HardTargetError(
            f"{what} could not be read as a numeric 2-D array ({exc}); "
            "check for ragged rows or non-numeric entries"
        ) from None
    if arr.ndim != 2:
        raise HardTargetError(
            f"{what} must be 2-D (n_samples, n_features), got {arr.ndim}-D shape {arr.shape}; "
            "reshape 1-D data with X.reshape(-1, 1)"
        )
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise HardTargetError(
            f"{what} is empty (shape {arr.shape}); give at least one sample and one feature"
        )
    if not np.all(np.isfinite(arr)):
        bad = int(np.count_nonzero(~np.isfinite(arr).all(axis=1)))
        raise HardTargetError(
            f"{what} contains NaN or inf in {bad} row(s); impute or drop them first"
        )
    return np.ascontiguousarray(arr)


@dataclass
class Problem:
    """A binary classification training set for a hard-threshold network.

    Attributes
    ----------
    X : (m, n) float64 inputs, the paper's ``T_0`` (transposed).
    t : (m,) int8 targets in {-1, +1}, the paper's ``T_L``; for a multi-class problem
        (``multiclass="ovr"``) an ``(m, k)`` array, +1 in the column of each sample's class.
    classes : the original labels: mapped to -1 and +1 (binary), or one per output column.
    name : where it came from.
    planted : for generated problems, the planted network and hidden targets.

    Parameters
    ----------
    feature_names : list of str or None
        Column names, when the data had them.

    Examples
    --------
    >>> import hardtarget as ht
    >>> p = ht.load_problem("and:2")
    >>> p.X.shape, p.t.tolist()
    ((4, 2), [-1, -1, -1, 1])
    """

    X: np.ndarray
    t: np.ndarray
    classes: np.ndarray
    name: str = "data"
    feature_names: list[str] | None = None
    planted: dict[str, Any] | None = field(default=None, repr=False)

    @property
    def n_samples(self) -> int:
        """Training points (rows of ``X``)."""
        return self.X.shape[0]

    @property
    def n_features(self) -> int:
        """Input features (columns of ``X``)."""
        return self.X.shape[1]

    @property
    def n_outputs(self) -> int:
        """Output units the problem asks for (1 for binary)."""
        return 1 if self.t.ndim == 1 else self.t.shape[1]

    @property
    def T_out(self) -> np.ndarray:
        """Output targets as an ``(m, n_outputs)`` int8 array."""
        return self.t.reshape(len(self.t), -1)

    def __repr__(self) -> str:
        return f"Problem({self.name!r}, n_samples={self.n_samples}, n_features={self.n_features})"


def make_problem(
    X, y, name: str = "data", feature_names=None, planted=None, multiclass: str | None = None
) -> Problem:
    """Validate ``X`` and labels ``y`` and build a :class:`Problem`.

    Two classes are mapped to ±1 in sorted order (the smaller label becomes -1).  More
    classes need ``multiclass="ovr"``: one output unit per class, one-vs-rest.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Finite numeric inputs.
    y : array-like of shape (n_samples,)
        Labels (any values; two classes, or more with ``multiclass``).
    name : str, default="data"
        Where the data came from, for messages.
    feature_names : list of str, optional
        Column names.
    planted : dict, optional
        For generated problems: the planted network and hidden targets.
    multiclass : {None, "ovr"}, default=None
        ``"ovr"`` accepts more than two classes (one output unit per class).

    Returns
    -------
    Problem

    Raises
    ------
    HardTargetError
        Wrong shapes, NaN or infinite inputs, one class, or more than two without ``multiclass``.

    Examples
    --------

    >>> make_problem([[0, 0], [1, 1]], ["no", "yes"]).t.tolist()
    [-1, 1]
    """
    X = check_inputs(X)
    y = np.asarray(y)
    if y.dtype.kind in "cV":
        raise HardTargetError(
            f"labels have dtype {y.dtype}; give numbers or strings, one per sample"
        )
    if y.ndim == 2 and 1 in y.shape:
        y = y.ravel()
    if y.ndim != 1:
        raise HardTargetError(f"labels must be 1-D, got shape {y.shape}")
    if y.shape[0] != X.shape[0]:
        raise HardTargetError(
            f"X has {X.shape[0]} rows but there are {y.shape[0]} labels; they must match"
        )
    if y.dtype.kind == "f" and not np.all(np.isfinite(y)):
        raise HardTargetError("labels contain NaN or inf; drop those rows first")
    if y.dtype.kind in "UO":
        blank = [i for i, v in enumerate(y.tolist()) if isinstance(v, str) and not v.strip()]
        if blank:
            rows = ", ".join(map(str, blank[:10])) + (", ..." if len(blank) > 10 else "")
            raise HardTargetError(
                f"{len(blank)} label(s) are blank, in row(s) {rows} (0-based data rows); "
                "a blank is a missing label, not a class: fill them in or drop those rows"
            )
    classes = np.unique(y)
    if classes.size < 2:
        raise HardTargetError(
            f"labels have a single class ({classes[0]!r}); a classifier needs both classes present"
        )
    if multiclass not in (None, "ovr"):
        raise HardTargetError(
            f"unknown multiclass option {multiclass!r}; valid: None (binary), 'ovr'"
        )
    if classes.size > 2:
        if multiclass == "ovr":
            t = np.where(y[:, None] == classes[None, :], 1, -1).astype(np.int8)
            return Problem(X, t, classes, name=name, feature_names=feature_names, planted=planted)
        raise HardTargetError(
            f"labels have {classes.size} classes {classes[:10].tolist()}; pass multiclass='ovr' "
            "(--multiclass ovr) for one output unit per class, or pick two classes "
            "(e.g. the built-in 'digits:3-8', 'iris:1-2')"
        )
    t = np.where(y == classes[1], 1, -1).astype(np.int8)
    return Problem(X, t, classes, name=name, feature_names=feature_names, planted=planted)
