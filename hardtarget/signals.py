"""Ctrl-C and SIGTERM during a search: they cancel the run's budget, never an exception in
jitted code.

While a search runs in the main thread, :class:`StopSignals` replaces the SIGINT and
SIGTERM handlers with one that only cancels the run's :class:`~hardtarget.budget.Budget`;
the engine checks the budget between kernel calls and returns the best result so far
as ``interrupted``.  Python runs a signal handler only between bytecodes, so a solver
running in C (CP-SAT, PySAT) would not see it until it returns: for those, a watchdog
thread woken through ``signal.set_wakeup_fd`` cancels the budget, which calls the
callbacks registered with :meth:`Budget.on_cancel <hardtarget.budget.Budget.on_cancel>`
(``CpSolver.stop_search``, ``Solver.interrupt``).  A second SIGINT raises
``KeyboardInterrupt`` as usual, for a loop that never looks at the budget.  The
previous handlers are restored afterwards.
"""

from __future__ import annotations

import signal
import socket
import threading

from .budget import INTERRUPTED, Budget

__all__ = ["StopSignals"]

_SIGNALS = tuple(
    s for s in (getattr(signal, "SIGINT", None), getattr(signal, "SIGTERM", None)) if s
)


class StopSignals:
    """Context manager that turns SIGINT/SIGTERM into a cancel of ``budget`` (main thread
    only; else a no-op).

    Parameters
    ----------
    budget : Budget
        Cancelled (reason ``interrupted by the user``) when a signal arrives.
    """

    def __init__(self, budget: Budget) -> None:
        self.budget = budget
        self.signum: int | None = None
        self._handled = 0
        self._old: dict = {}
        self._old_fd = -1
        self._socks: tuple | None = None
        self._thread: threading.Thread | None = None

    @property
    def requested(self) -> bool:
        """True once SIGINT or SIGTERM arrived."""
        return self.signum is not None

    def _handle(self, signum, frame) -> None:
        self._handled += 1  # (the watchdog may have seen this same signal already)
        if self._handled > 1 and signum == signal.SIGINT:
            raise KeyboardInterrupt  # a second Ctrl-C: the user insists
        self._set(signum)

    def _set(self, signum: int) -> None:
        if self.signum is None:
            self.signum = signum
        self.budget.cancel(INTERRUPTED)  # calls the budget's on_cancel callbacks (again)

    def _watch(self, sock: socket.socket) -> None:
        while True:
            try:
                data = sock.recv(64)
            except TimeoutError:  # a solver may have started after the signal: stop it too
                # (a cancel, by a signal or not, calls the budget's callbacks every time)
                if self.budget.cancelled:
                    self.budget.cancel(INTERRUPTED)
                continue
            except OSError:
                return
            if not data:
                return
            for b in data:
                if b in _SIGNALS:
                    self._set(b)

    def __enter__(self) -> StopSignals:
        if threading.current_thread() is not threading.main_thread():
            return self
        for s in _SIGNALS:
            self._old[s] = signal.signal(s, self._handle)
        r, w = socket.socketpair()
        r.settimeout(0.25)
        w.setblocking(False)
        try:
            self._old_fd = signal.set_wakeup_fd(w.fileno(), warn_on_full_buffer=False)
        except (ValueError, OSError):
            r.close()
            w.close()
            return self
        self._socks = (r, w)
        self._thread = threading.Thread(
            target=self._watch, args=(r,), daemon=True, name="hardtarget-signals"
        )
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        if self._socks is not None:
            signal.set_wakeup_fd(self._old_fd)
            r, w = self._socks
            w.close()  # wakes the watchdog with end-of-file
            if self._thread is not None:
                self._thread.join(timeout=1.0)
            r.close()
            self._socks = None
        for s, old in self._old.items():
            signal.signal(s, old)
        self._old = {}
