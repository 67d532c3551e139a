"""``solve`` and ``min_width``: the public entry points of target search."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from .. import registry
from ..errors import HardTargetError
from ..problem import Problem
from ..status import Status
from ..units import UnitCache
from .base import Budget, SearchContext, SearchResult, Strategy, check_seed, run_strategy
from .evaluate import OBJECTIVES, Evaluator, check_objective

__all__ = [
    "STRATEGIES",
    "register",
    "get_strategy",
    "strategy_params",
    "check_options",
    "solve",
    "prepare_search",
    "resolve_objective",
    "with_objective",
    "min_width",
    "MinWidthResult",
]

log = logging.getLogger("hardtarget.search")

STRATEGIES = registry.mapping("strategies")
"""``{name: Strategy subclass}``: a live read-only view of the registry's strategies
(the entry-point group ``hardtarget.strategies`` and :func:`register`)."""


def check_strategy_class(obj) -> None:
    """Refuse a registered strategy that is not a named :class:`Strategy` subclass.

    Parameters
    ----------
    obj : object
        What an entry point of ``hardtarget.strategies`` (or :func:`register`) gave.

    Raises
    ------
    TypeError
        Naming what a strategy must be.
    """
    if not (isinstance(obj, type) and issubclass(obj, Strategy)):
        raise TypeError(f"a strategy must be a subclass of hardtarget.search.Strategy, got {obj!r}")
    if not obj.name:
        raise TypeError(f"{obj.__name__} needs a non-empty `name`")


def register(cls: type[Strategy]) -> type[Strategy]:
    """Add a Strategy subclass to the registry under ``cls.name`` for this session.

    A strategy in an installed package registers through the entry-point group
    ``hardtarget.strategies`` instead (see :mod:`hardtarget.registry`).

    Parameters
    ----------
    cls : type
        A :class:`Strategy` subclass with a ``name``.

    Returns
    -------
    type
        ``cls``.
    """
    if isinstance(cls, type) and issubclass(cls, Strategy) and not cls.name:
        raise HardTargetError(f"{cls.__name__} needs a non-empty `name` to be registered")
    return registry.register("strategies", cls, getattr(cls, "name", None))


def get_strategy(strategy: str | Strategy, seed: int = 0, **options) -> Strategy:
    """Resolve a name or instance; unknown names and options raise, listing the valid ones.

    Options are stored as given and checked when a run starts.

    Parameters
    ----------
    strategy : str or Strategy
        A registered name or an instance.
    seed : int, optional
        Seed of the strategy.
    **options
        Strategy options.

    Returns
    -------
    Strategy

    Raises
    ------
    HardTargetError
        An unknown name or option, listing the valid ones.

    Examples
    --------

    >>> get_strategy("beam", width=8)
    BeamSearch(width=8)
    """
    if isinstance(strategy, Strategy):
        if options:
            raise HardTargetError(
                "options go to the strategy's constructor when you pass an instance"
            )
        return strategy
    comp = registry.get("strategies", strategy)
    comp.check_names(options)
    return comp.obj(seed=seed, **options)


def strategy_params(name: str) -> dict:
    """Declared options of a registered strategy, for command lines and documentation.

    Returns ``{option: {"type", "default", "low", "high", "choices", "none", "help",
    "valid"}}``: ``type`` is ``int``, ``float``, ``bool``, ``str`` or ``object``;
    ``low``/``high`` inclusive bounds or None; ``choices`` the valid strings (for a
    number, extra literal values such as ``"auto"``); ``none`` whether None is valid;
    ``valid`` the same in words.  ``seed`` is not listed (it is ``solve``'s).

    Parameters
    ----------
    name : str
        A registered strategy name.

    Examples
    --------

    >>> strategy_params("beam")["width"]["low"]
    1
    """
    return registry.get("strategies", name).to_dict()["params"]


def check_options(name: str, options: dict) -> dict:
    """``options`` for strategy ``name`` checked and converted (strings allowed, e.g. ``"8"``).

    Raises HardTargetError naming the valid keys or the valid range.

    Parameters
    ----------
    name : str
        A registered strategy name.
    options : dict
        Option values (strings are converted).

    Returns
    -------
    dict

    Examples
    --------

    >>> check_options("beam", {"width": "8"})
    {'width': 8}
    """
    return registry.get("strategies", name).check_options(options)


def solve(
    problem: Problem,
    hidden=(4,),
    strategy: str | Strategy = "beam",
    *,
    activation: str = "sign",
    solver: str = "auto",
    loss: str = "errors",
    objective: str | None = None,
    time_limit: float | None = None,
    max_states: int | None = None,
    seed: int = 0,
    progress: bool | None = None,
    cache: UnitCache | None = None,
    sample_weight=None,
    run_budget: Budget | None = None,
    **options,
) -> SearchResult:
    """Search hidden targets for a hard-threshold network and train it.

    Parameters
    ----------
    problem : Problem (see :func:`hardtarget.load_problem`).
    hidden : hidden-layer widths, e.g. ``(4,)`` or ``(4, 3)``; ``()`` for none; ``"auto"``:
        the smallest single hidden layer that fits (see :mod:`hardtarget.search.auto`).
    strategy : ``exhaustive``, ``hill``, ``beam``, ``ftprop``, ``madaline``, ``sat``, ``sat-lp``,
        ``repair`` (or an instance); ``"auto"``: chosen by the problem's size
        (:func:`~hardtarget.search.auto.auto_strategy`).
    activation : ``sign`` or ``step``.
    solver : unit solver for each perceptron subproblem (default ``auto``).
    loss : output loss, ``errors`` (default) or a hinge-family loss.
    objective : what to prefer among networks with the same loss: ``errors`` (None, the
        default: the first found), ``margin`` (every unit's maximum-margin weights; the
        search prefers larger normalized margins) or ``sparsity`` (the fewest nonzero
        weights).  ``feasibility`` is the ``objective`` option of ``sat``/``sat-lp``,
        passed on as before.  See ``docs/guide/objectives.md`` and
        :func:`resolve_objective`.
    time_limit, max_states : budget; when hit, the best state so far is returned
        with status ``time_limit``.  Ctrl-C returns it with status ``interrupted``.
    run_budget : :class:`~hardtarget.budget.Budget`, optional
        A deadline and cancel object of the caller's (its clock runs from when it was
        made): cancelling it from another thread ends the run as ``interrupted``; with
        ``time_limit``/``max_states`` too, the run gets a child budget with those limits.
        (Not ``budget``: that is an option of ``ftprop``.)
    seed : makes the run reproducible.
    sample_weight : (n_samples,) non-negative weights for the local strategies (``hill``,
        ``beam``, ``madaline``, ``ftprop``): the units and the loss weigh each sample;
        weight 0 leaves a sample out.  The exact strategies refuse it.
    options : passed to the strategy (e.g. ``width=8`` for beam); see
        :func:`strategy_params`.  Unknown ones and invalid values raise HardTargetError.
    progress : bool, optional
        Show a progress bar (default: on a terminal).
    cache : UnitCache, optional
        Reuse unit solves across runs.

    Examples
    --------
    >>> import hardtarget as ht
    >>> r = ht.solve(ht.load_problem("xor"), hidden=(2,), strategy="exhaustive")
    >>> print(r.status, r.train_accuracy)
    optimal 1.0
    """
    from .auto import is_auto, solve_auto

    if is_auto(hidden) or is_auto(strategy):
        return solve_auto(
            problem,
            hidden,
            strategy,
            activation=activation,
            solver=solver,
            loss=loss,
            objective=objective,
            time_limit=time_limit,
            max_states=max_states,
            seed=seed,
            progress=progress,
            cache=cache,
            sample_weight=sample_weight,
            run_budget=run_budget,
            **options,
        )
    strat, ctx = prepare_search(
        problem,
        hidden,
        strategy,
        activation=activation,
        solver=solver,
        loss=loss,
        objective=objective,
        time_limit=time_limit,
        max_states=max_states,
        seed=seed,
        progress=progress,
        cache=cache,
        sample_weight=sample_weight,
        run_budget=run_budget,
        **options,
    )
    return run_strategy(strat, ctx)


def prepare_search(
    problem: Problem,
    hidden=(4,),
    strategy: str | Strategy = "beam",
    *,
    activation: str = "sign",
    solver: str = "auto",
    loss: str = "errors",
    objective: str | None = None,
    time_limit: float | None = None,
    max_states: int | None = None,
    seed: int = 0,
    progress: bool | None = None,
    cache: UnitCache | None = None,
    sample_weight=None,
    run_budget: Budget | None = None,
    **options,
) -> tuple[Strategy, SearchContext]:
    """The validated strategy and the run context that :func:`solve` (same arguments)
    runs with ``run_strategy(strategy, context)``: a caller that holds the context can
    stop the run from another thread (``context.budget.cancel()``).

    Parameters
    ----------
    problem, hidden, strategy, activation, solver, loss, time_limit, max_states, seed, progress
        As for :func:`solve`.
    objective, sample_weight, cache, run_budget, **options
        As for :func:`solve`.

    Returns
    -------
    tuple of (Strategy, SearchContext)
    """
    seed = check_seed(seed)
    search_objective, options = resolve_objective(strategy, objective, options)
    strat = get_strategy(strategy, seed=seed, **options)
    if sample_weight is not None and not strat.weighted:
        weighted = [c.name for c in registry.components("strategies") if c.obj.weighted]
        raise HardTargetError(
            f"strategy {strat.name!r} counts training errors itself and takes no "
            f"sample_weight; use one of {', '.join(weighted)}, or drop the weights"
        )
    _check_combination(strat, search_objective)
    ev = Evaluator(
        problem,
        hidden,
        activation=activation,
        solver=solver,
        loss=loss,
        cache=cache,
        sample_weight=sample_weight,
        objective=search_objective,
    )
    return strat, SearchContext(
        ev, budget_of_run(run_budget, time_limit, max_states), seed=seed, progress=progress
    )


def budget_of_run(
    budget: Budget | None, time_limit: float | None, max_states: int | None
) -> Budget:
    """The budget of one run: ``Budget(time_limit, max_states)``, or with the caller's
    ``budget`` a child of it with those limits (``budget`` itself without them)."""
    own = Budget(time_limit, max_states)  # checks them
    if budget is None:
        return own
    if not isinstance(budget, Budget):
        raise HardTargetError(f"run_budget must be a hardtarget.budget.Budget, got {budget!r}")
    if time_limit is None and max_states is None:
        return budget
    return budget.child(seconds=time_limit, max_states=max_states)


def resolve_objective(strategy, objective, options: dict) -> tuple[str, dict]:
    """Split ``solve``'s ``objective`` into the search objective and strategy options.

    The search objective (:data:`~.evaluate.OBJECTIVES`: ``errors``, ``margin``,
    ``sparsity``) says which of the networks with the same loss a search prefers.  The
    strategies ``sat`` and ``sat-lp`` also have an option named ``objective`` (what their
    solver optimizes: ``errors``, ``feasibility``, ``sparsity`` for ``sat``).  A strategy
    given by name gets the value as its option too when it is one of the option's
    choices, so ``objective="feasibility"`` (the search objective stays ``errors``) and
    ``strategy="sat", objective="sparsity"`` (CP-SAT minimizes nonzero integer weights;
    the final real weights are the sparsest too) keep their meaning.  To combine a
    search objective with a different solver objective, pass a strategy instance
    (``SatLP(objective="feasibility")``) or, on the command line, ``--objective`` with
    ``-o objective=...``.

    >>> resolve_objective("sat-lp", "feasibility", {})
    ('errors', {'objective': 'feasibility'})
    >>> resolve_objective("beam", "margin", {"width": 8})
    ('margin', {'width': 8})
    """
    options = dict(options)
    if objective is None:
        return "errors", options
    cls = STRATEGIES.get(strategy) if isinstance(strategy, str) else None
    choices: tuple = ()
    if cls is not None and "objective" in cls.params:
        choices = cls.params["objective"].choices or ()
    if objective in choices and not isinstance(strategy, Strategy):
        options["objective"] = objective
    elif objective not in OBJECTIVES:
        if isinstance(objective, str) and objective == "feasibility":
            raise HardTargetError(
                f"objective='feasibility' is an option of the strategies sat and sat-lp, "
                f"not of {getattr(strategy, 'name', strategy)!r}; the search objectives are "
                f"{', '.join(OBJECTIVES)}"
            )
        check_objective(objective)
    search = "errors" if objective == "feasibility" else objective
    return check_objective(search), options


def with_objective(strategy, seed: int, objective, options: dict) -> tuple:
    """``(strategy, options)`` for :func:`solve` when both a search ``objective`` and the
    strategy's own ``objective`` option are given: the strategy becomes an instance that
    holds its options (a keyword argument cannot carry both)."""
    if objective is None or "objective" not in options or isinstance(strategy, Strategy):
        return strategy, options
    return get_strategy(strategy, seed=check_seed(seed), **options), {}


def _check_combination(strat: Strategy, search_objective: str) -> None:
    """Refuse a solver objective that works against the search objective."""
    own = getattr(strat, "objective", None)
    if search_objective == "margin" and own == "sparsity":
        raise HardTargetError(
            "objective='margin' with the sat option objective='sparsity' pulls two ways "
            "(CP-SAT would spend the budget on fewest weights); drop one of them"
        )


@dataclass
class MinWidthResult:
    """Smallest single-hidden-layer width that fits the data, with proofs below it.

    ``proofs[w]`` says why width ``w`` was rejected: ``"proof"`` (an exact strategy
    proved it infeasible for real weights), ``"proof for ..."`` (proved only for a
    weight class, e.g. ``"proof for binary weights"`` from ``sat``) or ``"not found"``
    (a heuristic failed, or a time limit; no proof).  ``undecided`` is the width at
    which an exact strategy stopped without an answer (a time limit, or a size it
    refused), ``undecided_reason`` says why; the proofs below it are kept.
    """

    width: int | None
    result: SearchResult | None
    proofs: dict = field(default_factory=dict)
    results: dict = field(default_factory=dict)
    undecided: int | None = None
    undecided_reason: str = ""

    @property
    def message(self) -> str:
        """One line: the widths proven infeasible, then the answer or where it stopped."""
        proven = [w for w, v in self.proofs.items() if v == "proof"]
        run = proven == list(range(proven[0], proven[-1] + 1)) if proven else False
        names = (
            f"{proven[0]}..{proven[-1]}" if run and len(proven) > 1 else ", ".join(map(str, proven))
        )
        head = (
            f"width{'s' if len(proven) > 1 else ''} {names} proven infeasible"
            if proven
            else "no width proven infeasible"
        )
        if self.width is not None:
            return f"{head}; width {self.width} fits"
        if self.undecided is not None:
            return f"{head}; width {self.undecided} not decided ({self.undecided_reason})"
        return f"{head}; no width up to {max(self.results, default=0)} found"

    @property
    def proven(self) -> bool:
        """True when every smaller width was proved infeasible (for real weights)."""
        return self.width is not None and all(v == "proof" for v in self.proofs.values())

    def to_dict(self) -> dict:
        return {
            "width": self.width,
            "proven_minimal": self.proven,
            "below": {str(k): v for k, v in self.proofs.items()},
            "undecided": self.undecided,
            "undecided_reason": self.undecided_reason,
            "message": self.message,
            "result": self.result.to_dict() if self.result else None,
        }


def min_width(
    problem: Problem,
    strategy: str | Strategy = "exhaustive",
    max_width: int = 8,
    time_limit: float | None = None,
    seed: int = 0,
    objective: str | None = None,
    run_budget: Budget | None = None,
    **options,
) -> MinWidthResult:
    """Find the smallest hidden width (one hidden layer; 0 = a single perceptron) that fits.

    ``exhaustive`` (by name) runs with ``minimize=False`` unless told otherwise: a width
    is rejected once zero errors is ruled out, without proving its least error count.
    ``objective`` is :func:`solve`'s: with ``margin`` or ``sparsity`` the width that fits
    comes with the network that objective prefers (the smaller widths are unaffected).

    Parameters
    ----------
    problem : Problem
        The training set.
    strategy : str or Strategy, default="exhaustive"
        An exact strategy gives proofs for the smaller widths.
    max_width : int, optional
        The largest width tried.
    time_limit : float, optional
        Seconds for the whole scan: every width runs on what the smaller ones left; a
        width the clock ends before or during is ``undecided``.
    seed : int, optional
        Seed of every run.
    objective : {"errors", "margin", "sparsity"}, optional
        Search objective of every run (see :func:`solve`).
    run_budget : :class:`~hardtarget.budget.Budget`, optional
        The caller's deadline and cancel object for the whole scan (``time_limit``, when
        given too, makes a child of it).
    **options
        Strategy options.

    Returns
    -------
    MinWidthResult
        ``width`` (None when none fits), ``proofs`` per smaller width, ``undecided``, ``message``.

    Examples
    --------

    >>> import hardtarget as ht
    >>> ht.min_width(ht.load_problem("parity:3")).width
    3
    """
    if isinstance(max_width, bool) or not hasattr(max_width, "__index__") or max_width < 0:
        raise HardTargetError(
            f"max_width must be an integer >= 0 (0: a single perceptron), got {max_width!r}"
        )
    out = MinWidthResult(None, None)
    cache = UnitCache()
    if isinstance(strategy, str) and strategy == "exhaustive" and "minimize" not in options:
        options["minimize"] = False  # only zero errors matter here
    strategy, options = with_objective(strategy, seed, objective, options)
    if objective is not None:
        options["objective"] = objective
    scan = budget_of_run(run_budget, time_limit, None)  # one clock for every width
    for w in range(0, int(max_width) + 1):
        if scan.stopped():  # a width with no time left is not tried, nor called disproved
            out.undecided = w
            out.undecided_reason = (
                f"stopped ({scan.reason})" if scan.cancelled else "the time limit ran out"
            )
            break
        try:
            r = solve(
                problem,
                hidden=(w,) if w else (),
                strategy=strategy,
                run_budget=scan,
                seed=seed,
                cache=cache,
                **options,
            )
        except HardTargetError as exc:  # refused (too big): keep what the smaller widths proved
            if not out.results:
                raise
            out.undecided, out.undecided_reason = w, str(exc)
            break
        out.results[w] = r
        if r.status == Status.TIME_LIMIT:
            out.undecided, out.undecided_reason = w, r.message
            break
        log.info("width %d: %s", w, r.status)
        if r.status == Status.INTERRUPTED:  # Ctrl-C stops the whole scan, not one width
            break
        if r.success:
            out.width, out.result = w, r
            return out
        # what the proof covers ("proof", "proof for binary weights", ...): the engine
        # writes it from the strategy's declared proof scope; nothing else counts as one
        out.proofs[w] = (
            r.info.get("proof_kind", "not found") if r.status == Status.INFEASIBLE else "not found"
        )
    return out
