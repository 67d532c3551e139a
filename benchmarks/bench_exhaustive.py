"""The exhaustive strategy's zero-error pass with and without its face bounds (issue 23).

1. parity:4 width 3 (``first_pass=False, minimize=False``) with ``face_bounds=False``
   (the baseline, the search before the face bounds) and with them, in this process:
   time, cover nodes and the ratio.
2. ``--p5``: the same for parity:5 width 3 (the baseline takes about 7 minutes), then
   parity:5 width 4 with the face bounds (about 2 minutes; without them it does not
   finish in hours, so no baseline is run), then the same through the CLI command
   ``hardtarget solve --problem parity:5 --hidden 4 --strategy exhaustive``.

Run: ``python benchmarks/bench_exhaustive.py [--p5] [--time-limit S]``
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time

import hardtarget as ht
from hardtarget.search.exhaustive import Exhaustive


def run(problem: str, width: int, faces: bool, time_limit: float) -> tuple:
    p = ht.load_problem(problem)
    strategy = Exhaustive(first_pass=False, minimize=False, max_size=1e30, face_bounds=faces)
    t0 = time.perf_counter()
    r = ht.solve(p, (width,), strategy, time_limit=time_limit)
    return r, time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--p5", action="store_true", help="also parity:5 widths 3 and 4 (~10 min)")
    ap.add_argument("--time-limit", type=float, default=600.0)
    args = ap.parse_args()
    run("parity:4", 3, True, args.time_limit)  # warm-up (imports, numba), not timed
    print(f"load average {os.getloadavg()[0]:.2f} at start\n")
    cols = ("problem", "width", "face bounds", "status", "time (s)", "cover nodes", "face-pruned")
    print("| " + " | ".join(cols) + " | ratio |")
    print("|---|---|---|---|---|---|---|---|")
    for problem, width in (("parity:4", 3), ("parity:5", 3))[: 2 if args.p5 else 1]:
        base = None
        for faces in (False, True):
            r, dt = run(problem, width, faces, args.time_limit)
            base = base or dt
            print(
                f"| {problem} | {width} | {faces} | {r.status} | {dt:.2f} | "
                f"{r.info.get('cover_nodes', 0):,} | {r.info.get('face_pruned', 0):,} | "
                f"{base / dt:.2f}x |",
                flush=True,
            )
    if args.p5:
        r, dt = run("parity:5", 4, True, args.time_limit)
        print(
            f"| parity:5 | 4 | True | {r.status} | {dt:.1f} | {r.info.get('cover_nodes', 0):,} "
            f"| {r.info.get('face_pruned', 0):,} | (no baseline) |",
            flush=True,
        )
        cmd = [
            sys.executable,
            "-m",
            "hardtarget",
            "solve",
            "--problem",
            "parity:5",
            "--hidden",
            "4",
            "--strategy",
            "exhaustive",
            "--time-limit",
            str(args.time_limit),
        ]
        t0 = time.perf_counter()
        out = subprocess.run(cmd, capture_output=True, text=True, check=False)
        print(f"\n`{' '.join(cmd[1:])}`: exit {out.returncode} in {time.perf_counter() - t0:.1f} s")
        print(out.stdout.strip().splitlines()[-2] if out.stdout.strip() else out.stderr[-500:])
    print(f"\nload average {os.getloadavg()[0]:.2f} at the end")


if __name__ == "__main__":
    main()
