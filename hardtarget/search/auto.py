"""``hidden="auto"`` and ``strategy="auto"``: size-aware defaults for :func:`solve`.

The choices, measured in ``benchmarks/bench_generalization.py`` and documented in
``docs/guide/estimator.md``:

* **width** (``hidden="auto"``): the smallest single hidden layer that fits, tried in the
  order ``AUTO_WIDTHS`` (0, a single layer of perceptrons, first: its exact LP verdict
  takes milliseconds), stopping at the first width with zero training errors.  Small nets
  that fit exactly generalize best among exact fits (and are the cheapest to prove).
  Each width gets an equal share of the time left; time a width does not use passes on.
  Width 0 has a single state (no hidden targets): it is evaluated as ``strategy="auto"``
  does (``hill``) whatever the strategy named.
* **strategy** (``strategy="auto"``): without a hidden layer, ``hill`` (there is one
  state to evaluate: each output unit's exact LP verdict); else ``exhaustive`` (exact: it
  proves the width infeasible or finds a fit) when its bound on the states to visit is at most
  ``EXACT_SIZE``; else ``ftprop`` from a FTPROP-MB start with the relaxation polish
  (``AUTO_LOCAL``), which stops at the first zero-error network.
"""

from __future__ import annotations

import logging
import time

from ..errors import HardTargetError
from ..problem import Problem
from ..status import Status
from .exhaustive import Exhaustive
from .result import SearchResult

__all__ = ["AUTO_WIDTHS", "EXACT_SIZE", "AUTO_LOCAL", "auto_strategy", "auto_widths", "solve_auto"]

log = logging.getLogger("hardtarget.search")

AUTO_WIDTHS = (0, 2, 4, 8, 16, 32, 64)
EXACT_SIZE = 1e6
MIN_SHARE = 0.01  # seconds a search gets when the time is up (its first state is evaluated)
AUTO_LOCAL = ("ftprop", {"init": "ftprop-mb", "polish": True})


def is_auto(value) -> bool:
    """True for the string ``"auto"``."""
    return isinstance(value, str) and value == "auto"


def auto_strategy(problem: Problem, hidden: tuple, weighted: bool = False) -> tuple[str, dict]:
    """The strategy name and options ``strategy="auto"`` runs for this problem and width
    (``weighted``: with sample weights, which only the local strategies take).

    >>> import hardtarget as ht
    >>> auto_strategy(ht.load_problem("xor"), (2,))
    ('exhaustive', {})
    """
    if not hidden:
        return "hill", {}  # no hidden targets: the one state, an exact LP verdict per unit
    size = Exhaustive().estimate(problem.n_samples, problem.n_features, tuple(hidden))
    if size <= EXACT_SIZE and not weighted:
        return "exhaustive", {}
    name, options = AUTO_LOCAL
    return name, dict(options)


def auto_widths(hidden) -> list[tuple]:
    """The hidden layers a run tries: every ``AUTO_WIDTHS`` entry for ``"auto"``, else one."""
    if is_auto(hidden):
        return [(w,) if w else () for w in AUTO_WIDTHS]
    return [hidden]


def _better(a: SearchResult | None, b: SearchResult) -> bool:
    if b.network is None:
        return False
    if a is None or a.network is None:
        return True
    return (b.success, -b.loss) > (a.success, -a.loss)


def solve_auto(
    problem: Problem,
    hidden="auto",
    strategy="auto",
    *,
    time_limit: float | None = None,
    seed: int = 0,
    **kwargs,
) -> SearchResult:
    """:func:`~hardtarget.solve` over the widths and strategies the ``"auto"`` values stand
    for; the first zero-error result, else the best one (fewest errors, then smallest).

    ``result.info["auto"]`` lists what was tried: ``[(hidden, strategy, status), ...]``.
    """
    from .api import solve

    widths = auto_widths(hidden)
    start = time.monotonic()
    best, tried = None, []
    for n, h in enumerate(widths):
        share = None
        if time_limit is not None:
            left = time_limit - (time.monotonic() - start)
            if left <= 0 and best is not None:
                break
            share = max(left, MIN_SHARE) / (len(widths) - n)
        if is_auto(strategy) or not h:  # no hidden layer: one state, whatever the strategy
            weighted = kwargs.get("sample_weight") is not None
            name, options = auto_strategy(problem, h, weighted)
            options = {**options, **kwargs}
        else:
            name, options = strategy, dict(kwargs)
        r = solve(problem, h, name, time_limit=share, seed=seed, **options)
        tried.append((list(h), name, r.status))
        log.info("auto: hidden %s by %s: %s (%.2f s)", h, name, r.status, r.wall_time)
        if _better(best, r):
            best = r
        if r.success or r.status == Status.INTERRUPTED:
            break
    if best is None:
        raise HardTargetError(
            "no network was found before the time limit; raise time_limit or pass a hidden width"
        )
    best.info["auto"] = tried
    return best
