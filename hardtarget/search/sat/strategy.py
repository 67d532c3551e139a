"""Strategy ``sat``: exact training of a whole network by CP-SAT or PySAT."""

from __future__ import annotations

import numpy as np

from ...errors import HardTargetError
from ...targets import TargetSetting
from ..base import BudgetExhausted, SearchContext, Strategy
from ._common import distinct_problem
from .cpsat import OBJECTIVES, WEIGHTS, CpNetwork, check_weight_bound

__all__ = ["SatSearch", "record", "remaining", "BACKENDS"]

BACKENDS = ("cpsat", "pysat")


def remaining(ctx: SearchContext, reserve: float = 0.1) -> "float | None":
    """Seconds left for a solver call (keeps ``reserve`` for evaluating its answer)."""
    tl = ctx.budget.time_limit
    if tl is None:
        return None
    left = tl - ctx.elapsed - min(reserve, 0.05 * tl)
    if left <= 0:
        ctx.check_budget()
        left = 0.01
    return left


def record(ctx: SearchContext, hidden: list, y: np.ndarray):
    """Evaluate a solver's targets (one state) even right at the time limit."""
    b, ev = ctx.budget, ctx.evaluator
    if b.max_states is not None and ev.states_evaluated >= b.max_states:
        raise BudgetExhausted(f"state limit of {b.max_states} reached")
    state = ev.evaluate(TargetSetting(hidden), output_targets=np.asarray(y, dtype=np.int8).reshape(-1, 1))
    ctx.offer(state)
    return state


class SatSearch(Strategy):
    """Train a whole network exactly with a SAT/CP-SAT model of all its units.

    Parameters
    ----------
    backend : ``cpsat`` (OR-Tools CP-SAT; integer, binary or ternary weights) or
        ``pysat`` (binary or ternary weights as cardinality constraints; CaDiCaL/Glucose).
    objective : ``errors`` (fewest training errors; cpsat default), ``feasibility`` (pysat default) (zero
        errors or a proof that none exists) or ``sparsity`` (zero errors, fewest nonzero
        weights; cpsat only).
    weights : ``integer`` (cpsat default; bounded by ``weight_bound``), ``binary`` {-1,1} (pysat default),
        ``ternary`` {-1,0,1}.
    weight_bound : integer >= 1, or ``auto``: per layer the bound that makes the model
        complete for real weights when the layer's inputs are Boolean (±1 or 0/1) and at
        most 6, else 7.  ``info["proof"]`` says what an ``infeasible`` rules out.
    hint : None, an init method (``random``, ``ftprop-mb``, ...) or a TargetSetting:
        its targets are evaluated first (with integer weights, a hint that already fits
        ends the search) and start CP-SAT's search (pysat ignores them).
    workers : CP-SAT workers; 1 (default) is deterministic for a given seed.
    symmetry : break hidden-unit negation and permutation symmetry.
    solver : PySAT solver name (``glucose4``, default, or ``cadical195``, which PySAT
        cannot interrupt at a time limit; ...).
    encoding : PySAT cardinality encoding (``seqcounter``, ``totalizer``, ``sortnetwrk``,
        ``cardnetwrk``, ``mtotalizer``, ``kmtotalizer``).

    The network returned is the evaluator's (each unit re-solved exactly for the
    solver's targets); the solver's own integer weights are in ``info["integer_weights"]``.
    """

    name = "sat"
    exact = True

    def __init__(self, seed: int = 0, backend: str = "cpsat", objective: "str | None" = None,
                 weights: "str | None" = None,
                 weight_bound: "int | str" = "auto", hint=None, workers: int = 1, symmetry: bool = True,
                 solver: str = "glucose4", encoding: str = "seqcounter"):
        super().__init__(seed)
        if backend not in BACKENDS:
            raise HardTargetError(f"unknown SAT backend {backend!r}; valid: {', '.join(BACKENDS)}")
        if weights is None:
            weights = "integer" if backend == "cpsat" else "binary"
        if objective is None:
            objective = "errors" if backend == "cpsat" else "feasibility"
        if objective not in OBJECTIVES:
            raise HardTargetError(f"unknown objective {objective!r}; valid: {', '.join(OBJECTIVES)}")
        if weights not in WEIGHTS:
            raise HardTargetError(f"unknown weights {weights!r}; valid: {', '.join(WEIGHTS)}")
        if backend == "pysat" and weights == "integer":
            raise HardTargetError("the pysat backend trains binary or ternary weights; use weights='binary' "
                                  "or 'ternary', or backend='cpsat' for integer weights")
        if backend == "pysat" and objective != "feasibility":
            raise HardTargetError("the pysat backend decides feasibility only; use backend='cpsat' for "
                                  f"objective={objective!r}")
        if int(workers) < 1:
            raise HardTargetError(f"workers must be >= 1, got {workers}")
        self.backend, self.objective, self.weights = backend, objective, weights
        self.weight_bound = check_weight_bound(weight_bound)
        self.hint, self.workers, self.symmetry = hint, int(workers), bool(symmetry)
        self.solver, self.encoding = solver, encoding
        self.info: dict = {}

    def check(self, evaluator) -> None:
        if evaluator.loss != "errors":
            raise HardTargetError("the sat strategy minimizes training errors; use loss='errors'")

    def _hint(self, ctx: SearchContext):
        if self.hint is None:
            return None
        ev = ctx.evaluator
        ts = self.hint if isinstance(self.hint, TargetSetting) else ev.initial_targets(ctx.rng, str(self.hint))
        ts = ev.check(ts)
        ctx.evaluate(ts)
        return ts

    def run(self, ctx: SearchContext):
        ev = ctx.evaluator
        p = ev.problem
        rows = distinct_problem(p.X, p.t)
        self.info = {"backend": self.backend, "objective": self.objective, "weights": self.weights}
        hint = self._hint(ctx)
        if ctx.solved() and self.objective != "sparsity" and self.weights == "integer":
            return "optimal", "zero training errors (the hint already fits)"
        if self.backend == "cpsat":
            net = CpNetwork(rows, ev.hidden, ev.activation.name, self.weights, self.weight_bound, self.objective,
                            self.symmetry, tick=ctx.check_budget)
            if hint is not None:
                first = np.unique(rows.inv, return_index=True)[1]
                net.add_hint([T[first] for T in hint.layers], p.t[first])
            self.info["weight_bounds"] = net.bounds
        else:
            from .pysat_bnn import PySatNetwork

            net = PySatNetwork(rows, ev.hidden, ev.activation.name, self.weights, self.symmetry, self.encoding,
                               self.solver, tick=ctx.check_budget)
        self.info["proof"] = net.proof_kind
        ctx.check_budget()
        out = net.solve(remaining(ctx), seed=self.seed, workers=self.workers)
        self.info["solver_status"] = out["status"]
        self.info["solver_time"] = out.get("wall_time")
        for k in ("objective", "bound", "reason"):
            if k in out:
                self.info[k] = out[k]
        if "hidden" in out:
            self.info["integer_weights"] = [W.tolist() for W in out["weights"]]
            record(ctx, [T[rows.inv] for T in out["hidden"]], out["y"][rows.inv])
        if out.get("interrupted"):
            raise KeyboardInterrupt
        return self._verdict(ctx, out, net)

    def _verdict(self, ctx: SearchContext, out: dict, net) -> "tuple[str, str]":
        st = out["status"]
        best = ctx.best
        scope = self.info["proof"]
        if st == "INFEASIBLE":
            self.info["proof_kind"] = _proof_kind(scope)
            return "infeasible", f"proved: no network with hidden widths {ctx.evaluator.hidden} and {scope} fits the data"
        sparse = self.objective == "sparsity"
        if st == "OPTIMAL" or (st == "FEASIBLE" and best is not None and best.errors == 0 and not sparse):
            if best.errors == 0:
                return "optimal", f"zero training errors ({scope}; solver {st.lower()})"
            self.info["proof_kind"] = _proof_kind(scope)
            return "infeasible", (f"proved: with {scope} the minimum is {best.errors} training error(s)")
        if best is not None and best.errors == 0:  # sparsity not proven minimal
            return "feasible", f"zero training errors; fewest nonzero weights not proven ({st.lower()})"
        raise BudgetExhausted(f"solver stopped ({st}) at the time limit")


def _proof_kind(scope: str) -> str:
    """``"proof"`` for real weights (what ``min_width`` counts as proven), else what it covers."""
    return "proof" if scope == "real weights" else f"proof for {scope}"
