"""Mixed precision and the usual GPU switches: autocast, a gradient scaler, channels-last.

``precision="bf16"`` or ``"fp16"`` runs forward passes under :func:`torch.autocast`
(weights stay float32); ``fp16`` adds a :class:`torch.amp.GradScaler`, which ``bf16``
does not need (same exponent range as float32).  The hard activations keep their exact
forward at every precision (see :mod:`hardtarget.torch.functional`).
"""

from __future__ import annotations

import contextlib

import torch
from torch import nn

from ..errors import HardTargetError

__all__ = ["PRECISIONS", "canonical_precision", "autocast", "grad_scaler", "to_channels_last"]

PRECISIONS = {"fp32": None, "bf16": torch.bfloat16, "fp16": torch.float16}
_ALIASES = {
    "32": "fp32",
    "float32": "fp32",
    "bfloat16": "bf16",
    "bf16-mixed": "bf16",
    "16": "fp16",
    "float16": "fp16",
    "16-mixed": "fp16",
    "fp16-mixed": "fp16",
}


def canonical_precision(name: str) -> str:
    """``fp32``, ``bf16`` or ``fp16`` for a precision name (``bf16-mixed`` and the like).

    >>> canonical_precision("bf16-mixed")
    'bf16'
    """
    s = _ALIASES.get(str(name).strip().lower(), str(name).strip().lower())
    if s not in PRECISIONS:
        raise HardTargetError(f"unknown precision {name!r}; valid: {', '.join(PRECISIONS)}")
    return s


def autocast(device: torch.device, precision: str) -> contextlib.AbstractContextManager:
    """The autocast context of ``precision`` on ``device`` (nothing for ``fp32``)."""
    dtype = PRECISIONS[precision]
    if dtype is None:
        return contextlib.nullcontext()
    return torch.autocast(device.type, dtype=dtype)


def grad_scaler(device: torch.device, precision: str) -> torch.amp.GradScaler:
    """A gradient scaler, enabled for ``fp16`` only (a pass-through otherwise)."""
    return torch.amp.GradScaler(device.type, enabled=precision == "fp16")


def to_channels_last(x: torch.Tensor) -> torch.Tensor:
    """``x`` in channels-last memory format when it is a 4-D image batch."""
    return x.contiguous(memory_format=torch.channels_last) if x.ndim == 4 else x


def model_channels_last(model: nn.Module) -> nn.Module:
    """The model's 4-D parameters (convolutions) in channels-last format."""
    # Module.to takes memory_format at run time; torch's overloads of it leave it out
    return model.to(memory_format=torch.channels_last)  # type: ignore[call-overload]
