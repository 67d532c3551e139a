"""Fused kernels of the weight-distribution forward pass (same math, fewer passes).

Autograd functions with their gradients written out: :func:`weight_moments`,
:func:`gumbel_sign_fused` and :func:`squared_norm`.

:func:`weight_moments` is the mean and variance of a categorical weight given by softmax
logits over the values ``v_1 .. v_D``, as one autograd function with its gradient
written out: with ``p = softmax(l)``, ``mean = sum p_k v_k``, ``s2 = sum p_k v_k**2``
and ``var = s2 - mean**2``,

``d mean / d l_k = p_k (v_k - mean)``,  ``d s2 / d l_k = p_k (v_k**2 - s2)``.

The softmax over a last dimension of 3 to 5 values is slow in torch (a kernel per tiny
row) and so is the backward of the same math as separate elementwise operations; here
the forward is a handful of elementwise passes over the ``D`` slices and the backward a
single one.

Examples
--------
>>> import torch
>>> mean, var = weight_moments(torch.zeros(2, 3), (-1.0, 0.0, 1.0))
>>> [round(float(x), 4) for x in (mean[0], var[0])]
[0.0, 0.6667]
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch

from .gauss import VAR_EPS

__all__ = ["MAX_LOGIT", "gumbel_sign_fused", "squared_norm", "weight_moments"]


# |logits| above this could overflow exp() in float32; the nets clip them to +-5
MAX_LOGIT = 80.0


class _Moments(torch.autograd.Function):
    """Works on the ``D`` slices ``l_k`` as contiguous tensors: a slice of the last
    dimension is strided, and an elementwise pass over it costs several contiguous ones.
    ``e_k = exp(l_k - l_ref)`` with the reference slice (value 0 when there is one), so
    ``e_ref = 1`` and ``p_k = e_k / sum e``; bounded logits need no max subtracted."""

    @staticmethod
    def forward(ctx, logits: torch.Tensor, vals: tuple) -> tuple[torch.Tensor, torch.Tensor]:
        shape, d = logits.shape[:-1], logits.shape[-1]
        cols = logits.reshape(-1, d).t()  # (D, N) view
        ref = vals.index(0.0) if 0.0 in vals else 0
        es = [None if k == ref else torch.exp(cols[k] - cols[ref]) for k in range(d)]
        z = torch.ones_like(cols[ref])  # e_ref
        mean, s2 = z * vals[ref], z * (vals[ref] * vals[ref])
        for e, v in zip(es, vals):
            if e is not None:
                z.add_(e)
                if v != 0:
                    mean.add_(e, alpha=v)
                    s2.add_(e, alpha=v * v)
        r = torch.reciprocal(z)
        mean.mul_(r)
        s2.mul_(r)
        ctx.vals, ctx.ref, ctx.logits_shape = vals, ref, logits.shape
        ctx.save_for_backward(r, mean, s2, *[e for e in es if e is not None])
        return mean.reshape(shape), (s2 - mean * mean).reshape(shape)

    @staticmethod
    def backward(ctx, g_mean: torch.Tensor, g_var: torch.Tensor):
        r, mean, s2, *rest = ctx.saved_tensors
        g_mean, g_var = g_mean.reshape(-1), g_var.reshape(-1)
        g_mean = g_mean - 2.0 * mean * g_var  # var = s2 - mean**2
        shift = g_mean * mean + g_var * s2
        # d/d l_k = p_k (g_mean v_k + g_var v_k**2 - shift), p_k = e_k r
        grad = torch.empty(ctx.logits_shape, dtype=r.dtype, device=r.device)
        cols = grad.view(-1, len(ctx.vals)).t()
        es = iter(rest)
        for k, v in enumerate(ctx.vals):
            coef = (g_mean * v + g_var * (v * v) - shift).mul_(r)
            if k == ctx.ref:
                cols[k].copy_(coef)
            else:
                torch.mul(coef, next(es), out=cols[k])
        return grad, None


def weight_moments(
    logits: torch.Tensor, values: Sequence[float]
) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean and variance of weights distributed as ``softmax(logits)`` over ``values``.

    Parameters
    ----------
    logits : torch.Tensor
        ``(*shape, D)`` logits, one distribution per leading index, at most
        :data:`MAX_LOGIT` in magnitude (the nets clip theirs to ``LOGIT_CLIP = 5``), so
        the softmax needs no shift.
    values : sequence of float
        The ``D`` weight values.

    Returns
    -------
    mean, var : torch.Tensor
        Each of ``shape`` (the variance not yet clamped).
    """
    return _Moments.apply(logits, tuple(float(v) for v in values))


def _log_tail(x: torch.Tensor) -> torch.Tensor:
    """``log Phi(-x)`` for ``x >= 0``: ``log(erfc(x / sqrt 2) / 2)`` up to ``x = 9``, beyond
    it the asymptotic series ``-x**2/2 - log(x sqrt(2 pi)) + log(1 - 1/x**2 + 3/x**4 -
    15/x**6)`` (relative error below 1e-7 there, where erfc would underflow)."""
    near = torch.log(0.5 * torch.special.erfc(x * _INV_SQRT2))
    if x.device.type == "cpu" and not bool((x > _FAR).any()):
        return near  # (on a GPU both branches, rather than a synchronization)
    far_x = x.clamp_min(_FAR)
    inv = torch.reciprocal(far_x * far_x)
    series = torch.log1p(inv * (-1.0 + inv * (3.0 - 15.0 * inv)))
    far = -0.5 * far_x * far_x - torch.log(far_x) - _HALF_LOG_2PI + series
    return torch.where(x > _FAR, far, near)


_HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)
_INV_SQRT2 = 1.0 / math.sqrt(2.0)
_FAR = 9.0


class _GumbelSign(torch.autograd.Function):
    @staticmethod
    def forward(ctx, mu, var, noise, tau):
        rs = torch.rsqrt(var + VAR_EPS)
        t = mu * rs
        tail = _log_tail(t.abs())  # log Phi(-|t|), accurate far out
        body = torch.log1p(-torch.exp(tail))  # log Phi(|t|)
        logit = torch.where(t >= 0, body - tail, tail - body)  # log Phi(t) - log Phi(-t)
        out = torch.tanh((logit + noise) / (2.0 * tau))
        ctx.tau = tau
        ctx.save_for_backward(t, rs, tail, body, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        t, rs, tail, body, out = ctx.saved_tensors
        # d logit / dt = phi(t) / Phi(t) + phi(t) / Phi(-t), in log space
        log_phi = -0.5 * t * t - _HALF_LOG_2PI
        dlogit = torch.exp(log_phi - tail) + torch.exp(log_phi - body)
        g_t = grad * (1.0 - out * out) / (2.0 * ctx.tau) * dlogit
        return g_t * rs, g_t * (-0.5 * t * rs * rs), None, None


def gumbel_sign_fused(
    mu: torch.Tensor, var: torch.Tensor, noise: torch.Tensor, tau: float = 1.0
) -> torch.Tensor:
    """``tanh((sign_logit(mu, var) + noise) / (2 tau))`` as one autograd function.

    ``sign_logit`` (:func:`.gauss.sign_logit`) is ``log Phi(t) - log Phi(-t)`` with
    ``t = mu / sqrt(var + VAR_EPS)``; here it takes ``log Phi(-|t|)`` from ``erfc`` (an
    asymptotic series beyond ``|t| = 9``) and ``log1p(-exp(.))`` of it, a sixth of the
    time of ``log_ndtr`` on a CPU, and the backward is written out:
    ``d logit / dt = phi(t) / Phi(t) + phi(t) / Phi(-t)``.

    Parameters
    ----------
    mu, var : torch.Tensor
        Mean and variance of the pre-activation.
    noise : torch.Tensor
        Standard logistic noise (``log u - log(1 - u)``), same shape.
    tau : float
        The Gumbel-softmax temperature.

    Returns
    -------
    torch.Tensor
        The relaxed sign sample in ``(-1, 1)``.
    """
    return _GumbelSign.apply(mu, var, noise, float(tau))


class _SquaredNorm(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x: torch.Tensor) -> torch.Tensor:
        ctx.save_for_backward(x)
        flat = x.reshape(-1)
        return torch.dot(flat, flat)

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        (x,) = ctx.saved_tensors
        return x * (2.0 * grad)


def squared_norm(x: torch.Tensor) -> torch.Tensor:
    """``(x ** 2).sum()`` in one pass, its gradient ``2 x`` in one more.

    The value (a dot product) may differ in the last bits between BLAS kernels; it only
    enters the reported loss, the gradient does not depend on it.
    """
    return _SquaredNorm.apply(x)
