"""``verify_export``: an exported file must predict what the Network does, bit for bit."""

from __future__ import annotations

import os
import shlex
from dataclasses import dataclass, field

import numpy as np

from .. import registry
from ..errors import HardTargetError
from ..labels import class_labels, output_index
from ..network import Network
from ._model import as_network
from ._pipeline import raw_rows, split_pipeline
from ._plan import network_inputs, plan_network
from .exporter import format_of, get_exporter
from .runtime import open_export
from .torch_onnx import is_torch_chain, torch_check

__all__ = ["verify_export", "ExportCheck", "check_inputs_for"]


@dataclass
class ExportCheck:
    """Outcome of :func:`verify_export`.

    ``exhaustive`` is True when every ±1 input was tried; ``zero_units`` counts the
    units that some tried input put exactly at ``z = 0`` (the ties where a wrong sign
    convention shows), out of ``units``.

    Parameters
    ----------
    format : str
        ``json``, ``onnx`` or ``c``.
    path : str
        The file checked.
    n_inputs : int
        Inputs tried.
    exhaustive : bool
        Whether every ±1 input was tried.
    mismatches : int
        Inputs on which the export disagreed.
    zero_units, units : int
        Units put at ``z = 0`` by some input, out of all units.
    first_mismatch : list of float or None
        The first input that disagreed.
    torch : dict or None
        For a torch conv net: rows, ties near a threshold, label mismatches, hidden flips
        and the largest logit error.
    """

    format: str
    path: str
    n_inputs: int
    exhaustive: bool
    mismatches: int
    zero_units: int
    units: int
    first_mismatch: list | None = field(default=None)
    torch: dict | None = field(default=None)

    @property
    def ok(self) -> bool:
        return self.mismatches == 0

    def __str__(self) -> str:
        if self.torch is not None:
            t = self.torch
            verdict = "agrees" if self.ok else f"{self.mismatches} MISMATCHES"
            return (
                f"{self.format} export {self.path} of a torch model: {verdict} on {t['rows']} "
                f"inputs ({t['ties']} near a threshold; labels away from them: "
                f"{t['label_mismatches']} differ; hidden activations that differ: "
                f"{t['hidden_flips']}; largest logit error {t['max_logit_error']:.3g})"
            )
        kind = "all 2^n corner inputs" if self.exhaustive else "random and tie inputs"
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
    if inputs == "binary":  # the same corners as 0/1 (ties: exhaustive up to 14 features)
        parts = [(parts[0] + 1.0) / 2.0]
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
    cc: str | None = None,
    cflags: tuple[str, ...] | str | None = None,
    X=None,
) -> ExportCheck:
    """Compare an exported file with the model's own predictions, bit for bit.

    Labels must be equal, and output pre-activations equal as float64 values (exactly; only
    the sign of a zero may differ, as onnxruntime drops additions of 0), on every
    tested input (see :func:`check_inputs_for`).  The C export is compiled by
    ``cc`` (a command, default ``$CC`` or ``cc``) with ``cflags`` (a tuple or a string;
    default ``-O2``) and called through ctypes; ONNX runs in onnxruntime.  ``inputs``
    defaults to what the file was exported for (``"sign"``: only ±1 inputs are tried).

    A torch conv net (see :mod:`hardtarget.export.torch_onnx`) is checked on the inputs
    ``X`` (e.g. its test set) against its eval forward on the CPU: labels must agree on
    every row whose hidden pre-activations stay clear of the thresholds, and logits to
    ``1e-4 (1 + max |logit|)`` (convolutions sum in another order).

    Parameters
    ----------
    model : Network, fitted estimator, SearchResult, torch MLP or model file
        The reference.
    path : str or path-like
        The exported file.
    format : str, optional
        A registered export format (``json``, ``onnx``, ``c``, a plugin's); default:
        from the file's suffix.
    inputs : {"real", "sign"}, optional
        Default: what the file was exported for.
    n_random : int
        Random inputs tried when not all ±1 inputs are.
    seed : int
        Seed of those inputs.
    cc : str, optional
        The C compiler command (default ``$CC`` or ``cc``).
    cflags : tuple of str or str, optional
        Its flags (default ``-O2``).
    X : array-like, optional
        Inputs for a torch conv net (e.g. its test set).

    Returns
    -------
    ExportCheck

    Examples
    --------
    >>> import numpy as np, hardtarget as ht, tempfile, os
    >>> net = ht.Network([np.array([[1.0], [1.0], [0.0]])], ["sign"])
    >>> path = os.path.join(tempfile.mkdtemp(), "m.json")
    >>> _ = ht.export(net, path)
    >>> ht.verify_export(net, path).ok
    True
    """
    fmt = format_of(path, format)
    if is_torch_chain(model):
        if X is None:
            raise HardTargetError("verify_export of a torch conv net needs inputs: give X=")
        t = torch_check(model, path, X)
        bad = t["label_mismatches"] + (0 if t["ok"] else 1)
        return ExportCheck(fmt, str(path), t["rows"], False, bad, 0, 0, None, t)
    steps, final = split_pipeline(model)
    net = as_network(final)
    if isinstance(cflags, str):
        cflags = tuple(shlex.split(cflags))
    runner = open_export(path, fmt, cc=cc, cflags=cflags)
    inputs = runner.inputs if inputs is None else inputs
    plan_network(net, inputs)  # validates `inputs`
    if runner.inputs != "real" and inputs != runner.inputs:
        domain = {"sign": "all -1 or +1", "binary": "all 0 or 1"}[runner.inputs]
        raise HardTargetError(
            f"{path} was exported for inputs that are {domain}; check it "
            f"with inputs={runner.inputs!r} (or export it with inputs='real')"
        )
    if (runner.n_features, runner.n_outputs) != (net.n_features, net.widths[-1]):
        raise HardTargetError(
            f"{path} takes {runner.n_features} features and gives {runner.n_outputs} outputs, the "
            f"model {net.n_features} and {net.widths[-1]}: it is not an export of this model"
        )
    if steps and not get_exporter(fmt).pipelines:
        able = " or ".join(c.name for c in registry.components("exporters") if c.obj.pipelines)
        raise HardTargetError(
            f"a {fmt} export holds no preprocessing; verify it against the pipeline's last "
            f"step (pipeline[-1]), or export the pipeline as {able}"
        )
    if steps:
        X, H, exhaustive = _pipeline_rows(model, steps, net, inputs, n_random, seed)
        want_l = np.asarray(model.predict(X))  # scikit-learn's own answer is the truth
    else:
        with np.errstate(over="ignore", invalid="ignore"):
            X, exhaustive = check_inputs_for(net, inputs, n_random, seed)
        H, want_l = X, None
    _check_finite(net, H)
    want_z = np.asarray(net.decision_function(H)).reshape(len(X), -1)
    want_i = output_index(net, H)
    if want_l is None:
        want_l = class_labels(net)[want_i]
    got_z = np.ascontiguousarray(runner.decision(X), dtype=np.float64).reshape(want_z.shape)
    got_i = np.asarray(runner.index(X)).astype(np.int64).ravel()
    bad = (got_i != want_i) | np.any(got_z != want_z, axis=1)
    got_l = np.asarray(runner.labels(X)) if hasattr(runner, "labels") else None
    if got_l is None:
        got_l = class_labels(net)[np.clip(got_i, 0, None)]
    if got_l.dtype.kind in "OS":
        got_l = np.array([v.decode() if isinstance(v, bytes) else v for v in got_l.tolist()])
        want_l = want_l.astype(str)
    bad |= got_l != want_l
    zeros = sum(int(np.any(Z == 0, axis=0).sum()) for Z in net.preactivations(H))
    first = X[np.flatnonzero(bad)[0]].tolist() if bad.any() else None
    mismatches = int(bad.sum())
    if runner.inputs != "real":  # rows outside the domain must be refused (index -1)
        outside = _outside_domain(X[: min(len(X), 64)])
        refused = np.asarray(runner.index(outside)).astype(np.int64).ravel() == -1
        if not refused.all():
            first = first or outside[np.flatnonzero(~refused)[0]].tolist()
        mismatches += int((~refused).sum())
    return ExportCheck(
        fmt, str(path), len(X), exhaustive, mismatches, zeros, sum(net.widths), first
    )


def _pipeline_rows(model, steps, net: Network, inputs: str, n_random: int, seed: int):
    """Raw test rows for a pipeline, what its preprocessing makes of them (scikit-learn's
    own ``transform``), and whether every corner of the network's inputs was reached.

    The network's test rows (ties included) are mapped back through the steps, so they
    land on or near the network's ties; random rows and, for declared ±1 or 0/1 inputs,
    every corner of that domain are added."""
    rng = np.random.default_rng(seed + 1)
    n = net.n_features
    net_in = network_inputs(inputs, steps)
    Z, exhaustive = check_inputs_for(net, net_in, n_random, seed)
    if inputs != "real":  # the raw rows must stay in the declared domain
        X, exhaustive = check_inputs_for(net, inputs, n_random, seed)
        exhaustive = exhaustive and net_in == "binary"
    else:
        spread = raw_rows(steps, rng.normal(size=(n_random, n)) * 2.0, rng)
        X = np.vstack([raw_rows(steps, Z, rng), spread, np.zeros((1, n))])
        exhaustive = exhaustive and net_in == "binary"
    X = X[np.all(np.isfinite(X), axis=1)]
    H = np.asarray(model[:-1].transform(X), dtype=np.float64)
    return X, H, exhaustive


def _outside_domain(X: np.ndarray) -> np.ndarray:
    """Copies of rows of ``X`` with one value outside both the ±1 and the 0/1 domain."""
    out = X.copy()
    bad = np.array([0.5, 2.0, -0.5, np.nan])
    for i in range(len(out)):
        out[i, i % out.shape[1]] = bad[i % len(bad)]
    return out
