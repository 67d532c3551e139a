"""Exact linear separability with HiGHS.

One LP decides it and yields a proof either way (``x~ = [x, 1]``, bias folded)::

    maximize  gamma   subject to   t_i * (w . x~_i) >= gamma,   -1 <= w_j <= 1

If ``gamma* > 0`` the weights separate strictly.  If ``gamma* = 0``, LP duality gives
``lambda >= 0`` with ``sum(lambda) = 1`` and ``sum_i lambda_i t_i x~_i = 0``: a Farkas
(Gordan) certificate that no separating hyperplane exists, checkable on its own by
:func:`check_certificate`.  With ``max_margin=True`` a separable unit's weights are
then refined by the hard-margin QP ``min ||w||^2 s.t. t_i (w . x_i + b) >= 1``,
which maximizes the geometric margin.
"""

from __future__ import annotations

import threading

import highspy
import numpy as np

__all__ = ["lp_separate", "check_certificate"]

_local = threading.local()


def _highs() -> "highspy.Highs":
    h = getattr(_local, "highs", None)
    if h is None:
        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        h.setOptionValue("presolve", "off")
        _local.highs = h
    return h


def _lp(A1: np.ndarray, t: np.ndarray):
    """Solve the gamma LP on augmented inputs; return (w, gamma, row duals)."""
    m, n1 = A1.shape
    inf = highspy.kHighsInf
    lp = highspy.HighsLp()
    lp.num_col_ = n1 + 1
    lp.num_row_ = m
    lp.col_cost_ = np.r_[np.zeros(n1), -1.0]
    lp.col_lower_ = np.r_[-np.ones(n1), -inf]
    lp.col_upper_ = np.r_[np.ones(n1), inf]
    lp.row_lower_ = np.where(t > 0, 0.0, -inf)
    lp.row_upper_ = np.where(t > 0, inf, 0.0)
    M = np.hstack([A1, -t[:, None].astype(np.float64)])
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    nz = M != 0
    lp.a_matrix_.start_ = np.r_[0, np.cumsum(nz.sum(axis=1))].astype(np.int32)
    lp.a_matrix_.index_ = np.nonzero(nz)[1].astype(np.int32)
    lp.a_matrix_.value_ = M[nz]
    h = _highs()
    h.clearModel()
    h.passModel(lp)
    h.run()
    sol = h.getSolution()
    x = np.asarray(sol.col_value)
    return x[:n1], float(x[n1]), np.asarray(sol.row_dual)


def _qp_max_margin(A1: np.ndarray, t: np.ndarray):
    """Hard-margin SVM with HiGHS' QP solver; None if it does not finish optimally."""
    m, n1 = A1.shape
    inf = highspy.kHighsInf
    lp = highspy.HighsLp()
    lp.num_col_ = n1
    lp.num_row_ = m
    lp.col_cost_ = np.zeros(n1)
    lp.col_lower_ = np.full(n1, -inf)
    lp.col_upper_ = np.full(n1, inf)
    lp.row_lower_ = np.where(t > 0, 1.0, -inf)
    lp.row_upper_ = np.where(t > 0, inf, -1.0)
    nz = A1 != 0
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.start_ = np.r_[0, np.cumsum(nz.sum(axis=1))].astype(np.int32)
    lp.a_matrix_.index_ = np.nonzero(nz)[1].astype(np.int32)
    lp.a_matrix_.value_ = A1[nz]
    model = highspy.HighsModel()
    model.lp_ = lp
    hess = highspy.HighsHessian()
    hess.dim_ = n1
    hess.format_ = highspy.HessianFormat.kTriangular
    hess.start_ = np.r_[np.arange(n1), n1 - 1].astype(np.int32)  # bias column has no entry
    hess.index_ = np.arange(n1 - 1, dtype=np.int32)
    hess.value_ = np.ones(n1 - 1)
    model.hessian_ = hess
    h = _highs()
    h.clearModel()
    h.passModel(model)
    h.run()
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return None
    return np.asarray(h.getSolution().col_value)


def check_certificate(A: np.ndarray, t: np.ndarray, lam: np.ndarray, tol: float = 1e-7) -> bool:
    """Independent check of a Farkas certificate of non-separability.

    True when ``lam >= 0``, ``sum(lam) > 0`` and ``sum_i lam_i t_i [x_i, 1]`` is zero up to
    ``tol`` relative to the scale of the inputs.
    """
    A = np.asarray(A, dtype=np.float64)
    lam = np.asarray(lam, dtype=np.float64)
    t = np.asarray(t, dtype=np.float64)
    if lam.shape != t.shape or np.any(lam < 0) or lam.sum() <= 0 or not np.all(np.isfinite(lam)):
        return False
    lam = lam / lam.sum()
    A1 = np.hstack([A, np.ones((A.shape[0], 1))])
    resid = (lam * t) @ A1
    scale = max(1.0, float(np.abs(A1).max()))
    return bool(np.abs(resid).max() <= tol * scale)


def lp_separate(A: np.ndarray, t: np.ndarray, max_margin: bool = True):
    """Exact verdict for one unit.

    Returns ``(separable, weights, certificate)``; ``certificate`` is None when
    separable and ``weights`` is the LP's (possibly zero) vector when not.
    ``separable`` is None only if the numerical checks of both proofs fail.
    """
    m, n = A.shape
    A1 = np.hstack([A, np.ones((m, 1))])
    tf = t.astype(np.float64)
    w, gamma, duals = _lp(A1, tf)
    scale = max(1.0, float(np.abs(A1).max()))
    if gamma > 1e-9 * scale and np.all(tf * (A1 @ w) > 0):
        if max_margin:
            q = _qp_max_margin(A1, tf)
            if q is not None and np.all(tf * (A1 @ q) > 0):
                w = q
        return True, w, None
    lam = np.abs(duals)
    lam[lam < 1e-12 * max(lam.max(initial=0.0), 1e-300)] = 0.0
    if check_certificate(A, tf, lam):
        return False, w, lam / lam.sum()
    return None, w, None
