"""Target-search benchmarks (issue: target search).

0. Finding: parity-3 width 3 and parity-4 width 4 (and the parity-4 width-3 proof) per
   strategy, median over seeds after warm-up; ``sat`` with its first pass against the
   old configuration (no first pass, units ordered by +1 count), ``sat-lp`` and
   ``exhaustive`` with and without theirs, in the same process (ratios to old ``sat``).
1. parity:3 minimal width with its proofs, after JIT warm-up.
2. What exhaustive search's tricks save: states evaluated, separability tests and time
   with the dichotomy walk, symmetry breaking, pruning and the unit cache each turned
   off (same process, ratios to the all-on run).
3. Every heuristic strategy on planted 16-8-1 networks with 500 points (60 s each).
4. The strategy table over the quick (or full) suite, via ``hardtarget.compare``.

Run: ``python benchmarks/bench_search.py [--skip-planted] [--suite quick|full] [--out DIR]``
(``--finding-only`` for section 0 alone; ``--parity5`` adds parity-5 width 5 to it).
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np

import hardtarget as ht
from hardtarget.compare import markdown, run_suite, write_report
from hardtarget.search import Exhaustive, solve
from hardtarget.units import UnitCache

FINDERS = [
    ("sat (before: no first pass, count order)", "sat", {"first_pass": False, "order": "count"}),
    ("sat", "sat", {}),
    ("sat-lp, first_pass=False (before)", "sat-lp", {"first_pass": False}),
    ("sat-lp", "sat-lp", {}),
    ("sat-lp symmetry=False, first_pass=False", "sat-lp", {"symmetry": False, "first_pass": False}),
    ("exhaustive, first_pass=False (before)", "exhaustive", {"first_pass": False}),
    ("exhaustive", "exhaustive", {}),
]


def finding(repeats: int = 5, parity5: bool = False) -> None:
    cases = [("parity:3", 3), ("parity:4", 4), ("parity:4", 3)] + (
        [("parity:5", 5)] if parity5 else []
    )
    print(f"## Finding (median / max over seeds 0..{repeats - 1} after warm-up, seconds)\n")
    print(
        "| problem | hidden | strategy | status | median | max | vs old sat "
        "| vs the strategy's first row |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for spec, h in cases:
        p = ht.load_problem(spec)
        base, own = None, {}  # old sat's median; each strategy's first (before) row's
        for label, name, opts in FINDERS:
            try:
                solve(p, (h,), name, progress=False, time_limit=60, **opts)  # warm-up
            except ht.HardTargetError:  # exhaustive refuses parity-5 width 5 by default
                print(f"| {spec} | {h} | {label} | refused | | | | |")
                continue
            times, statuses = [], set()
            for seed in range(repeats):
                t0 = time.perf_counter()
                r = solve(p, (h,), name, seed=seed, progress=False, time_limit=60, **opts)
                times.append(time.perf_counter() - t0)
                statuses.add(r.status)
            med = float(np.median(times))
            base = base or med
            own.setdefault(name, med)
            print(
                f"| {spec} | {h} | {label} | {'/'.join(sorted(statuses))} | {med:.4f} "
                f"| {max(times):.4f} | {base / med:.2f}x | {own[name] / med:.2f}x |",
                flush=True,
            )
    print()


def min_width_timing(repeats: int = 5) -> None:
    p = ht.load_problem("parity:3")
    ht.min_width(p)  # warm-up
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        r = ht.min_width(p)
        times.append(time.perf_counter() - t0)
    print(
        f"## parity:3 minimal width\n\nwidth {r.width}, smaller widths: {r.proofs}; "
        f"median {np.median(times):.3f} s over {repeats} runs (after warm-up)\n"
    )


def ablation() -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(16, 2))
    y = rng.integers(0, 2, size=16)
    cases = [(ht.load_problem("parity:3"), (2,)), (ht.make_problem(X, y, name="random-16x2"), (1,))]
    configs = [
        ("all on", {}),
        ("no dichotomy walk (test all 2^u labelings)", {"dichotomies": False}),
        ("no pruning", {"prune": False}),
        ("no pruning, no symmetry breaking", {"prune": False, "symmetry": False}),
    ]
    solve(cases[0][0], (2,), "exhaustive", progress=False)  # warm-up
    print("## Exhaustive search: what each trick saves (same process; time relative to all on)\n")
    print(
        "| problem | hidden | config | status | loss | states | separability tests "
        "| time (s) | ratio |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for p, hidden in cases:
        base = None
        for label, opts in configs:
            t0 = time.perf_counter()
            r = solve(p, hidden, Exhaustive(**opts), progress=False)
            dt = time.perf_counter() - t0
            base = base or dt
            print(
                f"| {p.name} | {hidden[0]} | {label} | {r.status} | {r.loss:g} "
                f"| {r.states_evaluated} | "
                f"{r.info.get('separability_tests', 0)} | {dt:.3f} | {dt / base:.2f}x |"
            )
    print("\n## The unit cache (hill climbing, same process)\n")
    print("| problem | cache | states | unit solves | cache hits | time (s) | ratio |")
    print("|---|---|---|---|---|---|---|")
    p = ht.load_problem("planted:8-3-1:100:1")
    base = None
    for label, cache in (("on", UnitCache()), ("off", UnitCache(maxsize=0))):
        t0 = time.perf_counter()
        r = solve(p, (3,), "hill", init="random", cache=cache, progress=False, max_states=3000)
        dt = time.perf_counter() - t0
        base = base or dt
        print(
            f"| {p.name} | {label} | {r.states_evaluated} | {r.unit_solves} | {r.cache_hits} "
            f"| {dt:.3f} | "
            f"{dt / base:.2f}x |"
        )
    print()


def planted(seeds=(0,), time_limit: float = 60.0) -> None:
    print(f"## Planted 16-8-1, 500 points, {time_limit:g} s per run\n")
    print("| seed | strategy | init | status | train acc | errors | time to best (s) | states |")
    print("|---|---|---|---|---|---|---|---|")
    for seed in seeds:
        p = ht.load_problem(f"planted:16-8-1:500:{seed}")
        for name in ("ftprop", "madaline", "hill", "beam"):
            for init in ("anneal", "ftprop-mb", "random"):
                opts = {"init": init}
                if name in ("hill", "beam"):
                    opts["max_neighbors"] = 500
                if name in ("ftprop", "madaline", "hill"):
                    opts["restarts"] = 10_000  # new initial targets until the time limit
                r = solve(p, (8,), name, time_limit=time_limit, seed=seed, progress=False, **opts)
                print(
                    f"| {seed} | {name} | {init} | {r.status} | {r.train_accuracy:.4f} "
                    f"| {r.loss:g} | "
                    f"{r.time_to_best:.2f} | {r.states_evaluated} |",
                    flush=True,
                )
    print()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--skip-planted", action="store_true")
    ap.add_argument("--planted-seeds", type=int, default=1)
    ap.add_argument("--suite", default="quick")
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--time-limit", type=float, default=10.0)
    ap.add_argument("--out", default="benchmarks/results/search")
    ap.add_argument("--finding-only", action="store_true")
    ap.add_argument("--parity5", action="store_true")
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    finding(parity5=args.parity5)
    if args.finding_only:
        return
    min_width_timing()
    ablation()
    if not args.skip_planted:
        planted(range(args.planted_seeds))
    rows = run_suite(args.suite, seeds=range(args.seeds), time_limit=args.time_limit)
    rep = write_report(rows, args.out)
    print(
        f"## Strategy table ({args.suite} suite, {args.seeds} seeds, {args.time_limit:g} s limit)\n"
    )
    print(markdown(rep["summary"]))
    print(f"\nwritten to {args.out}/")


if __name__ == "__main__":
    main()
