"""Ordinary (non-probabilistic) nets of the weight-distribution method (Roth et al., section 5).

Each hidden block is ``linear or conv (no bias) -> [2x2 max-pool] -> batch norm ->
activation``; the output layer is ``W h / sqrt(n_in) + bias`` with no batch norm.
:class:`RealNet` has real weights and ``tanh`` (the pre-trained net that initializes the
weight distributions); :class:`DiscreteNet` holds the weights as small integers
(``weight = int / den``) with ``sign`` (``sign(0) = -1``) or ``tanh`` activations: the
final network.  Its batch-norm statistics come from a pass of this discrete network over
the training data (:meth:`DiscreteNet.recompute_bn`), not from training-time
distributions (section 5.1).

Examples
--------
>>> net = RealNet([("fc", 32)], (1, 8, 8), 10)                  # doctest: +SKIP
"""

from __future__ import annotations

import abc
import math
from collections.abc import Iterable, Sequence
from typing import cast

import torch
import torch.nn.functional as F
from torch import nn

from ...errors import HardTargetError
from .arch import spec_shapes

__all__ = ["BlockNet", "DiscreteNet", "RealNet", "block_layout", "dropouts"]


def block_layout(spec: list, in_shape: Sequence[int]) -> list:
    """One ``(kind, n_in, n_out, kernel, pool, in_shape)`` per weight block (pools merged)."""
    shapes = spec_shapes(spec, in_shape)
    out: list = []
    for block, shape in zip(spec, shapes):
        if block[0] == "pool":
            if not out:
                raise HardTargetError("a spec cannot start with P2; put a conv block first")
            out[-1] = (*out[-1][:4], True, out[-1][5])
        elif block[0] == "fc":
            out.append(("fc", math.prod(shape), block[1], 0, False, shape))
        else:
            out.append(("conv", shape[0], block[1], block[2], False, shape))
    return out + [("out", math.prod(shapes[-1]), None, 0, False, shapes[-1])]


def dropouts(dropout: Sequence[float] | float, n: int) -> nn.ModuleList:
    """``n`` dropout modules: one probability for all, or one per weight block input."""
    p = [float(dropout)] * n if isinstance(dropout, (int, float)) else list(dropout)
    if len(p) != n or not all(0 <= q < 1 for q in p):
        raise HardTargetError(f"dropout needs {n} probabilities in [0, 1), got {dropout}")
    return nn.ModuleList(nn.Dropout(q) for q in p)


class BlockNet(nn.Module, abc.ABC):
    """Shared structure and forward of :class:`RealNet` and :class:`DiscreteNet`."""

    def _setup(
        self, spec: list, in_shape: Sequence[int], num_classes: int, activation: str
    ) -> None:
        if activation not in ("sign", "tanh"):
            raise HardTargetError(f"activation must be 'sign' or 'tanh', got {activation!r}")
        self.spec, self.in_shape, self.activation = list(spec), tuple(in_shape), activation
        self.layout = block_layout(spec, in_shape)
        self.layout[-1] = (*self.layout[-1][:2], int(num_classes), *self.layout[-1][3:])
        self.bns = nn.ModuleList(
            nn.BatchNorm2d(b[2]) if b[0] == "conv" else nn.BatchNorm1d(b[2])
            for b in self.layout[:-1]
        )
        self.bias = nn.Parameter(torch.zeros(int(num_classes)))

    def _norms(self) -> list[nn.BatchNorm1d | nn.BatchNorm2d]:
        """``bns`` typed: one batch norm per hidden block (see ``_setup``)."""
        return cast("list[nn.BatchNorm1d | nn.BatchNorm2d]", list(self.bns))

    @abc.abstractmethod
    def weight(self, i: int) -> torch.Tensor:
        """Weights of block ``i`` (``(out, in)`` or ``(out, in, k, k)``).

        Parameters
        ----------
        i : int
            Block index.

        Returns
        -------
        torch.Tensor
        """

    def _act(self, z: torch.Tensor) -> torch.Tensor:
        if self.activation == "tanh":
            return torch.tanh(z)
        return torch.gt(z, 0).to(z.dtype).mul_(2).sub_(1)

    def hidden(self, x: torch.Tensor) -> torch.Tensor:
        """Output of the last hidden block."""
        h = x
        for i, (kind, _, _, k, pool, _) in enumerate(self.layout[:-1]):
            h = self._drop(i, h)
            w = self.weight(i).to(h.dtype)
            z = F.linear(h.flatten(1), w) if kind == "fc" else F.conv2d(h, w, padding=k // 2)
            if pool:
                z = F.max_pool2d(z, 2)
            h = self._act(self.bns[i](z))
        return h

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self._drop(len(self.layout) - 1, self.hidden(x)).flatten(1)
        n = self.layout[-1][1]
        return F.linear(h, self.weight(len(self.layout) - 1).to(h.dtype)) / math.sqrt(n) + self.bias

    def _drop(self, i: int, h: torch.Tensor) -> torch.Tensor:
        return h


class RealNet(BlockNet):
    """Real weights with ``tanh``: the full-precision net that initializes the distributions.

    ``dropout`` gives one probability per weight block input (input layer first).

    Parameters
    ----------
    spec : list
        Blocks (:func:`arch_spec`).
    in_shape : sequence of int
        Shape of one input.
    num_classes : int
        Output units.
    dropout : float or sequence of float, default=0.0
        See above.
    """

    def __init__(
        self,
        spec: list,
        in_shape: Sequence[int],
        num_classes: int,
        dropout: Sequence[float] | float = 0.0,
    ) -> None:
        super().__init__()
        self._setup(spec, in_shape, num_classes, "tanh")
        self.weights = nn.ParameterList()
        for kind, n_in, n_out, k, _, _ in self.layout:
            shape = (n_out, n_in, k, k) if kind == "conv" else (n_out, n_in)
            w = torch.empty(shape)
            nn.init.kaiming_uniform_(w, a=math.sqrt(5))
            self.weights.append(nn.Parameter(w))
        self.drops = dropouts(dropout, len(self.layout))

    def weight(self, i: int) -> torch.Tensor:
        return self.weights[i]

    def _drop(self, i: int, h: torch.Tensor) -> torch.Tensor:
        return self.drops[i](h)


class DiscreteNet(BlockNet):
    """The final network: weights ``ints[i] / den`` stored as ``int8``, sign (or tanh) units.

    Parameters
    ----------
    spec : list
        Blocks (:func:`arch_spec`).
    in_shape : sequence of int
        Shape of one input.
    num_classes : int
        Output units.
    ints : sequence of torch.Tensor
        Integer weights of each block.
    den : int
        Their common denominator.
    activation : {"sign", "tanh"}, default="sign"
        Hidden units.
    """

    def __init__(
        self,
        spec: list,
        in_shape: Sequence[int],
        num_classes: int,
        ints: Sequence[torch.Tensor],
        den: int,
        activation: str = "sign",
    ) -> None:
        super().__init__()
        self._setup(spec, in_shape, num_classes, activation)
        self.den = int(den)
        for i, w in enumerate(ints):
            self.register_buffer(f"int_weight{i}", w.to(torch.int8))

    def int_weight(self, i: int) -> torch.Tensor:
        """The integer weights of block ``i``.

        Parameters
        ----------
        i : int
            Block index.

        Returns
        -------
        torch.Tensor
        """
        return getattr(self, f"int_weight{i}")

    def weight(self, i: int) -> torch.Tensor:
        return self.int_weight(i).to(torch.float64) / self.den

    @torch.no_grad()
    def recompute_bn(self, batches: Iterable[torch.Tensor]) -> None:
        """Batch-norm statistics from a pass of this network over ``batches`` of inputs.

        Every layer normalizes each batch with its own statistics while the running
        values average them over the batches (equal weights), as the paper's
        whole-training-set pass does.

        Parameters
        ----------
        batches : iterable of torch.Tensor
            Input batches.
        """
        was = self.training
        for bn in self._norms():
            bn.reset_running_stats()
            bn.momentum = None  # cumulative average over the pass
        self.train()
        seen = 0
        for x in batches:
            if x.shape[0] < 2:
                continue
            self.hidden(x)
            seen += 1
        for bn in self._norms():
            bn.momentum = 0.1
        self.train(was)
        if seen == 0:
            raise HardTargetError("recompute_bn needs at least one batch of two or more inputs")

    def to_sign_mlp(self):
        """A sign :class:`~hardtarget.torch.models.MLP` (float64) with the same predictions:
        integer weights (negated where ``gamma < 0``), batch norm folded into a threshold."""
        from ..models import MLP

        if self.activation != "sign" or any(b[0] != "fc" for b in self.layout[:-1]):
            raise HardTargetError("to_sign_mlp needs a fully connected net with sign activations")
        sizes = [self.layout[0][1], *(b[2] for b in self.layout)]
        mlp = MLP(sizes, "sign", "soft-hinge").double()
        linears = [m for m in mlp.net if isinstance(m, nn.Linear)]
        with torch.no_grad():
            for i, (lin, bn) in enumerate(zip(linears, self._norms())):
                W = self.int_weight(i).double()
                var, mean = bn.running_var, bn.running_mean
                if var is None or mean is None:  # (every batch norm here keeps them)
                    raise HardTargetError("to_sign_mlp needs batch norms with running statistics")
                s = torch.sqrt(var.double() + bn.eps)
                g, beta, mu = bn.weight.double(), bn.bias.double(), mean.double()
                safe = torch.where(g == 0, torch.ones_like(g), g)
                theta = self.den * (
                    mu - beta * s / safe
                )  # z_int > theta  <=>  BN output > 0 (g > 0)
                sgn = torch.sign(g)
                lin.weight.copy_(W * sgn[:, None])
                lin.bias.copy_(torch.where(g == 0, beta, -sgn * theta))
            n = self.layout[-1][1]
            linears[-1].weight.copy_(self.int_weight(len(self.layout) - 1).double())
            linears[-1].bias.copy_(self.bias.double() * self.den * math.sqrt(n))
        return mlp
