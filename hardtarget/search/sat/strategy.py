"""Strategy ``sat``: exact training of a whole network by CP-SAT or PySAT."""

from __future__ import annotations

import numpy as np

from ...errors import HardTargetError
from ...targets import TargetSetting
from ..base import BudgetExhausted, Interrupted, SearchContext, Strategy
from ..params import Param
from ._common import distinct_problem
from .cpsat import OBJECTIVES, WEIGHTS, CpNetwork, check_weight_bound

__all__ = ["SatSearch", "remaining", "BACKENDS"]

BACKENDS = ("cpsat", "pysat")
SOLVERS = (
    "glucose4",
    "glucose42",
    "glucose3",
    "cadical195",
    "cadical153",
    "cadical103",
    "cadical300",
    "gluecard3",
    "gluecard4",
    "lingeling",
    "maplechrono",
    "maplecm",
    "maplesat",
    "mergesat3",
    "minicard",
    "minisat22",
    "minisatgh",
)  # PySAT's names (cadical cannot be interrupted)


def remaining(ctx: SearchContext, reserve: float = 0.1) -> float | None:
    """Seconds left for a solver call (keeps ``reserve`` for evaluating its answer)."""
    tl = ctx.budget.time_limit
    if tl is None:
        return None
    left = tl - ctx.elapsed - min(reserve, 0.05 * tl)
    if left <= 0:
        ctx.check_budget()
        left = 0.01
    return left


class SatSearch(Strategy):
    """Train a whole network exactly with a SAT/CP-SAT model of all its units.

    Parameters
    ----------
    backend : ``cpsat`` (OR-Tools CP-SAT; integer, binary or ternary weights) or
        ``pysat`` (binary or ternary weights as cardinality constraints; CaDiCaL/Glucose).
    objective : ``errors`` (fewest training errors; cpsat default), ``feasibility`` (zero
        errors or a proof that none exists; pysat default) or ``sparsity`` (zero errors,
        fewest nonzero weights; cpsat only).
    weights : ``integer`` (cpsat default; bounded by ``weight_bound``), ``binary`` {-1,1}
        (pysat default), ``ternary`` {-1,0,1}.
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
    params = {
        "backend": Param("str", "SAT backend", choices=BACKENDS),
        "objective": Param(
            "str", "what to solve for (None: the backend's default)", choices=OBJECTIVES, none=True
        ),
        "weights": Param(
            "str", "weight class (None: the backend's default)", choices=WEIGHTS, none=True
        ),
        "weight_bound": Param("int", "integer weight bound", low=1, choices=("auto",)),
        "hint": Param(
            "object",
            "None, an init method (random, ftprop-mb, anneal) or a TargetSetting",
            none=True,
        ),
        "workers": Param("int", "CP-SAT workers (1: deterministic)", low=1),
        "symmetry": Param("bool", "break hidden-unit negation and permutation symmetry"),
        "solver": Param("str", "PySAT solver", choices=SOLVERS),
        "encoding": Param(
            "str",
            "PySAT cardinality encoding",
            choices=(
                "seqcounter",
                "totalizer",
                "sortnetwrk",
                "cardnetwrk",
                "mtotalizer",
                "kmtotalizer",
            ),
        ),
    }

    def __init__(
        self,
        seed: int = 0,
        backend: str = "cpsat",
        objective: str | None = None,
        weights: str | None = None,
        weight_bound: int | str = "auto",
        hint=None,
        workers: int = 1,
        symmetry: bool = True,
        solver: str = "glucose4",
        encoding: str = "seqcounter",
    ):
        self.seed = seed
        self.backend = backend
        self.objective = objective
        self.weights = weights
        self.weight_bound = weight_bound
        self.hint = hint
        self.workers = workers
        self.symmetry = symmetry
        self.solver = solver
        self.encoding = encoding

    def check_params(self) -> None:
        if self.weights is None:
            self.weights = "integer" if self.backend == "cpsat" else "binary"
        if self.objective is None:
            self.objective = "errors" if self.backend == "cpsat" else "feasibility"
        if self.backend == "pysat" and self.weights == "integer":
            raise HardTargetError(
                "the pysat backend trains binary or ternary weights; use "
                "weights='binary' or 'ternary', or backend='cpsat' for integer "
                "weights"
            )
        if self.backend == "pysat" and self.objective != "feasibility":
            raise HardTargetError(
                "the pysat backend decides feasibility only; use backend='cpsat' "
                f"for objective={self.objective!r}"
            )
        self.weight_bound = check_weight_bound(self.weight_bound)

    def check(self, evaluator) -> None:
        if evaluator.loss != "errors":
            raise HardTargetError("the sat strategy minimizes training errors; use loss='errors'")

    def _hint(self, ctx: SearchContext):
        if self.hint is None:
            return None
        if not isinstance(self.hint, TargetSetting):
            return ctx.start_state(str(self.hint)).targets
        ts = ctx.evaluator.check(self.hint)
        ctx.record(ts)  # the run's first state: a best so far even if a signal came
        ctx.check_budget()
        return ts

    def run(self, ctx: SearchContext):
        ev = ctx.evaluator
        p = ev.problem
        rows = distinct_problem(p.X, p.t)
        info = ctx.info
        info.update(backend=self.backend, objective=self.objective, weights=self.weights)
        hint = self._hint(ctx)
        if ctx.solved() and self.objective != "sparsity" and self.weights == "integer":
            return "optimal", "zero training errors (the hint already fits)"
        if self.backend == "cpsat":
            net = CpNetwork(
                rows,
                ev.hidden,
                ev.activation.name,
                self.weights,
                self.weight_bound,
                self.objective,
                self.symmetry,
                tick=ctx.check_budget,
            )
            if hint is not None:
                first = np.unique(rows.inv, return_index=True)[1]
                net.add_hint([T[first] for T in hint.layers], p.t[first])
            info["weight_bounds"] = net.bounds
        else:
            from .pysat_bnn import PySatNetwork

            net = PySatNetwork(
                rows,
                ev.hidden,
                ev.activation.name,
                self.weights,
                self.symmetry,
                self.encoding,
                self.solver,
                tick=ctx.check_budget,
            )
        info["proof"] = net.proof_kind
        ctx.check_budget()
        out = net.solve(
            remaining(ctx), seed=self.seed, workers=self.workers, on_signal=ctx.on_signal
        )
        info["solver_status"] = out["status"]
        info["solver_time"] = out.get("wall_time")
        for k in ("objective", "bound", "reason"):
            if k in out:
                info[k] = out[k]
        if "hidden" in out:
            info["integer_weights"] = [W.tolist() for W in out["weights"]]
            y = np.asarray(out["y"][rows.inv], dtype=np.int8).reshape(-1, 1)
            ctx.record(TargetSetting([T[rows.inv] for T in out["hidden"]]), output_targets=y)
        if ctx.interrupted and out["status"] not in ("OPTIMAL", "INFEASIBLE"):
            raise Interrupted("interrupted by the user")
        return self._verdict(ctx, out)

    def _verdict(self, ctx: SearchContext, out: dict) -> tuple[str, str]:
        st = out["status"]
        best = ctx.best
        scope = ctx.info["proof"]
        if st == "INFEASIBLE":
            ctx.info["proof_kind"] = _proof_kind(scope)
            return "infeasible", (
                f"proved: no network with hidden widths {ctx.evaluator.hidden} "
                f"and {scope} fits the data"
            )
        sparse = self.objective == "sparsity"
        zero = best is not None and best.errors == 0
        if st == "OPTIMAL" or (st == "FEASIBLE" and zero and not sparse):
            if best.errors == 0:
                return "optimal", f"zero training errors ({scope}; solver {st.lower()})"
            ctx.info["proof_kind"] = _proof_kind(scope)
            return (
                "infeasible",
                f"proved: with {scope} the minimum is {best.errors} training error(s)",
            )
        if best is not None and best.errors == 0:  # sparsity not proven minimal
            return "feasible", (
                f"zero training errors; fewest nonzero weights not proven ({st.lower()})"
            )
        raise BudgetExhausted(f"solver stopped ({st}) at the time limit")


def _proof_kind(scope: str) -> str:
    """``"proof"`` for real weights (what ``min_width`` counts as proven), else what it covers."""
    return "proof" if scope == "real weights" else f"proof for {scope}"
