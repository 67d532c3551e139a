"""The one exception type that user-caused errors raise."""

from __future__ import annotations

__all__ = ["HardTargetError"]


class HardTargetError(ValueError):
    """Bad input to hardtarget: the message names the problem and the fix.

    Subclasses :class:`ValueError`, so ``except ValueError`` also catches it.
    """
