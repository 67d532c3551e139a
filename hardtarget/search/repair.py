"""Strategy ``repair``: keep what a relaxed network learned, flip as few targets as needed.

A start (the hidden activations of a relaxed or gradient-trained network: the
``anneal`` or ``ftprop-mb`` init, or a given network or target setting) usually has
a few training errors.  ``repair`` changes as few of its hidden targets as it can to
reach an exact fit, so the exact network stays close to the one gradient training found.

1. **local**: MADALINE Rule II from the start (single and paired flips of the least
   confident hidden units of each misclassified sample, a trial kept when it lowers the
   loss); its fit gives an upper bound on the flips.
2. **exact** (one output unit): the lazy SAT + LP loop of ``sat-lp`` with the output
   targets fixed to the labels and CP-SAT minimizing the Hamming distance to the start
   targets (each distinct row weighted by its multiplicity, below the local bound): every
   proposal is LP-checked unit by unit, a non-separable unit's Farkas certificate becomes
   a cut, and the first proposal that checks out at CP-SAT's proven optimum is a fit with
   the fewest possible flips (real weights; every cut is implied by a certificate).
   No unit symmetry is broken: the start fixes each unit's order and sign.

``info["flips"]`` counts the hidden targets changed (over all samples), ``info["minimal"]``
says whether that number is proven the least, ``info["start_errors"]`` the start's errors.
"""

from __future__ import annotations

import numpy as np

from ..errors import HardTargetError
from ..network import Network
from ..status import Status
from ..targets import TargetSetting
from .base import BudgetExhausted, SearchContext, Strategy
from .init import INITS
from .local import Madaline
from .params import Param
from .sat._common import distinct_problem
from .sat.proposers import CpProposer, separate
from .sat.sat_lp import Cuts, SatLP
from .sat.strategy import remaining

__all__ = ["Repair", "METHODS"]

METHODS = ("auto", "local", "exact")


class Repair(Strategy):
    """Repair a relaxed network's hidden targets with the fewest flips.

    Parameters
    ----------
    init : start targets when ``start`` is None: ``anneal`` (default), ``ftprop-mb`` or
        ``random`` (see :mod:`.init`).
    start : None, a :class:`~hardtarget.network.Network` of this architecture (its hidden
        activations on the training inputs) or a target setting.
    method : ``auto`` (default: ``local``, then ``exact`` for fewer flips), ``local`` or
        ``exact`` (one output unit only).
    max_trials : hidden units tried per misclassified sample by the local pass.
    max_rounds : proposals of the exact pass before it gives up (status ``time_limit``).
    workers : CP-SAT workers; 1 (default) is deterministic for a given seed.
    seed : seed of the start and of the local pass's order.
    """

    name = "repair"
    exact = False  # the local pass alone proves nothing; ``info["minimal"]`` says when
    multi_output = True
    params = {
        "init": Param("str", "start targets when start is None", choices=INITS),
        "start": Param("object", "None, a Network or a target setting", none=True),
        "method": Param("str", "local, exact, or local then exact", choices=METHODS),
        "max_trials": Param("int", "hidden units tried per misclassified sample", low=1),
        "max_rounds": Param("int", "exact pass: give up after this many proposals", low=1),
        "workers": Param("int", "CP-SAT workers (1: deterministic)", low=1),
    }

    def __init__(
        self,
        seed: int = 0,
        init: str = "anneal",
        start=None,
        method: str = "auto",
        max_trials: int = 8,
        max_rounds: int = 100_000,
        workers: int = 1,
    ):
        self.seed = seed
        self.init = init
        self.start = start
        self.method = method
        self.max_trials = max_trials
        self.max_rounds = max_rounds
        self.workers = workers

    def check(self, evaluator) -> None:
        if not evaluator.hidden:
            raise HardTargetError("repair changes hidden targets: give at least one hidden layer")
        if self.method == "exact" and evaluator.t_out.shape[1] > 1:
            raise HardTargetError(
                "repair's exact pass handles one output unit; use method='local' for "
                f"{evaluator.t_out.shape[1]} outputs"
            )
        if self.start is not None:
            self._start_targets(evaluator)  # a wrong architecture fails before any work

    # -- the start ------------------------------------------------------------------
    def _start_targets(self, ev) -> TargetSetting:
        s = self.start
        if isinstance(s, Network):
            if s.hidden != ev.hidden or s.n_features != ev.problem.n_features:
                raise HardTargetError(
                    f"the start network has {s.n_features} inputs and hidden widths "
                    f"{s.hidden}; this problem has {ev.problem.n_features} inputs and the "
                    f"search hidden widths {ev.hidden}"
                )
            Zs = s.preactivations(ev.problem.X)[:-1]
            return TargetSetting([np.where(Z > 0, 1, -1).astype(np.int8) for Z in Zs])
        return ev.check(s)

    def _start(self, ctx: SearchContext):
        if self.start is None:
            return ctx.start_state(self.init)
        state = ctx.record(self._start_targets(ctx.evaluator))
        ctx.budget.check()
        return state

    # -- the search -----------------------------------------------------------------
    def run(self, ctx: SearchContext):
        start = self._start(ctx)
        ctx.info.update(start_errors=start.errors, flips=0, minimal=start.errors == 0)
        if start.errors == 0:
            return Status.FEASIBLE, "zero training errors (the start already fits; no flips)"
        bound = None
        if self.method in ("auto", "local"):
            fit = self._local(ctx, start)
            if fit is not None:
                bound = _flips(fit.targets, start.targets)
                self._keep(ctx, fit, bound, False)
        one_output = ctx.evaluator.t_out.shape[1] == 1
        if self.method == "exact" or (self.method == "auto" and one_output):
            self._exact(ctx, bound, start.targets)
        best = ctx.incumbent
        if best.errors == 0:
            how = "proven the fewest" if ctx.info["minimal"] else "not proven the fewest"
            return Status.FEASIBLE, f"zero training errors after {ctx.info['flips']} flips ({how})"
        return Status.LOCAL_OPTIMUM, f"no repair found (best {best.errors} training error(s))"

    @staticmethod
    def _keep(ctx: SearchContext, state, flips: int, minimal: bool) -> None:
        """A fit with fewer flips is the run's best, whatever its objective score."""
        ctx.best = state
        ctx.time_to_best = ctx.elapsed
        ctx.info.update(flips=flips, minimal=minimal)

    def _local(self, ctx: SearchContext, start):
        """MADALINE Rule II (pairs too) from the start; the fit it reaches, or None."""
        m = Madaline(seed=self.seed, max_trials=self.max_trials, pairs=True)
        cur = m.descend_from(ctx, start)
        return cur if cur.errors == 0 else None

    # -- the exact pass ------------------------------------------------------------------
    _check = staticmethod(SatLP._check)  # LP-check a proposal's units, a cut per bad one
    _cut = staticmethod(SatLP._cut)

    def _exact(self, ctx: SearchContext, bound: int | None, start: TargetSetting) -> None:
        ev = ctx.evaluator
        p = ev.problem
        rows = distinct_problem(p.X, p.t)
        if rows.mixed.any():  # a repeated input with both labels: nothing fits
            return
        first = np.unique(rows.inv, return_index=True)[1]
        count = np.bincount(rows.inv, minlength=len(rows.U)).astype(int)
        prop = CpProposer(rows, ev.hidden, "feasibility", False, self.seed, self.workers)
        S = [T[first] for T in start.layers]
        terms = []
        for Hd, Sd in zip(prop.H, S):
            for (i, j), v in np.ndenumerate(Hd):
                terms.append(int(count[i]) * (v.negated() if Sd[i, j] > 0 else v))
                prop.m.add_hint(v, bool(Sd[i, j] > 0))
        flips = sum(terms)
        prop.m.minimize(flips)
        if bound is not None:
            prop.m.add(flips <= bound - 1)
        info = ctx.info
        info.update(rounds=0, cuts=0, lp_checks=0, certificates=[])
        info.update(symmetric_cuts=0, symmetric_certificates=[])
        info["separated_pairs"] = separate(prop, rows)
        memo: dict = {}
        cuts = Cuts(first, rows.U)  # no point-symmetry images: the flips are not symmetric
        while True:
            ctx.budget.check()
            if info["rounds"] >= self.max_rounds:
                raise BudgetExhausted(f"max_rounds={self.max_rounds} proposals reached")
            info["rounds"] += 1
            res = prop.propose(remaining(ctx), budget=ctx.budget)
            if res.status is Status.UNKNOWN:
                ctx.budget.check()
                raise BudgetExhausted("CP-SAT stopped at the time limit")
            if res.status is Status.INFEASIBLE:  # no fit with fewer flips than the bound
                if bound is not None:
                    info["minimal"] = True
                return
            optimal = prop.solver.objective_value == prop.solver.best_objective_bound
            if res.hidden is None:  # (a feasible proposal carries its targets)
                raise HardTargetError("repair: a feasible proposal without targets; please report")
            if self._check(ctx, prop, rows, res.hidden, res.y, memo, cuts):
                continue
            targets = TargetSetting([Td[rows.inv] for Td in res.hidden])
            state = ctx.record(targets)
            if state.errors:  # cannot happen: every unit separates its targets
                raise HardTargetError("repair: a checked proposal does not fit; please report")
            n = _flips(targets, start)
            self._keep(ctx, state, n, optimal)
            if optimal:
                return
            bound = n
            prop.m.add(flips <= bound - 1)


def _flips(targets: TargetSetting, start: TargetSetting) -> int:
    """Hidden targets of ``targets`` that differ from ``start``."""
    return int(sum(np.count_nonzero(a != b) for a, b in zip(targets.layers, start.layers)))
