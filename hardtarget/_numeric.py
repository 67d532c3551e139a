"""Arithmetic whose results do not depend on the machine: the decision paths' numerics.

A seeded search must give the same bytes on any machine, so nothing that decides which
targets, flips or weights a search takes may go through BLAS (whose kernels sum in an
order that depends on the CPU, the ``OPENBLAS_CORETYPE`` and the thread count) or through
a vectorized transcendental function (numpy's ``tanh``/``exp`` are dispatched on the
CPU's SIMD features; libm's differ between libraries).  The functions here use only
IEEE-754 additions, multiplications, divisions and square roots (correctly rounded on
every CPU) in a fixed order, compiled by numba without ``fastmath`` (so LLVM may not
reassociate a sum or fuse a multiply-add, and vectorizes only across independent
outputs, never across the terms of one sum):

* :func:`preactivations`, :func:`matmul`, :func:`matmul_tn`: products summed term by term
  in index order, exactly like :class:`~hardtarget.network.Network`'s forward pass
  (``((h_0 w_0 + h_1 w_1) + ...) + b``);
* :func:`tanh` and :func:`sech2` (``1 / cosh^2``): from :func:`expm1_pos`, a range
  reduction by ``ln 2`` and a fixed polynomial (a few ulps from the true value; the same
  bits everywhere).

They are slower than BLAS on large matrices; the continuous relaxations that use them are
cut by the search's budget like any other work.
"""

from __future__ import annotations

import math

import numba
import numpy as np

__all__ = [
    "expm1_pos",
    "matmul",
    "matmul_tn",
    "preactivations",
    "sech2",
    "sech2_at",
    "tanh",
    "tanh_at",
]

_LN2_HI = 6.93147180369123816490e-01  # ln 2 split: _LN2_HI has 21 trailing zero bits
_LN2_LO = 1.90821492927058770002e-10
_INV_LN2 = 1.44269504088896338700e00
_POW2 = np.ldexp(1.0, np.arange(0, 1024))  # exact powers of two, a constant table
# 1/n! for n = 13 .. 2 (Horner order), then 1: exp(r) - 1 = r (1 + r/2 (1 + ...)) on |r| <= ln2/2
_TAYLOR = np.array([1.0 / math.factorial(n) for n in range(13, 1, -1)])


@numba.njit(cache=True, inline="always")
def expm1_pos(y):
    """``exp(y) - 1`` for ``0 <= y <= 709``, with basic operations only (a few ulps)."""
    k = int(y * _INV_LN2 + 0.5)
    r = (y - k * _LN2_HI) - k * _LN2_LO  # |r| <= ln2 / 2 (k * _LN2_HI is exact)
    p = 0.0
    for c in _TAYLOR:
        p = (p + c) * r
    p = (p + 1.0) * r  # exp(r) - 1
    if k == 0:
        return p
    s = _POW2[k]
    return s * p + (s - 1.0)


@numba.njit(cache=True, inline="always")
def tanh_at(x):
    """``tanh(x)`` of a float, the same bits on every machine."""
    a = abs(x)
    if a > 22.0:  # tanh(22) rounds to 1
        t = 1.0
    elif a < 3.7e-9:  # tanh(a) = a - a^3/3: the cube is below half an ulp
        t = a
    else:
        e = expm1_pos(2.0 * a)
        t = e / (e + 2.0)
    return -t if x < 0 else t


@numba.njit(cache=True, inline="always")
def sech2_at(x):
    """``1 / cosh(x)^2`` (the derivative of ``tanh``), the same bits on every machine."""
    a = abs(x)
    if a > 354.0:  # below the smallest subnormal
        return 0.0
    e = expm1_pos(2.0 * a)  # exp(2a) - 1; sech^2 = 4 exp(2a) / (exp(2a) + 1)^2
    if a > 22.0:
        return 4.0 / (e + 1.0)  # (exp(2a) + 1)^2 ~ exp(4a) to the last bit
    d = e + 2.0
    return 4.0 * (e + 1.0) / (d * d)


@numba.njit(cache=True)
def _map(x, code):
    out = np.empty_like(x)
    for i in range(x.shape[0]):
        out[i] = tanh_at(x[i]) if code == 0 else sech2_at(x[i])
    return out


def tanh(x) -> np.ndarray:
    """Elementwise :func:`tanh_at` of an array (float64).

    >>> tanh([0.0, 0.5, -30.0]).tolist()
    [0.0, 0.46211715726000974, -1.0]
    """
    x = np.asarray(x, dtype=np.float64)
    return _map(np.ascontiguousarray(x).ravel(), 0).reshape(x.shape)


def sech2(x) -> np.ndarray:
    """Elementwise :func:`sech2_at` of an array (float64), ``1 - tanh(x)^2`` without its
    cancellation.

    >>> sech2([0.0]).tolist()
    [1.0]
    """
    x = np.asarray(x, dtype=np.float64)
    return _map(np.ascontiguousarray(x).ravel(), 1).reshape(x.shape)


@numba.njit(cache=True)
def _affine(A, B, bias, with_bias):
    """``A @ B (+ bias)``: each output summed over ``f`` in order from 0.0, then the bias.
    The loop over outputs is innermost (vectorizable without reordering any sum)."""
    m, n = A.shape
    k = B.shape[1]
    Z = np.zeros((m, k))
    for i in range(m):
        for f in range(n):
            a = A[i, f]
            for j in range(k):
                Z[i, j] += a * B[f, j]
        if with_bias:
            for j in range(k):
                Z[i, j] += bias[j]
    return Z


@numba.njit(cache=True)
def _affine_tn(A, B):
    """``A.T @ B``: each output summed over the rows ``i`` of A and B in order from 0.0."""
    m, n = A.shape
    k = B.shape[1]
    G = np.zeros((n, k))
    for i in range(m):
        for f in range(n):
            a = A[i, f]
            for j in range(k):
                G[f, j] += a * B[i, j]
    return G


def _f64(A) -> np.ndarray:
    return np.ascontiguousarray(A, dtype=np.float64)


def matmul(A, B) -> np.ndarray:
    """``A @ B`` (2-D), every entry summed in index order: the same bits on every machine.

    >>> matmul(np.array([[1.0, 2.0]]), np.array([[3.0], [4.0]])).tolist()
    [[11.0]]
    """
    B = _f64(B)
    return _affine(_f64(A), B, B[0], False)


def matmul_tn(A, B) -> np.ndarray:
    """``A.T @ B`` (2-D), every entry summed over the rows in order.

    >>> matmul_tn(np.array([[1.0], [2.0]]), np.array([[3.0], [4.0]])).tolist()
    [[11.0]]
    """
    return _affine_tn(_f64(A), _f64(B))


def preactivations(H, W) -> np.ndarray:
    """``H @ W[:-1] + W[-1]`` summed like :class:`~hardtarget.network.Network`'s forward pass
    (features in order, then the bias), so the result equals the network's bit for bit.

    >>> preactivations(np.array([[1.0, -1.0]]), np.array([[2.0], [1.0], [0.5]])).tolist()
    [[1.5]]
    """
    W = _f64(W)
    return _affine(_f64(H), W[:-1], W[-1], True)
