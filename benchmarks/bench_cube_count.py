"""Benchmark: counting the threshold functions of n inputs (separable dichotomies of the
n-cube) by the cube's symmetry, against the plain deletion-restriction recursion.

Plain script::

    .venv/bin/python benchmarks/bench_cube_count.py           # n = 1 .. 5, both methods
    .venv/bin/python benchmarks/bench_cube_count.py --max-n 6 # adds the 6-cube (minutes)

Both counts run in one process on the same machine; the ratio is
``recursion time / symmetry time``.  Each count is checked against the known value
(OEIS A000609).  With ``--max-n 6`` the plain recursion is skipped for n = 6 unless
``--baseline-6`` is given (it needs about 8x the CPU time).
"""

from __future__ import annotations

import argparse
import itertools
import os
import resource
import time

import numpy as np

from hardtarget.search.cube_count import cube_count
from hardtarget.search.dichotomies import _count

KNOWN = {1: 4, 2: 14, 3: 104, 4: 1882, 5: 94_572, 6: 15_028_134, 7: 8_378_070_864}


def _none(_):
    return None


def _timed(fn, *args) -> tuple:
    t = time.process_time()
    value = fn(*args)
    return value, time.process_time() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--max-n", type=int, default=5, help="largest cube (default 5)")
    ap.add_argument("--baseline-6", action="store_true", help="also run the recursion at n=6")
    args = ap.parse_args()
    print(f"load average at start: {os.getloadavg()}")
    print("| n | known | symmetry count | CPU s | recursion count | CPU s | ratio |")
    print("|---|---|---|---|---|---|---|")
    wrong = []
    for n in range(1, args.max_n + 1):
        got, t_sym = _timed(cube_count, n, _none)
        row = f"| {n} | {KNOWN.get(n, '?')} | {got} | {t_sym:.2f} |"
        if n < 6 or args.baseline_6:
            cube = np.array(list(itertools.product((-1, 1), repeat=n)), dtype=float)
            A = np.column_stack([cube, np.ones(len(cube))])
            base, t_base = _timed(_count, A, _none, True)
            row += f" {base} | {t_base:.2f} | {t_base / max(t_sym, 1e-9):.1f}x |"
        else:
            row += " - | - | - |"
        if got != KNOWN.get(n, got):
            wrong.append(n)
        print(row + ("" if n not in wrong else "  MISMATCH"), flush=True)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory: {peak:.0f} MB; load average at end: {os.getloadavg()}")
    if wrong:
        raise SystemExit(f"counts differ from OEIS A000609 for n = {wrong}")


if __name__ == "__main__":
    main()
