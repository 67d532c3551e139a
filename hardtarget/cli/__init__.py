"""The ``hardtarget`` command line: one module per subcommand; nothing else imports it."""

from __future__ import annotations

import sys

try:
    from .main import build_parser, main
except KeyboardInterrupt:  # Ctrl-C while the console script loads: exit 130, no traceback
    print("hardtarget: interrupted", file=sys.stderr)
    raise SystemExit(130) from None

__all__ = ["main", "build_parser"]
