"""Layer losses of FTPROP-MB and their fused backward rules (paper, sections 3.2-3.4).

Every hidden unit ``h = act(z)`` gets the target ``t = sign(-g)`` with ``g = dL/dh``
(equation 2, ``sign(0) = -1``) and the layer loss ``|g| * loss(z, t)`` (equation 3).
Every loss here has ``d loss / dz = -t * s(z, t)`` with a shape ``s >= 0``, and
``|g| * (-t) = g`` whenever ``g != 0``, so the whole backward fuses to ``g * s(z)``:

================  ===============================  ==================================
rule              sign / step (``z``)              qrelu (``u = 2z - 1``)
================  ===============================  ==================================
saturated_hinge   ``g * 1{|z| <= 1}`` (= SSTE)     ``g * 1{0 <= z <= 1}`` (sat-ReLU STE)
soft_hinge        ``g * sech^2(z)`` (FTP-SH)       ``g * sech^2(2z - 1)``
hinge             ``g * 1{t z < 1}``               ``g * 1{t u < 1}``
ste               ``g`` (identity)                 ``g``
step_hinges       --                               ``(g/k) * #{i : |z - i/(k-1)| <= 1}``
================  ===============================  ==================================

With the ``|g|`` weighting switched off the loss is ``1{g != 0} * loss(z, t)`` and
``g`` above becomes ``sign(g)``.  Units with ``g = 0`` have no target and get no
gradient either way.  The qReLU losses are the sign losses scaled and shifted to the
qReLU domain (``u = 2z - 1``, halved because ``qrelu ~ (sign(u) + 1) / 2``), except
``step_hinges``: the sum of one saturated hinge per step function, each weighted by
``|dL/d step_i| = |g| / k``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from ..errors import HardTargetError
from ._memo import memo

__all__ = ["Rule", "RULES", "RULE_ALIASES", "get_rule", "qrelu_thresholds"]

RULES = ("soft_hinge", "saturated_hinge", "hinge", "ste", "step_hinges")
RULE_ALIASES = {  # hyphenated spellings (``soft-hinge``) are accepted as well
    "ftp-sh": "soft_hinge",
    "softhinge": "soft_hinge",
    "sste": "saturated_hinge",
    "sat_hinge": "saturated_hinge",
    "identity": "ste",
}
# fused ATen kernels: grad * 1{lo < z < hi} (one pass) and grad * s * (1 - s)
_hardtanh_backward = torch.ops.aten.hardtanh_backward
_sigmoid_backward = torch.ops.aten.sigmoid_backward


def qrelu_thresholds(k: int, like: torch.Tensor) -> torch.Tensor:
    """Thresholds ``i/(k-1)``, ``i = 0..k-1`` of a k-step qReLU (``[0]`` when ``k = 1``)."""
    vals = [0.0] if k == 1 else [i / (k - 1) for i in range(k)]
    return torch.tensor(vals, dtype=like.dtype, device=like.device)


def _sat(z: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    return torch.relu(1 - torch.clamp(t * z, min=-1.0))


def _soft(z: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    return torch.tanh(-t * z) + 1


def _hinge(z: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    return torch.relu(1 - t * z)


def _linear(z: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    return -t * z


_BASE = {"saturated_hinge": _sat, "soft_hinge": _soft, "hinge": _hinge, "ste": _linear}


@dataclass(frozen=True)
class Rule:
    """A layer loss for one activation kind: the loss itself and its fused backward.

    Parameters
    ----------
    name : str
        One of :data:`RULES`.
    kind : str
        ``"sign"``, ``"step"`` or ``"qrelu"``.
    k : int
        Steps of a qReLU (1 otherwise).
    """

    name: str
    kind: str
    k: int = 1

    def loss(self, z: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        """Unweighted elementwise layer loss ``loss(z, t)`` for ±1 targets ``t``."""
        if self.kind != "qrelu":
            return _BASE[self.name](z, t)
        if self.name == "step_hinges":
            thr = qrelu_thresholds(self.k, z)
            return _sat(z.unsqueeze(-1) - thr, t.unsqueeze(-1)).sum(-1) / self.k
        return 0.5 * _BASE[self.name](2 * z - 1, t)

    def grad(self, z: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        """Fused backward ``w * s(z)``: ``w`` is ``g`` (weighted) or ``sign(g)``."""
        name = self.name
        if name == "ste":
            return w
        if self.kind == "qrelu":
            if name == "saturated_hinge":  # 1{0 <= z <= 1}
                lo, hi = _open_bounds(0.0, 1.0, z.dtype)
                return _hardtanh_backward(w, z, lo, hi)
            if name == "soft_hinge":  # sech^2(2z - 1) = 4 s (1 - s), s = sigmoid(4z - 2)
                return _sech2_times(w, z.mul(4).sub_(2))
            if name == "hinge":  # 1{t (2z - 1) < 1} with t = -sign(w)
                return _gt_mask(torch.sign(w) * (2 * z - 1), -1.0).mul_(w)
            return w * _thresholds_within_one(z, self.k) / self.k  # step-hinges
        if name == "saturated_hinge":  # 1{|z| <= 1}
            lo, hi = _open_bounds(-1.0, 1.0, z.dtype)
            return _hardtanh_backward(w, z, lo, hi)
        if name == "soft_hinge":  # sech^2(z) = 4 s (1 - s), s = sigmoid(2z)
            return _sech2_times(w, z * 2)
        return _gt_mask(torch.sign(w) * z, -1.0).mul_(w)  # hinge: 1{t z < 1} with t = -sign(w)


def _sech2_times(w: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
    """``w * sech^2(u / 2) = 4 w s (1 - s)`` with ``s = sigmoid(u)``, computed in place in ``u``
    (a fresh tensor owned by the caller): one exp per element, no other allocation."""
    s = u.sigmoid_()
    return _sigmoid_backward.grad_input(w, s, grad_input=s).mul_(4)


def _thresholds_within_one(z: torch.Tensor, k: int) -> torch.Tensor:
    """``#{i in 0..k-1 : |z - i/(k-1)| <= 1}`` in closed form (no loop over steps)."""
    if k == 1:
        return (z.abs() <= 1).to(z.dtype)
    m = k - 1
    lo = torch.ceil((z - 1) * m).clamp_(min=0)
    hi = torch.floor((z + 1) * m).clamp_(max=m)
    return hi.sub_(lo).add_(1).clamp_(min=0)


def _gt_mask(x: torch.Tensor, c: float) -> torch.Tensor:
    """``1.0 where x > c else 0.0`` in ``x``'s dtype (one kernel; no bool tensor)."""
    return torch.gt(x, c, out=torch.empty_like(x))


@memo
def _open_bounds(lo: float, hi: float, dtype: torch.dtype) -> tuple[float, float]:
    """The neighbours of ``lo`` and ``hi`` in ``dtype``: ``lo' < z < hi'`` iff ``lo <= z <= hi``
    (``hardtanh_backward`` passes the gradient on the open interval only)."""
    a = torch.nextafter(torch.tensor(lo, dtype=dtype), torch.tensor(-math.inf, dtype=dtype))
    b = torch.nextafter(torch.tensor(hi, dtype=dtype), torch.tensor(math.inf, dtype=dtype))
    return float(a), float(b)


def canonical_rule(name: str) -> str:
    """Resolve aliases (``sste``, ``ftp-sh``, ``soft-hinge``) to a name in :data:`RULES`.

    The names are those of the numpy side (:mod:`hardtarget.units`): ``hinge``,
    ``soft_hinge``, ``saturated_hinge``.
    """
    if not isinstance(name, str):
        raise HardTargetError(f"rule must be a string, got {type(name).__name__}")
    s = name.strip().lower()
    s = RULE_ALIASES.get(s, s).replace("-", "_")
    s = RULE_ALIASES.get(s, s)
    if s not in RULES:
        raise HardTargetError(
            f"unknown rule {name!r}; valid: {', '.join(RULES)} (hyphenated spellings and the "
            "aliases ftp-sh, sste, identity are accepted too)"
        )
    return s


def get_rule(name: str, kind: str, k: int = 1) -> Rule:
    """The rule ``name`` for activation ``kind``; refuses pairs that do not exist.

    Parameters
    ----------
    name : str
        A rule name or alias (see :data:`RULES`).
    kind : str
        The activation kind: ``sign``, ``step`` or ``qrelu``.
    k : int, default=1
        Steps of a quantized ReLU.

    Returns
    -------
    Rule

    Examples
    --------

    >>> get_rule("sste", "sign").name
    'saturated_hinge'
    """
    s = canonical_rule(name)
    if s == "step_hinges" and kind != "qrelu":
        raise HardTargetError(
            f"rule 'step_hinges' (a sum of per-step hinges) exists only for qrelu<k> activations, "
            f"not {kind!r}; use saturated_hinge or soft_hinge"
        )
    return Rule(s, kind, k)
