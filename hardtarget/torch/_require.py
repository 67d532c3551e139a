"""A clear error when torch is missing (importing this module does not import torch)."""

from __future__ import annotations

import importlib
import warnings
from collections.abc import Callable
from typing import Any

from ..errors import HardTargetError

__all__ = ["require_torch", "lazy_attribute", "renamed"]


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


def renamed(old: str, new: str, names: dict[str, str] | None = None) -> Callable[[str], Any]:
    """The module ``__getattr__`` of a renamed module or name: forwards to ``new`` with a
    :class:`DeprecationWarning` that names the new place.

    Parameters
    ----------
    old, new : str
        The old and the new module.
    names : dict, optional
        Old attribute name -> new name (a renamed class): then only these are forwarded
        (``old`` may be ``new``); without it every attribute keeps its name.

    Returns
    -------
    callable
    """

    def __getattr__(name: str) -> Any:
        if name.startswith("__") or (names is not None and name not in names):
            raise AttributeError(f"module {old!r} has no attribute {name!r}")
        target = names[name] if names is not None else name
        value = getattr(importlib.import_module(new), target)
        warnings.warn(
            f"{old}.{name} is deprecated; use {new}.{target}", DeprecationWarning, stacklevel=2
        )
        return value

    return __getattr__
