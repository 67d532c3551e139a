"""A clear error when torch is missing (importing this module does not import torch)."""

from __future__ import annotations

from ..errors import HardTargetError

__all__ = ["require_torch"]


def require_torch() -> None:
    """Import torch, or raise :class:`HardTargetError` with the install steps."""
    try:
        import torch  # noqa: F401
    except ImportError as exc:
        raise HardTargetError(
            f"the torch bridge needs PyTorch, which cannot be imported ({exc}); run "
            "`pip install torch==2.13.0` then `pip install -e .[torch]`"
        ) from None
