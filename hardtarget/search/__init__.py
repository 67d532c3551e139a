"""Target search: the combinatorial half of the paper's decomposition.

Strategies are objects (``BeamSearch(width=8, seed=0)``) or registry names
(``strategy="beam"``); :func:`solve` runs one and returns a :class:`SearchResult`.
To add a strategy, subclass :class:`Strategy`, give it a ``name``, declare its options
in ``params`` (:class:`Param`) and, for an exact one, its ``proof_scope``
(:data:`REAL_WEIGHTS` or :data:`RUN_SCOPE`), and register it by an entry point in the
group ``hardtarget.strategies`` (the built-ins are registered so, see
:mod:`hardtarget.registry`) or, for one session, with :func:`register`;
:func:`strategy_params` lists a registered strategy's options.
"""

from __future__ import annotations

from .api import (
    STRATEGIES,
    check_options,
    get_strategy,
    min_width,
    prepare_search,
    register,
    solve,
    strategy_params,
)
from .base import (
    REAL_WEIGHTS,
    RUN_SCOPE,
    STATUSES,
    Budget,
    SearchContext,
    SearchResult,
    Strategy,
    run_strategy,
)
from .evaluate import LOSSES, OBJECTIVES, Evaluator
from .exhaustive import Exhaustive
from .ftprop import FTProp
from .local import BeamSearch, HillClimb, Madaline
from .params import Param
from .repair import Repair
from .sat import SatLP, SatSearch, sat_verify

__all__ = [
    "Budget",
    "SearchContext",
    "SearchResult",
    "Strategy",
    "STATUSES",
    "REAL_WEIGHTS",
    "RUN_SCOPE",
    "Evaluator",
    "LOSSES",
    "OBJECTIVES",
    "Exhaustive",
    "HillClimb",
    "BeamSearch",
    "Repair",
    "Madaline",
    "FTProp",
    "STRATEGIES",
    "get_strategy",
    "register",
    "solve",
    "prepare_search",
    "run_strategy",
    "min_width",
    "SatSearch",
    "SatLP",
    "sat_verify",
    "strategy_params",
    "check_options",
    "Param",
]
