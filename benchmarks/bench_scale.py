"""Exact search at scale (issue 13): dichotomy counts, parity minimal widths, the portfolio.

1. Threshold functions of n = 4, 5 inputs with ``separable_dichotomies`` (arrangement
   walk, no LP) against two LP methods timed on a random sample in the same process and
   extrapolated: ``linprog`` on every one of the ``2^(2^n)`` labelings, and the previous
   flip walk (one ``solve_unit`` per labeling and neighbour, ``count x 2^n`` calls).
2. ``min_width`` of parity:4 and parity:5 (``minimize=False``), and parity:5 width 5,
   with ``exhaustive``.
3. The portfolio: the same members with ``jobs=1`` (in order, this process) and
   ``jobs=2`` (two loky processes, cold and then warm workers), as ratios.
4. ``--symmetry``: ``exhaustive`` on parity:5, widths 4 and 5, with and without the
   point-symmetry breaking of the first unit (``point_symmetry``), under ``--limit``.
5. ``--overrun``: time limits at scale (issue 19): each local strategy on 10^5 rows
   (``planted:20-30-1:100000:0``) at hidden widths 30, 100, 300, 1,000 with
   ``--time-limit`` (default 5 s), one subprocess per run; the table gives the wall time
   of the ``solve`` call, the overrun past the limit (the baseline is the limit itself),
   the states evaluated, whether the best is the start network, the peak RSS and the time
   to generate the data (outside the budget); then
   the refusals of the widths that cannot fit (``sat``/``sat-lp`` at 1,000, ``hill`` at
   10^4).

Run: ``python benchmarks/bench_scale.py [--quick] [--sample N] [--symmetry --limit S]``
or ``python benchmarks/bench_scale.py --overrun [--time-limit 5] [--widths 30,100,300,1000]``
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import subprocess
import sys
import time

import numpy as np
from scipy.optimize import linprog

import hardtarget as ht
from hardtarget.search.portfolio import grid, portfolio


def cube(n: int) -> np.ndarray:
    return np.array(list(itertools.product((-1, 1), repeat=n)), dtype=float)


def lp_separable(A1: np.ndarray, t: np.ndarray) -> bool:
    res = linprog(
        np.zeros(A1.shape[1]),
        A_ub=-(t[:, None] * A1),
        b_ub=-np.ones(len(t)),
        bounds=[(None, None)] * A1.shape[1],
        method="highs",
    )
    return res.status == 0


def counts(sample: int, ns: tuple[int, ...]) -> None:
    print("## Threshold functions of n inputs (all labelings of {-1,1}^n one unit realizes)\n")
    print(
        "| n | count | arrangement walk (s) | linprog on all 2^(2^n), extrapolated (s) | ratio "
        "| solve_unit flip walk, extrapolated (s) | ratio |"
    )
    print("|---|---|---|---|---|---|---|")
    rng = np.random.default_rng(0)
    ht.separable_dichotomies(cube(3))  # warm-up
    for n in ns:
        X = cube(n)
        t0 = time.perf_counter()
        labels = ht.separable_dichotomies(X)
        walk = time.perf_counter() - t0
        A1 = np.column_stack([X, np.ones(len(X))])
        # linprog on random labelings (almost all non-separable) and on separable ones
        rand = rng.choice((-1, 1), size=(sample, len(X)))
        seps = labels[rng.choice(len(labels), size=sample)]
        t0 = time.perf_counter()
        for t in rand:
            lp_separable(A1, t)
        per_lp = (time.perf_counter() - t0) / sample
        lp_total = per_lp * 2.0 ** len(X)
        # the flip walk's calls: each separable labeling's neighbours, one flip each
        nbrs = seps.copy()
        flip = rng.integers(len(X), size=sample)
        nbrs[np.arange(sample), flip] *= -1
        t0 = time.perf_counter()
        for t in nbrs:
            ht.solve_unit(X, t)
        per_unit = (time.perf_counter() - t0) / sample
        flip_total = per_unit * len(labels) * len(X)
        print(
            f"| {n} | {len(labels):,} | {walk:.3f} | {lp_total:,.0f} ({per_lp * 1e6:.0f} µs x "
            f"2^{len(X)}) | {lp_total / walk:,.0f}x | {flip_total:,.1f} ({per_unit * 1e6:.0f} µs x "
            f"{len(labels) * len(X):,}) | {flip_total / walk:,.0f}x |"
        )
    print()


def parity_widths(quick: bool) -> None:
    print("## Exhaustive search with proofs\n")
    print("| task | answer | proofs | time (s) |")
    print("|---|---|---|---|")
    t0 = time.perf_counter()
    r = ht.min_width(ht.load_problem("parity:4"))
    print(
        f"| min_width(parity:4) | width {r.width} | {r.message} | {time.perf_counter() - t0:.2f} |"
    )
    if not quick:
        t0 = time.perf_counter()
        r = ht.min_width(ht.load_problem("parity:5"), minimize=False)
        print(
            f"| min_width(parity:5, minimize=False) | {r.width} | {r.message} | "
            f"{time.perf_counter() - t0:.2f} |"
        )
        t0 = time.perf_counter()
        # the default size guard (Cover's bound, 3e24 states) refuses it: lift it
        r = ht.solve(ht.load_problem("parity:5"), (5,), "exhaustive", progress=False, max_size=1e30)
        print(
            f"| parity:5, width 5 (max_size=1e30) | {r.status}, loss {r.loss:g} | found | "
            f"{time.perf_counter() - t0:.2f} |"
        )
    print()


def speedup(quick: bool) -> None:
    p = ht.load_problem("parity:5")
    states = 1500 if quick else 8000
    # restarts keep every member busy for exactly its state budget (equal work)
    members = grid(["hill"], seeds=range(4), init="random", restarts=1000)
    common = {"max_states": states}
    print(
        f"## Portfolio speed-up: {len(members)} hill-climbing restarts on parity:5 width 4, "
        f"{states} states each\n"
    )
    print("| jobs | backend | time (s) | speed-up vs jobs=1 | best loss | member |")
    print("|---|---|---|---|---|---|")
    portfolio(p, (4,), members[:1], max_states=10)  # warm-up (JIT) in this process
    rows = [("1", 1), ("2 (cold workers)", 2), ("2 (warm workers)", 2)]
    base = None
    for label, jobs in rows:
        t0 = time.perf_counter()
        r = portfolio(p, (4,), members, jobs=jobs, **common)
        dt = time.perf_counter() - t0
        base = base or dt
        print(
            f"| {label} | {r.info['backend']} | {dt:.2f} | {base / dt:.2f}x | {r.loss:g} | "
            f"{r.info['member']} |"
        )
    print()


def symmetry(limit: float) -> None:
    p = ht.load_problem("parity:5")
    print(f"## exhaustive on parity:5, first unit per symmetry orbit or not ({limit:g} s)\n")
    print("| width | point_symmetry | status | time (s) | first-unit candidates | DFS nodes |")
    print("|---|---|---|---|---|---|")
    for width in (5, 4):
        for ps in (True, False):
            t0 = time.perf_counter()
            r = ht.solve(
                p,
                (width,),
                "exhaustive",
                progress=False,
                max_size=1e30,
                minimize=False,
                point_symmetry=ps,
                time_limit=limit,
            )
            i = r.info
            print(
                f"| {width} | {ps} | {r.status} | {time.perf_counter() - t0:.2f} | "
                f"{i.get('first_unit_candidates', 'all 47285')} | {i.get('cover_nodes', 0):,} |"
            )
    print()


SCALE_PROBLEM = "planted:20-30-1:100000:0"
_ONE_RUN = """
import json, resource, sys, time
import hardtarget as ht
w, strategy, limit = int(sys.argv[1]), sys.argv[2], float(sys.argv[3])
opts = dict(a.split("=", 1) for a in sys.argv[4:])
t0 = time.perf_counter()
p = ht.load_problem({problem!r})
load = time.perf_counter() - t0
t0 = time.perf_counter()
try:
    r = ht.solve(p, (w,), strategy, time_limit=limit, progress=False, **opts)
    out = dict(status=r.status, states=r.states_evaluated, errors=round((1 - r.train_accuracy)
               * p.n_samples), start=bool(r.info.get("best_is_start_network")))
except ht.HardTargetError as exc:
    out = dict(status="refused", message=str(exc))
out["wall"] = time.perf_counter() - t0
out["load"] = load
out["rss_gb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6
print(json.dumps(out))
"""


def _one(width: int, strategy: str, limit: float, opts: tuple = ()) -> dict:
    code = _ONE_RUN.format(problem=SCALE_PROBLEM)
    cmd = [sys.executable, "-c", code, str(width), strategy, str(limit), *opts]
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    if res.returncode != 0:
        return {"status": f"exit {res.returncode}", "wall": float("nan"), "rss_gb": 0.0}
    return json.loads(res.stdout.strip().splitlines()[-1])


def overrun(limit: float, widths: tuple) -> None:
    print(f"## Time limit {limit:g} s on {SCALE_PROBLEM} (10^5 rows, 20 features)\n")
    print(f"load before: {os.getloadavg()[0]:.1f} (1-minute average, {os.cpu_count()} CPUs)\n")
    print(
        "| strategy | width | status | solve wall (s) | overrun past the limit (s) | states "
        "| best is the start network | errors | peak RSS (GB) | data generation (s) |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    runs = [
        ("hill", ()),
        ("hill", ("init=random",)),
        ("beam", ()),
        ("ftprop", ()),
        ("madaline", ()),
    ]
    for w in widths:
        for strategy, opts in runs:
            r = _one(w, strategy, limit, opts)
            name = " ".join((strategy, *(f"-o {o}" for o in opts)))
            print(
                f"| {name} | {w:,} | {r['status']} | {r['wall']:.2f} | {r['wall'] - limit:+.2f} "
                f"| {r.get('states', '')} | {r.get('start', '')} | {r.get('errors', '')} "
                f"| {r['rss_gb']:.2f} | {r.get('load', float('nan')):.1f} |"
            )
    print(f"\nload after: {os.getloadavg()[0]:.1f}\n")
    print("## Widths that cannot fit, refused before the run\n")
    print("| strategy | width | time to refuse (s) | message |")
    print("|---|---|---|---|")
    for strategy, w in (("sat", 1000), ("sat-lp", 1000), ("hill", 10_000)):
        r = _one(w, strategy, limit)
        print(f"| {strategy} | {w:,} | {r['wall']:.2f} | {r.get('message', r['status'])} |")
    print()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="n = 4 only, small portfolio")
    ap.add_argument("--sample", type=int, default=300, help="LP calls timed per method")
    ap.add_argument("--symmetry", action="store_true", help="only the point-symmetry table")
    ap.add_argument("--limit", type=float, default=100.0, help="seconds per --symmetry run")
    ap.add_argument("--overrun", action="store_true", help="only the time limits at scale")
    ap.add_argument("--time-limit", type=float, default=5.0, help="seconds per --overrun run")
    ap.add_argument(
        "--widths", default="30,100,300,1000", help="hidden widths for --overrun (comma list)"
    )
    args = ap.parse_args()
    if args.overrun:
        overrun(args.time_limit, tuple(int(w) for w in args.widths.split(",")))
        return
    if args.symmetry:
        symmetry(args.limit)
        return
    counts(args.sample, (4,) if args.quick else (4, 5))
    parity_widths(args.quick)
    speedup(args.quick)


if __name__ == "__main__":
    main()
