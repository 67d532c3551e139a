"""Time-limit overrun per strategy (issue 9, "budgets that hold").

For each case and strategy: ``solve(..., time_limit=LIMIT)`` run ``--repeats`` times in
this process (after an untimed warm-up that compiles the numba kernels); the table
shows the worst wall-clock overrun ``elapsed - LIMIT`` in seconds (negative: finished
early), the statuses seen, and ``refused`` when a strategy declines the problem up
front (a HardTargetError, e.g. exhaustive's size estimate).

    python benchmarks/bench_budgets.py [--limit 5] [--repeats 3] [--strategies hill,beam]
    python benchmarks/bench_budgets.py --portfolio [--limit 3]

``--portfolio`` measures the same for a two-process portfolio (a member that cannot
finish, exhaustive on parity:5 at width 4, beside hill): the overrun of the portfolio and
the status of each member.  The tests assert only the statuses (``tests/test_sat.py``,
``tests/test_portfolio.py``); the overruns are measured here.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import hardtarget as ht
from hardtarget.errors import HardTargetError
from hardtarget.search import STRATEGIES, solve


def big_gaussian(m: int = 100_000) -> ht.Problem:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(m, 2))
    return ht.make_problem(X, (X[:, 0] * X[:, 1] > 0).astype(int), name=f"gauss-xor:{m}x2")


CASES = [
    ("parity:6", lambda: ht.load_problem("parity:6"), (5,)),
    ("planted:32-16-1:400", lambda: ht.load_problem("planted:32-16-1:400:0"), (16,)),
    ("1e5 x 2", big_gaussian, (2,)),
    ("parity:3", lambda: ht.load_problem("parity:3"), (10_000,)),
    ("parity:7", lambda: ht.load_problem("parity:7"), (5,)),  # the sat/sat-lp test's case
]


def bench_portfolio(limit: float, repeats: int) -> None:
    """Overrun of a two-process portfolio whose exhaustive member cannot finish."""
    from hardtarget.search.portfolio import Member, portfolio

    p = ht.load_problem("parity:5")
    members = [Member("exhaustive", 0, {"max_size": 1e30}), Member("hill", 1)]
    print(f"portfolio, 2 processes, time limit {limit:g} s: overrun in seconds (statuses)")
    for rep in range(repeats):
        t = time.perf_counter()
        try:
            r = portfolio(p, (4,), members, jobs=2, time_limit=limit)
            statuses = ", ".join(f"{m['member']}: {m['status']}" for m in r.info["members"])
        except HardTargetError as exc:
            statuses = f"refused: {exc}"
        print(f"  run {rep}: {time.perf_counter() - t - limit:+.2f} ({statuses})", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--limit", type=float, default=5.0)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--strategies", default=",".join(sorted(STRATEGIES)))
    ap.add_argument("--cases", default=",".join(c[0] for c in CASES))
    ap.add_argument("--portfolio", action="store_true", help="the portfolio's overrun only")
    args = ap.parse_args()
    if args.portfolio:
        bench_portfolio(args.limit, args.repeats)
        return
    t0 = time.perf_counter()
    solve(ht.load_problem("xor"), (2,), "hill", progress=False)  # compile the kernels, untimed
    print(f"warm-up (imports done, numba compilation): {time.perf_counter() - t0:.1f} s\n")
    names = args.strategies.split(",")
    wanted = args.cases.split(",")
    print(f"time limit {args.limit:g} s, worst of {args.repeats}: overrun in seconds (statuses)\n")
    print("| case | hidden | " + " | ".join(names) + " |")
    print("|---|---|" + "---|" * len(names))
    for label, make, hidden in CASES:
        if label not in wanted:
            continue
        p = make()
        cells = []
        for name in names:
            worst, statuses = -np.inf, set()
            for rep in range(args.repeats):
                t = time.perf_counter()
                try:
                    r = solve(p, hidden, name, time_limit=args.limit, seed=rep, progress=False)
                except HardTargetError:
                    statuses.add("refused")
                    break
                except Exception as exc:  # a bug: report it in the table, go on
                    statuses.add(f"error {type(exc).__name__}")
                    break
                over = time.perf_counter() - t - args.limit
                worst = max(worst, over)
                statuses.add(r.status)
                if r.status == "time_limit" and over < -0.5:
                    print(f"    early time_limit: {r.message}", flush=True)
            cell = (
                f"{worst:+.2f} " if np.isfinite(worst) else ""
            ) + f"({', '.join(sorted(statuses))})"
            cells.append(cell)
            print(f"  {label} {name}: {cell}", flush=True)
        print(f"| {label} | {','.join(map(str, hidden))} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
