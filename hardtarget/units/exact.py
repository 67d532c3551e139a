"""Exact checks of the two proofs a unit solver returns.

A float is an exact rational, so both proofs are statements about rationals:

* separating weights ``w``: ``t_i (w . x_i + b) > 0`` for every sample;
* a Farkas (Gordan) certificate ``lambda``: ``lambda >= 0``, ``lambda != 0`` and
  ``sum_i lambda_i t_i [x_i, 1] = 0``.

Each check runs a cheap floating-point pass first whose rounding error is bounded
rigorously (Higham's ``gamma_n`` bound for a dot product, underflow included), so
it decides exactly whenever the bound decides; the rest goes to exact integer
arithmetic (numba ``int64`` with an overflow guard, else Python integers).  A float
certificate rarely sums to exactly zero, so the certificate check asks whether an
exact one exists on its support: it re-solves ``sum_i lambda_i t_i [x_i, 1] = 0``
there exactly, taking the float ``lambda`` for the free coordinates.
"""

from __future__ import annotations

from fractions import Fraction

import numba
import numpy as np

__all__ = ["certificate_holds", "separates_exactly", "tz_undecided"]

_U = 2.0**-53  # unit roundoff of float64
_ETA = 2.0**-1074  # smallest subnormal: the absolute error of an underflowing product


@numba.njit(cache=True)
def tz_undecided(A, t, s, w):
    """Rows (s > 0) where the float ``t*z`` in network order does not decide the exact sign.

    Returns ``(ok, rows, min t*z)``: ``ok`` is False when some float ``t*z <= 0`` (then
    ``w`` is no proof in the network's own forward pass either); ``rows`` lists the
    samples whose float margin is within the rounding bound of zero (their exact sign is
    unknown); the float minimum is meaningful when ``ok``.
    """
    m, n = A.shape
    c = 2.0 * (n + 3) * _U
    tiny = 4.0 * (n + 2) * _ETA
    rows = np.empty(m, dtype=np.int64)
    if w.shape[0] != n + 1:
        return False, rows[:0], 0.0
    for f in range(n + 1):
        if not np.isfinite(w[f]):
            return False, rows[:0], 0.0
    k = 0
    mn = np.inf
    for i in range(m):
        if s[i] <= 0:
            continue
        z = 0.0
        mag = 0.0
        for f in range(n):
            p = A[i, f] * w[f]
            z += p
            mag += abs(p)
        z += w[n]
        mag += abs(w[n])
        tz = t[i] * z
        if not tz > 0:
            return False, rows[:0], tz
        mn = min(mn, tz)
        if not (tz > c * mag + tiny and mag < np.inf):
            rows[k] = i
            k += 1
    return True, rows[:k], mn


def _exact_tz(x, t, w) -> Fraction:
    z = sum(
        (Fraction(a) * Fraction(b) for a, b in zip(x.tolist(), w[:-1].tolist())),
        Fraction(w[-1]),
    )
    return int(t) * z


def separates_exactly(A: np.ndarray, t: np.ndarray, s: np.ndarray, w: np.ndarray) -> bool:
    """True when ``w`` separates every sample with ``s > 0``, exactly and in float network order.

    Both must hold: the exact rational ``t_i z_i > 0`` (the proof) and the float
    ``t_i z_i > 0`` summed as :class:`~hardtarget.network.Network` sums it (so the
    network built from ``w`` reproduces its targets).
    """
    if type(w) is not np.ndarray or w.dtype != np.float64 or w.ndim != 1:
        w = np.ascontiguousarray(w, dtype=np.float64).ravel()
    ok, rows, _ = tz_undecided(A, t, s, w)
    return ok and (rows.shape[0] == 0 or all(_exact_tz(A[i], t[i], w) > 0 for i in rows))


# --------------------------------------------------------------------- certificates


@numba.njit(cache=True)
def _approximate_inverse(B):
    """Gauss-Jordan with partial pivoting; ``(False, _)`` on a zero pivot.  Any ``C`` will do:
    :func:`_verified_square` bounds how far it is from the inverse."""
    n = B.shape[0]
    W = B.copy()
    C = np.eye(n)
    for c in range(n):
        p = c
        for i in range(c + 1, n):
            if abs(W[i, c]) > abs(W[p, c]):
                p = i
        if W[p, c] == 0.0:
            return False, C
        for j in range(n):
            W[c, j], W[p, j] = W[p, j], W[c, j]
            C[c, j], C[p, j] = C[p, j], C[c, j]
        d = 1.0 / W[c, c]
        for j in range(n):
            W[c, j] *= d
            C[c, j] *= d
        for i in range(n):
            if i != c and W[i, c] != 0.0:
                a = W[i, c]
                for j in range(n):
                    W[i, j] -= a * W[c, j]
                    C[i, j] -= a * C[c, j]
    return True, C


@numba.njit(cache=True)
def _verified_square(M, f):
    """Signs of the exact ``mu`` with ``sum_{j != f} mu_j M[:, j] = -M[:, f]`` (square),
    proved in floats.

    Returns ``+1`` when the system is provably nonsingular and every ``mu_j > 0`` (then
    ``mu`` with ``mu_f = 1`` is an exact certificate), ``-1`` when it is nonsingular and
    some ``mu_j < 0`` (the null space of ``M`` is that one line: no certificate), ``0``
    when the bounds do not decide.  With ``C ~ B^-1``, ``G = C B - I`` and ``r = b - B x``:
    if ``||G|| <= rho < 1`` then ``|mu - x| <= ||C r|| / (1 - rho)`` (max-norms); every float
    sum below is off by at most ``c`` times the sum of its absolute terms, plus underflow.
    """
    n = M.shape[0]
    B = np.empty((n, n))
    b = np.empty(n)
    q = 0
    for j in range(n + 1):
        if j == f:
            for i in range(n):
                b[i] = -M[i, j]
        else:
            for i in range(n):
                B[i, q] = M[i, j]
            q += 1
    c = 2.0 * (n + 3) * _U
    tiny = 4.0 * (n + 2) * _ETA
    ok, C = _approximate_inverse(B)
    if not ok:
        return 0
    x = np.zeros(n)  # C @ b in index order (numba's @ is BLAS, whose order varies)
    for i in range(n):
        for k in range(n):
            x[i] += C[i, k] * b[k]
    if not np.all(np.isfinite(x)):
        return 0
    rho = 0.0
    for i in range(n):
        row = 0.0
        for j in range(n):
            g = 0.0
            mag = 0.0
            for k in range(n):
                p = C[i, k] * B[k, j]
                g += p
                mag += abs(p)
            if i == j:
                g -= 1.0
                mag += 1.0
            row += abs(g) + c * mag + tiny
        rho = max(rho, row)
    rho *= 1.0 + c
    if not rho < 1.0:
        return 0
    er = np.empty(n)
    for k in range(n):
        r = b[k]
        mag = abs(b[k])
        for j in range(n):
            p = B[k, j] * x[j]
            r -= p
            mag += abs(p)
        er[k] = abs(r) * (1.0 + c) + c * mag + tiny
    delta = 0.0
    for i in range(n):
        acc = 0.0
        for k in range(n):
            acc += abs(C[i, k]) * er[k]
        delta = max(delta, acc)
    delta = delta * (1.0 + c) / (1.0 - rho) * (1.0 + c) + tiny
    if not delta < np.inf:
        return 0
    pos = True
    neg = False
    for j in range(n):
        pos = pos and x[j] > delta
        neg = neg or x[j] < -delta
    return 1 if pos else (-1 if neg else 0)


@numba.njit(cache=True)
def _small_integers(Q, E):
    """Rows of ``Q * 2^E`` (integer mantissas and exponents) scaled by powers of two to int64.

    Returns ``(ok, N)``; ``ok`` is False when some row would need integers of 2^40
    or more (the exact check then uses Python integers).
    """
    r, k = Q.shape
    N = np.zeros((r, k), dtype=np.int64)
    mant = np.zeros(k, dtype=np.int64)
    expo = np.zeros(k, dtype=np.int64)
    for i in range(r):
        e_min = 1 << 20
        for j in range(k):
            q = Q[i, j]
            e = E[i, j]
            if q != 0:
                while q % 2 == 0:
                    q //= 2
                    e += 1
                e_min = min(e_min, e)
            mant[j] = q
            expo[j] = e
        for j in range(k):
            if mant[j] == 0:
                continue
            sh = expo[j] - e_min
            if sh > 40 or abs(mant[j]) >= (1 << 40) or abs(mant[j]) << sh >= (1 << 40):
                return False, N
            N[i, j] = mant[j] << sh
    return True, N


def _as_small_integers(M: np.ndarray):
    fr, ex = np.frexp(M)
    return _small_integers((fr * 2.0**53).astype(np.int64), ex.astype(np.int64) - 53)


_LIM = 2.0**62


@numba.njit(cache=True)
def _bareiss_int64(N):
    """Fraction-free Gauss-Jordan elimination of ``N`` in int64, guarded against overflow.

    Returns ``(ok, R, pivots, n_pivots)``: every pivot row of ``R`` holds the same value
    ``D`` (the last pivot) in its pivot column and zeros in the other pivot columns.
    ``ok`` is False if an intermediate product could leave int64.
    """
    R = N.copy()
    r, k = R.shape
    piv = np.full(r, -1, dtype=np.int64)
    prev = np.int64(1)
    row = 0
    for c in range(k):
        if row == r:
            break
        p = -1
        for i in range(row, r):
            if R[i, c] != 0:
                p = i
                break
        if p < 0:
            continue
        if p != row:
            for j in range(k):
                R[row, j], R[p, j] = R[p, j], R[row, j]
        pv = R[row, c]
        for i in range(r):
            if i == row:
                continue
            a = R[i, c]
            for j in range(k):
                x = R[i, j]
                y = R[row, j]
                if abs(float(pv)) * abs(float(x)) + abs(float(a)) * abs(float(y)) >= _LIM:
                    return False, R, piv, row
                R[i, j] = (pv * x - a * y) // prev
        prev = pv
        piv[row] = c
        row += 1
    return True, R, piv, row


def _bareiss_python(rows: list) -> tuple:
    """:func:`_bareiss_int64` with Python integers (no overflow); returns ``(R, pivots)``."""
    R = [list(r) for r in rows]
    n_rows, k = len(R), len(R[0])
    prev, row, piv = 1, 0, []
    for c in range(k):
        if row == n_rows:
            break
        p = next((i for i in range(row, n_rows) if R[i][c]), None)
        if p is None:
            continue
        R[row], R[p] = R[p], R[row]
        pr = R[row]
        pv = pr[c]
        for i in range(n_rows):
            if i != row:  # every row, also those with a zero here: each is rescaled by pv / prev
                a = R[i][c]
                R[i] = [(pv * x - a * y) // prev for x, y in zip(R[i], pr)]
        prev = pv
        piv.append(c)
        row += 1
    return R, piv


def _integer_rows(M: np.ndarray) -> list:
    """Each row of ``M`` as Python integers, scaled by a power of two (exact)."""
    out = []
    for row in M.tolist():
        ratios = [v.as_integer_ratio() for v in row]
        den = max(d for _, d in ratios)
        out.append([q * (den // d) for q, d in ratios])
    return out


def _reduce(M: np.ndarray) -> tuple:
    """``(R, piv)``: ``M`` (integer-valued after scaling) in reduced row echelon form by
    fraction-free elimination, in int64 when it cannot overflow, else in Python integers;
    ``piv`` lists the pivot columns."""
    ok, N = _as_small_integers(M)
    if ok:
        ok, R, piv, rank = _bareiss_int64(N)
        piv = piv[:rank].tolist()
    if not ok:
        R, piv = _bareiss_python(_integer_rows(M))
    return R, piv


def _null_point(R, piv: list, free: list, vals: list) -> list:
    """The exact solution ``x`` of the reduced system (``piv`` not empty) whose free
    coordinates ``free`` are ``vals`` (rationals): every pivot row ``i`` reads
    ``D x_{p_i} + sum_f R[i, f] x_f = 0``, ``D`` the last pivot."""
    D = int(R[0][piv[0]])
    x = [Fraction(0)] * (len(piv) + len(free))
    for f, v in zip(free, vals):
        x[f] = v
    for i, p in enumerate(piv):
        x[p] = -sum((int(R[i][f]) * v for f, v in zip(free, vals)), Fraction(0)) / D
    return x


def _has_null_point(R, piv: list, free: list, lam: np.ndarray) -> bool:
    """True when the reduced system has an exact solution ``x >= 0``, ``x != 0``.

    With one free coordinate the null space is a line and ``x_f = 1`` is its only
    candidate direction: integer signs decide.  With several, the free coordinates take
    the float ``lam`` as exact rationals (:func:`_null_point`).
    """
    if not piv:  # M = 0: any nonnegative nonzero x is a solution
        return True
    D = int(R[0][piv[0]])
    if len(free) == 1:
        f = free[0]
        return all(-int(R[i][f]) * D >= 0 for i in range(len(piv)))
    x = _null_point(R, piv, free, [Fraction(float(lam[f])) for f in free])
    return all(v >= 0 for v in x) and any(v > 0 for v in x)


@numba.njit(cache=True)
def _support_matrix(A, t, S):
    """Columns ``t_i [x_i, 1]`` for ``i`` in ``S`` (exact: only signs change)."""
    n = A.shape[1]
    M = np.empty((n + 1, S.shape[0]))
    for j in range(S.shape[0]):
        i = S[j]
        for f in range(n):
            M[f, j] = t[i] * A[i, f]
        M[n, j] = t[i]
    return M


def certificate_holds(A: np.ndarray, t: np.ndarray, lam: np.ndarray) -> bool:
    """True when an exact Farkas certificate exists on the support of ``lam``.

    The support's equations ``sum_i lambda_i t_i [x_i, 1] = 0`` are solved exactly:
    first with verified floating point when they form a square system (the common case
    for data in general position), then by fraction-free elimination in int64 or in
    Python integers; the float ``lam`` fills any free coordinates.
    """
    S = np.flatnonzero(lam > 0)
    if S.size == 0:
        return False
    M = _support_matrix(A, t, S)
    n1, k = M.shape
    if k == n1 + 1:
        verdict = _verified_square(M, int(np.argmax(lam[S])))
        if verdict:
            return verdict > 0
    R, piv = _reduce(M)
    free = [j for j in range(k) if j not in set(piv)]
    if not free:
        return False
    return _has_null_point(R, piv, free, lam[S])
