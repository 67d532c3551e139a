"""The one exception type that user-caused errors raise."""

from __future__ import annotations

__all__ = ["HardTargetError", "StopRequested"]


class HardTargetError(ValueError):
    """Bad input to hardtarget: the message names the problem and the fix.

    Subclasses :class:`ValueError`, so ``except ValueError`` also catches it.

    Examples
    --------
    >>> import hardtarget as ht
    >>> try:
    ...     ht.load_problem("no-such-problem")
    ... except ValueError as exc:
    ...     print(type(exc).__name__)
    HardTargetError
    """


class StopRequested(Exception):
    """Raised inside long engine loops when the caller's ``stop`` callback says stop.

    Not a user error: the search engine catches it and returns its best result so
    far with status ``time_limit`` or ``interrupted``.
    """
