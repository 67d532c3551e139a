"""Dot products written as LLVM vector code (numba does not vectorize them itself).

:func:`lane_dots`: lane ``l`` of a sum over ``j < k4`` (``k4`` a multiple of 4) holds the
products with ``j = l mod 4``, added in order of ``j``: exactly the four partial sums of
the finite Newton kernel's fixed summation order (:func:`~._newton._gram`).
:func:`block_dots`: each lane is one unit's whole sum over the features, in order, for
the lock-step perceptron (:func:`~._kernels._zblock`).  Vector ``fmul`` and ``fadd``
without fast-math flags are lane-wise IEEE operations, so the bits are those of the
scalar loop on every CPU (LLVM splits the vectors for narrower registers; it may not
reassociate or fuse them).
"""

from __future__ import annotations

from typing import Any

from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

_LANES = 4
_ROWS = 4  # rows q .. q + 3 per call: four independent accumulators hide the add latency


def _lane_dots(typingctx, YT, p, q, k4):
    """16 floats: ``[4 * r + l]`` is lane ``l`` of ``sum_j YT[p, j] * YT[q + r, j]``, j < k4.

    ``YT`` is a C-contiguous float64 matrix with rows ``q .. q + 3`` and ``k4`` columns
    present (the caller pads it); ``k4`` is a multiple of 4.
    """
    ret = types.UniTuple(types.float64, _LANES * _ROWS)
    sig = ret(YT, p, q, k4)

    def codegen(context, builder, signature, args):
        arr = context.make_array(signature.args[0])(context, builder, args[0])
        i64 = ir.IntType(64)
        vec = ir.VectorType(ir.DoubleType(), _LANES)
        stride = builder.extract_value(arr.strides, 0)
        base = builder.ptrtoint(arr.data, i64)

        def row(r):
            return builder.add(base, builder.mul(r, stride))

        xrow = row(args[1])
        yrows = [row(builder.add(args[2], ir.Constant(i64, r))) for r in range(_ROWS)]
        accs = [cgutils.alloca_once_value(builder, ir.Constant(vec, [0.0] * _LANES)) for _ in yrows]
        blocks = builder.udiv(args[3], ir.Constant(i64, _LANES))

        def load(row, off):  # four doubles from byte address row + off, unaligned
            return builder.load(builder.inttoptr(builder.add(row, off), vec.as_pointer()), align=8)

        with cgutils.for_range(builder, blocks) as loop:
            off = builder.mul(loop.index, ir.Constant(i64, 8 * _LANES))
            x = load(xrow, off)
            for acc, yrow in zip(accs, yrows):
                builder.store(
                    builder.fadd(builder.load(acc), builder.fmul(x, load(yrow, off))), acc
                )
        lanes = []
        for acc in accs:
            v = builder.load(acc)
            lanes += [builder.extract_element(v, ir.Constant(ir.IntType(32), k)) for k in range(4)]
        return context.make_tuple(builder, ret, lanes)

    return sig, codegen


# called from jitted code as lane_dots(YT, p, q, k4); numba passes the typing context itself
lane_dots: Any = intrinsic(_lane_dots)


_SAMPLES = 4  # rows of A per call of block_dots
_UNITS = 16  # columns of W per call of block_dots: four vectors of four lanes


def _block_dots(typingctx, A, i, W, q, Z):
    """``Z[r, q + u] = sum_f A[i + r, f] * W[f, q + u]`` for ``r < 4``, ``u < 16``, each
    summed from 0.0 in feature order (lane ``u % 4`` of vector ``u // 4`` of row ``r``'s
    accumulators is that scalar sum), so every entry has the bits of the plain loop.

    One sweep of ``W``'s block serves four rows of ``A``: the lock-step perceptron's pocket
    pass reads its weights a quarter as often.  ``A``, ``W`` and ``Z`` are C-contiguous
    float64 matrices with rows ``i .. i + 3`` of ``A``, columns ``q .. q + 15`` of ``W``
    and ``Z`` present (``Z`` has four rows).
    """
    if not all(isinstance(x, types.Array) and x.layout == "C" for x in (A, W, Z)):
        return None  # (a typing error: the pointer arithmetic below assumes C order)
    sig = types.none(A, i, W, q, Z)

    def codegen(context, builder, signature, args):
        a_arr = context.make_array(signature.args[0])(context, builder, args[0])
        w_arr = context.make_array(signature.args[2])(context, builder, args[2])
        z_arr = context.make_array(signature.args[4])(context, builder, args[4])
        i64 = ir.IntType(64)
        dbl = ir.DoubleType()
        vec = ir.VectorType(dbl, _LANES)
        eight = ir.Constant(i64, 8)
        n = builder.extract_value(a_arr.shape, 1)
        a_stride = builder.extract_value(a_arr.strides, 0)
        a_base = builder.add(builder.ptrtoint(a_arr.data, i64), builder.mul(args[1], a_stride))
        a_rows = [
            builder.add(a_base, builder.mul(ir.Constant(i64, r), a_stride)) for r in range(_SAMPLES)
        ]
        q_off = builder.mul(args[3], eight)
        w_base = builder.add(builder.ptrtoint(w_arr.data, i64), q_off)
        w_stride = builder.extract_value(w_arr.strides, 0)
        nvec = _UNITS // _LANES
        zero = ir.Constant(vec, [0.0] * _LANES)
        accs = [[cgutils.alloca_once_value(builder, zero) for _ in range(nvec)] for _ in a_rows]

        def vptr(addr):
            return builder.inttoptr(addr, vec.as_pointer())

        with cgutils.for_range(builder, n) as loop:
            f_off = builder.mul(loop.index, eight)
            row = builder.add(w_base, builder.mul(loop.index, w_stride))
            ws = [
                builder.load(vptr(builder.add(row, ir.Constant(i64, 8 * _LANES * v))), align=8)
                for v in range(nvec)
            ]
            for a_row, acc_row in zip(a_rows, accs):
                a = builder.load(builder.inttoptr(builder.add(a_row, f_off), dbl.as_pointer()))
                av = ir.Constant(vec, ir.Undefined)
                for k in range(_LANES):
                    av = builder.insert_element(av, a, ir.Constant(ir.IntType(32), k))
                for w, acc in zip(ws, acc_row):
                    builder.store(builder.fadd(builder.load(acc), builder.fmul(av, w)), acc)
        z_stride = builder.extract_value(z_arr.strides, 0)
        z_base = builder.add(builder.ptrtoint(z_arr.data, i64), q_off)
        for r, acc_row in enumerate(accs):
            z_row = builder.add(z_base, builder.mul(ir.Constant(i64, r), z_stride))
            for v, acc in enumerate(acc_row):
                addr = builder.add(z_row, ir.Constant(i64, 8 * _LANES * v))
                builder.store(builder.load(acc), vptr(addr), align=8)
        return context.get_dummy_value()

    return sig, codegen


# called from jitted code as block_dots(A, i, W, q, Z)
block_dots: Any = intrinsic(_block_dots)
