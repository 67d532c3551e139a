"""Test accuracy of the search objectives: ``errors`` (baseline) vs ``margin`` vs ``sparsity``.

Same strategy, same seeds, same splits; only ``objective=`` changes.  Data:

* ``digits:3-8`` (the built-in problem: pixels binarized to ±1), 75/25 stratified split;
* few-shot scikit-learn digits (``X / 16``), ``k`` images per class drawn at random, tested
  on all the remaining images: 3 vs 8 (one output unit) and all 10 classes (one-vs-rest).

Every fit is re-verified (``ht.verify_targets`` of its saved targets) before it is scored.

    python benchmarks/bench_objectives.py [--quick] [--strategy ftprop] [--hidden 16]
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

import hardtarget as ht

OBJECTIVES = ("errors", "margin", "sparsity")


def _digits_38():
    p = ht.load_problem("digits:3-8")
    from sklearn.model_selection import train_test_split

    y = (p.t > 0).astype(int)
    return train_test_split(p.X, y, test_size=0.25, random_state=0, stratify=y)


def _few_shot(k: int, draw: int, classes):
    from sklearn.datasets import load_digits

    d = load_digits()
    X, y = d.data / 16.0, d.target
    keep = np.isin(y, classes)
    X, y = X[keep], y[keep]
    rng = np.random.default_rng(draw)
    train = np.concatenate([rng.choice(np.flatnonzero(y == c), k, replace=False) for c in classes])
    test = np.setdiff1d(np.arange(len(y)), train)
    return X[train], X[test], y[train], y[test]


def _fit(Xtr, ytr, hidden, strategy, objective, seed, time_limit, options):
    multi = "ovr" if len(np.unique(ytr)) > 2 else None
    p = ht.make_problem(Xtr, ytr, multiclass=multi)
    t0 = time.perf_counter()
    r = ht.solve(
        p,
        hidden,
        strategy,
        objective=objective,
        seed=seed,
        time_limit=time_limit,
        progress=False,
        **options,
    )
    wall = time.perf_counter() - t0
    if r.train_accuracy == 1.0:  # the exact fit re-verifies from its saved targets
        rep = ht.verify_targets(
            p, r.targets, objective=None if objective == "errors" else objective
        )
        assert rep.feasible and rep.reproduces_targets and rep.train_accuracy == 1.0
    return r, wall


def run(cases, hidden, strategy, seeds, time_limit, options):
    print(f"strategy {strategy}, hidden {hidden}, seeds {list(seeds)}, time limit {time_limit} s")
    print("load:", os.getloadavg())
    print()
    print(
        "| data | objective | train acc | test acc (mean ± std) | fit s | min norm. margin "
        "| nonzero weights |"
    )
    print("|---|---|---|---|---|---|---|")
    for name, splits in cases:
        for obj in OBJECTIVES:
            tr, te, wall, mg, nz = [], [], [], [], []
            for Xtr, Xte, ytr, yte in splits:
                for seed in seeds:
                    r, w = _fit(Xtr, ytr, hidden, strategy, obj, seed, time_limit, options)
                    tr.append(r.train_accuracy)
                    te.append(float(np.mean(r.network.predict_labels(Xte) == yte)))
                    wall.append(w)
                    if r.train_accuracy == 1.0:  # measured the same way for every objective
                        units = _units_of(r.network, Xtr)
                        mg.append(min(u[0] for u in units))
                        nz.append(sum(u[1] for u in units))
            print(
                f"| {name} | {obj} | {np.mean(tr):.3f} | {np.mean(te):.3f} ± {np.std(te):.3f} "
                f"| {np.mean(wall):.1f} | {np.mean(mg) if mg else float('nan'):.3f} "
                f"| {np.mean(nz) if nz else float('nan'):.0f} |",
                flush=True,
            )


def _units_of(net, X):
    """(normalized margin, nonzero weights) of every unit of ``net`` on its own activations."""
    from hardtarget.units import normalized_margin

    out, A = [], X
    Zs = net.preactivations(X)
    for W, Z in zip(net.weights, Zs):
        T = np.where(Z > 0, 1, -1)
        for j in range(W.shape[1]):
            out.append((normalized_margin(A, T[:, j], W[:, j]), int(np.count_nonzero(W[:-1, j]))))
        A = T.astype(float)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--strategy", default="ftprop")
    ap.add_argument("--hidden", type=int, default=16)
    ap.add_argument("--time-limit", type=float, default=20.0)
    ap.add_argument("--seeds", type=int, default=2)
    ap.add_argument("--draws", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="one draw, one seed, k = 5 only")
    ap.add_argument("--only", default="", help="comma-separated case names to run")
    args = ap.parse_args()
    draws = 1 if args.quick else args.draws
    seeds = range(1 if args.quick else args.seeds)
    cases = [("digits:3-8 75/25", [_digits_38()])]
    for k in (5,) if args.quick else (5, 10):
        cases.append((f"3-vs-8 k={k}", [_few_shot(k, d, (3, 8)) for d in range(draws)]))
        cases.append((f"10-class k={k}", [_few_shot(k, d, tuple(range(10))) for d in range(draws)]))
    if args.only:
        want = set(args.only.split(","))
        cases = [c for c in cases if c[0] in want]
    run(cases, (args.hidden,), args.strategy, seeds, args.time_limit, {})


if __name__ == "__main__":
    main()
