"""Deprecated: renamed :mod:`hardtarget.torch.fit_loop` (``fit`` itself is unchanged)."""

from __future__ import annotations

from ._require import renamed

__getattr__ = renamed(__name__, "hardtarget.torch.fit_loop")
