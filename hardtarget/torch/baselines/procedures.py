"""The two baselines' whole procedures, each a sequence of :func:`hardtarget.torch.fit` runs.

- :func:`train_cb`: continuous binarization (pre-training, one stage per layer).
- :func:`train_weight_dist`: real-valued ``tanh`` pre-training, discrete weights with
  ``tanh``, then discrete weights with ``sign`` (the two-stage procedure), and the final
  discrete network with batch-norm statistics from its own pass over the training data.

Both take the data (and ``test``, ``val``, ``batch_size``, ``seed``, ``preprocess``,
``device``, ``progress``, ``stop``, ``callbacks``) exactly as ``fit`` does.

Examples
--------
>>> from hardtarget.torch.baselines import CBNet, arch_spec, train_cb        # doctest: +SKIP
>>> res = train_cb(CBNet(arch_spec("mlp", hidden=(64,)), (1, 8, 8), 10), (X, y))  # doctest: +SKIP
>>> net = from_torch(res.network)   # a sign MLP, as a hardtarget Network  # doctest: +SKIP
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from ...errors import HardTargetError
from ..trainer import fit
from .callbacks import CBStages, DiscreteBN, input_batches
from .cb import CBNet
from .plain import RealNet
from .weight_dist import WeightDistNet

__all__ = ["BaselineResult", "train_cb", "train_weight_dist"]

_FIXED = ("epochs", "optimizer", "lr")


@dataclass
class BaselineResult:
    """Outcome of a baseline procedure.

    ``model`` is the final network (a binarized :class:`CBNet` or a :class:`DiscreteNet`);
    ``network`` the same as a sign :class:`~hardtarget.torch.models.MLP` when it is fully
    connected with sign units (else ``None``; an interrupted weight-distribution run may end
    with ``tanh`` units); ``history`` holds every phase's rows, tagged ``phase``.

    Parameters
    ----------
    model, network, history, status
        See above.
    seconds : float
        Training time.
    stages : dict
        Epochs of each phase.
    """

    model: nn.Module
    network: nn.Module | None
    history: list = field(default_factory=list)
    status: str = "completed"
    seconds: float = 0.0
    stages: dict = field(default_factory=dict)


def _check(kwargs: dict) -> None:
    bad = [k for k in _FIXED if k in kwargs]
    if bad:
        raise HardTargetError(
            f"{', '.join(bad)} are set by the procedure; use its own epoch and "
            "learning-rate arguments"
        )


def _phase(
    model: nn.Module,
    train: Any,
    name: str,
    epochs: int,
    optimizer,
    history: list,
    callbacks: list,
    kwargs: dict,
) -> str:
    if epochs <= 0:
        return "completed"
    res = fit(
        model,
        train,
        epochs=epochs,
        optimizer=optimizer,
        callbacks=[*callbacks, *kwargs.get("callbacks", ())],
        **{k: v for k, v in kwargs.items() if k != "callbacks"},
    )
    history += [{"phase": name, **row} for row in res.history]
    return res.status


def train_cb(
    model: CBNet,
    train: Any,
    *,
    pretrain_epochs: int = 10,
    stage_epochs: int | list = 5,
    lr: float = 1e-3,
    slope_lr: float = 1e-2,
    **fit_kwargs,
) -> BaselineResult:
    """Continuous binarization of ``model`` (Algorithm 1) with Adam.

    Parameters
    ----------
    model : CBNet
    train : data
        Anything :func:`~hardtarget.torch.fit` takes.
    pretrain_epochs : int
        Epochs of the clipping network with ``m, a`` fixed (stage 0).
    stage_epochs : int or list
        Epochs of each later stage (one per hidden activation, then the output layer).
    lr, slope_lr : float
        Learning rates of the weights and of the slopes and scales ``m, a``.
    **fit_kwargs
        Passed to :func:`~hardtarget.torch.fit` (``test``, ``batch_size``, ``device``, ...).
    """
    if not isinstance(model, CBNet):
        raise HardTargetError(f"train_cb needs a CBNet, got {type(model).__name__}")
    _check(fit_kwargs)
    t0 = time.perf_counter()
    sched = CBStages(pretrain_epochs, stage_epochs)
    slopes = [p for act in model.acts for p in (act.m, act.a)]
    ids = {id(p) for p in slopes}
    opt = torch.optim.Adam(
        [
            {"params": [p for p in model.parameters() if id(p) not in ids], "lr": lr},
            {"params": slopes, "lr": slope_lr},
        ]
    )
    history: list = []
    status = _phase(
        model, train, "cb", sched.total(model.n_stages), opt, history, [sched], fit_kwargs
    )
    model.binarize()
    mlp = model.to_sign_mlp() if all(b[0] == "fc" for b in model.spec) else None
    return BaselineResult(
        model,
        mlp,
        history,
        status,
        time.perf_counter() - t0,
        {"cb_epochs": sched.epochs(model.n_stages)},
    )


def _dist_optimizer(net: WeightDistNet, lr: float, logit_lr: float) -> torch.optim.Optimizer:
    logits = [layer.logits for layer in net.layers]
    ids = {id(p) for p in logits}
    return torch.optim.Adam(
        [
            {"params": logits, "lr": logit_lr},
            {"params": [p for p in net.parameters() if id(p) not in ids], "lr": lr},
        ]
    )


def train_weight_dist(
    real: RealNet,
    train: Any,
    *,
    weights: str = "ternary",
    real_epochs: int = 10,
    tanh_epochs: int = 5,
    sign_epochs: int = 10,
    lr: float = 1e-3,
    logit_lr: float = 1e-2,
    q_max: float = 0.95,
    tau: float = 1.0,
    dropout: float | list | None = None,
    **fit_kwargs,
) -> BaselineResult:
    """Discrete weight distributions with sign activations, from a real-valued ``tanh`` net.

    Parameters
    ----------
    real : RealNet
        The real-valued net; trained for ``real_epochs`` first (0: it is pre-trained).
    train : data
        Anything :func:`~hardtarget.torch.fit` takes.
    weights : {"ternary", "quaternary", "quinary"}
    real_epochs, tanh_epochs, sign_epochs : int
        Epochs of the real net, of discrete weights with ``tanh`` (0 skips this first
        stage) and of discrete weights with ``sign``.
    lr, logit_lr : float
        Adam learning rates (the paper: 1e-3 for batch norm and bias, 1e-2 for logits).
    q_max, tau : float
        Initial largest probability (eq. 11) and Gumbel-softmax temperature.
    dropout : float or list, optional
        Dropout of the distribution nets (default: the real net's).
    **fit_kwargs
        Passed to :func:`~hardtarget.torch.fit` (``test``, ``batch_size``, ``device``, ...).
    """
    if not isinstance(real, RealNet):
        raise HardTargetError(
            f"train_weight_dist needs a RealNet to start from, got {type(real).__name__}"
        )
    _check(fit_kwargs)
    t0 = time.perf_counter()
    history: list = []
    status = _phase(
        real,
        train,
        "real",
        real_epochs,
        torch.optim.Adam(real.parameters(), lr=lr),
        history,
        [],
        fit_kwargs,
    )
    drop = [d.p for d in real.drops] if dropout is None else dropout
    net = WeightDistNet.from_real(
        real, weights, "tanh" if tanh_epochs > 0 else "sign", q_max, tau=tau, dropout=drop
    )
    bn = DiscreteBN(train, max(256, fit_kwargs.get("batch_size", 64)), fit_kwargs.get("preprocess"))
    stages = {"real": real_epochs, "tanh": tanh_epochs, "sign": sign_epochs}
    if tanh_epochs > 0 and status == "completed":
        status = _phase(
            net,
            train,
            "tanh",
            tanh_epochs,
            _dist_optimizer(net, lr, logit_lr),
            history,
            [bn],
            fit_kwargs,
        )
        if status == "completed":
            net = WeightDistNet.from_dist(net, "sign")
    if status == "completed":
        status = _phase(
            net,
            train,
            "sign",
            sign_epochs,
            _dist_optimizer(net, lr, logit_lr),
            history,
            [bn],
            fit_kwargs,
        )
    device = next(net.parameters()).device
    final = net.recompute_bn(input_batches(train, bn.batch_size, bn.preprocess, device)())
    fc = all(b[0] == "fc" for b in final.layout[:-1])
    mlp = final.to_sign_mlp() if fc and final.activation == "sign" else None
    return BaselineResult(final, mlp, history, status, time.perf_counter() - t0, stages)
