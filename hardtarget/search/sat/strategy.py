"""Strategy ``sat``: exact training of a whole network by CP-SAT or PySAT."""

from __future__ import annotations

import numpy as np

from ...errors import HardTargetError
from ...params import resolved_value
from ...status import Status
from ...targets import TargetSetting
from ..base import RUN_SCOPE, BudgetExhausted, Interrupted, SearchContext, Strategy
from ..first_pass import local_fit, staircase_fit
from ..params import Param
from ..scale import CP_TERM_BYTES, Footprint, distinct_count, local_footprint
from ._common import SolverResult, distinct_problem
from .cpsat import OBJECTIVES, WEIGHTS, CpNetwork, check_weight_bound
from .orbits import all_quadruples, first_layer_orbits

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


# the summable clauses: distinct rows and clauses at most (measured: three-fold fewer
# conflicts on parity-5; finding the quadruples costs seconds on hundreds of rows)
MAX_SUMMABLE_ROWS = 32
MAX_SUMMABLE_CLAUSES = 100_000

# The first pass (``first_pass=True``, cpsat): the full model for at most QUICK_WORK of
# CP-SAT's deterministic work units (small problems end there); the local pass of
# :mod:`..first_pass`; the model without unit order, hinted, for at most FIRST_WORK
# units.  Each CP-SAT stage gets at most FIRST_SHARE of the time left.
QUICK_WORK = 0.05
FIRST_WORK = 0.25
FIRST_SHARE = 0.25


def remaining(ctx: SearchContext, reserve: float = 0.1) -> float | None:
    """Seconds left for a solver call (keeps ``reserve`` for evaluating its answer)."""
    b = ctx.budget
    left = b.remaining()
    if left is None:
        return None
    left -= min(reserve, 0.05 * b.time_limit)
    if left <= 0:
        ctx.budget.check()
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
    order : (cpsat) how ``symmetry`` orders the units: ``lex`` (target columns in
        lexicographic order; default), ``count`` (by their number of +1 targets).
    first_pass : (cpsat) look for a fit before the full model: two short continuous
        relaxations (``anneal`` init) whose best sign network, evaluated exactly, hints
        CP-SAT; then CP-SAT on the model without the unit-order constraints, for a small
        fixed amount of its deterministic work.  An answer it completes (a fit or a
        proof) is final; otherwise its best targets hint the full model.
    solver : PySAT solver name (``glucose4``, default, or ``cadical195``, which PySAT
        cannot interrupt at a time limit; ...).
    encoding : PySAT cardinality encoding (``seqcounter``, ``totalizer``, ``sortnetwrk``,
        ``cardnetwrk``, ``mtotalizer``, ``kmtotalizer``).
    orbits : (cpsat, sign units) the first hidden unit's targets are one of the orbit
        minima of a unit's target columns under the point symmetries of the labelled
        data (see :mod:`.orbits`; integer inputs, up to 32 distinct rows, not with
        ``order="count"``); ``info["orbit_representatives"]`` says how many (0: not used).
    summable : (cpsat) no first-layer unit targets four distinct rows with
        ``x_a + x_b = x_c + x_d`` as ``+ + - -`` (clauses implied by the weights; integer
        inputs, up to 32 distinct rows, the first 100,000 clauses);
        ``info["summable_quadruples"]`` says how many quadruples.

    The network returned is the evaluator's (each unit re-solved exactly for the
    solver's targets); the solver's own integer weights are in ``info["integer_weights"]``.
    seed : int or None, default=None
        Seed of the strategy's random choices (``solve(seed=...)`` sets it).
    """

    name = "sat"
    exact = True
    proof_scope = RUN_SCOPE  # the weight class of the model: info["proof"]
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
        "order": Param("str", "cpsat: unit order for symmetry", choices=("lex", "count")),
        "first_pass": Param("bool", "cpsat: a short search for a fit before the full model"),
        "solver": Param("str", "PySAT SAT solver (--solver is the unit solver)", choices=SOLVERS),
        "orbits": Param("bool", "cpsat: the first hidden unit's targets are an orbit minimum"),
        "summable": Param("bool", "cpsat: no first-layer unit labels x_a+x_b=x_c+x_d as ++--"),
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
        order: str = "lex",
        first_pass: bool = True,
        solver: str = "glucose4",
        encoding: str = "seqcounter",
        orbits: bool = True,
        summable: bool = True,
    ):
        self.seed = seed
        self.backend = backend
        self.objective = objective
        self.weights = weights
        self.weight_bound = weight_bound
        self.hint = hint
        self.workers = workers
        self.symmetry = symmetry
        self.order = order
        self.first_pass = first_pass
        self.solver = solver
        self.encoding = encoding
        self.orbits = orbits
        self.summable = summable

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

    def footprint(self, evaluator) -> Footprint:
        """:meth:`Strategy.footprint` plus the CP-SAT model (terms per row, unit, input).

        Parameters
        ----------
        evaluator : Evaluator
            The run's problem and hidden widths.

        Returns
        -------
        Footprint
        """
        p = evaluator.problem
        u = distinct_count(p.X)
        widths = [p.n_features, *evaluator.hidden, 1]
        # per row and unit: its reified pre-activation (two constraints of n_in + 1 terms);
        # a unit on hidden inputs also has one product variable and two constraints per input
        terms = u * sum(
            h * (2 * (n + 1) + (3 * n if d else 0))
            for d, (n, h) in enumerate(zip(widths[:-1], widths[1:]))
        )
        cells = u * sum(evaluator.hidden)
        products = u * sum(h * n for n, h in zip(widths[1:-1], widths[2:]))
        return Footprint(
            local_footprint(evaluator).bytes + CP_TERM_BYTES * terms,
            f"a CP-SAT model of {terms:,} constraint terms",
            variables=cells + products + u,
        )

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
        ctx.budget.check()
        return ts

    def run(self, ctx: SearchContext):
        ev = ctx.evaluator
        p = ev.problem
        rows = distinct_problem(p.X, p.t)
        info = ctx.info
        info.update(backend=self.backend, objective=self.objective, weights=self.weights)
        hint = self._hint(ctx)
        fits = self.objective != "sparsity" and self.weights == "integer"  # zero errors end it
        if ctx.solved() and fits:
            return self._more_fits(
                ctx, rows, (Status.OPTIMAL, "zero training errors (the hint already fits)")
            )
        if self.backend == "cpsat":
            quads = self._find_quadruples(ctx, rows)
            extra = {"quadruples": quads, "orbits": self._find_orbits(ctx, rows, quads)}
            out = self._staged(ctx, rows, hint, extra) if self.first_pass else None
            if out is None:
                out = self._cpsat(ctx, rows, hint, self.order, extra)
        else:
            from .pysat_bnn import PySatNetwork

            net = PySatNetwork(
                rows,
                ev.hidden,
                ev.activation.name,
                resolved_value(self.weights, "SatSearch.weights"),
                self.symmetry,
                self.encoding,
                self.solver,
                budget=ctx.budget,
            )
            info["proof"] = net.proof_kind
            ctx.budget.check()
            out = self._solve(ctx, rows, net)
        return self._more_fits(ctx, rows, self._verdict(ctx, out))

    def _find_quadruples(self, ctx: SearchContext, rows) -> np.ndarray | None:
        """The ``summable`` quadruples of the distinct rows (None: not used)."""
        U = rows.U
        found = None
        small = len(U) <= MAX_SUMMABLE_ROWS and np.all(U == np.round(U))
        if self.summable and ctx.evaluator.hidden and small:
            limit = MAX_SUMMABLE_CLAUSES // (2 * ctx.evaluator.hidden[0])
            found = all_quadruples(U, limit, ctx.budget)  # the first ones: still implied
        ctx.info["summable_quadruples"] = 0 if found is None else len(found)
        return found

    def _find_orbits(self, ctx: SearchContext, rows, quads):
        """The first hidden unit's orbit minima (None: not used); their count in ``info``."""
        ev = ctx.evaluator
        found = None
        usable = self.symmetry is False or self.order != "count"
        if self.orbits and usable and ev.hidden and ev.activation.name == "sign":
            found = first_layer_orbits(ev.problem.X, ev.problem.t, rows, quadruples=quads)
            if found is not None:  # its enumeration took a while
                ctx.budget.check()
        ctx.info["orbit_representatives"] = 0 if found is None else len(found.representatives)
        return found

    def _more_fits(self, ctx: SearchContext, rows, verdict: tuple) -> tuple[str, str]:
        """A search objective (margin, sparsity) after a fit: CP-SAT's feasibility model
        with every fit found so far forbidden (in the model's canonical unit order), solved
        again until no fit is left, ``OBJECTIVE_FITS`` were examined or the budget ends;
        the best by the objective is kept (cpsat backend, objective option not sparsity)."""
        best = ctx.best
        if (
            not ctx.prefers
            or best is None
            or best.errors != 0
            or self.backend != "cpsat"
            or self.objective == "sparsity"
            or not ctx.evaluator.hidden
        ):
            return verdict
        ev = ctx.evaluator
        first_rows = np.unique(rows.inv, return_index=True)[1]
        net = CpNetwork(
            rows,
            ev.hidden,
            ev.activation.name,
            resolved_value(self.weights, "SatSearch.weights"),
            self.weight_bound,
            "feasibility",
            self.symmetry,
            order=self.order,
            budget=ctx.budget,
        )
        state = best
        while ctx.want_more(state):
            net.block([T[first_rows] for T in state.targets.layers])
            ctx.budget.check()
            out = net.solve(remaining(ctx), seed=self.seed, workers=self.workers, budget=ctx.budget)
            if out.status is Status.INFEASIBLE:
                break
            sol = out.solution
            if sol is None:
                raise BudgetExhausted(f"solver stopped ({out.solver_status}) at the time limit")
            y = np.asarray(sol.y[rows.inv], dtype=np.int8).reshape(-1, 1)
            state = ctx.record(TargetSetting([T[rows.inv] for T in sol.hidden]), y)
        status, message = verdict
        return status, f"{message}; {ctx.fits_note()}"

    def _staged(self, ctx: SearchContext, rows, hint, extra: dict) -> SolverResult | None:
        """The first pass; the solver's answer once one is final, else None (the best
        targets so far then hint the full model).  ``extra``: the model's quadruples and
        orbits (see :meth:`_cpsat`)."""
        fit_ends = self.weights == "integer" and self.objective != "sparsity"
        if hint is None and fit_ends and staircase_fit(ctx):
            return self._integer_weights(ctx, rows, "staircase first pass")
        out = self._cpsat(ctx, rows, hint, self.order, extra, QUICK_WORK)
        if self._final(ctx, out):
            return out
        if hint is None and local_fit(ctx) and fit_ends:
            return self._integer_weights(ctx, rows)
        hint = ctx.best.targets if ctx.best is not None else hint
        out = self._cpsat(ctx, rows, hint, None, extra, FIRST_WORK)
        if self._final(ctx, out):
            ctx.info["found_by"] = "first pass without unit order"
            return out
        ctx.info["hint"] = "first pass" if ctx.best is not None else None
        return None

    def _final(self, ctx: SearchContext, out: SolverResult) -> bool:
        """A proof, or (objectives other than sparsity) a fit."""
        zero = ctx.best is not None and ctx.best.errors == 0
        return out.status.decided or (
            out.status is Status.FEASIBLE and zero and self.objective != "sparsity"
        )

    def _integer_weights(
        self, ctx: SearchContext, rows, found_by: str = "local first pass"
    ) -> SolverResult:
        """A first pass fits: CP-SAT finds integer weights for its targets (each unit
        alone); the answer is OPTIMAL (zero errors) even when the weight bound is too small."""
        ev = ctx.evaluator
        first_rows = np.unique(rows.inv, return_index=True)[1]
        net = CpNetwork(
            rows,
            ev.hidden,
            ev.activation.name,
            "integer",
            self.weight_bound,
            "feasibility",
            symmetry=False,
            fixed_hidden=[T[first_rows] for T in ctx.incumbent.targets.layers],
            output=ev.problem.t[first_rows],
            budget=ctx.budget,
        )
        ctx.info.setdefault("proof", net.proof_kind)  # the staircase comes before any model
        self._solve(ctx, rows, net)
        ctx.info["found_by"] = found_by
        return SolverResult(Status.OPTIMAL, "OPTIMAL")

    def _cpsat(self, ctx: SearchContext, rows, hint, order, extra: dict, work=None) -> SolverResult:
        """Build and solve the CP-SAT model (``extra``: its ``quadruples`` and first-unit
        ``orbits``, found once per run; ``work``: a first-pass stage of that much work)."""
        ev = ctx.evaluator
        net = CpNetwork(
            rows,
            ev.hidden,
            ev.activation.name,
            resolved_value(self.weights, "SatSearch.weights"),
            self.weight_bound,
            resolved_value(self.objective, "SatSearch.objective"),
            self.symmetry,
            order=order,
            budget=ctx.budget,
            orbits=extra["orbits"],
            quadruples=extra["quadruples"],
        )
        if hint is not None:
            first_rows = np.unique(rows.inv, return_index=True)[1]
            net.add_hint([T[first_rows] for T in hint.layers], ev.problem.t[first_rows])
        ctx.info["weight_bounds"] = net.bounds
        ctx.info["proof"] = net.proof_kind
        ctx.budget.check()
        if work is None:
            return self._solve(ctx, rows, net)
        left = remaining(ctx)
        return self._solve(ctx, rows, net, None if left is None else FIRST_SHARE * left, work)

    def _solve(
        self, ctx: SearchContext, rows, net, time_limit=None, work_limit=None
    ) -> SolverResult:
        """Run a model; record its answer; stop on a signal unless it decided."""
        info = ctx.info
        limit = remaining(ctx) if time_limit is None else time_limit
        kw = {} if work_limit is None else {"work_limit": work_limit}
        out = net.solve(limit, seed=self.seed, workers=self.workers, budget=ctx.budget, **kw)
        info["solver_status"] = out.solver_status
        info["solver_time"] = info.get("solver_time", 0.0) + (out.wall_time or 0.0)
        for k in ("objective", "bound", "reason"):
            if getattr(out, k) is not None:
                info[k] = getattr(out, k)
        sol = out.solution
        if sol is not None:
            y = np.asarray(sol.y[rows.inv], dtype=np.int8).reshape(-1, 1)
            hidden = TargetSetting([T[rows.inv] for T in sol.hidden])
            state = ctx.record(hidden, output_targets=y)
            if state.loss <= ctx.incumbent.loss:
                info["integer_weights"] = [W.tolist() for W in sol.weights]
        if ctx.interrupted and not out.status.decided:
            raise Interrupted("interrupted by the user")
        return out

    def _verdict(self, ctx: SearchContext, out: SolverResult) -> tuple[Status, str]:
        st = out.solver_status
        best = ctx.best
        scope = ctx.info["proof"]
        if out.status is Status.INFEASIBLE:
            return Status.INFEASIBLE, (
                f"proved: no network with hidden widths {ctx.evaluator.hidden} "
                f"and {scope} fits the data"
            )
        sparse = self.objective == "sparsity"
        zero = best is not None and best.errors == 0
        if out.status is Status.OPTIMAL or (out.status is Status.FEASIBLE and zero and not sparse):
            best = ctx.incumbent  # (CP-SAT's answer was evaluated)
            if best.errors == 0:
                return Status.OPTIMAL, f"zero training errors ({scope}; solver {st.lower()})"
            return (
                Status.INFEASIBLE,
                f"proved: with {scope} the minimum is {best.errors} training error(s)",
            )
        if best is not None and best.errors == 0:  # sparsity not proven minimal
            return Status.FEASIBLE, (
                f"zero training errors; fewest nonzero weights not proven ({st.lower()})"
            )
        raise BudgetExhausted(f"solver stopped ({st}) at the time limit")
