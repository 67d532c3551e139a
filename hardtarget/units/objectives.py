"""Final weights of one unit chosen by an objective, its targets unchanged.

Given a unit's inputs and targets, every separating weight vector fits equally well;
these functions pick one that is more likely to generalize, and verify it exactly
(:func:`~hardtarget.units.exact.separates_exactly`: rational arithmetic, and the
network's own float forward pass).

``max_margin``  the hard-margin L2 SVM: ``min ||w||^2 s.t. t_i (w . x_i + b) >= 1``
    (HiGHS' QP; the bias is not in the norm), i.e. the largest geometric margin
    ``min_i t_i z_i / ||w||_2``.
``sparse_weights``  the fewest nonzero input weights that still separate: proven minimal
    by trying the supports in increasing size with the exact LP (every smaller support
    refuted by a Farkas certificate checked exactly) when the unit has few inputs; else
    the support of an L1-minimizing LP (sparse, not proven minimal).  The weights on the
    support are its maximum-margin ones.

Both report the *normalized margin* ``margin / R`` with ``R = max_i ||x_i||_2`` over the
constraining samples: scale-free, so units of different layers compare (a hidden layer of
width ``h`` has ``R = sqrt(h)`` for sign units).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np

from ..budget import Budget
from ..errors import HardTargetError
from ._kernels import unit_errors
from .base import margin_of, prepare
from .exact import separates_exactly
from .lp import _qp_max_margin, lp_separate

__all__ = [
    "ObjectiveResult",
    "max_margin",
    "sparse_weights",
    "normalized_margin",
    "nonzero_weights",
    "polish_unit",
    "UNIT_OBJECTIVES",
    "EXACT_SPARSITY_INPUTS",
    "EXACT_SPARSITY_LPS",
]

UNIT_OBJECTIVES = ("margin", "sparsity")
# HiGHS QP iterations for a unit of m rows and n inputs: QP_ITERATIONS + 20 (m + n); a QP
# that needs more (a rare degenerate one ran for minutes) gives way to the LP's weights
QP_ITERATIONS = 1000
# units with at most this many inputs get a proven-minimal support (LP per support tried) ...
EXACT_SPARSITY_INPUTS = 12
# ... unless that needs more LPs than this (then the L1 support, not proven minimal)
EXACT_SPARSITY_LPS = 1024


@dataclass
class ObjectiveResult:
    """One unit's weights under an objective.

    Attributes
    ----------
    separable : True (proved by ``weights``, checked exactly), False (a Farkas certificate
        checked exactly) or None (no exact verdict).
    weights : (n + 1,) float64, bias last.
    margin : geometric margin ``min t*z / ||w[:-1]||_2`` of ``weights``.
    normalized_margin : ``margin / R``, ``R`` the largest input norm (see the module).
    nonzeros : nonzero input weights (the bias is not counted).
    verified : the weights separate exactly and in the network's float order.
    method : how the weights were found (``qp``, ``lp``, ``support search``, ``l1``...).
    proven : for sparsity, the support is proven minimal; for margin, True when the
        weights are the QP's optimum (``method == "qp"``).
    """

    separable: bool | None
    weights: np.ndarray
    margin: float
    normalized_margin: float
    nonzeros: int
    verified: bool
    method: str
    proven: bool = False


def _radius(A: np.ndarray, s: np.ndarray) -> float:
    """``max_i ||x_i||_2`` over the rows with ``s > 0`` (1 when none or all zero); each norm
    by ``math.hypot`` (no BLAS, no vectorized reduction: the same on every machine)."""
    r = max((math.hypot(*row) for row in A[s > 0].tolist()), default=0.0)
    return r if r > 0 else 1.0


def normalized_margin(inputs, targets, weights, sample_weight=None) -> float:
    """``min_i t_i z_i / (||w[:-1]||_2 R)``, ``R = max_i ||x_i||_2`` (samples with weight > 0).

    Negative when some sample is on the wrong side; ``inf`` for zero input weights that
    get every target right (a constant unit).

    Parameters
    ----------
    inputs : (n_samples, n_features) array
        The unit's inputs.
    targets : (n_samples,) array of +1/-1
        The unit's targets.
    weights : (n_features + 1,) array
        The unit's weights, bias last.
    sample_weight : (n_samples,) array, optional
        Samples of weight 0 are left out.

    Returns
    -------
    float

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[0.0], [2.0]])
    >>> normalized_margin(X, [-1, 1], np.array([1.0, -1.0]))
    0.5
    """
    A, t, s = prepare(inputs, targets, sample_weight)
    w = np.asarray(weights, dtype=np.float64).ravel()
    return _normalized(A, t, s, w)


def _normalized(A, t, s, w, radius: float | None = None) -> float:
    """Normalized margin of ``w``; ``radius`` when the caller has :func:`_radius` already.

    ``min t*z`` comes from the numba kernel (the network's summation order, no BLAS), so a
    search that ranks states by it decides the same way on every machine."""
    if not (s > 0).any():
        return math.inf
    _, _, mn = unit_errors(A, t, s, np.ascontiguousarray(w, dtype=np.float64))
    return margin_of(w, mn) / (_radius(A, s) if radius is None else radius)


def nonzero_weights(weights) -> int:
    """Nonzero input weights of a unit (``weights`` with the bias last; the bias not counted).

    Parameters
    ----------
    weights : (n_features + 1,) array
        The unit's weights, bias last.

    Returns
    -------
    int
    """
    w = np.asarray(weights).ravel()
    return int(np.count_nonzero(w[:-1]))


def _result(A, t, s, w, separable, method, proven=False) -> ObjectiveResult:
    w = np.ascontiguousarray(w, dtype=np.float64)
    verified = bool(separable) and separates_exactly(A, t, s, w)
    return ObjectiveResult(
        separable,
        w,
        _geometric(A, t, s, w),
        _normalized(A, t, s, w),
        nonzero_weights(w),
        verified,
        method,
        proven and verified,
    )


def _geometric(A, t, s, w) -> float:
    if not (s > 0).any():
        return math.inf
    return margin_of(w, unit_errors(A, t, s, w)[2])


def _qp(A: np.ndarray, t: np.ndarray, budget: Budget | None = None) -> np.ndarray | None:
    """Hard-margin SVM weights on the rows of ``A`` (scaled by a power of two for HiGHS)."""
    top = float(np.abs(A).max(initial=0.0))
    e = int(np.frexp(top)[1]) if top > 0 else 0
    A1 = np.hstack([np.ldexp(A, -e), np.ones((A.shape[0], 1))])
    q = _qp_max_margin(A1, t.astype(np.float64), QP_ITERATIONS + 20 * sum(A.shape), budget)
    if q is None or not np.all(np.isfinite(q)):
        return None
    q[:-1] = np.ldexp(q[:-1], -e)
    return q


def _verdict(A, t, s, budget: Budget | None = None):
    """The exact LP verdict on the constraining rows: (separable, weights on all columns)."""
    keep = s > 0
    if keep.all():
        sep, w, _ = lp_separate(A, t, max_margin=False, budget=budget)
    else:
        sep, w, _ = lp_separate(A[keep], t[keep], max_margin=False, budget=budget)
    return sep, w


def max_margin(
    inputs, targets, sample_weight=None, budget: Budget | None = None
) -> ObjectiveResult:
    """The maximum-margin separator of one unit (hard-margin L2 SVM), verified exactly.

    Parameters
    ----------
    inputs : array of shape (m, n)
    targets : array of shape (m,), values -1 or +1
    sample_weight : array of shape (m,), default=None
        Samples with weight 0 do not constrain the unit (a hard margin has no use for
        other weights).
    budget : Budget, default=None
        Checked inside large LP and QP solves (:class:`~hardtarget.budget.Budget`).

    Returns
    -------
    ObjectiveResult
        ``separable`` is the exact LP's verdict; when separable, ``weights`` maximize
        ``min t*z / ||w[:-1]||_2`` (``method="qp"``), or are the LP's verified weights
        (``method="lp"``, maximum margin under ``max(|w_j|, |b|) <= 1``) when the QP's
        answer does not verify exactly.  When not separable, the LP's weights.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[0.0, 0.0], [0.0, 1.0], [3.0, 0.0], [3.0, 1.0]])
    >>> r = max_margin(X, [-1, -1, 1, 1])
    >>> r.verified, round(r.margin, 6), r.nonzeros
    (True, 1.5, 1)
    """
    A, t, s = prepare(inputs, targets, sample_weight)
    sep, w = _verdict(A, t, s, budget)
    if not sep:
        return _result(A, t, s, w, sep, "lp")
    keep = s > 0
    if not keep.any():
        return _result(A, t, s, np.zeros(A.shape[1] + 1), True, "qp", proven=True)
    q = _qp(A[keep], t[keep], budget)
    if q is not None and separates_exactly(A, t, s, q):
        return _result(A, t, s, q, True, "qp", proven=True)
    return _result(A, t, s, w, True, "lp")


def _l1_weights(A: np.ndarray, t: np.ndarray) -> np.ndarray | None:
    """``min sum |w_j| s.t. t_i (w . x_i + b) >= 1`` (the L1 SVM without slack)."""
    from scipy.optimize import linprog

    m, n = A.shape
    tA = A * t[:, None].astype(np.float64)
    # variables: u (n) >= 0, v (n) >= 0, b free;  -t_i((u - v) . x_i + b) <= -1
    A_ub = -np.hstack([tA, -tA, t[:, None].astype(np.float64)])
    c = np.r_[np.ones(2 * n), 0.0]
    bounds = [(0, None)] * (2 * n) + [(None, None)]
    res = linprog(c, A_ub=A_ub, b_ub=-np.ones(m), bounds=bounds, method="highs")
    if res.status != 0 or res.x is None:
        return None
    x = res.x
    return np.r_[x[:n] - x[n : 2 * n], x[-1]]


def _on_support(A, t, s, S: np.ndarray, budget: Budget | None = None) -> np.ndarray | None:
    """Maximum-margin weights using only the inputs ``S`` (zeros elsewhere), if they verify."""
    keep = s > 0
    n = A.shape[1]
    sub = np.ascontiguousarray(A[keep][:, S])
    if len(S) == 0:
        q = None
        tk = t[keep]
        if np.all(tk > 0) or np.all(tk < 0):
            q = np.array([1.0 if tk[0] > 0 else -1.0])
    else:
        q = _qp(sub, t[keep], budget)
        if q is None or not separates_exactly(sub, t[keep], np.ones(len(sub)), q):
            sep, wl, _ = lp_separate(sub, t[keep], max_margin=False, budget=budget)
            q = wl if sep else None
    if q is None:
        return None
    w = np.zeros(n + 1)
    w[S] = q[:-1]
    w[-1] = q[-1]
    return w if separates_exactly(A, t, s, w) else None


def sparse_weights(
    inputs,
    targets,
    sample_weight=None,
    exact_inputs: int = EXACT_SPARSITY_INPUTS,
    max_lps: int = EXACT_SPARSITY_LPS,
    budget: Budget | None = None,
) -> ObjectiveResult:
    """Separating weights with the fewest nonzero input weights, verified exactly.

    Parameters
    ----------
    inputs : array of shape (m, n)
    targets : array of shape (m,), values -1 or +1
    sample_weight : array of shape (m,), default=None
        Samples with weight 0 do not constrain the unit.
    exact_inputs : int, default=EXACT_SPARSITY_INPUTS
        Units with at most this many inputs get a proven-minimal support: every support
        smaller than the answer is refuted by the exact LP (a Farkas certificate checked
        in rational arithmetic), for real weights.
    max_lps : int, default=EXACT_SPARSITY_LPS
        Give up the proof (keep the L1 answer) when it would take more LPs than this.
    budget : Budget, default=None
        Checked inside large LP and QP solves (:class:`~hardtarget.budget.Budget`).

    Returns
    -------
    ObjectiveResult
        ``nonzeros`` the support size, ``proven`` True when minimal; the weights on the
        support are its maximum-margin ones.  Else the support of the L1-minimizing LP
        (``method="l1"``), not proven minimal.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[-1.0, -1, 1], [-1, 1, -1], [1, -1, -1], [1, 1, 1]])
    >>> r = sparse_weights(X, [-1, -1, 1, 1])
    >>> r.nonzeros, r.proven, r.verified
    (1, True, True)
    """
    A, t, s = prepare(inputs, targets, sample_weight)
    sep, w = _verdict(A, t, s, budget)
    if not sep:
        return _result(A, t, s, w, sep, "lp")
    keep = s > 0
    n = A.shape[1]
    best, method = w, "lp"
    l1 = _l1_weights(A[keep], t[keep]) if keep.any() else np.zeros(n + 1)
    if l1 is not None:
        top = float(np.abs(l1[:-1]).max(initial=0.0))
        S = np.flatnonzero(np.abs(l1[:-1]) > 1e-9 * top) if top > 0 else np.array([], int)
        ws = _on_support(A, t, s, S, budget)
        if ws is not None:
            best, method = ws, "l1"
        elif separates_exactly(A, t, s, l1):
            best, method = l1, "l1"
    upper = nonzero_weights(best)
    if n > exact_inputs or upper == 0:
        return _result(A, t, s, best, True, method, proven=upper == 0)
    lps = sum(math.comb(n, k) for k in range(upper))
    if lps > max_lps:
        return _result(A, t, s, best, True, method)
    sub_rows = A[keep]
    for k in range(upper):
        for cols in itertools.combinations(range(n), k):
            S = np.array(cols, dtype=np.intp)
            if k == 0:
                tk = t[keep]
                ok = bool(np.all(tk > 0) or np.all(tk < 0))
            else:
                ok_v, _, _ = lp_separate(
                    np.ascontiguousarray(sub_rows[:, S]), t[keep], False, budget=budget
                )
                if ok_v is None:
                    return _result(A, t, s, best, True, method)  # no exact verdict: no proof
                ok = bool(ok_v)
            if ok:
                ws = _on_support(A, t, s, S, budget)
                if ws is None:
                    return _result(A, t, s, best, True, method)
                return _result(A, t, s, ws, True, "support search", proven=True)
    return _result(A, t, s, best, True, "support search", proven=True)


def polish_unit(
    objective: str, inputs, targets, sample_weight=None, budget: Budget | None = None
) -> ObjectiveResult:
    """:func:`max_margin` (``objective="margin"``) or :func:`sparse_weights` (``"sparsity"``).

    Parameters
    ----------
    objective : {"margin", "sparsity"}
        Which weights to choose.
    inputs : (n_samples, n_features) array
        The unit's inputs.
    targets : (n_samples,) array of +1/-1
        The unit's targets.
    sample_weight : (n_samples,) array, optional
        Per-sample weights (0 leaves a sample out).
    budget : Budget, optional
        Checked inside large LP and QP solves (:class:`~hardtarget.budget.Budget`).

    Returns
    -------
    ObjectiveResult
    """
    if objective == "margin":
        return max_margin(inputs, targets, sample_weight, budget)
    if objective == "sparsity":
        return sparse_weights(inputs, targets, sample_weight, budget=budget)
    raise HardTargetError(
        f"unknown unit objective {objective!r}; valid: {', '.join(UNIT_OBJECTIVES)}"
    )
