"""Finite Newton on the squared hinge: ``auto``'s fast proof of separability.

Minimizes ``lam/2 |w|^2 + 1/2 sum_i s_i max(0, 1 - t_i z_i)^2`` (the primal L2-SVM)
by Newton steps on the active set ``{i : t_i z_i < 1}`` with an exact line search
(Keerthi & DeCoste's modified finite Newton method).  For small ``lam`` the
minimizer is close to the hard-margin SVM, so separable data are separated after a
few steps — usually 2 to 6, where the perceptron needs tens of epochs.  The
Hessian of the active set is rebuilt at each step from a feature-major copy of it.

The answer is a proof only when :func:`~.exact.tz_undecided` (the network's summation order)
confirms ``t * z > 0`` on every sample; otherwise the caller asks the LP.
"""

from __future__ import annotations

import numba
import numpy as np

from .exact import tz_undecided

# No fastmath: reassociation or fused multiply-adds would make every sum depend on the
# CPU's vector width (and on numba's CPU target), and with it the weights a seed gives.
# The long dot products keep four partial sums in a fixed pattern instead (:func:`_dot`).


@numba.njit(cache=True, inline="always")
def _dot(YT, p, q, k):
    """``sum_j YT[p, j] * YT[q, j]`` for j < k: four partial sums over ``j mod 4``, then
    ``(s0 + s1) + (s2 + s3)`` and the tail; the same order (hence bits) on every machine,
    and independent lanes that LLVM may still put in one vector register."""
    s0 = 0.0
    s1 = 0.0
    s2 = 0.0
    s3 = 0.0
    k4 = k - k % 4
    for j in range(0, k4, 4):
        s0 += YT[p, j] * YT[q, j]
        s1 += YT[p, j + 1] * YT[q, j + 1]
        s2 += YT[p, j + 2] * YT[q, j + 2]
        s3 += YT[p, j + 3] * YT[q, j + 3]
    acc = (s0 + s1) + (s2 + s3)
    for j in range(k4, k):
        acc += YT[p, j] * YT[q, j]
    return acc


@numba.njit(cache=True, inline="always")
def _gram(YT, d, k, H, g):
    """``H[p, q] = _dot(YT, p, q, k)`` (lower triangle) and ``g[p] = _dot(YT, p, d, k)``.

    Four entries of a row at a time: sixteen independent partial sums instead of four
    (the adds no longer wait on each other), each entry summed exactly as :func:`_dot`
    sums it, so the bits are the same."""
    k4 = k - k % 4
    for p in range(d):
        g[p] = _dot(YT, p, d, k)
        q = 0
        while q + 4 <= p + 1:
            a0 = a1 = a2 = a3 = 0.0
            b0 = b1 = b2 = b3 = 0.0
            c0 = c1 = c2 = c3 = 0.0
            e0 = e1 = e2 = e3 = 0.0
            for j in range(0, k4, 4):
                x0 = YT[p, j]
                x1 = YT[p, j + 1]
                x2 = YT[p, j + 2]
                x3 = YT[p, j + 3]
                a0 += x0 * YT[q, j]
                a1 += x1 * YT[q, j + 1]
                a2 += x2 * YT[q, j + 2]
                a3 += x3 * YT[q, j + 3]
                b0 += x0 * YT[q + 1, j]
                b1 += x1 * YT[q + 1, j + 1]
                b2 += x2 * YT[q + 1, j + 2]
                b3 += x3 * YT[q + 1, j + 3]
                c0 += x0 * YT[q + 2, j]
                c1 += x1 * YT[q + 2, j + 1]
                c2 += x2 * YT[q + 2, j + 2]
                c3 += x3 * YT[q + 2, j + 3]
                e0 += x0 * YT[q + 3, j]
                e1 += x1 * YT[q + 3, j + 1]
                e2 += x2 * YT[q + 3, j + 2]
                e3 += x3 * YT[q + 3, j + 3]
            ra = (a0 + a1) + (a2 + a3)
            rb = (b0 + b1) + (b2 + b3)
            rc = (c0 + c1) + (c2 + c3)
            re = (e0 + e1) + (e2 + e3)
            for j in range(k4, k):
                x = YT[p, j]
                ra += x * YT[q, j]
                rb += x * YT[q + 1, j]
                rc += x * YT[q + 2, j]
                re += x * YT[q + 3, j]
            H[p, q] = ra
            H[p, q + 1] = rb
            H[p, q + 2] = rc
            H[p, q + 3] = re
            q += 4
        for r in range(q, p + 1):
            H[p, r] = _dot(YT, p, r, k)


@numba.njit(cache=True, inline="always")
def _step_margins(A, t, x, b):
    """``b[i] = t_i (x[n] + sum_f A[i, f] x[f])`` (the bias first, then the features in
    order), four rows at a time (independent sums, the same order per row)."""
    m, n = A.shape
    m4 = m - m % 4
    for i in range(0, m4, 4):
        z0 = x[n]
        z1 = x[n]
        z2 = x[n]
        z3 = x[n]
        for f in range(n):
            xf = x[f]
            z0 += A[i, f] * xf
            z1 += A[i + 1, f] * xf
            z2 += A[i + 2, f] * xf
            z3 += A[i + 3, f] * xf
        b[i] = t[i] * z0
        b[i + 1] = t[i + 1] * z1
        b[i + 2] = t[i + 2] * z2
        b[i + 3] = t[i + 3] * z3
    for i in range(m4, m):
        z = x[n]
        for f in range(n):
            z += A[i, f] * x[f]
        b[i] = t[i] * z


@numba.njit(cache=True)
def _cholesky_solve(H, g, L, x):
    """Solve ``H x = g`` for symmetric positive definite ``H``; False if it is not."""
    d = H.shape[0]
    for p in range(d):
        acc = H[p, p]
        for k in range(p):
            acc -= L[p, k] * L[p, k]
        if not acc > 1e-300:
            return False
        L[p, p] = np.sqrt(acc)
        for q in range(p + 1, d):
            acc = H[q, p]
            for k in range(p):
                acc -= L[q, k] * L[p, k]
            L[q, p] = acc / L[p, p]
    for p in range(d):
        acc = g[p]
        for k in range(p):
            acc -= L[p, k] * x[k]
        x[p] = acc / L[p, p]
    for p in range(d - 1, -1, -1):
        acc = x[p]
        for k in range(p + 1, d):
            acc -= L[k, p] * x[k]
        x[p] = acc / L[p, p]
    return True


@numba.njit(cache=True)
def _line_search(a, b, s, lam, wd, dd, rows):
    """Exact minimizer over ``alpha > 0`` of the objective along the step (piecewise quadratic).

    ``rows`` (length m) is scratch for the samples that can be active at some
    ``alpha > 0``; the others (``1 - a_i <= 0`` and ``b_i >= 0``: their float
    ``1 - a_i - alpha b_i`` is never positive) would add nothing, so the sums skip them
    and keep their order and bits."""
    k = 0
    for i in range(a.shape[0]):
        if s[i] > 0 and not (1.0 - a[i] <= 0.0 and b[i] >= 0.0):
            rows[k] = i
            k += 1
    lo, hi, al = 0.0, np.inf, 1.0
    for _ in range(60):
        d1 = lam * (wd + al * dd)
        d2 = lam * dd
        for j in range(k):
            i = rows[j]
            r = 1.0 - a[i] - al * b[i]
            if r > 0:
                d1 -= s[i] * b[i] * r
                d2 += s[i] * b[i] * b[i]
        if d1 == 0.0 or d2 <= 0.0:
            return al
        if d1 < 0:
            lo = al
        else:
            hi = al
        nal = al - d1 / d2
        if not (lo < nal < hi):
            nal = 0.5 * (lo + hi) if hi < np.inf else 2.0 * al
        if abs(nal - al) <= 1e-12 * al:
            return nal
        al = nal
    return al


@numba.njit(cache=True, inline="always")
def newton_steps(A, t, s, it0, it1, w, a, act, st):
    """Newton steps ``it0 .. it1 - 1`` from the state ``w``, ``a`` (``t_i z_i``), ``act`` (the
    active set) and ``st = [ridge, last step length]``, all updated in place.

    Returns ``(code, iterations, min t*z)``: code 1 proved (``t * z > 0`` for every ``s > 0``
    in the network's summation order and beyond its rounding bound, ``min t*z`` that
    order's minimum), 3 the same but some rows need the exact check, 0 stopped without a
    proof (optimum reached or numerical failure), 2 steps left to do.
    """
    m, n = A.shape
    d = n + 1
    YT = np.empty((d + 1, m + 8))  # padded: rows 2^k doubles apart alias in the cache
    y = YT[d]  # the targets' row, so that the gradient is a dot product of two rows
    b = np.zeros(m)
    rows = np.empty(m, dtype=np.int64)
    H = np.zeros((d, d))
    g = np.zeros(d)
    L = np.zeros((d, d))
    x = np.zeros(d)
    lam = st[0]
    al = st[1]
    for it in range(it0, it1):
        changes = 0
        k = 0  # the active set {t z < 1}, scaled by sqrt(s), gathered feature-major
        for i in range(m):
            now = s[i] > 0 and a[i] < 1.0
            changes += now != act[i]
            act[i] = now
            if now:
                r = np.sqrt(s[i])
                for p in range(n):
                    YT[p, k] = A[i, p] * r
                YT[n, k] = r
                y[k] = t[i] * r
                k += 1
        if it > 0 and changes == 0 and abs(al - 1.0) < 1e-9:
            return (
                0,
                it,
                0.0,
            )  # a full Newton step on an unchanged active set: the optimum
        _gram(YT, d, k, H, g)  # lower triangle of the Hessian (all the Cholesky reads)
        if it == 0:  # ridge relative to the data's scale: 1e-8 of the mean diagonal
            for p in range(d):
                lam += H[p, p]
            lam = 1e-8 * lam / d + 1e-12
            st[0] = lam
        for p in range(d):
            H[p, p] += lam
        if not _cholesky_solve(H, g, L, x):
            return 0, it, 0.0
        wd = 0.0
        dd = 0.0
        for p in range(d):
            x[p] -= w[p]
            wd += w[p] * x[p]
            dd += x[p] * x[p]
        _step_margins(A, t, x, b)  # rows with s = 0 get a value nobody reads
        al = _line_search(a, b, s, lam, wd, dd, rows)
        st[1] = al
        mn = np.inf
        for p in range(d):
            w[p] += al * x[p]
        for i in range(m):
            if s[i] > 0:
                a[i] += al * b[i]
                mn = min(mn, a[i])
        if mn > 0:  # the network-order float pass and its rounding bound, in one
            ok, rows, emn = tz_undecided(A, t, s, w)
            if ok:
                return (1 if rows.shape[0] == 0 else 3), it + 1, emn
    return 2, it1, 0.0


@numba.njit(cache=True)  # newton_steps inlined: its arrays are known local
def _newton_all(A, t, s, max_iter):
    m, n = A.shape
    w = np.zeros(n + 1)
    code, it, mn = newton_steps(
        A, t, s, 0, max_iter, w, np.zeros(m), np.zeros(m, dtype=np.bool_), np.zeros(2)
    )
    return w, code, it, mn, _proof(code)


@numba.njit(cache=True)
def _proof(code):
    """From :func:`newton_steps`' code: 1 ``w`` separates exactly (the float bound decides),
    2 rows are left for an exact check, 0 nothing proved."""
    return 1 if code == 1 else (2 if code == 3 else 0)


def sq_hinge_newton(A, t, s, max_iter, budget=None):
    """Return ``(w, proof, iterations, min t*z)``; ``proof`` as :func:`_proof` (1 proved, 2 the
    float bound left rows for :func:`~.exact.separates_exactly`, 0 nothing proved).

    With ``budget`` (a :class:`~hardtarget.budget.Budget`), large units run one step per
    kernel call and the budget is checked between them (it raises when it says stop).
    """
    if budget is None:
        w, _, it, mn, proof = _newton_all(A, t, s, max_iter)
        return w, proof, it, mn
    m, n = A.shape
    if (n + 1) ** 2 * (m + n) < 10**7:
        budget.check()
        w, _, it, mn, proof = _newton_all(A, t, s, max_iter)
        return w, proof, it, mn
    w = np.zeros(n + 1)
    a = np.zeros(m)
    act = np.zeros(m, dtype=np.bool_)
    st = np.zeros(2)
    it = 0
    while it < max_iter:
        budget.check()
        code, it, mn = newton_steps(A, t, s, it, it + 1, w, a, act, st)
        if code != 2:
            return w, _proof(code), it, mn
    return w, 0, max_iter, 0.0
