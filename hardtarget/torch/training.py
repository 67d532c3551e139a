"""Deprecated: renamed :mod:`hardtarget.torch.named_run` (``train`` itself is unchanged)."""

from __future__ import annotations

from ._require import renamed

__getattr__ = renamed(__name__, "hardtarget.torch.named_run")
