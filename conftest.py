"""Collection rules for the docstring examples (``--doctest-modules`` over ``hardtarget``).

The torch bridge's modules import torch at the top; without torch installed their examples
cannot run, so they are not collected (the rest still is).
"""

from __future__ import annotations

import importlib.util

collect_ignore_glob: list[str] = []
if importlib.util.find_spec("torch") is None:
    collect_ignore_glob += ["hardtarget/torch/*"]
