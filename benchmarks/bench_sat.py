"""SAT/ILP feasibility encodings (issue 4): proofs, CP-SAT vs PySAT, few-shot digits.

1. ``parity``: time to prove parity:4 infeasible with 3 hidden units (and parity:5
   with 4, ``--full``) for every exact strategy and backend.
2. ``binary``: CP-SAT against PySAT cardinality encodings (Glucose 4) on planted and
   random single binary-weight neurons and small binary networks.
3. ``digits``: few-shot scikit-learn digits (k = 1..10 examples per class, pixels
   binarized at 8, one hidden layer of 16, one-vs-rest: ten binary networks, class =
   argmax of the output pre-activation over its weight norm), training accuracy, time
   and test accuracy on the remaining images, against a straight-through-estimator
   network of the same shape trained on the same examples.  ``max-margin units``
   trains each unit of the found targets with the LP/QP unit solver (``solver="lp"``)
   instead of the default ``auto``.

4. ``levers``: ``sat-lp`` on parity:4 width 3 and parity:5 widths 4 and 5 with each of
   its levers (``orbits``, ``point_symmetry``, ``separate``, ``summable``) turned off in
   turn, and all off (the first ``sat-lp``): status, time, rounds, cuts, and for the
   default the size of the DRAT proof (``proof=``).

Run: ``python benchmarks/bench_sat.py [--section parity|binary|digits|levers|all] [--full]``
(each section stays under about 10 minutes on a 2-core machine).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
import warnings

import numpy as np

import hardtarget as ht
from hardtarget.search import solve


def table(headers: list, rows: list) -> None:
    print("| " + " | ".join(headers) + " |")
    print("|" + "|".join("---" for _ in headers) + "|")
    for r in rows:
        print("| " + " | ".join(str(c) for c in r) + " |")
    print()


# -- 1. parity proofs --------------------------------------------------------------------------
PROVERS = [
    ("exhaustive", {"max_size": 1e70}),
    ("sat", {"objective": "feasibility"}),
    ("sat", {}),
    ("sat", {"backend": "pysat"}),
    ("sat-lp", {"objective": "feasibility"}),
    ("sat-lp", {}),
    ("sat-lp", {"backend": "cpsat", "objective": "feasibility"}),
]


def parity(full: bool, limit: float) -> None:
    solve(ht.load_problem("xor"), (2,), "sat-lp")  # warm-up (numba, HiGHS, solver imports)
    solve(ht.load_problem("xor"), (2,), "sat")
    cases = [("parity:4", 3)] + ([("parity:5", 4)] if full else [])
    for spec, width in cases:
        p = ht.load_problem(spec)
        rows = []
        for name, opts in PROVERS:
            t0 = time.perf_counter()
            r = solve(p, (width,), name, time_limit=limit, **opts)
            dt = time.perf_counter() - t0
            proof = r.info.get("proof", "real weights") if r.status == "infeasible" else "-"
            extra = r.info.get("rounds", "")
            rows.append([name, _opts(opts), r.status, proof, f"{dt:.2f}", extra])
        print(f"## {spec}, hidden width {width}: infeasibility proofs (time limit {limit:g} s)\n")
        table(["strategy", "options", "status", "proof covers", "time (s)", "sat-lp rounds"], rows)


LEVERS = [
    ("all levers (default)", {}),
    ("no orbits", {"orbits": False}),
    ("no summable", {"summable": False}),
    ("no separate", {"separate": False}),
    ("no point_symmetry", {"point_symmetry": False}),
    ("orbits only", {"summable": False, "separate": False, "point_symmetry": False}),
    ("point_symmetry only", {"summable": False, "separate": False, "orbits": False}),
    (
        "none (before)",
        {"summable": False, "separate": False, "point_symmetry": False, "orbits": False},
    ),
]


def levers(limit: float) -> None:
    solve(ht.load_problem("xor"), (2,), "sat-lp")  # warm-up
    cases = [
        ("parity:4", 3, "feasibility"),
        ("parity:5", 4, "feasibility"),
        ("parity:5", 4, "errors"),
        ("parity:5", 5, "feasibility"),
    ]
    with tempfile.TemporaryDirectory() as tmp:
        for spec, width, objective in cases:
            p = ht.load_problem(spec)
            rows = []
            for label, opts in LEVERS:
                if objective == "errors" and opts:  # the default only: the others are slow
                    continue
                proof = os.path.join(tmp, "proof.drat") if not opts and width < 5 else None
                t0 = time.perf_counter()
                r = solve(
                    p,
                    (width,),
                    "sat-lp",
                    objective=objective,
                    time_limit=limit,
                    proof=proof,
                    **opts,
                )
                dt = time.perf_counter() - t0
                size = "-"
                if r.info.get("proof_file"):
                    mb = os.path.getsize(proof) / 1e6
                    size = f"{r.info['proof_lines']:,} lines, {mb:.0f} MB"
                i = r.info
                rows.append(
                    [
                        label,
                        f"{r.status} (loss {r.loss:g})",
                        f"{dt:.2f}",
                        i["rounds"],
                        f"{i['cuts']:,}",
                        len(i["certificates"]),
                        i["symmetric_cuts"],
                        size,
                    ]
                )
            print(
                f"## sat-lp levers: {spec}, width {width}, objective {objective} "
                f"(time limit {limit:g} s)\n"
            )
            table(
                [
                    "levers",
                    "status",
                    "time (s)",
                    "rounds",
                    "clauses from cuts",
                    "certificates (LP + summable)",
                    "symmetric images",
                    "DRAT proof",
                ],
                rows,
            )


def _opts(opts: dict) -> str:
    return ", ".join(f"{k}={v}" for k, v in opts.items() if k != "max_size") or "defaults"


# -- 2. CP-SAT vs PySAT on binary weights ------------------------------------------------------
def planted_binary(
    n: int, hidden: tuple, m: int, seed: int, random_labels: bool = False
) -> ht.Problem:
    """±1 inputs, a planted ±1-weight network with zero biases (odd fan-ins: no ties)."""
    rng = np.random.default_rng(seed)
    X = rng.choice([-1.0, 1.0], size=(m, n))
    if random_labels:
        t = rng.choice([0, 1], size=m)
    else:
        H = X
        for w in (*hidden, 1):
            H = np.where(H @ rng.choice([-1.0, 1.0], size=(H.shape[1], w)) > 0, 1.0, -1.0)
        t = (H[:, 0] > 0).astype(int)
    if len(set(t)) < 2:
        t[0] = 1 - t[0]
    return ht.make_problem(
        X,
        t,
        name=f"binary {n}-{'-'.join(map(str, hidden)) + '-' if hidden else ''}1 m={m}"
        + (" random" if random_labels else ""),
    )


BINARY_CASES = [
    (15, (), 64, False),
    (31, (), 128, False),
    (63, (), 256, False),
    (15, (), 64, True),
    (31, (), 128, True),
    (9, (3,), 64, False),
    (13, (3,), 128, False),
    (9, (3,), 64, True),
]
BINARY_SOLVERS = [
    ("cpsat", {"weights": "binary", "objective": "feasibility"}),
    ("pysat seqcounter", {"backend": "pysat", "encoding": "seqcounter"}),
    ("pysat totalizer", {"backend": "pysat", "encoding": "totalizer"}),
    ("pysat cardnetwrk", {"backend": "pysat", "encoding": "cardnetwrk"}),
]


def binary(limit: float) -> None:
    solve(ht.load_problem("xor"), (2,), "sat", weights="binary")  # warm-up (imports)
    solve(ht.load_problem("xor"), (2,), "sat", backend="pysat")
    rows = []
    for n, hidden, m, rnd in BINARY_CASES:
        p = planted_binary(n, hidden, m, seed=0, random_labels=rnd)
        row = [p.name]
        for _label, opts in BINARY_SOLVERS:
            t0 = time.perf_counter()
            r = solve(p, hidden, "sat", time_limit=limit, **opts)
            dt = time.perf_counter() - t0
            verdict = {"optimal": "fit", "infeasible": "UNSAT"}.get(r.status, "timeout")
            row.append(f"{verdict} {dt:.2f}")
        rows.append(row)
    print(
        f"## Binary weights: CP-SAT vs PySAT (Glucose 4), wall seconds incl. encoding, "
        f"limit {limit:g} s\n"
    )
    table(["problem"] + [s for s, _ in BINARY_SOLVERS], rows)


# -- 3. few-shot digits --------------------------------------------------------------------------
def ste_network(X, t, hidden: int, seed: int, epochs: int = 400, lr: float = 0.02):
    """A sign-hidden-unit network trained with the straight-through estimator (hinge loss, Adam)."""
    rng = np.random.default_rng(seed)
    n = X.shape[1]
    P = [
        rng.normal(size=(n, hidden)) / np.sqrt(n),
        np.zeros(hidden),
        rng.normal(size=hidden) / np.sqrt(hidden),
        np.zeros(1),
    ]
    M = [np.zeros_like(q) for q in P]
    V = [np.zeros_like(q) for q in P]
    for step in range(1, epochs + 1):
        A = X @ P[0] + P[1]
        H = np.where(A > 0, 1.0, -1.0)
        z = H @ P[2] + P[3]
        g = np.where(t * z < 1, -t, 0.0) / len(t)  # d hinge / dz
        gH = np.outer(g, P[2]) * (np.abs(A) <= 1)  # straight-through (hardtanh) gradient
        G = [X.T @ gH, gH.sum(0), H.T @ g, np.array([g.sum()])]
        for q, gq, mq, vq in zip(P, G, M, V):
            mq *= 0.9
            mq += 0.1 * gq
            vq *= 0.999
            vq += 0.001 * gq * gq
            q -= lr * (mq / (1 - 0.9**step)) / (np.sqrt(vq / (1 - 0.999**step)) + 1e-8)
    return lambda Z: (
        (np.where(Z @ P[0] + P[1] > 0, 1.0, -1.0) @ P[2] + P[3]) / (np.linalg.norm(P[2]) + 1e-12)
    )


def _scores(net: ht.Network):
    w = net.weights[-1][:-1, 0]
    return lambda Z: net.decision_function(Z).reshape(-1) / (np.linalg.norm(w) + 1e-12)


def digits(ks: list, limit: float, seed: int = 0) -> None:
    from sklearn.datasets import load_digits

    d = load_digits()
    X = np.where(d.data >= 8, 1.0, -1.0)
    y = d.target
    solve(ht.load_problem("xor"), (2,), "sat-lp")  # warm-up
    methods = [
        ("sat-lp", {}),
        ("sat-lp", {"solver": "lp"}),
        ("sat", {"hint": "random"}),
        ("STE", None),
    ]
    rows = []
    for k in ks:
        rng = np.random.default_rng(seed + k)
        train = np.concatenate(
            [rng.choice(np.flatnonzero(y == c), k, replace=False) for c in range(10)]
        )
        test = np.setdiff1d(np.arange(len(y)), train)
        for name, opts in methods:
            t0 = time.perf_counter()
            scorers, fits, statuses = [], 0, []
            for c in range(10):
                t = np.where(y[train] == c, 1, -1)
                if opts is None:
                    f = ste_network(X[train], t.astype(float), 16, seed)
                else:
                    p = ht.make_problem(X[train], (t > 0).astype(int))
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        r = solve(p, (16,), name, time_limit=limit, seed=seed, **opts)
                    statuses.append(r.status)
                    f = (
                        _scores(r.network)
                        if r.network is not None
                        else (lambda Z: np.zeros(len(Z)))
                    )
                fits += int(np.all((f(X[train]) > 0) == (t > 0)))
                scorers.append(f)
            dt = time.perf_counter() - t0

            def acc(idx, scorers=scorers):
                scores = np.column_stack([f(X[idx]) for f in scorers])
                return float(np.mean(np.argmax(scores, 1) == y[idx]))

            label = (
                name
                + (" (cpsat, random hint)" if name == "sat" else "")
                + (", max-margin units" if opts and opts.get("solver") == "lp" else "")
            )
            done = sum(s in ("optimal", "infeasible") for s in statuses) if statuses else "-"
            rows.append(
                [k, label, f"{fits}/10", done, f"{acc(train):.3f}", f"{acc(test):.3f}", f"{dt:.1f}"]
            )
    print(f"## Few-shot digits, one-vs-rest, hidden 16 (limit {limit:g} s per class)\n")
    table(
        [
            "k/class",
            "method",
            "binary nets fitting train",
            "solved exactly",
            "train acc",
            "test acc",
            "time (s)",
        ],
        rows,
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--section", default="all", choices=["parity", "binary", "digits", "levers", "all"]
    )
    ap.add_argument("--full", action="store_true", help="also parity:5 with 4 hidden units")
    ap.add_argument(
        "--ks", default="1,2,3,4,5,6,7,8,9,10", help="examples per class for the digits section"
    )
    ap.add_argument(
        "--limit", type=float, default=None, help="seconds per solve (default 60/20/2 by section)"
    )
    a = ap.parse_args()
    if a.section in ("parity", "all"):
        parity(a.full, a.limit or 60.0)
    if a.section in ("binary", "all"):
        binary(a.limit or 20.0)
    if a.section in ("digits", "all"):
        digits([int(k) for k in a.ks.split(",")], a.limit or 2.0)
    if a.section == "levers":  # not in "all": up to 6 x the limit on parity:5
        levers(a.limit or 120.0)


if __name__ == "__main__":
    main()
