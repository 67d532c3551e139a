"""Safe output (hardtarget._io): atomic writes, locks, strict JSON."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from hardtarget import HardTargetError
from hardtarget._io import atomic_open, dumps_json, exclusive_lock


def test_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path):
    path = tmp_path / "out.txt"
    path.write_text("old")
    with pytest.raises(RuntimeError), atomic_open(path, "w") as fh:
        fh.write("half")
        raise RuntimeError("crash mid-write")
    assert path.read_text() == "old" and sorted(p.name for p in tmp_path.iterdir()) == ["out.txt"]


def test_strict_json_turns_nan_and_infinities_into_null():
    obj = {"a": float("inf"), "b": [np.float64("nan"), -np.inf, 1.5], "c": np.arange(2), 3: (1, 2)}
    text = dumps_json(obj)
    assert json.loads(text, parse_constant=lambda c: pytest.fail(c)) == {
        "a": None,
        "b": [None, None, 1.5],
        "c": [0, 1],
        "3": [1, 2],
    }


def test_lock_held_by_another_process_names_its_pid(tmp_path):
    path = tmp_path / "net.npz"
    code = (
        "import sys, time; from hardtarget._io import exclusive_lock\n"
        f"with exclusive_lock({str(path)!r}):\n    print('held', flush=True); time.sleep(30)"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "held"
        with pytest.raises(HardTargetError, match=f"pid {proc.pid}\\b"), exclusive_lock(path):
            pass
    finally:
        proc.kill()
        proc.wait()
    with exclusive_lock(path):  # the holder died: the lock is free again
        assert (tmp_path / ".net.npz.lock").read_text().strip() == str(os.getpid())
    assert not (tmp_path / ".net.npz.lock").exists()


def test_a_folder_is_locked_the_same_before_and_after_it_exists(tmp_path):
    out = tmp_path / "run"
    with exclusive_lock(out):
        out.mkdir()  # the first run creates its folder while holding the lock
        with pytest.raises(HardTargetError, match="another hardtarget run"), exclusive_lock(out):
            pass
    with exclusive_lock(tmp_path / "run/"):
        assert (tmp_path / ".run.lock").exists()
