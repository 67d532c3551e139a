"""The plugin proof: an installed package adds a strategy, a unit solver, an exporter and a
data set, one file each (tests/plugin_pkg), and the command line lists and runs them and
the contract tests cover them.  A broken plugin is skipped with a warning."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PLUGIN = ROOT / "tests" / "plugin_pkg"


def _env(*paths: Path) -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([*map(str, paths), str(ROOT)])
    return env


def _run(args: list[str], env: dict, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=300
    )


def _cli(args: list[str], env: dict, cwd: Path) -> subprocess.CompletedProcess:
    return _run(["-m", "hardtarget", *args], env, cwd)


# one child process runs several commands in turn (``main`` runs in-process, as from a
# script): each child pays for Python, hardtarget and the entry-point scan once
_COMMANDS = """
import contextlib, io, json, sys
from hardtarget.cli import main
done = []
for argv in json.loads(sys.argv[1]):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as exc:  # --help
            code = exc.code
    done.append([code, out.getvalue(), err.getvalue()])
print(json.dumps(done))
"""


def _clis(argvs: list[list[str]], env: dict, cwd: Path) -> list[subprocess.CompletedProcess]:
    """``_cli`` of each of ``argvs`` in order, in one fresh process."""
    r = _run(["-c", _COMMANDS, json.dumps(argvs)], env, cwd)
    assert r.returncode == 0, r.stderr
    return [
        subprocess.CompletedProcess(argv, code, out, err)
        for argv, (code, out, err) in zip(argvs, json.loads(r.stdout), strict=True)
    ]


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("plugin-site")
    build = tmp_path_factory.mktemp("plugin-src")
    # a copy: pip builds in the source folder (build/, *.egg-info), not in the repository
    src = shutil.copytree(
        PLUGIN, build / "src", ignore=shutil.ignore_patterns("build", "*.egg-info")
    )
    r = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--no-build-isolation", "-q",
         "--no-index", "--target", str(target), str(src)],
        capture_output=True, text=True, timeout=300, cwd=build,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    return target


@pytest.mark.slow
def test_the_cli_lists_the_plugins_components(installed, tmp_path):
    listing, strategies, problems, solve_help, export_help = _clis(
        [["components", "--json"], ["strategies"], ["problems"], ["solve", "--help"],
         ["export", "--help"]],
        _env(installed), tmp_path,
    )  # fmt: skip
    r = listing
    assert r.returncode == 0, r.stderr
    listed = json.loads(r.stdout)
    found = {kind: {c["name"]: c["distribution"] for c in comps} for kind, comps in listed.items()}
    plugin = "hardtarget-demo-plugin"
    assert found["strategies"]["demo-random"] == plugin
    assert found["unit_solvers"]["demo_perceptron"] == plugin
    assert found["exporters"]["demo"] == plugin
    assert found["datasets"]["demo-cube"] == plugin
    assert found["strategies"]["beam"] == "hardtarget"  # the built-ins stay
    assert "demo-random: [hardtarget-demo-plugin]" in strategies.stdout
    assert "-o tries=...  an integer >= 1 (default 5)" in strategies.stdout
    assert "demo-cube:N" in problems.stdout
    assert solve_help.returncode == 0, solve_help.stderr
    assert "demo-random" in solve_help.stdout and "demo_perceptron" in solve_help.stdout
    assert "demo" in export_help.stdout


@pytest.mark.slow
def test_the_cli_runs_the_plugins_components(installed, tmp_path):
    model, out = tmp_path / "net.npz", tmp_path / "net.txt"
    solved, refused, exported, by_suffix = _clis(
        [["solve", "--problem", "demo-cube:3", "--hidden", "2", "--strategy", "demo-random",
          "-o", "tries=3", "--solver", "demo_perceptron", "--seed", "1", "--json",
          "--out", str(model)],
         ["solve", "--problem", "demo-cube", "--strategy", "demo-random", "-o", "tries=0"],
         ["export", str(model), "--format", "demo", "-o", str(out), "--verify"],
         ["export", str(model), "-o", str(tmp_path / "again.demo")]],
        _env(installed), tmp_path,
    )  # fmt: skip
    assert solved.returncode in (0, 1), solved.stderr
    result = json.loads(solved.stdout)
    assert result["strategy"] == "demo-random" and model.exists()
    assert refused.returncode == 2 and "option tries must be an integer >= 1" in refused.stderr
    assert exported.returncode == 0, exported.stderr
    assert out.read_text().startswith("sign ") and "exact" in exported.stdout
    assert by_suffix.returncode == 0, by_suffix.stderr  # the suffix implies the plugin's format


@pytest.mark.slow
def test_the_contract_tests_cover_the_plugins_components(installed, tmp_path):
    # the cases of tests/test_contracts.py as a fresh process with the plugin finds them
    # (what ``pytest -k demo tests/test_contracts.py`` would run), each run to its end
    child = (
        "import pathlib, sys; from tests import test_contracts as tc\n"
        "cases = [c for c in tc.CASES if 'demo' in c[1]]\n"
        "for i, (kind, name) in enumerate(cases):\n"
        "    (tmp := pathlib.Path(sys.argv[1], str(i))).mkdir()\n"
        "    tc.test_contract(kind, name, tmp)\n"
        "    print(kind, name, 'passed')\n"
    )
    r = _run(["-c", child, str(tmp_path)], _env(installed), ROOT)
    assert r.returncode == 0, r.stderr[-3000:]
    assert sorted(r.stdout.split("\n")[:-1]) == [
        "datasets demo-cube passed",
        "exporters demo passed",
        "strategies demo-random passed",
        "unit_solvers demo_perceptron passed",
    ], r.stdout


@pytest.mark.slow
def test_a_broken_plugin_warns_and_the_cli_still_works(tmp_path):
    info = tmp_path / "broken_plugin-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: broken-plugin\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(
        "[hardtarget.strategies]\nbroken = broken_plugin_mod:Nothing\n"
    )
    (tmp_path / "broken_plugin_mod.py").write_text("raise RuntimeError('this plugin is broken')\n")
    r = _cli(["strategies"], _env(tmp_path), tmp_path)
    assert r.returncode == 0, r.stderr
    assert "beam:" in r.stdout and "broken" not in r.stdout
    assert "distribution broken-plugin" in r.stderr and "broken_plugin_mod:Nothing" in r.stderr
    assert "RuntimeError: this plugin is broken" in r.stderr
    r = _cli(["solve", "--problem", "xor", "--strategy", "broken"], _env(tmp_path), tmp_path)
    assert r.returncode == 2 and "distribution broken-plugin" in r.stderr
