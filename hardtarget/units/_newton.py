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
def _line_search(a, b, s, lam, wd, dd):
    """Exact minimizer over ``alpha > 0`` of the objective along the step (piecewise quadratic)."""
    lo, hi, al = 0.0, np.inf, 1.0
    for _ in range(60):
        d1 = lam * (wd + al * dd)
        d2 = lam * dd
        for i in range(a.shape[0]):
            if s[i] > 0:
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
        for p in range(d):  # lower triangle of the Hessian (all the Cholesky reads)
            g[p] = _dot(YT, p, d, k)
            for q in range(p + 1):
                H[p, q] = _dot(YT, p, q, k)
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
        for i in range(m):
            if s[i] > 0:
                z = x[n]
                for f in range(n):
                    z += A[i, f] * x[f]
                b[i] = t[i] * z
        al = _line_search(a, b, s, lam, wd, dd)
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
