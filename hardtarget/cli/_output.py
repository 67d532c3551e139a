"""Output helpers: strict JSON on stdout, locks on the files a run writes."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

from .._io import dumps_json, exclusive_lock
from ..errors import HardTargetError

__all__ = ["print_json", "locked_outputs"]


def print_json(obj: Any) -> None:
    """Print ``obj`` as strict JSON (``null`` for NaN and infinities)."""
    print(dumps_json(obj))


@contextmanager
def locked_outputs(*paths: str | None, files: bool = True) -> Iterator[None]:
    """Hold an exclusive lock on every given output path (``None`` entries are skipped).

    With ``files`` (the default) each path must name a file, not a directory: checked
    here, before the work that would write it starts.
    """
    for path in paths:
        if files and path and os.path.isdir(path):
            raise HardTargetError(
                f"output {path} is a directory; give the path of a file, "
                f"e.g. {os.path.join(path, 'net.npz')}"
            )
    with ExitStack() as stack:
        for path in dict.fromkeys(p for p in paths if p):
            stack.enter_context(exclusive_lock(path))
        yield
