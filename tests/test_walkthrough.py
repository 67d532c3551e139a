"""The docs' command-line walkthrough runs as written, top to bottom, in a fresh folder."""

from __future__ import annotations

import re
import shlex
import shutil
from pathlib import Path

import pytest

from hardtarget.cli import main

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "guide" / "cli-walkthrough.md"


def _commands() -> list[tuple[str, str]]:
    """``(command, first line of its shown output)`` for every ``$ hardtarget`` line."""
    out = []
    for block in re.findall(r"```console\n(.*?)```", PAGE.read_text(), flags=re.S):
        lines = block.splitlines()
        for i, line in enumerate(lines):
            if line.startswith("$ "):
                nxt = lines[i + 1] if i + 1 < len(lines) else ""
                out.append((line[2:], "" if nxt.startswith("$ ") else nxt))
    return out


def test_the_walkthrough_has_the_commands_it_promises():
    cmds = " ".join(c for c, _ in _commands())
    for sub in ("solve", "verify", "predict", "export", "summary", "min-width"):
        assert f"hardtarget {sub} " in cmds


@pytest.mark.slow
def test_walkthrough_runs_top_to_bottom(tmp_path, monkeypatch, capsys):
    shutil.copytree(ROOT / "examples" / "data", tmp_path / "examples" / "data")
    monkeypatch.chdir(tmp_path)
    for command, first in _commands():
        argv = shlex.split(command)
        assert argv[0] == "hardtarget", command
        capsys.readouterr()
        rc = main(["-q", *argv[1:]])
        out = capsys.readouterr().out
        assert rc == (1 if "infeasible" in first else 0), (command, out)
        if first and first != "...":
            assert out.splitlines()[0] == first, (command, out)


@pytest.mark.slow
def test_readme_shell_tour_runs_in_order(tmp_path, monkeypatch, capsys):
    """The README's shell block runs as written, in order, from a fresh folder."""
    text = (ROOT / "README.md").read_text()
    section = text[text.index("## From the shell") :]
    block = re.findall(r"```bash\n(.*?)```", section, flags=re.S)[0].replace("\\\n", " ")
    commands = [c.split(" #")[0].strip() for ln in block.splitlines() for c in ln.split(" && ")]
    shutil.copytree(ROOT / "examples" / "data", tmp_path / "examples" / "data")
    monkeypatch.chdir(tmp_path)
    for command in commands:
        argv = shlex.split(command)
        assert argv[0] == "hardtarget", command
        assert main(["-q", *argv[1:]]) == 0, command
    assert {"net.npz", "targets.npz", "net.json", "net.c", "net.h"} <= {
        p.name for p in tmp_path.iterdir()
    }
