"""The one result type of a search, and its strict-JSON form."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

import numpy as np

from ..errors import HardTargetError
from ..network import Network
from ..status import SEARCH_STATUSES, Status
from ..targets import TargetSetting

__all__ = ["SearchResult", "STATUSES"]

STATUSES = SEARCH_STATUSES


def _json(x: Any) -> Any:
    """``x`` with numpy types made plain and non-finite floats made None (strict JSON)."""
    if isinstance(x, dict):
        return {str(k): _json(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_json(v) for v in x]
    if isinstance(x, np.ndarray):
        return _json(x.tolist())
    if isinstance(x, Enum):
        return _json(x.value)
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

    ``status`` (a :class:`~hardtarget.Status`, equal to its text) is one of ``optimal``
    (an exact strategy finished with zero loss or proved the minimum), ``feasible``
    (zero training errors, found by a heuristic or before a budget ran out),
    ``infeasible`` (an exact strategy proved no network of this architecture fits the
    data; ``loss`` is then the proven minimum and ``info["proof_kind"]`` says what the
    proof covers), ``local_optimum``, ``time_limit`` (a budget ran out) or
    ``interrupted`` (Ctrl-C or SIGTERM).  In every case ``targets``/``network`` hold the
    best state found (None when none was); with zero training errors ``targets`` are the
    hidden activations of ``network``, so they verify as feasible.

    Parameters
    ----------
    status : Status or str
        See above (a text such as ``"optimal"`` is read as its :class:`~hardtarget.Status`).
    message : str
        What happened, in words.
    strategy : str
        The strategy's name.
    hidden : tuple of int
        Hidden-layer widths.
    targets : TargetSetting or None
        The best state's hidden targets.
    network : Network or None
        The best network.
    loss : float or None
        Its loss (training errors by default); None when no network was found.
    train_accuracy : float or None
        Its training accuracy.
    states_evaluated, unit_solves, cache_hits : int
        Counters of the run.
    wall_time : float
        Seconds the run took.
    time_to_best : float or None
        Seconds until the best state was found.
    history : list of tuple
        ``(seconds, loss)`` at every new best.
    info : dict
        The strategy's own report (e.g. ``info["proof"]``).

    Examples
    --------
    >>> import hardtarget as ht
    >>> r = ht.solve(ht.load_problem("parity:3"), hidden=(2,), strategy="exhaustive")
    >>> r.status, r.loss, r.info["proof_kind"]
    (<Status.INFEASIBLE: 'infeasible'>, 1.0, 'proof')
    """

    status: Status
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

    def __post_init__(self) -> None:
        if self.status not in SEARCH_STATUSES:
            valid = ", ".join(s.value for s in SEARCH_STATUSES)
            raise HardTargetError(f"unknown search status {self.status!r}; valid: {valid}")
        self.status = Status(self.status)

    @property
    def success(self) -> bool:
        """True with zero training errors found (``optimal`` or ``feasible``)."""
        return self.status.success

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
            f"SearchResult(status={self.status.value!r}, strategy={self.strategy!r}, "
            f"hidden={self.hidden}, loss={self.loss}, train_accuracy={self.train_accuracy:.4f}, "
            f"states={self.states_evaluated}, wall_time={self.wall_time:.3f}s)"
        )
