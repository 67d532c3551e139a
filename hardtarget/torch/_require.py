"""A clear error when torch is missing (this module does not import torch)."""

from __future__ import annotations

import importlib.util

from ..errors import HardTargetError

__all__ = ["require_torch"]


def require_torch() -> None:
    """Raise :class:`HardTargetError` with install steps when torch is not importable."""
    if importlib.util.find_spec("torch") is None:
        raise HardTargetError(
            "the torch bridge needs PyTorch, which is not installed; run "
            "`pip install torch==2.13.0` then `pip install -e .[torch]`"
        )
