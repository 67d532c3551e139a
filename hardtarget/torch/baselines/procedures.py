"""The two baselines' whole procedures, each a sequence of :func:`hardtarget.torch.fit` runs.

- :func:`train_cb`: continuous binarization (pre-training, one stage per layer).
- :func:`train_weight_dist`: real-valued ``tanh`` pre-training, discrete weights with
  ``tanh``, then discrete weights with ``sign`` (the two-stage procedure), and the final
  discrete network with batch-norm statistics from its own pass over the training data.

Both take the data (and ``test``, ``val``, ``batch_size``, ``seed``, ``preprocess``,
``device``, ``progress``, ``budget``, ``callbacks``) exactly as ``fit`` does, and the
optimizer options ``betas``, ``weight_decay``, ``decay_biases_and_norms``,
``milestones``/``gamma`` for their own Adam (:mod:`.runs`); ``out_dir`` and ``resume``
checkpoint and continue them as ``hardtarget train`` does.

Examples
--------
>>> from hardtarget.torch.baselines import CBNet, arch_spec, train_cb        # doctest: +SKIP
>>> res = train_cb(CBNet(arch_spec("mlp", hidden=(64,)), (1, 8, 8), 10), (X, y))  # doctest: +SKIP
>>> net = from_torch(res.network)   # a sign MLP, as a hardtarget Network  # doctest: +SKIP
"""

from __future__ import annotations

import os
import time
import warnings
from dataclasses import dataclass, field
from typing import Any

from torch import nn

from ...errors import HardTargetError
from ...status import Status
from ..fit_loop import fit
from .callbacks import CBStages, RefreshBatchNorm, input_batches
from .cb import CBNet
from .cb_stages import forced_message
from .plain import RealNet
from .runs import (
    adam,
    check_resume,
    checkpoints,
    locked,
    phase_schedule,
    save_final,
    split_options,
)
from .weight_dist import WeightDistNet

__all__ = ["BaselineResult", "train_cb", "train_weight_dist"]


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
    classes : list or None
        The data set's class labels in output order (set by ``train`` from a config).
    norm : tuple or None
        The per-channel ``(mean, std)`` applied to the inputs (set by ``train``).
    """

    model: nn.Module
    network: nn.Module | None
    history: list = field(default_factory=list)
    status: Status = Status.COMPLETED
    seconds: float = 0.0
    stages: dict = field(default_factory=dict)
    classes: list | None = None
    norm: tuple | None = None


def _phase(
    model: nn.Module,
    train: Any,
    name: str,
    epochs: int,
    optimizer,
    history: list,
    callbacks: list,
    kwargs: dict,
) -> Status:
    if epochs <= 0:
        return Status.COMPLETED
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


def _batches_per_epoch(train: Any, kwargs: dict) -> int | None:
    """Training steps per epoch, when the data says (None for a user's DataLoader or a
    ``val_split``, which ``fit`` applies)."""
    from ..sources import as_source

    if kwargs.get("val_split"):
        return None
    src = as_source(train, kwargs.get("batch_size", 64), "train")
    return None if src.user_loader else src.n_batches(int(os.environ.get("WORLD_SIZE", "1")))


def train_cb(
    model: CBNet,
    train: Any,
    *,
    pretrain_epochs: int = 10,
    stage_epochs: int | list = 5,
    lr: float = 1e-3,
    slope_lr: float = 1e-2,
    slope_schedule: str = "anneal",
    out_dir: str | os.PathLike[str] | None = None,
    resume: bool = False,
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
    slope_schedule : {"anneal", "fixed"}
        ``anneal`` scales the slope regularization to the stage's epochs and raises it
        until ``m`` reaches ``m_switch`` (:class:`CBStages`); ``fixed`` keeps ``lam``.
    out_dir : str or path, optional
        Checkpoints (``out_dir/cb/last.pt``, ``best.pt``, logs), the directory locked
        for the run.
    resume : bool
        Continue from ``out_dir/cb/last.pt``.
    **fit_kwargs
        Passed to :func:`~hardtarget.torch.fit`; ``betas``, ``weight_decay``,
        ``decay_biases_and_norms``, ``milestones``, ``gamma`` configure the Adam
        (``m, a`` are never decayed); ``scheduler`` steps it per epoch.

    Returns
    -------
    BaselineResult
        ``stages`` holds ``cb_epochs`` and ``swaps``: per hidden layer the slope
        reached, whether the swap was forced, and the top-1 on (up to 1024 samples of)
        ``val``, else ``test``, else the training data just before and after it (logged
        only: it does not steer training).
    """
    if not isinstance(model, CBNet):
        raise HardTargetError(f"train_cb needs a CBNet, got {type(model).__name__}")
    opts, kwargs = split_options(fit_kwargs, scheduler_ok=True)
    t0 = time.perf_counter()
    sched = CBStages(
        pretrain_epochs,
        stage_epochs,
        schedule=slope_schedule,
        probe=next(d for d in (kwargs.get("val"), kwargs.get("test"), train) if d is not None),
        preprocess=kwargs.get("preprocess"),
        batches_per_epoch=_batches_per_epoch(train, kwargs),
        warn=False,
    )
    epochs = sched.epochs(model.n_stages)
    slopes = [p for act in model.acts for p in (act.m, act.a)]
    ids = {id(p) for p in slopes}
    opt = adam(
        [
            {"params": [p for p in model.parameters() if id(p) not in ids], "lr": lr},
            {"params": slopes, "lr": slope_lr, "decay": False},
        ],
        opts,
    )
    kwargs.update(milestones=opts.milestones, gamma=opts.gamma)
    final_extra = kwargs.pop("final", {})
    history: list = []
    with locked(out_dir) as where:
        check_resume(where, resume, ["cb"])
        sig = {"spec": repr(model.spec), "epochs": epochs, "seed": kwargs.get("seed", 0)}
        sig["slope_schedule"] = slope_schedule
        ck = checkpoints(where, "cb", resume, sig, model)
        status = _phase(model, train, "cb", sum(epochs), opt, history, [sched, *ck], kwargs)
        model.binarize()
        mlp = model.to_sign_mlp() if all(b[0] == "fc" for b in model.spec) else None
        res = BaselineResult(
            model,
            mlp,
            history,
            status,
            time.perf_counter() - t0,
            {"cb_epochs": epochs, "swaps": sched.swaps},
        )
        save_final(where, res, final_extra)
    msg = forced_message(sched.swaps, model._pcfs()[0].m_switch if len(model.acts) else 0.0)
    if msg and status == Status.COMPLETED:
        warnings.warn(msg, UserWarning, stacklevel=2)
    return res


def _dist_optimizer(net: WeightDistNet, lr: float, logit_lr: float, opts, scale: float):
    logits = [layer.logits for layer in net.layers]
    ids = {id(p) for p in logits}
    return adam(
        [
            {"params": logits, "lr": logit_lr},
            {"params": [p for p in net.parameters() if id(p) not in ids], "lr": lr},
        ],
        opts,
        scale,
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
    out_dir: str | os.PathLike[str] | None = None,
    resume: bool = False,
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
    out_dir : str or path, optional
        Checkpoints of every phase (``out_dir/real``, ``tanh``, ``sign``), the directory
        locked for the run.
    resume : bool
        Continue from the last phase with a ``last.pt`` in ``out_dir``.
    **fit_kwargs
        Passed to :func:`~hardtarget.torch.fit`; ``betas``, ``weight_decay`` (in the
        distribution phases an L2 penalty on the logits, like ``lam``),
        ``decay_biases_and_norms``, ``milestones`` and ``gamma`` (epochs of the whole
        procedure) configure the Adam of every phase.  ``scheduler`` is refused.

    Returns
    -------
    BaselineResult
    """
    if not isinstance(real, RealNet):
        raise HardTargetError(
            f"train_weight_dist needs a RealNet to start from, got {type(real).__name__}"
        )
    opts, kwargs = split_options(fit_kwargs, scheduler_ok=False)
    kwargs["gamma"] = opts.gamma
    final_extra = kwargs.pop("final", {})
    t0 = time.perf_counter()
    history: list = []
    stages = {"real": real_epochs, "tanh": tanh_epochs, "sign": sign_epochs}
    sig = {"spec": repr(real.spec), "weights": weights, "seed": kwargs.get("seed", 0)}
    sig["epochs"] = [real_epochs, tanh_epochs, sign_epochs]
    with locked(out_dir) as where:
        check_resume(where, resume, list(stages))

        def run(model, name, offset, make_opt, extra):
            scale, kwargs["milestones"] = phase_schedule(opts, offset, stages[name])
            ck = checkpoints(where, name, resume, sig, model)
            return _phase(
                model, train, name, stages[name], make_opt(scale), history, [*extra, *ck], kwargs
            )

        status = run(
            real,
            "real",
            0,
            lambda sc: adam([{"params": real.parameters(), "lr": lr}], opts, sc),
            [],
        )
        drop = [d.p for d in real.drops] if dropout is None else dropout
        net = WeightDistNet.from_real(
            real, weights, "tanh" if tanh_epochs > 0 else "sign", q_max, tau=tau, dropout=drop
        )
        bn = RefreshBatchNorm(
            train, max(256, kwargs.get("batch_size", 64)), kwargs.get("preprocess")
        )
        dist_opt = lambda sc: _dist_optimizer(net, lr, logit_lr, opts, sc)  # noqa: E731
        if tanh_epochs > 0 and status == Status.COMPLETED:
            status = run(net, "tanh", real_epochs, dist_opt, [bn])
            if status == Status.COMPLETED:
                net = WeightDistNet.from_dist(net, "sign")
        if status == Status.COMPLETED:
            status = run(net, "sign", real_epochs + tanh_epochs, dist_opt, [bn])
        device = next(net.parameters()).device
        final = net.recompute_bn(input_batches(train, bn.batch_size, bn.preprocess, device)())
        fc = all(b[0] == "fc" for b in final.layout[:-1])
        mlp = final.to_sign_mlp() if fc and final.activation == "sign" else None
        res = BaselineResult(final, mlp, history, status, time.perf_counter() - t0, stages)
        save_final(where, res, final_extra)
    return res
