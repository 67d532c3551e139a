import json
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
    r = subprocess.run([sys.executable, "-m", "hardtarget", "verify", "-p", "xor", "--json"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 1 and json.loads(r.stdout)["feasible"] is False
