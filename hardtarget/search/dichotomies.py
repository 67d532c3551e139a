"""Enumerate the dichotomies of a point set that one threshold unit realizes.

A unit ``sign(w.x + b)`` (``sign(0) = -1``) realizes a labeling ``t`` of the rows of
``X`` iff ``t`` is *strictly* separable.  In the space of ``w~ = (w, b)`` each point
``x~_i = [x_i, 1]`` is a hyperplane through the origin; the realizable labelings are
the sign vectors of the open cells (the *topes*) of that central arrangement.

The topes are built point by point with the deletion-restriction recursion: a tope of
the first ``j`` points has two extensions when the new hyperplane cuts its cell and one
otherwise, and the cut cells are exactly the topes of the first ``j`` points projected
onto the new hyperplane, a problem one dimension smaller.  Rows that become parallel
are merged first (they are one hyperplane), and two dimensions are solved in closed
form by sorting angles.  No LP is solved: the work is proportional to the output
times the dimension, and every tope carries a witness ``w~`` that is checked against
the data at the end.
"""

from __future__ import annotations

import itertools
import logging
from fractions import Fraction
from math import comb

import numpy as np

from .._numeric import matmul
from ..budget import Budget, legacy_stop
from ..errors import HardTargetError
from ..problem import check_inputs
from ..units import solve_unit
from .cube_count import cube_count, is_cube

__all__ = ["cover_count", "distinct_rows", "separable_dichotomies"]

log = logging.getLogger("hardtarget.search")

LIST_LIMIT = 10_000_000  # labelings listed at most by default (about 1 GB for 64 points)
_ZERO = 1e-9  # a unit row whose projection is shorter than this lies on the hyperplane


def cover_count(m: int, d: int) -> int:
    """Cover's count ``2 * sum_{k<=d} C(m-1, k)``: the dichotomies that a unit with a bias
    realizes on m points in general position in ``R^d`` (hyperplanes through the origin
    in ``R^(d+1)``); an upper bound for any m points in ``R^d``."""
    return 2 * sum(comb(m - 1, k) for k in range(min(d, m - 1) + 1)) if m > 0 else 1


def distinct_rows(H: np.ndarray) -> tuple:
    """(distinct rows U, inverse index so that ``U[inverse] == H``)."""
    U, inv = np.unique(H, axis=0, return_inverse=True)
    return U, inv.ravel()


def _keys(T: np.ndarray) -> np.ndarray:
    """One comparable key per row of a ±1 matrix."""
    bits = np.packbits(T > 0, axis=1)
    return np.ascontiguousarray(bits).view(np.dtype((np.void, bits.shape[1]))).ravel()


def _rows_in(T: np.ndarray, C: np.ndarray) -> np.ndarray:
    """Index into T of every row of C (each row of C is a row of T)."""
    if T.shape[1] == 0:
        return np.zeros(len(C), dtype=np.intp)
    kt, kc = _keys(T), _keys(C)
    order = np.argsort(kt, kind="stable")
    return order[np.searchsorted(kt[order], kc)]


def _merge_parallel(V: np.ndarray) -> tuple:
    """Unit rows -> (one row per line R, line index g, orientation o) with ``V ~ o * R[g]``;
    rows whose difference (up to sign) is shorter than ``_ZERO`` are one line."""
    G = matmul(V, V.T)
    i, j = np.nonzero(np.abs(G) > 0.5)  # candidates; the residual decides
    sign = np.where(G[i, j] > 0, 1.0, -1.0)
    diff = V[i] - sign[:, None] * V[j]
    res = np.sqrt((diff * diff).sum(axis=1))
    near = np.zeros(G.shape, dtype=bool)
    near[i, j] = res <= _ZERO
    g = np.argmax(near, axis=1)  # the first row on the same line
    o = np.where(G[np.arange(len(V)), g] > 0, 1, -1).astype(np.int8)
    reps, g = np.unique(g, return_inverse=True)
    return V[reps], g.ravel(), o


def _complement(v: np.ndarray) -> np.ndarray:
    """Orthonormal basis (r x r-1 columns) of the hyperplane ``v.w = 0`` (Householder)."""
    u = v.copy()
    u[0] += 1.0 if v[0] >= 0 else -1.0
    H = np.eye(len(v)) - np.outer(u, u) * (2.0 / float(matmul(u[None, :], u[:, None])[0, 0]))
    return H[:, 1:]


def _planar(V: np.ndarray) -> tuple:
    """Topes of k pairwise non-parallel unit rows in the plane: one per arc between the
    2k directions where a row's sign changes."""
    beta = np.sort(np.mod(np.arctan2(V[:, 1], V[:, 0]) + np.pi / 2, np.pi))
    crit = np.concatenate([beta, beta + np.pi, beta[:1] + 2 * np.pi])
    phi = (crit[:-1] + crit[1:]) / 2
    W = np.column_stack([np.cos(phi), np.sin(phi)])
    return np.where(matmul(W, V.T) > 0, 1, -1).astype(np.int8), W


def _topes(V: np.ndarray, guard, merged: bool = False) -> tuple:
    """(T, W): every sign vector ``T`` (n x k, no zeros) of ``V w`` over ``w``, and a
    witness ``w`` (rows of W, unit length) for each.  ``merged``: no two rows are parallel."""
    k, r = V.shape
    if k == 0:
        return np.zeros((1, 0), np.int8), np.zeros((1, r))
    norms = np.sqrt((V * V).sum(axis=1))
    if norms.min() <= _ZERO:  # a row on the hyperplane: no cell has a sign there
        return np.zeros((0, k), np.int8), np.zeros((0, r))
    V = V / norms[:, None]
    if not merged:
        R, g, o = _merge_parallel(V)
        if len(R) < k:
            T, W = _topes(R, guard, True)
            return T[:, g] * o, W
    if k <= r and np.linalg.matrix_rank(V) == k:  # independent rows: every sign vector
        T = np.array(list(itertools.product((-1, 1), repeat=k)), dtype=np.int8)
        W = np.linalg.lstsq(V, T.T.astype(float), rcond=None)[0].T
        return T, W / np.sqrt((W * W).sum(axis=1))[:, None]
    if r == 2:
        return _planar(V)
    T, W = np.zeros((1, 0), np.int8), np.zeros((1, r))
    for j in range(k):
        guard(len(T))
        v, prev = V[j], V[:j]
        Q = _complement(v)
        C, U = _topes(matmul(prev, Q), guard)
        cut = _rows_in(T, C)
        rest = np.ones(len(T), dtype=bool)
        rest[cut] = False
        side = np.where(matmul(W[rest], v[:, None])[:, 0] > 0, 1, -1).astype(np.int8)
        U = matmul(U, Q.T)  # back in this level's coordinates, orthogonal to v
        along = np.abs(matmul(prev, v[:, None])).max() if j else 0.0
        eps = 0.5 * np.abs(matmul(U, prev.T)).min(axis=1) / along if along > 0 else np.ones(len(U))
        step = eps[:, None] * v
        Tc = T[cut]
        T = np.concatenate(
            [
                np.column_stack([T[rest], side]),
                np.column_stack([Tc, np.ones(len(Tc), np.int8)]),
                np.column_stack([Tc, -np.ones(len(Tc), np.int8)]),
            ]
        )
        W = np.concatenate([W[rest], U + step, U - step])
        W /= np.sqrt((W * W).sum(axis=1))[:, None]
    guard(len(T))
    return T, W


def _count(V: np.ndarray, guard, merged: bool = False) -> int:
    """The number of topes that :func:`_topes` finds, by the same recursion without the
    lists: with ``V_j`` the first j rows and ``V_j | v_j`` their restriction to the
    hyperplane of row j, ``c(V_{j+1}) = c(V_j) + c(V_j | v_j)`` (deletion-restriction)."""
    k, r = V.shape
    if k == 0:
        return 1
    norms = np.sqrt((V * V).sum(axis=1))
    if norms.min() <= _ZERO:
        return 0
    V = V / norms[:, None]
    if not merged:
        R, _, _ = _merge_parallel(V)
        if len(R) < k:
            return _count(R, guard, True)
    if k <= r and np.linalg.matrix_rank(V) == k:
        return 2**k
    if r == 2:
        return 2 * k
    if r == 3 and k * (k - 1) <= 4000:
        return _count3(V)
    c = 1
    for j in range(k):
        guard(0)
        c += _count(matmul(V[:j], _complement(V[j])), guard)
    return c


def _count3(V: np.ndarray) -> int:
    """:func:`_count` of k pairwise non-parallel unit rows in ``R^3`` in closed form: the
    recursion adds, for each row j, twice the number of distinct lines ``v_i x v_j``
    (i < j), so the count is ``2 + 2 * sum_L (m_L - 1)`` over the lines L where
    ``m_L >= 2`` of the planes meet (Zaslavsky's theorem for rank 3)."""
    i, j = np.triu_indices(len(V), 1)
    D = np.cross(V[i], V[j])
    D /= np.sqrt((D * D).sum(axis=1))[:, None]
    _, line, _ = _merge_parallel(D)
    pairs = np.bincount(line)  # m (m - 1) / 2 pairs of planes on a line of m planes
    m = np.rint((1 + np.sqrt(1 + 8 * pairs)) / 2).astype(np.int64)
    return 2 + 2 * int((m - 1).sum())


def _certified(A: np.ndarray, T: np.ndarray, W: np.ndarray) -> np.ndarray:
    """Rows whose witness separates exactly: ``t_i * (a_i . w) > 0`` beyond the rigorous
    floating-point error bound ``gamma_r |a|.|w|`` (Higham, Thm 3.1), or, inside it, in
    exact rational arithmetic."""
    r = A.shape[1]
    z = T * matmul(W, A.T)
    slack = (2.0 * r * np.finfo(float).eps) * matmul(np.abs(W), np.abs(A).T) + 1e-300
    ok = (z > slack).all(axis=1)
    for i in np.flatnonzero(~ok):
        w = [Fraction(float(c)) for c in W[i]]
        ok[i] = all(
            int(t) * sum(Fraction(float(a)) * c for a, c in zip(row, w)) > 0
            for t, row in zip(T[i], A)
        )
    return ok


def separable_dichotomies(
    X,
    count_only: bool = False,
    *,
    return_weights: bool = False,
    limit: float | None = None,
    stop=None,
    budget: Budget | None = None,
):
    """Every labeling of the rows of ``X`` that one threshold unit realizes.

    A labeling ``t`` (±1 per row) counts when some ``w, b`` give
    ``sign(X @ w + b) == t`` with ``sign(0) = -1``, i.e. when ``t`` is strictly
    separable; a labeling and its negation both count, and identical rows get
    identical labels.  The walk over the hyperplane arrangement solves no LP.

    Parameters
    ----------
    X : (m, n) array of points.
    count_only : return only the number of such labelings, counted by the same
        recursion without building them (memory: the recursion's depth, not the count).
    return_weights : also return, per labeling, weights ``(w, b)`` (bias last) that
        realize it (checked exactly against ``X``).
    limit : raise HardTargetError when more labelings than this exist (never a
        truncated answer).  Default: ``LIST_LIMIT`` (10,000,000) when listing, none
        when counting.
    stop : deprecated: a zero-argument callable, True to stop (use ``budget``).
    budget : :class:`~hardtarget.budget.Budget`, optional: checked as the walk goes; when
        it says stop, its StopRequested (BudgetExhausted, Interrupted) is raised.

    Returns
    -------
    labels : (k, m) int8 array of ±1 (or ``k`` when ``count_only``), and the (k, n + 1)
        weights when ``return_weights``.

    Notes
    -----
    Every returned labeling is proved by its weights; a count (``count_only``) is the
    size of the same list, but no labeling carries a witness.  When the distinct rows are
    the ``2^n`` corners of a box (the Boolean cube), the count is exact: it sums over
    the cube's symmetry classes in integer arithmetic (:mod:`.cube_count`; the 6-cube's
    15,028,134 in minutes).  Otherwise completeness rests on floating
    point: hyperplanes ``[x_i, 1]`` whose directions (after the projections) differ by
    less than about 1e-9 are taken as one, which is exact for integer or well-separated
    data and can drop labelings of points that are nearly, but not exactly, degenerate.

    Examples
    --------
    >>> import itertools, numpy as np
    >>> cube = np.array(list(itertools.product((-1, 1), repeat=3)))
    >>> separable_dichotomies(cube, count_only=True)
    104
    """
    budget = legacy_stop(stop, "separable_dichotomies") or budget
    X = check_inputs(X, "X")
    U, inv = distinct_rows(X)
    A = np.column_stack([U, np.ones(len(U))])
    if limit is None:
        limit = float("inf") if count_only else LIST_LIMIT

    def guard(n: int) -> None:
        if n > limit:
            raise HardTargetError(
                f"more than {limit} separable dichotomies of {len(U)} distinct "
                "points; too many to enumerate: raise limit= or use fewer points"
            )
        if budget is not None:
            budget.check()

    if count_only:
        if is_cube(U):  # the corners of a box: counted by its symmetry, exactly
            n = cube_count(U.shape[1], guard)
            guard(n)
            return n
        n = _count(A, guard, True)  # distinct rows [x, 1] are never parallel
        guard(n)
        return n
    T, W = _topes(A, guard, True)
    ok = _certified(A, T, W)
    for i in np.flatnonzero(~ok):  # float trouble in a witness: the exact LP decides
        res = solve_unit(A[:, :-1], T[i], solver="lp")
        if res.separable:
            W[i], ok[i] = res.weights / np.sqrt((res.weights * res.weights).sum()), True
        else:
            log.warning("dropped a labeling whose witness failed and the LP refuted")
    T, W = T[ok], W[ok]
    labels = np.ascontiguousarray(T[:, inv])
    return (labels, W) if return_weights else labels
