"""Target proposers for ``sat-lp``: Boolean models of the targets alone.

A proposer holds one variable per hidden target (distinct row x unit) and, when errors
are minimized, one per output target.  ``propose`` returns targets that satisfy every
clause added so far; ``forbid`` adds a clause saying that at least one listed variable
differs from its listed value.

``separate`` adds an implied constraint: two rows whose output targets differ must have
different codes in every hidden layer (else the units after it cannot tell them apart).

``CpProposer`` re-solves a CP-SAT model each round (errors minimized directly).
``SatProposer`` keeps one incremental SAT solver (Glucose by default: PySAT can interrupt
it): learned clauses survive between rounds, and errors are minimized by tightening a
totalizer bound on the output mistakes each time a proposal checks out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ...budget import Budget, BudgetExhausted
from ...errors import HardTargetError
from ...status import Status
from ._common import (
    TICK_EVERY,
    Rows,
    cp_break_symmetry,
    cp_model,
    pysat_module,
    sat_solve,
    solve_stoppable,
    solver_status,
    status_name,
    ticking,
)

__all__ = ["Proposal", "CpProposer", "SatProposer", "PROPOSERS", "MAX_TOTALIZER", "separate"]

MAX_TOTALIZER = 2 * 10**7  # clauses of the error-bound totalizer (memory: ~1 GB at this size)


@dataclass
class Proposal:
    """A proposer's answer.

    Parameters
    ----------
    status : Status
        ``feasible`` (targets satisfying every clause so far), ``infeasible`` (none is
        left: the clauses are unsatisfiable) or ``unknown`` (a limit or signal stopped it).
    hidden : list of ndarray or None
        Per hidden layer, (u, n_d) ±1 int8 targets on the distinct rows.
    y : ndarray or None
        (u,) ±1 output targets.
    optimal : bool
        No better proposal exists under the current clauses.
    """

    status: Status
    hidden: list | None = None
    y: np.ndarray | None = None
    optimal: bool = False


class CpProposer:
    """CP-SAT: minimizes errors itself; every round is a fresh solve (hinted)."""

    def __init__(
        self,
        rows: Rows,
        hidden: tuple,
        objective: str,
        symmetry: bool,
        seed: int,
        workers: int,
        budget: Budget | None = None,
    ):
        cp = cp_model()
        self.cp, self.m = cp, cp.CpModel()
        m, u = self.m, len(rows.U)
        self.H = [
            np.array(
                [[m.new_bool_var("") for _ in range(w)] for _ in ticking(range(u), budget)],
                dtype=object,
            )
            for w in hidden
        ]
        self.errors = objective == "errors"
        if self.errors:
            self.y = np.array([m.new_bool_var("") for _ in range(u)], dtype=object)
            m.minimize(
                sum(
                    int(rows.pos[i]) * (1 - self.y[i]) + int(rows.neg[i]) * self.y[i]
                    for i in range(u)
                )
            )
        else:
            self.y = rows.pos > 0
            if rows.mixed.any():
                m.add_bool_or([])
        self.unit_order = "count" if symmetry else None  # (cp_break_symmetry's default)
        if symmetry:
            cp_break_symmetry(m, self.H)
        self.solver = cp.CpSolver()
        self.solver.parameters.random_seed = int(seed)
        self.solver.parameters.num_workers = int(workers)

    def forbid(self, pairs: list) -> None:
        self.m.add_bool_or([v.negated() if val else v for v, val in pairs])

    def new_var(self):
        return self.m.new_bool_var("")

    def propose(self, time_limit: float | None, budget: Budget | None = None) -> Proposal:
        s = self.solver
        if time_limit is not None:
            s.parameters.max_time_in_seconds = time_limit
        st = solver_status(status_name(self.cp, solve_stoppable(s, self.m, budget)))
        if not st.success:  # infeasible, or unknown
            return Proposal(st)
        val = np.vectorize(s.boolean_value, otypes=[bool])
        hidden = [np.where(val(Hd), 1, -1).astype(np.int8) for Hd in self.H]
        y = val(self.y) if self.errors else self.y
        self.m.clear_hints()
        for Hd in self.H:
            for v in Hd.ravel():
                self.m.add_hint(v, s.boolean_value(v))
        return Proposal(
            Status.FEASIBLE,
            hidden,
            np.where(y, 1, -1).astype(np.int8),
            st is Status.OPTIMAL or not self.errors,
        )

    def tighten(self, errors: int) -> None:  # CP-SAT optimizes on its own
        pass


class SatProposer:
    """Incremental SAT (PySAT): clauses and learned clauses persist across rounds."""

    def __init__(
        self,
        rows: Rows,
        hidden: tuple,
        objective: str,
        symmetry: bool,
        seed: int,
        workers: int,
        solver: str = "glucose4",
        proof: bool = False,
        budget: Budget | None = None,
    ):
        formula = pysat_module("pysat.formula")
        solvers = pysat_module("pysat.solvers")
        self.pool = pool = formula.IDPool()
        self.budget, self._added = budget, 0
        u = len(rows.U)
        self.H = [
            np.array(
                [[pool.id() for _ in range(w)] for _ in ticking(range(u), budget)], dtype=object
            )
            for w in hidden
        ]
        self.errors = objective == "errors"
        # every clause, for a proof's DIMACS file
        self.clauses: list[list[int]] | None = [] if proof else None
        self.sat = solvers.Solver(name=solver, with_proof=proof)
        self.solver_name = solver
        self.bound_lit: int | None = None
        self.tot: Any = None  # pysat's ITotalizer, once a bound is set
        if self.errors:
            self.y = np.array([pool.id() for _ in range(u)], dtype=object)
            self.mistakes = [-int(self.y[i]) for i in range(u) for _ in range(int(rows.pos[i]))] + [
                int(self.y[i]) for i in range(u) for _ in range(int(rows.neg[i]))
            ]
        else:
            self.y = rows.pos > 0
            if rows.mixed.any():
                self._add([pool.id()])
                self._add([-pool.top])
        self.unit_order = "lex" if symmetry else None
        if symmetry:
            for Hd in self.H:
                for j in range(Hd.shape[1]):
                    self._add([-int(Hd[0, j])])
                for j in range(Hd.shape[1] - 1):
                    self._lex(Hd[1:, j], Hd[1:, j + 1])

    def _lex(self, a, b) -> None:
        """Column ``a <=_lex b`` (False < True), with prefix-equality literals ``e``."""
        e = self.pool.id()
        self._add([e])
        for ai, bi in zip(a, b):
            ai, bi = int(ai), int(bi)
            nxt = self.pool.id()
            self._add([-e, -ai, bi])
            self._add([-e, -ai, nxt])
            self._add([-e, bi, nxt])
            e = nxt

    def _add(self, clause: list) -> None:
        self._added += 1
        if self.budget is not None and self._added % TICK_EVERY == 0:
            self.budget.check()
        if self.clauses is not None:
            self.clauses.append(clause)
        self.sat.add_clause(clause)

    def forbid(self, pairs: list) -> None:
        self._add([-int(v) if val else int(v) for v, val in pairs])

    def proof_files(self, path: str) -> tuple[list[tuple[str, str]], int]:
        """After UNSAT: the DRAT proof of unsatisfiability (``path``) and the formula
        (``path + ".cnf"``, DIMACS), as ``(path, text)`` pairs for one file set, and the
        proof's line count."""
        if self.clauses is None:
            raise HardTargetError("proof files need the proposer made with proof=True")
        top = max((abs(v) for c in self.clauses for v in c), default=0)
        cnf = f"p cnf {top} {len(self.clauses)}\n" + "".join(
            " ".join(map(str, c)) + " 0\n" for c in self.clauses
        )
        lines = self.sat.get_proof() or []
        return [(path, "".join(line + "\n" for line in lines)), (path + ".cnf", cnf)], len(lines)

    def new_var(self) -> int:
        return self.pool.id()

    def tighten(self, errors: int) -> None:
        """From now on propose only targets with fewer than ``errors`` output mistakes.

        The totalizer counts up to the first ``errors`` (later bounds are lower); it has
        about ``samples x errors`` clauses, so a bound past ``MAX_TOTALIZER`` ends the
        search (``BudgetExhausted``) with the best network so far.
        """
        if self.tot is None:
            size = len(self.mistakes) * max(errors, 1)
            if size > MAX_TOTALIZER:
                raise BudgetExhausted(
                    f"bounding {errors} errors over {len(self.mistakes)} samples needs about "
                    f"{size:.1e} clauses (limit {MAX_TOTALIZER:.0e}); the lazy SAT search "
                    "stops here: try strategy 'sat-lp' with backend='cpsat', or a heuristic"
                )
            card = pysat_module("pysat.card")
            self.tot = card.ITotalizer(lits=self.mistakes, ubound=errors, top_id=self.pool.top)
            self.pool.occupy(
                self.pool.top + 1, self.tot.top_id
            )  # later ids come after the totalizer's
            for c in self.tot.cnf.clauses:
                self._add(c)
        self.bound_lit = -self.tot.rhs[errors - 1] if errors >= 1 else None
        if self.clauses is not None and self.bound_lit is not None:
            self._add([self.bound_lit])  # bounds only fall: a clause, so the proof is plain
        if errors <= 0:
            self._add([])

    def propose(self, time_limit: float | None, budget: Budget | None = None) -> Proposal:
        assume: list[int] = [] if self.bound_lit is None else [self.bound_lit]
        ok = sat_solve(self.sat, self.solver_name, time_limit, assume, budget)
        if ok is None:
            return Proposal(Status.UNKNOWN)
        if not ok:
            return Proposal(Status.INFEASIBLE)
        model = np.asarray(self.sat.get_model() or [], dtype=np.int64)
        on = np.zeros(max(self.pool.top, int(np.abs(model).max(initial=0))) + 2, dtype=bool)
        on[model[model > 0]] = True
        hidden = [np.where(on[Hd.astype(np.int64)], 1, -1).astype(np.int8) for Hd in self.H]
        y = on[self.y.astype(np.int64)] if self.errors else self.y
        return Proposal(
            Status.FEASIBLE, hidden, np.where(y, 1, -1).astype(np.int8), not self.errors
        )

    def close(self) -> None:
        self.sat.delete()


def separate(prop, rows: Rows, max_units: int = 50_000) -> int:
    """Require different codes in every hidden layer for rows whose output targets differ.

    With fixed targets (``prop.y`` Boolean constants) only (positive, negative) row pairs
    count; with output variables every pair, guarded by ``y_a != y_b``.  An auxiliary
    ``e`` per pair and unit implies that the unit's targets differ.  Skipped (returns 0)
    when pairs x hidden units exceed ``max_units`` (a second at most); else returns the
    pairs constrained.
    """
    fixed = prop.y.dtype == bool
    u, units = len(rows.U), sum(Hd.shape[1] for Hd in prop.H)
    if fixed:
        pa, pb = np.flatnonzero(rows.pos > 0), np.flatnonzero(rows.neg > 0)
        n_pairs = len(pa) * len(pb)
    else:
        n_pairs = u * (u - 1) // 2
    if n_pairs * units > max_units:
        return 0
    if fixed:
        pairs = [(a, b) for a in pa for b in pb if a != b]
    else:
        pairs = list(zip(*np.triu_indices(u, 1)))
    for a, b in pairs:
        for Hd in prop.H:
            es = []
            for j in range(Hd.shape[1]):
                e = prop.new_var()
                prop.forbid([(e, True), (Hd[a, j], False), (Hd[b, j], False)])
                prop.forbid([(e, True), (Hd[a, j], True), (Hd[b, j], True)])
                es.append((e, False))
            if fixed:
                prop.forbid(es)
            else:  # y_a == y_b, or some e
                prop.forbid(es + [(prop.y[a], False), (prop.y[b], True)])
                prop.forbid(es + [(prop.y[a], True), (prop.y[b], False)])
    return len(pairs)


PROPOSERS = {"cpsat": CpProposer, "pysat": SatProposer}
