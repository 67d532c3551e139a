"""Shared pieces of the SAT encodings: solver imports, weight bounds, integer inputs."""

from __future__ import annotations

import contextlib
import importlib
import logging
import threading
import warnings
from dataclasses import dataclass, field

import numpy as np

from ...budget import Budget
from ...errors import HardTargetError
from ...status import Status
from ..dichotomies import distinct_rows

log = logging.getLogger("hardtarget.search.sat")

__all__ = [
    "cp_model",
    "cp_break_symmetry",
    "pysat_module",
    "EXACT_BOUND",
    "exact_bound",
    "boolean_kind",
    "IntInputs",
    "integer_inputs",
    "Rows",
    "distinct_problem",
    "status_name",
    "solver_status",
    "SolverResult",
    "Solution",
    "sat_solve",
    "solve_stoppable",
]

# The largest integer weight that a threshold function of n Boolean inputs needs
# (its smallest integer realization) is 1, 1, 2, 3, 5, 9 for n = 1..6 (Muroga's tables;
# Muroga's determinant bound gives the same values there).  With weights bounded by
# EXACT_BOUND[n] every threshold function of n Boolean inputs, hence every separable
# dichotomy of points of the cube, has an integer realization, so the model is
# complete for real weights.  Larger n is not claimed: "auto" then uses a plain bound.
EXACT_BOUND = (1, 1, 1, 2, 3, 5, 9)


def exact_bound(n_inputs: int) -> int | None:
    """Weight bound that makes an integer unit of ``n_inputs`` Boolean inputs complete
    (None if unknown)."""
    return EXACT_BOUND[n_inputs] if 0 <= n_inputs < len(EXACT_BOUND) else None


def cp_model():
    """The OR-Tools CP-SAT module, or an error naming what to install."""
    try:
        return importlib.import_module("ortools.sat.python.cp_model")
    except ImportError:
        raise HardTargetError(
            "the 'cpsat' backend needs OR-Tools: pip install 'ortools>=9.10' "
            "(a hardtarget dependency; "
            "reinstall hardtarget to get it)"
        ) from None


def pysat_module(name: str):
    """A PySAT submodule (``pysat.card``, ``pysat.pb``, ``pysat.solvers``), or an error
    naming the extra."""
    try:
        mod = importlib.import_module(name)
        if name == "pysat.pb":
            mod.PBEnc.atleast([1], weights=[1], bound=1)  # needs pypblib or pindakaas
        return mod
    except ImportError:
        raise HardTargetError(
            f"the 'pysat' backend needs {name}: pip install 'python-sat[pb]==1.9.dev17' "
            "(the [pb] extra brings the pseudo-Boolean encoder)"
        ) from None


def boolean_kind(A: np.ndarray) -> str | None:
    """``"sign"`` if every entry is ±1, ``"step"`` if every entry is 0 or 1, else None."""
    if np.all(np.abs(A) == 1):
        return "sign"
    if np.all((A == 0) | (A == 1)):
        return "step"
    return None


@dataclass
class IntInputs:
    """First-layer inputs as integers: ``Xq ~ scale * X``, with a rounding slack ``slack``
    per weight unit."""

    Xq: np.ndarray
    scale: float
    exact: bool  # Xq == X: no rounding

    def slack(self, weight_bound: int) -> int:
        """A margin that absorbs the rounding error of ``w . Xq`` for ``|w_k| <= weight_bound``."""
        if self.exact:
            return 0
        return int(np.ceil(0.5 * weight_bound * self.Xq.shape[1]))


def integer_inputs(X: np.ndarray, resolution: int = 1000) -> IntInputs:
    """Integers for CP-SAT: X itself when integral, else ``round(X * resolution / max|X|)``."""
    if np.all(X == np.round(X)) and np.abs(X).max() <= 1e6:
        return IntInputs(X.astype(np.int64), 1.0, True)
    s = resolution / max(float(np.abs(X).max()), 1e-300)
    return IntInputs(np.round(X * s).astype(np.int64), s, False)


@dataclass
class Rows:
    """Distinct input rows with their label counts: what the encodings see."""

    U: np.ndarray  # (u, n) distinct rows of X
    inv: np.ndarray  # (m,) row index of each sample
    pos: np.ndarray  # (u,) samples labelled +1 on each row
    neg: np.ndarray  # (u,) samples labelled -1 on each row

    @property
    def mixed(self) -> np.ndarray:
        return (self.pos > 0) & (self.neg > 0)


def distinct_problem(X: np.ndarray, t: np.ndarray) -> Rows:
    U, inv = distinct_rows(X)
    pos = np.bincount(inv, weights=(t > 0), minlength=len(U)).astype(np.int64)
    neg = np.bincount(inv, weights=(t < 0), minlength=len(U)).astype(np.int64)
    return Rows(U, inv, pos, neg)


def cp_break_symmetry(model, H_layers: list, order: str | None = "count") -> None:
    """CP-SAT: every hidden unit's target on the first row is -1 (negation symmetry), and
    the units of a layer are ordered (permutation symmetry): ``"count"`` by how many +1
    targets they have, ``"lex"`` by their target columns in lexicographic order (False <
    True, rows after the first), None not at all."""
    for H in H_layers:
        for j in range(H.shape[1]):
            model.add(H[0, j] == 0)
        if order == "count":
            counts = [sum(H[:, j]) for j in range(H.shape[1])]
            for a, b in zip(counts, counts[1:]):
                model.add(a <= b)
        elif order == "lex":
            for j in range(H.shape[1] - 1):
                _cp_lex(model, H[1:, j], H[1:, j + 1])


def _cp_lex(model, a, b) -> None:
    """Boolean columns ``a <=_lex b``; ``e`` says the prefix before row k is equal."""
    e = None  # the empty prefix is equal
    for ak, bk in zip(a, b):
        less = model.add(ak <= bk)
        if e is not None:
            less.only_enforce_if(e)
        nxt = model.new_bool_var("")
        # nxt <=> (e and ak == bk); under e, ak <= bk, so ak = 1 means equal
        head: list = [] if e is None else [e.negated()]
        model.add_bool_or([*head, ak, bk, nxt])
        model.add_bool_or([*head, ak.negated(), nxt])
        model.add(ak == bk).only_enforce_if(nxt)
        if e is not None:
            model.add_implication(nxt, e)
        e = nxt


def status_name(cp, code) -> str:
    """CP-SAT's own name for a solve's status code (``OPTIMAL``, ..., ``UNKNOWN``)."""
    return {
        cp.OPTIMAL: "OPTIMAL",
        cp.FEASIBLE: "FEASIBLE",
        cp.INFEASIBLE: "INFEASIBLE",
        cp.MODEL_INVALID: "MODEL_INVALID",
    }.get(code, "UNKNOWN")


def solver_status(name: str) -> Status:
    """A solver's status name as a :class:`~hardtarget.Status`: ``OPTIMAL``, ``FEASIBLE``
    and ``INFEASIBLE`` as themselves, anything else (a limit, a signal) ``unknown``."""
    return {
        "OPTIMAL": Status.OPTIMAL,
        "FEASIBLE": Status.FEASIBLE,
        "INFEASIBLE": Status.INFEASIBLE,
    }.get(name, Status.UNKNOWN)


@dataclass
class Solution:
    """What a solved whole-network model assigns, on the distinct rows.

    Parameters
    ----------
    hidden : list of ndarray
        Per hidden layer, the ±1 int8 targets.
    y : ndarray
        The ±1 int8 output targets.
    weights : list of ndarray
        Per layer, the integer weights (bias last row).
    """

    hidden: list
    y: np.ndarray
    weights: list


@dataclass
class SolverResult:
    """One solve of a whole-network model (CP-SAT or PySAT).

    Parameters
    ----------
    status : Status
        ``optimal`` (solved; the optimum when there is an objective), ``feasible`` (a
        solution, optimality not proven), ``infeasible`` or ``unknown`` (stopped first).
    solver_status : str
        The solver's own name for it (``OPTIMAL``, ``MODEL_INVALID``, ...), for reports.
    wall_time : float or None
        Seconds the solver ran (None when no solver ran).
    solution : Solution or None
        The targets and integer weights, when solved.
    objective, bound : float or None
        CP-SAT's objective value and best bound (models with an objective).
    reason : str or None
        Why the model is infeasible without a solve, when it is.
    stats : dict
        Solver counters (``conflicts``, ``branches``; ``clauses``, ``variables``).
    """

    status: Status
    solver_status: str
    wall_time: float | None = None
    solution: Solution | None = None
    objective: float | None = None
    bound: float | None = None
    reason: str | None = None
    stats: dict = field(default_factory=dict)

    @property
    def solved(self) -> bool:
        """True when the solver returned targets and weights."""
        return self.solution is not None

    @classmethod
    def trivially_infeasible(cls) -> SolverResult:
        """Two identical inputs carry different labels: no model can fit (no solve)."""
        return cls(
            Status.INFEASIBLE,
            "INFEASIBLE",
            reason="two identical inputs carry different labels",
        )


# CP-SAT's symmetry detection in presolve ignores the time limit and stop requests: 50 s
# on a model of 210,000 variables (parity:3 with 10,000 hidden units). The models break
# unit symmetry themselves (cp_break_symmetry), so large ones go without it.
SYMMETRY_MAX_VARIABLES = 50_000


def solve_stoppable(solver, model, budget: Budget | None = None):
    """``CpSolver.solve(model)``; with ``budget``, its cancel stops the search from another
    thread."""
    if len(model.proto.variables) > SYMMETRY_MAX_VARIABLES:
        solver.parameters.symmetry_level = 0
    if budget is None:
        return solver.solve(model)
    solver.parameters.catch_sigint_signal = False  # the engine's handler decides
    stop = solver.stop_search
    with budget.on_cancel(stop):
        # a cancel from here on stops the search (a signal's is repeated every 0.25 s)
        log.debug("CP-SAT solving: Ctrl-C stops it")
        return solver.solve(model)


def sat_solve(
    solver,
    name: str,
    time_limit: float | None,
    assumptions: list | None = None,
    budget: Budget | None = None,
):
    """Run a PySAT solver: True, False, or None when ``time_limit`` (or a cancel) interrupted it.

    PySAT cannot interrupt CaDiCaL; with a time limit it then runs to the end (a warning says so).
    A cancel of ``budget`` (Ctrl-C, SIGTERM, a portfolio) interrupts it.
    """
    assumptions = list(assumptions or [])
    if name.startswith("cadical") or (time_limit is None and budget is None):
        if time_limit is not None:
            warnings.warn(
                f"PySAT cannot interrupt {name}; the time limit is checked only between "
                "solver calls. "
                "Use solver='glucose4' for a hard time limit",
                UserWarning,
                stacklevel=3,
            )
        try:
            return solver.solve(assumptions=assumptions)
        except Exception as exc:  # PySAT turns Ctrl-C inside the solver into its own error type
            if "keyboard interrupt" in str(exc).lower():
                raise KeyboardInterrupt from None
            raise
    timer = None
    if time_limit is not None:
        timer = threading.Timer(max(float(time_limit), 0.01), solver.interrupt)
        timer.start()
    try:
        with budget.on_cancel(solver.interrupt) if budget is not None else contextlib.nullcontext():
            log.debug("%s solving: Ctrl-C stops it", name)
            return solver.solve_limited(assumptions=assumptions, expect_interrupt=True)
    finally:
        if timer is not None:
            timer.cancel()
        solver.clear_interrupt()


# rows (or clauses) between two budget checks of a model builder (a check
# may raise): on 10^5 rows a model takes tens of seconds to build
TICK_EVERY = 1024


def ticking(items, budget: Budget | None):
    """``items``, checking ``budget`` every ``TICK_EVERY`` of them (never when None)."""
    for k, item in enumerate(items):
        if budget is not None and k % TICK_EVERY == TICK_EVERY - 1:
            budget.check()
        yield item
