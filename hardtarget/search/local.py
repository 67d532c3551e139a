"""Local search over hidden targets: hill climbing, beam search, MADALINE Rule II.

A move flips one hidden target (one sample, one unit).  Hill climbing (paper,
Proposition 3) takes the best improving move until none improves; beam search keeps
the ``width`` best states of each round (width 1 is hill climbing; an unbounded width
explores every reachable state); MADALINE Rule II (Winter & Widrow, 1988) tries, for
each misclassified sample, the flips of the least confident hidden units first.

Moves compare by :attr:`~.evaluate.State.rank`: the loss, then (``objective="margin"`` or
``"sparsity"``) the objective's score, so equal error counts prefer larger margins or
fewer weights, and a step that reaches zero errors looks at all its neighbours.
"""

from __future__ import annotations

import numpy as np

from ..targets import TargetSetting
from .base import SearchContext, Strategy
from .evaluate import State
from .init import INITS
from .params import Param

__all__ = ["HillClimb", "BeamSearch", "Madaline"]

INIT = Param("str", "initial targets (see hardtarget.search.init)", choices=INITS)
MAX_NEIGHBORS = Param("int", "flips sampled per state and step (None: all)", low=1, none=True)
RESTARTS = Param("int", "extra runs from new initial targets after a local optimum", low=0)


def neighbors(targets: TargetSetting, rng: np.random.Generator, max_neighbors: int | None):
    """(layer, sample, unit) of every single flip, in random order (a sample if capped)."""
    moves = [
        (d, i, j)
        for d, T in enumerate(targets.layers)
        for i in range(T.shape[0])
        for j in range(T.shape[1])
    ]
    order = rng.permutation(len(moves))
    if max_neighbors is not None:
        order = order[: int(max_neighbors)]
    return [moves[k] for k in order]


class HillClimb(Strategy):
    """Best-improvement hill climbing on single target flips (Proposition 3).

    Parameters
    ----------
    restarts : extra runs from new random initial targets after a local optimum.
    max_neighbors : evaluate a random sample of this many flips per step (None: all).
    init : initial targets, ``anneal`` (default), ``ftprop-mb`` or ``random`` (see :mod:`.init`).
    seed : int or None, default=None
        Seed of the strategy's random choices (``solve(seed=...)`` sets it).
    """

    name = "hill"
    multi_output = True
    weighted = True
    params = {"restarts": RESTARTS, "max_neighbors": MAX_NEIGHBORS, "init": INIT}

    def __init__(
        self,
        seed: int = 0,
        restarts: int = 0,
        max_neighbors: int | None = None,
        init: str = "anneal",
    ):
        self.seed = seed
        self.restarts = restarts
        self.max_neighbors = max_neighbors
        self.init = init

    def run(self, ctx: SearchContext):
        prefer = ctx.evaluator.objective != "errors"  # zero-error neighbours compete too
        for _ in range(self.restarts + 1):
            cur = ctx.start_state(self.init)
            while cur.errors > 0:
                best_nb: State | None = None
                for d, i, j in neighbors(cur.targets, ctx.rng, self.max_neighbors):
                    s = ctx.evaluate(cur.targets.flipped(d, i, j))
                    if best_nb is None or s.rank < best_nb.rank:
                        best_nb = s
                    if s.errors == 0 and not prefer:
                        break
                if best_nb is None or best_nb.rank >= cur.rank:
                    break
                cur = best_nb
            if ctx.best.errors == 0:
                return "feasible", "zero training errors"
        return "local_optimum", f"no single flip improves the loss ({ctx.best.loss:g})"


class BeamSearch(Strategy):
    """Beam search over target settings.

    Parameters
    ----------
    width : states kept per round (1 = hill climbing).
    patience : rounds without a new best before stopping.
    max_neighbors : flips sampled per state and round (None: all).
    init : initial targets, ``anneal`` (default), ``ftprop-mb`` or ``random``.
    seed : int or None, default=None
        Seed of the strategy's random choices (``solve(seed=...)`` sets it).
    """

    name = "beam"
    multi_output = True
    weighted = True
    params = {
        "width": Param("int", "states kept per round (1: hill climbing)", low=1),
        "patience": Param("int", "rounds without a new best before stopping", low=1),
        "max_neighbors": MAX_NEIGHBORS,
        "init": INIT,
    }

    def __init__(
        self,
        seed: int = 0,
        width: int = 4,
        patience: int = 2,
        max_neighbors: int | None = None,
        init: str = "anneal",
    ):
        self.seed = seed
        self.width = width
        self.patience = patience
        self.max_neighbors = max_neighbors
        self.init = init

    def run(self, ctx: SearchContext):
        prefer = ctx.evaluator.objective != "errors"  # zero-error neighbours compete too
        start = ctx.start_state(self.init)
        beam, seen = [start], {start.targets.key()}
        stale = 0
        while ctx.best.errors > 0 and stale < self.patience:
            before = ctx.best.loss
            candidates = []
            for s in beam:
                for d, i, j in neighbors(s.targets, ctx.rng, self.max_neighbors):
                    nt = s.targets.flipped(d, i, j)
                    key = nt.key()
                    if key in seen:
                        continue
                    seen.add(key)
                    candidates.append(ctx.evaluate(nt))
                    if candidates[-1].errors == 0 and not prefer:
                        break
                if candidates and ctx.best.errors == 0:
                    break
            if not candidates:
                break
            candidates.sort(key=lambda s: s.rank)
            beam = candidates[: self.width]
            stale = 0 if ctx.best.loss < before else stale + 1
            if self.width == 1 and beam[0].loss >= before:
                break  # hill climbing: stop at the first non-improving round
        if ctx.best.errors == 0:
            return "feasible", "zero training errors"
        return "local_optimum", (
            f"no improvement in {self.patience} round(s) (loss {ctx.best.loss:g})"
        )


class Madaline(Strategy):
    """MADALINE Rule II: for each misclassified sample, flip the least confident
    hidden unit's target first, then pairs of the least confident units, and keep a
    trial if the loss drops.

    Parameters
    ----------
    max_trials : hidden units tried per misclassified sample.
    pairs : also try flipping two units at once when no single flip helps.
    restarts : new initial targets after a local optimum.
    init : initial targets, ``anneal`` (default), ``ftprop-mb`` or ``random``.
    seed : int or None, default=None
        Seed of the strategy's random choices (``solve(seed=...)`` sets it).
    """

    name = "madaline"
    multi_output = True
    weighted = True
    params = {
        "max_trials": Param("int", "hidden units tried per misclassified sample", low=1),
        "pairs": Param("bool", "also try flipping two units at once"),
        "restarts": RESTARTS,
        "init": INIT,
    }

    def __init__(
        self,
        seed: int = 0,
        max_trials: int = 8,
        pairs: bool = False,
        restarts: int = 0,
        init: str = "anneal",
    ):
        self.seed = seed
        self.max_trials = max_trials
        self.pairs = pairs
        self.restarts = restarts
        self.init = init

    def run(self, ctx: SearchContext):
        for _ in range(self.restarts + 1):
            if self._descend(ctx):
                return "feasible", "zero training errors"
        return "local_optimum", f"no trial flip improves the loss ({ctx.best.loss:g})"

    def _trials(self, units: list):
        yield from ([u] for u in units)
        if self.pairs:
            yield from ([a, b] for k, a in enumerate(units) for b in units[k + 1 :])

    def _descend(self, ctx: SearchContext) -> bool:
        return self.descend_from(ctx, ctx.start_state(self.init)).errors == 0

    def descend_from(self, ctx: SearchContext, cur: State) -> State:
        """MADALINE Rule II from the evaluated state ``cur``; the state where it stops."""
        ev = ctx.evaluator
        while cur.errors > 0:
            improved = False
            z = cur.network.decision_function(ev.problem.X).reshape(len(ev.t_out), -1)
            wrong = np.flatnonzero(np.any((z > 0) != (ev.t_out > 0), axis=1))
            for i in ctx.rng.permutation(wrong):
                for trial in self._trials(self._least_confident(cur, i, ev.problem.X)):
                    nt = cur.targets
                    for d, j in trial:
                        nt = nt.flipped(d, i, j)
                    s = ctx.evaluate(nt)
                    if s.rank < cur.rank:
                        cur, improved = s, True
                        break
                if cur.errors == 0:
                    break
            if not improved:
                return cur
        return cur

    def _least_confident(self, state: State, i: int, X: np.ndarray) -> list:
        """(layer, unit) of hidden units ordered by |pre-activation| at sample i."""
        Zs = state.network.preactivations(X[i : i + 1])[:-1]
        ranked = sorted((abs(float(z)), d, j) for d, Z in enumerate(Zs) for j, z in enumerate(Z[0]))
        return [(d, j) for _, d, j in ranked[: self.max_trials]]
