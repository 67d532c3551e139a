"""Finite Newton on the squared hinge: ``auto``'s fast proof of separability.

Minimizes ``lam/2 |w|^2 + 1/2 sum_i s_i max(0, 1 - t_i z_i)^2`` (the primal L2-SVM)
by Newton steps on the active set ``{i : t_i z_i < 1}`` with an exact line search
(Keerthi & DeCoste's modified finite Newton method), after one steepest-descent step
from 0 (the class-mean direction, which leaves a smaller active set for the first
Hessian).  For small ``lam`` the minimizer is close to the hard-margin SVM, so separable
data are separated after a few steps — usually 2 to 5, where the perceptron needs tens
of epochs; after each step, any length along it at which every sample is on its side
is tried first, and then the least-norm correction that moves the few samples still
wrong across while holding the closest right ones (:func:`_correction`).  The
Hessian of the active set is rebuilt at each step from a feature-major copy of it.

The answer is a proof only when :func:`~.exact.tz_undecided` (the network's summation order)
confirms ``t * z > 0`` on every sample; otherwise the caller asks the LP.
"""

from __future__ import annotations

import numba
import numpy as np

from ._lanes import lane_dots
from .exact import tz_undecided

# No fastmath: reassociation or fused multiply-adds would make every sum depend on the
# CPU's vector width (and on numba's CPU target), and with it the weights a seed gives.
# The long dot products keep four partial sums in a fixed pattern instead: sample j goes to
# sum j mod 4, the sums are combined as (s0 + s1) + (s2 + s3), then the tail j >= k - k % 4.


@numba.njit(cache=True, inline="always")
def _gram(YT, d, k, H, g):
    """``H[p, q] = sum_j YT[p, j] YT[q, j]`` (lower triangle) and ``g[p]`` the same with row
    ``d``, over j < k, in the fixed order above.

    Four entries at a time as four-lane vectors (:func:`~._lanes.lane_dots`), the lanes
    being the four partial sums, so the bits do not depend on the CPU.  ``YT`` needs three
    rows of padding below row ``d`` (read, never used)."""
    k4 = k - k % 4
    for p in range(d):
        for q in range(0, p + 1, 4):
            _store_four(YT, p, q, k4, k, lane_dots(YT, p, q, k4), H[p], p + 1 - q)
    for q in range(0, d, 4):  # g: row d against four rows at a time (x * y == y * x exactly)
        _store_four(YT, d, q, k4, k, lane_dots(YT, d, q, k4), g, d - q)


@numba.njit(cache=True, inline="always")
def _store_four(YT, p, q, k4, k, s, out, count):
    """``out[q + r]`` for ``r < min(4, count)``: lane sums ``s`` (16, from
    :func:`~._lanes.lane_dots`) combined as ``(s0 + s1) + (s2 + s3)``, then the tail."""
    for r in range(min(4, count)):
        if r == 0:
            acc = (s[0] + s[1]) + (s[2] + s[3])
        elif r == 1:
            acc = (s[4] + s[5]) + (s[6] + s[7])
        elif r == 2:
            acc = (s[8] + s[9]) + (s[10] + s[11])
        else:
            acc = (s[12] + s[13]) + (s[14] + s[15])
        for j in range(k4, k):
            acc += YT[p, j] * YT[q + r, j]
        out[q + r] = acc


@numba.njit(cache=True)
def _step_margins(A, t, x, b):
    """``b[i] = t_i (x[n] + sum_f A[i, f] x[f])`` (the bias first, then the features in
    order), eight rows at a time (independent sums, the same order per row)."""
    m, n = A.shape
    m8 = m - m % 8
    for i in range(0, m8, 8):
        z0 = z1 = z2 = z3 = z4 = z5 = z6 = z7 = x[n]
        for f in range(n):
            xf = x[f]
            z0 += A[i, f] * xf
            z1 += A[i + 1, f] * xf
            z2 += A[i + 2, f] * xf
            z3 += A[i + 3, f] * xf
            z4 += A[i + 4, f] * xf
            z5 += A[i + 5, f] * xf
            z6 += A[i + 6, f] * xf
            z7 += A[i + 7, f] * xf
        b[i] = t[i] * z0
        b[i + 1] = t[i + 1] * z1
        b[i + 2] = t[i + 2] * z2
        b[i + 3] = t[i + 3] * z3
        b[i + 4] = t[i + 4] * z4
        b[i + 5] = t[i + 5] * z5
        b[i + 6] = t[i + 6] * z6
        b[i + 7] = t[i + 7] * z7
    for i in range(m8, m):
        z = x[n]
        for f in range(n):
            z += A[i, f] * x[f]
        b[i] = t[i] * z


@numba.njit(cache=True)
def _cholesky_solve(H, g, L, x, d):
    """Solve ``H x = g`` for the leading ``d x d`` block of symmetric positive definite
    ``H`` (only its lower triangle is read); False if it is not positive definite.

    ``L`` gets the factor below its diagonal and the reciprocals of its diagonal on it
    (one division per column instead of one per entry); ``x`` may be ``g`` itself."""
    for p in range(d):
        acc = H[p, p]
        for k in range(p):
            acc -= L[p, k] * L[p, k]
        if not acc > 1e-300:
            return False
        inv = 1.0 / np.sqrt(acc)
        L[p, p] = inv
        for q in range(p + 1, d):
            acc = H[q, p]
            for k in range(p):
                acc -= L[q, k] * L[p, k]
            L[q, p] = acc * inv
    for p in range(d):
        acc = g[p]
        for k in range(p):
            acc -= L[p, k] * x[k]
        x[p] = acc * L[p, p]
    for p in range(d - 1, -1, -1):
        acc = x[p]
        for k in range(p + 1, d):
            acc -= L[k, p] * x[k]
        x[p] = acc * L[p, p]
    return True


@numba.njit(cache=True)
def _line_search(a, b, s, lam, wd, dd, buf):
    """Exact minimizer over ``alpha > 0`` of the objective along the step (piecewise quadratic).

    Newton's method on the derivative, safeguarded by bisection; it stops as soon as a
    Newton update moves ``alpha`` by at most ``1e-12`` of itself (before the safeguard,
    which would otherwise leap away from a minimum found to rounding and bisect back).
    ``buf`` (4 x m) is scratch: the samples that can be active at some ``alpha > 0`` are
    copied there once (``1 - a_i``, ``b_i``, ``s_i b_i``, ``s_i b_i b_i``); the others
    (``1 - a_i <= 0`` and ``b_i >= 0``: their float ``1 - a_i - alpha b_i`` is never
    positive) would add nothing.  Each term is computed as in the plain loop, so the sums
    keep their order and bits."""
    k = 0
    for i in range(a.shape[0]):  # written at k always, kept by moving k: no branch
        buf[0, k] = 1.0 - a[i]
        buf[1, k] = b[i]
        sb = s[i] * b[i]
        buf[2, k] = sb
        buf[3, k] = sb * b[i]
        k += (s[i] > 0) & ((1.0 - a[i] <= 0.0) & (b[i] >= 0.0) ^ True)
    ca, cb, sb, sbb = buf[0], buf[1], buf[2], buf[3]
    lo, hi, al = 0.0, np.inf, 1.0
    for _ in range(60):
        d1 = lam * (wd + al * dd)
        d2 = lam * dd
        for j in range(k):  # selects, not branches (x - 0.0 and x + 0.0 keep x's bits)
            r = ca[j] - al * cb[j]
            pos = r > 0
            d1 -= sb[j] * (r if pos else 0.0)
            d2 += sbb[j] if pos else 0.0
        if d1 == 0.0 or d2 <= 0.0:
            return al
        if d1 < 0:
            lo = al
        else:
            hi = al
        nal = al - d1 / d2
        if abs(nal - al) <= 1e-12 * al:
            return nal
        if not (lo < nal < hi):
            nal = 0.5 * (lo + hi) if hi < np.inf else 2.0 * al
        al = nal
    return al


@numba.njit(cache=True)
def _separating_steps(a, b, s):
    """The open interval ``(lo, hi)`` of step lengths ``alpha > 0`` at which every sample
    (``s > 0``) has ``a_i + alpha b_i > 0``; empty when ``lo >= hi``."""
    lo, hi = 0.0, np.inf
    stuck = False  # a sample with b_i = 0 on the wrong side: no length will do
    for i in range(a.shape[0]):  # selects, not branches: the signs are data
        on = s[i] > 0
        q = -a[i] / (b[i] if b[i] != 0 else 1.0)
        lo = max(lo, q if on & (b[i] > 0) & (a[i] <= 0) else 0.0)
        hi = min(hi, q if on & (b[i] < 0) else np.inf)
        stuck |= on & (((b[i] > 0) | (b[i] < 0) | (a[i] > 0)) ^ True)  # (NaN b as before)
    return (1.0, 0.0) if stuck else (lo, hi)


@numba.njit(cache=True, inline="always")
def _steepest_start(A, t, s, w, a, b, buf, x):
    """The start: the steepest-descent step from ``w = 0``, ``x = sum_i s_i t_i [x_i, 1]``
    (the class-mean direction), scaled by the exact line search; sets ``w`` and ``a``."""
    m, n = A.shape
    d = n + 1
    for p0 in range(0, d, 8):  # eight features at a time: independent sums over the rows
        z0 = z1 = z2 = z3 = z4 = z5 = z6 = z7 = 0.0
        if p0 + 8 <= n:
            for i in range(m):
                if s[i] > 0:
                    ti = s[i] * t[i]
                    z0 += ti * A[i, p0]
                    z1 += ti * A[i, p0 + 1]
                    z2 += ti * A[i, p0 + 2]
                    z3 += ti * A[i, p0 + 3]
                    z4 += ti * A[i, p0 + 4]
                    z5 += ti * A[i, p0 + 5]
                    z6 += ti * A[i, p0 + 6]
                    z7 += ti * A[i, p0 + 7]
            x[p0], x[p0 + 1], x[p0 + 2], x[p0 + 3] = z0, z1, z2, z3
            x[p0 + 4], x[p0 + 5], x[p0 + 6], x[p0 + 7] = z4, z5, z6, z7
        else:
            for p in range(p0, d):
                z = 0.0
                for i in range(m):
                    if s[i] > 0:
                        z += s[i] * t[i] * (A[i, p] if p < n else 1.0)
                x[p] = z
    _step_margins(A, t, x, b)
    sb = 0.0  # scale x to the least-squares step (every sample active): the search starts
    sbb = 0.0  # at 1 near its minimizer instead of many halvings away
    for i in range(m):
        if s[i] > 0:
            sb += s[i] * b[i]
            sbb += s[i] * b[i] * b[i]
    if sbb > 0:
        c = sb / sbb
        for p in range(d):
            x[p] *= c
        for i in range(m):
            b[i] *= c
    dd = 0.0
    for p in range(d):
        dd += x[p] * x[p]
    al = _line_search(a, b, s, 0.0, 0.0, dd, buf)  # (no ridge yet: it is 1e-8 of the scale)
    for p in range(d):
        w[p] = al * x[p]
    for i in range(m):
        a[i] = al * b[i]


@numba.njit(cache=True)
def _try_length(A, t, s, w, x, wc, lo, hi):
    """``w + alpha x`` at a length inside ``(lo, hi)`` (every sample on its side by the
    running margins), checked in network order: ``(code, min t*z)`` with code 1 or 3 as in
    :func:`newton_steps` (then ``w`` takes it), or ``(0, 0.0)`` when it does not separate."""
    ac = 2.0 * lo if hi == np.inf else 0.5 * (lo + hi)
    for p in range(w.shape[0]):
        wc[p] = w[p] + ac * x[p]
    ok, left, emn = tz_undecided(A, t, s, wc)
    if not ok:
        return 0, 0.0
    for p in range(w.shape[0]):
        w[p] = wc[p]
    return (1 if left.shape[0] == 0 else 3), emn


FEW_WRONG = 8  # wrong samples after a step up to which a correction is tried
TIGHT = 4  # right samples of smallest margin that the correction leaves where they are


@numba.njit(cache=True)
def _correction(A, t, s, a, x, G, c, L, rows):
    """The least-norm change ``x`` of the weights that moves the wrong samples (``s > 0``,
    ``a_i <= 0``) to margin 1 and leaves the ``TIGHT`` right samples of smallest margin
    unchanged: ``x = V^T c`` with ``(V V^T) c = r``, ``V``'s rows ``t_i [x_i, 1]`` (at most
    ``n`` of them, wrong ones first).  False when that system is singular.  ``G``, ``L``
    (``(n+1)^2``), ``c`` (``n+1``) and ``rows`` (``m``) are scratch; the sums run in a fixed
    order, so the bits do not depend on the CPU."""
    m, n = A.shape
    k = 0
    for i in range(m):  # the wrong samples (at most n)
        if s[i] > 0 and a[i] <= 0 and k < n:
            rows[k] = i
            k += 1
    nw = k
    top = min(n, nw + TIGHT)
    for i in range(m):  # and the right ones of smallest margin, kept sorted by margin
        if s[i] > 0 and a[i] > 0 and (k < top or a[i] < a[rows[k - 1]]):
            j = k if k < top else k - 1
            while j > nw and a[rows[j - 1]] > a[i]:
                rows[j] = rows[j - 1]
                j -= 1
            rows[j] = i
            k = min(k + 1, top)
    tr = 0.0
    for r in range(k):  # G = V V^T (lower triangle), feature order then the bias
        ir = rows[r]
        for q in range(r + 1):
            iq = rows[q]
            acc = 0.0
            for p in range(n):
                acc += A[ir, p] * A[iq, p]
            G[r, q] = t[ir] * t[iq] * (acc + 1.0)
        tr += G[r, r]
    for r in range(k):
        G[r, r] += 1e-10 * tr
        c[r] = 1.0 - a[rows[r]] if r < nw else 0.0
    if not _cholesky_solve(G, c, L, c, k):
        return False
    for p in range(n + 1):
        x[p] = 0.0
    for r in range(k):
        i = rows[r]
        ci = c[r] * t[i]
        for p in range(n):
            x[p] += ci * A[i, p]
        x[n] += ci
    return True


@numba.njit(cache=True, inline="always")
def newton_steps(A, t, s, it0, it1, w, a, act, st):
    """Steps ``it0 .. it1 - 1`` from the state ``w``, ``a`` (``t_i z_i``), ``act`` (the active
    set) and ``st = [ridge, last step length]``, all updated in place.  Step 0 is the
    steepest-descent start from ``w = 0`` (:func:`_steepest_start`), the others Newton
    steps; after each, a step length along it at which every sample is on its side (if one
    exists, :func:`_separating_steps`) is tried as a proof before the minimizer's, and when
    at most ``FEW_WRONG`` samples are left on the wrong side, a correction
    (:func:`_correction`) at such a length.

    Returns ``(code, iterations, min t*z)``: code 1 proved (``t * z > 0`` for every ``s > 0``
    in the network's summation order and beyond its rounding bound, ``min t*z`` that
    order's minimum), 3 the same but some rows need the exact check, 0 stopped without a
    proof (optimum reached or numerical failure), 2 steps left to do.
    """
    m, n = A.shape
    d = n + 1
    YT = np.empty((d + 4, m + 8))  # padded: 3 rows for _gram; rows 2^k doubles apart alias
    y = YT[d]  # the targets' row, so that the gradient is a dot product of two rows
    b = np.zeros(m)
    buf = np.empty((4, m))
    rows = np.empty(m, dtype=np.int64)
    H = np.zeros((d, d))
    g = np.zeros(d)
    L = np.zeros((d, d))
    x = np.zeros(d)
    wc = np.empty(d)
    lam = st[0]
    al = st[1]
    for it in range(it0, it1):
        if it == 0:
            _steepest_start(A, t, s, w, a, b, buf, x)
            st[1] = al = 0.0  # not a full Newton step
        else:
            changes = 0
            k = 0  # the active set {t z < 1}, listed without a branch on the data
            for i in range(m):
                now = (s[i] > 0) & (a[i] < 1.0)
                changes += now != act[i]
                act[i] = now
                rows[k] = i
                k += now
            for j in range(k):  # scaled by sqrt(s), gathered feature-major
                i = rows[j]
                r = 1.0 if s[i] == 1.0 else np.sqrt(s[i])
                for p in range(n):
                    YT[p, j] = A[i, p] * r
                YT[n, j] = r
                y[j] = t[i] * r
            if it > 1 and changes == 0 and abs(al - 1.0) < 1e-9:
                return 0, it, 0.0  # a full Newton step on an unchanged active set: the optimum
            _gram(YT, d, k, H, g)  # lower triangle of the Hessian (all the Cholesky reads)
            if it == 1:  # the ridge: 1e-8 of the mean diagonal, relative to the data's scale
                for p in range(d):
                    lam += H[p, p]
                lam = 1e-8 * lam / d + 1e-12
                st[0] = lam
            for p in range(d):
                H[p, p] += lam
            if not _cholesky_solve(H, g, L, x, d):
                return 0, it, 0.0
            wd = 0.0
            dd = 0.0
            for p in range(d):
                x[p] -= w[p]
                wd += w[p] * x[p]
                dd += x[p] * x[p]
            _step_margins(A, t, x, b)  # rows with s = 0 get a value nobody reads
            al = _line_search(a, b, s, lam, wd, dd, buf)
            st[1] = al
            lo, hi = _separating_steps(a, b, s)
            if lo < hi and not (lo < al < hi):  # the minimizer is not on every side
                code, emn = _try_length(A, t, s, w, x, wc, lo, hi)
                if code:
                    return code, it + 1, emn
            for p in range(d):
                w[p] += al * x[p]
            for i in range(m):
                if s[i] > 0:
                    a[i] += al * b[i]
        mn = np.inf
        wrong = 0
        for i in range(m):
            if s[i] > 0:
                mn = min(mn, a[i])
                wrong += a[i] <= 0
        if mn > 0:  # the network-order float pass and its rounding bound, in one
            ok, left, emn = tz_undecided(A, t, s, w)
            if ok:
                return (1 if left.shape[0] == 0 else 3), it + 1, emn
        elif wrong <= FEW_WRONG and _correction(A, t, s, a, x, H, g, L, rows):
            _step_margins(A, t, x, b)  # tried at a length where every sample is right
            lo, hi = _separating_steps(a, b, s)
            if lo < hi:
                code, emn = _try_length(A, t, s, w, x, wc, lo, hi)
                if code:
                    return code, it + 1, emn
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
