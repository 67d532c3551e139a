"""Prediction throughput of the exported C (packed XNOR-popcount) against numba and numpy.

Plain script::

    .venv/bin/python benchmarks/bench_export.py            # markdown table on stdout
    .venv/bin/python benchmarks/bench_export.py --json out.json
    .venv/bin/python benchmarks/bench_export.py --n 20000 --repeats 3   # quicker

A 64-32-10 sign network with ±1 weights and integer biases (what a binary-weight
strategy or the torch bridge yields) predicts the class of 100,000 random ±1 inputs:

* ``float32 numpy`` (the baseline): ``sign(X @ W1 + b1) @ W2 + b2`` then ``argmax``,
  float32 matrix products through numpy's BLAS, with its default threads and with one
  thread; the faster of the two is the baseline;
* ``float64 numpy``: the same in float64;
* ``numba predict``: hardtarget's own ``Network`` forward pass (fixed summation order);
* ``onnxruntime``: the ONNX export (``inputs="sign"``: float64 ``MatMul`` on the integer
  weights, integer thresholds) in stock onnxruntime;
* ``C packed``: ``hardtarget export --inputs sign`` compiled with the system compiler
  (``-O3 -march=native``), called once per batch through ctypes on pre-packed rows
  (2 ``uint32`` words per row), and ``C from doubles``, which packs each row first.

Every path must give the same labels as ``Network``; speed-ups are against the float32
baseline, measured in the same process, best of ``--repeats`` runs.  The goal of
issue 11 is packed C >= 10x the float path.
"""

from __future__ import annotations

import argparse
import json
import platform
import tempfile
import time
from pathlib import Path

import numpy as np
from figures import load, write_figures

import hardtarget as ht
from hardtarget.export._model import output_index
from hardtarget.export.runtime import CModel, open_export, pack_signs


def make_network(rng) -> ht.Network:
    W1 = np.vstack([rng.choice([-1.0, 1.0], size=(64, 32)), 2 * rng.integers(-3, 4, size=(1, 32))])
    W2 = np.vstack([rng.choice([-1.0, 1.0], size=(32, 10)), rng.integers(-3, 4, size=(1, 10))])
    return ht.Network([W1, W2], ["sign", "sign"], np.arange(10))


def numpy_predict(W1, b1, W2, b2, X):
    Z = X @ W1
    Z += b1
    H = np.where(Z > 0, X.dtype.type(1), X.dtype.type(-1))
    Z = H @ W2
    Z += b2
    return np.argmax(Z, axis=1)


def one_blas_thread(fn):
    """``fn`` run with BLAS limited to one thread (faster than two on a busy 2-core machine)."""
    from threadpoolctl import threadpool_limits

    def run():
        with threadpool_limits(limits=1, user_api="blas"):
            return fn()

    return run


def best_time(fn, repeats: int) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(repeats):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=100_000, help="inputs to classify (default 100000)")
    ap.add_argument("--repeats", type=int, default=5, help="runs per path; the best counts")
    ap.add_argument("--json", help="also write the figures here")
    ap.add_argument(
        "--figures",
        metavar="PATH",
        help="also write the table for the docs' benchmarks page (e.g. "
        "benchmarks/results/export.json; see benchmarks/figures.py)",
    )
    args = ap.parse_args()
    load_at_start = load()

    rng = np.random.default_rng(0)
    net = make_network(rng)
    X64 = rng.choice([-1.0, 1.0], size=(args.n, 64))
    X32 = X64.astype(np.float32)
    bits = pack_signs(X64)
    want = output_index(net, X64)
    (W1, W2) = net.weights
    f32 = [a.astype(np.float32) for a in (W1[:-1], W1[-1], W2[:-1], W2[-1])]
    f64 = [W1[:-1], W1[-1], W2[:-1], W2[-1]]
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "bench.c"
        ht.export(net, src, inputs="sign")
        c = CModel(src, flags=("-O3", "-march=native"))
        ht.export(net, Path(tmp) / "bench.onnx", inputs="sign")
        onnx = open_export(Path(tmp) / "bench.onnx")
        paths = {
            "float32 numpy, default BLAS threads": lambda: numpy_predict(*f32, X32),
            "float32 numpy, 1 BLAS thread": one_blas_thread(lambda: numpy_predict(*f32, X32)),
            "float64 numpy": lambda: numpy_predict(*f64, X64),
            "numba predict": lambda: output_index(net, X64),
            "onnxruntime (integer MatMul export)": lambda: onnx.index(X64),
            "C packed": lambda: c.index_bits(bits),
            "C from doubles": lambda: c.index(X64),
        }
        output_index(net, X64[:10])  # numba compile or cache load outside the timing
        rows = {}
        for name, fn in paths.items():
            seconds, got = best_time(fn, args.repeats)
            rows[name] = {
                "seconds": seconds,
                "rows_per_s": args.n / seconds,
                "same_labels": bool(np.array_equal(np.asarray(got), want)),
            }
    base = min(rows[k]["seconds"] for k in rows if k.startswith("float32"))  # the faster one
    print(
        f"64-32-10 sign network, {args.n} random ±1 inputs, best of {args.repeats} "
        f"({platform.processor() or platform.machine()})\n"
    )
    print("| path | ms | M rows/s | speed-up vs float32 | same labels |")
    print("|---|---:|---:|---:|:---:|")
    for name, r in rows.items():
        r["speedup"] = base / r["seconds"]
        print(
            f"| {name} | {r['seconds'] * 1e3:.2f} | {r['rows_per_s'] / 1e6:.2f} | "
            f"{r['speedup']:.1f}x | {'yes' if r['same_labels'] else 'NO'} |"
        )
    goal = rows["C packed"]["speedup"] >= 10
    print(f"\ngoal (C packed >= 10x float32 numpy): {'met' if goal else 'NOT met'}")
    if args.json:
        Path(args.json).write_text(
            json.dumps({"n": args.n, "paths": rows, "goal_met": goal}, indent=1)
        )
    if args.figures:
        write_figures(
            args.figures,
            "Exported networks: classifying inputs",
            ["path", "ms", "M rows/s", "speed-up vs float32 numpy", "same labels"],
            [
                [
                    name,
                    f"{r['seconds'] * 1e3:.2f}",
                    f"{r['rows_per_s'] / 1e6:.2f}",
                    f"{r['speedup']:.1f}x",
                    "yes" if r["same_labels"] else "NO",
                ]
                for name, r in rows.items()
            ],
            intro=f"A 64-32-10 sign network with ±1 weights classifies {args.n} random ±1 "
            f"inputs; best of {args.repeats}, same process.",
            order=70,
            load_at_start=load_at_start,
        )


if __name__ == "__main__":
    main()
