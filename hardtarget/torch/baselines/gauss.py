"""Gaussian moment arithmetic of the probabilistic forward pass (Roth et al., section 4).

A pre-activation ``a`` is carried as its mean ``mu`` and variance ``var`` (central limit
approximation).  Variances are clamped at :data:`VAR_EPS` wherever a difference of
moments can round below zero.

Examples
--------
>>> import torch
>>> mu, var = max_gauss(torch.zeros(1), torch.ones(1), torch.zeros(1), torch.ones(1))
>>> round(float(mu), 6), round(float(var), 6)   # 1/sqrt(pi), 1 - 1/pi
(0.56419, 0.68169)
"""

from __future__ import annotations

import math

import torch

__all__ = [
    "VAR_EPS",
    "gauss_sample",
    "gumbel_sign",
    "max_gauss",
    "max_pool_gauss",
    "sign_logit",
    "sign_mean",
]

VAR_EPS = 1e-8
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


def sign_mean(mu: torch.Tensor, var: torch.Tensor) -> torch.Tensor:
    """``E[sign(a)] = erf(mu / sqrt(2 var)) = 2 Phi(mu / sqrt(var)) - 1`` for ``a ~ N(mu, var)``.

    The epsilon sits inside the square root, so ``var = 0`` gives ``sign(mu)``-like values
    without dividing by zero.
    """
    return torch.erf(mu * torch.rsqrt(2.0 * var + VAR_EPS))


def sign_logit(mu: torch.Tensor, var: torch.Tensor) -> torch.Tensor:
    """``log P(sign(a) = 1) - log P(sign(a) = -1)`` with ``P(a > 0) = Phi(mu / sqrt(var))``.

    Computed with ``log_ndtr`` so it stays finite far in the tails.
    """
    t = mu * torch.rsqrt(var + VAR_EPS)
    return torch.special.log_ndtr(t) - torch.special.log_ndtr(-t)


def gumbel_sign(
    mu: torch.Tensor,
    var: torch.Tensor,
    tau: float = 1.0,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Local reparameterization after a sign: a Gumbel-softmax sample in ``(-1, 1)``.

    For the two outcomes ``+1, -1`` with logits ``(l, 0)`` the relaxed one-hot sample
    is ``softmax((l + g) / tau)``; its value ``y_+ - y_-`` equals
    ``tanh((l + g_1 - g_2) / (2 tau))``, and ``g_1 - g_2`` is standard logistic noise.
    Computed by :func:`.fused.gumbel_sign_fused` (one autograd function).
    """
    from .fused import gumbel_sign_fused

    u = torch.rand(mu.shape, generator=generator, dtype=mu.dtype, device=mu.device)
    u = u.clamp(1e-6, 1 - 1e-6)
    noise = torch.log(u) - torch.log1p(-u)
    return gumbel_sign_fused(mu, var, noise, tau)


def gauss_sample(
    mu: torch.Tensor, var: torch.Tensor, generator: torch.Generator | None = None
) -> torch.Tensor:
    """Local reparameterization of a Gaussian: ``mu + sqrt(var) * N(0, 1)``."""
    eps = torch.randn(mu.shape, generator=generator, dtype=mu.dtype, device=mu.device)
    return mu + torch.sqrt(var + VAR_EPS) * eps


def _phi(x: torch.Tensor) -> torch.Tensor:
    return torch.exp(-0.5 * x * x) * _INV_SQRT_2PI


def max_gauss(
    mu1: torch.Tensor, var1: torch.Tensor, mu2: torch.Tensor, var2: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean and variance of ``max(a_1, a_2)`` of independent Gaussians (equations 6-8)."""
    alpha = torch.sqrt(var1 + var2 + VAR_EPS)
    beta = (mu1 - mu2) / alpha
    cdf, cdf_neg, pdf = torch.special.ndtr(beta), torch.special.ndtr(-beta), _phi(beta)
    mu = mu1 * cdf + mu2 * cdf_neg + alpha * pdf
    second = (var1 + mu1 * mu1) * cdf + (var2 + mu2 * mu2) * cdf_neg + (mu1 + mu2) * alpha * pdf
    return mu, (second - mu * mu).clamp_min(VAR_EPS)


def max_pool_gauss(mu: torch.Tensor, var: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Moment-matched 2x2 max-pooling of ``(N, C, H, W)`` Gaussians (odd edges dropped).

    The two upper and the two lower values are merged first, then the two results,
    as in section 4.1.
    """
    h, w = mu.shape[-2] // 2 * 2, mu.shape[-1] // 2 * 2
    mu, var = mu[..., :h, :w], var[..., :h, :w]
    top = max_gauss(
        mu[..., 0::2, 0::2], var[..., 0::2, 0::2], mu[..., 0::2, 1::2], var[..., 0::2, 1::2]
    )
    bot = max_gauss(
        mu[..., 1::2, 0::2], var[..., 1::2, 0::2], mu[..., 1::2, 1::2], var[..., 1::2, 1::2]
    )
    return max_gauss(top[0], top[1], bot[0], bot[1])
