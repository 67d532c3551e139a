"""``.. hardtarget-cli::``: the command-line reference, generated from the argparse parsers.

Every subcommand gets a section with its summary, usage line, description and a list
of its arguments (flags, metavar, choices, default, help), as ``hardtarget SUB --help``
prints them, so the page never drifts from the code.
"""

from __future__ import annotations

import argparse
import re

from docutils import nodes
from sphinx.util.docutils import SphinxDirective

_SPECIAL = re.compile(r"([\\*`|_])")


def _text(s: str) -> str:
    """Plain text made safe for reStructuredText (no markup, references or roles)."""
    return _SPECIAL.sub(r"\\\1", " ".join(s.split()))


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, tuple[str, argparse.ArgumentParser]]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {a.dest: a.help or "" for a in action._choices_actions}
            return {name: (helps.get(name, ""), p) for name, p in action.choices.items()}
    return {}


def _invocation(action: argparse.Action, fmt: argparse.HelpFormatter) -> str:
    if not action.option_strings:
        return fmt._metavar_formatter(action, action.dest.upper())(1)[0]
    if action.nargs == 0:
        return ", ".join(action.option_strings)
    metavar = fmt._format_args(action, action.dest.upper())
    return ", ".join(f"{o} {metavar}" for o in action.option_strings)


def _arguments(parser: argparse.ArgumentParser) -> list[str]:
    fmt = parser._get_formatter()
    lines = []
    for action in parser._actions:
        if isinstance(action, (argparse._HelpAction, argparse._SubParsersAction)):
            continue
        if action.help == argparse.SUPPRESS:
            continue
        help_text = fmt._expand_help(action) if action.help else ""
        extra = []
        if action.choices is not None and not isinstance(action.choices, dict):
            extra.append("choices: " + ", ".join(str(c) for c in action.choices))
        default = action.default
        if (
            action.option_strings
            and action.nargs != 0
            and default not in (None, argparse.SUPPRESS)
            and "default" not in help_text
        ):
            extra.append(f"default: {default}")
        body = _text(help_text) or "(no help text)"
        if extra:
            body += " (" + _text("; ".join(extra)) + ")"
        lines += [f"``{_invocation(action, fmt)}``", f"   {body}", ""]
    return lines


class HardtargetCli(SphinxDirective):
    """Render the reference of every ``hardtarget`` subcommand."""

    has_content = False

    def run(self) -> list[nodes.Node]:
        from hardtarget.cli.main import build_parser

        parser = build_parser()
        lines = ["Global options", "--------------", "", "``hardtarget [-v] [-q] COMMAND ...``", ""]
        lines += _arguments(parser)
        lines += ["Exit codes", "----------", "", ".. code-block:: text", ""]
        lines += ["   " + ln for ln in (parser.epilog or "").splitlines()] + [""]
        for name, (summary, sub) in _subparsers(parser).items():
            title = f"hardtarget {name}"
            lines += [title, "-" * len(title), "", _text(summary) + ".", ""]
            lines += [".. code-block:: text", ""]
            lines += ["   " + ln for ln in sub.format_usage().strip().splitlines()] + [""]
            if sub.description and sub.description != summary:
                lines += [_text(sub.description), ""]
            lines += _arguments(sub)
        return self.parse_text_to_nodes("\n".join(lines), allow_section_headings=True)


def setup(app):
    app.add_directive("hardtarget-cli", HardtargetCli)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
