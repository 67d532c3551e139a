"""Accuracy protocol for FTPROP-MB that a CPU can run: digits as 8x8 images, convnet4.

    python benchmarks/bench_torch_accuracy.py [--seeds 5] [--epochs 15] [--jobs 2]

The 4-layer convnet (conv32-conv64-fc-fc, 5x5 "same" convs, 2x2 max-pools) adapted to
1x8x8 inputs, trained with Adam (lr 1e-3, weight decay 5e-4, decay x0.1 after 2/3 of
the epochs) on scikit-learn's digits (1437 train / 360 test images, fixed split).
Compares FTP-SH (soft hinge) against SSTE (saturated hinge) for sign and 2-bit qReLU
(qrelu3) activations, and ReLU / saturated ReLU baselines, over several seeds.
Prints the best and the final test top-1 (mean +- std over seeds).
"""

from __future__ import annotations

import argparse
import statistics
import time
from concurrent.futures import ProcessPoolExecutor

VARIANTS = [
    ("sign", "saturated_hinge", "sign SSTE"),
    ("sign", "soft_hinge", "sign FTP-SH"),
    ("qrelu3", "saturated_hinge", "qReLU3 SSTE"),
    ("qrelu3", "soft_hinge", "qReLU3 FTP-SH"),
    ("relu", None, "ReLU"),
    ("sat-relu", None, "saturated ReLU"),
]


def run_one(job: tuple) -> tuple:
    act, rule, seed, epochs, width = job
    import torch

    torch.set_num_threads(1)
    from hardtarget.torch.named_run import TrainConfig, train

    cfg = TrainConfig(
        model="convnet4",
        activation=act,
        rule=rule,
        dataset="digits",
        epochs=epochs,
        lr=1e-3,
        weight_decay=5e-4,
        milestones=[max(1, (2 * epochs) // 3)],
        batch_size=64,
        seed=seed,
        model_options={"width": width},
        progress=False,
    )
    t0 = time.perf_counter()
    res = train(cfg)
    tops = [r["test_top1"] for r in res.history]
    return act, rule, seed, max(tops), tops[-1], time.perf_counter() - t0


def _sd(v: list) -> float:
    return statistics.stdev(v) if len(v) > 1 else 0.0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--epochs", type=int, default=15)
    ap.add_argument("--width", type=int, default=1024, help="units of the hidden fc layer")
    ap.add_argument("--jobs", type=int, default=2, help="parallel processes (1 torch thread each)")
    args = ap.parse_args()
    jobs = [(a, r, s, args.epochs, args.width) for a, r, _ in VARIANTS for s in range(args.seeds)]
    t0 = time.perf_counter()
    with ProcessPoolExecutor(args.jobs) as ex:
        results = list(ex.map(run_one, jobs))
    print(
        f"digits 8x8, convnet4 (fc width {args.width}), {args.epochs} epochs, "
        f"seeds 0..{args.seeds - 1}, "
        f"{time.perf_counter() - t0:.0f} s wall"
    )
    print(f"{'activation / rule':18s} {'best test top-1':>18s} {'final test top-1':>18s}")
    for a, r, label in VARIANTS:
        rows = [x for x in results if x[0] == a and x[1] == r]
        best = [x[3] for x in rows]
        last = [x[4] for x in rows]
        print(
            f"{label:18s} {statistics.mean(best):9.2f} +- {_sd(best):5.2f} "
            f"{statistics.mean(last):9.2f} +- {_sd(last):5.2f}"
        )


if __name__ == "__main__":
    main()
