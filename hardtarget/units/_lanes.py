"""Four-lane dot products written as LLVM vector code (numba does not vectorize them itself).

Lane ``l`` of a sum over ``j < k4`` (``k4`` a multiple of 4) holds the products with
``j = l mod 4``, added in order of ``j``: exactly the four partial sums of the finite
Newton kernel's fixed summation order (:func:`~._newton._gram`).  Vector ``fmul`` and
``fadd`` without fast-math flags are lane-wise IEEE operations, so the bits are those of
the scalar loop on every CPU (LLVM splits the vectors for narrower registers; it may not
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
