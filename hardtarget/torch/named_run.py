"""Training a named model on a named data set: :func:`train`, the path of ``hardtarget train``.

:func:`train` builds the model and the data from a :class:`TrainConfig`
(:mod:`hardtarget.torch.train_config`, where every option is declared) and runs the
config's training method: FTPROP-MB (:func:`run_ftprop`, through
:func:`~hardtarget.torch.fit`) or a baseline (:mod:`hardtarget.torch.baselines`).
:func:`prepare_data` is the data setup they share.  With ``out_dir`` every epoch writes ``last.pt``
(and ``best.pt`` when the selection metric improves) atomically, plus ``log.csv`` and
``log.json``; ``resume=True`` continues from ``last.pt``.  All randomness of an epoch
derives from ``(seed, epoch)``, so a resumed run equals an uninterrupted one.  Under
``torchrun`` (``WORLD_SIZE > 1``) the model is wrapped in DistributedDataParallel
(gloo on CPU, nccl on CUDA) and rank 0 writes files.

Examples
--------
>>> from hardtarget.torch import TrainConfig, train                # doctest: +SKIP
>>> res = train(TrainConfig(model="mlp", dataset="digits:0-1", epochs=3))  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import torch
from torch import nn

from ..budget import Budget
from ..params import resolved_value
from ..status import Status
from .callbacks import (
    CKPT_FORMAT,
    Checkpoint,
    EarlyStopping,
    LayerStats,
    LogEpochs,
    load_checkpoint,
)
from .data import augment, channel_stats, load_dataset
from .evaluation import evaluate, normalizer
from .fit_loop import fit
from .functional import HardActivation, parse_activation
from .models import make_model
from .sources import holdout
from .train_config import PRESETS, TrainConfig, training_methods

__all__ = [
    "TrainConfig",
    "TrainResult",
    "train",
    "evaluate",
    "PRESETS",
    "load_checkpoint",
    "CKPT_FORMAT",
    "prepare_data",
    "fit_options",
    "run_ftprop",
]


@dataclass
class TrainResult:
    """Outcome of :func:`train`: the model, per-epoch history, best epoch, normalization.

    Parameters
    ----------
    model : torch.nn.Module
        The trained model.
    history : list of dict
        One row per epoch.
    best : dict
        The best epoch's row.
    norm : tuple
        ``(mean, std)`` per channel applied to the inputs.
    out_dir : str or None
        Where the checkpoints and logs are.
    status : Status
        ``completed``, ``stopped``, ``interrupted`` or ``time_limit``.
    classes : list
        The data set's class labels, in the order of the model's outputs.
    """

    model: nn.Module
    history: list
    best: dict
    norm: tuple
    out_dir: str | None
    status: Status = Status.COMPLETED
    classes: list = field(default_factory=list)


def _signature(c: TrainConfig, model: nn.Module, in_shape, num_classes) -> dict:
    """What a checkpoint must match to be resumed: names in canonical form."""
    kind, k = parse_activation(c.activation)
    rule = next((m.rule.name for m in model.modules() if isinstance(m, HardActivation)), "backprop")
    return {
        "model": str(c.model).strip().lower(),
        "activation": f"qrelu{k}" if kind == "qrelu" else kind,
        "rule": rule,
        "weighted": bool(c.weighted),
        "in_shape": list(in_shape),
        "num_classes": int(num_classes),
        "model_options": dict(c.model_options),
    }


def prepare_data(c: TrainConfig) -> tuple:
    """The data of a run: the bundle, the training and validation sets, the normalization.

    Parameters
    ----------
    c : TrainConfig
        A resolved config: ``dataset``, ``data_dir``, ``image_size``, ``val_split``,
        ``stratify``, ``seed``, ``limit``, ``normalize``.

    Returns
    -------
    tuple
        ``(bundle, train_set, val_set, (mean, std))``.
    """
    bundle = load_dataset(c.dataset, c.data_dir, c.size)
    train_set, val_set = holdout(bundle.train, c.val_split, c.seed, c.stratify)
    if c.limit is not None:
        train_set = train_set.subset(torch.arange(min(c.limit, len(train_set))))
    chans = bundle.in_shape[0]
    norm = channel_stats(train_set) if c.normalize else ([0.0] * chans, [1.0] * chans)
    return bundle, train_set, val_set, (list(norm[0]), list(norm[1]))


def fit_options(
    c: TrainConfig, bundle, val: Any, norm: tuple, callbacks: Sequence[Any], budget
) -> dict:
    """The :func:`~hardtarget.torch.fit` arguments every training method takes from a config
    (all but the epochs and the optimizer, which each method sets its own way).

    Parameters
    ----------
    c : TrainConfig
        Resolved.
    bundle, val, norm
        From :func:`prepare_data`.
    callbacks : sequence of Callback
    budget : hardtarget.budget.Budget or None

    Returns
    -------
    dict
    """
    return {
        "val": val,
        "test": bundle.test,
        "batch_size": c.batch_size,
        "weight_decay": c.weight_decay,
        "decay_biases_and_norms": c.decay_biases_and_norms,
        "milestones": c.milestones,
        "gamma": c.gamma,
        "transform": augment if c.augment else None,
        "preprocess": normalizer(norm),
        "callbacks": list(callbacks),
        "seed": c.seed,
        "device": c.device,
        "precision": c.precision,
        "channels_last": c.channels_last,
        "compile": c.compile,
        "deterministic": c.deterministic,
        "progress": c.progress,
        "budget": budget,
    }


def train(config: TrainConfig, callbacks: Sequence[Any] = (), budget: Budget | None = None) -> Any:
    """Train ``config.model`` on ``config.dataset`` by ``config.method``; see :class:`TrainConfig`.

    Parameters
    ----------
    config : TrainConfig
        The run; an option its method does not act on is refused.
    callbacks : sequence of Callback, optional
        Extra callbacks.
    budget : hardtarget.budget.Budget, optional
        Cancelling it (Ctrl-C in ``hardtarget train``) ends the run before its next batch
        as ``interrupted``; ``config.time_limit`` is a child budget of it.

    Returns
    -------
    TrainResult or BaselineResult
        :func:`run_ftprop`'s for ``ftprop``, the baselines' otherwise.
    """
    c = config.resolved()
    if c.time_limit is not None:
        budget = (budget or Budget()).child(seconds=c.time_limit)
    return training_methods()[c.method].run(c, callbacks, budget)


def run_ftprop(
    c: TrainConfig, callbacks: Sequence[Any] = (), budget: Budget | None = None
) -> TrainResult:
    """Train a resolved config with FTPROP-MB through :func:`~hardtarget.torch.fit`.

    ``callbacks`` run after the built-in ones (checkpoint, logging), so at
    ``on_epoch_end`` the epoch's checkpoint is already written.  A NaN or infinite loss
    stops training with :class:`HardTargetError`; ``last.pt`` then still holds the last
    good epoch.

    Parameters
    ----------
    c : TrainConfig
        The run, resolved (:meth:`TrainConfig.resolved`).
    callbacks : sequence of Callback, optional
        Extra callbacks.
    budget : hardtarget.budget.Budget, optional
        As for :func:`~hardtarget.torch.fit`.

    Returns
    -------
    TrainResult
    """
    bundle, train_set, val_set, norm = prepare_data(c)
    torch.manual_seed(c.seed)
    model = make_model(
        c.model,
        c.activation,
        c.rule,
        c.weighted,
        bundle.in_shape,
        bundle.num_classes,
        **c.model_options,
    )
    cbs: list = [LayerStats()] if c.log_layers else []
    if c.out_dir:
        extra = {
            "norm": [norm[0], norm[1]],
            "config": {k: v for k, v in asdict(c).items() if k != "model_options"},
        }
        sig = _signature(c, model, bundle.in_shape, bundle.num_classes)
        cbs.append(Checkpoint(c.out_dir, c.resume, sig, extra))
    if c.patience is not None:
        cbs.append(EarlyStopping(patience=c.patience))
    cbs += [LogEpochs(), *callbacks]
    res = fit(
        model,
        train_set,
        epochs=resolved_value(c.epochs, "TrainConfig.epochs"),
        optimizer=resolved_value(c.optimizer, "TrainConfig.optimizer"),
        lr=resolved_value(c.lr, "TrainConfig.lr"),
        momentum=resolved_value(c.momentum, "TrainConfig.momentum"),
        **fit_options(c, bundle, val_set, norm, cbs, budget),
    )
    return TrainResult(
        res.model, res.history, res.best, norm, c.out_dir or None, res.status, bundle.classes
    )
