"""FTPROP-MB against the two other ways to train sign-activated nets, on a protocol a CPU can run.

    python benchmarks/bench_baselines.py [--seeds 5] [--hidden 100,100] [--epochs 30] [--jobs 2]

Data: scikit-learn's digits (8x8, pixels scaled to [0, 1]; every 5th image is a test
image: 1437 train / 360 test).  Model: the MLP 64-H-H-10, Adam (lr 1e-3), batch 64,
the same number of epochs ``E`` for every method, pre-training included:

- FTP-SH / SSTE: sign activations, real weights, FTPROP-MB (soft / saturated hinge), E epochs.
- CB: continuous binarization (Sakr et al.; batch norm before each clipping activation,
  folded into the final sign net), E/2 epochs of the clipping net, then
  E/6 per stage (two slopes, then the output layer); slope lr 1e-2, L2 lambda 1.
- WD ternary / quinary: discrete weight distributions with sign activations (Roth et
  al.): E/2 epochs of the real tanh net, E/6 with discrete weights and tanh, E/3 with
  sign; logits lr 1e-2.
- ReLU and tanh: full-precision baselines, E epochs (tanh is WD's starting net).

Reported: test top-1 of the final network (mean +- std over seeds; no epoch selection
on the test set), training seconds per run (one torch thread per process; the machine
may be shared, so compare within one run) and model size in bits (32 per real weight,
bias or threshold; ceil(log2 D) per discrete weight).
"""

from __future__ import annotations

import argparse
import math
import statistics
import time
from concurrent.futures import ProcessPoolExecutor

METHODS = ["FTP-SH", "SSTE", "CB", "WD ternary", "WD quinary", "ReLU", "tanh"]
KIND = {
    "FTP-SH": ("real", "sign"),
    "SSTE": ("real", "sign"),
    "CB": ("real", "sign"),
    "WD ternary": ("{-1,0,1}", "sign"),
    "WD quinary": ("{-1,-.5,0,.5,1}", "sign"),
    "ReLU": ("real", "relu"),
    "tanh": ("real", "tanh"),
}


def _digits():
    import numpy as np
    from sklearn.datasets import load_digits

    d = load_digits()
    X = (d.images / 16.0).astype(np.float32)[:, None]
    y = d.target.astype(np.int64)
    test = np.arange(len(y)) % 5 == 0
    return (X[~test], y[~test]), (X[test], y[test])


def _bits_real(module) -> int:
    import torch

    return 32 * sum(
        m.weight.numel() + m.bias.numel()
        for m in module.modules()
        if isinstance(m, torch.nn.Linear)
    )


def run_one(job: tuple) -> tuple:
    method, seed, epochs, hidden = job
    import torch

    torch.set_num_threads(1)
    from hardtarget.torch import fit, make_model
    from hardtarget.torch.baselines import CBNet, RealNet, arch_spec, train_cb, train_weight_dist

    train, test = _digits()
    spec = arch_spec("mlp", hidden=hidden)
    kw = {"test": test, "batch_size": 64, "seed": seed, "progress": False}
    half, sixth = epochs // 2, max(1, epochs // 6)
    torch.manual_seed(seed)
    t0 = time.perf_counter()
    if method in ("FTP-SH", "SSTE", "ReLU"):
        act, rule = {
            "FTP-SH": ("sign", "soft-hinge"),
            "SSTE": ("sign", "saturated-hinge"),
            "ReLU": ("relu", None),
        }[method]
        model = make_model("mlp", act, rule, in_shape=(1, 8, 8), num_classes=10, hidden=hidden)
        res = fit(model, train, epochs=epochs, lr=1e-3, **kw)
        acc, bits = res.history[-1]["test_top1"], _bits_real(model)
    elif method == "tanh":
        model = RealNet(spec, (1, 8, 8), 10)
        res = fit(model, train, epochs=epochs, lr=1e-3, **kw)
        acc = res.history[-1]["test_top1"]
        bits = 32 * (sum(p.numel() for p in model.parameters()))
    elif method == "CB":
        model = CBNet(spec, (1, 8, 8), 10)
        res = train_cb(
            model, train, pretrain_epochs=half, stage_epochs=sixth, lr=1e-3, slope_lr=1e-2, **kw
        )
        acc, bits = res.history[-1]["test_top1"], _bits_real(res.network)
    else:
        weights = method.split()[1]
        res = train_weight_dist(
            RealNet(spec, (1, 8, 8), 10),
            train,
            weights=weights,
            real_epochs=half,
            tanh_epochs=sixth,
            sign_epochs=epochs - half - sixth,
            **kw,
        )
        acc = res.history[-1]["test_top1"]
        per = math.ceil(math.log2(3 if weights == "ternary" else 5))
        n_w = sum(res.model.int_weight(i).numel() for i in range(len(res.model.layout)))
        n_units = sum(
            b[2] for b in res.model.layout
        )  # a threshold per hidden unit, a bias per output
        bits = per * n_w + 32 * n_units
    return method, seed, acc, time.perf_counter() - t0, bits


def _warm() -> None:
    """Pay every method's first-call costs (lazy imports, kernel set-up) before timing."""
    for m in METHODS:
        run_one((m, 0, 6, (8,)))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--hidden", default="100,100", help="hidden layer widths, comma-separated")
    ap.add_argument(
        "--jobs", type=int, default=2, help="parallel processes (one torch thread each)"
    )
    args = ap.parse_args()
    hidden = tuple(int(h) for h in args.hidden.split(","))
    jobs = [(m, s, args.epochs, hidden) for s in range(args.seeds) for m in METHODS]
    t0 = time.perf_counter()
    with ProcessPoolExecutor(args.jobs, initializer=_warm) as ex:
        results = list(ex.map(run_one, jobs))
    print(
        f"digits 8x8, MLP 64-{'-'.join(map(str, hidden))}-10, {args.epochs} epochs per method, "
        f"seeds 0..{args.seeds - 1}, {time.perf_counter() - t0:.0f} s wall"
    )
    base = statistics.mean(r[3] for r in results if r[0] == "FTP-SH")
    print(
        "| method | weights | activations | test top-1 % | train s | time / FTP-SH | size (bits) |"
    )
    print("|---|---|---|---|---:|---:|---:|")
    for m in METHODS:
        rows = [r for r in results if r[0] == m]
        acc = [r[2] for r in rows]
        sd = statistics.stdev(acc) if len(acc) > 1 else 0.0
        secs = statistics.mean(r[3] for r in rows)
        print(
            f"| {m} | {KIND[m][0]} | {KIND[m][1]} | {statistics.mean(acc):.2f} +- {sd:.2f} | "
            f"{secs:.1f} | {secs / base:.2f} | {rows[0][4]:,} |"
        )


if __name__ == "__main__":
    main()
