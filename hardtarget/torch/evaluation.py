"""Evaluation of a model on any data: mean loss, top-1 and top-5 accuracy.

Examples
--------
>>> import numpy as np
>>> from hardtarget.torch import evaluate, make_model
>>> net = make_model("mlp", "sign", in_shape=(1, 1, 4), num_classes=3)
>>> sorted(evaluate(net, (np.zeros((5, 4)), np.zeros(5, int))))
['loss', 'top1', 'top5']
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from ._checks import check_device
from .precision import autocast, canonical_precision, to_channels_last
from .sources import Source, as_source

__all__ = ["evaluate", "evaluate_source", "normalizer", "correct", "prepare"]


def correct(logits: torch.Tensor, y: torch.Tensor, k: int) -> torch.Tensor:
    """How many rows have their label among the ``k`` largest logits (0 if not classification)."""
    if logits.ndim != 2 or y.ndim != 1 or y.is_floating_point():
        return torch.zeros((), device=logits.device)
    if k == 1:  # argmax: a third of topk's cost on small batches
        return (logits.argmax(1) == y).sum()
    k = min(k, logits.shape[1])
    return (logits.topk(k, 1).indices == y[:, None]).any(1).sum()


def prepare(
    x: torch.Tensor,
    y: torch.Tensor,
    device: torch.device,
    channels_last: bool = False,
    preprocess: Callable | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """A batch on ``device``, in channels-last format if asked, preprocessed."""
    x = x.to(device, non_blocking=True)
    if channels_last:
        x = to_channels_last(x)
    if preprocess is not None:
        x = preprocess(x)
    return x, y.to(device, non_blocking=True)


@torch.no_grad()
def evaluate_source(
    net: nn.Module,
    src: Source,
    device: torch.device,
    precision: str = "fp32",
    loss_fn: Callable | None = None,
    preprocess: Callable | None = None,
    channels_last: bool = False,
) -> dict:
    """Mean loss, top-1 and top-5 (in %) over one pass of ``src``, in eval mode."""
    loss_fn = loss_fn or F.cross_entropy
    was = net.training
    net.eval()
    loss = top1 = top5 = 0.0
    n = 0
    try:
        for x, y in src.batches(False):
            x, y = prepare(x, y, device, channels_last, preprocess)
            with autocast(device, precision):
                out = net(x)
            out = out.float()
            m = int(y.shape[0])
            loss += float(loss_fn(out, y)) * m
            top1 += int(correct(out, y, 1))
            top5 += int(correct(out, y, 5))
            n += m
    finally:
        net.train(was)
    n = max(1, n)
    return {"loss": loss / n, "top1": 100.0 * top1 / n, "top5": 100.0 * top5 / n}


def evaluate(
    model: nn.Module,
    data: Any,
    norm: tuple | None = None,
    batch_size: int = 256,
    device: str = "cpu",
    loss_fn: Callable | None = None,
    precision: str = "fp32",
) -> dict:
    """Mean loss, top-1 and top-5 accuracy (in %) of ``model`` on ``data``.

    ``data`` is anything :func:`~hardtarget.torch.fit_loop.fit` takes; ``norm`` is
    ``(mean, std)`` per channel, applied to image batches first.

    Parameters
    ----------
    model : torch.nn.Module
        The model.
    data : data
        Anything :func:`~hardtarget.torch.fit` takes.
    norm : tuple, optional
        ``(mean, std)`` per channel.
    batch_size : int, default=256
        Evaluation batch size.
    device : str, default="cpu"
        Where to run.
    loss_fn : callable, optional
        Default cross-entropy.
    precision : {"fp32", "bf16", "fp16"}, default="fp32"
        Autocast precision.

    Returns
    -------
    dict
        ``loss``, ``top1``, ``top5``.
    """
    dev = check_device(device)
    pre = None if norm is None else normalizer(norm)
    src = as_source(data, batch_size, "evaluation")
    return evaluate_source(model, src, dev, canonical_precision(precision), loss_fn, pre)


def normalizer(norm: tuple) -> Callable:
    """``x -> (x - mean) / std`` per channel of an image batch ``(N, C, H, W)``, on its device."""
    stats: dict = {}

    def apply(x: torch.Tensor) -> torch.Tensor:
        if x.device not in stats:
            stats[x.device] = tuple(
                torch.tensor(v, dtype=torch.float32, device=x.device)[None, :, None, None]
                for v in norm
            )
        mean, std = stats[x.device]
        return (x - mean) / std

    return apply
