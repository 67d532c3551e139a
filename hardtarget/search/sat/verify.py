"""Verify a target setting with the SAT encodings and cross-check the LP verifier."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ...errors import HardTargetError
from ...feasibility import FeasibilityReport, layer_problems, verify_targets
from ...problem import Problem
from ...status import REAL_WEIGHTS, Status
from ...targets import as_target_setting
from ._common import distinct_problem
from .cpsat import CpNetwork, check_weight_bound

if TYPE_CHECKING:
    from .pysat_bnn import PySatNetwork

__all__ = ["sat_verify", "SatVerifyReport"]


@dataclass
class SatVerifyReport:
    """Per-unit verdicts of the encodings next to the LP's.

    ``units`` holds one dict per unit: ``layer``, ``unit``, ``sat`` (the encoding
    found weights in its class), ``lp`` (the LP verifier's verdict), ``exact`` (the
    encoding's weight class is complete for real weights on these inputs) and
    ``weights`` (the encoding's integer weights, bias last, if found) and
    ``weight_class`` (what its "no fit" rules out, e.g. ``integer weights bounded by 7``).
    ``agree`` is True when no unit contradicts the LP: an exact unit must give the
    LP's verdict, any unit the encoding separates must be separable.  ``feasible`` is
    True when the encoding fits every unit; :attr:`status` and :attr:`scope` say what a
    False means, :attr:`verdict` says it in words.
    """

    feasible: bool
    exact: bool
    agree: bool
    units: list
    lp: FeasibilityReport

    @property
    def status(self) -> Status:
        """``feasible`` when the encoding fits every unit, else ``infeasible`` (within
        :attr:`scope`)."""
        return Status.FEASIBLE if self.feasible else Status.INFEASIBLE

    @property
    def scope(self) -> str | None:
        """What an ``infeasible`` rules out: ``real weights`` when a unit with no fit has an
        encoding exact for real weights (a proof), else the weight classes of the units
        with no fit (nothing follows for real weights: the LP verifier decides); None when
        feasible."""
        if self.feasible:
            return None
        missed = [u for u in self.units if not u["sat"]]
        if any(u["exact"] for u in missed):
            return REAL_WEIGHTS
        return ", ".join(sorted({u["weight_class"] for u in missed}))

    @property
    def verdict(self) -> str:
        """``feasible``; ``infeasible`` (a proof for real weights); or ``infeasible for
        <weight class>`` (no fit only within the encoding's weight class, on its integer
        image of the inputs)."""
        scope = self.scope
        if scope is None or scope == REAL_WEIGHTS:
            return self.status.value
        return f"{self.status.value} for {scope}"


def sat_verify(
    problem: Problem,
    targets,
    activation: str = "sign",
    backend: str = "cpsat",
    weights: str | None = None,
    weight_bound: int | str = "auto",
    time_limit: float | None = None,
) -> SatVerifyReport:
    """Check every unit of a target setting with a SAT encoding and with the LP.

    Parameters
    ----------
    problem, targets, activation : as for :func:`hardtarget.verify_targets`.
    backend : ``cpsat`` (integer weights bounded by ``weight_bound``; ``auto`` is
        complete for Boolean inputs) or ``pysat`` (binary or ternary weights).
    weights : ``integer``, ``binary`` or ``ternary`` (default: integer for cpsat,
        binary for pysat).
    time_limit : seconds per unit.
    weight_bound : int or "auto", default="auto"
        Bound on the integer weights of ``cpsat``.

    Examples
    --------
    >>> import numpy as np
    >>> import hardtarget as ht
    >>> p = ht.load_problem("xor")
    >>> T1 = np.stack(
    ...     [np.where(p.X.sum(1) > 1, 1, -1), np.where(p.X.sum(1) > -1, 1, -1)], 1
    ... )  # AND, OR
    >>> r = sat_verify(p, [T1])
    >>> r.feasible, r.exact, r.agree
    (True, True, True)
    """
    if backend not in ("cpsat", "pysat"):
        raise HardTargetError(f"unknown SAT backend {backend!r}; valid: cpsat, pysat")
    weights = weights or ("integer" if backend == "cpsat" else "binary")
    weight_bound = check_weight_bound(weight_bound)
    ts = as_target_setting(targets, problem.n_samples)
    lp = verify_targets(problem, ts, activation=activation, solver="lp")
    units = []
    for d, (A, T) in enumerate(layer_problems(problem, ts, activation), start=1):
        for j in range(T.shape[1]):
            rows = distinct_problem(A, T[:, j])
            net: CpNetwork | PySatNetwork
            if backend == "cpsat":
                net = CpNetwork(
                    rows, (), activation, weights, weight_bound, "feasibility", symmetry=False
                )
                exact = bool(net.exact[0])
                weight_class = REAL_WEIGHTS if exact else net.proof_kind
                if not net.inputs.exact:
                    weight_class += " on inputs rounded to integers"
            else:
                from .pysat_bnn import PySatNetwork

                net = PySatNetwork(rows, (), activation, weights)
                exact = False
                weight_class = net.proof_kind
            out = net.solve(time_limit)
            if out.status is Status.UNKNOWN:
                raise HardTargetError(
                    f"the {backend} check of layer {d} unit {j} hit the time limit; "
                    "raise time_limit"
                )
            sat = out.status is not Status.INFEASIBLE
            lp_ok = lp.units[d - 1][j].separable
            units.append(
                {
                    "layer": d,
                    "unit": j,
                    "sat": sat,
                    "lp": lp_ok,
                    "exact": exact,
                    "weight_class": weight_class,
                    "weights": out.solution.weights[0][:, 0].tolist() if out.solution else None,
                }
            )
    agree = all((u["sat"] == u["lp"]) if u["exact"] else (u["lp"] or not u["sat"]) for u in units)
    feasible = all(u["sat"] for u in units)
    return SatVerifyReport(feasible, all(u["exact"] for u in units), agree, units, lp)
