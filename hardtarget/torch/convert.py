"""Bridge to the exact engine: a hardtarget :class:`~hardtarget.Network` <-> a torch MLP.

A ``Network`` applies its activation to every layer, the output layer included; the
torch :class:`~hardtarget.torch.models.MLP` returns the output pre-activations (for a
training loss).  :func:`predict_exact` applies the output activation and sums each
pre-activation in the ``Network``'s order (``((h_0 w_0 + h_1 w_1) + ...) + b``, float64),
so its predictions equal ``Network.predict`` bit for bit.

Examples
--------
>>> import numpy as np, hardtarget as ht                                     # doctest: +SKIP
>>> net = ht.Network([np.ones((3, 2)), np.ones((3, 1))], ["sign", "sign"])  # doctest: +SKIP
>>> from_torch(to_torch(net)).weights[0].shape                               # doctest: +SKIP
(3, 2)
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from ..errors import HardTargetError
from ..network import Network
from .functional import HardActivation, hard_forward
from .models import MLP

__all__ = ["to_torch", "from_torch", "predict_exact"]


def to_torch(
    network: Network,
    rule: str = "soft_hinge",
    weighted: bool = True,
    dtype: torch.dtype = torch.float64,
) -> MLP:
    """An :class:`MLP` with ``network``'s weights (``Linear.weight = W[:-1].T``, bias ``W[-1]``).

    Parameters
    ----------
    network : Network
        A fully connected hard-threshold network.
    rule : str, default="soft_hinge"
        The layer loss that trains hard units (``soft_hinge``/``ftp-sh``,
        ``saturated_hinge``/``sste``, ``hinge``, ``ste``); default ``soft_hinge``.
    weighted : bool, default=True
        Weight each unit's layer loss by ``|dL/dh|`` (equation 3).
    dtype : torch.dtype, default=torch.float64
        Parameter dtype.

    Returns
    -------
    MLP

    Examples
    --------
    >>> import numpy as np
    >>> from hardtarget import Network
    >>> from hardtarget.torch import from_torch
    >>> net = Network([np.array([[1.0], [1.0], [-1.0]])], ["sign"])
    >>> back = from_torch(to_torch(net))
    >>> back.predict(np.array([[1.0, 1.0], [1.0, -1.0]])).tolist()
    [1.0, -1.0]
    """
    if not isinstance(network, Network):
        raise HardTargetError(f"to_torch needs a hardtarget Network, got {type(network).__name__}")
    names = {a.name for a in network.activations}
    if len(names) != 1:
        raise HardTargetError(f"to_torch needs one activation for every layer, got {sorted(names)}")
    sizes = [network.n_features, *network.widths]
    mlp = MLP(sizes, names.pop(), rule, weighted).to(dtype)
    linears = [m for m in mlp.net if isinstance(m, nn.Linear)]
    with torch.no_grad():
        for lin, W in zip(linears, network.weights, strict=True):
            lin.weight.copy_(torch.from_numpy(np.ascontiguousarray(W[:-1].T)))
            lin.bias.copy_(torch.from_numpy(W[-1].copy()))
    return mlp


def _layers(module: nn.Module) -> tuple[list, str]:
    if not isinstance(module, MLP):
        raise HardTargetError(
            f"from_torch needs a hardtarget.torch MLP (Linear layers + hard activations), "
            f"got {type(module).__name__}"
        )
    mods = [m for m in module.net if not isinstance(m, nn.Flatten)]
    linears = [m for m in mods if isinstance(m, nn.Linear)]
    acts = [m for m in mods if isinstance(m, HardActivation)]
    other = [m for m in mods if not isinstance(m, (nn.Linear, HardActivation))]
    if other:
        raise HardTargetError(
            "from_torch converts only hard-threshold MLPs (sign, step, qrelu<k>); "
            f"this one uses {type(other[0]).__name__}"
        )
    if any(lin.bias is None for lin in linears):
        raise HardTargetError("from_torch needs Linear layers with a bias")
    name = "sign"
    if acts:
        r = acts[0].rule
        name = f"qrelu{r.k}" if r.kind == "qrelu" else r.kind
    else:
        name = getattr(module, "activation", "sign")
    return linears, name


def from_torch(
    module: nn.Module, classes=None, binary: bool = False, norm: tuple | None = None
) -> Network:
    """A ``Network`` with the module's weights (float64) and its activation on every layer.

    Parameters
    ----------
    module : MLP
        Linear layers with hard activations between them.
    classes : array, optional
        Original labels of the two outputs of a binary network (stored in the Network).
    binary : bool
        Collapse a two-logit output layer into one unit ``z_1 - z_0``: its sign is the
        arg-max (ties go to class 0, as ``sign(0) = -1`` does), the form the exact engine uses.
    norm : (mean, std), optional
        Per-channel input normalization the module was trained with; it is folded into
        the first layer, so the Network takes un-normalized inputs (equal up to rounding).
    """
    linears, name = _layers(module)
    weights = [
        np.vstack(
            [
                lin.weight.detach().cpu().double().numpy().T,
                lin.bias.detach().cpu().double().numpy()[None, :],
            ]
        )
        for lin in linears
    ]
    if norm is not None:
        mean, std = (np.asarray(v, dtype=np.float64) for v in norm)
        n = weights[0].shape[0] - 1
        if mean.shape != std.shape or mean.ndim != 1 or n % mean.size:
            raise HardTargetError(
                f"norm must be two equal-length per-channel lists dividing {n} inputs"
            )
        m, sd = np.repeat(mean, n // mean.size), np.repeat(std, n // mean.size)
        W = weights[0]
        weights[0] = np.vstack([W[:-1] / sd[:, None], W[-1:] - (m / sd) @ W[:-1]])
    if binary:
        last = weights[-1]
        if last.shape[1] != 2:
            raise HardTargetError(
                f"binary=True needs a two-output module, this one has {last.shape[1]} outputs"
            )
        weights[-1] = last[:, 1:2] - last[:, 0:1]
    return Network(weights, [name] * len(weights), classes)


@torch.no_grad()
def predict_exact(module: MLP, X) -> torch.Tensor:
    """``Network.predict`` semantics in torch: float64, the Network's summation order,
    the activation on the output layer too (``m`` or ``m x n_out``)."""
    linears, name = _layers(module)
    from .functional import parse_activation

    kind, k = parse_activation(name)
    h = torch.as_tensor(
        np.asarray(X, dtype=np.float64) if not torch.is_tensor(X) else X, dtype=torch.float64
    )
    h = h.reshape(h.shape[0], -1)
    for lin in linears:
        W = lin.weight.detach().double().T
        z = h[:, 0:1] * W[0]
        for f in range(1, W.shape[0]):
            z = z + h[:, f : f + 1] * W[f]
        h = hard_forward(z + lin.bias.detach().double(), kind, k)
    return h[:, 0] if h.shape[1] == 1 else h
