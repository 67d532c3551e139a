"""A clear error when torch is missing (importing this module does not import torch)."""

from __future__ import annotations

import importlib

from ..errors import HardTargetError

__all__ = ["require_torch", "lazy_attribute"]


def require_torch() -> None:
    """Import torch, or raise :class:`HardTargetError` with the install steps."""
    try:
        import torch  # noqa: F401
    except ImportError as exc:
        raise HardTargetError(
            f"the torch bridge needs PyTorch, which cannot be imported ({exc}); run "
            "`pip install torch==2.13.0` then `pip install -e .[torch]`"
        ) from None


def lazy_attribute(package: str, where: dict[str, str], name: str):
    """``name`` from the submodule ``where[name]`` of ``package``, importing torch first
    (the body of a package's module ``__getattr__``)."""
    if name not in where:
        raise AttributeError(f"module {package!r} has no attribute {name!r}")
    require_torch()
    return getattr(importlib.import_module(f".{where[name]}", package), name)
