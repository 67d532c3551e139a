"""Speed of FTPROP-MB training steps and of the activations alone, CPU or CUDA, fp32 and bf16.

    python benchmarks/bench_torch.py --device cuda [--reps 30] [--peak-gbs 4800] [--json out.json]
    python benchmarks/bench_torch.py --device cpu  [--reps 10] [--threads 1]     # a small version

Table 1, for every model of the paper (convnet4, convnet8, resnet18-cifar at 32x32; alexnet,
resnet18 at 224x224 on CUDA, smaller on the CPU): one training step (forward, cross-entropy,
backward, Adam step) with FTP-SH (sign, soft hinge), SSTE (sign, saturated hinge) and ReLU,
interleaved, CUDA-synchronized, median of ``--reps``; the ratios FTP-SH / SSTE and FTP-SH /
ReLU; and, when both precisions run, bf16's speed-up over fp32.  Table 2: forward + backward
of the activation alone on one large tensor (64x256x56x56 on CUDA), with the bandwidth it
achieves counting the least traffic a one-pass kernel needs (forward: read z, write h;
backward: read z and g, write the gradient: 5 tensor passes) and the fraction of
``--peak-gbs``.  On CUDA the hard activations use the compiled one-pass kernels
(:mod:`hardtarget.torch.fused`); the "eager" rows force the multi-pass path for comparison.

Goals (issue 14): FTP-SH step <= 1.02x SSTE on every model; activation <= 1.1x SSTE and
>= 70 % of the memory bandwidth; bf16 steps >= 1.5x faster than fp32 on resnet18 at 224.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from contextlib import contextmanager

import torch
import torch.nn.functional as F

from hardtarget.torch.functional import make_activation
from hardtarget.torch.fused import fused_mode
from hardtarget.torch.models import make_model

# model: (input shape, classes, batch, options) per device
MODELS = {
    "cuda": {
        "convnet4": ((3, 32, 32), 10, 64, {}),
        "convnet8": ((3, 32, 32), 10, 64, {}),
        "resnet18-cifar": ((3, 32, 32), 10, 64, {}),
        "alexnet": ((3, 224, 224), 1000, 128, {}),
        "resnet18": ((3, 224, 224), 1000, 64, {}),
    },
    "cpu": {
        "convnet4": ((3, 32, 32), 10, 16, {"width": 256}),
        "convnet8": ((3, 32, 32), 10, 16, {"width_mult": 0.25}),
        "resnet18-cifar": ((3, 32, 32), 10, 16, {"width": 8}),
        "alexnet": ((3, 96, 96), 100, 16, {"width": 256, "width_mult": 0.25}),
        "resnet18": ((3, 64, 64), 100, 16, {"width": 8}),
    },
}
ACT_SHAPE = {"cuda": (64, 256, 56, 56), "cpu": (16, 64, 32, 32)}
STEP_VARIANTS = (
    ("FTP-SH", "sign", "soft_hinge"),
    ("SSTE", "sign", "saturated_hinge"),
    ("ReLU", "relu", None),
)
DTYPES = {"fp32": torch.float32, "bf16": torch.bfloat16}


class Timer:
    """Wall time of one call; on CUDA between synchronized events."""

    def __init__(self, device: torch.device) -> None:
        self.cuda = device.type == "cuda"

    def __call__(self, fn, arg) -> float:
        if self.cuda:
            start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            torch.cuda.synchronize()
            start.record()
            fn(arg)
            end.record()
            torch.cuda.synchronize()
            return start.elapsed_time(end) / 1e3
        t0 = time.perf_counter()
        fn(arg)
        return time.perf_counter() - t0


def interleaved(timer: Timer, fn, variants: dict, reps: int, warmup: int = 3) -> dict:
    """Seconds per call of ``fn(variant)`` for every variant, runs interleaved."""
    for v in variants.values():
        for _ in range(warmup):
            fn(v)
    times: dict = {k: [] for k in variants}
    for _ in range(reps):
        for k, v in variants.items():
            times[k].append(timer(fn, v))
    return times


@contextmanager
def fused(mode: str):
    old = fused_mode(mode)
    try:
        yield
    finally:
        fused_mode(old)


def bench_model(
    name: str, device: torch.device, precision: str, reps: int, channels_last: bool
) -> dict:
    shape, classes, batch, opts = MODELS[device.type][name]
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(batch, *shape, generator=gen).to(device)
    y = torch.randint(0, classes, (batch,), generator=gen).to(device)
    if channels_last:
        x = x.contiguous(memory_format=torch.channels_last)
    variants = {}
    for label, act, rule in STEP_VARIANTS:
        torch.manual_seed(0)
        m = make_model(name, act, rule, in_shape=shape, num_classes=classes, **opts).to(device)
        if channels_last:
            m = m.to(memory_format=torch.channels_last)
        variants[label] = (m, torch.optim.Adam(m.parameters(), lr=1e-4))
    dtype = DTYPES[precision]

    def step(v):
        m, opt = v
        opt.zero_grad(set_to_none=True)
        with torch.autocast(device.type, dtype=dtype, enabled=dtype != torch.float32):
            loss = F.cross_entropy(m(x), y)
        loss.backward()
        opt.step()

    return interleaved(Timer(device), step, variants, reps)


def bench_activation(device: torch.device, precision: str, reps: int) -> tuple[dict, int]:
    dtype = DTYPES[precision]
    gen = torch.Generator().manual_seed(0)
    z = torch.randn(ACT_SHAPE[device.type], generator=gen).to(device, dtype).requires_grad_(True)
    g = torch.randn(ACT_SHAPE[device.type], generator=gen).to(device, dtype)
    fast = "auto" if device.type == "cuda" else "never"
    variants = {
        "FTP-SH": (make_activation("sign", "soft_hinge"), fast),
        "SSTE": (make_activation("sign", "saturated_hinge"), fast),
        "ReLU": (torch.relu, fast),
        "qReLU3 FTP-SH": (make_activation("qrelu3", "soft_hinge"), fast),
        "qReLU3 SSTE": (make_activation("qrelu3", "saturated_hinge"), fast),
    }
    if device.type == "cuda":
        variants["FTP-SH eager (multi-pass)"] = (make_activation("sign", "soft_hinge"), "never")
    else:
        variants["FTP-SH compiled (one pass)"] = (make_activation("sign", "soft_hinge"), "always")

    def run(v):
        act, mode = v
        with fused(mode):
            act(z).backward(g)
        z.grad = None

    return interleaved(Timer(device), run, variants, reps), 5 * z.numel() * z.element_size()


def table(title: str, times: dict, base: str, base2: str | None, extra=None) -> list[dict]:
    """Print median (and minimum) per variant with ratios; return the rows."""
    print(f"\n{title}")
    cols = ["variant", "median ms", "min ms", f"/{base}"] + ([f"/{base2}"] if base2 else [])
    cols += list(extra[1]) if extra else []
    print("| " + " | ".join(cols) + " |\n|" + "---|" + "---:|" * (len(cols) - 1))
    b1 = statistics.median(times[base])
    b2 = statistics.median(times[base2]) if base2 else None
    rows = []
    for k, v in times.items():
        med = statistics.median(v)
        row = {
            "variant": k,
            "median_ms": med * 1e3,
            "min_ms": min(v) * 1e3,
            f"ratio_{base}": med / b1,
        }
        if b2:
            row[f"ratio_{base2}"] = med / b2
        if extra:
            row.update(extra[0](k, med))
        rows.append(row)
        print(
            "| "
            + " | ".join(f"{x:.3f}" if isinstance(x, float) else str(x) for x in row.values())
            + " |"
        )
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    ap.add_argument(
        "--reps", type=int, default=None, help="timed runs per variant (cuda 30, cpu 10)"
    )
    ap.add_argument("--precisions", default="fp32,bf16", help="comma-separated: fp32, bf16")
    ap.add_argument("--models", default=",".join(MODELS["cuda"]))
    ap.add_argument("--channels-last", action="store_true")
    ap.add_argument(
        "--peak-gbs",
        type=float,
        default=None,
        help="memory bandwidth of the card in GB/s (H100 SXM 3350, H200 4800)",
    )
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--json", help="also write every figure to this JSON file")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise SystemExit("--device cuda: torch sees no CUDA GPU")
    reps = args.reps or (30 if device.type == "cuda" else 10)
    precisions = [p.strip() for p in args.precisions.split(",") if p.strip()]
    where = (
        torch.cuda.get_device_name(device)
        if device.type == "cuda"
        else f"CPU, {torch.get_num_threads()} threads"
    )
    print(f"torch {torch.__version__}, {where}, median of {reps} interleaved runs")
    out: dict = {
        "device": where,
        "torch": torch.__version__,
        "reps": reps,
        "steps": {},
        "activation": {},
    }
    for prec in precisions:
        for name in [m.strip() for m in args.models.split(",") if m.strip()]:
            shape, _, batch, _ = MODELS[device.type][name]
            times = bench_model(name, device, prec, reps, args.channels_last)
            out["steps"][f"{name}/{prec}"] = table(
                f"{name} training step, {prec}, batch {batch}, {'x'.join(map(str, shape))}",
                times,
                "SSTE",
                "ReLU",
            )
        times, nbytes = bench_activation(device, prec, reps * 4)

        def bandwidth(k, med, nbytes=nbytes):
            gbs = nbytes / med / 1e9
            row = {"GB/s": gbs}
            if args.peak_gbs:
                row["of peak"] = gbs / args.peak_gbs
            return row

        extra = (bandwidth, ["GB/s"] + (["of peak"] if args.peak_gbs else []))
        out["activation"][prec] = table(
            f"activation forward + backward, {prec}, {'x'.join(map(str, ACT_SHAPE[device.type]))} "
            "(GB/s counts 5 tensor passes)",
            times,
            "SSTE",
            None,
            extra,
        )
    if "fp32" in precisions and "bf16" in precisions:
        print("\nbf16 speed-up of the step (fp32 median / bf16 median)")
        for key in [k for k in out["steps"] if k.endswith("/fp32")]:
            name = key.split("/")[0]
            a, b = out["steps"][key], out["steps"][f"{name}/bf16"]
            print(
                f"| {name} | "
                + " | ".join(
                    f"{r['variant']} {r['median_ms'] / s['median_ms']:.2f}x"
                    for r, s in zip(a, b, strict=True)
                )
                + " |"
            )
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(out, fh, indent=1)


if __name__ == "__main__":
    main()
