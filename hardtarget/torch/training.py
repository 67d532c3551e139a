"""Training with FTPROP-MB: one call (:func:`train`) for the API and the CLI.

Every epoch writes ``last.pt`` (and ``best.pt`` when the selection metric improves)
atomically, plus ``log.csv`` and ``log.json``; ``resume=True`` continues from
``last.pt``.  All randomness of an epoch derives from ``(seed, epoch)``, so a resumed
run equals an uninterrupted one.  Under ``torchrun`` (``WORLD_SIZE > 1``) the model is
wrapped in DistributedDataParallel (gloo on CPU, nccl on CUDA) and rank 0 writes files.

Examples
--------
>>> from hardtarget.torch import TrainConfig, train                # doctest: +SKIP
>>> res = train(TrainConfig(model="mlp", dataset="digits:0-1", epochs=3))  # doctest: +SKIP
"""

from __future__ import annotations

import csv
import io
import json
import logging
import math
import os
import sys
import time
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Callable, Optional, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from .._io import atomic_open
from ..errors import HardTargetError
from .data import augment, channel_stats, index_batches, load_dataset, split_validation
from .functional import HardActivation, parse_activation
from .models import make_model

__all__ = ["TrainConfig", "TrainResult", "train", "evaluate", "PRESETS", "load_checkpoint", "CKPT_FORMAT"]

log = logging.getLogger(__name__)
CKPT_FORMAT = "hardtarget-torch-checkpoint"

# Appendix B.  Weight decay depends on the activation: sign / qrelu / full precision.
PRESETS = {
    "cifar10-convnet4": dict(optimizer="adam", lr=2.5e-4, weight_decay=5e-4, epochs=300, milestones=(200, 250)),
    "cifar10-convnet8": dict(optimizer="adam", lr=1e-3, weight_decay={"sign": 1e-7, "other": 5e-4},
                             epochs=300, milestones=(200, 250)),
    "imagenet-alexnet": dict(optimizer="adam", lr=1e-4, weight_decay={"sign": 5e-6, "qrelu": 5e-5, "other": 5e-4},
                             epochs=80, milestones=(56, 64)),
    "imagenet-resnet18": dict(optimizer="sgd", lr=0.1, momentum=0.9,
                              weight_decay={"sign": 5e-7, "qrelu": 1e-5, "other": 1e-4},
                              epochs=90, milestones=(30, 60)),
}
_DEFAULTS = dict(optimizer="adam", lr=1e-3, weight_decay=0.0, epochs=10, milestones=(), momentum=0.9)


@dataclass
class TrainConfig:
    """Everything a training run needs; ``None`` fields come from ``preset`` or defaults."""

    model: str = "convnet4"
    activation: str = "sign"
    rule: Optional[str] = None
    weighted: bool = True
    dataset: str = "digits"
    data_dir: Optional[str] = None
    image_size: int = 224
    model_options: dict = field(default_factory=dict)
    preset: Optional[str] = None
    epochs: Optional[int] = None
    batch_size: int = 64
    optimizer: Optional[str] = None
    lr: Optional[float] = None
    momentum: Optional[float] = None
    weight_decay: Optional[float] = None
    milestones: Optional[Sequence[int]] = None
    gamma: float = 0.1
    augment: bool = False
    normalize: bool = True
    val_split: float = 0.0
    limit: Optional[int] = None
    seed: int = 0
    device: str = "cpu"
    out_dir: Optional[str] = None
    resume: bool = False
    deterministic: bool = True
    progress: Optional[bool] = None
    log_layers: bool = False

    def resolved(self) -> "TrainConfig":
        """A copy with preset and default values filled in, names checked."""
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
        if c.optimizer not in ("adam", "sgd"):
            raise HardTargetError(f"unknown optimizer {c.optimizer!r}; valid: adam, sgd")
        c.milestones = [int(m) for m in c.milestones]
        if c.epochs < 1 or c.batch_size < 1:
            raise HardTargetError(f"epochs and batch_size must be >= 1 (got {c.epochs}, {c.batch_size})")
        if c.device not in ("cpu", "cuda"):
            raise HardTargetError(f"unknown device {c.device!r}; valid: cpu, cuda")
        if c.device == "cuda" and not torch.cuda.is_available():
            raise HardTargetError("--device cuda asked but no CUDA GPU is visible to torch; use --device cpu")
        return c


@dataclass
class TrainResult:
    """Outcome of :func:`train`: the trained model, per-epoch history and the best epoch."""

    model: nn.Module
    history: list
    best: dict
    norm: tuple
    out_dir: Optional[str]
    status: str = "completed"


def _signature(c: TrainConfig, model: nn.Module, in_shape, num_classes) -> dict:
    """What a checkpoint must match to be resumed: names in canonical form."""
    kind, k = parse_activation(c.activation)
    rule = next((m.rule.name for m in model.modules() if isinstance(m, HardActivation)), "backprop")
    return {"model": str(c.model).strip().lower(), "activation": f"qrelu{k}" if kind == "qrelu" else kind,
            "rule": rule, "weighted": bool(c.weighted), "in_shape": list(in_shape), "num_classes": int(num_classes),
            "model_options": dict(c.model_options)}


def load_checkpoint(path: "str | os.PathLike[str]") -> dict:
    """Read a checkpoint written by :func:`train` (tensors only, no pickled code)."""
    try:
        ck = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise HardTargetError(f"checkpoint {path} does not exist; train without --resume first") from None
    except Exception as exc:
        raise HardTargetError(f"{path} is not a hardtarget torch checkpoint ({type(exc).__name__}: {exc})") from None
    if not isinstance(ck, dict) or ck.get("format") != CKPT_FORMAT:
        raise HardTargetError(f"{path} is not a hardtarget torch checkpoint (written by `hardtarget train`)")
    return ck


def _topk(logits: torch.Tensor, y: torch.Tensor, k: int) -> int:
    k = min(k, logits.shape[1])
    return int((logits.topk(k, 1).indices == y[:, None]).any(1).sum())


def _prep(x: torch.Tensor, mean: torch.Tensor, std: torch.Tensor, device) -> torch.Tensor:
    return ((x - mean) / std).to(device, non_blocking=True)


@torch.no_grad()
def evaluate(model: nn.Module, data, norm: tuple, batch_size: int = 256, device: str = "cpu") -> dict:
    """Mean cross-entropy, top-1 and top-5 accuracy (in %) of ``model`` on ``data``."""
    mean, std = (torch.tensor(v, dtype=torch.float32)[None, :, None, None] for v in norm)
    was = model.training
    model.eval()
    loss = top1 = top5 = 0.0
    for idx in index_batches(len(data), batch_size, False):
        x, y = data.batch(idx)
        out = model(_prep(x, mean, std, device)).float().cpu()
        loss += float(F.cross_entropy(out, y, reduction="sum"))
        top1 += _topk(out, y, 1)
        top5 += _topk(out, y, 5)
    model.train(was)
    n = max(1, len(data))
    return {"loss": loss / n, "top1": 100.0 * top1 / n, "top5": 100.0 * top5 / n}


def _write_logs(out: Path, history: list) -> None:
    with atomic_open(out / "log.json", "w") as fh:
        json.dump(history, fh, indent=1)
    buf = io.StringIO()
    keys = list(history[0]) if history else []
    w = csv.DictWriter(buf, fieldnames=keys)
    w.writeheader()
    w.writerows(history)
    with atomic_open(out / "log.csv", "w") as fh:
        fh.write(buf.getvalue())


def _save(path: Path, obj: dict) -> None:
    with atomic_open(path) as fh:
        torch.save(obj, fh)


def _dist_setup(device: str) -> "tuple[int, int]":
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return 0, 1
    import torch.distributed as dist

    if not dist.is_initialized():
        dist.init_process_group("nccl" if device == "cuda" else "gloo")
    return dist.get_rank(), dist.get_world_size()


def _progress(total: int, enabled: "bool | None", desc: str):
    if enabled is None:
        enabled = sys.stderr.isatty()
    if not enabled:
        return None
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, leave=False)


def train(config: TrainConfig,
          callback: "Callable[[int, dict, nn.Module], None] | None" = None) -> TrainResult:
    """Train ``config.model`` with FTPROP-MB; see :class:`TrainConfig` for the options.

    ``callback(epoch, row, model)`` runs after each epoch's checkpoint is written.  A NaN or
    infinite loss stops training with :class:`HardTargetError`; ``last.pt`` then still
    holds the last good epoch.
    """
    c = config.resolved()
    was_deterministic = torch.are_deterministic_algorithms_enabled()
    if c.deterministic:
        torch.use_deterministic_algorithms(True, warn_only=c.device == "cuda")
    try:
        return _train(c, callback)
    finally:
        torch.use_deterministic_algorithms(was_deterministic)


def _train(c: TrainConfig, callback) -> TrainResult:
    rank, world = _dist_setup(c.device)
    device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0"))) if c.device == "cuda" else torch.device("cpu")
    if device.type == "cuda":
        torch.cuda.set_device(device)
    bundle = load_dataset(c.dataset, c.data_dir, c.image_size)
    train_set, val_set = split_validation(bundle.train, c.val_split, c.seed)
    if c.limit is not None:
        train_set = train_set.subset(torch.arange(min(c.limit, len(train_set))))
    norm = channel_stats(train_set) if c.normalize else ([0.0] * bundle.in_shape[0], [1.0] * bundle.in_shape[0])
    mean, std = (torch.tensor(v, dtype=torch.float32)[None, :, None, None] for v in norm)

    torch.manual_seed(c.seed)
    model = make_model(c.model, c.activation, c.rule, c.weighted, bundle.in_shape, bundle.num_classes,
                       **c.model_options).to(device)
    params = [{"params": [p for n, p in model.named_parameters() if p.ndim > 1], "weight_decay": c.weight_decay},
              {"params": [p for n, p in model.named_parameters() if p.ndim <= 1], "weight_decay": 0.0}]
    if c.optimizer == "adam":
        opt = torch.optim.Adam(params, lr=c.lr)
    else:
        opt = torch.optim.SGD(params, lr=c.lr, momentum=c.momentum)
    sched = torch.optim.lr_scheduler.MultiStepLR(opt, c.milestones, c.gamma)
    sig = _signature(c, model, bundle.in_shape, bundle.num_classes)

    out = Path(c.out_dir) if c.out_dir else None
    history: list = []
    best = {"epoch": -1, "metric": -math.inf}
    start = 0
    if c.resume:
        if out is None:
            raise HardTargetError("resume needs an output directory (--out) holding last.pt")
        ck = load_checkpoint(out / "last.pt")
        if ck["signature"] != sig:
            raise HardTargetError(
                f"checkpoint {out / 'last.pt'} is from another model: it was written for {ck['signature']}, "
                f"this run is {sig}. Resume with the same model options, or use a new --out directory"
            )
        try:
            model.load_state_dict(ck["model"])
            opt.load_state_dict(ck["optimizer"])
            sched.load_state_dict(ck["scheduler"])
        except (RuntimeError, KeyError, ValueError) as exc:
            raise HardTargetError(f"checkpoint {out / 'last.pt'} does not fit this model: {exc}") from None
        history, best, start = list(ck["history"]), dict(ck["best"]), int(ck["epoch"]) + 1
        log.info("resuming from %s at epoch %d", out / "last.pt", start)

    net: nn.Module = model
    if world > 1:
        net = nn.parallel.DistributedDataParallel(model, device_ids=[device.index] if device.type == "cuda" else None)
    model.train()
    hard = [m for m in model.modules() if isinstance(m, HardActivation)] if c.log_layers else []
    for m in hard:
        m.record = True
    for epoch in range(start, c.epochs):
        t0 = time.perf_counter()
        gen = torch.Generator().manual_seed(c.seed * 1_000_003 + epoch * 7919 + rank)
        batches = list(index_batches(len(train_set), c.batch_size, True, c.seed * 1_000_003 + epoch, rank, world))
        bar = _progress(len(batches), c.progress if rank == 0 else False, f"epoch {epoch + 1}/{c.epochs}")
        tot_loss = tot_ok = n_seen = 0.0
        layer_loss = [0.0] * len(hard)
        layer_up = [0.0] * len(hard)
        for b, idx in enumerate(batches):
            x, y = train_set.batch(idx)
            if c.augment:
                x = augment(x, gen)
            logits = net(_prep(x, mean, std, device))
            loss = F.cross_entropy(logits, y.to(device))
            bad = torch.tensor([0.0 if torch.isfinite(loss).item() else 1.0])
            if world > 1:
                torch.distributed.all_reduce(bad)
            if bad.item() > 0:
                if bar is not None:
                    bar.close()
                kept = f"the last good checkpoint is {out / 'last.pt'}" if out and (out / "last.pt").exists() \
                    else "no checkpoint was written yet"
                raise HardTargetError(
                    f"training loss became NaN/inf at epoch {epoch + 1}, batch {b + 1}; stopped, {kept}. "
                    "Lower the learning rate (--lr) or check the input data for NaN"
                )
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            for i, m in enumerate(hard):  # per-layer FTPROP-MB layer loss and targets
                layer_loss[i] += m.last.layer_loss * len(idx)
                layer_up[i] += float((m.last.targets > 0).float().mean()) * len(idx)
            tot_loss += loss.item() * len(idx)
            tot_ok += _topk(logits.detach().float().cpu(), y, 1)
            n_seen += len(idx)
            if bar is not None:
                bar.update(1)
                bar.set_postfix(loss=f"{tot_loss / n_seen:.4f}")
        if bar is not None:
            bar.close()
        sched.step()
        if world > 1:  # training metrics over all ranks' shards
            tot = torch.tensor([tot_loss, tot_ok, n_seen], dtype=torch.float64)
            torch.distributed.all_reduce(tot)
            tot_loss, tot_ok, n_seen = tot.tolist()
        row = {"epoch": epoch + 1, "lr": opt.param_groups[0]["lr"], "train_loss": tot_loss / max(1, n_seen),
               "train_top1": 100.0 * tot_ok / max(1, n_seen)}
        for i in range(len(hard)):
            row[f"layer{i + 1}_loss"] = layer_loss[i] / max(1, n_seen)
            row[f"layer{i + 1}_targets_pos"] = layer_up[i] / max(1, n_seen)
        if rank == 0:
            for name, data in (("val", val_set), ("test", bundle.test)):
                if data is not None and len(data):
                    for k, v in evaluate(model, data, norm, device=str(device)).items():
                        row[f"{name}_{k}"] = v
            row["seconds"] = time.perf_counter() - t0
            metric = row.get("val_top1", row.get("test_top1", row["train_top1"]))
            history.append(row)
            improved = metric > best["metric"]
            if improved:
                best = {"epoch": epoch + 1, "metric": metric}
            if out is not None:
                ck = {"format": CKPT_FORMAT, "version": 1, "signature": sig, "epoch": epoch,
                      "model": model.state_dict(), "optimizer": opt.state_dict(), "scheduler": sched.state_dict(),
                      "history": history, "best": best, "norm": [list(norm[0]), list(norm[1])],
                      "config": {k: v for k, v in asdict(c).items() if k != "model_options"}}
                _save(out / "last.pt", ck)
                if improved:
                    _save(out / "best.pt", ck)
                _write_logs(out, history)
            log.info("epoch %d: %s", epoch + 1, ", ".join(f"{k}={v:.4g}" for k, v in row.items() if k != "epoch"))
        if callback is not None:
            callback(epoch + 1, row, model)
    if world > 1:
        for buf in model.buffers():  # batch-norm statistics: take rank 0's
            torch.distributed.broadcast(buf, 0)
    return TrainResult(model, history, best, (list(norm[0]), list(norm[1])), str(out) if out else None)
