"""How a run, a solver call or a training ended: one vocabulary for the whole package.

A :class:`Status` is a ``str``: ``Status.OPTIMAL == "optimal"``, it is written to JSON as
``"optimal"`` and a status read back from a saved file (a plain string) compares equal
to the member, so code and files that use the strings keep working.

What an ``infeasible`` rules out is its *proof scope*, stated separately (see
:data:`REAL_WEIGHTS` and :func:`proof_kind`): a status never implies a proof by itself.
"""

from __future__ import annotations

from enum import Enum

__all__ = ["Status", "REAL_WEIGHTS", "proof_kind", "SEARCH_STATUSES"]

REAL_WEIGHTS = "real weights"  # the proof scope of a full proof: every network of the shape


class Status(str, Enum):
    """The outcome of a search, a solver call, a check or a training run.

    Searches (:class:`~hardtarget.search.SearchResult`): ``optimal`` (an exact strategy
    finished with zero loss or proved the minimum), ``feasible`` (zero training errors,
    not proven optimal), ``infeasible`` (proved: no network fits; see the proof scope),
    ``local_optimum``, ``time_limit`` (a budget ran out) and ``interrupted`` (Ctrl-C or
    SIGTERM).  Solver calls (CP-SAT, PySAT, the ``sat-lp`` proposers) and checks use
    ``optimal``, ``feasible``, ``infeasible`` and ``unknown`` (stopped before an answer).
    Training runs: ``running``, ``completed``, ``stopped`` (a callback stopped it),
    ``interrupted`` and ``failed``.  A benchmark row a strategy refused is ``refused``.

    Examples
    --------
    >>> from hardtarget import Status
    >>> Status("infeasible") is Status.INFEASIBLE, Status.OPTIMAL == "optimal"
    (True, True)
    >>> f"{Status.TIME_LIMIT}", Status.FEASIBLE.success
    ('time_limit', True)
    """

    OPTIMAL = "optimal"
    FEASIBLE = "feasible"
    INFEASIBLE = "infeasible"
    LOCAL_OPTIMUM = "local_optimum"
    TIME_LIMIT = "time_limit"
    INTERRUPTED = "interrupted"
    UNKNOWN = "unknown"
    RUNNING = "running"
    COMPLETED = "completed"
    STOPPED = "stopped"
    FAILED = "failed"
    REFUSED = "refused"

    def __str__(self) -> str:
        return self.value

    def __format__(self, spec: str) -> str:
        return format(self.value, spec)

    @property
    def success(self) -> bool:
        """True for ``optimal`` and ``feasible``: a fit (or a solver's solution) was found."""
        return self in (Status.OPTIMAL, Status.FEASIBLE)

    @property
    def decided(self) -> bool:
        """True for ``optimal`` and ``infeasible``: the question was settled exactly."""
        return self in (Status.OPTIMAL, Status.INFEASIBLE)


SEARCH_STATUSES = (
    Status.OPTIMAL,
    Status.FEASIBLE,
    Status.INFEASIBLE,
    Status.TIME_LIMIT,
    Status.INTERRUPTED,
    Status.LOCAL_OPTIMUM,
)


def proof_kind(scope: str) -> str:
    """What :func:`~hardtarget.min_width` records for a width proved infeasible within
    ``scope``: ``"proof"`` for :data:`REAL_WEIGHTS`, else ``"proof for <scope>"``.

    Parameters
    ----------
    scope : str
        The weight class an ``infeasible`` rules out, e.g. ``"binary weights"``.

    Returns
    -------
    str

    Examples
    --------
    >>> proof_kind("real weights"), proof_kind("binary weights")
    ('proof', 'proof for binary weights')
    """
    return "proof" if scope == REAL_WEIGHTS else f"proof for {scope}"
