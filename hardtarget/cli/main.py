"""``hardtarget``: build the parser from the subcommand modules and run one.

Each subcommand is a module of this package defining ``register(subparsers)`` (adds
its parser with ``set_defaults(func=run)``) and ``run(args) -> int``.  Modules
listed in ``SUBCOMMANDS`` that do not exist yet are skipped, so a new subcommand is
one new file and one name here.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import signal
import sys
import traceback
import types
from collections.abc import Iterator
from contextlib import contextmanager

from ..errors import HardTargetError
from ._args import EXIT_CODES, Parser, verbosity_args

__all__ = ["main", "build_parser", "SUBCOMMANDS"]

SUBCOMMANDS = (
    "problems",
    "strategies",
    "components",
    "verify",
    "solve",
    "min_width",
    "bench",
    "train",
    "export",
    "summary",
    "predict",
)


def _subcommand_modules() -> Iterator[types.ModuleType]:
    for name in SUBCOMMANDS:
        full = f"{__package__}.{name}"
        try:
            yield importlib.import_module(full)
        except ModuleNotFoundError as exc:
            if exc.name != full:
                raise


def build_parser() -> argparse.ArgumentParser:
    """The ``hardtarget`` parser with every available subcommand."""
    from .. import __version__

    parser = Parser(
        prog="hardtarget",
        epilog=EXIT_CODES,
        description="Learn hard-threshold networks by searching their hidden targets.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"hardtarget {__version__}")
    verbosity_args(parser)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    for module in _subcommand_modules():
        module.register(sub)
    return parser


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is at the time of each record.

    A handler bound to the stream object of the first call would keep writing to a
    stream that was replaced and closed since (``main`` called in-process, as tests do).
    """

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self):  # noqa: D102
        return sys.stderr

    @stream.setter
    def stream(self, value) -> None:
        pass


def _setup_logging(args: argparse.Namespace) -> None:
    if args.quiet:
        level = logging.WARNING
    elif args.verbose or not sys.stderr.isatty():  # one line per finished unit of work
        level = logging.INFO
    else:  # a terminal gets progress bars instead
        level = logging.WARNING
    # other libraries' INFO chatter (font caches, solvers) stays out of the progress lines
    handler = _StderrHandler()
    handler.setFormatter(logging.Formatter("%(message)s"))
    logging.basicConfig(level=logging.WARNING, handlers=[handler], force=True)
    logging.getLogger("hardtarget").setLevel(level)


def _sigterm(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


@contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM behaves like Ctrl-C: the best result so far is printed, exit 130."""
    try:
        old = signal.signal(signal.SIGTERM, _sigterm)
    except ValueError:  # not the main thread
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, old)


def main(argv: list[str] | None = None) -> int:
    """Run ``hardtarget`` with ``argv``; return the exit code (see ``--help``).

    Ctrl-C at any moment, even while the parser or a subcommand's modules load, ends
    the run with exit 130 and one line, never a traceback.
    """
    try:
        return _main(argv)
    except KeyboardInterrupt:
        _report_interrupt("hardtarget: interrupted")
        return 130


def _report_interrupt(line: str) -> None:
    """Print ``line`` with a second Ctrl-C ignored, then put the caller's handler back
    (``main`` also runs in-process, from tests and scripts)."""
    try:
        old = signal.signal(signal.SIGINT, signal.SIG_IGN)
    except ValueError:  # not the main thread
        print(line, file=sys.stderr)
        return
    try:
        print(line, file=sys.stderr)
    finally:
        signal.signal(signal.SIGINT, old)


def _main(argv: list[str] | None) -> int:
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
    except HardTargetError as exc:
        print(f"hardtarget: error: {exc}", file=sys.stderr)
        return 2
    _setup_logging(args)
    if getattr(args, "func", None) is None:
        parser.print_help(sys.stderr)
        return 2
    prefix = f"hardtarget {args.command}"
    try:
        with _sigterm_as_interrupt():
            return int(args.func(args))
    except HardTargetError as exc:
        print(f"{prefix}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        _report_interrupt(f"{prefix}: interrupted")
        return 130
    except BrokenPipeError:  # stdout closed early (`| head`): not an error worth a message
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except OSError as exc:  # unwritable path, full disk: the environment, not a bug
        print(
            f"{prefix}: error: {exc}; check the path, its permissions and free space",
            file=sys.stderr,
        )
        return 2
    except Exception as exc:
        if args.verbose:
            traceback.print_exc()
        how = "" if args.verbose else "; rerun with -v for the traceback"
        print(
            f"{prefix}: internal error: {type(exc).__name__}: {exc}\n"
            f"This is a bug in hardtarget: please report it with the command line{how}",
            file=sys.stderr,
        )
        return 3
