"""The plugin proof: an installed package adds a strategy, a unit solver, an exporter and a
data set, one file each (tests/plugin_pkg), and the command line lists and runs them and
the contract tests cover them.  A broken plugin is skipped with a warning."""

from __future__ import annotations

import json
import os
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


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("plugin-site")
    build = tmp_path_factory.mktemp("plugin-src")
    r = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--no-build-isolation", "-q",
         "--no-index", "--target", str(target), str(PLUGIN)],
        capture_output=True, text=True, timeout=300, cwd=build,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    return target


@pytest.mark.slow
def test_the_cli_lists_the_plugins_components(installed, tmp_path):
    env = _env(installed)
    r = _cli(["components", "--json"], env, tmp_path)
    assert r.returncode == 0, r.stderr
    listed = json.loads(r.stdout)
    found = {kind: {c["name"]: c["distribution"] for c in comps} for kind, comps in listed.items()}
    plugin = "hardtarget-demo-plugin"
    assert found["strategies"]["demo-random"] == plugin
    assert found["unit_solvers"]["demo_perceptron"] == plugin
    assert found["exporters"]["demo"] == plugin
    assert found["datasets"]["demo-cube"] == plugin
    assert found["strategies"]["beam"] == "hardtarget"  # the built-ins stay
    r = _cli(["strategies"], env, tmp_path)
    assert "demo-random: [hardtarget-demo-plugin]" in r.stdout
    assert "-o tries=...  an integer >= 1 (default 5)" in r.stdout
    r = _cli(["problems"], env, tmp_path)
    assert "demo-cube:N" in r.stdout
    r = _cli(["solve", "--help"], env, tmp_path)
    assert "demo-random" in r.stdout and "demo_perceptron" in r.stdout
    r = _cli(["export", "--help"], env, tmp_path)
    assert "demo" in r.stdout


@pytest.mark.slow
def test_the_cli_runs_the_plugins_components(installed, tmp_path):
    env = _env(installed)
    model = tmp_path / "net.npz"
    r = _cli(
        ["solve", "--problem", "demo-cube:3", "--hidden", "2", "--strategy", "demo-random",
         "-o", "tries=3", "--solver", "demo_perceptron", "--seed", "1", "--json",
         "--out", str(model)],
        env, tmp_path,
    )  # fmt: skip
    assert r.returncode in (0, 1), r.stderr
    result = json.loads(r.stdout)
    assert result["strategy"] == "demo-random" and model.exists()
    r = _cli(["solve", "--problem", "demo-cube", "--strategy", "demo-random", "-o", "tries=0"],
             env, tmp_path)  # fmt: skip
    assert r.returncode == 2 and "option tries must be an integer >= 1" in r.stderr
    out = tmp_path / "net.txt"
    r = _cli(["export", str(model), "--format", "demo", "-o", str(out), "--verify"], env, tmp_path)
    assert r.returncode == 0, r.stderr
    assert out.read_text().startswith("sign ") and "exact" in r.stdout
    r = _cli(["export", str(model), "-o", str(tmp_path / "again.demo")], env, tmp_path)
    assert r.returncode == 0, r.stderr  # the suffix implies the plugin's format


@pytest.mark.slow
def test_the_contract_tests_cover_the_plugins_components(installed, tmp_path):
    r = _run(
        ["-m", "pytest", "-q", "-p", "no:cacheprovider", "-k", "demo",
         str(ROOT / "tests" / "test_contracts.py")],
        _env(installed), ROOT,
    )  # fmt: skip
    assert r.returncode == 0, r.stdout[-3000:]
    assert "4 passed" in r.stdout, r.stdout[-3000:]


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
