"""The fused weight-distribution kernels equal the unfused math: softmax moments and the
Gumbel-softmax sign sample, values and gradients, on random inputs (float64)."""

from __future__ import annotations

import math

import pytest
import torch

from hardtarget.torch.baselines.fused import gumbel_sign_fused, squared_norm, weight_moments
from hardtarget.torch.baselines.weight_dist import WEIGHT_SETS


def _moments_unfused(logits, values):
    p = torch.softmax(logits, -1)
    v = torch.tensor(values, dtype=logits.dtype)
    mean = p @ v
    return mean, p @ (v * v) - mean * mean


@pytest.mark.parametrize("name", sorted(WEIGHT_SETS))
def test_weight_moments_equal_the_softmax_math(name):
    ints, den = WEIGHT_SETS[name]
    values = [i / den for i in ints]
    gen = torch.Generator().manual_seed(len(values))
    logits = (torch.randn(7, 5, len(values), generator=gen, dtype=torch.float64) * 3).clamp(-5, 5)
    g_mean, g_var = torch.randn(2, 7, 5, generator=gen, dtype=torch.float64)
    got, want = [], []
    for fn, out in ((weight_moments, got), (_moments_unfused, want)):
        x = logits.clone().requires_grad_()
        mean, var = fn(x, values)
        ((mean * g_mean).sum() + (var * g_var).sum()).backward()
        out += [mean.detach(), var.detach(), x.grad]
    for a, b in zip(got, want):
        torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-12)


def test_weight_moments_gradcheck_and_float32_agreement():
    values = (-1.0, -0.5, 0.0, 0.5, 1.0)
    x = torch.randn(3, 4, 5, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda t: weight_moments(t, values), (x,))
    x32 = (torch.randn(50, 40, 5) * 4).clamp(-5, 5)
    for a, b in zip(weight_moments(x32, values), _moments_unfused(x32, values)):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)


def _gumbel_unfused(mu, var, noise, tau):
    t = mu * torch.rsqrt(var + 1e-8)
    logit = torch.special.log_ndtr(t) - torch.special.log_ndtr(-t)
    return torch.tanh((logit + noise) / (2.0 * tau))


@pytest.mark.parametrize("tau", [0.5, 1.0, 4.0])
def test_gumbel_sign_equals_the_log_ndtr_math(tau):
    gen = torch.Generator().manual_seed(3)
    n = 4000
    # |t| from 0 to about 30: both sides of the switch to the asymptotic series at 9
    mu = torch.randn(n, generator=gen, dtype=torch.float64) * torch.linspace(0, 30, n)
    mu[:3] = torch.tensor([0.0, 9.0, -9.0])
    var = torch.rand(n, generator=gen, dtype=torch.float64) + 0.5
    var[:3] = 1.0
    u = torch.rand(n, generator=gen, dtype=torch.float64).clamp(1e-6, 1 - 1e-6)
    noise = torch.log(u) - torch.log1p(-u)
    g = torch.randn(n, generator=gen, dtype=torch.float64)
    got, want = [], []
    for fn, out in ((gumbel_sign_fused, got), (_gumbel_unfused, want)):
        m, v = mu.clone().requires_grad_(), var.clone().requires_grad_()
        y = fn(m, v, noise, tau)
        (y * g).sum().backward()
        out += [y.detach(), m.grad, v.grad]
    for a, b in zip(got, want):
        torch.testing.assert_close(a, b, rtol=1e-6, atol=1e-9)


def test_gumbel_sign_tail_is_the_normal_log_cdf():
    from hardtarget.torch.baselines.fused import _log_tail

    x = torch.tensor([0.0, 1.0, 5.0, 8.99, 9.0, 9.01, 12.0, 40.0, 1e3], dtype=torch.float64)
    # log Phi(-x) from the complementary error function in exact-ish float64 (mpmath-free:
    # erfc is accurate in float64 up to x ~ 26; beyond, the leading asymptotic term)
    want = [
        math.log(0.5 * math.erfc(v / math.sqrt(2)))
        if v < 26
        else -v * v / 2 - math.log(v * math.sqrt(2 * math.pi)) + math.log1p(-1 / v**2)
        for v in x.tolist()
    ]
    torch.testing.assert_close(
        _log_tail(x), torch.tensor(want, dtype=torch.float64), rtol=1e-7, atol=0
    )


def test_squared_norm_and_its_gradient():
    x = torch.randn(6, 5, 3, dtype=torch.float64, requires_grad=True)
    y = squared_norm(x)
    assert float(y.detach()) == pytest.approx(
        sum(v * v for v in x.detach().flatten().tolist()), rel=1e-12
    )
    (3.0 * y).backward()
    torch.testing.assert_close(x.grad, 6.0 * x.detach(), rtol=0, atol=0)
