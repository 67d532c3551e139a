"""Discrete weight distributions with sign activations (Roth et al., sections 3-5).

Every weight has a distribution over a discrete set (:data:`WEIGHT_SETS`) given by
softmax logits, clipped to ``[-5, 5]`` and initialized as log-probabilities
(:func:`init_logits`, the empirical-CDF mapping of section 5.2).  Training propagates
Gaussians (central limit approximation): a layer maps observed inputs ``x`` to
``mu = E[W] x`` and ``var = V[W] x^2``; 2x2 max-pooling matches moments (eqs. 6-8);
batch norm works on distributions (eqs. 9-10); after each sign a Gumbel-softmax sample
of ``P(sign(a) = 1) = Phi(mu / sqrt(var))`` is the next layer's observed input (local
reparameterization), after ``tanh`` a Gaussian sample is.  In ``eval()`` mode the model
is its most probable discrete network (:meth:`WeightDistNet.to_discrete`) with
batch-norm statistics from :meth:`WeightDistNet.recompute_bn`.

Examples
--------
>>> from hardtarget.torch.baselines import RealNet, WeightDistNet      # doctest: +SKIP
>>> real = RealNet([("fc", 64)], (1, 8, 8), 10)                         # doctest: +SKIP
>>> net = WeightDistNet.from_real(real, weights="ternary", activation="sign")  # doctest: +SKIP
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any, cast

import torch
import torch.nn.functional as F
from torch import nn

from ...errors import HardTargetError
from .fused import squared_norm, weight_moments
from .gauss import VAR_EPS, gauss_sample, gumbel_sign, max_pool_gauss, sign_mean
from .plain import DiscreteNet, RealNet, block_layout, dropouts

__all__ = [
    "LOGIT_CLIP",
    "WEIGHT_SETS",
    "DistBatchNorm",
    "ProbLayer",
    "WeightDistNet",
    "init_logits",
]

# name -> (integer values, denominator): the weights are ints / den
WEIGHT_SETS = {
    "ternary": ((-1, 0, 1), 1),
    "quaternary": ((-3, -1, 1, 3), 3),
    "quinary": ((-2, -1, 0, 1, 2), 2),
}
LOGIT_CLIP = 5.0


def _weight_set(name: str) -> tuple[tuple, int]:
    key = str(name).strip().lower()
    if key not in WEIGHT_SETS:
        raise HardTargetError(f"unknown weight set {name!r}; valid: {', '.join(WEIGHT_SETS)}")
    return WEIGHT_SETS[key]


def init_logits(w: torch.Tensor, weights: str = "ternary", q_max: float = 0.95) -> torch.Tensor:
    """Log-probabilities ``(*w.shape, D)`` initializing the distributions from real weights ``w``.

    Positive and negative weights are mapped separately by their empirical CDF onto
    ``(0, w_D + delta/2]`` and ``[w_1 - delta/2, 0)`` (signs kept, scale removed), then
    equation 11 puts ``q_max`` on the nearest values, interpolating linearly between
    neighbours, and ``q_min = (1 - q_max) / (D - 1)`` on the rest.

    Parameters
    ----------
    w : torch.Tensor
        Real weights.
    weights : str, default="ternary"
        A weight set (:data:`WEIGHT_SETS`).
    q_max : float, default=0.95
        Probability of the nearest values.

    Returns
    -------
    torch.Tensor
    """
    ints, den = _weight_set(weights)
    v = torch.tensor(ints, dtype=torch.float64) / den
    d, delta = len(ints), float(v[1] - v[0])
    q_min = (1.0 - q_max) / (d - 1)
    if not q_min < q_max < 1:
        raise HardTargetError(f"q_max must be in (1/{d}, 1) for {d} weight values, got {q_max}")
    flat = w.detach().flatten().to(torch.float64).cpu()
    mapped = torch.zeros_like(flat)
    for sgn, top in ((1.0, float(v[-1]) + delta / 2), (-1.0, -float(v[0]) + delta / 2)):
        mask = sgn * flat > 0
        mags = (sgn * flat)[mask]
        if mags.numel():
            ecdf = (
                torch.searchsorted(mags.sort().values, mags, right=True).to(torch.float64)
                / mags.numel()
            )
            mapped[mask] = sgn * ecdf * top
    t = ((mapped - v[0]) / delta).clamp(0, d - 1)
    j = t.floor().clamp(max=d - 2).long()
    frac = t - j
    q = torch.full((flat.numel(), d), q_min, dtype=torch.float64)
    q.scatter_add_(1, j[:, None], ((q_max - q_min) * (1 - frac))[:, None])
    q.scatter_add_(1, j[:, None] + 1, ((q_max - q_min) * frac)[:, None])
    return torch.log(q).reshape(*w.shape, d).to(torch.float32)


class ProbLayer(nn.Module):
    """A dense (``kernel = 0``) or convolutional layer of independent weight distributions."""

    ints: torch.Tensor  # buffers: the integer weight values (``value * den``) and the values
    values: torch.Tensor

    def __init__(self, n_in: int, n_out: int, kernel: int = 0, weights: str = "ternary") -> None:
        super().__init__()
        ints, den = _weight_set(weights)
        self.weights, self.kernel = str(weights).strip().lower(), int(kernel)
        shape = (n_out, n_in, kernel, kernel) if kernel else (n_out, n_in)
        w = torch.empty(shape)
        nn.init.kaiming_uniform_(w, a=math.sqrt(5))
        self.logits = nn.Parameter(init_logits(w, weights))
        self.register_buffer("ints", torch.tensor(ints, dtype=torch.int8))
        self.register_buffer("values", torch.tensor(ints, dtype=torch.float32) / den)
        self.den = den
        self._values = tuple(i / den for i in ints)

    def clip_(self) -> None:
        """Clip the logits to ``[-LOGIT_CLIP, LOGIT_CLIP]`` in place."""
        with torch.no_grad():
            self.logits.clamp_(-LOGIT_CLIP, LOGIT_CLIP)

    def moments(self) -> tuple[torch.Tensor, torch.Tensor]:
        """Mean and variance of every weight (:func:`.fused.weight_moments`)."""
        mean, var = weight_moments(self.logits, self._values)
        return mean, var.clamp_min(VAR_EPS)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        self.clip_()
        mean, var = self.moments()
        if self.kernel:
            pad = self.kernel // 2
            return F.conv2d(x, mean, padding=pad), F.conv2d(x * x, var, padding=pad).clamp_min(
                VAR_EPS
            )
        x = x.flatten(1)
        return F.linear(x, mean), F.linear(x * x, var).clamp_min(VAR_EPS)

    def most_probable(self) -> torch.Tensor:
        """The most probable weight of every distribution, as integers (``value * den``)."""
        return self.ints[self.logits.argmax(-1)]


class DistBatchNorm(nn.Module):
    """Batch norm of Gaussians (eqs. 9-10); the running statistics are the discrete net's."""

    running_mean: torch.Tensor  # buffers
    running_var: torch.Tensor

    def __init__(self, n: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.ones(n))
        self.bias = nn.Parameter(torch.zeros(n))
        self.register_buffer("running_mean", torch.zeros(n))
        self.register_buffer("running_var", torch.ones(n))

    def forward(self, mu: torch.Tensor, var: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        dims = [d for d in range(mu.ndim) if d != 1]
        count = mu.numel() // mu.shape[1]
        if count < 2:
            raise HardTargetError(
                "batch norm over distributions needs batches of at least two values per unit"
            )
        shape = [1, -1] + [1] * (mu.ndim - 2)
        m_bn = mu.mean(dims, keepdim=True)
        v_bn = (var + (mu - m_bn) ** 2).sum(dims, keepdim=True) / (count - 1) + VAR_EPS
        g, b = self.weight.view(shape), self.bias.view(shape)
        return (mu - m_bn) * torch.rsqrt(v_bn) * g + b, var / v_bn * g * g


class WeightDistNet(nn.Module):
    """Distributions over discrete weights for a ``spec`` net (see :mod:`.arch`).

    Parameters
    ----------
    spec, in_shape, num_classes
        Hidden blocks, input ``(C, H, W)`` and number of classes.
    weights : {"ternary", "quaternary", "quinary"}
    activation : {"sign", "tanh"}
        ``tanh`` is the first stage of the two-stage procedure.
    dropout : float or sequence
        Probability per block input (input layer first); a dropped input removes both
        its mean and its variance contribution.
    tau : float
        Gumbel-softmax temperature.
    sample : bool
        Local reparameterization (default).  False propagates the expectations instead,
        ``E[sign(a)] = erf(mu / sqrt(2 var))`` (or ``tanh(mu)``) and the mean logits: a
        deterministic forward, without the sampling noise.
    lam : float
        Coefficient of the squared L2 norm of the logits (:meth:`regularization`).
    """

    stats_fresh: torch.Tensor  # a buffer: the batch-norm statistics match the weights
    _cache: DiscreteNet | None  # the discrete net of those statistics (kept out of the modules)

    def __init__(
        self,
        spec: list,
        in_shape: Sequence[int],
        num_classes: int,
        weights: str = "ternary",
        activation: str = "sign",
        dropout: Sequence[float] | float = 0.0,
        tau: float = 1.0,
        lam: float = 1e-10,
        sample: bool = True,
    ) -> None:
        super().__init__()
        if activation not in ("sign", "tanh"):
            raise HardTargetError(f"activation must be 'sign' or 'tanh', got {activation!r}")
        if tau <= 0:
            raise HardTargetError(f"the Gumbel-softmax temperature tau must be > 0, got {tau}")
        self.spec, self.in_shape, self.num_classes = list(spec), tuple(in_shape), int(num_classes)
        _weight_set(weights)
        self.weights, self.activation = str(weights).strip().lower(), activation
        self.tau, self.lam, self.sample = float(tau), float(lam), bool(sample)
        self.layout = block_layout(spec, in_shape)
        self.layout[-1] = (*self.layout[-1][:2], self.num_classes, *self.layout[-1][3:])
        self.layers = nn.ModuleList(ProbLayer(b[1], b[2], b[3], weights) for b in self.layout)
        self.bns = nn.ModuleList(DistBatchNorm(b[2]) for b in self.layout[:-1])
        self.bias = nn.Parameter(torch.zeros(self.num_classes))
        self.drops = dropouts(dropout, len(self.layout))
        self.register_buffer("stats_fresh", torch.tensor(False))
        object.__setattr__(self, "_cache", None)
        self.bn_batches = (
            None  # zero-arg callable of training input batches (RefreshBatchNorm sets it)
        )

    # -- construction ------------------------------------------------------------
    @classmethod
    def from_real(
        cls,
        real: RealNet,
        weights: str = "ternary",
        activation: str = "sign",
        q_max: float = 0.95,
        **kwargs,
    ) -> WeightDistNet:
        """Initialize from a pre-trained :class:`RealNet`: logits by :func:`init_logits`,
        batch-norm scale/shift and output bias copied.

        Parameters
        ----------
        real : RealNet
            The pre-trained net.
        weights : str, default="ternary"
            A weight set (:data:`WEIGHT_SETS`).
        activation : str, default="sign"
            ``sign`` or ``tanh``.
        q_max : float, default=0.95
            Probability put on the nearest values (equation 11).
        **kwargs
            Passed to the constructor.

        Returns
        -------
        WeightDistNet
        """
        net = cls(real.spec, real.in_shape, real.layout[-1][2], weights, activation, **kwargs)
        with torch.no_grad():
            for i, layer in enumerate(net._prob_layers()):
                layer.logits.copy_(init_logits(real.weight(i), weights, q_max))
            for bn, src in zip(net._dist_norms(), real._norms()):
                bn.weight.copy_(src.weight)
                bn.bias.copy_(src.bias)
            net.bias.copy_(real.bias)
        return net

    @classmethod
    def from_dist(cls, other: WeightDistNet, activation: str = "sign", **kwargs) -> WeightDistNet:
        """A copy of ``other``'s distributions with another activation (the second stage).

        Parameters
        ----------
        other : WeightDistNet
            The net whose distributions are copied.
        activation : str, default="sign"
            The new activation.
        **kwargs
            Passed to the constructor.

        Returns
        -------
        WeightDistNet
        """
        opts: dict[str, Any] = {
            "dropout": [d.p for d in other.drops],
            "tau": other.tau,
            "lam": other.lam,
            "sample": other.sample,
        } | kwargs
        net = cls(other.spec, other.in_shape, other.num_classes, other.weights, activation, **opts)
        state = {k: v for k, v in other.state_dict().items() if k != "stats_fresh"}
        net.load_state_dict(state, strict=False)
        return net

    def _prob_layers(self) -> list[ProbLayer]:
        """``layers`` typed: one ProbLayer per block (see ``__init__``)."""
        return cast("list[ProbLayer]", list(self.layers))

    def _dist_norms(self) -> list[DistBatchNorm]:
        """``bns`` typed: one DistBatchNorm per hidden block (see ``__init__``)."""
        return cast("list[DistBatchNorm]", list(self.bns))

    # -- training ----------------------------------------------------------------
    def regularization(self) -> torch.Tensor:
        """``lam * sum(logits ** 2)``: pulls the distributions towards uniform (section 6)."""
        if self.lam == 0:
            return torch.zeros(())
        norms = (squared_norm(layer.logits) for layer in self._prob_layers())
        return self.lam * sum(norms, torch.zeros(()))

    def clip_logits_(self) -> None:
        """Clip every logit to ``[-5, 5]`` (done before each training forward)."""
        for layer in self._prob_layers():
            layer.clip_()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training:
            return self._discrete()(x)
        self.stats_fresh.fill_(False)
        object.__setattr__(self, "_cache", None)
        h = x  # every ProbLayer clips its logits first
        for i, block in enumerate(self.layout[:-1]):
            mu, var = self.layers[i](self.drops[i](h))
            if block[4]:
                mu, var = max_pool_gauss(mu, var)
            h = self._activate(*self.bns[i](mu, var))
        mu, var = self.layers[-1](self.drops[-1](h).flatten(1))
        n = self.layout[-1][1]
        mu = mu / math.sqrt(n) + self.bias
        return gauss_sample(mu, var / n) if self.sample else mu

    def _activate(self, mu: torch.Tensor, var: torch.Tensor) -> torch.Tensor:
        """The next layer's observed input: a sample (or the expectation) after the activation."""
        if self.activation == "sign":
            return gumbel_sign(mu, var, self.tau) if self.sample else sign_mean(mu, var)
        return torch.tanh(gauss_sample(mu, var) if self.sample else mu)

    # -- the discrete network ------------------------------------------------------
    def to_discrete(self) -> DiscreteNet:
        """The most probable network: integer weights, this model's batch-norm parameters
        and the statistics of the last :meth:`recompute_bn`."""
        self.clip_logits_()
        first = self._prob_layers()[0]
        net = DiscreteNet(
            self.spec,
            self.in_shape,
            self.num_classes,
            [layer.most_probable() for layer in self._prob_layers()],
            first.den,
            self.activation,
        )
        with torch.no_grad():
            for bn, src in zip(net.bns, self.bns):
                for name in ("weight", "bias", "running_mean", "running_var"):
                    getattr(bn, name).copy_(getattr(src, name))
            net.bias.copy_(self.bias)
        return net.to(self.bias.device).eval()

    @torch.no_grad()
    def recompute_bn(self, batches: Iterable[torch.Tensor]) -> DiscreteNet:
        """Batch-norm statistics from a pass of the discrete network (section 5.1); returns it.

        Parameters
        ----------
        batches : iterable of torch.Tensor
            Input batches.
        """
        net = self.to_discrete()
        net.recompute_bn(batches)
        net.eval()
        for bn, src in zip(self._dist_norms(), net._norms()):
            if src.running_mean is None or src.running_var is None:  # (DiscreteNet keeps them)
                raise HardTargetError("recompute_bn needs batch norms with running statistics")
            bn.running_mean.copy_(src.running_mean)
            bn.running_var.copy_(src.running_var)
        self.stats_fresh.fill_(True)
        object.__setattr__(self, "_cache", net)
        return net

    def _discrete(self) -> DiscreteNet:
        if not bool(self.stats_fresh):
            if self.bn_batches is None:
                raise HardTargetError(
                    "the discrete network's batch-norm statistics are stale (the weights changed "
                    "since); call recompute_bn(training batches) before evaluating, or train with "
                    "the RefreshBatchNorm callback"
                )
            return self.recompute_bn(self.bn_batches())
        cache = self._cache
        if cache is None:
            cache = self.to_discrete()
            object.__setattr__(self, "_cache", cache)
        return cache
