"""Speed of FTPROP-MB training steps and activations (CPU, one process).

    python benchmarks/bench_torch.py [--reps 30] [--threads N]

Table 1: one training step (forward, cross-entropy, backward, Adam step) of the 4-layer
convnet, batch 64, 3x32x32 inputs, for FTP-SH, SSTE and ReLU, interleaved, median of
``--reps``.  Table 2: forward + backward of the activations alone on the convnet's
three activation shapes, including a naive (unfused) FTP-SH backward for reference.
Targets (issue 5): FTP-SH step <= 1.05x SSTE and <= 1.10x ReLU; activation <= 1.5x SSTE.
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch
import torch.nn.functional as F

from hardtarget.torch.functional import hard_forward, make_activation
from hardtarget.torch.models import make_model


class _NaiveSoftHinge(torch.autograd.Function):
    """FTP-SH written term by term: target, weight, loss derivative (no fusion)."""

    @staticmethod
    def forward(ctx, z):
        ctx.save_for_backward(z)
        return (z > 0).to(z.dtype) * 2 - 1

    @staticmethod
    def backward(ctx, g):
        (z,) = ctx.saved_tensors
        t = (g < 0).to(g.dtype) * 2 - 1               # target sign(-g), sign(0) = -1
        w = g.abs()                                    # weight |g|
        dloss = -t * (1 - torch.tanh(-t * z) ** 2)     # d/dz (tanh(-t z) + 1)
        return w * dloss * (g != 0).to(g.dtype)


def _time(fn, reps: int, variants: dict) -> dict:
    times = {k: [] for k in variants}
    for k in variants:  # warm-up
        for _ in range(3):
            fn(variants[k])
    for _ in range(reps):
        for k, v in variants.items():
            t0 = time.perf_counter()
            fn(v)
            times[k].append(time.perf_counter() - t0)
    return {k: statistics.median(v) for k, v in times.items()}


def bench_steps(reps: int) -> dict:
    torch.manual_seed(0)
    x, y = torch.randn(64, 3, 32, 32), torch.randint(0, 10, (64,))
    variants = {}
    for label, act, rule in (("FTP-SH (sign, soft-hinge)", "sign", "soft-hinge"),
                             ("SSTE (sign, saturated-hinge)", "sign", "saturated-hinge"),
                             ("ReLU", "relu", None)):
        torch.manual_seed(0)
        m = make_model("convnet4", act, rule, in_shape=(3, 32, 32), num_classes=10)
        variants[label] = (m, torch.optim.Adam(m.parameters(), lr=1e-4))

    def step(v):
        m, opt = v
        opt.zero_grad(set_to_none=True)
        F.cross_entropy(m(x), y).backward()
        opt.step()

    return _time(step, reps, variants)


def bench_activations(reps: int) -> dict:
    torch.manual_seed(0)
    shapes = [(64, 32, 16, 16), (64, 64, 8, 8), (64, 1024)]
    zs = [torch.randn(s).requires_grad_(True) for s in shapes]
    gs = [torch.randn(s) for s in shapes]
    variants = {
        "FTP-SH (fused)": make_activation("sign", "soft-hinge"),
        "SSTE (fused)": make_activation("sign", "saturated-hinge"),
        "FTP-SH (naive backward)": _NaiveSoftHinge.apply,
        "ReLU": torch.relu,
        "qReLU3 FTP-SH": make_activation("qrelu3", "soft-hinge"),
        "qReLU3 SSTE": make_activation("qrelu3", "saturated-hinge"),
    }

    def run(act):
        for z, g in zip(zs, gs):
            act(z).backward(g)
            z.grad = None

    assert torch.equal(hard_forward(zs[0].detach(), "sign"), _NaiveSoftHinge.apply(zs[0].detach()))
    return _time(run, reps * 4, variants)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=30)
    ap.add_argument("--threads", type=int, default=None)
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, CPU")
    steps = bench_steps(args.reps)
    base = steps["SSTE (sign, saturated-hinge)"]
    relu = steps["ReLU"]
    print("\nconvnet4 training step, batch 64, 3x32x32 (median of %d)" % args.reps)
    print(f"{'variant':32s} {'ms':>8s} {'/SSTE':>7s} {'/ReLU':>7s}")
    for k, v in steps.items():
        print(f"{k:32s} {v * 1e3:8.2f} {v / base:7.3f} {v / relu:7.3f}")
    acts = bench_activations(args.reps)
    base = acts["SSTE (fused)"]
    print("\nactivation forward+backward on the convnet4 shapes, batch 64 (median of %d)" % (args.reps * 4))
    print(f"{'variant':32s} {'us':>8s} {'/SSTE':>7s}")
    for k, v in acts.items():
        print(f"{k:32s} {v * 1e6:8.1f} {v / base:7.3f}")


if __name__ == "__main__":
    main()
