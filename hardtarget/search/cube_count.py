"""Count the threshold functions of n inputs (the separable dichotomies of the n-cube)
by the cube's symmetry, without visiting every one.

The labelings of the cube ``{-1, 1}^n`` that a unit ``sign(w.x + b)`` realizes are the
regions of the arrangement ``A`` of the hyperplanes ``x.w + b = 0`` in ``(w, b)``-space.
The hyperoctahedral group ``B_n`` (signed permutations of the inputs, order ``2^n n!``)
permutes those hyperplanes.  Its reflection arrangement ``W`` (``w_i = +-w_j``, ``w_i = 0``)
cuts space into chambers that ``B_n`` permutes freely; one chamber is
``C = {w_1 > w_2 > ... > w_n > 0}``, and its closure has one face ``F_S`` per set ``S`` of
its walls ``a_i.w = 0`` (``a_i = e_i - e_{i+1}``, ``a_n = e_n``) made equalities.

Every region ``R`` of ``A`` is an open cell of dimension ``n + 1``; ``W`` cuts it into
relatively open cells, and since the compactly supported Euler characteristic of an open
``d``-cell is ``(-1)^d`` and adds over a partition, ``sum (-1)^codim = 1`` over those cells.
Summed over all regions, and grouped by ``B_n``-orbits (each orbit of cells meets the
closed chamber once, in the relative interior of one ``F_S``, with stabilizer the
parabolic subgroup ``P_S`` that fixes ``F_S`` pointwise)::

    #regions(A) = sum_S (-1)^|S| * |B_n| / |P_S| * N_S

where ``N_S`` counts the regions of ``A`` restricted to the span of ``F_S`` that lie
inside ``F_S`` (all remaining walls positive).  On that span ``w`` is constant on blocks of
consecutive inputs (zero on the last block when ``a_n`` is in ``S``), so the restricted
hyperplanes have exact integer normals (the block sums of ``x``, and 1).

``N_S`` is counted by deletion-restriction inside a cone: with the walls (required
positive) put first, inserting an unrequired hyperplane ``H`` adds the regions of the
restriction to ``H`` that lie inside the cone; a restriction whose cone is empty adds
nothing, which prunes almost all of the work.
"""

from __future__ import annotations

import itertools
from math import factorial

import numpy as np

from ..errors import HardTargetError

_BIG = 2**30  # integer normals stay below this (products then fit in int64)

__all__ = ["cube_count", "is_cube"]


def is_cube(U: np.ndarray) -> bool:
    """Whether the distinct rows ``U`` (m x n) are all ``2^n`` corners of a box: every
    column takes exactly two values and every combination occurs.  A separate affine map
    per coordinate sends such a set to ``{-1, 1}^n`` and keeps its separable dichotomies."""
    m, n = U.shape
    if n == 0 or n > 30 or m != 2**n:
        return False
    return all(len(np.unique(U[:, j])) == 2 for j in range(n))


def _rank(V: np.ndarray) -> int:
    """Exact rank of a small integer matrix (fraction-free elimination in Python ints)."""
    M = [[int(a) for a in row] for row in V]
    rank, cols = 0, len(M[0]) if M else 0
    for c in range(cols):
        piv = next((i for i in range(rank, len(M)) if M[i][c]), None)
        if piv is None:
            continue
        M[rank], M[piv] = M[piv], M[rank]
        p = M[rank]
        for i in range(rank + 1, len(M)):
            if M[i][c]:
                M[i] = [p[c] * a - M[i][c] * b for a, b in zip(M[i], p)]
        rank += 1
    return rank


def _primitive(V: np.ndarray) -> np.ndarray:
    """Each nonzero integer row divided by the gcd of its entries."""
    if np.abs(V).max(initial=0) >= _BIG:
        raise HardTargetError("the cube count's integer normals grew too large")
    g = np.gcd.reduce(V, axis=1)
    return V // np.maximum(g, 1)[:, None]


def _lines(V: np.ndarray) -> tuple:
    """(one primitive row per line R, line index g, orientation o) with ``V = o * R[g]``
    up to a positive factor; exact."""
    V = _primitive(V)
    lead = V[np.arange(len(V)), np.argmax(V != 0, axis=1)]
    o = np.where(lead > 0, 1, -1).astype(np.int8)
    R, g = np.unique(V * o[:, None], axis=0, return_inverse=True)
    return R, g.ravel(), o


def _restrict(U: np.ndarray, v: np.ndarray) -> np.ndarray:
    """The rows ``U`` as functionals on the hyperplane ``v.w = 0``, in the coordinates
    left after eliminating one with ``v_p != 0`` (a positive multiple of each, exactly)."""
    nz = np.flatnonzero(v)
    p = nz[np.argmin(np.abs(v[nz]))]
    W = abs(int(v[p])) * U - (1 if v[p] > 0 else -1) * U[:, p : p + 1] * v[None, :]
    return np.delete(W, p, axis=1)


def _open(Q: np.ndarray) -> bool:
    """Whether ``{w : Q w > 0}`` is nonempty, by Fourier-Motzkin elimination on the
    integer rows (exact: strict inequalities combined with positive factors stay strict)."""
    while len(Q):
        if not Q.any(axis=1).all():
            return False  # 0 > 0
        pos, neg = (Q > 0).sum(axis=0), (Q < 0).sum(axis=0)
        c = int(np.argmin(pos * neg - pos - neg))
        col = Q[:, c]
        P, N, Z = Q[col > 0], Q[col < 0], Q[col == 0]
        if len(P) and len(N):
            pairs = P[:, None, :] * (-N[None, :, c, None]) + N[None, :, :] * P[:, None, c, None]
            Z = np.concatenate([Z, pairs.reshape(-1, Q.shape[1])])
        Q = np.delete(Z, c, axis=1)
        if len(Q):
            Q = np.unique(_primitive(Q), axis=0) if Q.any() else Q
    return True


def _cone_count(V: np.ndarray, req: np.ndarray, guard) -> int:
    """The number of topes of the integer rows ``V`` whose sign is + on every row in
    ``req`` (the regions of the arrangement inside the open cone ``{V[req] w > 0}``)."""
    k, r = V.shape
    if k == 0:
        return 1
    if not V.any(axis=1).all():  # a row that vanishes has no open side
        return 0
    R, g, o = _lines(V)
    need = np.zeros(len(R), dtype=np.int8)  # the sign each line must take (0: free)
    for i in np.flatnonzero(req):
        if need[g[i]] == -o[i]:
            return 0  # two required rows point opposite ways
        need[g[i]] = o[i]
    held = need != 0
    R = R * np.where(need < 0, -1, 1)[:, None]  # every required line now wants +
    Rq, Rf = R[held], R[~held]
    if len(Rq) and not _open(Rq):
        return 0
    if len(Rf) == 0:
        return 1
    if len(R) <= r and _rank(R) == len(R):  # independent: every sign pattern
        return 2 ** len(Rf)
    V = np.concatenate([Rq, Rf])
    req = np.arange(len(V)) < len(Rq)
    c = 1  # the cone itself, before any unrequired hyperplane
    for j in range(len(Rq), len(V)):
        guard(0)
        c += _cone_count(_restrict(V[:j], V[j]), req[:j], guard)
    return c


def _face(n: int, S: tuple) -> tuple:
    """(rows, required, |P_S|) for the face of the chamber where the walls in ``S`` hold:
    the distinct restricted cube hyperplanes and the remaining walls, in block
    coordinates (one per nonzero block, then the bias)."""
    block = np.concatenate([[0], np.cumsum([i not in S for i in range(n - 1)])]).astype(int)
    nb = int(block[-1]) + 1
    zero = (n - 1) in S  # the last block is w = 0
    sizes = np.bincount(block, minlength=nb)
    stab = 1
    for b, m in enumerate(sizes):
        stab *= factorial(int(m)) * (2 ** int(m) if zero and b == nb - 1 else 1)
    free = nb - 1 if zero else nb
    sums = [range(-int(m), int(m) + 1, 2) for m in sizes[:free]]
    rows = np.array([[*s, 1] for s in itertools.product(*sums)], dtype=np.int64)
    walls = []
    for i in range(n):
        if i in S:
            continue
        a = np.zeros(free + 1, dtype=np.int64)
        a[block[i]] = 1
        if i < n - 1 and block[i + 1] < free:
            a[block[i + 1]] = -1
        walls.append(a)
    V = np.concatenate([np.array(walls, dtype=np.int64).reshape(-1, free + 1), rows])
    req = np.arange(len(V)) < len(walls)
    return V, req, stab


def cube_count(n: int, guard) -> int:
    """The number of threshold functions of ``n`` inputs (separable dichotomies of the
    n-cube, OEIS A000609), by the orbit formula in this module's docstring.

    Parameters
    ----------
    n : number of inputs (at least 1).
    guard : called with 0 between steps (raises to stop the count).

    Returns
    -------
    int : 4, 14, 104, 1882, 94572, 15028134 for n = 1 .. 6.
    """
    order = 2**n * factorial(n)
    total = 0
    for size in range(n + 1):
        for S in itertools.combinations(range(n), size):
            V, req, stab = _face(n, S)
            total += (-1) ** size * (order // stab) * _cone_count(V, req, guard)
    return total
