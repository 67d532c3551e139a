"""Benchmark of the command line's start-up and of the data loaders.

Plain script, no benchmark framework::

    .venv/bin/python benchmarks/bench_cli.py            # markdown on stdout
    .venv/bin/python benchmarks/bench_cli.py --quick    # fewer repeats, a smaller CSV

Start-up: the median wall time of fresh processes, interleaved, of

* ``python -c pass`` (the interpreter alone, the floor);
* ``hardtarget --version`` and ``hardtarget --help`` (lazy: no numba, no torch);
* ``python -c "import hardtarget; hardtarget.solve"`` (everything the search needs,
  i.e. what ``--version`` loaded before ``import hardtarget`` became lazy).

Loaders, in this process: ``load_data`` on a CSV with a header and on an NPZ, against
``numpy.loadtxt`` on the same CSV and ``numpy.load`` on the same NPZ.  Ratios are
``baseline time / hardtarget time`` from the same run.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

import hardtarget as ht


def _wall(cmd: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True)
    return time.perf_counter() - t0


def startup(repeats: int) -> dict:
    """Median seconds per fresh process for each command, interleaved."""
    py = sys.executable
    cmds = {
        "python -c pass": [py, "-c", "pass"],
        "hardtarget --version": [py, "-m", "hardtarget", "--version"],
        "hardtarget --help": [py, "-m", "hardtarget", "--help"],
        "import hardtarget; hardtarget.solve": [py, "-c", "import hardtarget; hardtarget.solve"],
    }
    times: dict = {k: [] for k in cmds}
    for _ in range(repeats):
        for k, c in cmds.items():
            times[k].append(_wall(c))
    return {k: statistics.median(v) for k, v in times.items()}


def _best(fn, repeats: int) -> float:
    out = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return min(out)


def loaders(rows: int, repeats: int) -> dict:
    """Seconds (best of ``repeats``) for hardtarget's loaders and numpy's on the same files."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((rows, 10))
    y = (X[:, 0] > 0).astype(int)
    d = tempfile.mkdtemp()
    csv, npz = os.path.join(d, "d.csv"), os.path.join(d, "d.npz")
    header = ",".join([f"x{i}" for i in range(10)] + ["y"])
    np.savetxt(csv, np.column_stack([X, y]), delimiter=",", header=header, comments="", fmt="%.17g")
    np.savez(npz, X=X, y=y)

    def np_npz():
        with np.load(npz) as f:
            f["X"], f["y"]

    return {
        "csv": (
            _best(lambda: ht.load_data(csv), repeats),
            _best(lambda: np.loadtxt(csv, delimiter=",", skiprows=1), repeats),
        ),
        "npz": (_best(lambda: ht.load_data(npz), repeats), _best(np_npz, repeats)),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    a = ap.parse_args()
    reps, rows = (3, 20_000) if a.quick else (7, 100_000)
    s = startup(reps)
    floor = s["python -c pass"]
    print("| command | median s | over `python -c pass` (s) |\n|---|---|---|")
    for k, v in s.items():
        print(f"| `{k}` | {v:.3f} | {v - floor:.3f} |")
    eager = s["import hardtarget; hardtarget.solve"] - floor
    lazy = s["hardtarget --version"] - floor
    print(
        f"\n`--version` start-up beyond the interpreter: {lazy:.3f} s, against {eager:.3f} s "
        f"for the eager import ({eager / max(lazy, 1e-9):.1f}x less)\n"
    )
    ld = loaders(rows, reps)
    print(
        f"| loader ({rows} x 10) | hardtarget s | numpy s | numpy / hardtarget |\n|---|---|---|---|"
    )
    for k, (mine, base) in ld.items():
        print(f"| {k} | {mine:.4f} | {base:.4f} | {base / mine:.2f} |")


if __name__ == "__main__":
    main()
