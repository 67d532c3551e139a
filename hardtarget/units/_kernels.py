"""numba kernels shared by the unit solvers.

Pre-activations are summed in the same order as :mod:`hardtarget.network`
(features in order, then the bias), so a weight vector accepted here reproduces
its targets exactly in the network's forward pass.
"""

from __future__ import annotations

import numba
import numpy as np

from ._lanes import block_dots
from .exact import tz_undecided
from .losses import grad_at


@numba.njit(cache=True, inline="always")
def _z(A, i, w):
    n = A.shape[1]
    s = 0.0
    for f in range(n):
        s += A[i, f] * w[f]
    return s + w[n]


@numba.njit(cache=True)
def unit_errors(A, t, s, w):
    """(errors, weighted errors, min t*z) over samples with s > 0.

    An error is a wrong output of ``sign`` (sign(0) = -1): ``z <= 0`` for ``t = +1``,
    ``z > 0`` for ``t = -1``.  Separability needs more: ``min t*z > 0``.
    """
    errs = 0
    werr = 0.0
    mn = np.inf
    for i in range(A.shape[0]):
        if s[i] <= 0:
            continue
        z = _z(A, i, w)
        tz = t[i] * z
        mn = min(mn, tz)
        if (z > 0) != (t[i] > 0):
            errs += 1
            werr += s[i]
    return errs, werr, mn


@numba.njit(cache=True)
def units_checked(A, T, s, W, converged):
    """:func:`unit_errors` of every column of ``W`` against the same column of ``T``, and the
    proof check of the converged ones: (errors, min t*z, proof) with ``proof`` as in
    :func:`perceptron_checked`."""
    k = T.shape[1]
    errs = np.zeros(k, dtype=np.int64)
    mns = np.empty(k)
    proof = np.zeros(k, dtype=np.int64)
    for j in range(k):
        t = np.ascontiguousarray(T[:, j])
        w = np.ascontiguousarray(W[:, j])
        e, _, mn = unit_errors(A, t, s, w)
        errs[j] = e
        mns[j] = mn
        if converged[j] and e == 0 and mn > 0:
            ok, rows, _ = tz_undecided(A, t, s, w)
            if ok:
                proof[j] = 1 if rows.shape[0] == 0 else 2
    return errs, mns, proof


_EXPONENT = np.int64(0x7FF0000000000000)  # all exponent bits set: inf or NaN


@numba.njit(cache=True)
def check_unit(A, t):
    """0 if ``A`` (C-contiguous) is finite and every ``t`` is -1 or +1; 1 if ``A`` is not
    finite; 2 for a bad target.  Both scans are branch-free bit tests, so they vectorize."""
    bits = A.reshape(A.size).view(np.int64)
    bad = False
    for i in range(bits.shape[0]):
        bad |= (bits[i] & _EXPONENT) == _EXPONENT
    if bad:
        return 1
    for i in range(t.shape[0]):
        bad |= (t[i] != 1) & (t[i] != -1)
    return 2 if bad else 0


@numba.njit(cache=True)
def _zblock(A, i0, rows, Wc, na, Z):
    """``Z[r, q]`` as :func:`_zrow` computes ``z[q]`` for sample ``i0 + r``, ``r < rows``
    (at most 4), ``q < na``: sixteen units by four samples at a time
    (:func:`~._lanes.block_dots`, the same bits; the last block runs past ``na`` into
    columns nobody reads while ``Wc`` has them), the other units one by one."""
    n = A.shape[1]
    k = Wc.shape[1]
    n16 = min(na + (-na) % 16, k - k % 16) if rows == 4 else 0
    for q in range(0, n16, 16):
        block_dots(A, i0, Wc, q, Z)
    for r in range(rows):
        for q in range(n16, na):
            acc = 0.0
            for f in range(n):
                acc += A[i0 + r, f] * Wc[f, q]
            Z[r, q] = acc


@numba.njit(cache=True)
def _zrow(A, i, Wc, na, z):
    """``z[q] = sum_f A[i, f] * Wc[f, q]`` for q < na, each summed in feature order
    (as :func:`_z`)."""
    n = A.shape[1]
    if na < 8:  # few units: one register accumulator per unit
        for q in range(na):
            acc = 0.0
            for f in range(n):
                acc += A[i, f] * Wc[f, q]
            z[q] = acc
        return
    for q in range(na):  # many units: sweep rows of Wc, vectorized across units
        z[q] = 0.0
    for f in range(n):
        a = A[i, f]
        for q in range(na):
            z[q] += a * Wc[f, q]


@numba.njit(cache=True)
def perceptron_units(A, T, s, max_epochs, give_up):
    """Pocket perceptron for every column of ``T`` (``m x k`` of ±1) on shared inputs.

    Returns weights ``(n+1, k)``, errors ``(k,)``, epochs ``(k,)``, converged ``(k,)``.
    A unit converges when a whole epoch makes no mistake: its weights then give
    ``t * z > 0`` on every sample with positive weight (a proof of separability).

    With ``give_up`` (for ``auto``) a unit stops once it is clearly cycling: at least 32 active
    samples, 8 epochs done, and more mistakes in the last 4 epochs than there are
    active samples (an average above 25% per epoch; planted separable units stay
    well below that after a few epochs, random labels well above it).  The early
    exit only saves time; ``auto`` then asks the LP, so verdicts do not change.

    A few units run one after another (scalar code, fastest for one unit); many run
    in lock step (:func:`_perceptron_lockstep`).  Both give bit-identical results.
    """
    if T.shape[1] < 4:
        return _perceptron_scalar(A, T, s, max_epochs, give_up)
    return _perceptron_lockstep(A, T, s, max_epochs, give_up)


@numba.njit(cache=True)
def perceptron_checked(A, t, s, max_epochs, give_up):
    """One unit's pocket perceptron, measured and its proof checked in the same call.

    Returns ``(w, errors, min t*z, epochs, proof)``: ``proof`` is 1 when the weights
    separate exactly and in network order, 2 when the float bound left rows for an exact
    check (:func:`~.exact.separates_exactly`), 0 when they prove nothing.
    """
    w, best, hist, st = pocket_state(A.shape[1])
    check = give_up and active_samples(s) >= 32
    pocket_epochs(A, t, s, 0, max_epochs, check, w, best, hist, st)
    return pocket_result(A, t, s, best, st)


@numba.njit(cache=True)
def pocket_result(A, t, s, best, st):
    """``(w, errors, min t*z, epochs, proof)`` of a finished pocket state (see above)."""
    if st[2] == 1.0:  # converged: every float t*z > 0, so the proof pass measures it all
        ok, rows, mn = tz_undecided(A, t, s, best)
        if ok:
            return best.copy(), 0, mn, int(st[3]), 1 if rows.shape[0] == 0 else 2
    e, _, mn = unit_errors(A, t, s, best)
    return best.copy(), e, mn, int(st[3]), 0


@numba.njit(cache=True)
def _perceptron_scalar(A, T, s, max_epochs, give_up):
    """One unit after another, scalar code; same results as :func:`_perceptron_lockstep`."""
    m, n = A.shape
    k = T.shape[1]
    W = np.zeros((n + 1, k))
    errors = np.zeros(k, dtype=np.int64)
    epochs = np.zeros(k, dtype=np.int64)
    converged = np.zeros(k, dtype=np.bool_)
    check = give_up and active_samples(s) >= 32
    for j in range(k):
        w, best, hist, st = pocket_state(n)
        t = np.ascontiguousarray(T[:, j])
        pocket_epochs(A, t, s, 0, max_epochs, check, w, best, hist, st)
        W[:, j] = best
        errors[j] = int(st[1]) if st[1] < np.inf else m
        epochs[j] = int(st[3])
        converged[j] = st[2] == 1.0
    return W, errors, epochs, converged


@numba.njit(cache=True)
def active_samples(s):
    """Samples with a positive weight."""
    active = 0
    for i in range(s.shape[0]):
        if s[i] > 0:
            active += 1
    return active


@numba.njit(cache=True)
def pocket_state(n):
    """A fresh pocket-perceptron state: ``w``, ``best``, mistake history, and ``st`` =
    ``[best weighted errors, best errors, finished (0, 1 converged, 2 gave up), epochs]``."""
    st = np.array([np.inf, np.inf, 0.0, 0.0])
    return np.zeros(n + 1), np.zeros(n + 1), np.zeros(4, dtype=np.int64), st


@numba.njit(cache=True)
def pocket_epochs(A, t, s, ep0, ep1, check, w, best, hist, st):
    """Epochs ``ep0 .. ep1 - 1`` of the pocket perceptron on one unit, from the state given
    (see :func:`pocket_state`), updated in place; stops early once ``st[2]`` is set."""
    m, n = A.shape
    active = active_samples(s)
    for ep in range(ep0, ep1):
        mistakes = 0
        for i in range(m):
            si = s[i]
            if si <= 0:
                continue
            ti = t[i]
            if ti * _z(A, i, w) <= 0:
                mistakes += 1
                step = si * ti
                for f in range(n):
                    w[f] += step * A[i, f]
                w[n] += step
        st[3] = ep + 1
        if mistakes == 0:
            st[2] = 1.0
            best[:] = w
            st[1] = 0.0
            return
        e, we, mn = unit_errors(A, t, s, w)
        if we < st[0]:
            st[0] = we
            st[1] = e
            best[:] = w
            if mn > 0:
                st[2] = 1.0
                return
        if check:
            hist[ep % 4] = mistakes
            if ep >= 7 and hist[0] + hist[1] + hist[2] + hist[3] > active:
                st[2] = 2.0
                return


@numba.njit(cache=True)
def _perceptron_lockstep(A, T, s, max_epochs, give_up):
    """Every unit of :func:`perceptron_units`, in lock step.

    All units run in lock step, epoch by epoch, over the same samples: the weights of
    the units still running sit in the columns of one compact matrix, so each sample's
    pre-activations for all of them come out of one contiguous (vectorizable) loop.
    Each unit still sees exactly the updates a lone run would make, in the same order,
    and every ``z`` is summed like :func:`_z` (features in order, then the bias), so the
    result does not depend on which other units share the call.
    """
    state = lockstep_state(A, T, s, give_up)
    lockstep_epochs(A, s, 0, max_epochs, state)
    return state[0], state[1], state[2], state[3]


@numba.njit(cache=True)
def lockstep_state(A, T, s, give_up):
    """A fresh lock-step state: ``(W, errors, epochs, converged)`` (the result, see
    :func:`perceptron_units`), then the running units' state: mistake history, best
    weighted errors, compacted weights ``Wc`` and targets ``Tc``, ``unit`` (``Wc`` column
    q belongs to ``unit[q]``) and ``st`` = ``[units running, give-up check, active samples]``."""
    m, n = A.shape
    k = T.shape[1]
    active = active_samples(s)
    Tc = np.empty((m, k), dtype=np.int8)
    for i in range(m):
        for q in range(k):
            Tc[i, q] = T[i, q]
    st = np.array([k, 1 if give_up and active >= 32 else 0, active])
    return (
        np.zeros((n + 1, k)),  # pocket weights, the result
        np.full(k, m, dtype=np.int64),
        np.zeros(k, dtype=np.int64),
        np.zeros(k, dtype=np.bool_),
        np.zeros((k, 4), dtype=np.int64),
        np.full(k, np.inf),
        np.zeros((n + 1, k)),
        Tc,
        np.arange(k),
        st,
    )


@numba.njit(cache=True)
def lockstep_epochs(A, s, ep0, ep1, state):
    """Epochs ``ep0 .. ep1 - 1`` of :func:`_perceptron_lockstep` from ``state`` (see
    :func:`lockstep_state`), updated in place; stops early once no unit is running."""
    W, errors, epochs, converged, hist, best_w_err, Wc, Tc, unit, st = state
    m, n = A.shape
    k = Wc.shape[1]
    na = st[0]
    check = st[1] == 1
    active = st[2]
    z = np.empty(k)
    viol = np.empty(k, dtype=np.bool_)
    mist = np.zeros(k, dtype=np.int64)
    errs = np.zeros(k, dtype=np.int64)
    werr = np.zeros(k)
    mn = np.empty(k)
    Zb = np.empty((4, k))
    done = np.zeros(k, dtype=np.bool_)
    for ep in range(ep0, ep1):
        if na == 0:
            break
        mist[:na] = 0
        for i in range(m):
            si = s[i]
            if si <= 0:
                continue
            _zrow(A, i, Wc, na, z)
            nv = 0
            for q in range(na):
                v = Tc[i, q] * (z[q] + Wc[n, q]) <= 0
                viol[q] = v
                nv += v
            if nv == 0:
                continue
            for q in range(na):
                if viol[q]:
                    ti = Tc[i, q]
                    mist[q] += 1
                    step = si * ti
                    for f in range(n):
                        Wc[f, q] += step * A[i, f]
                    Wc[n, q] += step
        # pocket: errors of every running unit's weights (as unit_errors computes them)
        errs[:na] = 0
        werr[:na] = 0.0
        mn[:na] = np.inf
        for i0 in range(0, m, 4):  # four samples per sweep of the weights
            rows = min(4, m - i0)
            _zblock(A, i0, rows, Wc, na, Zb)
            for r in range(rows):
                i = i0 + r
                si = s[i]
                if si <= 0:
                    continue
                for q in range(na):
                    zq = Zb[r, q] + Wc[n, q]
                    ti = Tc[i, q]
                    tz = ti * zq
                    mn[q] = min(mn[q], tz)
                    e = (zq > 0) != (ti > 0)
                    errs[q] += e
                    werr[q] += si * e
        for q in range(na):
            j = unit[q]
            epochs[j] = ep + 1
            done[q] = False
            if mist[q] == 0:
                converged[j] = True
                W[:, j] = Wc[:, q]
                errors[j] = 0
                done[q] = True
                continue
            if werr[q] < best_w_err[j]:
                best_w_err[j] = werr[q]
                errors[j] = errs[q]
                W[:, j] = Wc[:, q]
                if mn[q] > 0:
                    converged[j] = True
                    done[q] = True
                    continue
            if check:
                hist[j, ep % 4] = mist[q]
                if ep >= 7 and hist[j, 0] + hist[j, 1] + hist[j, 2] + hist[j, 3] > active:
                    done[q] = True
        # compact: move the last running column into each finished one
        q = 0
        while q < na:
            if done[q]:
                last = na - 1
                if q != last:
                    Wc[:, q] = Wc[:, last]
                    Tc[:, q] = Tc[:, last]
                    unit[q] = unit[last]
                    done[q] = done[last]
                na -= 1
            else:
                q += 1
    st[0] = na


@numba.njit(cache=True)
def duplicate_clash(A, t, s):
    """Two samples (s > 0) with identical inputs and opposite targets, as (i, j), else (-1, -1).

    Rows are sorted by a fixed random projection (equal rows project equally, bit for
    bit), then rows with equal projections are compared exactly.
    """
    m, n = A.shape
    r = np.empty(n)
    x = 0.7548776662466927  # a fixed low-discrepancy sequence, no RNG state touched
    for f in range(n):
        r[f] = x - 0.5
        x = (x + 0.5698402909980532) % 1.0
    keys = np.empty(m)
    idx = np.empty(m, dtype=np.int64)
    cnt = 0
    for i in range(m):
        if s[i] > 0:
            h = 0.0
            for f in range(n):
                h += A[i, f] * r[f]
            keys[cnt] = h
            idx[cnt] = i
            cnt += 1
    if cnt < 2:
        return -1, -1
    order = np.argsort(keys[:cnt], kind="mergesort")
    a = 0
    while a < cnt:
        b = a + 1
        while b < cnt and keys[order[b]] == keys[order[a]]:
            b += 1
        if b - a > 1:
            # rows equal to the run's first row: one pass; exact pairwise check only on a collision
            i0 = idx[order[a]]
            collision = False
            for q in range(a + 1, b):
                iq = idx[order[q]]
                same = True
                for f in range(n):
                    if A[i0, f] != A[iq, f]:
                        same = False
                        break
                if not same:
                    collision = True
                elif t[i0] != t[iq]:
                    return min(i0, iq), max(i0, iq)
            if collision:
                for p in range(a + 1, b):
                    ip = idx[order[p]]
                    for q in range(p + 1, b):
                        iq = idx[order[q]]
                        if t[ip] == t[iq]:
                            continue
                        same = True
                        for f in range(n):
                            if A[ip, f] != A[iq, f]:
                                same = False
                                break
                        if same:
                            return min(ip, iq), max(ip, iq)
        a = b
    return -1, -1


@numba.njit(cache=True)
def descend(A, t, s, loss, max_epochs, lr, l2, seed):
    """Stochastic gradient descent on a layer loss (its :func:`~.losses.loss_code`);
    returns (best w, errors, epochs, converged)."""
    w, best, order, st = descent_state(A.shape[0], A.shape[1], seed)
    descent_epochs(A, t, s, loss, 0, max_epochs, lr, l2, w, best, order, st)
    return best, int(st[1]), max(int(st[3]), 1), st[2] == 1.0


@numba.njit(cache=True)
def descent_state(m, n, seed):
    """A fresh descent state, numba's generator seeded with ``seed``: ``w``, ``best``, the
    sample order, and ``st`` = ``[best weighted errors, best errors, converged, epochs]``.

    The order is shuffled by numba's (per-thread) generator in every epoch, so the epochs
    of one descent must run in one thread with no other numba draw in between."""
    np.random.seed(seed)
    st = np.array([np.inf, float(m), 0.0, 0.0])
    return np.zeros(n + 1), np.zeros(n + 1), np.arange(m), st


@numba.njit(cache=True)
def descent_epochs(A, t, s, loss, ep0, ep1, lr, l2, w, best, order, st):
    """Epochs ``ep0 .. ep1 - 1`` of :func:`descend` from the state given (see
    :func:`descent_state`), updated in place; stops early once it separates."""
    n = A.shape[1]
    for ep in range(ep0, ep1):
        np.random.shuffle(order)
        eta = lr / np.sqrt(ep + 1.0)
        for i in order:
            if s[i] <= 0:
                continue
            g = s[i] * grad_at(loss, t[i] * _z(A, i, w)) * t[i]
            for f in range(n):
                w[f] -= eta * (g * A[i, f] + l2 * w[f])
            w[n] -= eta * g
        st[3] = ep + 1
        e, we, mn = unit_errors(A, t, s, w)
        if mn > 0:
            best[:] = w
            st[1] = 0.0
            st[2] = 1.0
            return
        if we < st[0]:
            st[0] = we
            st[1] = e
            best[:] = w
