"""numba kernels shared by the unit solvers.

Pre-activations are summed in the same order as :mod:`hardtarget.network`
(features in order, then the bias), so a weight vector accepted here reproduces
its targets exactly in the network's forward pass.
"""

from __future__ import annotations

import numba
import numpy as np


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
        if tz < mn:
            mn = tz
        if (z > 0) != (t[i] > 0):
            errs += 1
            werr += s[i]
    return errs, werr, mn


@numba.njit(cache=True)
def perceptron_batch(A, T, s, max_epochs):
    """Pocket perceptron for every column of ``T`` (``m x k`` of ±1) on shared inputs.

    Returns weights ``(n+1, k)``, errors ``(k,)``, epochs ``(k,)``, converged ``(k,)``.
    A unit converges when a whole epoch makes no mistake: its weights then give
    ``t * z > 0`` on every sample with positive weight (a proof of separability).
    """
    m, n = A.shape
    k = T.shape[1]
    W = np.zeros((n + 1, k))
    errors = np.zeros(k, dtype=np.int64)
    epochs = np.zeros(k, dtype=np.int64)
    converged = np.zeros(k, dtype=np.bool_)
    w = np.zeros(n + 1)
    for j in range(k):
        w[:] = 0.0
        best = w.copy()
        best_w_err = np.inf
        best_err = m
        for ep in range(max_epochs):
            mistakes = 0
            for i in range(m):
                si = s[i]
                if si <= 0:
                    continue
                ti = T[i, j]
                if ti * _z(A, i, w) <= 0:
                    mistakes += 1
                    step = si * ti
                    for f in range(n):
                        w[f] += step * A[i, f]
                    w[n] += step
            epochs[j] = ep + 1
            if mistakes == 0:
                converged[j] = True
                best[:] = w
                best_err = 0
                break
            e, we, mn = unit_errors(A, T[:, j], s, w)
            if we < best_w_err:
                best_w_err = we
                best_err = e
                best[:] = w
                if mn > 0:
                    converged[j] = True
                    break
        W[:, j] = best
        errors[j] = best_err
    return W, errors, epochs, converged


@numba.njit(cache=True)
def _dloss(loss, u):
    """Derivative of the layer loss with respect to u = t * z."""
    if loss == 0:  # hinge: max(0, 1 - u)
        return -1.0 if u < 1.0 else 0.0
    if loss == 1:  # saturated hinge, b = -1: max(0, 1 - max(u, -1))
        return -1.0 if (u < 1.0 and u >= -1.0) else 0.0
    c = np.cosh(u)  # soft hinge: tanh(-u) + 1
    return -1.0 / (c * c)


@numba.njit(cache=True)
def descend(A, t, s, loss, max_epochs, lr, l2, seed):
    """Stochastic gradient descent on a layer loss; returns (best w, errors, epochs, converged)."""
    np.random.seed(seed)
    m, n = A.shape
    w = np.zeros(n + 1)
    best = w.copy()
    best_w_err = np.inf
    best_err = m
    ep = 0
    order = np.arange(m)
    for ep in range(max_epochs):
        np.random.shuffle(order)
        eta = lr / np.sqrt(ep + 1.0)
        for i in order:
            if s[i] <= 0:
                continue
            g = s[i] * _dloss(loss, t[i] * _z(A, i, w)) * t[i]
            for f in range(n):
                w[f] -= eta * (g * A[i, f] + l2 * w[f])
            w[n] -= eta * g
        e, we, mn = unit_errors(A, t, s, w)
        if mn > 0:
            return w, 0, ep + 1, True
        if we < best_w_err:
            best_w_err = we
            best_err = e
            best[:] = w
    return best, best_err, ep + 1, False
