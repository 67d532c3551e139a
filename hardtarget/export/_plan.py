"""How each layer of a network can be computed exactly outside numba.

``Network`` sums a pre-activation as ``((h_0 w_0 + h_1 w_1) + ...) + b`` in float64.
When a layer's inputs are integers (±1 from ``sign``, 0/1 from ``step``, or inputs the
user declares ±1) and its weights are integers after one power-of-two scale ``2**e``
with every partial sum below ``2**53`` (and weights within int32), each of those
float64 steps is exact: the sum is ``S * 2**-e`` for the integer
``S = sum h_f W_f 2**e`` and only ``+ b`` rounds.  Such
a layer runs on integers (``integer``), or on bits (``packed``): XNOR-popcount when its
inputs and scaled weights are all ±1, AND-popcount against a +1 and a -1 mask when its
inputs are 0/1 and its scaled weights in {-1, 0, 1}.  Since a correctly rounded sum keeps its sign,
``z > 0`` exactly when ``S > floor(-b * 2**e)``: a hidden unit is an integer threshold.
Any other layer (real inputs, ``qrelu`` inputs, real weights) is ``float``: it must
repeat the summation order above.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from ..activations import Activation
from ..errors import HardTargetError
from ..network import Network

__all__ = ["LayerPlan", "plan_network", "INPUTS", "input_domain", "network_inputs"]

INPUTS = ("real", "sign", "binary")
_EXACT_INT = 2**53


@dataclass(frozen=True)
class LayerPlan:
    """One layer as an export computes it.

    Attributes
    ----------
    kind : ``"packed"`` (popcounts on bits), ``"integer"`` or ``"float"``.
    inputs : what the layer reads: ``"real"``, ``"sign"`` (±1), ``"binary"`` (0/1) or
        ``"levels"`` (qrelu outputs).
    scale_exp : ``e`` with ``W[:-1] == weights_int * 2**-e`` (integer/packed layers).
    weights_int : ``(fan_in, units)`` int64 scaled weights, or None for float layers.
    thresholds : per unit, ``z > 0`` iff ``S > thresholds[j]`` (integer/packed), or None.
    """

    index: int
    fan_in: int
    units: int
    activation: Activation
    inputs: str
    kind: str
    weights: np.ndarray
    bias: np.ndarray
    scale_exp: int = 0
    weights_int: np.ndarray | None = None
    thresholds: np.ndarray | None = None

    @property
    def integer(self) -> tuple[np.ndarray, np.ndarray]:
        """``(weights_int, thresholds)`` of an integer or packed layer."""
        if self.weights_int is None or self.thresholds is None:
            raise HardTargetError(f"layer {self.index} is a float layer: no integer weights")
        return self.weights_int, self.thresholds

    @property
    def max_abs_sum(self) -> int:
        """Largest ``|S|`` a unit can reach (integer/packed layers)."""
        return (
            int(np.abs(self.weights_int).sum(axis=0).max()) if self.weights_int is not None else 0
        )

    @property
    def popcount_limits(self) -> np.ndarray:
        """Packed layers: unit ``j`` fires iff ``popcount(x XOR w_j) <= limit[j]``."""
        # S = n - 2 * popcount, and S > thr  <=>  popcount <= floor((n - thr - 1) / 2)
        return (self.fan_in - self.integer[1] - 1) // 2

    @property
    def float32_weights(self) -> bool:
        """True when every weight (not the bias) is exactly a float32: stored as one."""
        with np.errstate(over="ignore"):  # beyond float32: not one, so stored as float64
            return bool(np.all(self.weights.astype(np.float32).astype(np.float64) == self.weights))

    @property
    def weight_bits(self) -> int:
        """Bits a stored weight takes: 1 or 2 packed, integer bits, 32 or 64 float."""
        if self.kind == "packed":
            return 1 if self.inputs == "sign" else 2  # XNOR: one mask; AND: a +1 and a -1 mask
        if self.kind == "integer":
            return int(np.abs(self.integer[0]).max()).bit_length() + 1
        return 32 if self.float32_weights else 64


def _exponent(values: np.ndarray) -> int | None:
    """Smallest ``e >= 0`` making every value times ``2**e`` an integer (None if huge)."""
    e = 0
    for v in np.unique(np.abs(values)):
        if v == 0:
            continue
        num, den = float(v).as_integer_ratio()  # den is a power of two
        e = max(e, den.bit_length() - 1)
        if e > 1000:
            return None
    return e


def _integer_weights(W: np.ndarray, wide: bool = False) -> tuple[int, np.ndarray] | None:
    e = _exponent(W)
    if e is None:
        return None
    exact = [[Fraction(float(w)) * 2**e for w in row] for row in W]
    ints = [[int(v) for v in row] for row in exact]
    total = max(sum(abs(r[j]) for r in ints) for j in range(W.shape[1]))
    if total >= _EXACT_INT or (not wide and max(abs(v) for r in ints for v in r) >= 2**31):
        return None  # float64 sums would round, or the weights need more than int32
    return e, np.array(ints, dtype=np.int64).reshape(W.shape)


def _thresholds(bias: np.ndarray, e: int, bound: int) -> np.ndarray:
    """``floor(-b * 2**e)`` per unit, clipped to ``[-bound - 1, bound]`` (same verdicts)."""
    out = []
    for b in bias:
        t = math.floor(-Fraction(float(b)) * 2**e)
        out.append(min(max(t, -bound - 1), bound))
    return np.array(out, dtype=np.int64)


def input_domain(X) -> str:
    """``"sign"`` when every value of ``X`` is -1 or +1, ``"binary"`` when 0 or 1, else
    ``"real"`` (what a network trained on ``X`` may be exported for)."""
    X = np.asarray(X, dtype=np.float64)
    if X.size and np.all(np.abs(X) == 1):
        return "sign"
    if X.size and np.all((X == 0) | (X == 1)):
        return "binary"
    return "real"


def network_inputs(inputs: str, steps) -> str:
    """What the network reads: the declared ``inputs``, or after preprocessing ``steps``
    ``"binary"`` (a binarizer last) or ``"real"``."""
    if not steps:
        return inputs
    return "binary" if steps[-1].op == "binarize" else "real"


def _next_inputs(act: Activation) -> str:
    return {"sign": "sign", "step": "binary"}.get(act.kind, "levels")


def plan_network(net: Network, inputs: str = "real", wide: bool = False) -> list[LayerPlan]:
    """Plan every layer of ``net`` given what its inputs are (``"real"``, ``"sign"`` or
    ``"binary"``).  ``wide`` lifts the int32 limit on scaled weights (ONNX sums them as
    float64, exact while every sum stays below 2**53): float32 weights (torch nets) on
    ±1 or 0/1 inputs then sum exactly in a ``MatMul``."""
    if inputs not in INPUTS:
        raise HardTargetError(
            f"unknown inputs {inputs!r}; valid: 'real' (any numbers), 'sign' "
            "(every input is -1 or +1, as in parity problems) or 'binary' (every input 0 or 1)"
        )
    plans = []
    feed = inputs
    for d, (W, act) in enumerate(zip(net.weights, net.activations)):
        Wf, b = W[:-1], W[-1].copy()
        kind, e, Wi, thr = "float", 0, None, None
        scaled = _integer_weights(Wf, wide) if feed in ("sign", "binary") else None
        if scaled is not None:
            e, Wi = scaled
            bits = np.all(np.abs(Wi) == 1) if feed == "sign" else np.all(np.abs(Wi) <= 1)
            kind = "packed" if bits else "integer"
            bound = int(np.abs(Wi).sum(axis=0).max())
            thr = _thresholds(b, e, bound)
        plans.append(LayerPlan(d, Wf.shape[0], Wf.shape[1], act, feed, kind, Wf, b, e, Wi, thr))
        feed = _next_inputs(act)
    return plans
