"""The caller's ``stop`` callback, seen by the long loops inside a unit solve.

:func:`solve_unit` and :func:`solve_layer` install it for the duration of the call;
the Newton steps and the HiGHS solves ask it between iterations and raise
:class:`~hardtarget.errors.StopRequested` when it says stop.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

_local = threading.local()


@contextmanager
def stopping(stop: Callable[[], bool] | None) -> Iterator[None]:
    """Make ``stop`` the current callback while the block runs (None: never stop)."""
    prev = getattr(_local, "stop", None)
    _local.stop = stop
    try:
        yield
    finally:
        _local.stop = prev


def current() -> Callable[[], bool] | None:
    """The callback installed by the innermost :func:`stopping`, or None."""
    return getattr(_local, "stop", None)
