"""Backend ``pysat``: binary/ternary-weight networks as CNF for CaDiCaL or Glucose.

Weights are Booleans: ``v`` (binary, ``w = ±1``) or ``nz, s`` (ternary, ``w = 0`` or
``±1``).  Each input term ``w_k a_k`` becomes two exclusive literals ``P_k`` (term = +1)
and ``N_k`` (term = -1); the bias is a unary counter ``b = sum(c) - R``.  A unit's
pre-activation ``#P - #N + b`` is then a cardinality: ``z >= 1`` iff
``#P + #not N + #c >= 1 + R + n_i`` (``n_i`` the terms present at point ``i``), and
``z <= 0`` iff that count is ``<= R + n_i``.  With ±1 inputs and binary weights
``P_k = (v_k == a_k)``, ``N_k = not P_k`` and it reduces to the classic BNN neuron
``#agree >= C`` with a unary threshold ``C``.  A target that is a variable ``h``
switches the two directions (each clause extended by ``not h`` or ``h``).  First-layer
inputs that are integers but not Boolean use pseudo-Boolean constraints (pysat.pb)
with the bias in binary.
"""

from __future__ import annotations

import numpy as np

from ...budget import Budget
from ...errors import HardTargetError
from ...status import Status
from ._common import (
    Rows,
    Solution,
    SolverResult,
    boolean_kind,
    integer_inputs,
    pysat_module,
    sat_solve,
)

__all__ = ["PySatNetwork", "ENCODINGS"]

ENCODINGS = ("seqcounter", "totalizer", "sortnetwrk", "cardnetwrk", "mtotalizer", "kmtotalizer")


class PySatNetwork:
    """CNF of a network with binary or ternary weights (feasibility only)."""

    def __init__(
        self,
        rows: Rows,
        hidden: tuple,
        activation: str = "sign",
        weights: str = "binary",
        symmetry: bool = True,
        encoding: str = "seqcounter",
        solver: str = "glucose4",
        fixed_hidden: list | None = None,
        budget: Budget | None = None,
    ):
        if weights not in ("binary", "ternary"):
            raise HardTargetError(
                f"the pysat backend trains binary or ternary weights, got {weights!r}"
            )
        if encoding not in ENCODINGS:
            raise HardTargetError(
                f"unknown cardinality encoding {encoding!r}; valid: {', '.join(ENCODINGS)}"
            )
        card = pysat_module("pysat.card")
        formula = pysat_module("pysat.formula")
        self.solvers = pysat_module("pysat.solvers")
        self.card, self.enc = card, getattr(card.EncType, encoding)
        self.pool = formula.IDPool()
        self.clauses: list = []
        self.rows, self.hidden, self.act, self.weights = rows, tuple(hidden), activation, weights
        self.solver_name = solver
        self.budget = budget  # checked while building (it raises when it says stop)
        self.trivially_infeasible = bool(rows.mixed.any())
        u = len(rows.U)
        if fixed_hidden is not None:
            self.H = [np.asarray(T) > 0 for T in fixed_hidden]
        else:
            self.H = [
                np.array([[self._new() for _ in range(w)] for _ in range(u)], dtype=object)
                for w in hidden
            ]
        self.y = rows.pos > 0
        self.units: list = []
        kind = boolean_kind(rows.U)
        for d in range(len(self.hidden) + 1):
            targets = self.H[d] if d < len(self.hidden) else self.y.reshape(-1, 1)
            if d == 0 and kind is None:
                self.units.append(self._pb_layer(targets))
            else:
                A = rows.U.astype(np.int64) if d == 0 else self.H[d - 1]
                if (
                    d > 0 and A.dtype != object
                ):  # fixed hidden targets: the values they feed forward
                    A = np.where(A, 1, -1 if activation == "sign" else 0).astype(np.int64)
                layer_kind = kind if d == 0 and kind is not None else activation
                self.units.append(self._card_layer(A, layer_kind, targets))
        if symmetry and activation == "sign" and fixed_hidden is None:
            self._break_symmetry()

    # -- helpers ------------------------------------------------------------------------
    def _new(self) -> int:
        return self.pool.id()

    def _and(self, lits: list) -> int:
        g = self._new()
        self.clauses += [[-g, a] for a in lits] + [[g] + [-a for a in lits]]
        return g

    def _xnor(self, a: int, b: int) -> int:
        g = self._new()
        self.clauses += [[-g, -a, b], [-g, a, -b], [g, a, b], [g, -a, -b]]
        return g

    def _weight(self) -> tuple:
        if self.weights == "binary":
            return (self._new(),)
        return self._new(), self._new()  # (sign, nonzero)

    def _terms(self, w: tuple, x: int, kind: str, const: bool) -> tuple[int, int] | None:
        """Literals (P, N) of the term ``w * x`` (None when it is always 0); ``x`` a value or
        a literal."""
        if const:
            if x == 0:
                return None
            s = w[0] if x > 0 else -w[0]
            if len(w) == 1:
                return s, -s
            return self._and([w[1], s]), self._and([w[1], -s])
        if kind == "sign":
            s = self._xnor(w[0], x)
            if len(w) == 1:
                return s, -s
            return self._and([w[1], s]), self._and([w[1], -s])
        nz = [x] if len(w) == 1 else [x, w[1]]  # step input: the term is 0 when x is off
        return self._and(nz + [w[0]]), self._and(nz + [-w[0]])

    def _constrain(self, clauses: list, target, positive: bool) -> None:
        if isinstance(target, (bool, np.bool_)):
            if bool(target) == positive:
                self.clauses += clauses
            return
        guard = -target if positive else target
        self.clauses += [c + [guard] for c in clauses]

    def _count(self, lits: list, bound: int, atleast: bool) -> list:
        fn = self.card.CardEnc.atleast if atleast else self.card.CardEnc.atmost
        return fn(lits=lits, bound=bound, vpool=self.pool, encoding=self.enc).clauses

    def _card_layer(self, A, kind: str, targets) -> list:
        u, n = A.shape
        consts = A.dtype != object
        units = []
        for j in range(targets.shape[1]):
            W = [self._weight() for _ in range(n)]
            classic = self.weights == "binary" and kind == "sign"
            K = n + 1 if classic else 2 * n + 1
            c = [self._new() for _ in range(K)]
            self.clauses += [[-c[k + 1], c[k]] for k in range(K - 1)]  # unary: c_{k+1} -> c_k
            units.append((W, c, "classic" if classic else "general", n))
            for i in range(u):
                if self.budget is not None:
                    self.budget.check()
                each = [self._terms(W[k], int(A[i, k]), kind, consts) for k in range(n)]
                terms = [tm for tm in each if tm is not None]
                if classic:  # #agree + #not c >= K  <=>  #agree >= C
                    lits, lo = [tm[0] for tm in terms] + [-x for x in c], K
                else:  # #P + #not N + #c >= 1 + R + n_i with b = #c - R, R = n
                    lits, lo = (
                        [tm[0] for tm in terms] + [-tm[1] for tm in terms] + c,
                        1 + n + len(terms),
                    )
                self._constrain(self._count(lits, lo, True), targets[i, j], True)
                self._constrain(self._count(lits, lo - 1, False), targets[i, j], False)
        return units

    def _pb_layer(self, targets) -> list:
        pb = pysat_module("pysat.pb")
        inp = integer_inputs(self.rows.U.astype(np.float64))
        if not inp.exact:
            raise HardTargetError(
                "the pysat backend needs integer inputs (Boolean ones use cardinality "
                "constraints); scale and round X, or use backend='cpsat'"
            )
        A = inp.Xq
        u, n = A.shape
        S = int(np.abs(A).max(axis=0).sum())
        nbits = max(1, int(2 * S + 1).bit_length())
        units = []
        for j in range(targets.shape[1]):
            W = [self._weight() for _ in range(n)]
            beta = [self._new() for _ in range(nbits)]
            units.append((W, beta, "pb", S))
            for i in range(u):
                if self.budget is not None:
                    self.budget.check()
                lits, coefs, const = [], [], -S  # z = sum coef*lit + const
                for k in range(n):
                    a = int(A[i, k])
                    if a == 0:
                        continue
                    if len(W[k]) == 1:  # a * (2v - 1)
                        lits.append(W[k][0])
                        coefs.append(2 * a)
                        const -= a
                    else:  # a * (nz*s - nz*(1-s)) = a*(2 P - nz) with P = nz and s
                        p = self._and([W[k][1], W[k][0]])
                        lits += [p, W[k][1]]
                        coefs += [2 * a, -a]
                lits += beta
                coefs += [1 << b for b in range(nbits)]
                for positive in (True, False):
                    if positive:
                        cnf = pb.PBEnc.atleast(
                            lits=lits, weights=coefs, bound=1 - const, vpool=self.pool
                        )
                    else:
                        cnf = pb.PBEnc.atmost(
                            lits=lits, weights=coefs, bound=-const, vpool=self.pool
                        )
                    self._constrain(cnf.clauses, targets[i, j], positive)
        return units

    def _break_symmetry(self) -> None:
        for H in self.H:
            self.clauses += [[-H[0, j]] for j in range(H.shape[1])]
        # (no count ordering here: cardinality comparisons between columns cost more than they save)

    # -- solving ------------------------------------------------------------------------
    def solve(
        self,
        time_limit: float | None = None,
        seed: int = 0,
        workers: int = 1,
        budget: Budget | None = None,
    ) -> SolverResult:
        """Run the SAT solver: ``optimal`` with a solution, ``infeasible``, or ``unknown``
        when ``time_limit`` or the budget stopped it (``seed`` and ``workers`` are CP-SAT's)."""
        if self.trivially_infeasible:
            return SolverResult.trivially_infeasible()
        import time

        t0 = time.perf_counter()
        with self.solvers.Solver(name=self.solver_name, bootstrap_with=self.clauses) as s:
            left = (
                None if time_limit is None else time_limit - (time.perf_counter() - t0)
            )  # loading counts
            ok = (
                None
                if left is not None and left <= 0
                else sat_solve(s, self.solver_name, left, budget=budget)
            )
            model = s.get_model() if ok else None
        status = {True: Status.OPTIMAL, False: Status.INFEASIBLE, None: Status.UNKNOWN}[ok]
        out = SolverResult(
            status,
            status.value.upper(),
            wall_time=time.perf_counter() - t0,
            stats={"clauses": len(self.clauses), "variables": self.pool.top},
        )
        if model is not None:
            on = np.zeros(self.pool.top + 2, dtype=bool)
            mv = np.asarray(model)
            on[mv[mv > 0]] = True
            lit = np.vectorize(
                lambda v: bool(v) if isinstance(v, (bool, np.bool_)) else bool(on[v]), otypes=[bool]
            )
            out.solution = Solution(
                [np.where(lit(H), 1, -1).astype(np.int8) for H in self.H],
                np.where(self.y, 1, -1).astype(np.int8),
                [
                    np.array([self._decode(unit, on) for unit in layer], dtype=np.int64).T
                    for layer in self.units
                ],
            )
        return out

    @staticmethod
    def _decode(unit, on) -> list:
        W, c, mode, n = unit
        w = [(1 if on[x[0]] else -1) * (1 if len(x) == 1 or on[x[1]] else 0) for x in W]
        if mode == "classic":
            return w + [n + 1 - 2 * int(on[c].sum())]
        if mode == "general":
            return w + [int(on[c].sum()) - n]
        return w + [sum(1 << b for b, x in enumerate(c) if on[x]) - n]

    @property
    def proof_kind(self) -> str:
        return f"{self.weights} weights"
