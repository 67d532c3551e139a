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

import heapq

import numpy as np

from ..status import Status
from ..targets import TargetSetting
from .base import SearchContext, Strategy
from .evaluate import State
from .init import INITS
from .params import Param

__all__ = ["HillClimb", "BeamSearch", "Madaline"]

INIT = Param("str", "initial targets (see hardtarget.search.init)", choices=INITS)
MAX_NEIGHBORS = Param("int", "flips sampled per state and step (None: all)", low=1, none=True)
RESTARTS = Param("int", "extra runs from new initial targets after a local optimum", low=0)


# moves above which the random order is drawn block by block (an order of all of them
# would take 8 bytes per move before the first evaluation: 800 MB at width 1,000 on 10^5 rows)
LAZY_MOVES = 1 << 20
_BLOCK = 1 << 16


def neighbors(targets: TargetSetting, rng: np.random.Generator, max_neighbors: int | None):
    """(layer, sample, unit) of every single flip, in random order (a sample if capped).

    A generator: up to ``LAZY_MOVES`` moves, one random permutation of them all; beyond,
    blocks of ``_BLOCK`` consecutive moves in random order, each shuffled when reached,
    and a capped sample drawn without building the list of moves.
    """
    shapes = [T.shape for T in targets.layers]
    ends = np.cumsum([a * b for a, b in shapes])
    n = int(ends[-1]) if len(ends) else 0
    cap = n if max_neighbors is None else min(n, int(max_neighbors))
    if n <= LAZY_MOVES:
        order = rng.permutation(n)[:cap]
    elif cap < n:
        order = rng.choice(n, size=cap, replace=False)
    else:
        order = _blocks(n, rng)
    for k in order:
        d = int(np.searchsorted(ends, k, side="right"))
        r = int(k) - (int(ends[d - 1]) if d else 0)
        i, j = divmod(r, shapes[d][1])
        yield d, i, j


def _blocks(n: int, rng: np.random.Generator):
    for b in rng.permutation(-(-n // _BLOCK)):
        start = int(b) * _BLOCK
        yield from start + rng.permutation(min(_BLOCK, n - start))


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
            if ctx.incumbent.errors == 0:
                return Status.FEASIBLE, "zero training errors"
        return Status.LOCAL_OPTIMUM, f"no single flip improves the loss ({ctx.incumbent.loss:g})"


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
        while ctx.incumbent.errors > 0 and stale < self.patience:
            before = ctx.incumbent.loss
            kept: list = []  # the width best of the round so far: (-rank, -order, state)
            evaluated, last = 0, None
            for s in beam:
                for d, i, j in neighbors(s.targets, ctx.rng, self.max_neighbors):
                    nt = s.targets.flipped(d, i, j)
                    key = nt.key()
                    if key in seen:
                        continue
                    seen.add(key)
                    last = ctx.evaluate(nt)
                    _keep(kept, self.width, last, evaluated)
                    evaluated += 1
                    if last.errors == 0 and not prefer:
                        break
                if last is not None and ctx.incumbent.errors == 0:
                    break
            if not evaluated:
                break
            # the width best ranks (loss, then the objective), ties in evaluation order
            beam = [st for _, _, st in sorted(kept, key=lambda e: (_unrank(e[0]), -e[1]))]
            stale = 0 if ctx.incumbent.loss < before else stale + 1
            if self.width == 1 and beam[0].loss >= before:
                break  # hill climbing: stop at the first non-improving round
        if ctx.incumbent.errors == 0:
            return Status.FEASIBLE, "zero training errors"
        return Status.LOCAL_OPTIMUM, (
            f"no improvement in {self.patience} round(s) (loss {ctx.incumbent.loss:g})"
        )


def _unrank(key: tuple) -> tuple:
    return tuple(-x for x in key)


def _keep(kept: list, width: int, state: State, order: int) -> None:
    """Keep ``state`` among the ``width`` best of a round (a bounded heap: a round's
    candidates are not all held, each with its copy of the targets); best means the
    lowest :attr:`State.rank` (the loss, then the objective's score)."""
    entry = (_unrank(state.rank), -order, state)
    if len(kept) < width:
        heapq.heappush(kept, entry)
    elif entry[:2] > kept[0][:2]:
        heapq.heapreplace(kept, entry)


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
                return Status.FEASIBLE, "zero training errors"
        return Status.LOCAL_OPTIMUM, f"no trial flip improves the loss ({ctx.incumbent.loss:g})"

    def _trials(self, units: list):
        yield from ([u] for u in units)
        if self.pairs:
            yield from ([a, b] for k, a in enumerate(units) for b in units[k + 1 :])

    def _descend(self, ctx: SearchContext) -> bool:
        return self.descend_from(ctx, ctx.start_state(self.init)).errors == 0

    def descend_from(self, ctx: SearchContext, cur: State) -> State:
        """MADALINE Rule II from the evaluated state ``cur``; the state where it stops.

        Parameters
        ----------
        ctx : SearchContext
            The run's context (evaluator, budget, random generator).
        cur : State
            The evaluated state to descend from.

        Returns
        -------
        State
        """
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
