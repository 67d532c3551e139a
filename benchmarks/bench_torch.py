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
    return times


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
    _table(f"convnet4 training step, batch 64, 3x32x32 ({args.reps} interleaved runs)", "ms", 1e3,
           bench_steps(args.reps), "SSTE (sign, saturated-hinge)", "ReLU")
    _table(f"activation forward+backward on the convnet4 shapes, batch 64 ({args.reps * 4} interleaved runs)",
           "us", 1e6, bench_activations(args.reps), "SSTE (fused)", None)


def _table(title: str, unit: str, scale: float, times: dict, base: str, base2: "str | None") -> None:
    """Minimum (the least disturbed run) and median per variant, with ratios."""
    print(f"\n{title}")
    head = f"{'variant':30s} {'min ' + unit:>9s} {'median':>9s} {'min/SSTE':>9s} {'med/SSTE':>9s}"
    print(head + (f" {'min/ReLU':>9s} {'med/ReLU':>9s}" if base2 else ""))
    b_min, b_med = min(times[base]), statistics.median(times[base])
    for k, v in times.items():
        lo, med = min(v), statistics.median(v)
        line = f"{k:30s} {lo * scale:9.2f} {med * scale:9.2f} {lo / b_min:9.3f} {med / b_med:9.3f}"
        if base2:
            line += f" {lo / min(times[base2]):9.3f} {med / statistics.median(times[base2]):9.3f}"
        print(line)

if __name__ == "__main__":
    main()
