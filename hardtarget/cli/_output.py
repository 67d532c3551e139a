"""Output helpers: strict JSON on stdout, locks on the files a run writes."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

from .._io import dumps_json, exclusive_lock
from ..errors import HardTargetError

__all__ = ["print_json", "locked_outputs", "check_paths"]


def print_json(obj: Any) -> None:
    """Print ``obj`` as strict JSON (``null`` for NaN and infinities)."""
    print(dumps_json(obj))


def _same(a: str, b: str) -> bool:
    """True when ``a`` and ``b`` name one file (resolved paths, or the same inode)."""
    if os.path.realpath(a) == os.path.realpath(b):
        return True
    try:
        return os.path.samefile(a, b)
    except OSError:  # one does not exist (yet): different files
        return False


def _labelled(items) -> list[tuple[str, str]]:
    out = []
    for item in items:
        label, path = item if isinstance(item, tuple) else (None, item)
        if path:
            out.append((label or str(path), str(path)))
    return out


def check_paths(outputs, inputs=()) -> None:
    """Refuse an output that is also an input or another output (no run overwrites its
    data or one of its own results).

    ``outputs`` and ``inputs`` hold paths or ``(label, path)`` pairs (the label, e.g.
    ``--out``, names the option in the message); ``None`` paths are skipped.
    """
    outs, ins = _labelled(outputs), _labelled(inputs)
    for i, (label, path) in enumerate(outs):
        for in_label, in_path in ins:
            if _same(path, in_path):
                raise HardTargetError(
                    f"{label} {path} is also the input {in_label}; writing it would destroy the "
                    "input: give another output path"
                )
        for other_label, other in outs[:i]:
            if _same(path, other):
                raise HardTargetError(
                    f"{other_label} and {label} both name {path}; one would overwrite the "
                    "other: give each output its own path"
                )


@contextmanager
def locked_outputs(*paths, files: bool = True, inputs=()) -> Iterator[None]:
    """Hold an exclusive lock on every given output path (``None`` entries are skipped).

    ``paths`` and ``inputs`` are paths or ``(label, path)`` pairs: an output equal to an
    input or to another output is refused (:func:`check_paths`).  With ``files`` (the
    default) each output must name a file, not a directory.  All checked here, before
    the work that would write them starts.
    """
    outs = _labelled(paths)
    check_paths(outs, inputs)
    for _, path in outs:
        if files and os.path.isdir(path):
            raise HardTargetError(
                f"output {path} is a directory; give the path of a file, "
                f"e.g. {os.path.join(path, 'net.npz')}"
            )
    with ExitStack() as stack:
        for _, path in outs:
            stack.enter_context(exclusive_lock(path))
        yield
