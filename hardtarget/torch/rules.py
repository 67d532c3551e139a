"""The FTPROP-MB rules, one definition each: layer loss, eager backward and fused formula.

A rule is a :class:`RuleDefinition` registered in the entry-point group
``hardtarget.torch_rules`` (the built-ins below are registered there too, in
``pyproject.toml``).  It states, in one class:

- :meth:`~RuleDefinition.loss`: the elementwise layer loss ``loss(z, t)`` for ``±1``
  targets (sign/step domain);
- :meth:`~RuleDefinition.grad`: the backward ``w * s(z)`` that the eager path runs
  (``w`` is ``g``, or ``sign(g)`` unweighted), where ``d loss / dz = -t s(z)``;
- :meth:`~RuleDefinition.shape`: ``s(z)`` as one float32 expression, compiled with the
  rest of the backward into one kernel (:mod:`hardtarget.torch.fused`).

A qReLU takes each rule at ``u = 2z - 1`` (the loss halved), unless the rule defines
``qrelu_loss``/``qrelu_grad``/``qrelu_shape`` itself.  The base class derives what a rule
leaves out from its loss by autograd (``grad``; ``shape`` then runs eagerly), so a plugin
rule is its ``loss`` and a name.  ``tests/torch/test_functional.py`` checks every
registered rule's backward against finite differences of its loss.

Examples
--------
>>> import torch
>>> from hardtarget.torch.rules import SOFT_HINGE
>>> SOFT_HINGE.loss(torch.tensor([0.0]), torch.tensor([1.0])).tolist()
[1.0]
"""

from __future__ import annotations

import math

import torch

from ._memo import memo

__all__ = [
    "RuleDefinition",
    "SOFT_HINGE",
    "SATURATED_HINGE",
    "HINGE",
    "STE",
    "STEP_HINGES",
    "qrelu_thresholds",
]

# fused ATen kernels: grad * 1{lo < z < hi} (one pass) and grad * s * (1 - s)
_hardtanh_backward = torch.ops.aten.hardtanh_backward
_sigmoid_backward = torch.ops.aten.sigmoid_backward


class RuleDefinition:
    """One FTPROP-MB rule: a layer loss and its backward (see the module docstring).

    Subclass it, set ``name`` (and ``aliases``, ``summary``), write :meth:`loss`; write
    :meth:`grad` and :meth:`shape` for speed (else autograd of the loss serves).

    Attributes
    ----------
    name : str
        The rule's name (``--rule``), as in the entry point.
    aliases : tuple of str
        Other accepted spellings.
    summary : str
        One line for listings.
    smooth : bool
        Its backward rounds in low precision: bf16/fp16 inputs are computed in float32.
    qrelu_only : bool
        Defined for qReLU activations only.
    """

    name = ""
    aliases: tuple[str, ...] = ()
    summary = ""
    smooth = True
    qrelu_only = False

    def loss(self, z: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        """Elementwise layer loss for ``±1`` targets ``t`` (sign/step domain).

        Parameters
        ----------
        z, t : torch.Tensor
            Pre-activations and targets.

        Returns
        -------
        torch.Tensor
        """
        raise NotImplementedError

    def grad(self, z: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        """The backward ``w * s(z)`` (default: ``|w| d loss(z, -sign(w)) / dz`` by autograd).

        Parameters
        ----------
        z, w : torch.Tensor
            Pre-activations; ``g`` or ``sign(g)``.

        Returns
        -------
        torch.Tensor
        """
        return _autograd(self.loss, z, w)

    def shape(self, z: torch.Tensor, w: torch.Tensor) -> torch.Tensor | None:
        """``s(z)`` in float32 for the compiled kernel (``w`` gives the targets of rules
        whose shape depends on them); None: the kernel runs :meth:`grad` eagerly.

        Parameters
        ----------
        z, w : torch.Tensor
            float32 pre-activations and weights.

        Returns
        -------
        torch.Tensor or None
        """
        return None

    # -- the qReLU domain: u = 2z - 1, loss halved -------------------------------------
    def qrelu_loss(self, z: torch.Tensor, t: torch.Tensor, k: int) -> torch.Tensor:
        """The loss of a ``k``-step qReLU unit (default ``loss(2z - 1, t) / 2``).

        Parameters
        ----------
        z, t : torch.Tensor
            Pre-activations in the qReLU's domain, ``±1`` targets.
        k : int
            Steps of the qReLU.

        Returns
        -------
        torch.Tensor
        """
        return 0.5 * self.loss(2 * z - 1, t)

    def qrelu_grad(self, z: torch.Tensor, w: torch.Tensor, k: int) -> torch.Tensor:
        """The backward of a ``k``-step qReLU unit (default: :meth:`grad` at ``2z - 1``);
        the arguments as for :meth:`qrelu_shape`, the result in ``z``'s dtype.

        Parameters
        ----------
        z, w : torch.Tensor
        k : int
        """
        return self.grad(2 * z - 1, w)

    def qrelu_shape(self, z: torch.Tensor, w: torch.Tensor, k: int) -> torch.Tensor | None:
        """``s`` of a ``k``-step qReLU unit in float32 (default :meth:`shape` at ``2z - 1``).

        Parameters
        ----------
        z, w : torch.Tensor
        k : int

        Returns
        -------
        torch.Tensor or None
        """
        return self.shape(2 * z - 1, w)

    def __repr__(self) -> str:
        return f"<torch rule {self.name}>"


def _autograd(loss, z: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    t = torch.where(w < 0, 1.0, -1.0).to(z.dtype)  # sign(-w), sign(0) = -1
    with torch.enable_grad():
        zz = z.detach().requires_grad_(True)
        (d,) = torch.autograd.grad(loss(zz, t).sum(), zz)
    return w.abs() * d


class _SaturatedHinge(RuleDefinition):
    name, aliases, smooth = "saturated_hinge", ("sste", "sat_hinge"), False
    summary = "saturated hinge: g * 1{|z| <= 1} (SSTE)"

    def loss(self, z, t):
        return torch.relu(1 - torch.clamp(t * z, min=-1.0))

    def grad(self, z, w):  # 1{|z| <= 1}
        lo, hi = _open_bounds(-1.0, 1.0, z.dtype)
        return _hardtanh_backward(w, z, lo, hi)

    def shape(self, z, w):
        return (z.abs() <= 1).float()

    def qrelu_grad(self, z, w, k):  # 1{0 <= z <= 1}, exact (2z - 1 may round onto -1)
        lo, hi = _open_bounds(0.0, 1.0, z.dtype)
        return _hardtanh_backward(w, z, lo, hi)

    def qrelu_shape(self, z, w, k):
        return ((z >= 0) & (z <= 1)).float()


class _SoftHinge(RuleDefinition):
    name, aliases = "soft_hinge", ("ftp-sh", "softhinge")
    summary = "soft hinge: g * sech^2(z) (FTP-SH, default)"

    def loss(self, z, t):
        return torch.tanh(-t * z) + 1

    def grad(self, z, w):  # sech^2(z) = 4 s (1 - s), s = sigmoid(2z)
        return _sech2_times(w, z * 2)

    def shape(self, z, w):
        p = torch.sigmoid(2 * z)
        return 4 * p * (1 - p)

    def qrelu_grad(self, z, w, k):  # sech^2(2z - 1): sigmoid(4z - 2), one rounding
        return _sech2_times(w, z.mul(4).sub_(2))

    def qrelu_shape(self, z, w, k):
        p = torch.sigmoid(4 * z - 2)
        return 4 * p * (1 - p)


class _Hinge(RuleDefinition):
    name, summary = "hinge", "hinge: g * 1{t z < 1}"

    def loss(self, z, t):
        return torch.relu(1 - t * z)

    def grad(self, z, w):  # 1{t z < 1} with t = -sign(w)
        return _gt_mask(torch.sign(w) * z, -1.0).mul_(w)

    def shape(self, z, w):
        return (torch.sign(w) * z > -1).float()


class _Ste(RuleDefinition):
    name, aliases, smooth = "ste", ("identity",), False
    summary = "straight-through: g (identity)"

    def loss(self, z, t):
        return -t * z

    def grad(self, z, w):
        return w

    def shape(self, z, w):
        return torch.ones_like(z)

    def qrelu_grad(self, z, w, k):
        return w

    def qrelu_shape(self, z, w, k):
        return torch.ones_like(z)


class _StepHinges(RuleDefinition):
    name, qrelu_only = "step_hinges", True
    summary = "one saturated hinge per qReLU step: (g/k) * #{i : |z - i/(k-1)| <= 1}"

    def loss(self, z, t):
        return SATURATED_HINGE.loss(z, t)

    def qrelu_loss(self, z, t, k):
        thr = qrelu_thresholds(k, z)
        return SATURATED_HINGE.loss(z.unsqueeze(-1) - thr, t.unsqueeze(-1)).sum(-1) / k

    def qrelu_grad(self, z, w, k):
        return w * _thresholds_within_one(z, k) / k

    def qrelu_shape(self, z, w, k):
        if k == 1:
            s = (z.abs() <= 1).float()
        else:
            lo = torch.clamp(torch.ceil((z - 1) * (k - 1)), min=0)
            hi = torch.clamp(torch.floor((z + 1) * (k - 1)), max=k - 1)
            s = torch.clamp(hi - lo + 1, min=0)
        return s / k


SATURATED_HINGE = _SaturatedHinge()
SOFT_HINGE = _SoftHinge()
HINGE = _Hinge()
STE = _Ste()
STEP_HINGES = _StepHinges()


# -- kernels of the eager backward ---------------------------------------------------------
def qrelu_thresholds(k: int, like: torch.Tensor) -> torch.Tensor:
    """Thresholds ``i/(k-1)``, ``i = 0..k-1`` of a k-step qReLU (``[0]`` when ``k = 1``).

    Parameters
    ----------
    k : int
    like : torch.Tensor
        Gives the dtype and device.

    Returns
    -------
    torch.Tensor
    """
    vals = [0.0] if k == 1 else [i / (k - 1) for i in range(k)]
    return torch.tensor(vals, dtype=like.dtype, device=like.device)


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
