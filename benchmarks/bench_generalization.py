"""Generalization of exact hard-threshold nets against scikit-learn and torch baselines.

    python benchmarks/bench_generalization.py [--quick] [--draws 5] [--ks 1,2,5,10,20,40]
        [--out bench_generalization.json] [--tabular]

Tasks: scikit-learn digits (``X / 16``) split 75/25 (``train_test_split(test_size=0.25,
random_state=0, stratify=y)``), and few-shot digits: ``k`` images per class drawn at
random (draw ``d`` of ``k`` uses ``numpy.random.default_rng(1000 * k + d)``), tested on
all the remaining images.  Methods, all in the same process on the same splits:

* ``default``: ``HardThresholdClassifier()`` (one-vs-one exact members, auto width,
  max-margin units); ``ovr``: ``multiclass="ovr"``; ``errors``/``margin``/``sparsity``:
  ``objective=...``; ``repair`` (``--repair``): ``strategy="repair"``;
* scikit-learn ``Perceptron``, ``LogisticRegression``, ``MLPClassifier`` with one hidden
  layer as wide as the default net's first layer (``MLP(w)``) and of width 16 (the
  issue's ``MLP(16)``);
* torch ``STE`` (sign units, saturated-hinge straight-through) and ``FTP-SH`` (sign
  units, soft-hinge FTPROP-MB) MLPs of the default net's first-layer width.

Columns: train and test accuracy (mean ± std over draws), exact (share of draws whose
train accuracy is 1.000; for hardtarget re-verified on the final network by an
independent forward pass), fit seconds and its ratio to LogisticRegression's in the same
run, nonzero weights (biases excluded) and weight bits (hardtarget: from
:func:`hardtarget.summary`; the others store float64/float32).  Writes JSON and prints
a markdown table per task.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
import warnings

import numpy as np

KS = (1, 2, 5, 10, 20, 40)
OBJECTIVES = ("errors", "margin", "sparsity")


def _digits():
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    return X / 16.0, y


def _splits(X, y, ks, draws):
    from sklearn.model_selection import train_test_split

    tr, te = train_test_split(np.arange(len(y)), test_size=0.25, random_state=0, stratify=y)
    yield "digits 75/25", 0, tr, te
    for k in ks:
        for d in range(draws):
            rng = np.random.default_rng(1000 * k + d)
            tr = np.concatenate(
                [rng.choice(np.flatnonzero(y == c), k, replace=False) for c in range(10)]
            )
            yield f"few-shot k={k}", d, tr, np.setdiff1d(np.arange(len(y)), tr)


def _objectives(wanted: list[str]) -> list[str]:
    from hardtarget.search.evaluate import OBJECTIVES as built

    return [o for o in wanted if o in built]


def _ours(name: str, seed: int, time_limit: float):
    import hardtarget as ht

    kw = dict(random_state=seed, time_limit=time_limit)
    if name == "ovr":
        kw["multiclass"] = "ovr"
    elif name == "repair":
        kw["strategy"] = "repair"
    elif name != "default":
        kw["objective"] = name
    return ht.HardThresholdClassifier(**kw)


def _plain_accuracy(net, X, y, classes) -> float:
    """Accuracy of ``net`` by a forward pass in plain numpy (no numba kernels)."""
    H = X
    for d, W in enumerate(net.weights):
        Z = H @ W[:-1] + W[-1]
        lo = 0.0 if net.activations[d].kind == "step" else -1.0
        H = np.where(Z > 0, 1.0, lo)
    pred = classes[np.argmax(Z, axis=1)] if Z.shape[1] > 1 else classes[(Z[:, 0] > 0).astype(int)]
    return float(np.mean(pred == y))


def _run_ours(name, seed, Xtr, ytr, Xte, yte, time_limit) -> dict:
    import hardtarget as ht

    clf = _ours(name, seed, time_limit)
    t0 = time.perf_counter()
    clf.fit(Xtr, ytr)
    fit_s = time.perf_counter() - t0
    net = clf.network_
    train = _plain_accuracy(net, Xtr, ytr, clf.classes_)
    rows = ht.summary(net).rows
    return {
        "train": train,
        "test": float(clf.score(Xte, yte)),
        "exact": bool(clf.exact_ and train == 1.0),
        "fit_s": fit_s,
        "nonzero": int(sum(np.count_nonzero(W[:-1]) for W in net.weights)),
        "weight_bits": max(r["weight_bits"] for r in rows),
        "width": net.widths[0],
    }


def _sk(model, Xtr, ytr, Xte, yte) -> dict:
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(Xtr, ytr)
    fit_s = time.perf_counter() - t0
    coefs = _coefs(model) if hasattr(model, "coef_") or hasattr(model, "coefs_") else []
    train = float(model.score(Xtr, ytr))
    return {
        "train": train,
        "test": float(model.score(Xte, yte)),
        "exact": train == 1.0,
        "fit_s": fit_s,
        "nonzero": int(sum(np.count_nonzero(c) for c in coefs)),
        "weight_bits": 64,
    }


def _torch(rule, width, seed, Xtr, ytr, Xte, yte, epochs) -> dict:
    import torch

    from hardtarget.torch import MLP, fit

    torch.set_num_threads(1)
    torch.manual_seed(seed)
    classes, yi = np.unique(ytr, return_inverse=True)
    model = MLP([Xtr.shape[1], width, len(classes)], activation="sign", rule=rule)
    t0 = time.perf_counter()
    fit(
        model,
        (Xtr.astype(np.float32), yi),
        epochs=epochs,
        batch_size=min(64, len(yi)),
        lr=1e-2,
        seed=seed,
        progress=False,
    )
    fit_s = time.perf_counter() - t0
    model.eval()
    with torch.no_grad():

        def acc(X, y):
            out = model(torch.as_tensor(X, dtype=torch.float32)).argmax(1).numpy()
            return float(np.mean(classes[out] == y))

        train = acc(Xtr, ytr)
        test = acc(Xte, yte)
    nz = sum(int(torch.count_nonzero(p)) for n, p in model.named_parameters() if "weight" in n)
    return {
        "train": train,
        "test": test,
        "exact": train == 1.0,
        "fit_s": fit_s,
        "nonzero": nz,
        "weight_bits": 32,
    }


def run_tabular(args) -> dict:
    """iris, wine, breast_cancer and digits (X / 16), 75/25 stratified (random_state=0): the
    default estimator on raw inputs against scikit-learn baselines in a StandardScaler
    pipeline (as their docs advise)."""
    from sklearn import datasets
    from sklearn.linear_model import LogisticRegression, Perceptron
    from sklearn.model_selection import train_test_split
    from sklearn.neural_network import MLPClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    records = []
    for name in ("iris", "wine", "breast_cancer", "digits"):
        X, y = getattr(datasets, f"load_{name}")(return_X_y=True)
        X = X / 16.0 if name == "digits" else X
        Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.25, random_state=0, stratify=y)
        res = {"default": _run_ours("default", 0, Xtr, ytr, Xte, yte, args.time_limit)}
        for label, model in (
            ("Perceptron", Perceptron(random_state=0)),
            ("LogisticRegression", LogisticRegression(max_iter=5000)),
            ("MLPClassifier", MLPClassifier(max_iter=2000, random_state=0)),
        ):
            pipe = make_pipeline(StandardScaler(), model)
            r = _sk(pipe, Xtr, ytr, Xte, yte)
            r["nonzero"] = int(sum(np.count_nonzero(c) for c in _coefs(model)))
            res[label] = r
        base = res["LogisticRegression"]["fit_s"]
        for method, r in res.items():
            r["fit_ratio"] = r["fit_s"] / base if base > 0 else float("nan")
            records.append({"task": name, "draw": 0, "method": method, **r})
        print(f"{name}: " + ", ".join(f"{n} {r['test']:.3f}" for n, r in res.items()), flush=True)
    return {"args": vars(args), "load": os.getloadavg(), "records": records}


def _coefs(model) -> list:
    return getattr(model, "coefs_", None) or [model.coef_]


def _save(data: dict, path: str) -> None:
    tmp = path + ".tmp"
    with open(tmp, "w") as fh:
        json.dump(data, fh, indent=1)
    os.replace(tmp, path)


def run(args) -> dict:

    X, y = _digits()
    data = {"args": vars(args), "load": os.getloadavg(), "records": [], "complete": False}
    records = data["records"]
    try:
        _run_splits(args, X, y, records, lambda: _save(data, args.out))
        data["complete"] = True
    except KeyboardInterrupt:  # Ctrl-C: the splits done so far are kept and tabulated
        print("interrupted: tabulating the splits done so far", flush=True)
    data["load"] = os.getloadavg()
    return data


def _run_splits(args, X, y, records, save) -> None:
    from sklearn.linear_model import LogisticRegression, Perceptron
    from sklearn.neural_network import MLPClassifier

    ours = ["default", "ovr", *_objectives(args.objectives), *(["repair"] if args.repair else [])]
    for task, draw, tr, te in _splits(X, y, args.ks, args.draws):
        Xtr, ytr, Xte, yte = X[tr], y[tr], X[te], y[te]
        res = {}
        for name in ours:
            res[name] = _run_ours(name, draw, Xtr, ytr, Xte, yte, args.time_limit)
        w = res["default"]["width"]
        res["Perceptron"] = _sk(Perceptron(random_state=draw), Xtr, ytr, Xte, yte)
        res["LogisticRegression"] = _sk(LogisticRegression(max_iter=5000), Xtr, ytr, Xte, yte)
        res[f"MLP(w={w})"] = _sk(
            MLPClassifier((w,), max_iter=2000, random_state=draw), Xtr, ytr, Xte, yte
        )
        res["MLP(16)"] = _sk(
            MLPClassifier((16,), max_iter=2000, random_state=draw), Xtr, ytr, Xte, yte
        )
        if not args.no_torch:
            for label, rule in (("STE", "saturated_hinge"), ("FTP-SH", "soft_hinge")):
                res[f"{label}(w={w})"] = _torch(rule, w, draw, Xtr, ytr, Xte, yte, args.epochs)
        base = res["LogisticRegression"]["fit_s"]
        for name, r in res.items():
            r["fit_ratio"] = r["fit_s"] / base if base > 0 else float("nan")
            records.append({"task": task, "draw": draw, "method": name, **r})
        print(
            f"{task} draw {draw}: "
            + ", ".join(f"{n} {r['test']:.3f}" for n, r in res.items() if not n.startswith("MLP(w"))
            + f" ({time.strftime('%H:%M:%S')})",
            flush=True,
        )
        save()


def _ms(v: list) -> str:
    return f"{statistics.mean(v):.3f} ± {statistics.stdev(v) if len(v) > 1 else 0.0:.3f}"


def table(data: dict) -> str:
    recs = data["records"]
    out = []
    for task in dict.fromkeys(r["task"] for r in recs):
        rows = [r for r in recs if r["task"] == task]
        n = len({r["draw"] for r in rows})
        out.append(f"\n**{task}** ({n} draw{'s' if n > 1 else ''})\n")
        out.append("| method | train | test | exact | fit s | fit / LogReg | nonzero w | w bits |")
        out.append("|---|---|---|---|---|---|---|---|")
        for m in dict.fromkeys(r["method"] for r in rows):
            rs = [r for r in rows if r["method"] == m]
            label = m if not m.startswith(("MLP(w", "STE(w", "FTP-SH(w")) else m.replace("w=", "")
            out.append(
                f"| {label} | {_ms([r['train'] for r in rs])} | {_ms([r['test'] for r in rs])} | "
                f"{sum(r['exact'] for r in rs)}/{len(rs)} | "
                f"{statistics.mean(r['fit_s'] for r in rs):.2f} | "
                f"{statistics.mean(r['fit_ratio'] for r in rs):.0f}x | "
                f"{statistics.mean(r['nonzero'] for r in rs):.0f} | "
                f"{max(r['weight_bits'] for r in rs)} |"
            )
    return "\n".join(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="k = 1, 5, 10 and 3 draws")
    ap.add_argument("--draws", type=int, default=5)
    ap.add_argument("--ks", default=",".join(map(str, KS)))
    ap.add_argument("--time-limit", type=float, default=30.0, help="per hardtarget fit (s)")
    ap.add_argument("--epochs", type=int, default=100, help="torch epochs")
    ap.add_argument("--no-torch", action="store_true")
    ap.add_argument("--repair", action="store_true", help='also strategy="repair" (auto width)')
    ap.add_argument(
        "--objectives",
        default=",".join(OBJECTIVES),
        help="objectives to run (those this build has), comma-separated",
    )
    ap.add_argument(
        "--tabular", action="store_true", help="only iris, wine, breast_cancer, digits 75/25"
    )
    ap.add_argument("--out", default="bench_generalization.json")
    args = ap.parse_args()
    args.ks = [int(k) for k in str(args.ks).split(",") if k]
    args.objectives = [o for o in args.objectives.split(",") if o]
    if args.quick:
        args.ks, args.draws = [1, 5, 10], 3
    t0 = time.perf_counter()
    data = run_tabular(args) if args.tabular else run(args)
    data["wall_s"] = time.perf_counter() - t0
    _save(data, args.out)
    print(table(data))
    print(f"\nwall {data['wall_s']:.0f} s, load average at the end {data['load']}")


if __name__ == "__main__":
    main()
