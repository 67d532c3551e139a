"""Callbacks of :func:`~hardtarget.torch.fit_loop.fit`: logs, early stop, checkpoints, layer stats.

A callback is any object with some of the hooks of :class:`Callback`; each hook gets
the :class:`~hardtarget.torch.fit_loop.TrainerState` of the run and may read or change it
(freeze layers, add columns to ``state.row``, set ``state.stop``).  Hooks run in the
order the callbacks are given.

Examples
--------
>>> from hardtarget.torch.callbacks import EarlyStopping
>>> EarlyStopping(monitor="val_top1", patience=3).patience
3
"""

from __future__ import annotations

import csv
import errno
import io
import json
import logging
import math
import os
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import torch

from .._io import atomic_open, exclusive_lock, json_safe
from ..errors import HardTargetError
from .functional import HardActivation

__all__ = [
    "save_atomic",
    "Callback",
    "EarlyStopping",
    "LogEpochs",
    "Checkpoint",
    "LayerStats",
    "load_checkpoint",
    "CKPT_FORMAT",
]

log = logging.getLogger("hardtarget.torch")
CKPT_FORMAT = "hardtarget-torch-checkpoint"


class Callback:
    """Base class with every hook (all optional; subclasses override what they need)."""

    def on_fit_start(self, state: Any) -> None:
        """Before the first epoch (a resuming callback sets ``state.start_epoch`` here).

        Parameters
        ----------
        state : TrainerState
            The run's state (see :class:`~hardtarget.torch.TrainerState`).
        """

    def on_epoch_start(self, state: Any) -> None:
        """Before epoch ``state.epoch`` (1-based): freeze or unfreeze layers here.

        Parameters
        ----------
        state : TrainerState
            The run's state (see :class:`~hardtarget.torch.TrainerState`).
        """

    def on_batch_end(self, state: Any) -> None:
        """After each optimizer step; ``state.batch_loss`` and ``state.batch_size`` are set.

        Parameters
        ----------
        state : TrainerState
            The run's state (see :class:`~hardtarget.torch.TrainerState`).
        """

    def on_epoch_end(self, state: Any) -> None:
        """After the epoch's evaluation; ``state.row`` holds its metrics.

        Parameters
        ----------
        state : TrainerState
            The run's state (see :class:`~hardtarget.torch.TrainerState`).
        """

    def on_fit_end(self, state: Any) -> None:
        """Always, also after an error; ``state.status`` says how the run ended.

        Parameters
        ----------
        state : TrainerState
            The run's state (see :class:`~hardtarget.torch.TrainerState`).
        """


class EarlyStopping(Callback):
    """Stop when ``monitor`` has not improved by ``min_delta`` for ``patience`` epochs.

    Parameters
    ----------
    monitor : str, default=None
        A column of the epoch row (``val_top1``, ``test_loss``, ...); ``None`` follows
        the run's own selection metric (``state.best["monitor"]``).
    patience : int, default=5
        Epochs without improvement tolerated.
    mode : {"max", "min"}, default="max"
        Whether larger or smaller is better.
    min_delta : float, default=0.0
        The least change that counts as an improvement.
    """

    def __init__(
        self,
        monitor: str | None = None,
        patience: int = 5,
        mode: str = "max",
        min_delta: float = 0.0,
    ) -> None:
        self.monitor, self.patience, self.mode, self.min_delta = monitor, patience, mode, min_delta

    def on_fit_start(self, state: Any) -> None:
        if self.mode not in ("max", "min"):
            raise HardTargetError(f"EarlyStopping mode must be 'max' or 'min', got {self.mode!r}")
        if not (isinstance(self.patience, int) and self.patience >= 1):
            raise HardTargetError(
                f"EarlyStopping patience must be an integer >= 1, got {self.patience!r}"
            )
        self._best: float | None = None  # the best monitored value, signed so larger is better
        self._wait = 0

    def on_epoch_end(self, state: Any) -> None:
        key = self.monitor or state.best["monitor"]
        if key not in state.row:
            raise HardTargetError(
                f"EarlyStopping monitors {key!r}, which the epoch row lacks; "
                f"valid: {', '.join(state.row)}"
            )
        v = float(state.row[key]) * (1 if self.mode == "max" else -1)
        if self._best is None or v > self._best + self.min_delta:
            self._best, self._wait = v, 0
            return
        self._wait += 1
        if self._wait >= self.patience:
            state.stop = True
            log.info(
                "early stop after epoch %d: %s did not improve for %d epochs",
                state.epoch,
                key,
                self.patience,
            )


class LogEpochs(Callback):
    """One ``logging`` line per finished epoch (logger ``hardtarget.torch``, level INFO)."""

    def on_epoch_end(self, state: Any) -> None:
        if state.rank == 0:
            log.info(
                "epoch %d/%d: %s",
                state.epoch,
                state.epochs,
                ", ".join(f"{k}={v:.4g}" for k, v in state.row.items() if k != "epoch"),
            )


class LayerStats(Callback):
    """Adds each hard layer's mean layer loss and fraction of +1 targets to the epoch row."""

    def on_fit_start(self, state: Any) -> None:
        self._acts = [m for m in state.model.modules() if isinstance(m, HardActivation)]
        for m in self._acts:
            m.record = True

    def on_epoch_start(self, state: Any) -> None:
        self._loss = [0.0] * len(self._acts)
        self._pos = [0.0] * len(self._acts)
        self._n = 0

    def on_batch_end(self, state: Any) -> None:
        n = state.batch_size
        for i, m in enumerate(self._acts):
            if m.last.targets is not None:
                self._loss[i] += m.last.layer_loss * n
                self._pos[i] += float((m.last.targets > 0).float().mean()) * n
        self._n += n

    def on_epoch_end(self, state: Any) -> None:
        for i in range(len(self._acts)):
            state.row[f"layer{i + 1}_loss"] = self._loss[i] / max(1, self._n)
            state.row[f"layer{i + 1}_targets_pos"] = self._pos[i] / max(1, self._n)

    def on_fit_end(self, state: Any) -> None:
        for m in self._acts:
            m.record = False


def load_checkpoint(path: str | os.PathLike[str]) -> dict:
    """Read a checkpoint written by :class:`Checkpoint` (tensors only, no pickled code).

    Parameters
    ----------
    path : str or path-like
        A ``.pt`` file written by :class:`Checkpoint`.

    Returns
    -------
    dict
    """
    try:
        ck = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise HardTargetError(
            f"checkpoint {path} does not exist; train without resuming first"
        ) from None
    except Exception as exc:
        raise HardTargetError(
            f"{path} is not a hardtarget torch checkpoint ({type(exc).__name__}: {exc})"
        ) from None
    if not isinstance(ck, dict) or ck.get("format") != CKPT_FORMAT:
        raise HardTargetError(
            f"{path} is not a hardtarget torch checkpoint (written by hardtarget's trainer)"
        )
    return ck


def save_atomic(obj: Any, path: str | os.PathLike[str]) -> None:
    """``torch.save`` ``obj`` to ``path`` atomically (the old file stays until the new one
    is whole).

    The object is serialized in memory first: a failing write (a full disk) is then an
    :class:`OSError` of the file write, which the caller can report, rather than the
    ``RuntimeError`` that ``torch.save``'s zip writer raises when the disk fails under it.

    Parameters
    ----------
    obj : anything ``torch.save`` takes.
    path : the file to write.
    """
    buf = io.BytesIO()
    torch.save(obj, buf)
    with atomic_open(path) as fh:
        fh.write(buf.getbuffer())


class Checkpoint(Callback):
    """Write ``last.pt`` (and ``best.pt`` on improvement) and ``log.csv``/``log.json``.

    Every write is atomic, and the directory is locked for the run: a second run on
    it is refused, naming the holder's pid.  With ``resume=True`` the run continues
    from ``last.pt``.

    Parameters
    ----------
    out_dir : str or path
        The output directory (created if missing).
    resume : bool, default=False
        Load model, optimizer, scheduler and history from ``out_dir/last.pt``.
    signature : dict, default=None
        What a resumed checkpoint must match (model name, activation, ...).
    extra : dict, default=None
        More entries stored in every checkpoint (normalization, configuration).
    """

    def __init__(
        self,
        out_dir: str | os.PathLike[str],
        resume: bool = False,
        signature: dict | None = None,
        extra: dict | None = None,
    ) -> None:
        self.out_dir, self.resume = Path(out_dir), resume
        self.signature, self.extra = signature or {}, extra or {}

    def on_fit_start(self, state: Any) -> None:
        self._stack = ExitStack()
        if state.rank == 0:  # the lock lives inside the directory, so create it first
            self.out_dir.mkdir(parents=True, exist_ok=True)
            self._stack.enter_context(exclusive_lock(self.out_dir))
        if self.resume:
            try:
                self._load(state)
            except BaseException:  # the run never starts: release the lock now
                self._stack.close()
                raise

    def _load(self, state: Any) -> None:
        path = self.out_dir / "last.pt"
        ck = load_checkpoint(path)
        if ck.get("signature", {}) != self.signature:
            raise HardTargetError(
                f"checkpoint {path} is from another model: it was written for {ck['signature']}, "
                f"this run is {self.signature}. Resume with the same model options, or use a new "
                "output directory"
            )
        try:
            state.model.load_state_dict(ck["model"])
            state.optimizer.load_state_dict(ck["optimizer"])
            if state.scheduler is not None and ck.get("scheduler") is not None:
                state.scheduler.load_state_dict(ck["scheduler"])
            if ck.get("scaler"):
                state.scaler.load_state_dict(ck["scaler"])
        except (RuntimeError, KeyError, ValueError) as exc:
            raise HardTargetError(f"checkpoint {path} does not fit this model: {exc}") from None
        state.history, state.best = list(ck["history"]), dict(ck["best"])
        state.start_epoch = int(ck["epoch"]) + 1
        state.saved = str(path)
        log.info("resuming from %s at epoch %d", path, state.start_epoch + 1)

    def on_epoch_end(self, state: Any) -> None:
        if state.rank != 0:
            return
        ck = {
            "format": CKPT_FORMAT,
            "version": 1,
            "signature": self.signature,
            "epoch": state.epoch - 1,
            "model": state.model.state_dict(),
            "optimizer": state.optimizer.state_dict(),
            "scheduler": None if state.scheduler is None else state.scheduler.state_dict(),
            "scaler": state.scaler.state_dict() if state.scaler.is_enabled() else {},
            "history": state.history,
            "best": state.best,
            **self.extra,
        }
        self._save(self.out_dir / "last.pt", ck, state)
        state.saved = str(self.out_dir / "last.pt")
        if state.improved:
            self._save(self.out_dir / "best.pt", ck, state)
        self._write_logs(state)

    def _save(self, path: Path, obj: Any, state: Any) -> None:
        try:
            save_atomic(obj, path)
        except OSError as exc:
            raise self._disk_error(path, exc, state) from None

    def _disk_error(self, path: Path, exc: OSError, state: Any) -> HardTargetError:
        why = "the disk is full" if exc.errno == errno.ENOSPC else f"{exc.strerror or exc}"
        kept = (
            f"the previous checkpoint {state.saved} is intact"
            if state.saved
            else "no earlier checkpoint exists"
        )
        return HardTargetError(
            f"cannot write {path} after epoch {state.epoch}: {why}; {kept} "
            "(writes are atomic). Free space or choose another output "
            "directory, then resume"
        )

    def _write_logs(self, state: Any) -> None:
        rows = json_safe(state.history)
        buf = io.StringIO()
        keys: list = []
        for r in rows:
            keys += [k for k in r if k not in keys]
        w = csv.DictWriter(buf, fieldnames=keys)
        w.writeheader()
        w.writerows(rows)
        for name, text in (("log.json", json.dumps(rows, indent=1)), ("log.csv", buf.getvalue())):
            try:
                with atomic_open(self.out_dir / name, "w") as fh:
                    fh.write(text)
            except OSError as exc:
                raise self._disk_error(self.out_dir / name, exc, state) from None

    def on_fit_end(self, state: Any) -> None:
        self._stack.close()


def best_metric(row: dict) -> tuple[str, float]:
    """The selection metric of an epoch row: validation, else test, else training top-1."""
    for key in ("val_top1", "test_top1", "train_top1", "val_loss", "test_loss", "train_loss"):
        if key in row and row[key] is not None:
            v = float(row[key])
            return key, (v if key.endswith("top1") else -v) if math.isfinite(v) else -math.inf
    return "train_loss", -math.inf
