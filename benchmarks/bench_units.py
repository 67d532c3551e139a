"""Benchmark of the per-unit solvers against scipy and scikit-learn.

Plain script, no benchmark framework::

    .venv/bin/python benchmarks/bench_units.py            # markdown tables on stdout
    .venv/bin/python benchmarks/bench_units.py --json out.json
    .venv/bin/python benchmarks/bench_units.py --quick    # smaller sizes, fewer calls

For each size (n features, m points), input kind (±1 or Gaussian) and label kind
(separable: a planted hyperplane; non-separable: random labels redrawn until the
reference LP says infeasible) it times, in one process and interleaved over the same
instances, the median µs per call of

* hardtarget ``solve_unit`` with ``auto``, ``perceptron`` and ``lp``;
* ``scipy.optimize.linprog(method="highs")`` on the feasibility LP
  ``t_i (w . x_i + b) >= 1`` (the reference: its verdict is the truth here);
* ``sklearn.linear_model.Perceptron`` and ``sklearn.svm.LinearSVC`` (defaults).

Speed-ups are ``linprog time / method time`` measured in the same run.  Exact
methods (``auto``, ``lp``) must return linprog's verdict on every instance, with
weights that separate in the network's own summation order (the
:class:`~hardtarget.Network` forward pass) and exactly (``fractions``), or a certificate
whose support :func:`hardtarget.check_certificate_support` (an exact check) accepts;
heuristics are scored on how many linprog-separable instances they separate.

The single-flip section walks from a non-separable unit through single flips of
distinct rows (a new column at every step) and times, for every column, a cold
``solve_unit(auto)``, the store-backed ``solve_unit(auto, cache=...)`` (one
:class:`~hardtarget.UnitCache` along the walk: its certificate store refutes most
neighbours by lookup) and linprog; the ratios vs linprog are reported for the cold
calls and for the walk separately, with the store's hit rate.  A last section runs
``hill`` searches with and without the store (same result, hits, wall time).

It also times the batched perceptron (``solve_layer`` on 256 units sharing one
input matrix) against 256 single ``solve_unit`` calls (CPU time of this process, so
that other jobs on the machine do not inflate either side), and the numba compile cost:
the first call in a fresh process with an empty cache, a warm call, and the first
call in a second fresh process that should load the cached machine code.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import warnings

import numpy as np

SIZES = [(2, 4), (4, 16), (8, 64), (16, 256), (32, 1024)]
QUICK_SIZES = [(2, 4), (4, 16), (8, 64), (16, 256)]
TARGET_SIZES = {(2, 4), (4, 16), (8, 64), (16, 256)}  # where the targets apply
WALK_SIZES = [(8, 64), (16, 256), (32, 1024)]
QUICK_WALK_SIZES = [(8, 64), (16, 256)]
SEARCHES = [
    ("parity:5", (5,)),
    ("parity:4", (3,)),
    ("planted:8-4-1:200:0", (4,)),
    ("planted:16-8-1:500:1", (8,)),
]


# ----------------------------------------------------------------------------- data


def make_inputs(rng, n, m, kind):
    if kind == "pm1":
        return rng.choice(np.array([-1.0, 1.0]), size=(m, n))
    return rng.standard_normal((m, n))


def planted_labels(rng, X):
    """Labels of a random hyperplane through the data (both classes present)."""
    m, n = X.shape
    for _ in range(1000):
        w = rng.standard_normal(n)
        z = X @ w
        u = rng.uniform(0.2, 0.8)
        zs = np.sort(z)
        k = int(u * (m - 1))
        b = -0.5 * (zs[k] + zs[min(k + 1, m - 1)])
        t = np.where(z + b > 0, 1, -1).astype(np.int8)
        if 0 < (t > 0).sum() < m:
            return t
    raise RuntimeError("could not plant a two-class hyperplane")


def linprog_separable(X, t):
    """The reference: scipy's HiGHS on the feasibility LP t_i (w.x_i + b) >= 1."""
    from scipy.optimize import linprog

    m, n = X.shape
    A = -(t[:, None].astype(np.float64) * np.hstack([X, np.ones((m, 1))]))
    res = linprog(
        np.zeros(n + 1),
        A_ub=A,
        b_ub=-np.ones(m),
        bounds=[(None, None)] * (n + 1),
        method="highs",
    )
    if res.status == 0:
        return True
    if res.status == 2:
        return False
    return None


def make_instances(rng, n, m, kind, labels, k):
    out = []
    tries = 0
    while len(out) < k:
        tries += 1
        if tries > 200 * k:
            raise RuntimeError(f"could not draw {labels} instances for n={n}, m={m}, {kind}")
        X = make_inputs(rng, n, m, kind)
        if labels == "sep":
            t = planted_labels(rng, X)
        else:
            t = rng.choice(np.array([-1, 1], dtype=np.int8), size=m)
            if linprog_separable(X, t) is not False:
                continue  # small m: random labels can be separable; redraw
            if not (0 < (t > 0).sum() < m):
                continue
        out.append((X, t))
    return out, tries


# ----------------------------------------------------------------------------- methods


def methods():
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import Perceptron
    from sklearn.svm import LinearSVC

    from hardtarget import solve_unit

    warnings.filterwarnings("ignore", category=ConvergenceWarning)

    def ht(name):
        return lambda X, t: solve_unit(X, t, solver=name)

    def skp(X, t):
        return Perceptron().fit(X, t)

    def svc(X, t):
        return LinearSVC().fit(X, t)

    return {
        "linprog": linprog_separable,
        "auto": ht("auto"),
        "perceptron": ht("perceptron"),
        "lp": ht("lp"),
        "skl_perceptron": skp,
        "linear_svc": svc,
    }


EXACT = ("auto", "lp")


def exact_separates(X, t, w):
    """``t_i (w . x_i + b) > 0`` for every row in rational arithmetic (``fractions``)."""
    from fractions import Fraction

    W = [Fraction(v) for v in w.tolist()]
    return all(
        int(ti) * (sum(Fraction(a) * wf for a, wf in zip(x, W)) + W[-1]) > 0
        for x, ti in zip(X.tolist(), t.tolist())
    )


def judge(name, X, t, out, truth):
    """(claimed separable or None, proof ok) for one method's output on one instance."""
    from hardtarget import Network, check_certificate_support

    if name == "linprog":
        return out, True
    if name in ("skl_perceptron", "linear_svc"):
        sep = bool(np.all((out.predict(X) > 0) == (t > 0)))
        return (True if sep else None), True
    r = out
    if r.separable is True:
        w = np.asarray(r.weights, dtype=np.float64)
        z = Network([w.reshape(-1, 1)], ["sign"]).decision_function(X)  # float, network order
        return True, bool(np.all(t * z > 0)) and exact_separates(X, t, w)
    if r.separable is False:
        return False, bool(
            r.certificate is not None and check_certificate_support(X, t, r.certificate)
        )
    return None, True


def time_cell(fns, instances, budget_s, min_calls, max_calls):
    """Median µs per call of each method, interleaving methods and instances."""
    times = {k: [] for k in fns}
    outs = {k: [None] * len(instances) for k in fns}
    for f in fns.values():  # one untimed call per method (imports, first-call costs)
        f(*instances[0])
    spent = {k: 0.0 for k in fns}
    rnd = 0
    while True:
        active = [
            k
            for k in fns
            if (len(times[k]) < min_calls or spent[k] < budget_s) and len(times[k]) < max_calls
        ]
        if not active:
            break
        for k in active:
            f = fns[k]
            for idx, (X, t) in enumerate(instances):
                t0 = time.perf_counter()
                o = f(X, t)
                dt = time.perf_counter() - t0
                times[k].append(dt)
                spent[k] += dt
                if rnd == 0:
                    outs[k][idx] = o
        rnd += 1
    return (
        {k: float(np.median(v) * 1e6) for k, v in times.items()},
        {k: len(v) for k, v in times.items()},
        outs,
    )


# ----------------------------------------------------------------------------- batched


def bench_batched(rng, sizes, units, kind, budget_s):
    from hardtarget import solve_layer, solve_unit

    rows = []
    for n, m in sizes:
        X = make_inputs(rng, n, m, kind)
        T = np.stack([planted_labels(rng, X) for _ in range(units)], axis=1)
        solve_layer(X, T[:, :2], solver="perceptron")

        def single(X=X, T=T):
            return [solve_unit(X, T[:, j], solver="perceptron") for j in range(units)]

        def batch(X=X, T=T):
            return solve_layer(X, T, solver="perceptron")

        ts, tb = [], []
        spent = 0.0
        while (len(ts) < 3 or spent < budget_s) and len(ts) < 50:
            w0, t0 = time.perf_counter(), time.process_time()
            rs = single()
            t1 = time.process_time()
            rb = batch()
            t2 = time.process_time()
            ts.append(t1 - t0)
            tb.append(t2 - t1)
            spent += time.perf_counter() - w0
        same = all(
            np.array_equal(a.weights, b.weights) and a.separable == b.separable
            for a, b in zip(rs, rb)
        )
        conv = sum(r.separable is True for r in rb)
        s_us = float(np.median(ts)) * 1e6 / units
        b_us = float(np.median(tb)) * 1e6 / units
        rows.append(
            {
                "n": n,
                "m": m,
                "inputs": kind,
                "units": units,
                "single_us_per_unit": s_us,
                "batched_us_per_unit": b_us,
                "ratio": s_us / b_us,
                "identical": same,
                "converged": conv,
                "calls": len(ts),
            }
        )
    return rows


# ----------------------------------------------------------------------------- flip walks


def bench_walk(rng, n, m, kind, steps):
    """Single flips of distinct rows from a non-separable unit: µs per verdict, three ways."""
    from hardtarget import UnitCache, solve_unit

    [(X, t)], _ = make_instances(rng, n, m, kind, "nonsep", 1)
    cache = UnitCache()
    fns = {
        "cold": lambda u: solve_unit(X, u, solver="auto"),
        "store": lambda u: solve_unit(X, u, solver="auto", cache=cache),
        "linprog": lambda u: linprog_separable(X, u),
    }
    solve_unit(X, t, solver="auto", cache=UnitCache())  # untimed first calls
    linprog_separable(X, t)
    times = {k: [] for k in fns}
    truth, bad = [], 0
    t = t.copy()
    for step, i in enumerate(rng.permutation(m)[:steps]):
        if step:
            t[i] = -t[i]
        outs = {}
        for k, f in fns.items():
            t0 = time.perf_counter()
            outs[k] = f(t)
            times[k].append(time.perf_counter() - t0)
        truth.append(outs["linprog"])
        for k in ("cold", "store"):
            claim, ok = judge("auto", X, t, outs[k], outs["linprog"])
            bad += claim != outs["linprog"] or not ok
    non = [j for j, v in enumerate(truth) if v is False]
    med = {k: float(np.median(np.asarray(v)[non]) * 1e6) for k, v in times.items()}
    mean = {k: float(np.mean(np.asarray(v)[non]) * 1e6) for k, v in times.items()}
    st = cache.certificate_stats()
    return {
        "n": n,
        "m": m,
        "inputs": kind,
        "steps": len(truth),
        "nonsep": len(non),
        "median_us": med,
        "mean_us": mean,
        "cold_ratio": med["linprog"] / med["cold"],
        "walk_ratio": med["linprog"] / med["store"],
        "walk_mean_ratio": mean["linprog"] / mean["store"],
        "hit_rate": st["hits"] / max(1, st["hits"] + st["misses"]),
        "lookups": st["hits"] + st["misses"],
        "wrong": bad,
    }


def bench_searches(max_states):
    """``hill`` with and without the certificate store: same result, hits, wall time."""
    import hardtarget as ht

    rows = []
    for spec, hidden in SEARCHES:
        p = ht.load_problem(spec)
        runs = []
        for keep in (0, 64):
            cache = ht.UnitCache(certificates=keep)
            t0 = time.perf_counter()
            r = ht.solve(p, hidden, strategy="hill", seed=0, cache=cache, max_states=max_states)
            runs.append((r, time.perf_counter() - t0, cache.certificate_stats()))
        (a, ta, _), (b, tb, st) = runs
        same = a.loss == b.loss and all(
            np.array_equal(x, y) for x, y in zip(a.network.weights, b.network.weights)
        )
        rows.append(
            {
                "problem": spec,
                "hidden": list(hidden),
                "loss": a.loss,
                "off_s": ta,
                "on_s": tb,
                "hits": st["hits"],
                "misses": st["misses"],
                "same": bool(same),
            }
        )
    return rows


# ----------------------------------------------------------------------------- compile

_CHILD = r"""
import json, os, sys, time
t0 = time.perf_counter()
import numpy as np
import hardtarget
from hardtarget import solve_unit, solve_layer
from hardtarget.units import _kernels
t_import = time.perf_counter() - t0
X = np.array([[-1., -1.], [-1., 1.], [1., -1.], [1., 1.]])
calls = [("auto_sep", lambda: solve_unit(X, [-1, -1, -1, 1], solver="auto")),
         ("auto_nonsep", lambda: solve_unit(X, [-1, 1, 1, -1], solver="auto")),
         ("perceptron", lambda: solve_unit(X, [-1, -1, -1, 1], solver="perceptron")),
         ("batched", lambda: solve_layer(X, np.array([[-1, -1], [-1, 1], [-1, 1], [1, 1]]),
                                         solver="perceptron")),
         ("hinge", lambda: solve_unit(X, [-1, -1, -1, 1], solver="hinge"))]
first, warm = {}, {}
for name, f in calls:
    a = time.perf_counter(); f(); first[name] = time.perf_counter() - a
for name, f in calls:  # warm: median of 50 further calls
    ts = []
    for _ in range(50):
        a = time.perf_counter(); f(); ts.append(time.perf_counter() - a)
    warm[name] = sorted(ts)[len(ts) // 2]
stats = {}
for name in dir(_kernels):
    d = getattr(_kernels, name)
    if hasattr(d, "stats") and hasattr(d, "signatures") and d.signatures:
        stats[name] = dict(hits=sum(d.stats.cache_hits.values()),
                           misses=sum(d.stats.cache_misses.values()))
print(json.dumps(dict(import_s=t_import, first=first, warm=warm, stats=stats)))
"""


def bench_compile():
    """First calls in fresh processes: empty numba cache, then the cache the first one wrote."""
    with tempfile.TemporaryDirectory(prefix="ht_numba_cache_") as d:
        env = dict(os.environ, NUMBA_CACHE_DIR=d)
        runs = []
        for label in (
            "cold (empty cache)",
            "second process (cache written by the first)",
        ):
            p = subprocess.run(
                [sys.executable, "-c", _CHILD],
                env=env,
                capture_output=True,
                text=True,
                check=True,
            )
            r = json.loads(p.stdout.strip().splitlines()[-1])
            r["label"] = label
            runs.append(r)
        n_files = sum(len(f) for _, _, f in os.walk(d))
    return runs, n_files


# ----------------------------------------------------------------------------- main


def fmt_us(x):
    return f"{x:,.0f}" if x >= 100 else f"{x:.1f}"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="sizes up to (16, 256), fewer calls")
    ap.add_argument("--instances", type=int, default=5, help="instances per cell (default 5)")
    ap.add_argument(
        "--budget",
        type=float,
        default=0.12,
        help="seconds of timed calls per method and cell",
    )
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--units", type=int, default=256, help="units in the batched benchmark")
    ap.add_argument("--steps", type=int, default=60, help="columns per single-flip walk")
    ap.add_argument("--only-walks", action="store_true", help="only the single-flip sections")
    ap.add_argument("--no-compile", action="store_true", help="skip the compile/cache subprocesses")
    ap.add_argument(
        "--json", metavar="PATH", help="also write all figures as JSON ('-' for stdout)"
    )
    args = ap.parse_args(argv)

    sizes = QUICK_SIZES if args.quick else SIZES
    budget = args.budget / (3 if args.quick else 1)
    rng = np.random.default_rng(args.seed)
    wall0 = time.perf_counter()
    out = {
        "python": sys.version.split()[0],
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "seed": args.seed,
        "instances": args.instances,
        "argv": sys.argv[1:],
    }

    if not (args.no_compile or args.only_walks):
        runs, nfiles = bench_compile()
        out["compile"] = {"runs": runs, "cache_files": nfiles}
        print("## numba compile and cache\n")
        print(
            "| process | import s | first auto (sep) ms | first auto (non-sep) ms "
            "| first perceptron ms "
            "| first batched ms | first hinge ms | warm auto (sep) µs | cache hits / misses |"
        )
        print("|---|---|---|---|---|---|---|---|---|")
        for r in runs:
            f, w = r["first"], r["warm"]
            hits = sum(s["hits"] for s in r["stats"].values())
            miss = sum(s["misses"] for s in r["stats"].values())
            print(
                f"| {r['label']} | {r['import_s']:.2f} | {f['auto_sep'] * 1e3:.1f} "
                f"| {f['auto_nonsep'] * 1e3:.1f} "
                f"| {f['perceptron'] * 1e3:.1f} | {f['batched'] * 1e3:.1f} "
                f"| {f['hinge'] * 1e3:.1f} "
                f"| {w['auto_sep'] * 1e6:.0f} | {hits} / {miss} |"
            )
        print(f"\n{nfiles} files in the numba cache directory after both processes.\n")

    walks = run_walks(np.random.default_rng([args.seed, 13]), args, out)  # own stream
    if args.only_walks:
        return finish(args, out, wall0)
    fns = methods()
    cells = []
    print("## median µs per call (speed-up vs linprog in parentheses)\n")
    print(
        f"{args.instances} instances per cell, calls interleaved over instances and methods.  "
        "Verdict columns: exact methods agree/instances (wrong proofs flagged); "
        "heuristics separated/separable.\n"
    )
    hdr = (
        ["n", "m", "inputs", "labels", "linprog"]
        + [k for k in fns if k != "linprog"]
        + ["auto ok", "lp ok", "perc sep", "skP sep", "SVC sep"]
    )
    print("| " + " | ".join(hdr) + " |")
    print("|" + "---|" * len(hdr))
    for n, m in sizes:
        for kind in ("pm1", "gauss"):
            for labels in ("sep", "nonsep"):
                inst, tries = make_instances(rng, n, m, kind, labels, args.instances)
                cell_fns = dict(fns)
                med, ncalls, outs = time_cell(cell_fns, inst, budget, min_calls=3, max_calls=400)
                truth = [o for o in outs["linprog"]]
                verdict = {}
                for k in cell_fns:
                    agree = found = bad = 0
                    for (X, t), o, tr in zip(inst, outs[k], truth):
                        claim, ok = judge(k, X, t, o, tr)
                        bad += not ok
                        agree += claim == tr
                        found += claim is True and tr is True
                    verdict[k] = {"agree": agree, "found": found, "bad_proofs": bad}
                row = {
                    "n": n,
                    "m": m,
                    "inputs": kind,
                    "labels": labels,
                    "median_us": med,
                    "calls": ncalls,
                    "speedup": {k: med["linprog"] / med[k] for k in med},
                    "verdict": verdict,
                    "truth": [bool(x) if x is not None else None for x in truth],
                    "draws": tries,
                }
                cells.append(row)
                K = len(inst)
                nsep = sum(x is True for x in truth)

                def ex(k, verdict=verdict, K=K):
                    v = verdict[k]
                    s = f"{v['agree']}/{K}"
                    return s + (f" ({v['bad_proofs']} BAD)" if v["bad_proofs"] else "")

                def heur(k, verdict=verdict, nsep=nsep):
                    return f"{verdict[k]['found']}/{nsep}" if nsep else "-"

                vals = [
                    str(n),
                    str(m),
                    "±1" if kind == "pm1" else "gauss",
                    labels,
                    fmt_us(med["linprog"]),
                ]
                vals += [
                    f"{fmt_us(med[k])} ({med['linprog'] / med[k]:.1f}x)"
                    for k in fns
                    if k != "linprog"
                ]
                vals += [
                    ex("auto"),
                    ex("lp"),
                    heur("perceptron"),
                    heur("skl_perceptron"),
                    heur("linear_svc"),
                ]
                print("| " + " | ".join(vals) + " |", flush=True)
    out["cells"] = cells

    print(
        f"\n## batched perceptron: {args.units} planted units sharing one input matrix, "
        "CPU µs per unit\n"
    )
    print("| n | m | inputs | single calls | solve_layer | ratio | same results | converged |")
    print("|---|---|---|---|---|---|---|---|")
    bsizes = [s for s in sizes if s in TARGET_SIZES]
    brows = []
    for kind in ("pm1", "gauss"):
        for r in bench_batched(rng, bsizes, args.units, kind, budget * 3):
            brows.append(r)
            print(
                f"| {r['n']} | {r['m']} | {'±1' if kind == 'pm1' else 'gauss'} "
                f"| {fmt_us(r['single_us_per_unit'])} "
                f"| {fmt_us(r['batched_us_per_unit'])} | {r['ratio']:.1f}x | {r['identical']} "
                f"| {r['converged']}/{r['units']} |",
                flush=True,
            )
    out["batched"] = brows

    # targets from issue 2
    sep_r = [
        c["speedup"]["auto"]
        for c in cells
        if c["labels"] == "sep" and (c["n"], c["m"]) in TARGET_SIZES
    ]
    non_r = [
        c["speedup"]["auto"]
        for c in cells
        if c["labels"] == "nonsep" and (c["n"], c["m"]) in TARGET_SIZES
    ]
    wrong = sum(
        c["verdict"][k]["agree"] != len(c["truth"]) or c["verdict"][k]["bad_proofs"]
        for c in cells
        for k in EXACT
    )
    bat = [r["ratio"] for r in brows]
    big = [r["ratio"] for r in brows if (r["n"], r["m"]) == (16, 256)]
    targets = {
        "auto_sep_min_speedup": min(sep_r),
        "auto_nonsep_min_speedup": min(non_r),
        "exact_cells_wrong": wrong,
        "batched_min_ratio": min(bat) if bat else None,
        "batched_16_256_min_ratio": min(big) if big else None,
    }
    if walks:
        targets["walk_nonsep_min_speedup"] = min(w["walk_ratio"] for w in walks)
    out["targets"] = targets
    print("\n## targets (issue 2), sizes up to (16, 256)\n")
    print(
        f"- auto on separable: min speed-up {targets['auto_sep_min_speedup']:.1f}x "
        "(target >= 100x): "
        f"{'met' if targets['auto_sep_min_speedup'] >= 100 else 'MISSED'}"
    )
    print(
        f"- auto on non-separable: min speed-up {targets['auto_nonsep_min_speedup']:.1f}x "
        "(target >= 3x): "
        f"{'met' if targets['auto_nonsep_min_speedup'] >= 3 else 'MISSED'}"
    )
    print(
        f"- exact verdicts wrong (cells with a disagreement or a bad proof, auto and lp): {wrong}"
    )
    if big:  # issue 23's statement of the goal: at (16, 256)
        print(
            f"- batched perceptron at (16, 256): min ratio "
            f"{targets['batched_16_256_min_ratio']:.1f}x (target >= 2x): "
            f"{'met' if targets['batched_16_256_min_ratio'] >= 2 else 'MISSED'}"
        )
    if bat:  # issue 2's: 256 units sharing inputs, every size here
        print(
            f"- batched perceptron, every size up to (16, 256): min ratio "
            f"{targets['batched_min_ratio']:.1f}x (target >= 2x): "
            f"{'met' if targets['batched_min_ratio'] >= 2 else 'MISSED'}"
        )
    if walks:
        print(
            f"- non-separable verdicts along single-flip walks (issue 13): min speed-up "
            f"{targets['walk_nonsep_min_speedup']:.1f}x (target >= 10x): "
            f"{'met' if targets['walk_nonsep_min_speedup'] >= 10 else 'MISSED'}"
        )
    return finish(args, out, wall0)


def run_walks(rng, args, out) -> list:
    """The single-flip and search sections; their rows, also stored in ``out``."""
    sizes = QUICK_WALK_SIZES if args.quick else WALK_SIZES
    print("## single-flip walks from a non-separable unit: µs per non-separable verdict\n")
    print(
        f"{args.steps} columns per walk (distinct rows flipped, so no column repeats); "
        "median (mean) over the non-separable ones; speed-up = linprog / method.\n"
    )
    print(
        "| n | m | inputs | non-sep / columns | linprog | cold auto | store-backed auto "
        "| cold speed-up | walk speed-up | walk speed-up (means) | store hits | wrong |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    walks = []
    for n, m in sizes:
        for kind in ("pm1", "gauss"):
            w = bench_walk(rng, n, m, kind, args.steps)
            walks.append(w)
            md, mn = w["median_us"], w["mean_us"]
            print(
                f"| {n} | {m} | {'±1' if kind == 'pm1' else 'gauss'} "
                f"| {w['nonsep']}/{w['steps']} | "
                + " | ".join(
                    f"{fmt_us(md[k])} ({fmt_us(mn[k])})" for k in ("linprog", "cold", "store")
                )
                + f" | {w['cold_ratio']:.1f}x | {w['walk_ratio']:.1f}x "
                f"| {w['walk_mean_ratio']:.1f}x | {w['hit_rate']:.0%} of {w['lookups']} "
                f"| {w['wrong']} |",
                flush=True,
            )
    out["walks"] = walks
    states = 150 if args.quick else 400
    print(f"\n## hill searches ({states} states, seed 0) without and with the certificate store\n")
    print("| problem | hidden | loss | s without | s with | store hits / lookups | same result |")
    print("|---|---|---|---|---|---|---|")
    srows = bench_searches(states)
    for r in srows:
        print(
            f"| {r['problem']} | {tuple(r['hidden'])} | {r['loss']:g} | {r['off_s']:.2f} "
            f"| {r['on_s']:.2f} | {r['hits']} / {r['hits'] + r['misses']} | {r['same']} |",
            flush=True,
        )
    out["searches"] = srows
    print()
    return walks


def finish(args, out, wall0) -> int:
    out["wall_s"] = time.perf_counter() - wall0
    out["loadavg"] = os.getloadavg()
    print(f"\ntotal wall time {out['wall_s']:.0f} s, load average {out['loadavg'][0]:.2f}")
    if args.json:
        text = json.dumps(out, indent=1, default=float)
        if args.json == "-":
            print(text)
        else:
            with open(args.json, "w") as fh:
                fh.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
