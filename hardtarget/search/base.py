"""The strategy base class and the engine that runs one (budgets, signals, the result)."""

from __future__ import annotations

import contextlib
import inspect
import logging
import math
from abc import ABC, abstractmethod
from collections.abc import Iterator
from typing import Any, ClassVar

import numpy as np

from ..errors import HardTargetError, StopRequested
from ..network import Network
from ..status import REAL_WEIGHTS, Status, proof_kind
from ..targets import TargetSetting
from .context import (
    FORCED_GRACE,
    Budget,
    BudgetExhausted,
    Interrupted,
    SearchContext,
    check_seed,
)
from .evaluate import Evaluator
from .params import Param
from .result import STATUSES, SearchResult
from .scale import Footprint, check_fits, local_footprint

__all__ = [
    "Strategy",
    "Budget",
    "SearchResult",
    "SearchContext",
    "BudgetExhausted",
    "Interrupted",
    "STATUSES",
    "FORCED_GRACE",
    "check_seed",
    "REAL_WEIGHTS",
    "RUN_SCOPE",
    "Status",
    "run_strategy",
    "objective_info",
]

log = logging.getLogger("hardtarget.search")

RUN_SCOPE = "stated by each run"  # proof_scope of a strategy whose runs set info["proof"]


class Strategy(ABC):
    """A target-search strategy: configuration in the scikit-learn sense.

    Subclasses set ``name``, declare their options in ``params`` (name ->
    :class:`~hardtarget.search.params.Param`), take them as keyword arguments of
    ``__init__`` (which only stores them) and implement :meth:`run`, which calls
    ``ctx.evaluate`` on target settings and returns ``(status, message)`` (a
    :class:`~hardtarget.Status`).  An ``exact`` strategy declares ``proof_scope``, what
    its ``infeasible`` rules out: :data:`REAL_WEIGHTS` (every network of the
    architecture), another weight class, or :data:`RUN_SCOPE` when each run says so in
    ``ctx.info["proof"]``; the engine writes ``info["proof_kind"]`` from it, and a class
    that claims ``exact`` without a scope is refused when it is defined.  The
    engine checks the options when a run starts (:meth:`validated`), and handles
    budgets, Ctrl-C and SIGTERM: a strategy never needs to catch them.  Run state
    lives in the :class:`SearchContext` (``ctx.info`` is the result's ``info``).

    Parameters
    ----------
    seed : int or None, default=None
        Seed of the strategy's random choices (``solve(seed=...)`` sets it).
    """

    name: ClassVar[str] = ""
    exact: ClassVar[bool] = False
    proof_scope: ClassVar[str | None] = None  # what an ``infeasible`` rules out (exact only)
    multi_output: ClassVar[bool] = False  # handles problems with several output units
    weighted: ClassVar[bool] = False  # searches by the evaluator's (sample-weighted) loss
    max_hidden_layers: ClassVar[int | None] = None  # deepest network it handles (None: any)
    params: ClassVar[dict[str, Param]] = {}

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        if cls.exact and not cls.proof_scope:
            raise TypeError(
                f"exact strategy {cls.__name__} must declare proof_scope: what its "
                f"'infeasible' rules out ({REAL_WEIGHTS!r}, another weight class, or "
                "RUN_SCOPE when each run sets info['proof'])"
            )

    def __init__(self, seed: int = 0):
        self.seed = seed

    @abstractmethod
    def run(self, ctx: SearchContext) -> tuple[Status, str]:
        """Search; return ``(status, message)``.

        Parameters
        ----------
        ctx : SearchContext
            The run: ``ctx.evaluate`` scores target settings, ``ctx.info`` is the report.

        Returns
        -------
        tuple of (Status, str)
            The status (see :class:`SearchResult`) and a message.
        """

    def check(self, evaluator: Evaluator) -> None:  # noqa: B027 (an optional hook)
        """Refuse architectures or problems the strategy cannot handle (optional hook).

        Parameters
        ----------
        evaluator : Evaluator
            The problem and architecture of the run.

        Raises
        ------
        HardTargetError
            When the strategy cannot handle them, saying what to use instead.
        """

    def check_params(self) -> None:  # noqa: B027 (an optional hook)
        """Refuse combinations of valid options that do not go together (optional hook)."""

    def footprint(self, evaluator: Evaluator) -> Footprint:
        """The memory (and encoding size) a run on ``evaluator``'s problem needs, estimated
        from its shape (see :mod:`.scale`); a strategy that builds a model overrides it.

        Parameters
        ----------
        evaluator : Evaluator
            The run's problem and hidden widths.

        Returns
        -------
        Footprint
        """
        return local_footprint(evaluator)

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
        """The declared default of every option, ``{name: default}``."""
        sig = inspect.signature(cls.__init__)
        return {k: sig.parameters[k].default for k in cls._param_names()}

    @classmethod
    def declared(cls) -> dict[str, Param]:
        """Every parameter's declaration (seed included)."""
        return {"seed": Param("int", "random seed", low=0), **cls.params}

    def get_params(self, deep: bool = True) -> dict:
        """The ``__init__`` arguments as stored (scikit-learn's ``get_params``).

        Parameters
        ----------
        deep : bool, default=True
            Accepted for scikit-learn; strategies hold no nested estimators.

        Returns
        -------
        dict
        """
        return {k: getattr(self, k) for k in self._param_names()}

    def set_params(self, **params) -> Strategy:
        """Set ``__init__`` arguments (scikit-learn's ``set_params``); unknown keys are errors.

        Parameters
        ----------
        **params
            Option values by name.

        Returns
        -------
        Strategy
            ``self``.
        """
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


def _stopped(ctx: SearchContext, status: Status, message: str) -> tuple[Status, str]:
    """A budget or a signal ended the run: zero errors are still a success; else say what
    is kept."""
    best = ctx.best
    if best is not None and best.errors == 0:
        return Status.FEASIBLE, f"zero training errors (found before the run stopped: {message})"
    if best is None:
        return status, (
            f"{message}; no network was found before the run stopped (nothing to return or save)"
        )
    return status, f"{message}; the best network so far has {best.errors} training error(s)"


def _proof_scope(strategy: Strategy, info: dict) -> str:
    """What an ``infeasible`` of ``strategy`` rules out, from its declared scope; a strategy
    that states none has a bug (an ``infeasible`` is never taken as a proof by default)."""
    scope = info.get("proof") if strategy.proof_scope == RUN_SCOPE else strategy.proof_scope
    if not strategy.exact or not isinstance(scope, str):
        raise TypeError(
            f"strategy {strategy.name!r} returned 'infeasible' without a proof scope "
            "(an exact strategy declares proof_scope; with RUN_SCOPE, its run sets "
            "info['proof'])"
        )
    return scope


def result_from(
    ctx: SearchContext, strategy: Strategy, status: Status, message: str
) -> SearchResult:
    """The engine's result: zero-error targets are the returned network's own activations;
    an ``infeasible`` gets ``info["proof"]`` (its scope) and ``info["proof_kind"]`` (what
    :func:`~hardtarget.min_width` records) from the strategy's declared proof scope."""
    status = Status(status)
    ev = ctx.evaluator
    best = ctx.best
    m = ev.problem.n_samples
    targets = network = None
    if best is not None:
        network = best.network
        targets = _hidden_targets(network, ev.problem.X) if best.errors == 0 else best.targets
    info = dict(ctx.info)
    if status is Status.INFEASIBLE:
        scope = _proof_scope(strategy, info)
        info.setdefault("proof", scope)
        info["proof_kind"] = proof_kind(scope)
    if ev.objective != "errors":
        info.update(objective_info(ev.objective, best))
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
        info=info,
    )


def objective_info(objective: str, best) -> dict:
    """What a search objective reports in ``info``: per unit its normalized margin and
    nonzero input weights (``units``), their minimum and total."""
    out: dict = {"search_objective": objective}
    if best is None or not best.units:
        return out
    out["units"] = [
        {"layer": d, "unit": j, "normalized_margin": mg, "nonzero_weights": nz}
        for d, j, mg, nz in best.units
    ]
    out["min_normalized_margin"] = min(u[2] for u in best.units)
    out["nonzero_weights"] = sum(u[3] for u in best.units)
    return out


@contextlib.contextmanager
def _guard(ctx: SearchContext) -> Iterator[list]:
    """Signals cancel the run's budget while the block runs; stops become a status (in
    ``out``): ``interrupted`` once the budget was cancelled, else ``time_limit``."""
    out: list = []
    with ctx.signals:
        try:
            yield out
        except BudgetExhausted as exc:  # a forced state's grace ends after a cancel too
            if ctx.budget.cancelled:
                out[:] = _stopped(ctx, Status.INTERRUPTED, "interrupted by the user")
            else:
                out[:] = _stopped(ctx, Status.TIME_LIMIT, str(exc))
        except (Interrupted, KeyboardInterrupt):
            out[:] = _stopped(ctx, Status.INTERRUPTED, "interrupted by the user")
        except StopRequested as exc:  # raised by a solver of its own
            try:
                ctx.budget.check()
                out[:] = _stopped(ctx, Status.TIME_LIMIT, str(exc) or "stopped")
            except BudgetExhausted as why:
                out[:] = _stopped(ctx, Status.TIME_LIMIT, str(why))
            except Interrupted:
                out[:] = _stopped(ctx, Status.INTERRUPTED, "interrupted by the user")
        finally:
            ctx.close()


def run_strategy(strategy: Strategy, ctx: SearchContext) -> SearchResult:
    """Run a strategy under the context's budget; budgets and signals return the best so far.

    Parameters
    ----------
    strategy : Strategy
        A validated strategy (see :func:`prepare_search`).
    ctx : SearchContext
        Its run context.

    Returns
    -------
    SearchResult
    """
    cfg = strategy.validated()
    n_out = ctx.evaluator.t_out.shape[1]
    if n_out > 1 and not cfg.multi_output:
        multi = sorted(c.name for c in _subclasses(Strategy) if c.multi_output and c.name)
        raise HardTargetError(
            f"strategy {cfg.name!r} handles one output unit; this problem has "
            f"{n_out} (one-vs-rest). Use one of {multi}"
        )
    cfg.check(ctx.evaluator)
    check_fits(cfg, ctx.evaluator)
    with _guard(ctx) as out:
        log.info("search started: %r, hidden %s", cfg, ctx.evaluator.hidden)
        out[:] = cfg.run(ctx)
    status, message = out
    return result_from(ctx, cfg, status, message)


def _subclasses(cls: type) -> list:
    subs: list[type] = cls.__subclasses__()
    return [c for s in subs for c in (s, *_subclasses(s))]
