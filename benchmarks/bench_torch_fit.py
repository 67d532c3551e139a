"""What ``fit`` costs over a hand-written training loop (CPU or CUDA), per epoch.

    python benchmarks/bench_torch_fit.py [--device cpu] [--reps 10] [--threads 1]

One epoch of the 4-layer convnet (fc width 64) on scikit-learn's digits (1437 images,
batch 64, Adam), interleaved, median of ``--reps``: a plain loop over the same batches
(``index_batches`` + ``batch``, forward, cross-entropy, backward, step),
``fit`` on the same in-memory images, ``fit`` on ``(X, y)`` arrays, and ``fit`` on a
``TensorDataset`` (samples collated one by one).  Ratios are against the plain loop.
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch
import torch.nn.functional as F
from torch.utils.data import TensorDataset

from hardtarget.torch import fit, make_model
from hardtarget.torch.data import index_batches, load_dataset


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    ap.add_argument("--reps", type=int, default=10)
    ap.add_argument("--threads", type=int, default=None)
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    dev = torch.device(args.device)
    data = load_dataset("digits").train
    X, y = data.batch(torch.arange(len(data)))
    sync = torch.cuda.synchronize if dev.type == "cuda" else (lambda: None)

    def model():
        torch.manual_seed(0)
        m = make_model(
            "convnet4", "sign", "soft_hinge", in_shape=(1, 8, 8), num_classes=10, width=64
        )
        return m.to(dev)

    def plain(m, opt):
        m.train()
        for idx in index_batches(len(data), 64, True, 0):
            xb, yb = data.batch(idx)
            xb, yb = xb.to(dev), yb.to(dev)
            opt.zero_grad(set_to_none=True)
            F.cross_entropy(m(xb), yb).backward()
            opt.step()

    def with_fit(source, deterministic=True):
        return lambda m, opt: fit(
            m,
            source,
            epochs=1,
            batch_size=64,
            optimizer=opt,
            device=dev,
            progress=False,
            deterministic=deterministic,
        )

    variants = {
        "plain loop": plain,
        "fit, image set": with_fit(data),
        "fit, image set, deterministic=False": with_fit(data, False),
        "fit, (X, y) arrays": with_fit((X, y)),
        "fit, TensorDataset": with_fit(TensorDataset(X, y)),
    }
    state = {k: (lambda m: (m, torch.optim.Adam(m.parameters(), 1e-3)))(model()) for k in variants}
    times: dict = {k: [] for k in variants}
    for rep in range(args.reps + 1):
        for k, fn in variants.items():
            sync()
            t0 = time.perf_counter()
            fn(*state[k])
            sync()
            if rep:  # the first round warms up
                times[k].append(time.perf_counter() - t0)
    base = statistics.median(times["plain loop"])
    print(
        f"one epoch, convnet4 (width 64), digits 1437 images, batch 64, {dev.type}, "
        f"{torch.get_num_threads()} threads, median of {args.reps} interleaved runs"
    )
    print("| variant | median ms | min ms | / plain |\n|---|---:|---:|---:|")
    for k, v in times.items():
        med = statistics.median(v)
        print(f"| {k} | {med * 1e3:.1f} | {min(v) * 1e3:.1f} | {med / base:.3f} |")


if __name__ == "__main__":
    main()
