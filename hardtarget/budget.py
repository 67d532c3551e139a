"""One deadline and cancel object, passed explicitly through every layer.

A :class:`Budget` carries a run's limits — a wall-clock time limit, a number of states
(target settings evaluated) — and its cancellation (Ctrl-C, SIGTERM, a portfolio that
found its answer).  The search engine, the unit solvers, the SAT/CP-SAT watchdogs,
portfolio members in other processes and torch training all take one as an argument
and ask it whether to go on:

- ``budget.check()`` raises :class:`BudgetExhausted` (time or states used up) or
  :class:`Interrupted` (cancelled), both :class:`~hardtarget.errors.StopRequested`;
- ``budget.stopped()`` is the same test as a bool, for a loop that ends by itself;
- ``budget.remaining()`` is the seconds left (None without a time limit), for a
  solver that takes a time limit of its own;
- ``budget.on_cancel(fn)`` calls ``fn`` from another thread on cancellation, for a
  solver running in C (``CpSolver.stop_search``, PySAT's ``interrupt``);
- ``budget.child(seconds=..., share=...)`` is a phase's budget: it ends no later than
  its parent, is cancelled with it and counts its states against it.

A budget's clock starts when it is made.  Work in another process gets a
:class:`RemoteBudget` (:meth:`Budget.remote`): picklable, it holds the wall-clock
deadline, the states left and a cancel channel, and :meth:`RemoteBudget.open` makes
the worker's budget from it.

Examples
--------
>>> from hardtarget.budget import Budget
>>> b = Budget(time_limit=60, max_states=2)
>>> b.spend()
>>> b.stopped()
False
>>> phase = b.child(share=0.5)  # at most half of the time left, and the same state limit
>>> phase.spend()
>>> b.check()
Traceback (most recent call last):
...
hardtarget.budget.BudgetExhausted: state limit of 2 reached
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
import warnings
import weakref
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from .errors import HardTargetError, StopRequested

__all__ = [
    "Budget",
    "BudgetExhausted",
    "Interrupted",
    "CancelChannel",
    "FileChannel",
    "RemoteBudget",
    "EpochGuard",
    "INTERRUPTED",
    "POLL",
]

INTERRUPTED = "interrupted by the user"  # the reason of a cancel by a signal or a user
POLL = 0.1  # seconds between a remote budget's looks at its cancel channel


class BudgetExhausted(StopRequested):
    """Raised when the time or state budget runs out."""


class Interrupted(StopRequested):
    """Raised after a cancel: SIGINT (Ctrl-C), SIGTERM, or a caller that stopped the work."""


class _Counter:
    """States spent, shared by a budget and its children."""

    def __init__(self) -> None:
        self.n = 0
        self.lock = threading.Lock()


def _check_time_limit(tl) -> float | None:
    number = (int, float, np.integer, np.floating)
    if tl is not None and (isinstance(tl, bool) or not isinstance(tl, number) or not tl > 0):
        raise HardTargetError(f"time_limit must be a number of seconds > 0, got {tl!r}")
    return tl if tl is None or isinstance(tl, (int, float)) else float(tl)  # numpy: a float


def _check_max_states(ms) -> int | None:
    if ms is not None and (isinstance(ms, bool) or not isinstance(ms, (int, np.integer)) or ms < 1):
        raise HardTargetError(f"max_states must be an integer >= 1, got {ms!r}")
    return None if ms is None else int(ms)


class Budget:
    """A run's deadline, state limit and cancellation (None = no limit).

    The clock starts when the budget is made.  Thread-safe: any thread may cancel it,
    spend states or check it.

    Parameters
    ----------
    time_limit : float or None
        Seconds from now.
    max_states : int or None
        Target settings evaluated (counted with :meth:`spend`).
    clock : callable, optional
        Seconds as a float, monotonic (default :func:`time.perf_counter`); tests inject
        a fake one.

    Examples
    --------
    >>> b = Budget(time_limit=10.0)
    >>> b.cancel()
    >>> b.stopped(), b.cancelled
    (True, True)
    """

    def __init__(
        self,
        time_limit: float | None = None,
        max_states: int | None = None,
        *,
        clock: Callable[[], float] | None = None,
    ):
        self._init(_check_time_limit(time_limit), _check_max_states(max_states), clock)

    def _init(self, time_limit, max_states, clock, parent=None, counter=None, base=0) -> None:
        self.time_limit = time_limit
        self.max_states = max_states
        self.clock = clock or time.perf_counter
        self.start = self.clock()
        self.deadline = None if time_limit is None else self.start + float(time_limit)
        self._parent = parent
        self._counter = counter or _Counter()
        self._state_end = None if max_states is None else base + max_states
        self._reason: str | None = None
        self._lock = threading.Lock()
        self._hooks: list[Callable[[], None]] = []
        self._children: weakref.WeakSet = weakref.WeakSet()

    @classmethod
    def _make(cls, time_limit, max_states, clock, **kw) -> Budget:
        b = cls.__new__(cls)
        b._init(time_limit, max_states, clock, **kw)
        return b

    def __repr__(self) -> str:
        left = self.remaining()
        state = " cancelled" if self.cancelled else ""
        return (
            f"Budget(time_limit={self.time_limit!r}, max_states={self.max_states!r}, "
            f"remaining={'None' if left is None else f'{left:.3g}'}, states={self.states}{state})"
        )

    # -- time ------------------------------------------------------------------------
    @property
    def elapsed(self) -> float:
        """Seconds since the budget was made."""
        return self.clock() - self.start

    def remaining(self) -> float | None:
        """Seconds left before the deadline (0 once past it), or None without a time limit.

        Returns
        -------
        float or None
        """
        if self.deadline is None:
            return None
        return max(self.deadline - self.clock(), 0.0)

    # -- states ----------------------------------------------------------------------
    @property
    def states(self) -> int:
        """States spent so far (by this budget, its parent and its children)."""
        return self._counter.n

    def spend(self, n: int = 1) -> None:
        """Count ``n`` states as evaluated (a negative ``n`` takes back states counted twice).

        Parameters
        ----------
        n : int, default=1
            States evaluated.
        """
        with self._counter.lock:
            self._counter.n += n

    def states_left(self) -> int | None:
        """States that may still be evaluated, or None without a state limit."""
        return None if self._state_end is None else max(self._state_end - self.states, 0)

    # -- cancellation ----------------------------------------------------------------
    @property
    def cancelled(self) -> bool:
        """True once this budget or one of its ancestors was cancelled."""
        b: Budget | None = self
        while b is not None:
            if b._reason is not None:
                return True
            b = b._parent
        return False

    @property
    def reason(self) -> str | None:
        """Why the budget was cancelled (the first reason given), or None."""
        b: Budget | None = self
        while b is not None:
            if b._reason is not None:
                return b._reason
            b = b._parent
        return None

    def cancel(self, reason: str = INTERRUPTED) -> None:
        """Stop the work under this budget and its children, from any thread.

        Calls the :meth:`on_cancel` callbacks (every time: a solver that started after an
        earlier cancel, and reset its own stop flag, is stopped again).

        Parameters
        ----------
        reason : str, default="interrupted by the user"
            The message of the :class:`Interrupted` that :meth:`check` raises from now on
            (the first reason given is kept).
        """
        with self._lock:
            if self._reason is None:
                self._reason = str(reason)
            hooks = list(self._hooks)
            children = list(self._children)
        for fn in hooks:
            try:
                fn()
            except Exception:  # a solver that already finished may refuse to stop
                pass
        for c in children:
            c.cancel(reason)

    @contextlib.contextmanager
    def on_cancel(self, fn: Callable[[], None]) -> Iterator[None]:
        """Call ``fn`` (from another thread) if the budget is cancelled while the block runs.

        ``fn`` is called at once if the budget is already cancelled.

        Parameters
        ----------
        fn : callable
            Called with no arguments; its exceptions are ignored.
        """
        with self._lock:
            self._hooks.append(fn)
        try:
            if self.cancelled:
                with contextlib.suppress(Exception):
                    fn()
            yield
        finally:
            with self._lock:
                self._hooks.remove(fn)

    # -- the tests -------------------------------------------------------------------
    def expired(self, within: float = 0.0) -> bool:
        """True once the deadline has passed (or comes within ``within`` seconds) or the
        state limit is reached; a cancel is not an expiry.

        Parameters
        ----------
        within : float, default=0.0
            Seconds of work about to start (an epoch): True if it would end past the deadline.
        """
        return self._expired_at(self.clock(), within)

    def _expired_at(self, now: float, within: float) -> bool:
        if self.deadline is not None and now + within >= self.deadline:
            return True
        return self._state_end is not None and self.states >= self._state_end

    def stopped(self, within: float = 0.0) -> bool:
        """True when the work must stop: cancelled, or :meth:`expired`.

        Parameters
        ----------
        within : float, default=0.0
            As for :meth:`expired`.
        """
        return self.cancelled or self.expired(within)

    def check(self) -> None:
        """Raise if the work must stop; return otherwise.

        Raises
        ------
        Interrupted
            After :meth:`cancel` (first, before the limits).
        BudgetExhausted
            When the time or the state limit is reached.
        """
        reason = self.reason
        if reason is not None:
            raise Interrupted(reason)
        if self.deadline is not None and self.clock() >= self.deadline:
            raise BudgetExhausted(f"time limit of {self.time_limit:g} s reached")
        self.check_states()

    def check_states(self) -> None:
        """Raise :class:`BudgetExhausted` if the state limit is reached (time and cancel
        aside: for work that must be finished once begun).

        Raises
        ------
        BudgetExhausted
        """
        if self._state_end is not None and self.states >= self._state_end:
            raise BudgetExhausted(f"state limit of {self.max_states} reached")

    # -- phases ----------------------------------------------------------------------
    def child(
        self,
        seconds: float | None = None,
        share: float | None = None,
        max_states: int | None = None,
    ) -> Budget:
        """A phase's budget: it ends by ``seconds`` from now, by ``share`` of the time
        left, and never after this budget; cancelling this budget cancels it; its
        states count here too.

        Parameters
        ----------
        seconds : float, optional
            Seconds from now.
        share : float, optional
            Share (0 to 1) of this budget's time left.
        max_states : int, optional
            States the phase may evaluate (within this budget's state limit).

        Returns
        -------
        Budget
        """
        now = self.clock()
        ends = [self.deadline]
        if seconds is not None:
            ends.append(now + float(seconds))
        if share is not None and self.deadline is not None:
            if not 0 <= share <= 1:
                raise HardTargetError(f"share must be between 0 and 1, got {share!r}")
            ends.append(now + share * max(self.deadline - now, 0.0))
        deadline = min((e for e in ends if e is not None), default=None)
        base = self.states
        end = self._state_end
        if max_states is not None:
            end = base + int(max_states) if end is None else min(end, base + int(max_states))
        b = Budget._make(
            None if deadline is None else deadline - now,
            None if end is None else end - base,
            self.clock,
            parent=self,
            counter=self._counter,
            base=base,
        )
        b.start, b.deadline = now, deadline
        with self._lock:
            self._children.add(b)
        return b

    def extended(self, seconds: float) -> Budget:
        """A budget to finish work already begun: this one's deadline plus ``seconds`` of
        grace, no state limit, and not cancelled with this one (a second Ctrl-C, as
        ``KeyboardInterrupt``, still ends it).  Its states count here.

        Parameters
        ----------
        seconds : float
            Grace past the deadline.

        Returns
        -------
        Budget
            It reports this budget's ``time_limit`` when it runs out.
        """
        b = Budget._make(self.time_limit, None, self.clock, counter=self._counter)
        b.start = self.start
        b.deadline = None if self.deadline is None else self.deadline + float(seconds)
        return b

    # -- other processes -------------------------------------------------------------
    def remote(self, channel: CancelChannel | None = None) -> RemoteBudget:
        """What a worker process needs to rebuild this budget (see :class:`RemoteBudget`).

        Parameters
        ----------
        channel : CancelChannel, optional
            How a cancel reaches the worker (:class:`FileChannel` on this machine, an
            event on a Dask cluster); the caller sets it when this budget is cancelled,
            e.g. ``with budget.on_cancel(channel.set): ...``.

        Returns
        -------
        RemoteBudget
        """
        left = self.remaining()
        return RemoteBudget(
            deadline=None if left is None else time.time() + left,
            max_states=self.states_left(),
            channel=channel,
        )


class EpochGuard:
    """Ends a training loop before an epoch that would end past the budget's deadline.

    The loop asks :meth:`over` before every epoch (and between the row blocks of a long
    one); it is True on a cancel, at the state limit, or when an epoch as long as the
    longest gap between two questions so far would end past the deadline (an epoch can
    take seconds on a large problem: waiting for the deadline would overrun it).

    Parameters
    ----------
    budget : Budget
        The loop's budget (e.g. ``run_budget.child(share=0.5)``).

    Examples
    --------
    >>> guard = EpochGuard(Budget(time_limit=60))
    >>> guard.over()
    False
    """

    def __init__(self, budget: Budget):
        self.budget = budget
        self._last = budget.clock()
        self.longest = 0.0

    def over(self) -> bool:
        """Whether the loop must end now (see the class)."""
        b = self.budget
        now = b.clock()
        self.longest = max(self.longest, now - self._last)
        self._last = now
        return b.cancelled or b._expired_at(now, self.longest)


class CancelChannel(Protocol):
    """How a cancel reaches another process: ``set()`` there, ``is_set()`` here."""

    def set(self) -> None: ...  # pragma: no cover

    def is_set(self) -> bool: ...  # pragma: no cover


@dataclass(frozen=True)
class FileChannel:
    """A cancel channel between processes of one machine: set once ``path`` exists.

    Parameters
    ----------
    path : str
        A file in a directory that both processes see.
    """

    path: str

    def set(self) -> None:
        """Create the file."""
        with open(self.path, "w"):
            pass

    def is_set(self) -> bool:
        """Whether the file exists."""
        return os.path.exists(self.path)


@dataclass(frozen=True)
class RemoteBudget:
    """A budget sent to another process: the wall-clock deadline (``time.time()``), the
    states left and a cancel channel.  Picklable; :meth:`open` makes the worker's budget.

    Parameters
    ----------
    deadline : float or None
        Wall-clock deadline.
    max_states : int or None
        States left.
    channel : CancelChannel or None
        Looked at every ``POLL`` seconds while the worker's budget is open.
    """

    deadline: float | None = None
    max_states: int | None = None
    channel: CancelChannel | None = None

    def time_left(self) -> float | None:
        """Wall-clock seconds before the deadline (negative past it), or None."""
        return None if self.deadline is None else self.deadline - time.time()

    def cancelled(self) -> bool:
        """Whether the channel was set already (False when it cannot be read)."""
        try:
            return self.channel is not None and bool(self.channel.is_set())
        except Exception:
            return False

    @contextlib.contextmanager
    def open(
        self, clock: Callable[[], float] | None = None, poll: float = POLL
    ) -> Iterator[Budget]:
        """The worker's budget, cancelled (reason ``interrupted by the user``) once the
        channel is set while the block runs.

        Parameters
        ----------
        clock : callable, optional
            The budget's clock (default :func:`time.perf_counter`).
        poll : float, default=POLL
            Seconds between looks at the channel.

        Yields
        ------
        Budget
            Expired at once if the deadline has passed.
        """
        left = self.time_left()
        b = Budget._make(None if left is None else left, self.max_states, clock)
        if left is not None and left <= 0:
            b.deadline = b.start
        if self.channel is None:
            yield b
            return
        done = threading.Event()
        channel = self.channel

        def watch() -> None:
            while not done.wait(poll):
                try:
                    if channel.is_set():
                        b.cancel(INTERRUPTED)
                        return
                except Exception:  # the channel went away: the budget keeps its deadline
                    return

        if self.cancelled():
            b.cancel(INTERRUPTED)
        watcher = threading.Thread(target=watch, daemon=True, name="hardtarget-cancel")
        watcher.start()
        try:
            yield b
        finally:
            done.set()


class _Polled(Budget):
    """A budget cancelled whenever the caller's ``stop()`` says so (asked at every look)."""

    def __init__(self, stop: Callable[[], bool]):
        super().__init__()
        self._stop = stop

    @property
    def cancelled(self) -> bool:
        return bool(self._stop()) or super().cancelled

    @property
    def reason(self) -> str | None:
        if self._stop():
            return "stopped by the caller's stop callback"
        return super().reason


def legacy_stop(stop: Callable[[], bool] | None, where: str) -> Budget | None:
    """The budget for a deprecated ``stop=`` callback of ``where`` (None stays None).

    Parameters
    ----------
    stop : callable or None
        Returns True to stop.
    where : str
        The function that took it, named in the DeprecationWarning.

    Returns
    -------
    Budget or None
    """
    if stop is None:
        return None
    warnings.warn(
        f"{where}(stop=...) is deprecated; pass budget=hardtarget.budget.Budget(...) "
        "(cancel it to stop)",
        DeprecationWarning,
        stacklevel=3,
    )
    return _Polled(stop)
