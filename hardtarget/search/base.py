"""Strategy base, budgets, the search context and the one result type."""

from __future__ import annotations

import inspect
import logging
import sys
import time
import warnings
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from ..errors import HardTargetError
from ..network import Network
from ..targets import TargetSetting
from .evaluate import Evaluator, State

__all__ = ["Strategy", "Budget", "SearchResult", "SearchContext", "BudgetExhausted", "STATUSES"]

log = logging.getLogger("hardtarget.search")

STATUSES = ("optimal", "feasible", "infeasible", "time_limit", "interrupted", "local_optimum")


class BudgetExhausted(Exception):
    """Raised inside a strategy when the time or state budget runs out."""


@dataclass
class Budget:
    """Limits of one search: wall-clock seconds and evaluated states (None = no limit)."""

    time_limit: "float | None" = None
    max_states: "int | None" = None

    def __post_init__(self) -> None:
        if self.time_limit is not None and not self.time_limit > 0:
            raise HardTargetError(f"time_limit must be > 0 seconds, got {self.time_limit}")
        if self.max_states is not None and int(self.max_states) < 1:
            raise HardTargetError(f"max_states must be >= 1, got {self.max_states}")


@dataclass
class SearchResult:
    """Outcome of a search, in the spirit of ``scipy.optimize.OptimizeResult``.

    ``status`` is one of ``optimal`` (an exact strategy finished with zero loss
    or proved the minimum), ``feasible`` (a heuristic found zero training errors),
    ``infeasible`` (an exact strategy proved no network of this architecture fits
    the data; ``loss`` is then the proven minimum), ``local_optimum``,
    ``time_limit`` (a budget ran out) or ``interrupted`` (Ctrl-C).  In every case
    ``targets``/``network`` hold the best state found.
    """

    status: str
    message: str
    strategy: str
    hidden: tuple
    targets: "TargetSetting | None"
    network: "Network | None"
    loss: float
    train_accuracy: float
    states_evaluated: int
    unit_solves: int
    cache_hits: int
    wall_time: float
    time_to_best: float
    history: list = field(default_factory=list)
    info: dict = field(default_factory=dict)

    @property
    def success(self) -> bool:
        return self.status in ("optimal", "feasible")

    def to_dict(self) -> dict:
        return {
            "status": self.status, "message": self.message, "strategy": self.strategy,
            "hidden": list(self.hidden), "loss": self.loss, "train_accuracy": self.train_accuracy,
            "states_evaluated": self.states_evaluated, "unit_solves": self.unit_solves,
            "cache_hits": self.cache_hits, "wall_time": self.wall_time, "time_to_best": self.time_to_best,
            "history": [list(h) for h in self.history], "info": self.info,
        }

    def __repr__(self) -> str:
        return (f"SearchResult(status={self.status!r}, strategy={self.strategy!r}, hidden={self.hidden}, "
                f"loss={self.loss}, train_accuracy={self.train_accuracy:.4f}, states={self.states_evaluated}, "
                f"wall_time={self.wall_time:.3f}s)")


class SearchContext:
    """What a strategy sees: evaluation with budget checks, best-so-far tracking, RNG."""

    def __init__(self, evaluator: Evaluator, budget: Budget, seed: int = 0, progress: "bool | None" = None):
        self.evaluator = evaluator
        self.budget = budget
        self.rng = np.random.default_rng(seed)
        self.start = time.perf_counter()
        self.best: "State | None" = None
        self.time_to_best = 0.0
        self.history: list = []
        show = sys.stderr.isatty() if progress is None else progress
        self._bar = None
        if show:
            from tqdm import tqdm

            self._bar = tqdm(total=budget.max_states, unit="state", desc="search", leave=False)

    @property
    def elapsed(self) -> float:
        return time.perf_counter() - self.start

    def check_budget(self) -> None:
        """Raise BudgetExhausted if a limit has been reached."""
        b = self.budget
        if b.time_limit is not None and self.elapsed >= b.time_limit:
            raise BudgetExhausted(f"time limit of {b.time_limit:g} s reached")
        if b.max_states is not None and self.evaluator.states_evaluated >= b.max_states:
            raise BudgetExhausted(f"state limit of {b.max_states} reached")

    def evaluate(self, targets: TargetSetting, output_targets=None) -> State:
        """Evaluate a state (checking the budget first) and record it if it is the best."""
        self.check_budget()
        state = self.evaluator.evaluate(targets, output_targets)
        self.offer(state)
        if self._bar is not None:
            self._bar.update(1)
            self._bar.set_postfix(best=self.best.loss)
        return state

    def offer(self, state: State) -> None:
        if self.best is None or state.loss < self.best.loss:
            self.best = state
            self.time_to_best = self.elapsed
            self.history.append((round(self.time_to_best, 6), self.evaluator.states_evaluated, state.loss))
            log.info("best loss %s after %d states (%.2f s)", state.loss, self.evaluator.states_evaluated,
                     self.time_to_best)

    def solved(self) -> bool:
        """True once a state with zero training errors and zero loss is known."""
        return self.best is not None and self.best.errors == 0 and self.best.loss == 0

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


class Strategy(ABC):
    """A target-search strategy.

    Subclasses set ``name``, take their options as keyword arguments of
    ``__init__`` and implement :meth:`run`, which calls ``ctx.evaluate`` on target
    settings and returns a status (``optimal``, ``feasible``, ``infeasible``,
    ``local_optimum``) with a message.  Budgets and Ctrl-C are handled by the
    engine: a strategy never needs to catch them.
    """

    name: ClassVar[str] = ""
    exact: ClassVar[bool] = False
    multi_output: ClassVar[bool] = False  # handles problems with several output units

    def __init__(self, seed: int = 0):
        self.seed = int(seed)

    @abstractmethod
    def run(self, ctx: SearchContext) -> "tuple[str, str]":
        """Search; return ``(status, message)``."""

    def check(self, evaluator: Evaluator) -> None:
        """Refuse architectures or problems the strategy cannot handle (optional hook)."""

    @classmethod
    def option_names(cls) -> "list[str]":
        return [p for p in inspect.signature(cls.__init__).parameters if p not in ("self", "seed")]

    def __repr__(self) -> str:
        opts = ", ".join(f"{k}={getattr(self, k)!r}" for k in self.option_names() if hasattr(self, k))
        return f"{type(self).__name__}({opts})"


def _warn_unused(cls: type, options: dict) -> dict:
    valid = set(cls.option_names())
    unused = sorted(set(options) - valid)
    if unused:
        warnings.warn(f"strategy {cls.name!r} ignores option(s) {unused}; it takes {sorted(valid) or 'none'}",
                      UserWarning, stacklevel=4)
    return {k: v for k, v in options.items() if k in valid}


def result_from(ctx: SearchContext, strategy: Strategy, status: str, message: str, info: "dict | None" = None,
                ) -> SearchResult:
    ev = ctx.evaluator
    best = ctx.best
    m = ev.problem.n_samples
    return SearchResult(
        status=status, message=message, strategy=strategy.name, hidden=ev.hidden,
        targets=best.targets if best else None, network=best.network if best else None,
        loss=best.loss if best else float("inf"),
        train_accuracy=(1.0 - best.errors / m) if best else 0.0,
        states_evaluated=ev.states_evaluated, unit_solves=ev.unit_solves, cache_hits=ev.cache.hits,
        wall_time=ctx.elapsed, time_to_best=ctx.time_to_best, history=list(ctx.history), info=info or {},
    )


def run_strategy(strategy: Strategy, ctx: SearchContext) -> SearchResult:
    """Run a strategy under the context's budget; budgets and Ctrl-C return the best so far."""
    n_out = ctx.evaluator.t_out.shape[1]
    if n_out > 1 and not strategy.multi_output:
        multi = sorted(c.name for c in Strategy.__subclasses__() if c.multi_output)
        raise HardTargetError(f"strategy {strategy.name!r} handles one output unit; this problem has {n_out} "
                              f"(one-vs-rest). Use one of {multi}")
    strategy.check(ctx.evaluator)
    try:
        status, message = strategy.run(ctx)
    except BudgetExhausted as exc:
        status, message = "time_limit", str(exc)
    except KeyboardInterrupt:
        status, message = "interrupted", "interrupted by the user"
    finally:
        ctx.close()
    info: "dict[str, Any]" = getattr(strategy, "info", {})
    return result_from(ctx, strategy, status, message, info)
