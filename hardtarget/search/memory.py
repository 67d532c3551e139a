"""Refuse hidden widths whose targets and weights cannot fit in memory, before any work.

A width of 10^9 would otherwise allocate until the operating system kills the process
(or raise ``MemoryError`` deep in a strategy).  The estimate is a floor: the float64
target matrices a search holds (a few copies of ``n_samples x width`` per layer) and
every layer's float64 weights; a run is refused when even that exceeds the memory
available now.
"""

from __future__ import annotations

import os

from ..errors import HardTargetError

__all__ = ["available_memory", "search_bytes", "check_memory"]

TARGET_COPIES = 4  # the current, best and candidate target settings, and one layer's inputs


def available_memory() -> int | None:
    """Bytes of memory available to a new allocation now (``MemAvailable`` on Linux,
    else free physical pages), or None where the system does not say."""
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return None


def search_bytes(n_samples: int, n_features: int, hidden: tuple, n_outputs: int) -> int:
    """Lower estimate of the bytes a search with these shapes holds (float64 everywhere).

    >>> search_bytes(100, 2, (3,), 1)  # 4 x 100 x 3 targets, 3 x 3 + 4 x 1 weights
    9704
    """
    widths = (n_features, *hidden, n_outputs)
    targets = TARGET_COPIES * n_samples * sum(hidden)
    weights = sum((a + 1) * b for a, b in zip(widths[:-1], widths[1:]))
    return 8 * (targets + weights)


def _gib(n: int) -> str:
    return f"{n / 2**30:.3g} GiB"


def check_memory(n_samples: int, n_features: int, hidden: tuple, n_outputs: int) -> None:
    """Raise :class:`HardTargetError` when :func:`search_bytes` exceeds
    :func:`available_memory` (nothing is checked where the system does not say)."""
    need = search_bytes(n_samples, n_features, tuple(hidden), n_outputs)
    have = available_memory()
    if have is not None and need > have:
        raise HardTargetError(
            f"hidden widths {tuple(hidden)} on {n_samples} samples need at least {_gib(need)} "
            f"for their targets and weights, more than the {_gib(have)} of memory available; "
            "use smaller widths (or fewer samples, or a machine with more memory)"
        )
