"""The ``hardtarget`` command line: one module per subcommand; nothing else imports it."""

from __future__ import annotations

from .main import build_parser, main

__all__ = ["main", "build_parser"]
