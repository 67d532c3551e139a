"""Strategy base, budgets, the search context and the one result type."""

from __future__ import annotations

import contextlib
import inspect
import logging
import math
import sys
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from ..errors import HardTargetError, StopRequested
from ..network import Network
from ..targets import TargetSetting
from .evaluate import Evaluator, State
from .params import Param
from .signals import StopSignals

__all__ = [
    "Strategy",
    "Budget",
    "SearchResult",
    "SearchContext",
    "BudgetExhausted",
    "Interrupted",
    "STATUSES",
    "check_seed",
]

log = logging.getLogger("hardtarget.search")

STATUSES = ("optimal", "feasible", "infeasible", "time_limit", "interrupted", "local_optimum")

# seconds past the time limit that the evaluation of a forced state (a start state, a
# solver's answer) may take before its unit solves are stopped too
FORCED_GRACE = 0.5


class BudgetExhausted(StopRequested):
    """Raised inside a strategy when the time or state budget runs out."""


class Interrupted(StopRequested):
    """Raised inside a strategy after SIGINT (Ctrl-C) or SIGTERM."""


def check_seed(seed) -> int:
    """``seed`` as an int >= 0, or a HardTargetError."""
    ok = not isinstance(seed, bool) and isinstance(seed, (int, np.integer)) and seed >= 0
    if not ok and isinstance(seed, str) and seed.strip().isdigit():
        return int(seed)
    if not ok:
        raise HardTargetError(f"seed must be an integer >= 0, got {seed!r}")
    return int(seed)


@dataclass
class Budget:
    """Limits of one search: wall-clock seconds and evaluated states (None = no limit)."""

    time_limit: float | None = None
    max_states: int | None = None

    def __post_init__(self) -> None:
        tl = self.time_limit
        number = (int, float, np.integer, np.floating)
        if tl is not None and (isinstance(tl, bool) or not isinstance(tl, number) or not tl > 0):
            raise HardTargetError(f"time_limit must be a number of seconds > 0, got {tl!r}")
        ms = self.max_states
        if ms is not None and (
            isinstance(ms, bool) or not isinstance(ms, (int, np.integer)) or ms < 1
        ):
            raise HardTargetError(f"max_states must be an integer >= 1, got {ms!r}")


def _json(x: Any) -> Any:
    """``x`` with numpy types made plain and non-finite floats made None (strict JSON)."""
    if isinstance(x, dict):
        return {str(k): _json(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_json(v) for v in x]
    if isinstance(x, np.ndarray):
        return _json(x.tolist())
    if isinstance(x, (bool, np.bool_)):
        return bool(x)
    if isinstance(x, (int, np.integer)):
        return int(x)
    if isinstance(x, (float, np.floating)):
        return float(x) if math.isfinite(x) else None
    if x is None or isinstance(x, str):
        return x
    return str(x)


@dataclass
class SearchResult:
    """Outcome of a search, in the spirit of ``scipy.optimize.OptimizeResult``.

    ``status`` is one of ``optimal`` (an exact strategy finished with zero loss
    or proved the minimum), ``feasible`` (zero training errors, found by a
    heuristic or before a budget ran out), ``infeasible`` (an exact strategy proved
    no network of this architecture fits the data; ``loss`` is then the proven
    minimum), ``local_optimum``, ``time_limit`` (a budget ran out) or ``interrupted``
    (Ctrl-C or SIGTERM).  In every case ``targets``/``network`` hold the best state
    found (None when none was); with zero training errors ``targets`` are the hidden
    activations of ``network``, so they verify as feasible.
    """

    status: str
    message: str
    strategy: str
    hidden: tuple
    targets: TargetSetting | None
    network: Network | None
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
        """Plain, strict-JSON data (``loss`` is None when no network was found)."""
        return _json(
            {
                "status": self.status,
                "message": self.message,
                "strategy": self.strategy,
                "hidden": list(self.hidden),
                "loss": self.loss,
                "train_accuracy": self.train_accuracy,
                "states_evaluated": self.states_evaluated,
                "unit_solves": self.unit_solves,
                "cache_hits": self.cache_hits,
                "wall_time": self.wall_time,
                "time_to_best": self.time_to_best,
                "history": [list(h) for h in self.history],
                "info": self.info,
            }
        )

    def __repr__(self) -> str:
        return (
            f"SearchResult(status={self.status!r}, strategy={self.strategy!r}, "
            f"hidden={self.hidden}, loss={self.loss}, train_accuracy={self.train_accuracy:.4f}, "
            f"states={self.states_evaluated}, wall_time={self.wall_time:.3f}s)"
        )


class SearchContext:
    """One run: evaluation with budget checks, best-so-far, RNG, ``info``, the stop flag.

    Strategies keep their run state here (or in their own run object), never on
    themselves; ``info`` is the run's free-form report, copied to
    :attr:`SearchResult.info`.
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
        self.signals = StopSignals()
        self._forced = False  # evaluating a state that must not be cut by the time limit
        evaluator.stop = self._unit_stop
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
        """True once SIGINT or SIGTERM arrived during the run."""
        return self.signals.requested

    def time_left(self) -> float | None:
        tl = self.budget.time_limit
        return None if tl is None else tl - self.elapsed

    def check_budget(self) -> None:
        """Raise Interrupted or BudgetExhausted if the run must stop."""
        if self.signals.requested:
            raise Interrupted("interrupted by the user")
        b = self.budget
        if b.time_limit is not None and self.elapsed >= b.time_limit:
            raise BudgetExhausted(f"time limit of {b.time_limit:g} s reached")
        if b.max_states is not None and self.evaluator.states_evaluated >= b.max_states:
            raise BudgetExhausted(f"state limit of {b.max_states} reached")

    def should_stop(self) -> bool:
        """The ``stop`` callback for long engine loops: True when the run must stop."""
        try:
            self.check_budget()
        except StopRequested:
            return True
        return False

    def _unit_stop(self) -> bool:
        """Between unit solves: stop on a signal or the budget; a forced state gets a grace
        period of ``FORCED_GRACE`` seconds past either."""
        sig = self.signals
        if not self._forced:
            return self.should_stop()
        if sig.requested and time.perf_counter() - sig.when > FORCED_GRACE:
            return True
        left = self.time_left()
        return left is not None and left < -FORCED_GRACE

    def on_signal(self, fn: Callable[[], None]) -> contextlib.AbstractContextManager:
        """Call ``fn`` from another thread if a signal arrives inside the block (C solvers)."""
        return self.signals.hook(fn)

    def evaluate(self, targets: TargetSetting, output_targets=None) -> State:
        """Evaluate a state (checking the budget first) and record it if it is the best."""
        self.check_budget()
        return self.record(targets, output_targets)

    def record(self, targets: TargetSetting, output_targets=None) -> State:
        """Evaluate a state without the time check (a solver's answer, a start state).

        The state limit still holds.
        """
        b, ev = self.budget, self.evaluator
        if b.max_states is not None and ev.states_evaluated >= b.max_states:
            raise BudgetExhausted(f"state limit of {b.max_states} reached")
        self._forced = True
        try:
            state = ev.evaluate(targets, output_targets)
        finally:
            self._forced = False
        self.offer(state)
        if self._bar is not None:
            self._bar.update(1)
            self._bar.set_postfix(best=self.best.loss)
        return state

    def initial_targets(self, method: str = "random") -> TargetSetting:
        """Start targets (see :mod:`.init`); a slow start gets at most half the time left."""
        from .init import initial_targets

        if self.best is not None:  # the run's first start is forced (see start_state)
            self.check_budget()
        left = self.time_left()
        deadline = None if left is None else self.elapsed + 0.5 * max(left, 0.0)

        def stop() -> bool:
            return self.signals.requested or (deadline is not None and self.elapsed >= deadline)

        ev = self.evaluator
        return TargetSetting(
            initial_targets(ev.problem, ev.hidden, ev.activation, self.rng, method, stop=stop)
        )

    def start_state(self, method: str = "random") -> State:
        """Evaluate start targets; the run's first one even if the start used the time
        (so that there is a best so far to return)."""
        if self.best is not None:  # a restart: one progress line per finished descent
            log.info(
                "restart after %d states: best loss %s (%.2f s)",
                self.evaluator.states_evaluated,
                self.best.loss,
                self.elapsed,
            )
        targets = self.initial_targets(method)
        if self.best is not None:
            return self.evaluate(targets)
        state = self.record(targets)
        self.check_budget()
        return state

    def offer(self, state: State) -> None:
        if self.best is None or state.loss < self.best.loss:
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

    def solved(self) -> bool:
        """True once a state with zero training errors and zero loss is known."""
        return self.best is not None and self.best.errors == 0 and self.best.loss == 0

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


class Strategy(ABC):
    """A target-search strategy: configuration in the scikit-learn sense.

    Subclasses set ``name``, declare their options in ``params`` (name ->
    :class:`~hardtarget.search.params.Param`), take them as keyword arguments of
    ``__init__`` (which only stores them) and implement :meth:`run`, which calls
    ``ctx.evaluate`` on target settings and returns ``(status, message)``.  The
    engine checks the options when a run starts (:meth:`validated`), and handles
    budgets, Ctrl-C and SIGTERM: a strategy never needs to catch them.  Run state
    lives in the :class:`SearchContext` (``ctx.info`` is the result's ``info``).
    """

    name: ClassVar[str] = ""
    exact: ClassVar[bool] = False
    multi_output: ClassVar[bool] = False  # handles problems with several output units
    params: ClassVar[dict[str, Param]] = {}

    def __init__(self, seed: int = 0):
        self.seed = seed

    @abstractmethod
    def run(self, ctx: SearchContext) -> tuple[str, str]:
        """Search; return ``(status, message)``."""

    def check(self, evaluator: Evaluator) -> None:
        """Refuse architectures or problems the strategy cannot handle (optional hook)."""

    def check_params(self) -> None:
        """Refuse combinations of valid options that do not go together (optional hook)."""

    # -- scikit-learn's parameter protocol --------------------------------------------
    @classmethod
    def option_names(cls) -> list[str]:
        """The ``__init__`` keyword arguments, ``seed`` excluded."""
        return [p for p in cls._param_names() if p != "seed"]

    @classmethod
    def _param_names(cls) -> list[str]:
        sig = inspect.signature(cls.__init__)
        return [
            p.name
            for p in sig.parameters.values()
            if p.name != "self" and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)
        ]

    @classmethod
    def defaults(cls) -> dict:
        sig = inspect.signature(cls.__init__)
        return {k: sig.parameters[k].default for k in cls._param_names()}

    @classmethod
    def declared(cls) -> dict[str, Param]:
        """Every parameter's declaration (seed included)."""
        return {"seed": Param("int", "random seed", low=0), **cls.params}

    def get_params(self, deep: bool = True) -> dict:
        """The ``__init__`` arguments as stored (scikit-learn's ``get_params``)."""
        return {k: getattr(self, k) for k in self._param_names()}

    def set_params(self, **params) -> Strategy:
        """Set ``__init__`` arguments (scikit-learn's ``set_params``); unknown keys are errors."""
        valid = self._param_names()
        for k, v in params.items():
            if k not in valid:
                raise HardTargetError(
                    f"strategy {self.name!r} has no option {k!r}; valid: {', '.join(sorted(valid))}"
                )
            setattr(self, k, v)
        return self

    def validated(self) -> Strategy:
        """A copy with every option checked and converted; HardTargetError names the valid range."""
        decl = self.declared()
        values = {}
        for k, v in self.get_params().items():
            p = decl.get(k)
            values[k] = v if p is None else p.convert(self.name, k, v)
        out = type(self)(**values)
        out.check_params()
        return out

    def __repr__(self) -> str:
        defaults = self.defaults()
        opts = ", ".join(
            f"{k}={v!r}" for k, v in self.get_params().items() if not _same(v, defaults.get(k))
        )
        return f"{type(self).__name__}({opts})"


def _same(a: Any, b: Any) -> bool:
    try:
        return bool(a == b) and type(a) is type(b)
    except (TypeError, ValueError):
        return False


def _hidden_targets(net: Network, X: np.ndarray) -> TargetSetting:
    """The hidden activations of ``net`` on ``X`` as ±1 targets."""
    Zs = net.preactivations(X)[:-1]
    return TargetSetting([np.where(Z > 0, 1, -1).astype(np.int8) for Z in Zs])


def _stopped(ctx: SearchContext, status: str, message: str) -> tuple[str, str]:
    """A budget or a signal ended the run: zero errors are still a success; else say what
    is kept."""
    best = ctx.best
    if best is not None and best.errors == 0:
        return "feasible", f"zero training errors (found before the run stopped: {message})"
    if best is None:
        return status, (
            f"{message}; no network was found before the run stopped (nothing to return or save)"
        )
    return status, f"{message}; the best network so far has {best.errors} training error(s)"


def result_from(ctx: SearchContext, strategy: Strategy, status: str, message: str) -> SearchResult:
    """The engine's result: zero-error targets are the returned network's own activations."""
    ev = ctx.evaluator
    best = ctx.best
    m = ev.problem.n_samples
    targets = network = None
    if best is not None:
        network = best.network
        targets = _hidden_targets(network, ev.problem.X) if best.errors == 0 else best.targets
    return SearchResult(
        status=status,
        message=message,
        strategy=strategy.name,
        hidden=ev.hidden,
        targets=targets,
        network=network,
        loss=best.loss if best else math.inf,
        train_accuracy=(1.0 - best.errors / m) if best else 0.0,
        states_evaluated=ev.states_evaluated,
        unit_solves=ev.unit_solves,
        cache_hits=ev.cache.hits,
        wall_time=ctx.elapsed,
        time_to_best=ctx.time_to_best,
        history=list(ctx.history),
        info=dict(ctx.info),
    )


@contextlib.contextmanager
def _guard(ctx: SearchContext) -> Iterator[list]:
    """Signals become a flag while the block runs; stops become a status (in ``out``)."""
    out: list = []
    with ctx.signals:
        try:
            yield out
        except BudgetExhausted as exc:
            out[:] = _stopped(ctx, "time_limit", str(exc))
        except (Interrupted, KeyboardInterrupt):
            out[:] = _stopped(ctx, "interrupted", "interrupted by the user")
        except StopRequested as exc:  # raised by a unit solve or loop given a stop callback
            try:
                ctx.check_budget()
                out[:] = _stopped(ctx, "time_limit", str(exc) or "stopped")
            except BudgetExhausted as why:
                out[:] = _stopped(ctx, "time_limit", str(why))
            except Interrupted:
                out[:] = _stopped(ctx, "interrupted", "interrupted by the user")
        finally:
            ctx.close()


def run_strategy(strategy: Strategy, ctx: SearchContext) -> SearchResult:
    """Run a strategy under the context's budget; budgets and signals return the best so far."""
    cfg = strategy.validated()
    n_out = ctx.evaluator.t_out.shape[1]
    if n_out > 1 and not cfg.multi_output:
        multi = sorted(c.name for c in _subclasses(Strategy) if c.multi_output and c.name)
        raise HardTargetError(
            f"strategy {cfg.name!r} handles one output unit; this problem has "
            f"{n_out} (one-vs-rest). Use one of {multi}"
        )
    cfg.check(ctx.evaluator)
    with _guard(ctx) as out:
        log.info("search started: %r, hidden %s", cfg, ctx.evaluator.hidden)
        out[:] = cfg.run(ctx)
    status, message = out
    return result_from(ctx, cfg, status, message)


def _subclasses(cls: type) -> list:
    return [c for s in cls.__subclasses__() for c in (s, *_subclasses(s))]
