"""The unit-solver interface: one perceptron subproblem in, one UnitResult out."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..errors import HardTargetError
from ..problem import check_inputs
from ._kernels import check_unit, unit_errors

__all__ = ["UnitResult", "prepare"]


@dataclass
class UnitResult:
    """Outcome of training one unit on inputs ``A`` (m x n) and ±1 targets ``t``.

    Attributes
    ----------
    separable : True (proved by the weights), False (proved by ``certificate``) or
        None (unknown: a heuristic solver that did not find a separator, or an exact
        solver whose proofs did not check exactly).  Both proofs are checked in exact
        arithmetic (:mod:`hardtarget.units.exact`); weights that prove separability also
        give ``t * z > 0`` in the network's own float forward pass.
    weights : (n + 1,) float64, bias last; the best weights found.
    margin : ``min_i t_i z_i / ||w[:-1]||`` over the weighted samples (negative if
        some are misclassified; ``inf`` if ``w[:-1] = 0`` and all are right).
    errors : samples with ``t_i z_i <= 0`` (sign(0) = -1 counts z = 0 as wrong for t = +1).
    iterations : epochs (perceptron, hinge) or LP/QP solves.
    certificate : for ``separable is False``, ``lambda >= 0`` summing to 1 with
        ``sum_i lambda_i t_i [x_i, 1] = 0`` up to float rounding: an exact certificate
        exists on its support (:func:`hardtarget.check_certificate_support`), and
        :func:`hardtarget.exact_certificate` gives its exact rationals, which pass
        :func:`hardtarget.check_certificate`.
    solver : name of the solver that produced the verdict.

    Parameters
    ----------
    info : dict
        Solver-specific details.

    Examples
    --------
    >>> import hardtarget as ht
    >>> u = ht.solve_unit([[0.0], [1.0], [2.0]], [-1, 1, 1])
    >>> u.separable, u.errors
    (True, 0)
    """

    separable: bool | None
    weights: np.ndarray
    margin: float
    errors: int
    iterations: int
    certificate: np.ndarray | None = None
    solver: str = ""
    info: dict = field(default_factory=dict)


def prepare(inputs, targets, sample_weight=None):
    """Validate a unit subproblem; return float64 A, int8 t and float64 s."""
    if (
        type(inputs) is np.ndarray
        and inputs.dtype == np.float64
        and inputs.ndim == 2
        and inputs.flags.c_contiguous
        and inputs.shape[0] > 0
        and inputs.shape[1] > 0
    ):
        A = inputs  # already in shape; finiteness is checked below, with the targets
    else:
        A = check_inputs(inputs, "unit inputs")
    t = targets if isinstance(targets, np.ndarray) else np.asarray(targets)
    if t.ndim == 2 and t.shape[1] == 1:
        t = t[:, 0]
    if t.ndim != 1 or t.shape[0] != A.shape[0]:
        raise HardTargetError(
            f"unit targets must be a vector of length {A.shape[0]} (one per input row), "
            f"got shape {t.shape}"
        )
    if t.dtype.kind in "biuf":
        code = check_unit(A, t)
        if code == 1:
            check_inputs(A, "unit inputs")  # raises the NaN/inf message
        bad = code == 2
    else:
        bad = np.count_nonzero((t == 1) | (t == -1)) != t.shape[0]
    if bad:
        raise HardTargetError("unit targets must be -1 or +1; map {0,1} labels with 2*t - 1")
    if t.dtype != np.int8 or not t.flags.c_contiguous:
        t = np.ascontiguousarray(t, dtype=np.int8)
    if sample_weight is None:
        s = np.empty(A.shape[0])  # (empty + fill: a third of np.ones' time at this size)
        s.fill(1.0)
    else:
        s = np.asarray(sample_weight, dtype=np.float64)
        if s.shape != (A.shape[0],):
            raise HardTargetError(f"sample_weight must have shape ({A.shape[0]},), got {s.shape}")
        if not np.all(np.isfinite(s)) or np.any(s < 0):
            raise HardTargetError("sample_weight must be finite and >= 0")
    return A, t, s


def margin_of(w, mn) -> float:
    """Geometric margin ``min t*z / ||w[:-1]||`` (``inf`` for zero weights that are all right)."""
    return margin_from(w[:-1].tolist(), float(mn))


def margin_from(head: list, mn: float) -> float:
    """:func:`margin_of` from the weights without the bias as a list of floats (saves a
    conversion per unit when many units are wrapped at once)."""
    norm = math.hypot(*head)  # exact scaling inside: no overflow for huge weights
    if norm > 0:
        return mn / norm
    return np.inf if mn > 0 else mn


def finish(A, t, s, w, separable, iterations, solver, certificate=None, info=None) -> UnitResult:
    """Measure errors and margin of ``w`` and wrap everything in a UnitResult."""
    errors, _, mn = unit_errors(A, t, s, w)
    return UnitResult(
        separable,
        w,
        margin_of(w, mn),
        int(errors),
        int(iterations),
        certificate,
        solver,
        {} if info is None else info,
    )
