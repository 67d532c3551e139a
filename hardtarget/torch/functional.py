"""Hard-threshold activations as autograd functions (forward: threshold; backward: layer loss).

``sign(0) = -1``, ``step(0) = 0`` and the k-step qReLU
``(1/k) * sum_i step(z - i/(k-1))`` (k + 1 levels) match :mod:`hardtarget.activations`
bit for bit.  The backward is the gradient of the chosen layer loss (see
:mod:`hardtarget.torch.losses`), fused into one or two elementwise kernels (one
compiled kernel on CUDA, :mod:`hardtarget.torch.fused`).

Mixed precision: every threshold decision equals float32's on the same input values
(a bfloat16/float16 ``z`` is compared with the float32 threshold rounded down, which
is exact), the output is in the autocast dtype when autocast is on, and the smooth
backward rules compute in float32 before rounding to ``z``'s dtype.
"""

from __future__ import annotations

import logging

import torch
from torch import nn
from torch.autograd.function import once_differentiable

from ..activations import get_activation
from ..errors import HardTargetError
from ._memo import memo
from .fused import fusable, fused_forward, fused_grad, use_fused
from .losses import Rule, canonical_rule, get_rule, rule_names

__all__ = [
    "hard_forward",
    "hard_activation",
    "HardActivation",
    "SatReLU",
    "make_activation",
    "ACTIVATIONS",
    "CONTINUOUS",
    "parse_activation",
    "exact_thresholds",
    "backward_rule",
]

log = logging.getLogger(__name__)

CONTINUOUS = ("relu", "sat-relu")
ACTIVATIONS = ("sign", "step", "qrelu<k>") + CONTINUOUS


_LOW = (torch.bfloat16, torch.float16)


@memo
def exact_thresholds(kind: str, k: int, dtype: torch.dtype) -> tuple:
    """Thresholds ``th`` in ``dtype`` with ``z > th`` iff ``float32(z) > float32(i/(k-1))``.

    A low-precision threshold is the float32 one rounded down: no value of ``dtype``
    lies between the two, so the comparison is exact.
    """
    return tuple(_thresholds(kind, k, dtype).tolist())


@memo
def _thresholds(kind: str, k: int, dtype: torch.dtype) -> torch.Tensor:
    """:func:`exact_thresholds` as a float64 tensor, built without a Python loop."""
    if kind != "qrelu" or k == 1:
        return torch.zeros(1, dtype=torch.float64)
    # i / (k - 1) in float64 is the correctly rounded quotient, as Python's float division
    ref = torch.arange(k, dtype=torch.float64) / (k - 1)
    if dtype != torch.float64:
        ref = ref.to(torch.float32)
    if dtype not in _LOW:
        return ref.to(torch.float64)
    low = ref.to(dtype)
    low = torch.where(
        low.to(ref.dtype) > ref, torch.nextafter(low, torch.full_like(low, -1.0)), low
    )
    return low.to(torch.float64)


@memo
def _sorted_thresholds(k: int, dtype: torch.dtype, device: torch.device) -> torch.Tensor:
    return _thresholds("qrelu", k, dtype).to(device=device, dtype=dtype)


# qReLU steps up to which the forward compares with each threshold in turn (k passes);
# above, one binary search per value finds how many thresholds it exceeds
LOOP_STEPS = 64


def _qrelu_count(z: torch.Tensor, k: int) -> torch.Tensor:
    """``#{i : z > th_i}`` for the exact thresholds of a k-step qReLU, in ``z``'s dtype:
    ``O(log k)`` per value (the thresholds are sorted); NaN exceeds none."""
    thr = _sorted_thresholds(k, z.dtype, z.device)
    n = torch.searchsorted(thr, z.contiguous(), right=False)  # thresholds < z
    return torch.where(torch.isnan(z), 0, n).to(z.dtype)


def _out_dtype(z: torch.Tensor) -> torch.dtype:
    """The autocast dtype when autocast is on for ``z``'s device and ``z`` is float32."""
    dev = z.device.type
    if z.dtype == torch.float32 and torch.is_autocast_enabled(dev):
        return torch.get_autocast_dtype(dev)
    return z.dtype


def hard_forward(z: torch.Tensor, kind: str, k: int = 1) -> torch.Tensor:
    """The threshold itself: ``sign``, ``step`` or ``qrelu`` with ``k`` steps, in ``z``'s dtype."""
    if kind in ("sign", "step"):
        out = torch.gt(z, 0, out=torch.empty_like(z))  # 1.0 / 0.0 in z's dtype, one kernel
        return out.mul_(2).sub_(1) if kind == "sign" else out
    if k > LOOP_STEPS:
        return _qrelu_count(z, k).div_(k)
    thr = exact_thresholds(kind, k, z.dtype)
    out = torch.gt(z, thr[0], out=torch.empty_like(z))
    tmp = torch.empty_like(z) if k > 1 else out
    for th in thr[1:]:  # k is small: k comparisons, no (N, k) intermediate
        out.add_(torch.gt(z, th, out=tmp))
    return out.div_(k)


class LayerRecord:
    """What one activation's backward saw last: targets, weights and layer loss."""

    def __init__(self) -> None:
        self.targets: torch.Tensor | None = None
        self.has_target: torch.Tensor | None = None
        self.layer_loss: float | None = None

    def update(self, rule: Rule, z: torch.Tensor, g: torch.Tensor, weighted: bool) -> None:
        t = torch.where(g < 0, 1, -1).to(torch.int8)  # sign(-g), sign(0) = -1
        dt = torch.float32 if z.dtype in _LOW else z.dtype
        gd = g.to(dt)
        c = gd.abs() if weighted else (gd != 0).to(dt)
        self.targets = t
        self.has_target = g != 0
        self.layer_loss = float((c * rule.loss(z.detach().to(dt), t.to(dt))).sum())


class _HardThreshold(torch.autograd.Function):
    @staticmethod
    def forward(ctx, z, rule, weighted, record):  # noqa: D401
        ctx.save_for_backward(z)
        ctx.rule, ctx.weighted, ctx.record = rule, weighted, record
        dtype = _out_dtype(z)
        if use_fused(z) and (rule.kind != "qrelu" or rule.k <= LOOP_STEPS):
            return fused_forward(z, rule.kind, exact_thresholds(rule.kind, rule.k, z.dtype), dtype)
        out = hard_forward(z, rule.kind, rule.k)
        return out if out.dtype == dtype else out.to(dtype)

    @staticmethod
    @once_differentiable
    def backward(ctx, g):
        (z,) = ctx.saved_tensors
        if ctx.record is not None:
            ctx.record.update(ctx.rule, z, g, ctx.weighted)
        return backward_rule(ctx.rule, z, g, ctx.weighted), None, None, None


def backward_rule(rule: Rule, z: torch.Tensor, g: torch.Tensor, weighted: bool) -> torch.Tensor:
    """The gradient w.r.t. ``z`` in ``z``'s dtype: compiled one-pass kernel where selected,
    else the eager rule, in float32 when a smooth rule meets a low-precision input."""
    if use_fused(z) and fusable(rule):
        return fused_grad(rule, z, g, weighted)
    if rule.definition.smooth and (z.dtype in _LOW or g.dtype in _LOW):
        zc, gc = z.float(), g.float()
    else:
        zc, gc = z, g.to(z.dtype)
    w = gc if weighted else torch.sign(gc)
    return rule.grad(zc, w).to(z.dtype)


def hard_activation(
    z: torch.Tensor, rule: Rule, weighted: bool = True, record: LayerRecord | None = None
) -> torch.Tensor:
    """Apply ``rule.kind`` to ``z``; backward = gradient of the (weighted) layer loss.

    Parameters
    ----------
    z : torch.Tensor
        Pre-activations.
    rule : Rule
        From :func:`get_rule`.
    weighted : bool, default=True
        Weight the layer-loss gradient by ``|dL/dh|``.
    record : LayerRecord, optional
        Receives the targets and layer loss of the batch.

    Returns
    -------
    torch.Tensor

    Examples
    --------

    >>> import torch
    >>> from hardtarget.torch.losses import get_rule
    >>> hard_activation(torch.tensor([-1.0, 0.0, 2.0]), get_rule("soft_hinge", "sign")).tolist()
    [-1.0, -1.0, 1.0]
    """
    return _HardThreshold.apply(z, rule, weighted, record)


def parse_activation(name: str) -> tuple[str, int]:
    """``(kind, k)`` for a hard activation name, or ``(name, 0)`` for a continuous one."""
    if not isinstance(name, str):
        raise HardTargetError(f"activation must be a string, got {type(name).__name__}")
    s = name.strip().lower().replace("_", "-")
    if s in ("satrelu", "sat-relu", "saturated-relu"):
        return "sat-relu", 0
    if s == "relu":
        return "relu", 0
    try:
        act = get_activation(s)
    except HardTargetError:
        raise HardTargetError(
            f"unknown activation {name!r}; valid: {', '.join(ACTIVATIONS)} (e.g. qrelu3 = 2 bits)"
        ) from None
    return act.kind, act.k


class HardActivation(nn.Module):
    """A hard-threshold activation trained with an FTPROP-MB layer loss.

    Parameters
    ----------
    activation : str
        ``sign``, ``step`` or ``qrelu<k>``.
    rule : str
        One of :data:`~hardtarget.torch.losses.RULES` (aliases ``ftp-sh``, ``sste``).
    weighted : bool
        Weight each unit's loss by ``|dL/dh|`` (equation 3); off: every unit with a
        target counts equally.
    record : bool
        Keep the last targets and layer-loss value in :attr:`last` (costs time).
    """

    def __init__(
        self,
        activation: str = "sign",
        rule: str = "soft_hinge",
        weighted: bool = True,
        record: bool = False,
    ) -> None:
        super().__init__()
        kind, k = parse_activation(activation)
        if kind in CONTINUOUS:
            raise HardTargetError(
                f"{activation!r} is not a hard-threshold activation; use make_activation"
            )
        self.rule = get_rule(rule, kind, k)
        self.weighted = bool(weighted)
        self.record = bool(record)
        self.last = LayerRecord()

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return hard_activation(z, self.rule, self.weighted, self.last if self.record else None)

    def extra_repr(self) -> str:
        k = f"{self.rule.k}" if self.rule.kind == "qrelu" else ""
        return f"{self.rule.kind}{k}, rule={self.rule.name}, weighted={self.weighted}"


class SatReLU(nn.Module):
    """Saturated ReLU ``min(1, max(z, 0))``, the full-precision baseline of section 4."""

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return torch.clamp(z, 0.0, 1.0)


def make_activation(activation: str, rule: str | None = None, weighted: bool = True) -> nn.Module:
    """An activation module; ``rule`` defaults to ``soft_hinge`` for hard ones.

    Continuous activations (``relu``, ``sat-relu``) train by ordinary backprop and
    take no rule (``None`` or ``"backprop"``).

    Parameters
    ----------
    activation : str
        ``sign``, ``step``, ``qrelu<k>``, or the full-precision ``relu``/``sat-relu``.
    rule : str or None
        The layer loss that trains hard units (``soft_hinge``/``ftp-sh``,
        ``saturated_hinge``/``sste``, ``hinge``, ``ste``); default ``soft_hinge``.
    weighted : bool, default=True
        Weight each unit's layer loss by ``|dL/dh|`` (equation 3).

    Returns
    -------
    torch.nn.Module

    Examples
    --------

    >>> make_activation("qrelu3", "sste")
    HardActivation(qrelu3, rule=saturated_hinge, weighted=True)
    """
    kind, _ = parse_activation(activation)
    if kind in CONTINUOUS:
        if rule is not None and str(rule).strip().lower() not in ("backprop", "none"):
            canonical_rule(rule)  # unknown names get the list of valid ones
            raise HardTargetError(
                f"activation {activation!r} is continuous and trains by backprop; rule {rule!r} "
                f"does not apply to it. Give no rule (or 'backprop'), or pick a hard activation "
                f"(sign, step, qrelu<k>) for the rules {', '.join(rule_names())}"
            )
        return nn.ReLU() if kind == "relu" else SatReLU()
    if rule is None or str(rule).strip().lower() == "backprop":
        if rule is not None:
            raise HardTargetError(
                f"hard activation {activation!r} has zero gradient, so 'backprop' does not train "
                "it; "
                f"pick a rule: {', '.join(rule_names())}"
            )
        rule = "soft_hinge"
    return HardActivation(activation, rule, weighted)
