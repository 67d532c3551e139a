"""Hard-threshold networks with the bias folded into each weight matrix.

Layer ``d`` maps its input ``H`` (``m x n_{d-1}``) to ``g(Z)`` with
``Z = H @ W[:-1] + W[-1]``: the last row of every weight matrix is the bias (paper,
section 2, with scikit-learn's orientation, i.e. the transpose of the paper's).
Pre-activations are summed in a fixed order, ``((h_0 w_0 + h_1 w_1) + ...) + b``, so
exports can reproduce them bit for bit.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field

import numba
import numpy as np

from ._io import atomic_open
from ._numeric import preactivations
from .activations import get_activation
from .errors import HardTargetError

__all__ = ["Network", "FORMAT_NAME", "FORMAT_VERSION", "hidden_widths"]

FORMAT_NAME = "hardtarget-network"
FORMAT_VERSION = 1
_KIND_CODE = {"sign": 0, "step": 1, "qrelu": 2}


@numba.njit(cache=True)
def _activate(Z, code, q):
    out = np.empty_like(Z)
    m, k = Z.shape
    for i in range(m):
        for j in range(k):
            z = Z[i, j]
            if code == 0:
                out[i, j] = 1.0 if z > 0 else -1.0
            elif code == 1:
                out[i, j] = 1.0 if z > 0 else 0.0
            else:
                out[i, j] = _qrelu_count(z, q) / q
    return out


@numba.njit(cache=True)
def _qrelu_count(z, q):
    """How many thresholds ``fl(s / (q - 1))``, ``s < q``, lie below ``z`` (0 for NaN), in
    O(1): a guess corrected by exact comparisons (see :func:`~.activations.qrelu`)."""
    if not z > 0:
        return 0
    if q == 1:
        return 1
    g = z * (q - 1)
    c = q if g >= q else int(g)
    while c > 0 and (c - 1) / (q - 1) >= z:
        c -= 1
    while c < q and c / (q - 1) < z:
        c += 1
    return c


@dataclass
class Network:
    """A feed-forward hard-threshold network.

    Parameters
    ----------
    weights : list of arrays
        ``weights[d]`` has shape ``(n_{d-1} + 1, n_d)``; its last row is the bias.
    activations : list of str or Activation
        One per layer (hidden layers and the output layer).
    classes : array, optional
        The original labels for output -1 and +1 (binary problems).

    Examples
    --------
    >>> import numpy as np
    >>> W1 = np.array([[1.0, 1.0], [1.0, 1.0], [-1.0, 1.0]])  # OR-ish and AND-ish units
    >>> W2 = np.array([[-1.0], [1.0], [-1.0]])
    >>> net = Network([W1, W2], ["sign", "sign"])
    >>> net.predict(np.array([[1.0, -1.0], [1.0, 1.0]])).tolist()
    [1.0, -1.0]
    """

    weights: list
    activations: list
    classes: np.ndarray | None = field(default=None)

    def __post_init__(self) -> None:
        if len(self.weights) == 0:
            raise HardTargetError("a network needs at least one layer of weights")
        acts = list(self.activations)
        if len(acts) == 1 and len(self.weights) > 1:
            acts = acts * len(self.weights)
        if len(acts) != len(self.weights):
            raise HardTargetError(
                f"got {len(self.weights)} weight matrices but {len(acts)} activations; "
                "give one per layer"
            )
        self.activations = [get_activation(a) for a in acts]
        ws: list[np.ndarray] = []
        for d, W in enumerate(self.weights):
            if np.iscomplexobj(W):
                raise HardTargetError(f"weights[{d}] is complex; weights are real numbers")
            try:
                W = np.ascontiguousarray(W, dtype=np.float64)
            except (TypeError, ValueError):
                raise HardTargetError(f"weights[{d}] is not a numeric array") from None
            if W.ndim != 2 or W.shape[0] < 1 or W.shape[1] < 1:
                raise HardTargetError(
                    f"weights[{d}] must be a 2-D (n_in + 1, n_out) array, got shape {W.shape}"
                )
            if not np.all(np.isfinite(W)):
                raise HardTargetError(f"weights[{d}] contains NaN or inf")
            if d > 0 and W.shape[0] != ws[-1].shape[1] + 1:
                raise HardTargetError(
                    f"weights[{d}] has {W.shape[0]} rows but layer {d - 1} has "
                    f"{ws[-1].shape[1]} units; "
                    "expected n_units + 1 rows (the last row is the bias)"
                )
            ws.append(W)
        self.weights = ws
        if self.classes is not None:
            self.classes = np.asarray(self.classes)

    # -- shape -------------------------------------------------------------
    @property
    def n_features(self) -> int:
        """Inputs the first layer takes."""
        return self.weights[0].shape[0] - 1

    @property
    def widths(self) -> tuple:
        """Units per layer, output layer included."""
        return tuple(W.shape[1] for W in self.weights)

    @property
    def hidden(self) -> tuple:
        """Units per hidden layer."""
        return self.widths[:-1]

    # -- forward -----------------------------------------------------------
    def _check_X(self, X) -> np.ndarray:
        X = np.ascontiguousarray(X, dtype=np.float64)
        if X.ndim == 1:
            X = X.reshape(1, -1)
        if X.ndim != 2 or X.shape[1] != self.n_features:
            raise HardTargetError(
                f"X must have shape (n_samples, {self.n_features}), got {X.shape}"
            )
        if not np.all(np.isfinite(X)):
            raise HardTargetError("X contains NaN or inf; impute or drop those rows first")
        return X

    def forward(self, X) -> list:
        """Outputs of every layer, ``[H_1, ..., H_L]`` (each ``m x n_d``).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Inputs, one row per sample.

        Returns
        -------
        list of numpy.ndarray
            The activations of every layer, ``(n_samples, n_units)`` each.
        """
        H = self._check_X(X)
        outs = []
        for W, act in zip(self.weights, self.activations, strict=True):
            H = _activate(preactivations(H, W), _KIND_CODE[act.kind], act.k)
            outs.append(H)
        return outs

    def preactivations(self, X) -> list:
        """Pre-activations of every layer, ``[Z_1, ..., Z_L]``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Inputs, one row per sample.

        Returns
        -------
        list of numpy.ndarray
            The pre-activations of every layer, ``(n_samples, n_units)`` each.
        """
        H = self._check_X(X)
        Zs = []
        for W, act in zip(self.weights, self.activations, strict=True):
            Z = preactivations(H, W)
            Zs.append(Z)
            H = _activate(Z, _KIND_CODE[act.kind], act.k)
        return Zs

    def decision_function(self, X) -> np.ndarray:
        """Pre-activations of the output layer (``m`` or ``m x n_out``).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Inputs, one row per sample.

        Returns
        -------
        numpy.ndarray
            ``(n_samples,)`` for one output unit, else ``(n_samples, n_outputs)``.
        """
        H = self._check_X(X)
        for W, act in zip(self.weights[:-1], self.activations[:-1], strict=True):
            H = _activate(preactivations(H, W), _KIND_CODE[act.kind], act.k)
        Z = preactivations(H, self.weights[-1])
        return Z[:, 0] if Z.shape[1] == 1 else Z

    def predict(self, X) -> np.ndarray:
        """Output-layer activations (``m`` for one output unit, else ``m x n_out``).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Inputs, one row per sample.

        Returns
        -------
        numpy.ndarray
            ±1 (``sign``) or 0/1 (``step``) activations of the output units.
        """
        Y = self.forward(X)[-1]
        return Y[:, 0] if Y.shape[1] == 1 else Y

    def predict_labels(self, X) -> np.ndarray:
        """Predictions mapped back to the original class labels.

        One output unit: its two values map to ``classes[0]``/``classes[1]``.  Several
        (one-vs-rest): the class of the largest output pre-activation
        (:func:`hardtarget.labels.output_index`, as every export format reads it).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Inputs, one row per sample.

        Returns
        -------
        numpy.ndarray of shape (n_samples,)
            Labels from ``classes``.
        """
        from .labels import class_labels, output_index

        if self.classes is None:
            raise HardTargetError("predict_labels needs stored classes; use predict()")
        return class_labels(self)[output_index(self, X)]

    # -- persistence ---------------------------------------------------------
    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the network to a versioned ``.npz`` file, atomically.

        A path ending in ``.json`` gets the portable JSON model file instead
        (:func:`hardtarget.export`), so what is written is what its name says;
        :func:`hardtarget.load` and :meth:`load` read both.

        Parameters
        ----------
        path : str or path-like
            The ``.npz`` (or ``.json``) file to write (replaced atomically).
        """
        if str(path).lower().endswith(".json"):
            from .export.jsonfile import save_json

            save_json(self, path)
            return
        meta = {
            "format": FORMAT_NAME,
            "version": FORMAT_VERSION,
            "activations": [a.name for a in self.activations],
            "has_classes": self.classes is not None,
        }
        arrays = {f"W{d}": W for d, W in enumerate(self.weights)}
        if self.classes is not None:
            arrays["classes"] = self.classes
        with atomic_open(path) as fh:
            np.savez(fh, __meta__=np.array(json.dumps(meta)), **arrays)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Network:
        """Read a file written by :meth:`save`; refuse anything else with a HardTargetError.

        Parameters
        ----------
        path : str or path-like
            A ``.npz`` (or ``.json``) file written by :meth:`save`.

        Returns
        -------
        Network
        """
        from ._npz import read_npz

        if str(path).lower().endswith(".json"):
            from .export.jsonfile import _is_zip, load

            if not _is_zip(path):  # an .npz saved under .json by an older hardtarget
                return load(path)

        arrays = read_npz(path, "model file")
        fix = "write one with Network.save or `hardtarget solve --out`"
        if "__meta__" not in arrays:
            raise HardTargetError(
                f"{path} is not a hardtarget network file (no __meta__ entry); {fix}"
            )
        try:
            meta = json.loads(str(arrays["__meta__"]))
        except (ValueError, RecursionError):
            meta = None
        if not isinstance(meta, dict) or meta.get("format") != FORMAT_NAME:
            fmt = meta.get("format") if isinstance(meta, dict) else None
            raise HardTargetError(
                f"{path} is not a hardtarget network file (format {fmt!r}); {fix}"
            )
        if meta.get("version") != FORMAT_VERSION:
            raise HardTargetError(
                f"{path} has format version {meta.get('version')!r}; this hardtarget reads version "
                f"{FORMAT_VERSION}. Upgrade hardtarget or re-export the model."
            )
        acts = meta.get("activations")
        if not isinstance(acts, list) or not acts or not all(isinstance(a, str) for a in acts):
            raise HardTargetError(
                f"{path}: __meta__ needs 'activations', a non-empty list of names "
                f"(one per layer), got {acts!r}; {fix}"
            )
        missing = [f"W{d}" for d in range(len(acts)) if f"W{d}" not in arrays]
        if missing:
            raise HardTargetError(
                f"{path} lists {len(acts)} layers but has no {', '.join(missing)}; "
                f"the file is damaged or incomplete; {fix}"
            )
        weights = []
        for d in range(len(acts)):
            W = arrays[f"W{d}"]
            if W.dtype.kind not in "biuf":
                raise HardTargetError(
                    f"{path}: W{d} has dtype {W.dtype}; weights are real numbers; {fix}"
                )
            weights.append(W)
        classes = arrays.get("classes") if meta.get("has_classes") else None
        if meta.get("has_classes") and classes is None:
            raise HardTargetError(
                f"{path}: __meta__ says it has classes but there is no 'classes' array"
            )
        return cls(weights, acts, classes)

    def summary(self) -> str:
        """One line per layer: shape, activation, parameter count."""
        lines = []
        for d, (W, a) in enumerate(zip(self.weights, self.activations, strict=True), 1):
            lines.append(f"layer {d}: {W.shape[0] - 1} -> {W.shape[1]} {a.name} ({W.size} params)")
        return "\n".join(lines)


def hidden_widths(hidden) -> tuple[int, ...]:
    """Hidden layer widths, read once for the API, the estimator and the command line.

    Parameters
    ----------
    hidden : int, sequence of int, str or None
        One width, a sequence of widths, or a text of widths joined by commas (``"4,3"``;
        ``"0"`` or ``""`` for none).  ``None`` means no hidden layer.

    Returns
    -------
    tuple of int
        One width per hidden layer, ``()`` for none.

    Raises
    ------
    HardTargetError
        Something that is not a width, or a width below 1.

    Examples
    --------
    >>> hidden_widths(4), hidden_widths([4, 3]), hidden_widths("4,3"), hidden_widths("0")
    ((4,), (4, 3), (4, 3), ())
    """
    if hidden is None:
        return ()
    given = hidden
    if isinstance(hidden, str):
        text = hidden.strip()
        hidden = () if text in ("", "0") else text.split(",")
    elif isinstance(hidden, (int, np.integer)):
        hidden = (hidden,)
    try:
        widths = tuple(int(h) for h in hidden)
    except (TypeError, ValueError):
        raise HardTargetError(
            "hidden takes a width, a sequence of widths or widths joined by commas "
            f"(e.g. 4 or 4,3); got {given!r}"
        ) from None
    if any(h < 1 for h in widths):
        raise HardTargetError(
            f"every hidden layer needs width >= 1, got {widths}; "
            "use hidden=() (--hidden 0) for none"
        )
    return widths
