"""Strategy ``sat-lp``: SAT proposes targets, the exact LP checks units, certificates cut.

The Boolean model holds only targets: one variable per hidden target (distinct input
row x unit) and, when errors are minimized, one per output target.  Each round the
solver proposes targets; every unit is checked by the exact LP unit solver (inputs
``T_{d-1}``, ``T_0 = X``).  A non-separable unit comes with a Farkas certificate
``lambda >= 0``, ``sum_i lambda_i t_i [a_i, 1] = 0`` on a support ``S``: any unit whose
inputs on ``S`` are these ``a_i`` and whose targets on ``S`` are ``t_S`` (or ``-t_S``) is
non-separable too.  That becomes a clause: for a first-layer unit it forbids the
pattern ``t_S`` (and ``-t_S``) for every unit of the layer; deeper, it forbids the
combination of the previous layer's codes on ``S`` with the pattern.  The loop ends
with targets whose units are all separable (real weights, no bound) or with the
model infeasible: a proof, since every clause is implied by a certificate.
"""

from __future__ import annotations

import numpy as np

from ...errors import HardTargetError
from ...units import get_solver
from ..base import BudgetExhausted, SearchContext, Strategy
from ._common import cp_model, distinct_problem, status_name
from .strategy import record, remaining

__all__ = ["SatLP"]

_UNCHECKED = object()


class SatLP(Strategy):
    """Lazy SAT + LP search over hidden targets (real weights, exact answers).

    Parameters
    ----------
    objective : ``errors`` (fewest training errors; default) or ``feasibility``.
    symmetry : fix hidden units' first target to -1 and order units by their number
        of +1 targets (sound for real weights).
    workers : CP-SAT workers; 1 (default) is deterministic for a given seed.
    max_rounds : give up (status ``time_limit``) after this many proposals.

    ``info["certificates"]`` lists every certificate used as a cut: layer, unit,
    ``inputs`` (rows on the support), ``targets`` and ``lambda`` — each passes
    :func:`hardtarget.check_certificate` on its own.
    """

    name = "sat-lp"
    exact = True

    def __init__(self, seed: int = 0, objective: str = "errors", symmetry: bool = True, workers: int = 1,
                 max_rounds: int = 100_000):
        super().__init__(seed)
        if objective not in ("errors", "feasibility"):
            raise HardTargetError(f"sat-lp objective must be 'errors' or 'feasibility', got {objective!r}")
        if int(workers) < 1:
            raise HardTargetError(f"workers must be >= 1, got {workers}")
        self.objective, self.symmetry, self.workers = objective, bool(symmetry), int(workers)
        self.max_rounds = int(max_rounds)
        self.info: dict = {}

    def check(self, evaluator) -> None:
        if evaluator.loss != "errors":
            raise HardTargetError("the sat-lp strategy minimizes training errors; use loss='errors'")

    # -- the Boolean model ----------------------------------------------------------
    def _build(self, rows, hidden):
        cp = cp_model()
        m = cp.CpModel()
        u = len(rows.U)
        H = [np.array([[m.NewBoolVar(f"h{d}_{i}_{j}") for j in range(w)] for i in range(u)], dtype=object)
             for d, w in enumerate(hidden)]
        if self.objective == "errors":
            y = np.array([m.NewBoolVar(f"y{i}") for i in range(u)], dtype=object)
            m.Minimize(sum(int(rows.pos[i]) * (1 - y[i]) + int(rows.neg[i]) * y[i] for i in range(u)))
        else:
            y = rows.pos > 0
            if rows.mixed.any():
                m.AddBoolOr([])  # two identical inputs with both labels
        if self.symmetry:
            for Hd in H:
                for j in range(Hd.shape[1]):
                    m.Add(Hd[0, j] == 0)
                counts = [sum(Hd[:, j]) for j in range(Hd.shape[1])]
                for a, b in zip(counts, counts[1:]):
                    m.Add(a <= b)
        return cp, m, H, y

    @staticmethod
    def _differs(var, value: bool):
        """A literal true when ``var`` differs from ``value`` (None for a constant that equals it)."""
        if isinstance(var, (bool, np.bool_)):
            return None if bool(var) == value else True
        return var.Not() if value else var

    def _cut(self, m, H, y, d: int, S: np.ndarray, codes: "np.ndarray | None", t_S: np.ndarray) -> int:
        """Clauses forbidding ``t_S`` and ``-t_S`` on ``S`` for every unit of layer ``d``."""
        layer = H[d] if d < len(H) else y.reshape(-1, 1)
        base = []
        if d > 0:  # the previous layer's codes on S must differ somewhere
            base = [self._differs(H[d - 1][i, k], bool(codes[a, k] > 0)) for a, i in enumerate(S)
                    for k in range(H[d - 1].shape[1])]
        added = 0
        for sgn in (1, -1):
            for j in range(layer.shape[1]):
                lits = base + [self._differs(layer[i, j], bool(sgn * t_S[a] > 0)) for a, i in enumerate(S)]
                if any(lit is True for lit in lits):
                    continue  # already satisfied by constants
                m.AddBoolOr([lit for lit in lits if lit is not None])
                added += 1
        return added

    # -- the loop -------------------------------------------------------------------------
    def run(self, ctx: SearchContext):
        ev = ctx.evaluator
        p = ev.problem
        act = ev.activation
        rows = distinct_problem(p.X, p.t)
        cp, m, H, y = self._build(rows, ev.hidden)
        lp = get_solver("lp")
        ones = np.ones(len(rows.U))
        memo: dict = {}
        certs: list = []
        self.info = {"objective": self.objective, "proof": "real weights", "rounds": 0, "cuts": 0,
                     "certificates": certs, "lp_checks": 0}
        solver = cp.CpSolver()
        solver.parameters.random_seed = self.seed
        solver.parameters.num_workers = self.workers
        first = np.unique(rows.inv, return_index=True)[1]
        while True:
            ctx.check_budget()
            if self.info["rounds"] >= self.max_rounds:
                raise BudgetExhausted(f"max_rounds={self.max_rounds} proposals reached")
            self.info["rounds"] += 1
            left = remaining(ctx)
            if left is not None:
                solver.parameters.max_time_in_seconds = left
            code = solver.Solve(m)
            st = status_name(cp, code)
            if st == "INFEASIBLE":
                self.info["proof_kind"] = "proof"
                return "infeasible", (f"proved: no network with hidden widths {ev.hidden} fits the data "
                                      f"({len(certs)} certificates, {self.info['rounds']} rounds)")
            if st not in ("OPTIMAL", "FEASIBLE"):
                raise BudgetExhausted(f"solver stopped ({st}) at the time limit")
            T = [np.where(np.vectorize(solver.BooleanValue, otypes=[bool])(Hd), 1, -1).astype(np.int8) for Hd in H]
            yv = y if y.dtype != object else np.array([solver.BooleanValue(v) for v in y])
            yv = np.where(yv, 1, -1).astype(np.int8)
            bad = 0
            inputs = rows.U.astype(np.float64)
            for d, targets in enumerate(T + [yv.reshape(-1, 1)]):
                codes = None if d == 0 else T[d - 1]
                for j in range(targets.shape[1]):
                    t = np.ascontiguousarray(targets[:, j])
                    key = (d, None if d == 0 else codes.tobytes(), t.tobytes())
                    cert = memo.get(key, _UNCHECKED)
                    if cert is _UNCHECKED:
                        self.info["lp_checks"] += 1
                        r = lp(inputs, t, ones, max_margin=False)
                        if r.separable is None:
                            raise HardTargetError("the LP unit solver gave no verdict (numerical trouble); "
                                                  "rescale the inputs")
                        cert = None if r.separable else r.certificate
                        memo[key] = cert
                    if cert is None:
                        continue
                    bad += 1
                    S = np.flatnonzero(cert > 0)
                    certs.append({"layer": d + 1, "unit": j, "rows": first[S].tolist(),
                                  "inputs": inputs[S].tolist(), "targets": t[S].tolist(),
                                  "lambda": cert[S].tolist()})
                    self.info["cuts"] += self._cut(m, H, y, d, S, None if codes is None else codes[S], t[S])
                inputs = act.from_targets(targets)
            if bad == 0:
                record(ctx, [Td[rows.inv] for Td in T], yv[rows.inv])
                if st == "FEASIBLE":
                    raise BudgetExhausted("time limit reached before the minimum was proved")
                best = ctx.best
                if best.errors == 0:
                    return "optimal", f"zero training errors ({self.info['rounds']} rounds)"
                self.info["proof_kind"] = "proof"
                return "infeasible", (f"proved: the minimum is {best.errors} training error(s) with hidden "
                                      f"widths {ev.hidden} ({self.info['rounds']} rounds)")
            m.ClearHints()
            for Hd, Td in zip(H, T):
                for v, val in zip(Hd.ravel(), Td.ravel()):
                    m.AddHint(v, bool(val > 0))
