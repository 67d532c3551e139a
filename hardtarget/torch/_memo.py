"""A memo for small pure helpers that ``torch.compile`` traces through without warnings."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

__all__ = ["memo"]


def memo(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Cache ``fn`` by its (hashable, positional) arguments in a plain dict.

    ``functools.cache`` would do, but dynamo warns on every ``lru_cache`` wrapper it
    meets in a compiled model; a dict lookup it folds to a constant.
    """
    cache: dict = {}

    @functools.wraps(fn)
    def wrapper(*args: Any) -> Any:
        if args not in cache:
            cache[args] = fn(*args)
        return cache[args]

    return wrapper
