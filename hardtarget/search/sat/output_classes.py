"""The Boolean functions an output unit can compute from ``w`` hidden bits, up to symmetry.

An output unit over hidden bits ``b in {0, 1}^w`` (1: the unit outputs +1) computes a
threshold function ``[u . b >= theta]``.  Negating hidden unit ``j`` (``b_j -> 1 - b_j``,
itself a threshold function of the inputs) flips the sign of ``u_j``, and permuting the
hidden units permutes ``u``; so up to those two symmetries of the hidden layer the output
computes a *positive* threshold function (``u >= 0``) with non-decreasing weights.
:func:`output_classes` lists one per class of positive threshold functions under
permutations of the bits, each with integer weights that realize it exactly.

Completeness is checked by counting: a threshold function determines the sign of each
weight it depends on, so every threshold function of ``w`` variables is one positive
function with some of its essential inputs negated, in exactly one way.  Hence
``sum over classes of |permutation orbit| * 2^(essential inputs)`` must equal the number
of threshold functions of ``w`` variables (OEIS A000609: 2, 4, 14, 104, 1882, 94572,
15028134); :func:`threshold_function_count` gives that sum and the tests compare it.
"""

from __future__ import annotations

import functools
import itertools
from dataclasses import dataclass

import numpy as np

from ...errors import HardTargetError

__all__ = ["OutputClass", "output_classes", "threshold_function_count", "MAX_OUTPUT_WIDTH"]

# the largest integer weight a threshold function of w variables needs (Muroga's tables);
# the count check above confirms that the enumeration below is complete
_MAX_WEIGHT = {1: 1, 2: 1, 3: 2, 4: 3, 5: 5, 6: 9}
MAX_OUTPUT_WIDTH = max(_MAX_WEIGHT)


@dataclass(frozen=True)
class OutputClass:
    """A positive threshold function ``g(b) = [weights . b >= threshold]`` of ``w`` bits.

    ``table[k]`` is ``g`` of the code ``codes(w)[k]`` (bit 0 most significant); ``dual``
    is the index (in :func:`output_classes`) of the class of ``g^d(b) = 1 - g(1 - b)``.
    """

    weights: tuple[int, ...]
    threshold: int
    table: tuple[int, ...]
    dual: int

    def essential(self) -> int:
        """How many bits ``g`` depends on."""
        T = np.array(self.table).reshape((2,) * len(self.weights))
        return sum(
            not np.array_equal(np.take(T, 0, axis=j), np.take(T, 1, axis=j))
            for j in range(len(self.weights))
        )


def codes(width: int) -> np.ndarray:
    """Every code of ``width`` bits, (2^width, width), bit 0 most significant."""
    return np.array(list(itertools.product((0, 1), repeat=width)), dtype=np.int64)


def _permuted_indices(width: int) -> np.ndarray:
    """(width!, 2^width): row p maps code index k to the index of the code with its bits
    permuted by p."""
    C = codes(width)
    place = 1 << np.arange(width - 1, -1, -1)
    return np.array(
        [C[:, list(p)] @ place for p in itertools.permutations(range(width))], dtype=np.int64
    )


def _pack(tables: np.ndarray) -> np.ndarray:
    """Truth tables (..., 2^w) of bits as integers (w <= 6 fits 64 bits)."""
    place = np.left_shift(np.uint64(1), np.arange(tables.shape[-1] - 1, -1, -1, dtype=np.uint64))
    return (tables.astype(np.uint64) * place).sum(axis=-1, dtype=np.uint64)


@functools.cache
def output_classes(width: int) -> tuple[OutputClass, ...]:
    """The positive threshold functions of ``width`` bits, one per permutation class.

    Parameters
    ----------
    width : int
        Hidden units feeding the output, 1 to ``MAX_OUTPUT_WIDTH`` (6).

    Returns
    -------
    tuple of OutputClass
        Sorted by truth table; constants and functions of fewer bits included.

    Examples
    --------
    >>> [(c.weights, c.threshold) for c in output_classes(2)]
    [((0, 0), 1), ((1, 1), 2), ((0, 1), 1), ((1, 1), 1), ((0, 0), 0)]
    """
    if width not in _MAX_WEIGHT:
        raise HardTargetError(
            f"the output split lists output functions of 1 to {MAX_OUTPUT_WIDTH} hidden units, "
            f"not {width}; use strategy 'sat-lp' for wider layers"
        )
    C = codes(width)
    weights = np.array(
        list(itertools.combinations_with_replacement(range(_MAX_WEIGHT[width] + 1), width))
    )
    thetas = np.arange(int(weights.sum(axis=1).max()) + 2)
    packed = _pack((weights @ C.T)[:, None, :] >= thetas[None, :, None])  # (weights, thetas)
    # the simplest realization of each table first: smallest weight sum, then threshold
    cost = weights.sum(axis=1)[:, None] * len(thetas) + thetas[None, :]
    order = np.argsort(cost, axis=None, kind="stable")
    tables, first = np.unique(packed.ravel()[order], return_index=True)
    real = np.unravel_index(order[first], packed.shape)
    perms = _permuted_indices(width)
    bits = ((tables[:, None] >> np.arange(len(C) - 1, -1, -1, dtype=np.uint64)) & 1).astype(
        np.int64
    )
    canon = np.concatenate(
        [_pack(bits[k : k + 512][:, perms]).min(axis=1) for k in range(0, len(bits), 512)]
    )
    best: dict[int, tuple[tuple[int, ...], int, np.ndarray]] = {}
    for k in np.argsort(cost[real], kind="stable"):  # simplest realization per class
        key = int(canon[k])
        if key not in best:
            v = weights[real[0][k]]
            best[key] = (tuple(int(x) for x in v), int(thetas[real[1][k]]), bits[k])
    keys = sorted(best)
    flip = np.arange(len(C))[::-1]  # the index of the complemented code
    out = []
    for key in keys:
        v, theta, table = best[key]
        dual_key = int(_pack((1 - table[flip])[perms]).min())
        out.append(OutputClass(v, theta, tuple(int(x) for x in table), keys.index(dual_key)))
    return tuple(out)


def threshold_function_count(width: int) -> int:
    """The number of threshold functions of ``width`` variables the classes account for
    (see the module docstring); equal to OEIS A000609 exactly when the list is complete."""
    perms = _permuted_indices(width)
    total = 0
    for c in output_classes(width):
        orbit = len(set(_pack(np.array(c.table)[perms]).tolist()))
        total += orbit * 2 ** c.essential()
    return total
