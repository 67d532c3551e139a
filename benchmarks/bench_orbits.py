"""Benchmark: the ``orbits`` lever of ``sat-lp`` and ``sat`` on the parity frontier, one process.

Plain script::

    .venv/bin/python benchmarks/bench_orbits.py          # parity-4 and parity-5 (minutes)
    .venv/bin/python benchmarks/bench_orbits.py --quick  # without the parity-5 baselines

Each row solves one problem twice in this process: with the levers (the defaults) and
without them (the baseline, the encoding before them: ``orbits=False``, and for ``sat``
also ``summable=False``); the whole run, first pass included, as ``hardtarget solve``
does it.  Times are wall seconds and CPU
seconds of this process (``time.process_time``, all threads), after a warm-up solve; the
ratio is baseline CPU / lever CPU.  A baseline that hits ``--baseline-limit`` prints ``>``.
"""

from __future__ import annotations

import argparse
import os
import time

import hardtarget as ht

CASES = [
    ("parity:4", 3, "sat-lp", {"objective": "feasibility"}),
    ("parity:4", 3, "sat", {}),
    ("parity:5", 4, "sat-lp", {"objective": "feasibility"}),
    ("parity:5", 4, "sat-lp", {}),
    ("parity:5", 4, "sat", {}),
    ("parity:5", 4, "sat", {"objective": "feasibility"}),
    ("parity:5", 5, "sat-lp", {"objective": "feasibility"}),
]


def _run(spec, width, strategy, opts, limit=None):
    t, c = time.perf_counter(), time.process_time()
    r = ht.solve(ht.load_problem(spec), (width,), strategy, time_limit=limit, **opts)
    return r, time.perf_counter() - t, time.process_time() - c


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="skip the parity-5 baselines")
    ap.add_argument("--baseline-limit", type=float, default=300.0)
    args = ap.parse_args()
    ht.solve(ht.load_problem("parity:3"), (2,), "sat-lp")  # warm-up (numba, imports)
    print(f"load average {os.getloadavg()[0]:.1f}")
    print(
        f"{'problem':9} {'w':>2} {'strategy':8} {'options':24} {'answer':>10} {'loss':>4} "
        f"{'orbits':>6} {'wall':>6} {'cpu':>6} {'base wall':>9} {'base cpu':>9} {'ratio':>6}"
    )
    for spec, w, strategy, opts in CASES:
        r, wall, cpu = _run(spec, w, strategy, opts)
        base = ""
        if not (args.quick and spec == "parity:5"):
            off = {"orbits": False, **({"summable": False} if strategy == "sat" else {})}
            b, bwall, bcpu = _run(spec, w, strategy, {**opts, **off}, args.baseline_limit)
            same = b.status == r.status and b.loss == r.loss
            cut = ">" if b.status == "time_limit" else ""
            base = f"{cut}{bwall:8.2f} {cut}{bcpu:8.2f} {bcpu / cpu:6.1f}"
            if not same and not cut:
                base += f"  DIFFERENT: {b.status} loss {b.loss}"
        text = ",".join(f"{k}={v}" for k, v in opts.items()) or "-"
        print(
            f"{spec:9} {w:2d} {strategy:8} {text:24} {r.status:>10} {r.loss:4.0f} "
            f"{r.info.get('orbit_representatives', 0):6d} {wall:6.2f} {cpu:6.2f} {base}",
            flush=True,
        )


if __name__ == "__main__":
    main()
