"""Any grid of tasks on a Dask ``distributed`` cluster, stopped through one budget.

:func:`dask_map` scatters large shared objects (problems) to the workers once, submits
one task per argument tuple and yields the results as they finish.  Each task gets a
:class:`~hardtarget.budget.RemoteBudget` as its last argument: the caller's deadline and
a cancel channel (:class:`DaskChannel`, a ``distributed.Event``) that is set when the
caller stops early (it closed the generator, Ctrl-C, its budget was cancelled); a
task opens it (``with remote.open() as budget``) and passes the budget on, so a running
member ends as ``interrupted`` within about ``hardtarget.budget.POLL`` seconds.  The
search portfolio (:mod:`.portfolio`) and the benchmark grid (``hardtarget bench
--scheduler``) both run through it.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Generator
from dataclasses import dataclass

from ..budget import Budget
from .scheduler import _distributed, connect, connect_timeout

__all__ = ["DaskChannel", "Shared", "dask_map"]


@dataclass(frozen=True)
class Shared:
    """A task argument that :func:`dask_map` sends to the workers once (by key)."""

    key: str


class DaskChannel:
    """A cancel channel across a Dask cluster: the ``distributed.Event`` named ``name``.

    Picklable.  On a worker the event is found through the task's client, in the thread
    that first asks (:meth:`RemoteBudget.open <hardtarget.budget.RemoteBudget.open>`
    asks from the task's own thread before its watcher starts).

    Parameters
    ----------
    name : str
        The event's name, unique per :func:`dask_map` call.
    client : distributed.Client, optional
        The client that sets it (the caller's); on a worker, the task's.
    """

    def __init__(self, name: str, client=None):
        self.name = name
        self._client = client
        self._event = None

    def __getstate__(self) -> dict:
        return {"name": self.name}

    def __setstate__(self, state: dict) -> None:
        self.name, self._client, self._event = state["name"], None, None

    def __eq__(self, other) -> bool:
        return isinstance(other, DaskChannel) and other.name == self.name

    def __hash__(self) -> int:
        return hash(self.name)

    def _flag(self):
        if self._event is None:
            distributed = _distributed()
            client = self._client or distributed.get_client()
            self._event = distributed.Event(self.name, client=client)
        return self._event

    def set(self) -> None:
        """Set the event: every task that watches it is cancelled."""
        self._flag().set()

    def is_set(self) -> bool:
        """Whether the event is set."""
        return bool(self._flag().is_set())


def dask_map(
    fn: Callable,
    tasks: list[tuple],
    scheduler,
    shared: dict | None = None,
    budget: Budget | None = None,
) -> Generator[tuple[int, object], None, None]:
    """Run ``fn(*task, remote)`` for every task on a Dask cluster; yield ``(index, result)``
    as they finish.

    ``remote`` is ``budget.remote(channel)`` (a :class:`~hardtarget.budget.RemoteBudget`:
    the deadline of ``budget``, if any, and the cancel channel of this call).  ``shared``
    maps keys to large objects (problems) sent to every worker once; a task names one by
    a :class:`Shared` argument.  Closing the generator early (or Ctrl-C), or cancelling
    ``budget``, cancels the tasks left and sets the channel that running tasks watch.
    Connecting takes at most :func:`~.scheduler.connect_timeout` of the budget's time.

    Parameters
    ----------
    fn : callable
        The task function; it takes the task's arguments and the remote budget.
    tasks : list of tuple
        One argument tuple per task.
    scheduler : str or distributed.Client
        A scheduler address or a client.
    shared : dict, optional
        Objects sent to every worker once, by key.
    budget : Budget, optional
        The caller's budget (default: none, only the channel).

    Yields
    ------
    tuple of (int, object)
        A task's index in ``tasks`` and its result.
    """
    distributed = _distributed()
    Client = distributed.Client
    budget = budget if budget is not None else Budget()
    left = budget.remaining()
    client = (
        scheduler
        if isinstance(scheduler, Client)
        else connect(scheduler, connect_timeout(None if left is None else time.time() + left))
    )
    channel = DaskChannel(f"hardtarget-stop-{uuid.uuid4().hex}", client)
    remote = budget.remote(DaskChannel(channel.name))
    futures: dict = {}
    try:
        with budget.on_cancel(channel.set):
            # a fresh key per call: with content keys, a client closing after an earlier call
            # on the same problem could release the data under this call's tasks
            data = {
                k: client.scatter(v, broadcast=True, hash=False) for k, v in (shared or {}).items()
            }

            def args(task: tuple) -> list:
                return [data[a.key] if isinstance(a, Shared) else a for a in task]

            futures = {
                client.submit(fn, *args(task), remote, pure=False): i
                for i, task in enumerate(tasks)
            }
            for fut in distributed.as_completed(futures, loop=client.loop):
                yield futures[fut], fut.result()
    finally:
        if futures:
            channel.set()
            client.cancel(list(futures))
        if client is not scheduler:
            client.close()
