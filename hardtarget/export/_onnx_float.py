"""Float layers in ONNX: a ``MatMul`` where it is provably safe, the Network's order elsewhere.

``Network`` sums ``z = ((h_0 w_0 + h_1 w_1) + ...) + b`` in float64 (``F`` inputs).  Any
other order (a ``MatMul``: blocked, threaded, with or without FMA) gives ``z'`` with
``|z' - z*| <= gamma_{F+1} A`` (Higham, *Accuracy and Stability of Numerical Algorithms*,
2nd ed., eq. 3.5 and §3.1, whatever the order; one more rounding for ``+ b``), where
``z*`` is the exact real value, ``A = sum_f |h_f w_f| + |b|``, ``gamma_k = k u / (1 - k u)``
and ``u = 2**-53``; the Network's own ``z`` obeys the same bound.  Underflow, and
flush-to-zero or denormals-are-zero should a kernel use them, add at most ``2**-1022 (1 +
|w_f|)`` per term.  By Cauchy-Schwarz ``A <= ||h|| ||w_j|| + |b_j|``, so

    ``|z' - z| <= 2 gamma_{F+1} (||h|| ||w_j|| + |b_j|) + 2 (F + 1) 2**-1022 (1 + ||w_j||_1)``.

The graph computes ``||h||`` per row (``ReduceSumSquare`` plus ``F 2**-1022`` for squares
lost to underflow, then ``Sqrt``: relative error below ``(F / 2 + 2) u``), takes
``||w_j||`` rounded up, and forms

    ``B = (||h|| ||w_j|| + |b_j|) 4 (F + 2) u + 4 (F + 2) 2**-1022 (1 + ||w_j||_1 + |b_j|)``,

twice the bound above, which leaves room for the roundings of ``B`` itself (for
``F < 2**40``).  A unit with ``|z' - t| > B`` for every threshold ``t`` of its activation
(0 for sign and step, ``s / (k - 1)`` for ``qrelu<k>``) is on the same side of each as
the Network's ``z``, so its activation is exact.  Any other row (a unit within the bound,
exact ties included, or NaN and infinite values, for which the comparison is false) is
recomputed in the Network's order: selected with ``Compress``, summed by
:func:`ordered_sum` and put back with ``ScatterND``.  On random 784-input rows the bound
is about ``1e-12`` of ``|z|``'s scale, so such rows are rare.  An output layer's
pre-activations are returned, so it always takes the ordered sum.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["float_layer", "ordered_sum", "bound_factors"]

_U = 2.0**-53
_TINY = 2.0**-1022


def bound_factors(fan_in: int) -> tuple[float, float]:
    """``(c, t)`` with ``B = A' * c + t`` (see the module docstring)."""
    return 4.0 * (fan_in + 2) * _U, 4.0 * (fan_in + 2) * _TINY


def ordered_sum(g, h: str, W: np.ndarray, b: np.ndarray, hint: str) -> str:
    """``((h_0 w_0 + h_1 w_1) + ...) + b`` row by row: the products ``h_f w_f`` (an
    elementwise ``Mul``, shape rows x features x units), their running sums along the
    features (``CumSum``: onnxruntime adds them front to back, one IEEE addition per
    element, ``out[f] = in[f] + out[f - 1]``, in ``cpu/math/cumsum.cc``), the last one,
    then ``+ b``."""
    F = W.shape[0]
    col = g.op("Unsqueeze", [h, g.const(np.array([2], dtype=np.int64))])
    prods = g.op("Mul", [col, g.const(np.ascontiguousarray(W, dtype=np.float64), f"{hint}_W")])
    sums = g.op("CumSum", [prods, g.const(np.int64(1))], "cumsum")
    last = g.op("Gather", [sums, g.const(np.int64(F - 1))], axis=1)
    return g.op("Add", [last, g.const(np.asarray(b, dtype=np.float64), f"{hint}_b")], "z")


def _bounded(g, h: str, W: np.ndarray, b: np.ndarray) -> tuple[str, str]:
    """``(z', B)``: pre-activations by a float64 ``MatMul`` and, per row and unit, a bound
    ``B >= |z' - z|`` on the distance to the Network's (see the module docstring)."""
    F = W.shape[0]
    # Sub of -b: the same IEEE operation as + b, and no MatMul + Add fusion into Gemm
    z = g.op("Sub", [g.op("MatMul", [h, g.const(W, "Wm")]), g.const(-b)], "zm")
    squares = g.op("ReduceSumSquare", [h], axes=[1], keepdims=1)
    norm_h = g.op("Sqrt", [g.op("Add", [squares, g.const(np.float64(F * _TINY))])])
    norm_w = np.array([_norm_up(col) for col in W.T])
    c, t = bound_factors(F)
    t = np.nextafter(t * (1 + np.abs(W).sum(axis=0) + np.abs(b)), np.inf)
    cross = g.op("Add", [g.op("Mul", [norm_h, g.const(norm_w)]), g.const(np.abs(b))])
    bound = g.op("Add", [g.op("Mul", [cross, g.const(np.float64(c))]), g.const(t)], "B")
    return z, bound


def _norm_up(v: np.ndarray) -> float:
    """An upper bound on ``||v||_2``, scaled by a power of two so squares do not
    underflow (those that still do add at most ``len(v) 2**-1022`` to the scaled sum)."""
    top = float(np.abs(v).max()) if v.size else 0.0
    if top == 0:
        return 0.0
    e = math.frexp(top)[1]
    scaled = math.fsum(math.ldexp(float(x), -e) ** 2 for x in v) + len(v) * _TINY
    try:
        up = math.ldexp(math.sqrt(scaled) * (1 + 2.0**-40), e)
    except OverflowError:
        up = math.inf  # every row is then recomputed: slow, still exact
    up = float(np.nextafter(up, np.inf))
    if 1.0 < up < 1.5 and float(np.float32(up)) == 1.0:  # onnxruntime would drop a Mul by it
        up = float(np.nextafter(np.float32(1.0), np.float32(2.0)))  # still an upper bound
    return up


def _near(g, z: str, bound: str, thresholds) -> str:
    """Rows (bool, N) with some unit whose ``|z - t| > bound`` fails for a threshold ``t``
    (false on NaN: such rows are flagged too)."""
    near = None
    for thr in thresholds:
        gap = z if thr == 0 else g.op("Sub", [z, g.const(np.float64(thr))])
        close = g.op("Not", [g.op("Greater", [g.op("Abs", [gap]), bound])])
        near = close if near is None else g.op("Or", [near, close])
    flag = g.op("Cast", [near], to=g.types.INT32)
    return g.op("Cast", [g.op("ReduceMax", [flag], axes=[1], keepdims=0)], "rows", to=g.types.BOOL)


def _rows_index(g, rows: str) -> str:
    return g.op("Transpose", [g.op("NonZero", [rows])], perm=[1, 0])


def _exact_rows(g, h: str, z: str, rows: str, W, b, hint: str) -> str:
    """``z`` with the flagged ``rows`` replaced by their ordered sums."""
    exact = ordered_sum(g, g.op("Compress", [h, rows], axis=0), W, b, hint)
    return g.op("ScatterND", [z, _rows_index(g, rows), exact], "z")


def float_layer(g, h: str, W: np.ndarray, b: np.ndarray, thresholds, hint: str) -> str:
    """Pre-activations of a hidden float layer, good for its activation: a ``MatMul``
    where the bound allows, the Network's ordered sum on the rows it flags."""
    W, b = np.asarray(W, dtype=np.float64), np.asarray(b, dtype=np.float64)
    z, bound = _bounded(g, h, W, b)
    return _exact_rows(g, h, z, _near(g, z, bound, thresholds), W, b, hint)
