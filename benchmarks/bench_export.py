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

Two more tables follow (skip them with ``--only packed``):

* **per instruction set**: the CPU's features (popcount, AVX2, AVX-512 VPOPCNTDQ), then
  the packed C compiled by gcc and clang (when installed) for ``-march=x86-64``
  (generic), ``-march=x86-64-v3`` (AVX2) and ``-march=native``, each against the same
  float32 baseline;
* **float ONNX**: a 784-64-10 network with real weights (``--float-rows`` random real
  rows): the node count of its ONNX export, onnxruntime (one thread) against float32
  and float64 numpy (one BLAS thread), and that the labels and float64 outputs equal
  the Network's.
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
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


def cpu_features() -> str:
    """The instruction sets the packed C can use, from /proc/cpuinfo (Linux)."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return "unknown (no /proc/cpuinfo)"
    flags = set(
        next((ln.split(":")[1].split() for ln in text.splitlines() if ln.startswith("flags")), [])
    )
    names = {
        "popcnt": "POPCNT",
        "avx2": "AVX2",
        "avx512f": "AVX-512F",
        "avx512_vpopcntdq": "AVX-512 VPOPCNTDQ",
    }
    have = [v for k, v in names.items() if k in flags]
    return ", ".join(have) or "none of " + ", ".join(names.values())


def isa_table(net, bits, want, base: float, repeats: int) -> dict:
    """Packed C per compiler and -march, speed-up against the float32 baseline."""
    rows = {}
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "isa.c"
        ht.export(net, src, inputs="sign")
        for cc in ("gcc", "clang"):
            if shutil.which(cc) is None:
                continue
            for march in ("x86-64", "x86-64-v3", "native"):
                c = CModel(src, flags=("-O3", f"-march={march}"), cc=cc)
                seconds, got = best_time(lambda c=c: c.index_bits(bits), repeats)
                rows[f"{cc} -O3 -march={march}"] = {
                    "seconds": seconds,
                    "speedup": base / seconds,
                    "same_labels": bool(np.array_equal(got, want)),
                }
    return rows


def float_onnx_table(n_rows: int, repeats: int) -> dict:
    """A 784-64-10 real-weight network: ONNX nodes and onnxruntime against numpy; the
    same network with its weights rounded to float32 (as torch trains them) too."""
    import onnx
    import onnxruntime as ort
    from threadpoolctl import threadpool_limits

    rng = np.random.default_rng(1)
    W1 = np.vstack([rng.normal(size=(784, 64)) / 28, rng.normal(size=(1, 64))])
    W2 = np.vstack([rng.normal(size=(64, 10)), rng.normal(size=(1, 10))])
    net = ht.Network([W1, W2], ["sign", "sign"])
    net32 = ht.Network([W.astype(np.float32).astype(np.float64) for W in (W1, W2)], ["sign"] * 2)
    X = rng.normal(size=(n_rows, 784))
    X32 = X.astype(np.float32)
    want = output_index(net, X)
    f32 = [a.astype(np.float32) for a in (W1[:-1], W1[-1], W2[:-1], W2[-1])]
    f64 = [W1[:-1], W1[-1], W2[:-1], W2[-1]]
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    with tempfile.TemporaryDirectory() as tmp:
        path, path32 = Path(tmp) / "real.onnx", Path(tmp) / "real32.onnx"
        ht.export(net, path)
        ht.export(net32, path32)
        nodes = len(onnx.load(path).graph.node)
        nodes32 = len(onnx.load(path32).graph.node)
        sess = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
        sess32 = ort.InferenceSession(str(path32), opts, providers=["CPUExecutionProvider"])
    want32 = output_index(net32, X)
    with threadpool_limits(limits=1, user_api="blas"):
        paths = {
            "float32 numpy, 1 BLAS thread": lambda: numpy_predict(*f32, X32),
            "float64 numpy, 1 BLAS thread": lambda: numpy_predict(*f64, X),
            "onnxruntime, 1 thread (exact export)": lambda: sess.run(["index"], {"X": X})[0],
            f"onnxruntime, float32-valued weights ({nodes32} nodes)": lambda: sess32.run(
                ["index"], {"X": X}
            )[0],
        }
        rows = {}
        for name, fn in paths.items():
            seconds, got = best_time(fn, repeats)
            truth = want32 if "float32-valued" in name else want
            rows[name] = {"seconds": seconds, "same_labels": bool(np.array_equal(got, truth))}
    decision = sess.run(["decision"], {"X": X})[0]
    decision32 = sess32.run(["decision"], {"X": X})[0]
    exact = bool(np.array_equal(decision, net.decision_function(X)))
    exact &= bool(np.array_equal(decision32, net32.decision_function(X)))
    base = rows["float32 numpy, 1 BLAS thread"]["seconds"]
    for r in rows.values():
        r["rows_per_s"] = n_rows / r["seconds"]
        r["vs_float32"] = base / r["seconds"]
    return {"nodes": nodes, "rows": n_rows, "decision_exact": exact, "paths": rows}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=100_000, help="inputs to classify (default 100000)")
    ap.add_argument("--repeats", type=int, default=5, help="runs per path; the best counts")
    ap.add_argument("--json", help="also write the figures here")
    ap.add_argument("--only", choices=["packed", "all"], default="all", help="tables to run")
    ap.add_argument("--float-rows", type=int, default=10_000, help="rows for the float ONNX table")
    ap.add_argument(
        "--figures",
        metavar="PATH",
        help="also write the packed-path table for the docs' benchmarks page (e.g. "
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
    report = {"n": args.n, "paths": rows, "goal_met": goal}
    if args.only == "all":
        report["cpu_features"] = cpu_features()
        print(f"\n### Packed C per instruction set\n\nCPU features: {report['cpu_features']}\n")
        report["isa"] = isa_table(net, bits, want, base, args.repeats)
        print("| build | ms | speed-up vs float32 numpy | same labels |")
        print("|---|---:|---:|:---:|")
        for name, r in report["isa"].items():
            print(
                f"| {name} | {r['seconds'] * 1e3:.2f} | {r['speedup']:.1f}x | "
                f"{'yes' if r['same_labels'] else 'NO'} |"
            )
        fl = report["float_onnx"] = float_onnx_table(args.float_rows, args.repeats)
        print(
            f"\n### Float ONNX: 784-64-10 real weights, {fl['rows']} random real rows, "
            f"{fl['nodes']} nodes; decision bit-exact: {'yes' if fl['decision_exact'] else 'NO'}\n"
        )
        print("| path | ms | rows/s | vs float32 numpy | same labels |")
        print("|---|---:|---:|---:|:---:|")
        for name, r in fl["paths"].items():
            print(
                f"| {name} | {r['seconds'] * 1e3:.1f} | {r['rows_per_s']:,.0f} | "
                f"{r['vs_float32']:.2f}x | {'yes' if r['same_labels'] else 'NO'} |"
            )
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=1))
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
