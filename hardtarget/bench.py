"""Deprecated name of :mod:`hardtarget.compare` (compare strategies on a suite of problems).

``from hardtarget.bench import run_suite`` still works and warns; import from
:mod:`hardtarget.compare` instead.
"""

from __future__ import annotations

import warnings
from typing import Any

__all__: list[str] = []


def __getattr__(name: str) -> Any:
    from . import compare

    if name not in compare.__all__:
        raise AttributeError(f"module 'hardtarget.bench' has no attribute {name!r}")
    warnings.warn(
        f"hardtarget.bench is renamed hardtarget.compare; import {name} from there",
        DeprecationWarning,
        stacklevel=2,
    )
    return getattr(compare, name)
