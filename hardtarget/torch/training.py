"""Training a named model on a named data set: :func:`train`, the path of ``hardtarget train``.

:func:`train` builds the model and the data from a :class:`TrainConfig` and runs
:func:`~hardtarget.torch.trainer.fit`.  With ``out_dir`` every epoch writes ``last.pt``
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
from dataclasses import asdict, dataclass, field, fields
from typing import Any

import torch
from torch import nn

from ..errors import HardTargetError
from ..status import Status
from ._checks import check_compile, check_counts, check_rates
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
from .functional import HardActivation, parse_activation
from .models import make_model
from .precision import canonical_precision
from .sources import holdout
from .trainer import OPTIMIZERS, fit

__all__ = [
    "TrainConfig",
    "TrainResult",
    "train",
    "evaluate",
    "PRESETS",
    "load_checkpoint",
    "CKPT_FORMAT",
]

# Appendix B.  Weight decay depends on the activation: sign / qrelu / full precision.
PRESETS = {
    "cifar10-convnet4": dict(
        optimizer="adam", lr=2.5e-4, weight_decay=5e-4, epochs=300, milestones=(200, 250)
    ),
    "cifar10-convnet8": dict(
        optimizer="adam",
        lr=1e-3,
        weight_decay={"sign": 1e-7, "other": 5e-4},
        epochs=300,
        milestones=(200, 250),
    ),
    "imagenet-alexnet": dict(
        optimizer="adam",
        lr=1e-4,
        weight_decay={"sign": 5e-6, "qrelu": 5e-5, "other": 5e-4},
        epochs=80,
        milestones=(56, 64),
    ),
    "imagenet-resnet18": dict(
        optimizer="sgd",
        lr=0.1,
        momentum=0.9,
        weight_decay={"sign": 5e-7, "qrelu": 1e-5, "other": 1e-4},
        epochs=90,
        milestones=(30, 60),
    ),
}
_DEFAULTS = dict(
    optimizer="adam", lr=1e-3, weight_decay=0.0, epochs=10, milestones=(), momentum=0.9
)


@dataclass
class TrainConfig:
    """Everything a training run needs; ``None`` fields come from ``preset`` or defaults.

    The fields mirror the options of :func:`~hardtarget.torch.trainer.fit` plus what names
    the model (``model``, ``activation``, ``rule``, ``model_options``) and the data
    (``dataset``, ``data_dir``, ``image_size``, ``limit``, ``augment``, ``normalize``).
    ``patience`` adds early stopping on the selection metric.

    Attributes
    ----------
    model, activation, rule, weighted, model_options
        The model (:func:`make_model`): name, activation, rule, whether the layer loss is weighted,
        sizes.
    dataset, data_dir, image_size, limit, augment, normalize
        The data (:func:`load_dataset`): name, directory, image size, at most ``limit`` training
        samples, augmentation, per-channel normalization.
    preset : str, optional
        A recipe of the paper (:data:`PRESETS`) that fills the ``None`` fields.
    epochs, batch_size, optimizer, lr, momentum, weight_decay, decay_biases_and_norms, milestones
        As for :func:`fit`.
    gamma, val_split, stratify, seed, device, precision, channels_last, compile, deterministic
        As for :func:`fit`.
    progress
        As for :func:`fit`.
    out_dir : str, optional
        Where checkpoints and logs go.
    resume : bool, default=False
        Continue from ``out_dir/last.pt``.
    patience : int, optional
        Early stopping after this many epochs without a better selection metric.
    log_layers : bool, default=False
        Add each hard layer's layer loss and share of +1 targets to the epoch rows.
    """

    model: str = "convnet4"
    activation: str = "sign"
    rule: str | None = None
    weighted: bool = True
    dataset: str = "digits"
    data_dir: str | None = None
    image_size: int = 224
    model_options: dict = field(default_factory=dict)
    preset: str | None = None
    epochs: int | None = None
    batch_size: int = 64
    optimizer: str | None = None
    lr: float | None = None
    momentum: float | None = None
    weight_decay: float | None = None
    decay_biases_and_norms: bool = False
    milestones: Sequence[int] | None = None
    gamma: float = 0.1
    augment: bool = False
    normalize: bool = True
    val_split: float = 0.0
    stratify: bool = True
    limit: int | None = None
    seed: int = 0
    device: str = "cpu"
    precision: str = "fp32"
    channels_last: bool = False
    compile: bool | str = False
    out_dir: str | None = None
    resume: bool = False
    patience: int | None = None
    deterministic: bool = True
    progress: bool | None = None
    log_layers: bool = False

    def resolved(self) -> TrainConfig:
        """A copy with preset and default values filled in, names and numbers checked."""
        c = TrainConfig(**{f.name: getattr(self, f.name) for f in fields(self)})
        preset = {}
        if c.preset is not None:
            if c.preset not in PRESETS:
                raise HardTargetError(f"unknown preset {c.preset!r}; valid: {', '.join(PRESETS)}")
            preset = PRESETS[c.preset]
        kind, _ = parse_activation(c.activation)
        for name in ("optimizer", "lr", "weight_decay", "epochs", "milestones", "momentum"):
            if getattr(c, name) is None:
                v = preset.get(name, _DEFAULTS[name])
                if isinstance(v, dict):
                    v = v.get(kind, v["other"]) if kind in ("sign", "qrelu") else v["other"]
                setattr(c, name, v)
        c.optimizer = str(c.optimizer).lower()
        if c.optimizer not in OPTIMIZERS:
            raise HardTargetError(
                f"unknown optimizer {c.optimizer!r}; valid: {', '.join(OPTIMIZERS)}"
            )
        c.milestones = [int(m) for m in c.milestones]
        c.precision = canonical_precision(c.precision)
        c.compile = check_compile(c.compile)  # before the data and the model are built
        _check(c)
        return c


def _check(c: TrainConfig) -> None:
    """Numbers a run cannot use: non-finite or negative rates, counts below one."""
    check_rates(
        **{k: getattr(c, k) for k in ("lr", "momentum", "weight_decay", "gamma", "val_split")}
    )
    counts = ("epochs", "batch_size", "image_size", "limit", "patience")
    check_counts(**{k: getattr(c, k) for k in counts if getattr(c, k) is not None})
    if not isinstance(c.seed, int) or c.seed < 0:
        raise HardTargetError(f"seed must be an integer >= 0, got {c.seed!r}")
    if c.resume and not c.out_dir:
        raise HardTargetError("resuming needs the output directory (out_dir) that holds last.pt")


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
        ``completed``, ``stopped`` or ``interrupted``.
    """

    model: nn.Module
    history: list
    best: dict
    norm: tuple
    out_dir: str | None
    status: Status = Status.COMPLETED


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


def _data(c: TrainConfig):
    """The bundle, the training and validation sets, and the normalization."""
    bundle = load_dataset(c.dataset, c.data_dir, c.image_size)
    train_set, val_set = holdout(bundle.train, c.val_split, c.seed, c.stratify)
    if c.limit is not None:
        train_set = train_set.subset(torch.arange(min(c.limit, len(train_set))))
    chans = bundle.in_shape[0]
    norm = channel_stats(train_set) if c.normalize else ([0.0] * chans, [1.0] * chans)
    return bundle, train_set, val_set, (list(norm[0]), list(norm[1]))


def train(config: TrainConfig, callbacks: Sequence[Any] = ()) -> TrainResult:
    """Train ``config.model`` on ``config.dataset`` with FTPROP-MB; see :class:`TrainConfig`.

    ``callbacks`` run after the built-in ones (checkpoint, logging), so at
    ``on_epoch_end`` the epoch's checkpoint is already written.  A NaN or infinite loss
    stops training with :class:`HardTargetError`; ``last.pt`` then still holds the last
    good epoch.

    Parameters
    ----------
    config : TrainConfig
        The run.
    callbacks : sequence of Callback, optional
        Extra callbacks.

    Returns
    -------
    TrainResult
    """
    c = config.resolved()
    bundle, train_set, val_set, norm = _data(c)
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
        val=val_set,
        test=bundle.test,
        epochs=c.epochs,
        batch_size=c.batch_size,
        optimizer=c.optimizer,
        lr=c.lr,
        momentum=c.momentum,
        weight_decay=c.weight_decay,
        decay_biases_and_norms=c.decay_biases_and_norms,
        milestones=c.milestones,
        gamma=c.gamma,
        transform=augment if c.augment else None,
        preprocess=normalizer(norm),
        callbacks=cbs,
        seed=c.seed,
        device=c.device,
        precision=c.precision,
        channels_last=c.channels_last,
        compile=c.compile,
        deterministic=c.deterministic,
        progress=c.progress,
    )
    return TrainResult(res.model, res.history, res.best, norm, c.out_dir or None, res.status)
