"""``verify_export``: an exported file must predict what the Network does, bit for bit."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import numpy as np

from ..errors import HardTargetError
from ..network import Network
from ._model import as_network, class_labels, output_index
from ._plan import plan_network
from .runtime import format_of, open_export

__all__ = ["verify_export", "ExportCheck", "check_inputs_for"]


@dataclass
class ExportCheck:
    """Outcome of :func:`verify_export`.

    ``exhaustive`` is True when every ±1 input was tried; ``zero_units`` counts the
    units that some tried input put exactly at ``z = 0`` (the ties where a wrong sign
    convention shows), out of ``units``.
    """

    format: str
    path: str
    n_inputs: int
    exhaustive: bool
    mismatches: int
    zero_units: int
    units: int
    first_mismatch: list | None = field(default=None)

    @property
    def ok(self) -> bool:
        return self.mismatches == 0

    def __str__(self) -> str:
        kind = "all 2^n ±1 inputs" if self.exhaustive else "random and tie inputs"
        verdict = "exact" if self.ok else f"{self.mismatches} MISMATCHES"
        return (
            f"{self.format} export {self.path}: {verdict} on {self.n_inputs} inputs ({kind}; "
            f"{self.zero_units}/{self.units} units tested at z = 0)"
        )


def _all_signs(n: int) -> np.ndarray:
    codes = np.arange(2**n, dtype=np.int64)[:, None] >> np.arange(n)[None, :]
    return np.where(codes & 1, 1.0, -1.0)


def _flip_preactivations(net: Network, x: np.ndarray, d: int) -> np.ndarray:
    """Layer ``d``'s pre-activations for ``x`` with each single input flipped (rows 0..n-1)
    and unflipped (row n), in numpy: it guides the search; exact zeros are checked after."""
    W = net.weights[0]
    z = x @ W[:-1] + W[-1]
    Z = np.vstack([z[None, :] - 2.0 * x[:, None] * W[:-1], z[None, :]])  # rank-one per flip
    for W, act in zip(net.weights[1 : d + 1], net.activations[:d]):
        Z = act(Z) @ W[:-1] + W[-1]
    return Z


def _ties_by_flips(net: Network, rng, tries: int = 2, units: int = 16) -> np.ndarray:
    """±1 inputs found by greedy bit flips that put a unit's pre-activation exactly at 0
    (up to ``units`` units per layer, ``tries`` random starts each)."""
    n, found = net.n_features, []
    for d, width in enumerate(net.widths):
        for j in rng.permutation(width)[:units]:
            for _ in range(tries):
                x = rng.choice([-1.0, 1.0], size=n)
                for _ in range(min(2 * n + 2, 64)):
                    z = np.abs(_flip_preactivations(net, x, d)[:, j])
                    best = int(np.argmin(z + rng.random(n + 1) * 1e-9))
                    if best < n:
                        x = x.copy()
                        x[best] = -x[best]
                    if z[best] == 0 or best == n:
                        break
                if net.preactivations(x[None, :])[d][0, j] == 0:  # the Network's own sums
                    found.append(x)
                    break
    return np.array(found).reshape(-1, n)


def _ties_first_layer(net: Network) -> np.ndarray:
    """Real inputs with one nonzero feature that put a first-layer unit exactly at 0."""
    W, rows = net.weights[0], []
    n = net.n_features
    for j in range(W.shape[1]):
        for f in np.flatnonzero(W[:-1, j])[:3]:
            v = -W[-1, j] / W[f, j]
            for cand in (v, np.nextafter(v, np.inf), np.nextafter(v, -np.inf)):
                x = np.zeros(n)
                x[f] = cand
                if np.isfinite(cand) and net.preactivations(x[None, :])[0][0, j] == 0:
                    rows.append(x)
                    break
    return np.array(rows).reshape(-1, n)


_MAX_SCALE = 1e150


def _check_finite(net: Network, X: np.ndarray) -> None:
    """Refuse a model whose pre-activations overflow float64 on a tested input: its
    outputs there are inf or NaN arithmetic, not a function an export can reproduce."""
    with np.errstate(over="ignore", invalid="ignore"):
        for d, Z in enumerate(net.preactivations(X)):
            bad = ~np.isfinite(Z)
            if bad.any():
                i, j = np.argwhere(bad)[0]
                big = max(float(np.abs(W).max()) for W in net.weights)
                raise HardTargetError(
                    f"layer {d + 1} unit {j} overflows float64 (its pre-activation is "
                    f"{Z[i, j]}) on the input {X[i].tolist()[:8]}: the weights (up to {big:g}) "
                    "are too large to compute with; divide each unit's weights and bias by a "
                    "positive number (a unit's sign is unchanged by it) and export again"
                )


def check_inputs_for(
    net: Network,
    inputs: str = "real",
    n_random: int = 1000,
    seed: int = 0,
    exhaustive_limit: int = 14,
) -> tuple[np.ndarray, bool]:
    """Inputs that test an export of ``net``: every ±1 input when ``n_features`` is small,
    else random ones, plus inputs that put pre-activations exactly at 0 (see
    :func:`_ties_by_flips`) and, for real inputs, random reals and small integers."""
    rng = np.random.default_rng(seed)
    n = net.n_features
    exhaustive = n <= exhaustive_limit
    parts = [
        _all_signs(n) if exhaustive else rng.choice([-1.0, 1.0], size=(n_random, n)),
        _ties_by_flips(net, rng),
    ]
    if inputs == "real":
        # inputs about as large as the weights, capped so that an input stays finite
        scale = min(max(1.0, float(np.abs(net.weights[0]).max())), _MAX_SCALE)
        parts += [
            rng.normal(size=(n_random, n)) * scale,
            np.zeros((1, n)),
            _ties_first_layer(net),
            rng.integers(-3, 4, size=(n_random, n)).astype(np.float64),
        ]
    return np.vstack(parts), exhaustive


def verify_export(
    model,
    path: str | os.PathLike[str],
    format: str | None = None,
    *,
    inputs: str | None = None,
    n_random: int = 1000,
    seed: int = 0,
) -> ExportCheck:
    """Compare an exported file with the model's own predictions, bit for bit.

    Labels must be equal, and output pre-activations equal as float64 values (exactly; only
    the sign of a zero may differ, as onnxruntime drops additions of 0), on every
    tested input (see :func:`check_inputs_for`).  The C export is compiled with the
    system compiler and called through ctypes; ONNX runs in onnxruntime.  ``inputs``
    defaults to what the file was exported for (``"sign"``: only ±1 inputs are tried).

    Examples
    --------
    >>> import numpy as np, hardtarget as ht, tempfile, os
    >>> net = ht.Network([np.array([[1.0], [1.0], [0.0]])], ["sign"])
    >>> path = os.path.join(tempfile.mkdtemp(), "m.json")
    >>> _ = ht.export(net, path)
    >>> ht.verify_export(net, path).ok
    True
    """
    net = as_network(model)
    fmt = format_of(path, format)
    runner = open_export(path, fmt)
    inputs = runner.inputs if inputs is None else inputs
    plan_network(net, inputs)  # validates `inputs`
    if runner.inputs == "sign" and inputs == "real":
        raise HardTargetError(
            f"{path} was exported for inputs that are all -1 or +1; check it "
            "with inputs='sign' (or export it with inputs='real')"
        )
    with np.errstate(over="ignore", invalid="ignore"):
        X, exhaustive = check_inputs_for(net, inputs, n_random, seed)
    _check_finite(net, X)
    if (runner.n_features, runner.n_outputs) != (net.n_features, net.widths[-1]):
        raise HardTargetError(
            f"{path} takes {runner.n_features} features and gives {runner.n_outputs} outputs, the "
            f"model {net.n_features} and {net.widths[-1]}: it is not an export of this model"
        )
    want_z = np.asarray(net.decision_function(X)).reshape(len(X), -1)
    want_i = output_index(net, X)
    got_z = np.ascontiguousarray(runner.decision(X), dtype=np.float64).reshape(want_z.shape)
    got_i = np.asarray(runner.index(X)).astype(np.int64).ravel()
    bad = (got_i != want_i) | np.any(got_z != want_z, axis=1)
    if hasattr(runner, "labels"):
        want_l = class_labels(net)[want_i]
        got_l = np.asarray(runner.labels(X))
        if got_l.dtype.kind in "OS":
            got_l = np.array([v.decode() if isinstance(v, bytes) else v for v in got_l.tolist()])
            want_l = want_l.astype(str)
        bad |= got_l != want_l
    zeros = sum(int(np.any(Z == 0, axis=0).sum()) for Z in net.preactivations(X))
    first = X[np.flatnonzero(bad)[0]].tolist() if bad.any() else None
    return ExportCheck(
        fmt, str(path), len(X), exhaustive, int(bad.sum()), zeros, sum(net.widths), first
    )
