"""Exact linear separability with HiGHS.

One LP decides it and yields a proof either way (``x~ = [x, 1]``, bias folded)::

    maximize  gamma   subject to   t_i * (w . x~_i) >= gamma,   -1 <= w_j <= 1

If ``gamma* > 0`` the weights separate strictly.  If ``gamma* = 0``, LP duality gives
``lambda >= 0`` with ``sum(lambda) = 1`` and ``sum_i lambda_i t_i x~_i = 0``: a Farkas
(Gordan) certificate that no separating hyperplane exists; its float rounding is
checked by :func:`~hardtarget.check_certificate_support` (made exact by
:func:`~hardtarget.exact_certificate`).  With ``max_margin=True`` a separable unit's
weights are then refined by the hard-margin QP ``min ||w||^2 s.t. t_i (w . x_i + b) >= 1``,
which maximizes the geometric margin (for units with fewer weights than samples).
"""

from __future__ import annotations

import threading

import highspy
import numpy as np

from ..budget import Budget
from ..errors import StopRequested
from .exact import certificate_holds, separates_exactly

__all__ = ["lp_separate"]

_local = threading.local()


def _highs() -> highspy.Highs:
    h = getattr(_local, "highs", None)
    if h is None:
        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        h.setOptionValue("presolve", "off")
        _local.highs = h
    return h


# LPs with fewer matrix entries finish within milliseconds: they run without the interrupt
# callback, whose Python calls would cost 15-20% on them (the stop is asked before each unit)
INTERRUPT_MIN_ENTRIES = 50_000


def _run(h: highspy.Highs, entries: int, budget: Budget | None) -> None:
    """``h.run()``, interrupted when ``budget`` says stop (large LPs only)."""
    if budget is None or entries < INTERRUPT_MIN_ENTRIES:
        h.run()
        return

    def check(event) -> None:
        event.interrupt(budget.stopped())

    h.cbSimplexInterrupt += check
    try:
        h.run()
    finally:
        h.cbSimplexInterrupt -= check
    if h.getModelStatus() == highspy.HighsModelStatus.kInterrupt:
        _local.highs = (
            None  # the interrupt flag outlives the solve: the next one gets a fresh Highs
        )
        budget.check()
        raise StopRequested("stopped during an LP solve")


def _lp(A1: np.ndarray, t: np.ndarray, budget: Budget | None):
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
    _run(h, M.size, budget)
    sol = h.getSolution()
    x = np.asarray(sol.col_value)
    return x[:n1], float(x[n1]), np.asarray(sol.row_dual)


_DEFAULT_SCALE = highspy.Highs().getOptions().simplex_scale_strategy
_DEFAULT_STRATEGY = highspy.Highs().getOptions().simplex_strategy
# HiGHS' simplex_strategy for a large LP (INTERRUPT_MIN_ENTRIES) from a stored basis: primal.
# A neighbouring column changes columns of this LP, which keeps the basis primal feasible
# (unless a basic column changed) but not dual feasible: the dual simplex then spent 2 s in
# dual phase 1 on 100,000 rows (one iteration of 1.6 s with no interrupt callback in it)
# where the primal takes 0.1 s.  Small LPs keep the dual, some 15% faster on them.
WARM_LARGE_SIMPLEX = 4


def _pattern(m: int, n1: int):
    """Column-wise sparsity pattern and constant arrays of the dual LP, cached per shape.

    The cache is per thread (like the Highs object): ``value`` is rewritten for every solve.
    """
    _patterns = getattr(_local, "patterns", None)
    if _patterns is None:
        _patterns = _local.patterns = {}
    key = (m, n1)
    p = _patterns.get(key)
    if p is None:
        inf = highspy.kHighsInf
        nc = m + 2 * n1
        nz_lam = m * (n1 + 1)
        start = np.r_[np.arange(0, nz_lam + 1, n1 + 1), nz_lam + 1 + np.arange(2 * n1)].astype(
            np.int32
        )
        index = np.r_[np.tile(np.arange(n1 + 1), m), np.arange(n1), np.arange(n1)].astype(np.int32)
        cost = np.r_[np.zeros(m), np.ones(2 * n1)]
        lower = np.zeros(nc)
        upper = np.full(nc, inf)
        rhs = np.r_[np.zeros(n1), 1.0]
        value = np.empty(nz_lam + 2 * n1)
        value[nz_lam : nz_lam + n1] = -1.0
        value[nz_lam + n1 :] = 1.0
        integrality = np.zeros(nc, dtype=np.int32)
        p = (nc, start, index, cost, lower, upper, rhs, value, integrality)
        if len(_patterns) > 64:
            _patterns.clear()
        _patterns[key] = p
    return p


def _lp_dual(A: np.ndarray, t: np.ndarray, warm=None, budget: Budget | None = None):
    """The same LP solved in its dual (Gordan) form; return (w, gamma, lambda).

    ``min sum(u+ + u-)  s.t.  sum_i lambda_i t_i x~_i - u+ + u- = 0,  sum(lambda) = 1,
    lambda, u+, u- >= 0`` is the LP dual of the gamma LP (the bound ``|w_j| <= 1``
    turns into the L1 norm), so its optimum is ``gamma*``, its primal values are the
    certificate ``lambda`` and its row duals the weights ``w``.  It has n + 2 rows
    instead of m, which makes HiGHS' simplex much cheaper for m >> n.  The model is
    passed as raw arrays whose pattern and constants are cached per shape; only the
    ``lambda`` coefficients are rewritten.  ``warm`` (a
    :class:`~hardtarget.units.certificates.CertificateStore`) warm-starts the simplex
    from the basis of the nearest column it solved before and keeps the final one: a
    neighbour that differs from that column in a row or two needs a few pivots
    instead of tens (primal pivots on a large LP, see ``WARM_LARGE_SIMPLEX``).
    """
    m, n = A.shape
    n1 = n + 1
    nc, start, index, cost, lower, upper, rhs, value, integrality = _pattern(m, n1)
    V = value[: m * (n1 + 1)].reshape(m, n1 + 1)
    np.multiply(A, t[:, None], out=V[:, :n])
    V[:, n] = t
    V[:, n1] = 1.0
    h = _highs()
    h.passModel(
        nc,
        n1 + 1,
        value.shape[0],
        1,
        1,
        0.0,
        cost,
        lower,
        upper,
        rhs,
        rhs,
        start,
        index,
        value,
        integrality,
    )
    # no scaling here (about 20% faster on unit-scale inputs); a numerically poor answer
    # fails the proof checks and lp_separate falls back to the scaled primal LP
    h.setOptionValue("simplex_scale_strategy", 0)
    basis = None if warm is None else warm.nearest_basis(t)
    if basis is not None:
        h.setBasis(basis)
        if value.shape[0] >= INTERRUPT_MIN_ENTRIES:
            h.setOptionValue("simplex_strategy", WARM_LARGE_SIMPLEX)
    try:
        _run(h, value.shape[0], budget)
    finally:
        h.setOptionValue("simplex_scale_strategy", _DEFAULT_SCALE)
        h.setOptionValue("simplex_strategy", _DEFAULT_STRATEGY)
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return None
    if warm is not None:
        warm.keep_basis(t, h.getBasis())
    sol = h.getSolution()
    x = np.asarray(sol.col_value)
    y = np.asarray(sol.row_dual)
    gamma = float(x[m:].sum())  # the objective (cost 1 on u+, u-), without getInfo's cost
    return -y[:n1], gamma, x[:m]


def _qp_max_margin(
    A1: np.ndarray, t: np.ndarray, iteration_limit: int | None = None, budget: Budget | None = None
):
    """Hard-margin SVM with HiGHS' QP solver; None if it does not finish optimally.

    ``min ||w||^2 / 2  s.t.  t_i (w . x~_i) >= 1`` (the bias is not penalized), passed to
    HiGHS as raw arrays: building a ``HighsLp`` attribute by attribute costs
    milliseconds for a few hundred rows.  ``iteration_limit`` caps HiGHS' QP iterations
    (a deterministic limit: some degenerate QPs otherwise run for minutes).
    """
    m, n1 = A1.shape
    inf = highspy.kHighsInf
    nz = A1 != 0
    a_start = np.r_[0, np.cumsum(nz.sum(axis=1))].astype(np.int32)
    a_index = np.nonzero(nz)[1].astype(np.int32)
    a_value = np.ascontiguousarray(A1[nz])
    q_start = np.r_[np.arange(n1), n1 - 1].astype(np.int32)  # bias column has no entry
    q_index = np.arange(n1 - 1, dtype=np.int32)
    q_value = np.ones(n1 - 1)
    h = _highs()
    h.passModel(
        n1,
        m,
        int(a_value.shape[0]),
        n1 - 1,
        2,
        1,
        1,
        0.0,  # rowwise A, triangular Q, minimize
        np.zeros(n1),
        np.full(n1, -inf),
        np.full(n1, inf),
        np.where(t > 0, 1.0, -inf),
        np.where(t > 0, inf, -1.0),
        a_start,
        a_index,
        a_value,
        q_start,
        q_index,
        q_value,
        np.zeros(n1, dtype=np.int32),
    )
    if iteration_limit is not None:
        h.setOptionValue("qp_iteration_limit", int(iteration_limit))
    try:
        _run_qp(h, int(a_value.shape[0]), budget)
    finally:
        cached = getattr(_local, "highs", None) is h  # (_run_qp drops a Highs it interrupted)
        if iteration_limit is not None and cached:
            h.setOptionValue("qp_iteration_limit", _QP_ITERATIONS)
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return None
    return np.asarray(h.getSolution().col_value)


_QP_ITERATIONS = highspy.Highs().getOptions().qp_iteration_limit


# seconds between two questions to the budget while a large QP runs
QP_POLL = 0.02


def _run_qp(h: highspy.Highs, entries: int, budget: Budget | None) -> None:
    """``h.run()`` on a QP, abandoned when ``budget`` says stop (large QPs only).

    HiGHS' QP solver (1.12) calls no interrupt callback, and a time limit would make the
    weights depend on the machine's speed.  So the solve runs in a thread of its own
    while this one asks the budget every ``QP_POLL`` seconds; on stop it raises
    :class:`~hardtarget.errors.StopRequested` at once and leaves the solve to finish in
    its thread (its answer unused, its Highs object dropped from this thread's slot).
    The caller's budget holds; the CPU of the abandoned solve is bounded only by the
    QP's own time (0.4-0.8 s at 100,000 x 2, 4-7 s at 5,000 x 200 on a 2-core machine).
    """
    if budget is None or entries < INTERRUPT_MIN_ENTRIES:
        h.run()
        return
    worker = threading.Thread(target=h.run, name="hardtarget-qp", daemon=True)
    worker.start()
    try:
        while True:
            worker.join(QP_POLL)
            if not worker.is_alive():
                return
            budget.check()  # raises when it says stop
    except BaseException:  # a stop or Ctrl-C: the next solve must not share the running Highs
        _local.highs = None
        raise


def _column_scale(A: np.ndarray) -> np.ndarray | None:
    """Power-of-two exponents that bring every nonzero column of ``A`` to ``max |x| in [0.5, 1)``.

    None when every column's largest entry is already within ``2^-8 .. 2^8`` (no need).
    """
    top = np.abs(A).max(axis=0)
    e = np.frexp(top)[1]
    if np.all((e >= -7) & (e <= 9)):
        return None
    return np.where(top > 0, e, 0)


def _certificate(A, tf, lam):
    """``lam`` cleaned and normalized if it is an exact certificate, else None."""
    lam = np.maximum(lam, 0.0)
    top = lam.max(initial=0.0)
    if not top > 0:
        return None
    lam[lam < 1e-12 * top] = 0.0
    if certificate_holds(A, tf, lam):
        return lam / lam.sum()
    return None


def lp_separate(
    A: np.ndarray,
    t: np.ndarray,
    max_margin: bool = True,
    warm=None,
    retry: bool = True,
    budget: Budget | None = None,
):
    """Exact verdict for one unit.

    Returns ``(separable, weights, certificate)``; ``certificate`` is None when
    separable and ``weights`` is the LP's (possibly zero) vector when not.  The LPs are
    solved on the data scaled column by column (powers of two, so the weights map back
    exactly); both proofs are then checked exactly on the original data
    (:mod:`hardtarget.units.exact`).  When the LP's certificate fails the exact check
    (a degenerate vertex: its support is dependent in floats, but not exactly, as with
    decimal data such as iris that rounding moved off a line), each support row is
    left out in turn and the LP re-solved (``retry``): a certificate of a subset is one
    of the whole, and another vertex usually checks.  ``separable`` is None when
    neither proof checks.  ``budget`` (a :class:`~hardtarget.budget.Budget`) is asked
    inside large LP and QP solves.
    """
    verdict = _lp_separate(A, t, max_margin, warm, budget)
    if verdict[0] is not None or not retry:
        return verdict[:3]
    return _other_vertex(A, t, verdict, budget=budget)


def _other_vertex(A, t, verdict, depth: int = 3, lps: list | None = None, budget=None):
    """A certificate from the LP without one of the failed certificate's support rows
    (recursively, up to ``depth`` rows left out and 40 LPs in all)."""
    lps = [40] if lps is None else lps
    lam = verdict[3] if len(verdict) > 3 else None
    if lam is None:
        return verdict[:3]
    tf = t.astype(np.float64)
    rows = np.arange(A.shape[0])
    for i in np.flatnonzero(lam > 1e-12 * lam.max(initial=0.0)):
        if lps[0] <= 0:
            break
        lps[0] -= 1
        keep = rows != i
        sub = _lp_separate(A[keep], t[keep], False, None, budget)
        if sub[0] is None and depth > 1:
            sub = _other_vertex(A[keep], t[keep], sub, depth - 1, lps, budget)
        if sub[0] is False:
            full = np.zeros(A.shape[0])
            full[keep] = sub[2]
            if certificate_holds(A, tf, full):
                return False, sub[1], full
    return verdict[:3]


def _lp_separate(A: np.ndarray, t: np.ndarray, max_margin: bool, warm, budget=None):
    m, n = A.shape
    if m == 0:  # no constraint: any weights separate vacuously
        return True, np.zeros(n + 1), None
    tf = t.astype(np.float64)
    ones = np.ones(m)
    e = _column_scale(A)
    As = np.ldexp(A, -e) if e is not None else A
    unscale = np.r_[-e, 0] if e is not None else None

    def back(w):
        return np.ldexp(w, unscale) if unscale is not None else np.ascontiguousarray(w)

    if warm is not None and m > n + 1:
        d = _lp_dual(As, tf, warm, budget)
        cert = None if d is None else _certificate(A, tf, d[2])
        if cert is not None:
            return False, np.ascontiguousarray(back(d[0])), cert
    d = (
        _lp_dual(As, tf, None, budget) if m > n + 1 else None
    )  # the dual has n + 2 rows: for tall units only
    if d is not None:  # the fast path; a numerically poor answer falls through to the primal LP
        w, gamma, lam = d
        w = back(w)
        if gamma > 0 and separates_exactly(A, tf, ones, w):
            return _refine(A, tf, w, max_margin, budget)
        cert = _certificate(A, tf, lam)
        if cert is not None:
            return False, np.ascontiguousarray(w), cert
    A1 = np.hstack([As, np.ones((m, 1))])
    wp, gamma, duals = _lp(A1, tf, budget)
    wp = back(wp)
    if gamma > 0 and separates_exactly(A, tf, ones, wp):
        return _refine(A, tf, wp, max_margin, budget)
    cert = _certificate(A, tf, np.abs(duals))
    if cert is not None:
        return False, wp, cert
    return None, wp, None, np.abs(duals)  # the failed certificate, for lp_separate's retry


def _refine(A, tf, w, max_margin, budget=None):
    """Replace LP weights by the hard-margin QP's when they also check exactly.

    The QP sees the data scaled by one power of two (a uniform scaling keeps the
    maximum-margin direction), so tiny or huge inputs do not upset it.  Units with more
    weights than samples keep the LP's weights: HiGHS' QP is slow there (seconds at
    8 x 2000), and a stop cannot cut a solve short (see :func:`_run_qp`).
    """
    if max_margin and A.shape[1] < A.shape[0]:
        top = float(np.abs(A).max())
        e = int(np.frexp(top)[1]) if top > 0 else 0
        q = _qp_max_margin(
            np.hstack([np.ldexp(A, -e), np.ones((A.shape[0], 1))]), tf, budget=budget
        )
        if q is not None:
            q[:-1] = np.ldexp(q[:-1], -e)
            if separates_exactly(A, tf, np.ones(A.shape[0]), q):
                w = q
    return True, np.ascontiguousarray(w), None
