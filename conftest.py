"""Collection rules for the docstring examples (``--doctest-modules`` over ``hardtarget``).

The torch bridge's modules import torch at the top; without torch installed their examples
cannot run, so they are not collected (the rest still is).
"""

from __future__ import annotations

import importlib.util


def _installed(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ImportError:  # an import hook that refuses it (tests/test_without_torch.py)
        return False


collect_ignore_glob: list[str] = []
if not _installed("torch"):
    collect_ignore_glob += ["hardtarget/torch/*"]
