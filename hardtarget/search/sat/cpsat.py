"""CP-SAT model of a whole hard-threshold network on a training set.

Variables: one Boolean per hidden target (distinct input row x unit), one per output
target when training errors are minimized, and bounded integer weights and bias per
unit.  Each unit's pre-activation ``z = w . a + b`` must be ``>= 1`` where its target is
+1 and ``<= 0`` where it is -1 (``sign(0) = -1``; with integer weights and inputs that
is the margin-1 condition).  A weight times a Boolean input is linearized exactly: a
product variable ``p`` equals ``w`` when the input is on and 0 when off.
"""

from __future__ import annotations

import numpy as np

from ...budget import Budget
from ...errors import HardTargetError
from ...status import REAL_WEIGHTS
from ._common import (
    IntInputs,
    Rows,
    Solution,
    SolverResult,
    boolean_kind,
    cp_break_symmetry,
    cp_model,
    exact_bound,
    integer_inputs,
    solve_stoppable,
    solver_status,
    status_name,
    ticking,
)

__all__ = ["CpNetwork", "WEIGHTS", "OBJECTIVES", "DEFAULT_BOUND"]

WEIGHTS = ("integer", "binary", "ternary")
OBJECTIVES = ("errors", "feasibility", "sparsity")
DEFAULT_BOUND = 7  # integer weight bound where no exact one is known (real or large inputs)


class CpNetwork:
    """The network model; ``solve`` returns hidden/output targets and integer weights.

    Parameters
    ----------
    rows : distinct input rows with label counts (see ``distinct_problem``).
    hidden : hidden widths.
    activation : ``"sign"`` or ``"step"`` (what a hidden unit feeds forward).
    weights : ``integer`` (bounded by ``weight_bound``), ``binary`` {-1,1}, ``ternary`` {-1,0,1}.
    weight_bound : int, or ``"auto"``: per layer, the bound that is complete for real
        weights when the layer's inputs are Boolean and at most 6 (see ``exact_bound``), else 7.
    objective : ``errors`` (fewest training errors), ``feasibility`` or ``sparsity``
        (zero errors with the fewest nonzero weights).
    symmetry : fix every hidden unit's target on the first row to -1 (sign activation;
        sound for any weight bound) and order the units by ``order``.
    order : ``"lex"`` (target columns in lexicographic order; default), ``"count"`` (by
        their number of +1 targets) or None (negation only: finds fits sooner).
    fixed_hidden : hidden targets per distinct row (lists of ±1 arrays) to check
        instead of searching.
    orbits : :class:`~.orbits.Orbits`, optional: the first hidden unit's targets are one
        of its representatives (sign units; not with ``order="count"``): sound because
        a point symmetry of the samples maps the weight class onto itself.
    quadruples : (q, 4) rows ``(a, b, c, d)`` with ``x_a + x_b = x_c + x_d`` exactly,
        optional: no first-layer unit targets them ``+ + - -`` or ``- - + +`` (implied by
        its weights; as clauses they cut CP-SAT's search three-fold on parity-5).
    budget : :class:`~hardtarget.budget.Budget`, optional: checked once per unit and row
        while the model is built (it raises when it says stop).
    """

    def __init__(
        self,
        rows: Rows,
        hidden: tuple,
        activation: str = "sign",
        weights: str = "integer",
        weight_bound: int | str = "auto",
        objective: str = "errors",
        symmetry: bool = True,
        order: str | None = "lex",
        resolution: int = 1000,
        fixed_hidden: list | None = None,
        output: np.ndarray | None = None,
        budget: Budget | None = None,
        orbits=None,
        quadruples: np.ndarray | None = None,
    ):
        cp = cp_model()
        self.cp = cp
        self.rows, self.hidden, self.act = rows, tuple(hidden), activation
        self.weights, self.objective = weights, objective
        self.model = cp.CpModel()
        self.budget = budget  # checked while building (it raises when it says stop)
        self.trivially_infeasible = False
        self.inputs: IntInputs = integer_inputs(rows.U.astype(np.float64), resolution)
        u = len(rows.U)
        m = self.model
        # hidden targets
        if fixed_hidden is not None:
            self.H: list[np.ndarray] = [np.asarray(T) > 0 for T in fixed_hidden]
        else:
            self.H = [
                np.array(
                    [
                        [m.new_bool_var(f"h{d}_{i}_{j}") for j in range(w)]
                        for i in ticking(range(u), budget)
                    ],
                    dtype=object,
                )
                for d, w in enumerate(self.hidden)
            ]
        # output targets
        if output is not None:
            self.y = np.asarray(output).reshape(-1) > 0
            self.trivially_infeasible = False
        elif objective == "errors":
            self.y = np.array(
                [m.new_bool_var(f"y_{i}") for i in ticking(range(u), budget)], dtype=object
            )
        else:
            self.y = rows.pos > 0
            self.trivially_infeasible = bool(rows.mixed.any())
        self.bounds: list = []
        self.exact: list = []
        self.W: list = []
        self.nonzero: list = []
        n_in = rows.U.shape[1]
        kind0 = boolean_kind(rows.U) if self.inputs.exact else None
        for d in range(len(self.hidden) + 1):
            n_in = rows.U.shape[1] if d == 0 else self.hidden[d - 1]
            boolean = kind0 is not None if d == 0 else True
            B = self._bound(weight_bound, n_in, boolean)
            self.bounds.append(B)
            need = exact_bound(n_in)
            self.exact.append(weights == "integer" and boolean and need is not None and B >= need)
            targets = self.H[d] if d < len(self.hidden) else self.y.reshape(-1, 1)
            self.W.append(self._layer(d, B, targets))
        self.order = order
        self.symmetric = symmetry and activation == "sign" and fixed_hidden is None
        if self.symmetric:
            cp_break_symmetry(self.model, self.H, order)
        if quadruples is not None and fixed_hidden is None and self.H:
            H0 = self.H[0]
            for a, b, c, d in quadruples:
                for j in range(H0.shape[1]):
                    ha, hb, hc, hd = H0[a, j], H0[b, j], H0[c, j], H0[d, j]
                    m.add_bool_or([ha.negated(), hb.negated(), hc, hd])
                    m.add_bool_or([ha, hb, hc.negated(), hd.negated()])
        self.orbits = None
        if (
            orbits is not None
            and activation == "sign"
            and fixed_hidden is None
            and self.H
            and not (self.symmetric and order == "count")
        ):
            self.orbits = orbits
            self.model.add_allowed_assignments(
                list(self.H[0][:, 0]),
                [tuple(int(v) for v in R) for R in orbits.representatives],
            )
        if objective == "errors" and output is None:
            self.model.minimize(
                sum(
                    int(rows.pos[i]) * (1 - self.y[i]) + int(rows.neg[i]) * self.y[i]
                    for i in range(u)
                )
            )
        elif objective == "sparsity":
            self.model.minimize(sum(self.nonzero))

    # -- building -----------------------------------------------------------------
    def _bound(self, weight_bound, n_in: int, boolean: bool) -> int:
        if self.weights != "integer":
            return 1
        if weight_bound == "auto":
            need = exact_bound(n_in) if boolean else None
            return need if need is not None else DEFAULT_BOUND
        return int(weight_bound)

    def _weight(self, name: str, B: int):
        m = self.model
        if self.weights == "binary":
            return m.new_int_var_from_domain(self.cp.Domain.from_values([-1, 1]), name)
        w = m.new_int_var(-B, B, name)
        if self.objective == "sparsity":
            nz = m.new_bool_var(f"nz_{name}")
            m.add(w == 0).only_enforce_if(nz.negated())
            self.nonzero.append(nz)
        return w

    def _layer(self, d: int, B: int, targets) -> list:
        """Weights ``[(w_1..w_n, b)]`` of layer ``d``'s units and their target constraints."""
        m = self.model
        u = len(self.rows.U)
        first = d == 0
        if first:
            A = self.inputs.Xq
            slack = self.inputs.slack(B)
            span = B * int(np.abs(A).max(axis=0).sum()) + slack
        else:
            A = self.H[d - 1]
            slack = 0
            span = B * A.shape[1]
        const_in = first or A.dtype != object
        if not first and const_in:  # fixed hidden targets: constants in the activation's values
            A = np.where(A, 1, -1 if self.act == "sign" else 0).astype(np.int64)
        n_in = A.shape[1]
        units = []
        for j in range(targets.shape[1]):
            w = [self._weight(f"w{d}_{j}_{k}", B) for k in range(n_in)]
            b = m.new_int_var(-span, span + 1, f"b{d}_{j}")
            units.append((w, b))
            for i in range(u):
                if self.budget is not None:
                    self.budget.check()
                if const_in:
                    z = sum(int(A[i, k]) * w[k] for k in range(n_in) if A[i, k] != 0) + b
                else:
                    terms = []
                    for k in range(n_in):
                        p = m.new_int_var(-B, B, f"p{d}_{j}_{i}_{k}")
                        m.add(p == w[k]).only_enforce_if(A[i, k])
                        m.add(p == 0).only_enforce_if(A[i, k].negated())
                        terms.append(2 * p - w[k] if self.act == "sign" else p)
                    z = sum(terms) + b
                tgt = targets[i, j]
                if isinstance(tgt, (bool, np.bool_)):
                    m.add(z >= 1 + slack) if tgt else m.add(z <= -slack)
                else:
                    m.add(z >= 1 + slack).only_enforce_if(tgt)
                    m.add(z <= -slack).only_enforce_if(tgt.negated())
        return units

    def add_hint(self, layers: list, y: np.ndarray | None = None) -> None:
        """Hint hidden targets (per distinct row, ±1) and output targets; the hint's units
        are first negated and ordered as the symmetry constraints want them."""
        for H, T in zip(self.H, layers):
            if H.dtype == object:
                for v, t in zip(H.ravel(), self._canonical(np.asarray(T)).ravel()):
                    self.model.add_hint(v, bool(t > 0))
        if y is not None and self.y.dtype == object:
            for v, t in zip(self.y, np.asarray(y).ravel()):
                self.model.add_hint(v, bool(t > 0))

    def block(self, layers: list) -> None:
        """Forbid these hidden targets (per distinct row, ±1; brought to the model's
        canonical unit order first): at least one target must differ."""
        lits = []
        for H, T in zip(self.H, layers):
            if H.dtype != object:
                continue
            for v, t in zip(H.ravel(), self._canonical(np.asarray(T)).ravel()):
                lits.append(v.negated() if t > 0 else v)
        self.model.add_bool_or(lits)

    def _canonical(self, T: np.ndarray) -> np.ndarray:
        """``T`` with each unit negated to -1 on the first row and the units in ``order``
        (an equivalent network: the next layer's weights follow)."""
        if not self.symmetric:
            return T
        T = T * np.where(T[:1] > 0, -1, 1)
        if self.order == "count":
            return T[:, np.argsort((T > 0).sum(axis=0), kind="stable")]
        if self.order == "lex":
            keys = sorted(range(T.shape[1]), key=lambda j: tuple(T[1:, j] > 0))
            return T[:, keys]
        return T

    # -- solving ------------------------------------------------------------------
    def solve(
        self,
        time_limit: float | None = None,
        seed: int = 0,
        workers: int = 1,
        budget: Budget | None = None,
        work_limit: float | None = None,
    ) -> SolverResult:
        """Run CP-SAT; return status, objective, bound and (if any) the solution.

        ``work_limit`` caps CP-SAT's deterministic time (machine-independent work units,
        about seconds): a run cut by it is reproducible, one cut by ``time_limit`` is not.

        A cancel of ``budget`` (Ctrl-C, SIGTERM, a portfolio) stops the solver from
        another thread; without a budget CP-SAT catches Ctrl-C itself.
        """
        cp = self.cp
        if self.trivially_infeasible:
            return SolverResult.trivially_infeasible()
        solver = cp.CpSolver()
        prm = solver.parameters
        prm.random_seed = int(seed)
        prm.num_workers = int(workers)
        if time_limit is not None:
            prm.max_time_in_seconds = max(float(time_limit), 0.01)
        if work_limit is not None:
            prm.max_deterministic_time = float(work_limit)
        code = solve_stoppable(solver, self.model, budget)
        name = status_name(cp, code)
        out = SolverResult(
            solver_status(name),
            name,
            wall_time=solver.wall_time,
            stats={"conflicts": solver.num_conflicts, "branches": solver.num_branches},
        )
        if code in (cp.OPTIMAL, cp.FEASIBLE):
            val = solver.value
            hidden = [
                np.where(
                    np.vectorize(
                        lambda v: bool(val(v)) if not isinstance(v, (bool, np.bool_)) else v,
                        otypes=[bool],
                    )(H),
                    1,
                    -1,
                ).astype(np.int8)
                for H in self.H
            ]
            y = self.y if self.y.dtype != object else np.array([val(v) for v in self.y], dtype=bool)
            weights = [
                np.array([[val(w) for w in ws] + [val(b)] for ws, b in units], dtype=np.int64).T
                for units in self.W
            ]
            out.solution = Solution(hidden, np.where(y, 1, -1).astype(np.int8), weights)
            if self.objective != "feasibility":
                out.objective = solver.objective_value
                out.bound = solver.best_objective_bound
        return out

    @property
    def proof_kind(self) -> str:
        """What an INFEASIBLE (or a proven minimum) rules out."""
        if self.weights != "integer":
            return f"{self.weights} weights"
        if all(self.exact):
            return REAL_WEIGHTS
        return "integer weights bounded by " + "/".join(str(b) for b in self.bounds)


def check_weight_bound(weight_bound) -> int | str:
    if weight_bound == "auto":
        return weight_bound
    try:
        B = int(weight_bound)
    except (TypeError, ValueError):
        B = 0
    if B < 1 or B != weight_bound:
        raise HardTargetError(
            f"weight_bound must be an integer >= 1 or 'auto', got {weight_bound!r}"
        )
    return B
