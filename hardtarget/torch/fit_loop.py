"""``fit``: train any torch model that returns logits, on any data, with FTPROP-MB activations.

The loop is plain mini-batch training; what makes it FTPROP-MB is the backward of the
hard activations inside the model.  Other trainers plug in through ``loss_fn``, a
``model.regularization()`` term, an optimizer or scheduler of their own and callbacks
(:mod:`hardtarget.torch.callbacks`), which may freeze and unfreeze layers per epoch.

Reproducing a plain PyTorch protocol exactly
--------------------------------------------
Build the model after ``torch.manual_seed(s)`` as the plain script does, pass its own
``DataLoader`` (``shuffle=True`` draws from the global RNG) as ``train`` and, if it
evaluates every epoch, its test ``DataLoader`` as ``test``, and give ``seed=None`` so
``fit`` leaves the global RNG alone.  With ``optimizer="adam"`` (or ``"sgd"``) and no
weight decay the parameters form one group, as in ``Adam(model.parameters(), lr)``,
and the loss is the mean cross-entropy: the weights then equal the plain loop's bit
for bit (``tests/torch/test_fit.py`` checks it).  Iterating a DataLoader draws one
number from the global RNG per pass, so the order of train and test passes matters:
``fit`` runs the training pass, then ``val``, then ``test``, every epoch.

With an integer ``seed`` instead, every epoch seeds the global RNG from
``(seed, epoch)`` and shuffles arrays and Datasets with its own generator, so a run
resumed from a checkpoint equals an uninterrupted one.
"""

from __future__ import annotations

import math
import os
import sys
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from ..budget import Budget
from ..errors import HardTargetError
from ..status import Status
from ._checks import check_compile, check_counts, check_device, check_rates
from .callbacks import best_metric
from .evaluation import correct, evaluate_source, prepare
from .precision import (
    autocast,
    canonical_precision,
    grad_scaler,
    model_channels_last,
)
from .sources import ArrayData, Source, as_source, holdout

__all__ = ["fit", "FitResult", "TrainerState", "OPTIMIZERS"]

OPTIMIZERS = ("adam", "sgd")


@dataclass
class TrainerState:
    """What callbacks see and may change during :func:`fit`.

    ``epoch`` is 1-based; ``row`` is the current epoch's metrics; setting ``stop`` ends
    the run after the current epoch.  ``start_epoch`` (0-based) and ``history`` may be
    set by a resuming callback in ``on_fit_start``.

    Parameters
    ----------
    model, net : torch.nn.Module
        The model as given, and as trained (compiled or wrapped for data parallelism).
    optimizer, scheduler, scaler
        The optimizer, LR scheduler and gradient scaler of the run.
    epochs : int
        Epochs of the run.
    device : torch.device
        Where it runs.
    rank, world : int
        This process's rank and the number of processes (data parallelism).
    epoch, start_epoch : int
        The current epoch (1-based) and the first one (0-based, set when resuming).
    history : list of dict
        Rows of the finished epochs.
    row : dict
        The current epoch's metrics.
    best : dict
        The best row so far.
    improved : bool
        Whether this epoch is the best so far.
    stop : bool
        Set to end the run after this epoch.
    status : Status
        ``running``, then how the run ended.
    saved : str or None
        The last checkpoint written.
    batch_loss : float
        Loss of the last batch.
    batch_size : int
        Size of the last batch.
    """

    model: nn.Module
    net: nn.Module
    optimizer: torch.optim.Optimizer
    scheduler: Any
    scaler: torch.amp.GradScaler
    epochs: int
    device: torch.device
    rank: int = 0
    world: int = 1
    epoch: int = 0
    start_epoch: int = 0
    history: list = field(default_factory=list)
    row: dict = field(default_factory=dict)
    best: dict = field(default_factory=lambda: {"epoch": 0, "metric": -math.inf, "monitor": None})
    improved: bool = False
    stop: bool = False
    status: Status = Status.RUNNING
    saved: str | None = None
    batch_loss: float = 0.0
    batch_size: int = 0


@dataclass
class FitResult:
    """Outcome of :func:`fit`: the trained model, per-epoch history, the best epoch, status.

    ``status`` is ``completed``, ``stopped`` (a callback set ``stop``), ``interrupted`` (the
    ``budget`` was cancelled, e.g. by Ctrl-C) or ``time_limit`` (its time ran out); after
    the last two the model is as the last step left it.

    Parameters
    ----------
    model : torch.nn.Module
        The trained model.
    history : list of dict
        One row of metrics per epoch.
    best : dict
        The best epoch's row and the metric it was chosen by (``monitor``).
    status : Status
        See above.
    """

    model: nn.Module
    history: list
    best: dict
    status: Status


@dataclass
class _Options:
    epochs: int
    seed: int | None
    precision: str
    channels_last: bool
    loss_fn: Callable
    transform: Callable | None
    preprocess: Callable | None
    progress: bool | None
    budget: Budget | None
    stop: Callable[[], bool] | None  # deprecated: a Budget says it
    eval_batch_size: int
    shuffle_seed: int = 0  # seeds the order of arrays and Datasets (see shuffle_seed)


def fit(
    model: nn.Module,
    train: Any,
    *,
    test: Any = None,
    val: Any = None,
    val_split: float = 0.0,
    stratify: bool = True,
    epochs: int = 10,
    batch_size: int = 64,
    optimizer: str | torch.optim.Optimizer | Callable = "adam",
    lr: float = 1e-3,
    momentum: float = 0.9,
    weight_decay: float = 0.0,
    decay_biases_and_norms: bool = False,
    milestones: Sequence[int] = (),
    gamma: float = 0.1,
    scheduler: Callable | None = None,
    loss_fn: Callable | None = None,
    transform: Callable | None = None,
    preprocess: Callable | None = None,
    callbacks: Sequence[Any] = (),
    seed: int | None = 0,
    device: str | torch.device = "cpu",
    precision: str = "fp32",
    channels_last: bool = False,
    compile: bool | str = False,
    deterministic: bool = True,
    progress: bool | None = None,
    budget: Budget | None = None,
    stop: Callable[[], bool] | None = None,
) -> FitResult:
    """Train ``model`` on ``train`` by mini-batch gradient steps (FTPROP-MB for hard layers).

    Parameters
    ----------
    model : torch.nn.Module
        Any module whose forward returns logits (or whatever ``loss_fn`` takes).  If it
        has a ``regularization()`` method, its value is added to every batch's loss.
    train, test, val : data
        ``(X, y)`` arrays or tensors, a map-style ``Dataset`` of ``(x, y)`` pairs, a
        ``DataLoader`` (iterated as it is), or an object with ``batch(idx)``.
        ``test`` and ``val`` are evaluated after every epoch.
    val_split : float, default=0.0
        Fraction of ``train`` held out as ``val`` (not with a DataLoader, nor with ``val``).
    stratify : bool, default=True
        Hold out the same fraction of every class; seeded by ``seed`` (see below if ``None``).
    epochs, batch_size : int, default=10, 64
        ``batch_size`` is ignored for a DataLoader.
    optimizer : {"adam", "sgd"}, torch.optim.Optimizer or callable, default="adam"
        A name, an optimizer already built on ``model``'s parameters, or a callable
        taking the parameter groups (``functools.partial(torch.optim.AdamW, lr=1e-3)``).
    lr, momentum : float, default=1e-3, 0.9
        Learning rate; momentum of ``sgd``.
    weight_decay : float, default=0.0
        L2 penalty, on weight matrices and kernels only unless ``decay_biases_and_norms``.
    milestones, gamma : default=(), 0.1
        Multiply the learning rate by ``gamma`` after these epochs.
    scheduler : callable, default=None
        ``scheduler(optimizer)`` returns an LR scheduler stepped once per epoch (replaces
        ``milestones``).
    loss_fn : callable, default=None
        ``loss_fn(logits, y)`` returns the mean batch loss; default cross-entropy.
    transform : callable, default=None
        ``transform(x, generator)`` augments each training batch (on the CPU).
    preprocess : callable, default=None
        Applied to every batch on ``device`` (training and evaluation), e.g. normalization.
    callbacks : sequence of Callback, default=()
        See :mod:`hardtarget.torch.callbacks`.
    seed : int or None, default=0
        Seeds shuffling, augmentation and the global RNG per epoch; ``None`` leaves the
        global RNG alone (to reproduce a plain PyTorch loop; see the module docstring) and
        shuffles arrays and Datasets by ``torch.initial_seed()``, the seed the model was
        built under (:func:`shuffle_seed`).
    device : {"cpu", "cuda"} or torch.device, default="cpu"
    precision : {"fp32", "bf16", "fp16"}, default="fp32"
        Autocast mixed precision; ``fp16`` also scales the loss.
    channels_last : bool, default=False
        Channels-last memory format for model and image batches.
    compile : bool or str, default=False
        ``torch.compile`` the model (a string names the backend).
    deterministic : bool, default=True
        Deterministic algorithms during the run (warn-only on CUDA); restored after.
    progress : bool or None, default=None
        A progress bar per epoch (``None``: when stderr is a terminal).
    budget : hardtarget.budget.Budget, default=None
        Checked before every batch: once cancelled the run ends as ``interrupted``, once
        its time limit has passed as ``time_limit`` (the epoch in progress is not
        finished; checkpoints keep the last finished one).
    stop : callable, default=None
        Deprecated (use ``budget``): checked before every batch; True ends the run as
        ``interrupted``.
    decay_biases_and_norms : bool, default=False
        Also apply ``weight_decay`` to biases and normalization parameters.

    Returns
    -------
    FitResult
        Per-epoch rows hold ``train_loss``, ``train_top1``, ``val_*``/``test_*`` (``loss``,
        ``top1``, ``top5``), ``lr``, ``train_seconds``, ``eval_seconds``, ``seconds``.

    Examples
    --------
    >>> import numpy as np
    >>> from hardtarget.torch import fit, make_model
    >>> X = np.random.default_rng(0).random((64, 1, 8, 8)); y = (X.mean((1, 2, 3)) > .5)
    >>> net = make_model("mlp", "sign", in_shape=(1, 8, 8), num_classes=2)
    >>> fit(net, (X, y), epochs=2, batch_size=16).history[-1]["epoch"]
    2
    """
    check_rates(
        lr=lr, momentum=momentum, weight_decay=weight_decay, gamma=gamma, val_split=val_split
    )
    check_counts(epochs=epochs, batch_size=batch_size)
    compile = check_compile(compile)
    if stop is not None:
        warnings.warn(
            "fit(stop=...) is deprecated; pass budget=hardtarget.budget.Budget(...) and "
            "cancel it (budget.cancel()) to stop the run",
            DeprecationWarning,
            stacklevel=2,
        )
    if not isinstance(model, nn.Module):
        raise HardTargetError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    opts = _Options(
        epochs,
        seed,
        canonical_precision(precision),
        bool(channels_last),
        loss_fn or F.cross_entropy,
        transform,
        preprocess,
        progress,
        budget,
        stop,
        max(batch_size, 256),
        shuffle_seed(seed),
    )
    dev = check_device(device)
    was_det = torch.are_deterministic_algorithms_enabled()
    if deterministic:
        torch.use_deterministic_algorithms(True, warn_only=dev.type == "cuda")
    try:
        src, val_src, test_src = _sources(
            train, test, val, val_split, stratify, batch_size, opts.shuffle_seed
        )
        if loss_fn is None and isinstance(src.data, ArrayData) and src.data.y.is_floating_point():
            raise HardTargetError(
                "y holds real numbers, but the default loss is cross-entropy over class "
                "labels: pass integer labels 0..K-1, or a loss_fn for real targets"
            )
        state = _setup(
            model,
            dev,
            opts,
            optimizer,
            lr,
            momentum,
            weight_decay,
            decay_biases_and_norms,
            milestones,
            gamma,
            scheduler,
            compile,
        )
        return _run(state, opts, src, [("val", val_src), ("test", test_src)], list(callbacks))
    finally:
        torch.use_deterministic_algorithms(was_det)


def _sources(train, test, val, val_split, stratify, batch_size, seed) -> tuple:
    src = as_source(train, batch_size, "train")
    if val_split > 0:
        if val is not None:
            raise HardTargetError("give either val data or val_split, not both")
        if src.user_loader:
            raise HardTargetError(
                "val_split needs arrays or a Dataset to split, not a "
                "DataLoader; split the data yourself and pass val"
            )
        kept, held = holdout(src.data, val_split, seed, stratify)
        src = Source(kept, batch_size)
        val = held
    evals = [
        None if d is None else as_source(d, max(batch_size, 256), what)
        for d, what in ((val, "val"), (test, "test"))
    ]
    return src, evals[0], evals[1]


def _param_groups(model: nn.Module, weight_decay: float, decay_all: bool) -> list:
    params = list(model.parameters())
    if weight_decay == 0 or decay_all:
        return [{"params": params, "weight_decay": weight_decay}]
    groups = [
        {"params": [p for p in params if p.ndim > 1], "weight_decay": weight_decay},
        {"params": [p for p in params if p.ndim <= 1], "weight_decay": 0.0},
    ]
    return [g for g in groups if g["params"]]


def _make_optimizer(model, optimizer, lr, momentum, weight_decay, decay_all):
    if isinstance(optimizer, torch.optim.Optimizer):
        return optimizer
    groups = _param_groups(model, weight_decay, decay_all)
    if callable(optimizer):
        return optimizer(groups)
    name = str(optimizer).strip().lower()
    if name == "adam":
        return torch.optim.Adam(groups, lr=lr)
    if name == "sgd":
        return torch.optim.SGD(groups, lr=lr, momentum=momentum)
    raise HardTargetError(
        f"unknown optimizer {optimizer!r}; valid: {', '.join(OPTIMIZERS)}, "
        "a torch.optim.Optimizer, or a callable taking parameter groups"
    )


def _dist_setup(device: torch.device) -> tuple[int, int]:
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return 0, 1
    import torch.distributed as dist

    if not dist.is_initialized():
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    return dist.get_rank(), dist.get_world_size()


def _setup(
    model,
    dev,
    opts,
    optimizer,
    lr,
    momentum,
    weight_decay,
    decay_all,
    milestones,
    gamma,
    scheduler,
    compile,
) -> TrainerState:
    rank, world = _dist_setup(dev)
    model.to(dev)
    if opts.channels_last:
        model_channels_last(model)
    opt = _make_optimizer(model, optimizer, lr, momentum, weight_decay, decay_all)
    if scheduler is not None:
        sched = scheduler(opt)
    elif milestones:
        sched = torch.optim.lr_scheduler.MultiStepLR(opt, [int(m) for m in milestones], gamma)
    else:
        sched = None
    net: nn.Module = model
    if world > 1:
        ids = [dev.index] if dev.type == "cuda" else None
        net = nn.parallel.DistributedDataParallel(model, device_ids=ids)
    if compile:  # (a compiled module is an OptimizedModule; torch's stubs say Callable)
        net = torch.compile(net, backend=compile)  # type: ignore[assignment]
    return TrainerState(
        model, net, opt, sched, grad_scaler(dev, opts.precision), opts.epochs, dev, rank, world
    )


def _epoch_seed(seed: int, epoch: int, rank: int = 0) -> int:
    return (seed * 1_000_003 + epoch * 7919 + rank) % (2**63)


def _run(
    state: TrainerState, opts: _Options, src: Source, evals: list, callbacks: list
) -> FitResult:
    started: list = []  # on_fit_end runs for exactly these, whatever happens
    try:
        for cb in callbacks:
            _hook(cb, "on_fit_start", state)
            started.append(cb)
        for epoch in range(state.start_epoch, opts.epochs):
            state.epoch, state.row, state.improved = epoch + 1, {"epoch": epoch + 1}, False
            if opts.seed is not None:
                torch.manual_seed(_epoch_seed(opts.seed, epoch))
            for cb in callbacks:
                _hook(cb, "on_epoch_start", state)
            t0 = time.perf_counter()
            ended = _train_epoch(state, opts, src, callbacks)
            if ended is not None:
                state.status = ended
                break
            t1 = time.perf_counter()
            _finish_epoch(state, opts, evals)
            state.row.update(
                train_seconds=t1 - t0,
                eval_seconds=time.perf_counter() - t1,
                seconds=time.perf_counter() - t0,
            )
            for cb in callbacks:
                _hook(cb, "on_epoch_end", state)
            if state.stop:
                state.status = Status.STOPPED
                break
        else:
            state.status = Status.COMPLETED
        if state.world > 1:
            for buf in state.model.buffers():  # batch-norm statistics: take rank 0's
                torch.distributed.broadcast(buf, 0)
    except BaseException:
        state.status = Status.FAILED
        raise
    finally:
        for cb in started:
            _hook(cb, "on_fit_end", state)
    return FitResult(state.model, state.history, state.best, state.status)


def _hook(cb: Any, name: str, state: TrainerState) -> None:
    fn = getattr(cb, name, None)
    if fn is not None:
        fn(state)


def _progress(total: int | None, enabled: bool | None, desc: str):
    if enabled is None:
        enabled = sys.stderr.isatty()
    if not enabled:
        return None
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, leave=False)


def shuffle_seed(seed: int | None) -> int:
    """The seed of the batch order (and the ``val_split`` and augmentation draws) of arrays
    and Datasets: ``seed`` itself, or with ``seed=None`` the global torch RNG's initial
    seed, the ``s`` of the ``torch.manual_seed(s)`` that the model was built after (read
    without drawing from the RNG), so that models of different seeds see different orders.

    Parameters
    ----------
    seed : int or None

    Returns
    -------
    int
    """
    return int(seed) if seed is not None else torch.initial_seed() % 2**32


def _batches(state: TrainerState, opts: _Options, src: Source) -> Iterator[tuple]:
    seed = opts.shuffle_seed
    gen = torch.Generator().manual_seed(_epoch_seed(seed, state.epoch - 1, state.rank))
    for x, y in src.batches(True, seed * 1_000_003 + state.epoch - 1, state.rank, state.world):
        if opts.transform is not None:
            x = opts.transform(x, gen)
        yield prepare(x, y, state.device, opts.channels_last, opts.preprocess)


def _ended(opts: _Options) -> Status | None:
    """``interrupted`` or ``time_limit`` when the run must end before the next batch."""
    b = opts.budget
    if (b is not None and b.cancelled) or (opts.stop is not None and opts.stop()):
        return Status.INTERRUPTED
    return Status.TIME_LIMIT if b is not None and b.expired() else None


def _train_epoch(
    state: TrainerState, opts: _Options, src: Source, callbacks: list
) -> Status | None:
    """One pass over ``src``; the status when the budget ended it before the next batch."""
    state.net.train()
    bar = _progress(
        src.n_batches(state.world),
        opts.progress if state.rank == 0 else False,
        f"epoch {state.epoch}/{opts.epochs}",
    )
    tot = [0.0, 0.0, 0.0]  # loss sum, correct, samples
    try:
        for b, (x, y) in enumerate(_batches(state, opts, src)):
            ended = _ended(opts)
            if ended is not None:
                return ended
            loss, n_ok = _step(state, opts, x, y, b)
            n = int(y.shape[0])
            tot = [tot[0] + loss * n, tot[1] + n_ok, tot[2] + n]
            state.batch_loss, state.batch_size = loss, n
            for cb in callbacks:
                _hook(cb, "on_batch_end", state)
            if bar is not None:
                bar.update(1)
                bar.set_postfix(loss=f"{tot[0] / tot[2]:.4f}")
    finally:
        if bar is not None:
            bar.close()
    if state.world > 1:  # training metrics over all ranks' shards (on the device, for nccl)
        t = torch.tensor(tot, dtype=torch.float64, device=state.device)
        torch.distributed.all_reduce(t)
        tot = t.tolist()
    loss_sum, ok, samples = tot
    state.row.update(
        lr=state.optimizer.param_groups[0]["lr"],
        train_loss=loss_sum / max(1, samples),
        train_top1=100.0 * ok / max(1, samples),
    )
    return None


def _step(state: TrainerState, opts: _Options, x, y, b: int) -> tuple[float, int]:
    """Forward, loss (+ the model's regularization), backward, optimizer step.

    Returns the batch loss and the number of correct top-1 predictions; one device
    synchronization per batch (before the backward, so a NaN stops before the step).
    """
    with autocast(state.device, opts.precision):
        logits = state.net(x)
        loss = opts.loss_fn(logits, y)
    reg = getattr(state.model, "regularization", None)
    total = loss + reg() if callable(reg) else loss
    flags = torch.stack(
        [
            (~torch.isfinite(total.detach())).to(torch.float32),
            loss.detach().float(),
            correct(logits.detach(), y, 1).float(),
        ]
    )
    if state.world > 1:  # any rank's NaN stops every rank
        bad = flags[:1].clone()
        torch.distributed.all_reduce(bad)
        flags[0] = bad[0]
    bad, loss_value, n_ok = flags.tolist()
    if bad > 0:
        kept = (
            f"the last good checkpoint is {state.saved}"
            if state.saved
            else "no checkpoint was written yet"
        )
        raise HardTargetError(
            f"training loss became NaN/inf at epoch {state.epoch}, batch {b + 1}; stopped, "
            f"{kept}. Lower the learning rate or check the input data for NaN"
        )
    state.optimizer.zero_grad(set_to_none=True)
    state.scaler.scale(total).backward()
    state.scaler.step(state.optimizer)
    state.scaler.update()
    return loss_value, int(n_ok)


def _finish_epoch(state: TrainerState, opts: _Options, evals: list) -> None:
    """Scheduler step, evaluation (rank 0), best-epoch tracking; appends the row."""
    if state.scheduler is not None:
        state.scheduler.step()
    if state.rank == 0:
        for name, src in evals:
            if src is not None and src.size() != 0:
                metrics = evaluate_source(
                    state.net,
                    src,
                    state.device,
                    opts.precision,
                    opts.loss_fn,
                    opts.preprocess,
                    opts.channels_last,
                )
                for k, v in metrics.items():
                    state.row[f"{name}_{k}"] = v
    monitor, metric = best_metric(state.row)
    state.history.append(state.row)
    state.improved = metric > state.best["metric"]
    if state.improved:
        state.best = {"epoch": state.epoch, "metric": metric, "monitor": monitor}
