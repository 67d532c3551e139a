"""Continuous binarization (Sakr et al.): parametrized clipping, learned slope, staged binarization.

Every hidden activation starts as the parametrized clipping function (PCF, eq. 1)
``clip(x/m + a/2, 0, a)`` with slope ``m`` and scale ``a``, after a batch norm.  Stage 0
pre-trains the whole net with ``m, a`` fixed; stage ``l`` (Algorithm 1) freezes the layers before
activation ``l``, which already use the scaled binary activation (SBAF) ``a * 1[x > 0]``,
learns ``m_l`` (L1/L2 regularized, see :meth:`CBNet.regularization`) and ``a_l``, and
trains every later weight; the last stage ``L`` trains the output layer of the fully
binary-activated net.  Once ``m_l`` falls to ``m_switch`` (the ``1/m`` gradients explode
near 0) the activation switches to the SBAF for good, so the ``m`` in use is always
positive.  Since ``a * 1[z > 0] = a (sign(z) + 1) / 2``, the final network is a
sign network: :meth:`CBNet.to_sign_mlp` folds each batch norm into its layer and each
``a`` into the next layer.

Examples
--------
>>> net = CBNet([("fc", 16)], (1, 8, 8), 10)      # doctest: +SKIP
>>> net.set_stage(1); net.binarize()              # doctest: +SKIP
>>> mlp = net.to_sign_mlp()                       # doctest: +SKIP
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import cast

import torch
import torch.nn.functional as F
from torch import nn

from ...errors import HardTargetError
from .arch import spec_shapes

__all__ = ["PCF", "REGULARIZERS", "CBNet"]

REGULARIZERS = ("l2", "l1")


class PCF(nn.Module):
    """``clip(x/m + a/2, 0, a)``, or the SBAF ``a * 1[x > 0]`` once ``binary``.

    ``learn`` says whether ``m`` and ``a`` take gradients in the current stage.

    Parameters
    ----------
    m : float, default=0.5
        Slope parameter.
    a : float, default=2.0
        Scale.
    m_switch : float, default=0.02
        A slope at or below this switches the activation to ``a * 1[x > 0]`` for good.
    """

    binary: torch.Tensor  # a buffer: True once the activation is the SBAF

    def __init__(self, m: float = 0.5, a: float = 2.0, m_switch: float = 0.02) -> None:
        super().__init__()
        if not 0 < m_switch < m:
            raise HardTargetError(f"PCF needs 0 < m_switch < m, got m={m}, m_switch={m_switch}")
        self.m = nn.Parameter(torch.tensor(float(m)))
        self.a = nn.Parameter(torch.tensor(float(a)))
        self.register_buffer("binary", torch.tensor(False))
        self.m_switch = float(m_switch)
        self.learn = False

    def is_binary(self) -> bool:
        """True once switched; a slope at or below ``m_switch`` switches it."""
        if not bool(self.binary) and float(self.m.detach()) <= self.m_switch:
            self.binary.fill_(True)
        return bool(self.binary)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        a = self.a if self.learn else self.a.detach()
        if self.is_binary():
            return a * (x > 0).to(x.dtype)
        m = self.m if self.learn else self.m.detach()
        return torch.minimum(torch.clamp(x / m + a / 2, min=0.0), a)

    def extra_repr(self) -> str:
        m, a = float(self.m.detach()), float(self.a.detach())
        return f"m={m:.4g}, a={a:.4g}, binary={bool(self.binary)}"


def _frozen_bn(bn: nn.Module, z: torch.Tensor) -> torch.Tensor:
    """``bn`` with its running statistics (a frozen layer's, also in training mode)."""
    if not isinstance(bn, nn.modules.batchnorm._BatchNorm):
        return bn(z)
    return F.batch_norm(z, bn.running_mean, bn.running_var, bn.weight, bn.bias, False, 0.0, bn.eps)


def _fold_bn(bn: nn.BatchNorm1d, W: torch.Tensor, b: torch.Tensor) -> tuple:
    """Weights and bias of ``bn(W h + b)`` (running statistics) as one affine map, float64."""
    var, mean = bn.running_var, bn.running_mean
    if var is None or mean is None:  # (every batch norm here keeps them)
        raise HardTargetError("folding a batch norm needs its running statistics")
    scale = bn.weight.double() / torch.sqrt(var.double() + bn.eps)
    return W * scale[:, None], (b - mean.double()) * scale + bn.bias.double()


def _reg_kind(spec: list, i: int) -> str:
    """What the activation after block ``i`` precedes: ``fc``, ``conv`` or ``pool``."""
    nxt = spec[i + 1][0] if i + 1 < len(spec) else "fc"
    return nxt


class CBNet(nn.Module):
    """A net of ``spec`` blocks with PCF activations, trained by continuous binarization.

    Parameters
    ----------
    spec : list
        Hidden blocks (see :mod:`~hardtarget.torch.baselines.arch`); a 2x2 pool follows
        the activation of the block before it.
    in_shape, num_classes
        Input ``(C, H, W)`` and number of classes.
    m, a : float
        Initial slope and scale (the paper pre-trains with 0.5 and 2).
    m_switch : float
        Slope at which an activation switches to the SBAF.
    regularizer : {"l2", "l1"}
        ``lam * m**2`` or ``lam * |m|`` on the slope being learned.
    lam : float or dict
        The coefficient, or one per kind of layer the activation precedes
        (``{"fc": 1e-3, "conv": 1e-2, "pool": 1e-1}``, the paper's lambda_1 < lambda_2 < lambda_3).
    batch_norm : bool
        Batch norm before every PCF (as in the BinaryNet-style nets the paper starts from);
        deep conv nets do not train without it.  Frozen layers use its running statistics.
    """

    lam_scale: torch.Tensor  # a buffer: the slope schedule's factor on lam

    def __init__(
        self,
        spec: list,
        in_shape: Sequence[int],
        num_classes: int,
        m: float = 0.5,
        a: float = 2.0,
        m_switch: float = 0.02,
        regularizer: str = "l2",
        lam: float | dict = 1.0,
        batch_norm: bool = True,
    ) -> None:
        super().__init__()
        if regularizer not in REGULARIZERS:
            raise HardTargetError(
                f"unknown regularizer {regularizer!r}; valid: {', '.join(REGULARIZERS)}"
            )
        shapes = spec_shapes(spec, in_shape)
        self.spec, self.regularizer = list(spec), regularizer
        self.layers, self.acts, self._lam = nn.ModuleList(), nn.ModuleList(), []
        self.bns = nn.ModuleList()
        self._pool_after: list[bool] = []
        for i, (block, shape) in enumerate(zip(spec, shapes)):
            if block[0] == "pool":
                if not self._pool_after:
                    raise HardTargetError("a spec cannot start with P2; put a conv block first")
                self._pool_after[-1] = True
                continue
            if block[0] == "fc":
                self.layers.append(nn.Linear(math.prod(shape), block[1]))
                self.bns.append(nn.BatchNorm1d(block[1]) if batch_norm else nn.Identity())
            else:
                self.layers.append(nn.Conv2d(shape[0], block[1], block[2], padding=block[2] // 2))
                self.bns.append(nn.BatchNorm2d(block[1]) if batch_norm else nn.Identity())
            self.acts.append(PCF(m, a, m_switch))
            kind = _reg_kind(spec, i)
            if isinstance(lam, dict) and kind not in lam:
                raise HardTargetError(
                    f"lam has no coefficient for activations before a {kind!r} layer; give "
                    "{'fc': ..., 'conv': ..., 'pool': ...} (the keys this net uses) or one number"
                )
            self._lam.append(float(lam[kind] if isinstance(lam, dict) else lam))
            self._pool_after.append(False)
        self.out = nn.Linear(math.prod(shapes[-1]), int(num_classes))
        self.pool = nn.MaxPool2d(2)
        self.m_init = float(m)
        # the slope schedule's factor on lam in the current stage (CBStages sets it)
        self.register_buffer("lam_scale", torch.tensor(1.0))
        self.stage = 0
        self.set_stage(0)

    def _pcfs(self) -> list[PCF]:
        """``acts`` typed: one PCF per hidden block (see ``__init__``)."""
        return cast("list[PCF]", list(self.acts))

    @property
    def n_stages(self) -> int:
        """Stages after pre-training: one per hidden activation, then the output layer."""
        return len(self.acts) + 1

    def set_stage(self, stage: int) -> None:
        """Stage 0 pre-trains; stage ``l`` learns the slope of activation ``l`` (1-based);
        stage ``n_stages`` trains the output layer of the binary-activated net.

        Parameters
        ----------
        stage : int
            0 to ``n_stages``.
        """
        if not 0 <= stage <= self.n_stages:
            raise HardTargetError(f"stage must be in 0..{self.n_stages}, got {stage}")
        self.stage = int(stage)
        for j, act in enumerate(self._pcfs(), start=1):
            if j < stage:
                act.binary.fill_(True)
            act.learn = j == stage

    def binarize(self) -> None:
        """Switch every activation to the SBAF: the final binary-activated network."""
        self.set_stage(self.n_stages)

    def regularization(self) -> torch.Tensor:
        """``lam_scale * lam_l * m_l**2`` (or ``|m_l|``) of the slope learned in this stage,
        else 0; ``lam_scale`` is the slope schedule's factor (1 unless a
        :class:`~hardtarget.torch.baselines.CBStages` schedule raises it)."""
        if self.stage == 0 or self.stage > len(self.acts):
            return torch.zeros(())
        act = self._pcfs()[self.stage - 1]
        if act.is_binary():
            return torch.zeros(())
        lam = self._lam[self.stage - 1] * self.lam_scale  # a tensor: no device sync
        return lam * (act.m**2 if self.regularizer == "l2" else act.m.abs())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = x
        for j, (layer, bn, act, pool) in enumerate(
            zip(self.layers, self.bns, self.acts, self._pool_after), start=1
        ):
            if isinstance(layer, nn.Linear):
                h = h.flatten(1)
            if j < self.stage:  # frozen, binary-activated layers before the current stage
                with torch.no_grad():
                    h = act(_frozen_bn(bn, layer(h)))
            else:
                h = act(bn(layer(h)))
            if pool:
                h = self.pool(h)
        return self.out(h.flatten(1))

    def to_sign_mlp(self):
        """The binarized fully connected net as a sign :class:`~hardtarget.torch.models.MLP`
        (float64), the SBAF scales folded into the next layer."""
        from ..models import MLP

        if any(b[0] != "fc" for b in self.spec):
            raise HardTargetError(
                "to_sign_mlp needs a fully connected net (model mlp); conv nets stay CBNet"
            )
        if not all(act.is_binary() for act in self._pcfs()):
            raise HardTargetError(
                "the net is not binarized yet; finish the stages or call binarize() first"
            )
        linears = [*self.layers, self.out]
        sizes = [linears[0].in_features, *(lin.out_features for lin in linears)]
        mlp = MLP(sizes, "sign", "soft-hinge").double()
        targets = [m for m in mlp.net if isinstance(m, nn.Linear)]
        with torch.no_grad():
            for j, (src, dst) in enumerate(zip(linears, targets)):
                W, b = src.weight.double(), src.bias.double()
                bn = self.bns[j] if j < len(self.bns) else None
                if isinstance(bn, nn.BatchNorm1d):
                    W, b = _fold_bn(bn, W, b)
                if j > 0:  # input a * (s + 1) / 2 with s = sign(z)
                    half = self._pcfs()[j - 1].a.double() / 2
                    W, b = W * half, b + half * W.sum(1)
                dst.weight.copy_(W)
                dst.bias.copy_(b)
        return mlp
