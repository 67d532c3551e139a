"""One run of a search: its budget, best state so far and ``info``."""

from __future__ import annotations

import logging
import sys
import time

import numpy as np

from ..budget import Budget, BudgetExhausted, Interrupted
from ..errors import HardTargetError, StopRequested
from ..signals import StopSignals
from ..targets import TargetSetting
from .evaluate import Evaluator, State

__all__ = [
    "SearchContext",
    "Budget",
    "BudgetExhausted",
    "Interrupted",
    "check_seed",
    "FORCED_GRACE",
    "OBJECTIVE_FITS",
    "START_SHARE",
]

log = logging.getLogger("hardtarget.search")

# seconds past the time limit that the evaluation of a forced state (a start state, a
# solver's answer) may take before its unit solves are stopped too
FORCED_GRACE = 0.5

# zero-error settings an exact strategy examines for a search objective (margin,
# sparsity) before it returns the best of them, unless the budget or the end of the
# search comes first
OBJECTIVE_FITS = 64
# share of the time left that a trained start (``anneal``, ``ftprop-mb``) may use
START_SHARE = 0.5


def check_seed(seed) -> int:
    """``seed`` as an int >= 0, or a HardTargetError."""
    ok = not isinstance(seed, bool) and isinstance(seed, (int, np.integer)) and seed >= 0
    if not ok and isinstance(seed, str) and seed.strip().isdigit():
        return int(seed)
    if not ok:
        raise HardTargetError(f"seed must be an integer >= 0, got {seed!r}")
    return int(seed)


class SearchContext:
    """One run: evaluation with budget checks, best-so-far, RNG, ``info``.

    Strategies keep their run state here (or in their own run object), never on
    themselves; ``info`` is the run's free-form report, copied to
    :attr:`SearchResult.info`.

    Parameters
    ----------
    evaluator : Evaluator
        Scores target settings for the problem and architecture.
    budget : Budget
        The run's limits and cancellation (:class:`~hardtarget.budget.Budget`): a
        strategy checks ``ctx.budget`` in its long loops and passes it to what it calls;
        SIGINT and SIGTERM cancel it while the run is guarded (``ctx.signals``).
    seed : int or None
        Seed of the run's random generator (``ctx.rng``).
    progress : bool
        Show a progress bar.
    """

    def __init__(
        self, evaluator: Evaluator, budget: Budget, seed: int = 0, progress: bool | None = None
    ):
        self.evaluator = evaluator
        self.budget = budget
        self.seed = check_seed(seed)
        self.rng = np.random.default_rng(self.seed)
        self.start = time.perf_counter()
        self.best: State | None = None
        self.time_to_best = 0.0
        self.history: list = []
        self.info: dict = {}
        self.fits_limit = OBJECTIVE_FITS
        self.signals = StopSignals(budget)
        # a forced state (the run's first, a solver's answer) is finished after a signal, so
        # that there is a best so far to return (a second Ctrl-C raises KeyboardInterrupt),
        # and gets a grace period of FORCED_GRACE seconds past the time limit
        self._grace = budget.extended(FORCED_GRACE)
        show = sys.stderr.isatty() if progress is None else progress
        self._bar = None
        if show:
            from tqdm import tqdm

            self._bar = tqdm(total=budget.max_states, unit="state", desc="search", leave=False)

    @property
    def elapsed(self) -> float:
        return time.perf_counter() - self.start

    @property
    def interrupted(self) -> bool:
        """True once the run's budget was cancelled (SIGINT, SIGTERM, a portfolio)."""
        return self.budget.cancelled

    def evaluate(self, targets: TargetSetting, output_targets=None) -> State:
        """Evaluate a state (checking the budget first) and record it if it is the best.

        Parameters
        ----------
        targets : TargetSetting
            Hidden targets.
        output_targets : numpy.ndarray, optional
            Targets of the output units other than the labels.

        Returns
        -------
        Evaluation
            The loss, network and per-unit verdicts.
        """
        self.budget.check()
        return self.record(targets, output_targets, forced=False)

    def record(self, targets: TargetSetting, output_targets=None, forced: bool = True) -> State:
        """Evaluate a state without the time check (a solver's answer, a start state).

        The state limit still holds.  A forced state's unit solves ignore a cancel and get
        ``FORCED_GRACE`` seconds past the time limit; ``forced=False`` (from
        :meth:`evaluate`): they stop with the run's budget.

        Parameters
        ----------
        targets : TargetSetting
            Hidden targets.
        output_targets : numpy.ndarray, optional
            Targets of the output units other than the labels.
        forced : bool, default=True
            Whether the state gets the grace past the time limit.

        Returns
        -------
        Evaluation
        """
        self.budget.check_states()
        budget = self._grace if forced else self.budget
        state = self.evaluator.evaluate(targets, output_targets, budget)
        self.offer(state)
        if self._bar is not None:
            self._bar.update(1)
            self._bar.set_postfix(best=self.incumbent.loss)
        return state

    def initial_targets(self, method: str = "random") -> TargetSetting:
        """Start targets (see :mod:`.init`); a slow start gets at most ``START_SHARE`` of
        the time left.

        A start cut short by the clock ends where the machine's speed puts it: such a run
        is reproducible only without a time limit (or with a state limit).

        Parameters
        ----------
        method : str
            ``anneal``, ``ftprop-mb`` or ``random``.

        Returns
        -------
        TargetSetting
        """
        return self._start(method)[0]

    def _start(self, method: str) -> tuple[TargetSetting, list]:
        """Start targets and the weights of the start network that produces them."""
        from .init import start_network

        if self.best is not None:  # the run's first start is forced (see start_state)
            self.budget.check()
        ev = self.evaluator
        phase = self.budget.child(share=START_SHARE)
        Ws, targets = start_network(ev.problem, ev.hidden, ev.activation, self.rng, method, phase)
        return TargetSetting(targets), Ws

    def start_state(self, method: str = "random") -> State:
        """Evaluate start targets.  When the budget or a signal cuts the evaluation of
        the run's first ones (its unit solves on a large problem), the start network
        itself, whose hidden units produce the start targets, is the best so far: a run
        always has a network to return, and ends within the time it takes to score that
        network's output layer.

        Parameters
        ----------
        method : str
            ``anneal``, ``ftprop-mb`` or ``random``.

        Returns
        -------
        Evaluation
        """
        if self.best is not None:  # a restart: one progress line per finished descent
            log.info(
                "restart after %d states: best loss %s (%.2f s)",
                self.evaluator.states_evaluated,
                self.best.loss,
                self.elapsed,
            )
        targets, weights = self._start(method)
        if self.best is not None:
            return self.evaluate(targets)
        try:
            state = self.record(targets, forced=False)
        except StopRequested:
            self.info["best_is_start_network"] = True
            self.offer(self.evaluator.network_state(targets, weights))
            raise
        self.budget.check()
        return state

    def offer(self, state: State) -> None:
        """Record an evaluated state as the best so far if it beats the best: the lowest
        loss, then the objective's highest score (:attr:`State.rank`).

        Parameters
        ----------
        state : State
            A state evaluated by this run's evaluator.
        """
        if self.best is None or state.rank < self.best.rank:
            self.best = state
            self.time_to_best = self.elapsed
            self.history.append(
                (round(self.time_to_best, 6), self.evaluator.states_evaluated, state.loss)
            )
            log.info(
                "best loss %s after %d states (%.2f s)",
                state.loss,
                self.evaluator.states_evaluated,
                self.time_to_best,
            )

    @property
    def incumbent(self) -> State:
        """:attr:`best` once a state was evaluated (a strategy's start is, before anything
        else); a bug raises :class:`RuntimeError` rather than an ``AttributeError`` on None."""
        if self.best is None:
            raise RuntimeError("no state evaluated yet: a strategy evaluates its start first")
        return self.best

    @property
    def prefers(self) -> bool:
        """True when a search objective (margin, sparsity) ranks networks of equal loss."""
        return self.evaluator.objective != "errors"

    def want_more(self, state: State) -> bool:
        """After evaluating ``state``: should an exact search look for more zero-error
        settings (a search objective, fewer than ``fits_limit`` examined so far)?

        Counts ``state`` in ``info["fits_examined"]`` when it has zero errors.

        Parameters
        ----------
        state : State
            The state just evaluated.

        Returns
        -------
        bool
        """
        if not self.prefers or state.errors != 0:
            return False
        n = self.info.get("fits_examined", 0) + 1
        self.info["fits_examined"] = n
        return n < self.fits_limit

    def fits_note(self) -> str:
        """Which zero-error settings a search objective's answer is the best of.

        Returns
        -------
        str
            E.g. ``best margin of all 12 zero-error settings``, or ``of the first 1000``
            when ``fits_limit`` ended the search.
        """
        n = self.info.get("fits_examined", 0)
        every = "all" if n < self.fits_limit else "the first"
        return f"best {self.evaluator.objective} of {every} {n} zero-error settings"

    def solved(self) -> bool:
        """True once a state with zero training errors and zero loss is known."""
        return self.best is not None and self.best.errors == 0 and self.best.loss == 0

    def close(self) -> None:
        """End the run: the progress bar goes."""
        if self._bar is not None:
            self._bar.close()
