import json
import os
import signal
import stat
import subprocess
import sys

import numpy as np
import pytest

import hardtarget as ht
from hardtarget.cli import main


def test_version(capsys):
    with pytest.raises(SystemExit) as e:
        main(["--version"])
    assert e.value.code == 0
    assert capsys.readouterr().out.strip() == f"hardtarget {ht.__version__}"


def test_problems_lists_builtins(capsys):
    assert main(["problems", "--json"]) == 0
    names = [d["name"] for d in json.loads(capsys.readouterr().out)]
    assert {"xor", "parity", "majority", "planted"} <= set(names)


def test_verify_planted_json_and_model(tmp_path, capsys):
    out = tmp_path / "net.npz"
    assert main(["verify", "-p", "planted:6-3-1:80:1", "--json", "--out", str(out)]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["feasible"] is True and d["train_accuracy"] == 1.0 and d["widths"] == [3, 1]
    p = ht.load_problem("planted:6-3-1:80:1")
    assert np.array_equal(ht.Network.load(out).predict(p.X), p.t)


def test_verify_targets_file_and_exit_codes(tmp_path, capsys):
    p = ht.load_problem("xor")
    T = tmp_path / "t.npz"
    np.savez(T, T1=np.stack([np.where(p.X.max(1) > 0, 1, -1), np.where(p.X.min(1) > 0, -1, 1)], 1))
    assert main(["verify", "-p", "xor", "--targets", str(T)]) == 0
    assert "FEASIBLE" in capsys.readouterr().out
    assert main(["verify", "-p", "xor"]) == 1
    assert main(["verify", "-p", "nope"]) == 2
    assert "unknown problem" in capsys.readouterr().err


def test_console_script_runs():
    r = subprocess.run(
        [sys.executable, "-m", "hardtarget", "verify", "-p", "xor", "--json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 1 and json.loads(r.stdout)["feasible"] is False


# -- exit codes --------------------------------------------------------------------------


def test_internal_error_exits_3_and_asks_for_a_report(monkeypatch, capsys):
    import hardtarget.cli.problems as problems

    def boom(args):
        raise RuntimeError("kaboom")

    monkeypatch.setattr(problems, "register", _register_with(boom))
    assert main(["problems"]) == 3
    err = capsys.readouterr().err
    assert "internal error: RuntimeError: kaboom" in err and "please report it" in err
    assert "Traceback" not in err and "-v" in err
    assert main(["problems", "-v"]) == 3
    assert "Traceback" in capsys.readouterr().err


def _register_with(run):
    from hardtarget.cli._args import add_parser

    def register(subparsers):
        add_parser(subparsers, "problems", "stand-in").set_defaults(func=run)

    return register


def test_ctrl_c_outside_the_search_exits_130(monkeypatch, capsys):
    import hardtarget.cli.problems as problems

    def interrupted(args):
        raise KeyboardInterrupt

    monkeypatch.setattr(problems, "register", _register_with(interrupted))
    before = signal.getsignal(signal.SIGINT)
    assert main(["problems"]) == 130
    assert "interrupted" in capsys.readouterr().err
    assert signal.getsignal(signal.SIGINT) is before  # the caller's Ctrl-C still works


def test_help_lists_exit_codes_choices_and_defaults(capsys):
    for argv in (["--help"], ["solve", "--help"], ["min-width", "--help"]):
        with pytest.raises(SystemExit) as e:
            main(argv)
        assert e.value.code == 0
        out = capsys.readouterr().out
        assert "130  interrupted" in out and "3    internal error" in out
    with pytest.raises(SystemExit):
        main(["solve", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "beam, exhaustive, ftprop, hill" in out and "(default beam;" in out
    assert "auto, hinge, lp, perceptron" in out
    with pytest.raises(SystemExit):
        main(["min-width", "--help"])
    assert "largest hidden width to try" in capsys.readouterr().out


def test_verbosity_flags_after_the_subcommand(capsys):
    assert main(["problems", "-q", "--json"]) == 0
    assert main(["-v", "problems", "-q"]) == 0
    assert "xor" in capsys.readouterr().out


def test_verify_takes_data_files_through_data(tmp_path, capsys):
    path = tmp_path / "and.csv"
    path.write_text("a,b,y\n-1,-1,0\n-1,1,0\n1,-1,0\n1,1,1\n")
    assert main(["verify", "--data", str(path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["feasible"] is True


# -- output files: strict JSON, nothing written without a solution, locks, umask -----------


def test_no_solution_is_said_in_words_and_json_is_strict(tmp_path, monkeypatch, capsys):
    import hardtarget.search as search

    def nothing_found(problem, hidden, **kwargs):  # a budget that ended before any state
        return search.SearchResult(
            status="time_limit",
            message="time limit reached",
            strategy="hill",
            hidden=tuple(hidden),
            targets=None,
            network=None,
            loss=float("inf"),
            train_accuracy=0.0,
            states_evaluated=0,
            unit_solves=0,
            cache_hits=0,
            wall_time=0.001,
            time_to_best=0.0,
        )

    monkeypatch.setattr(search, "solve", nothing_found)
    out, tg = tmp_path / "n.npz", tmp_path / "t.npz"
    argv = [
        "solve",
        "-p",
        "xor",
        "-s",
        "hill",
        "--time-limit",
        "1",
        "--out",
        str(out),
        "--targets-out",
        str(tg),
    ]
    code = main([*argv, "--json"])
    captured = capsys.readouterr()
    assert code == 1
    d = json.loads(captured.out, parse_constant=lambda c: pytest.fail(f"non-strict JSON {c}"))
    assert d["loss"] is None and d["written"] == {"out": None, "targets_out": None}
    assert f"{out} not written" in captured.err and "no network" in captured.err
    assert "allow more time" in captured.err and f"{tg} not written" in captured.err
    assert not out.exists() and not tg.exists()
    assert main(argv) == 1
    assert "no network found: 0 states evaluated" in capsys.readouterr().out


def test_output_lock_refuses_a_second_writer(tmp_path, capsys):
    from hardtarget._io import exclusive_lock

    out = tmp_path / "net.npz"
    with exclusive_lock(out):
        assert main(["solve", "-p", "xor", "-s", "exhaustive", "--out", str(out)]) == 2
        err = capsys.readouterr().err
        assert f"pid {os.getpid()}" in err and "another hardtarget run" in err
        assert not out.exists()
    assert main(["solve", "-p", "xor", "-s", "exhaustive", "--out", str(out)]) == 0
    assert out.exists() and not list(tmp_path.glob(".*.lock"))


def test_bench_folder_lock(tmp_path, capsys):
    from hardtarget._io import exclusive_lock

    d = tmp_path / "b"
    d.mkdir()
    with exclusive_lock(d):
        assert main(["bench", "--strategies", "exhaustive", "--seeds", "1", "--out", str(d)]) == 2
    assert "being written by another hardtarget run" in capsys.readouterr().err


@pytest.mark.parametrize("mask", [0o002, 0o077])
def test_written_files_follow_the_umask(tmp_path, mask, capsys):
    old = os.umask(mask)
    try:
        out, tg = tmp_path / "net.npz", tmp_path / "t.npz"
        assert (
            main(
                [
                    "solve",
                    "-p",
                    "xor",
                    "-s",
                    "exhaustive",
                    "--out",
                    str(out),
                    "--targets-out",
                    str(tg),
                ]
            )
            == 0
        )
    finally:
        os.umask(old)
    for f in (out, tg):
        assert stat.S_IMODE(f.stat().st_mode) == 0o666 & ~mask


# -- progress and incremental bench results ---------------------------------------------


@pytest.fixture
def tiny_suite(monkeypatch):
    import hardtarget.compare as bench

    monkeypatch.setitem(bench.SUITES, "quick", [("xor", (2,)), ("and:2", ())])
    return bench


def test_bench_logs_one_line_per_run_and_q_silences(tiny_suite, tmp_path, capsys):
    out = tmp_path / "b"
    assert (
        main(["bench", "--strategies", "exhaustive,beam", "--seeds", "1", "--out", str(out)]) == 0
    )
    err = capsys.readouterr().err  # not a terminal under pytest: progress lines
    runs = [ln for ln in err.splitlines() if " seed 0: " in ln]
    assert len(runs) == 4 and all("train accuracy" in ln for ln in runs)
    assert len(err.splitlines()) == 4  # one line per finished run, nothing from inside them
    assert len(json.loads((out / "results.json").read_text())["rows"]) == 4
    assert main(["bench", "--strategies", "beam", "--seeds", "1", "--out", str(out), "-v"]) == 0
    assert "best loss" in capsys.readouterr().err  # -v: the searches' own lines too
    assert (
        main(["bench", "--strategies", "exhaustive", "--seeds", "1", "--out", str(out), "-q"]) == 0
    )
    assert capsys.readouterr().err == ""


def test_bench_keeps_finished_runs_when_stopped(tiny_suite, tmp_path, monkeypatch, capsys):
    calls = []
    real = tiny_suite.run_strategy

    def run_strategy(*a, **k):
        calls.append(1)
        if len(calls) == 2:  # 1 finished run, then Ctrl-C
            raise KeyboardInterrupt
        return real(*a, **k)

    monkeypatch.setattr(tiny_suite, "run_strategy", run_strategy)
    out = tmp_path / "b"
    assert main(["bench", "--strategies", "exhaustive", "--seeds", "1", "--out", str(out)]) == 130
    assert "1 of 2 run(s) kept" in capsys.readouterr().out
    rows = json.loads((out / "results.json").read_text())["rows"]
    assert [r["problem"] for r in rows] == ["xor"] and rows[0]["status"] == "optimal"
    assert "| xor |" in (out / "results.md").read_text()


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_signal_prints_the_best_so_far_and_writes_out(tmp_path, signum):
    out = tmp_path / "net.npz"
    cmd = [
        sys.executable,
        "-m",
        "hardtarget",
        "solve",
        "-p",
        "planted:16-8-1:500:0",
        "--hidden",
        "8",
        "-s",
        "hill",
        "-o",
        "restarts=10000",
        "-o",
        "init=random",
        "--time-limit",
        "120",
        "--out",
        str(out),
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    for line in proc.stderr:  # progress lines, since stderr is a pipe
        if line.startswith("best loss"):
            break
    proc.send_signal(signum)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert "interrupted" in stdout and "train accuracy" in stdout
    assert ht.Network.load(out).widths == (8, 1)


@pytest.mark.parametrize(
    "text, value",
    [
        ("none", None),
        ("True", True),
        ("off", False),
        ("'8'", "8"),
        ("[64]", [64]),
        ("64,32", [64, 32]),
        ("1e-3", 0.001),
        ("-2", -2),
        ("inf", "inf"),
        ("abc", "abc"),
        ("[]", []),
    ],
)
def test_option_grammar(text, value):
    from hardtarget._keyvalue import parse_value

    out = parse_value(text)
    assert out == value and type(out) is type(value)


def test_model_options_use_the_one_grammar():
    from hardtarget.cli._options import parse_model_options

    assert parse_model_options(["hidden=[64, 32]", "width=256", "act='sign'"]) == {
        "hidden": [64, 32],
        "width": 256,
        "act": "sign",
    }
    with pytest.raises(ht.HardTargetError, match="given twice"):
        parse_model_options(["width=1", "width=2"])


def test_documented_command_lines_parse():
    """Every ``hardtarget`` command in the README and the user guide parses as written."""
    import re
    import shlex
    from pathlib import Path

    from hardtarget.cli import build_parser

    root = Path(__file__).resolve().parents[1]
    commands = []
    for page in [root / "README.md", *sorted((root / "docs").rglob("*.md"))]:
        for block in re.findall(r"```(?:bash|console)\n(.*?)```", page.read_text(), flags=re.S):
            for line in block.replace("\\\n", " ").splitlines():
                line = line.removeprefix("$ ").split(" #")[0].split(" && ")[0].strip()
                if line.startswith("hardtarget "):
                    commands.append((page.name, line))
    assert len(commands) >= 20
    parser = build_parser()
    for page, line in commands:
        args = parser.parse_args(shlex.split(line)[1:])
        assert callable(args.func), (page, line)
