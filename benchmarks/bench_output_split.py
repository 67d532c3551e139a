"""Benchmark: ``output-split`` against ``sat-lp`` on the parity frontier, one process.

Plain script::

    .venv/bin/python benchmarks/bench_output_split.py            # parity-4 and parity-5
    .venv/bin/python benchmarks/bench_output_split.py --parity-6 # adds parity-6 width 5
    .venv/bin/python benchmarks/bench_output_split.py --parity-6 --proof DIR  # and checks it

Times are CPU seconds of this process (``time.process_time``), after a warm-up solve, so
the ratio ``sat-lp / output-split`` does not depend on other jobs' load as much as wall
time does.  ``sat-lp`` runs with ``objective=feasibility`` (the same question) and a time
limit (``--baseline-limit``, default 120 s); a baseline that hits it prints ``>``.
``--proof DIR`` writes parity-6's proof there and runs both independent checkers on it.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import time
from pathlib import Path

import hardtarget as ht

TOOLS = Path(__file__).resolve().parents[1] / "tools"


def _tool(name: str):
    spec = importlib.util.spec_from_file_location(name, TOOLS / f"{name}.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _cpu(fn, *args, **kwargs):
    t = time.process_time()
    out = fn(*args, **kwargs)
    return out, time.process_time() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--parity-6", action="store_true", help="add parity-6 width 5 (minutes)")
    ap.add_argument("--baseline-limit", type=float, default=120.0)
    ap.add_argument("--proof", help="write and check parity-6's proof in this folder")
    args = ap.parse_args()
    cases = [("parity:4", 3), ("parity:5", 4), ("parity:5", 5)]
    if args.parity_6:
        cases.append(("parity:6", 5))
    ht.solve(ht.load_problem("parity:3"), (2,), "output-split")  # warm-up (numba, imports)
    print(f"load average {os.getloadavg()[0]:.1f}; CPU seconds of this process")
    print(
        f"{'problem':10} {'width':>5} {'answer':>10} {'output-split':>13} {'sat-lp':>9} "
        f"{'ratio':>7}"
    )
    for spec, w in cases:
        p = ht.load_problem(spec)
        r, t_split = _cpu(ht.solve, p, (w,), "output-split")
        b, t_base = _cpu(
            ht.solve, p, (w,), "sat-lp", objective="feasibility", time_limit=args.baseline_limit
        )
        done = b.status in ("optimal", "infeasible")
        if done and (b.status == "optimal") != (r.status == "optimal"):
            raise SystemExit(f"{spec} width {w}: the strategies disagree ({r.status}, {b.status})")
        base = f"{t_base:9.2f}" if done else f"> {t_base:7.0f}"
        print(
            f"{spec:10} {w:5d} {r.status:>10} {t_split:13.2f} {base} "
            f"{t_base / t_split:6.1f}{'' if done else '+'}x"
        )
    if args.proof:
        path = str(Path(args.proof) / "p6w5")
        Path(args.proof).mkdir(parents=True, exist_ok=True)
        p = ht.load_problem("parity:6")
        r, t = _cpu(ht.solve, p, (5,), "output-split", proof=path)
        print(f"parity-6 width 5 with proof files: {r.status} in {t:.1f} s CPU")
        counts, t = _cpu(_tool("check_output_split").check_output_split, path, p.X, p.t, 5)
        print(f"check_output_split: {counts} in {t:.1f} s CPU")
        rup = _tool("check_rup")
        solved = json.loads(Path(path + ".json").read_text())["solved"]
        t0 = time.process_time()
        refuted = [rec["index"] for rec in solved if "constant" not in rec]
        for k in refuted:
            ok, msg = rup.check_rup(f"{path}.{k}.cnf", f"{path}.{k}.drat")
            if not ok:
                raise SystemExit(f"class {k}: {msg}")
        print(
            f"check_rup: {len(refuted)} refutations verified in "
            f"{time.process_time() - t0:.1f} s CPU"
        )


if __name__ == "__main__":
    main()
