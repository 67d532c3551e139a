"""Checks of the numbers and names a training run is given (one place for fit and train)."""

from __future__ import annotations

import math
import os

import torch

from ..errors import HardTargetError

__all__ = ["check_rates", "check_counts", "check_device", "check_compile"]


def check_rates(**values: float) -> None:
    """Every value a finite number >= 0 (learning rate, momentum, decay, fractions)."""
    for name, v in values.items():
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or v < 0:
            raise HardTargetError(f"{name} must be a finite number >= 0, got {v!r}")


def check_counts(**values: int) -> None:
    """Every value an integer >= 1 (epochs, batch size, patience)."""
    for name, v in values.items():
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise HardTargetError(f"{name} must be an integer >= 1, got {v!r}")


def check_device(device: str | torch.device) -> torch.device:
    """The torch device (CUDA: this process's ``LOCAL_RANK`` GPU, made current)."""
    if isinstance(device, str) and device.strip().lower() not in ("cpu", "cuda"):
        raise HardTargetError(f"unknown device {device!r}; valid: cpu, cuda")
    dev = torch.device(device)
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            raise HardTargetError(
                "a CUDA device was asked for but torch sees no CUDA GPU; train on the cpu device"
            )
        if dev.index is None:
            dev = torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
        torch.cuda.set_device(dev)
    return dev


def check_compile(compile):
    """``compile`` as ``False`` or a ``torch.compile`` backend: ``True`` is ``inductor``, a
    name must be one torch knows (checked before any training), a callable backend passes.

    Parameters
    ----------
    compile : bool, str or callable

    Returns
    -------
    False, a backend name, or the callable.
    """
    if compile is None or compile is False:
        return False
    if compile is True:
        return "inductor"
    if callable(compile):
        return compile
    if not isinstance(compile, str) or not compile.strip():
        raise HardTargetError(
            f"compile must be True, False or a torch.compile backend name, got {compile!r}"
        )
    from torch._dynamo import list_backends

    name = compile.strip()
    if name not in list_backends(exclude_tags=()):
        common = sorted({*list_backends(), "eager", "aot_eager"})
        raise HardTargetError(
            f"unknown torch.compile backend {name!r}; valid: {', '.join(common)} "
            "(torch._dynamo.list_backends(exclude_tags=()) lists the debugging ones too)"
        )
    return name
