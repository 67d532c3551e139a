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
    "column_norms",
    "column_sums",
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
# 1/n! for n = 2 .. 13: exp(r) - 1 = r + r^2/2! + ... + r^13/13! on |r| <= ln2/2 (the next
# term is below 2^-55 of the sum)
_C2, _C3, _C4, _C5, _C6, _C7, _C8, _C9, _C10, _C11, _C12, _C13 = (
    1.0 / math.factorial(n) for n in range(2, 14)
)


@numba.njit(cache=True, inline="always")
def expm1_pos(y):
    """``exp(y) - 1`` for ``0 <= y <= 709``, with basic operations only (a few ulps).

    No branch: a loop over these vectorizes, each lane doing the same operations."""
    k = int(y * _INV_LN2 + 0.5)
    r = (y - k * _LN2_HI) - k * _LN2_LO  # |r| <= ln2 / 2 (k * _LN2_HI is exact)
    p = _C13 * r + _C12  # Horner, one rounding per operation, in this order
    p = p * r + _C11
    p = p * r + _C10
    p = p * r + _C9
    p = p * r + _C8
    p = p * r + _C7
    p = p * r + _C6
    p = p * r + _C5
    p = p * r + _C4
    p = p * r + _C3
    p = p * r + _C2
    p = (p * r + 1.0) * r  # exp(r) - 1
    s = _POW2[k]
    return s * p + (s - 1.0)  # exactly p when k = 0


@numba.njit(cache=True, inline="always")
def tanh_at(x):
    """``tanh(x)`` of a float, the same bits on every machine (``e / (e + 2)`` with
    ``e = exp(2|x|) - 1``; from ``|x| = 22`` on that rounds to 1)."""
    e = expm1_pos(2.0 * min(abs(x), 22.0))
    t = e / (e + 2.0)
    return -t if x < 0 else t


@numba.njit(cache=True, inline="always")
def sech2_at(x):
    """``1 / cosh(x)^2`` (the derivative of ``tanh``), the same bits on every machine:
    ``4 (e + 1) / (e + 2)^2`` with ``e = exp(2|x|) - 1``, and ``4 / (e + 1)`` (to the last
    bit the same) from ``|x| = 22`` on, where the square would overflow."""
    a = min(abs(x), 354.0)  # from 354 on the value is below the smallest subnormal
    e = expm1_pos(2.0 * a)
    d = e + 2.0
    big = 4.0 / (e + 1.0)
    small = 4.0 * (e + 1.0) / (d * d)
    out = big if a > 22.0 else small
    return 0.0 if a >= 354.0 else out


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


def column_sums(A) -> np.ndarray:
    """``A.sum(axis=0)`` (2-D), each column summed over the rows in order.

    >>> column_sums(np.array([[1.0, 2.0], [3.0, 4.0]])).tolist()
    [4.0, 6.0]
    """
    A = _f64(A)
    return _affine_tn(np.ones((A.shape[0], 1)), A)[0]


def column_norms(A) -> np.ndarray:
    """Euclidean norm of each column of ``A`` (2-D), summed over the rows in order.

    >>> column_norms(np.array([[3.0], [4.0]])).tolist()
    [5.0]
    """
    A = _f64(A)
    return np.sqrt(column_sums(A * A))


def preactivations(H, W) -> np.ndarray:
    """``H @ W[:-1] + W[-1]``, features summed in order, then the bias: the pre-activations
    of :class:`~hardtarget.network.Network`'s forward pass (it calls this), so every user
    of a layer's pre-activations gets the network's bits.

    >>> preactivations(np.array([[1.0, -1.0]]), np.array([[2.0], [1.0], [0.5]])).tolist()
    [[1.5]]
    """
    W = _f64(W)
    return _affine(_f64(H), W[:-1], W[-1], True)
