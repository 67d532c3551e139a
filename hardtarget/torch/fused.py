"""One-pass forward and backward of the hard activations, compiled (Triton on CUDA).

The eager path (:mod:`hardtarget.torch.losses`) makes two to five elementwise passes
per backward.  Here each rule's backward ``w * s(z)`` is one expression, computed in
float32 registers whatever the storage dtype, that :func:`torch.compile` turns into a
single kernel reading ``z`` and ``g`` once and writing the gradient once (12 bytes per
element in float32); the forward reads ``z`` and writes the output once (8 bytes).

:func:`fused_mode` picks when it is used: ``"auto"`` (default) on CUDA when Triton is
importable, ``"always"`` (also on the CPU, through inductor's C++ backend, which the
tests use), ``"never"``.  If compiling fails (no working compiler), a warning is logged
and the mode becomes ``"never"``.
"""

from __future__ import annotations

import logging

import torch

from ..errors import HardTargetError
from ._memo import memo
from .losses import Rule, rule_definitions
from .rules import RuleDefinition

__all__ = [
    "fused_mode",
    "use_fused",
    "grad_formula",
    "fusable",
    "forward_formula",
    "fused_grad",
    "fused_forward",
]

log = logging.getLogger("hardtarget.torch")
_MODES = ("auto", "always", "never")
_mode = "auto"


def fused_mode(mode: str | None = None) -> str:
    """Set the mode (``auto``, ``always``, ``never``) when given; return the previous one."""
    global _mode
    old = _mode
    if mode is not None:
        if mode not in _MODES:
            raise HardTargetError(f"unknown fused mode {mode!r}; valid: {', '.join(_MODES)}")
        _mode = mode
    return old


@memo
def _triton_ok() -> bool:
    from torch.utils._triton import has_triton

    return bool(has_triton())


def use_fused(z: torch.Tensor) -> bool:
    """Whether the compiled kernels serve ``z`` under the current mode."""
    if _mode == "never":
        return False
    if _mode == "always":
        return True
    return z.is_cuda and _triton_ok()


def grad_formula(
    z: torch.Tensor,
    g: torch.Tensor,
    rule: str | RuleDefinition,
    kind: str,
    k: int,
    weighted: bool,
) -> torch.Tensor:
    """The backward of ``rule`` as one float32 expression, returned in ``z``'s dtype.

    ``w * s(z)`` with the shape ``s`` of the rule's definition
    (:meth:`~hardtarget.torch.rules.RuleDefinition.shape`, or ``qrelu_shape``).

    Parameters
    ----------
    z, g : torch.Tensor
        Pre-activations and the gradient arriving from above.
    rule : str or RuleDefinition
        A registered rule's name or definition.
    kind : str
        ``sign``, ``step`` or ``qrelu``.
    k : int
        Steps of a qReLU.
    weighted : bool
        ``w = g``, else ``sign(g)``.

    Returns
    -------
    torch.Tensor
    """
    if isinstance(rule, str):
        rule = rule_definitions()[rule]
    if rule.qrelu_only and kind != "qrelu":
        raise HardTargetError(
            f"rule {rule.name!r} exists only for qrelu<k> activations; it has no {kind} formula"
        )
    return _grad_formula(z, g, rule, kind, k, weighted)


def _grad_formula(z, g, rule: RuleDefinition, kind: str, k: int, weighted: bool):
    zf, gf = z.float(), g.float()
    w = gf if weighted else torch.sign(gf)
    s = rule.qrelu_shape(zf, w, k) if kind == "qrelu" else rule.shape(zf, w)
    if s is None:  # a rule without a compiled shape: its backward, in float32
        s_w = rule.qrelu_grad(zf, w, k) if kind == "qrelu" else rule.grad(zf, w)
        return s_w.to(z.dtype)
    return (w * s).to(z.dtype)


def fusable(rule: Rule) -> bool:
    """Whether ``rule``'s definition gives the compiled kernel a shape (else it runs eagerly).

    Parameters
    ----------
    rule : Rule

    Returns
    -------
    bool
    """
    d, base = type(rule.definition), RuleDefinition
    if rule.kind == "qrelu":
        return d.qrelu_shape is not base.qrelu_shape or d.shape is not base.shape
    return d.shape is not base.shape


def forward_formula(
    z: torch.Tensor, kind: str, thresholds: tuple, out_dtype: torch.dtype
) -> torch.Tensor:
    """``sign``/``step``/``qrelu`` of ``z`` as one expression (``thresholds`` in ``z``'s dtype)."""
    if kind == "sign":
        return torch.where(z > 0, 1.0, -1.0).to(out_dtype)
    acc = torch.float64 if z.dtype == torch.float64 else torch.float32
    count = (z > thresholds[0]).to(acc)
    for th in thresholds[1:]:
        count = count + (z > th).to(acc)
    return (count / (len(thresholds) if kind == "qrelu" else 1)).to(out_dtype)


@memo
def _compiled(which: str):
    import torch._dynamo.config as dynamo_config

    # Each (rule, activation, weighting, dtype) is one specialization of the formula; the
    # default limit of 8 would stop a model that mixes a few of them (fullgraph fails hard).
    dynamo_config.recompile_limit = max(dynamo_config.recompile_limit, 64)
    fn = _grad_formula if which == "grad" else forward_formula
    return torch.compile(fn, dynamic=True, fullgraph=True)


def _call(which: str, *args):
    """The compiled formula; if compiling fails, a logged switch to the eager formula."""
    global _mode
    if _mode != "never":
        try:
            return _compiled(which)(*args)
        except Exception as exc:  # no working compiler or Triton on this machine
            log.warning(
                "compiled activation kernels unavailable (%s: %s); using the eager "
                "kernels from now on",
                type(exc).__name__,
                exc,
            )
            _mode = "never"
    return (_grad_formula if which == "grad" else forward_formula)(*args)


def fused_grad(rule: Rule, z: torch.Tensor, g: torch.Tensor, weighted: bool) -> torch.Tensor:
    """The compiled one-pass backward of ``rule``."""
    return _call("grad", z, g, rule.definition, rule.kind, rule.k, weighted)


def fused_forward(
    z: torch.Tensor, kind: str, thresholds: tuple, out_dtype: torch.dtype
) -> torch.Tensor:
    """The compiled one-pass forward."""
    return _call("forward", z, kind, thresholds, out_dtype)
