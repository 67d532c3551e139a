"""Weight distributions' training time per epoch against FTP-SH, fused and unfused.

    python benchmarks/bench_wd_speed.py [--hidden 256,256] [--inputs 40] [--repeats 7]

The MLP of issue 24 (40-256-256-10), 2048 random samples, batch 64, one torch thread.
Each epoch is one ``fit`` call; its time is the process CPU time (robust on a shared
machine, where wall time is not), the minimum and the median over ``--repeats``
interleaved runs.  Three models in the same process:

- FTP-SH: sign MLP, FTPROP-MB soft hinge (the baseline of the ratios);
- WD sign: the sign phase of discrete weight distributions (ternary), as shipped
  (fused moments and Gumbel-softmax sign, :mod:`hardtarget.torch.baselines.fused`);
- WD sign, unfused: the same net with the unfused math put back (softmax moments,
  ``log_ndtr`` Gumbel sign), i.e. the forward pass before the fusion.
"""

from __future__ import annotations

import argparse
import statistics
import time


def _unfused_moments(self):
    import torch

    from hardtarget.torch.baselines.gauss import VAR_EPS

    p = torch.softmax(self.logits, -1)
    mean = p @ self.values
    return mean, (p @ (self.values * self.values) - mean * mean).clamp_min(VAR_EPS)


def _unfused_gumbel(mu, var, tau=1.0, generator=None):
    import torch

    from hardtarget.torch.baselines.gauss import sign_logit

    u = torch.rand(mu.shape, generator=generator, dtype=mu.dtype, device=mu.device)
    u = u.clamp(1e-6, 1 - 1e-6)
    noise = torch.log(u) - torch.log1p(-u)
    return torch.tanh((sign_logit(mu, var) + noise) / (2.0 * tau))


class Unfused:
    """Context: WD with the unfused moments and Gumbel-softmax sign."""

    def __enter__(self):
        from hardtarget.torch.baselines import weight_dist

        self.saved = (weight_dist.ProbLayer.moments, weight_dist.gumbel_sign)
        weight_dist.ProbLayer.moments = _unfused_moments
        weight_dist.gumbel_sign = _unfused_gumbel

    def __exit__(self, *exc):
        from hardtarget.torch.baselines import weight_dist

        weight_dist.ProbLayer.moments, weight_dist.gumbel_sign = self.saved


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hidden", default="256,256")
    ap.add_argument("--inputs", type=int, default=40)
    ap.add_argument("--repeats", type=int, default=7)
    args = ap.parse_args()
    import contextlib

    import numpy as np
    import torch

    torch.set_num_threads(1)
    from hardtarget.torch import fit, make_model
    from hardtarget.torch.baselines import RealNet, WeightDistNet, arch_spec

    hidden = tuple(int(h) for h in args.hidden.split(","))
    rng = np.random.default_rng(0)
    X = rng.random((2048, 1, 1, args.inputs)).astype(np.float32)
    y = rng.integers(0, 10, 2048)
    shape = (1, 1, args.inputs)
    torch.manual_seed(0)
    ftp = make_model("mlp", "sign", "soft-hinge", in_shape=shape, num_classes=10, hidden=hidden)
    real = RealNet(arch_spec("mlp", hidden=hidden), shape, 10)
    runs = {
        "FTP-SH": (ftp, contextlib.nullcontext),
        "WD sign (fused)": (
            WeightDistNet.from_real(real, "ternary", "sign"),
            contextlib.nullcontext,
        ),
        "WD sign (unfused)": (WeightDistNet.from_real(real, "ternary", "sign"), Unfused),
    }
    times: dict = {k: [] for k in runs}
    for _ in range(args.repeats + 1):  # the first round warms up
        for name, (model, ctx) in runs.items():
            with ctx():
                t0 = time.process_time()
                fit(model, (X, y), epochs=1, progress=False)
                times[name].append(time.process_time() - t0)
    times = {k: v[1:] for k, v in times.items()}
    base_min, base_med = min(times["FTP-SH"]), statistics.median(times["FTP-SH"])
    mlp = "-".join(map(str, (args.inputs, *hidden, 10)))
    print(f"MLP {mlp}, 2048 samples, batch 64, {args.repeats} interleaved epochs, 1 thread")
    print("| model | CPU s / epoch, min | vs FTP-SH | CPU s / epoch, median | vs FTP-SH |")
    print("|---|---:|---:|---:|---:|")
    for name, ts in times.items():
        lo, med = min(ts), statistics.median(ts)
        print(f"| {name} | {lo:.3f} | {lo / base_min:.2f} | {med:.3f} | {med / base_med:.2f} |")


if __name__ == "__main__":
    main()
