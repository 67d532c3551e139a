"""Continuous binarization's stage schedule and slope annealing, as a ``fit`` callback.

Sakr et al. regularize the slope ``m`` of the layer in training (L2, ``lam = 1`` on MNIST)
for 100 epochs per layer, long enough for ``m`` to approach 0 so that replacing the
clipping function by the binary one costs almost nothing.  A CPU-sized run gives a stage
a few epochs, so :class:`CBStages` scales the coefficient to the budget and anneals:

- at the start of hidden stage ``l`` of ``T`` epochs the model's ``lam_scale`` is
  ``max(1, PAPER_STAGE_EPOCHS / T)`` (the paper's regularization pressure per stage,
  compressed into ``T`` epochs);
- Adam moves ``m`` by about its learning rate per step whatever the pressure, so the
  slopes' learning rate starts the stage at no less than
  ``2 (m_init - m_switch) / (anneal_fraction * steps of the stage)``;
- after every step (every epoch when the batches per epoch are not known) the slope must
  be on the geometric track from the initial ``m`` to ``m_switch`` over the first
  ``anneal_fraction`` of the stage; while it is above it, ``lam_scale`` grows by
  ``boost`` and the slopes' learning rate by ``lr_boost`` per epoch's worth of steps
  (capped at ``1e12`` and 100 times the stage's starting rate); both restart with the next
  stage.

Once ``m <= m_switch`` the activation swaps to the binary one by itself (a *natural*
swap); a stage that ends with ``m`` still above it swaps by force and warns.  Every swap
is logged with the training top-1 of a probe batch before and after it.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import torch

from ...errors import HardTargetError
from ...status import Status
from ..callbacks import Callback
from ..evaluation import prepare
from ..sources import as_source

__all__ = ["CBStages", "PAPER_STAGE_EPOCHS", "SCHEDULES", "forced_message"]

log = logging.getLogger("hardtarget.torch")

PAPER_STAGE_EPOCHS = 100  # Sakr et al., MNIST: each layer after the first, 100 epochs
SCHEDULES = ("anneal", "fixed")
_MAX_LAM_SCALE = 1e12
_MAX_LR_FACTOR = 100.0


class CBStages(Callback):
    """Continuous binarization's schedule: ``pretrain`` epochs, then ``per_stage`` epochs for
    each stage of :class:`~hardtarget.torch.baselines.CBNet` (an int, or one per stage).

    The run's ``epochs`` should be :meth:`total`; the net is binarized when the run ends
    (also when stopped early).  Every row gets ``cb_stage``, the slopes ``m<l>``,
    ``lam_scale`` and the ``swaps`` made in that epoch.

    Parameters
    ----------
    pretrain : int
        Epochs of stage 0 (the clipping net, ``m`` and ``a`` fixed).
    per_stage : int or sequence of int
        Epochs of each later stage.
    schedule : {"anneal", "fixed"}, default="anneal"
        ``anneal`` scales and raises the slope regularization as described in the module
        docstring; ``fixed`` keeps the model's ``lam`` as given.
    boost, lr_boost : float, default=10.0, 2.0
        Factors on ``lam_scale`` and on the slopes' learning rate after an epoch whose
        slope is behind the track.
    anneal_fraction : float, default=0.75
        Part of a stage by which ``m`` should reach ``m_switch``.
    probe : data, optional
        Data whose first ``probe_size`` items measure the top-1 before and after each
        swap (``train_cb`` passes the training data); without it the swaps are logged
        without accuracies.
    probe_size : int, default=1024
    preprocess : callable, optional
        As given to ``fit``.
    batches_per_epoch : int, optional
        Steps per epoch (``train_cb`` gives it): lets the schedule act after every step
        and size the slopes' learning rate; without it, it acts once per epoch.
    warn : bool, default=True
        Warn (``UserWarning``) at the end of a completed run whose swaps were forced.

    Attributes
    ----------
    swaps : list of dict
        After the run: per hidden layer ``layer``, ``epoch``, ``m`` (the slope reached),
        ``forced``, ``top1_before``, ``top1_after``.
    """

    def __init__(
        self,
        pretrain: int = 0,
        per_stage: int | Sequence[int] = 1,
        *,
        schedule: str = "anneal",
        boost: float = 10.0,
        lr_boost: float = 2.0,
        anneal_fraction: float = 0.75,
        probe: Any = None,
        probe_size: int = 1024,
        preprocess: Callable | None = None,
        batches_per_epoch: int | None = None,
        warn: bool = True,
    ) -> None:
        self.pretrain, self.per_stage = pretrain, per_stage
        self.schedule, self.boost, self.lr_boost = schedule, boost, lr_boost
        self.anneal_fraction = anneal_fraction
        self.probe, self.probe_size, self.preprocess = probe, probe_size, preprocess
        self.warn, self.batches_per_epoch = warn, batches_per_epoch
        self.swaps: list = []

    def epochs(self, n_stages: int) -> list:
        """Epochs of stage 0 (pre-training) and of stages ``1..n_stages``.

        Parameters
        ----------
        n_stages : int
            Stages after pre-training.

        Returns
        -------
        list of int
        """
        per = (
            [self.per_stage] * n_stages if isinstance(self.per_stage, int) else list(self.per_stage)
        )
        out = [self.pretrain, *per]
        if len(per) != n_stages or any(not isinstance(e, int) or e < 0 for e in out):
            raise HardTargetError(
                f"CBStages needs pretrain >= 0 and {n_stages} per-stage epoch counts "
                f">= 0 (one per hidden layer, then the output layer), got {self.per_stage}"
            )
        return out

    def total(self, n_stages: int) -> int:
        """The ``epochs`` to give ``fit`` (an int): the sum of :meth:`epochs`.

        Parameters
        ----------
        n_stages : int
            As for :meth:`epochs`.
        """
        return sum(self.epochs(n_stages))

    # -- fit hooks -----------------------------------------------------------------
    def on_fit_start(self, state: Any) -> None:
        model = state.model
        if not hasattr(model, "set_stage"):
            raise HardTargetError(f"CBStages drives a CBNet, got {type(model).__name__}")
        if self.schedule not in SCHEDULES:
            raise HardTargetError(
                f"unknown slope schedule {self.schedule!r}; valid: {', '.join(SCHEDULES)}"
            )
        if not (self.boost >= 1 and self.lr_boost >= 1 and 0 < self.anneal_fraction <= 1):
            raise HardTargetError(
                "CBStages needs boost >= 1, lr_boost >= 1 and 0 < anneal_fraction <= 1, got "
                f"{self.boost}, {self.lr_boost}, {self.anneal_fraction}"
            )
        slopes = {id(act.m) for act in model.acts}
        self._slope_lrs = [  # (group index, its learning rate as built)
            (i, g["lr"])
            for i, g in enumerate(state.optimizer.param_groups)
            if any(id(p) in slopes for p in g["params"])
        ]
        self._per = self.epochs(model.n_stages)
        self._ends = torch.tensor(self._per).cumsum(0).tolist()
        self._pending: list = []
        self._batch = None
        if self.probe is not None:
            src = as_source(self.probe, self.probe_size, "probe")
            x, y = next(iter(src.batches(False)))
            self._batch = prepare(x, y, state.device, False, self.preprocess)

    def on_epoch_start(self, state: Any) -> None:
        model = state.model
        stage = next(
            (s for s, end in enumerate(self._ends) if state.epoch <= end), len(self._ends) - 1
        )
        if stage != model.stage:
            self._advance(model, stage, state.epoch)
        first = self._ends[stage] - self._per[stage] + 1
        self._batch_no = 0
        if 1 <= stage < model.n_stages and state.epoch == first:
            anneal = self.schedule == "anneal"
            model.lam_scale.fill_(
                max(1.0, PAPER_STAGE_EPOCHS / self._per[stage]) if anneal else 1.0
            )
            for i, lr in self._slope_lrs:
                state.optimizer.param_groups[i]["lr"] = self._stage_lr(model, stage, lr)

    def _stage_lr(self, model: Any, stage: int, lr: float) -> float:
        """The slopes' learning rate at the start of ``stage`` (``lr`` as built, or the
        rate that lets ``m`` reach ``m_switch`` in the steps of the stage)."""
        if self.schedule != "anneal" or not self.batches_per_epoch:
            return lr
        steps = self.anneal_fraction * self._per[stage] * self.batches_per_epoch
        return max(lr, 2.0 * (model.m_init - model.acts[stage - 1].m_switch) / steps)

    def on_batch_end(self, state: Any) -> None:
        model = state.model
        if not 1 <= model.stage < model.n_stages:
            return
        self._batch_no += 1
        act = model.acts[model.stage - 1]
        if bool(act.binary):
            return
        m = float(act.m.detach())
        if m <= act.m_switch:
            before = self._top1(model, keep=act)
            act.binary.fill_(True)
            self._record(model, model.stage, state.epoch, False, before)
        elif self.schedule == "anneal" and self.batches_per_epoch:
            nb = self.batches_per_epoch
            self._steer(state, act, m, self._batch_no / nb, 1.0 / nb)

    def _steer(self, state: Any, act: Any, m: float, into: float, weight: float) -> None:
        """Raise the pressure on ``m`` if it is above its track ``into`` epochs into the
        current epoch; ``weight`` is the fraction of an epoch this step stands for."""
        model, stage = state.model, state.model.stage
        done = state.epoch - 1 - (self._ends[stage] - self._per[stage]) + into
        span = max(1.0, self.anneal_fraction * self._per[stage])
        track = model.m_init * (act.m_switch / model.m_init) ** min(1.0, done / span)
        if m <= track:
            return
        model.lam_scale.fill_(min(_MAX_LAM_SCALE, float(model.lam_scale) * self.boost**weight))
        for i, base in self._slope_lrs:
            group = state.optimizer.param_groups[i]
            cap = _MAX_LR_FACTOR * self._stage_lr(model, stage, base)
            group["lr"] = min(group["lr"] * self.lr_boost**weight, cap)

    def on_epoch_end(self, state: Any) -> None:
        model = state.model
        stage = model.stage
        if self.schedule == "anneal" and not self.batches_per_epoch:
            if 1 <= stage < model.n_stages and not model.acts[stage - 1].is_binary():
                act = model.acts[stage - 1]
                self._steer(state, act, float(act.m.detach()), 1.0, 1.0)
        state.row["cb_stage"] = stage
        for j, act in enumerate(model.acts, start=1):
            state.row[f"m{j}"] = float(act.m.detach())
        state.row["lam_scale"] = float(model.lam_scale)
        state.row["swaps"], self._pending = self._pending, []

    def on_fit_end(self, state: Any) -> None:
        model = state.model
        if state.status in (
            Status.COMPLETED,
            Status.STOPPED,
            Status.INTERRUPTED,
            Status.TIME_LIMIT,
        ):
            self._advance(model, model.n_stages, state.epoch)
            model.binarize()
        done = [s for row in state.history for s in row.get("swaps", ())]
        self.swaps = sorted(done + self._pending, key=lambda s: s["layer"])
        if self.warn and state.status == Status.COMPLETED:
            msg = forced_message(self.swaps, model.acts[0].m_switch if model.acts else 0.0)
            if msg:
                warnings.warn(msg, UserWarning, stacklevel=2)

    # -- swaps ---------------------------------------------------------------------
    def _advance(self, model: Any, stage: int, epoch: int) -> None:
        """Move ``model`` to ``stage`` one stage at a time, recording forced swaps."""
        for s in range(model.stage + 1, stage + 1):
            j = s - 1
            act = model.acts[j - 1] if 1 <= j <= len(model.acts) else None
            before = None
            if act is not None and not act.is_binary():
                before = self._top1(model, keep=act)
            model.set_stage(s)
            if before is not None:
                self._record(model, j, epoch, True, before)

    def _record(self, model: Any, layer: int, epoch: int, forced: bool, before) -> None:
        act = model.acts[layer - 1]
        after = self._top1(model)
        rec = {
            "layer": layer,
            "epoch": epoch,
            "m": float(act.m.detach()),
            "forced": forced,
            "top1_before": before,
            "top1_after": after,
        }
        self._pending.append(rec)
        acc = "" if before is None else f" (probe top-1 {before:.2f}% -> {after:.2f}%)"
        how = "forced, m above m_switch" if forced else "m reached m_switch"
        (log.warning if forced else log.info)(
            "CB swap of layer %d at epoch %d, m = %.4g: %s%s", layer, epoch, rec["m"], how, acc
        )

    @torch.no_grad()
    def _top1(self, model: Any, keep: Any = None) -> float | None:
        """Top-1 (%) on the probe batch; ``keep`` stays the clipping function at its slope
        (at least ``m_switch``: the continuous net the swap replaces)."""
        if self._batch is None:
            return None
        was, saved = model.training, None
        if keep is not None:
            saved = (keep.m_switch, keep.m.detach().clone())
            keep.m.clamp_(min=keep.m_switch)  # a last step may overshoot below it
            keep.m_switch = -float("inf")
        try:
            model.eval()
            x, y = self._batch
            return 100.0 * float((model(x).argmax(1) == y).float().mean())
        finally:
            model.train(was)
            if saved is not None:
                keep.m_switch = saved[0]
                keep.m.copy_(saved[1])


def forced_message(swaps: list, m_switch: float) -> str:
    """The warning for the forced swaps among ``swaps`` ('' when there are none)."""
    forced = [s for s in swaps if s["forced"]]
    if not forced:
        return ""
    what = ", ".join(f"layer {s['layer']} at m = {s['m']:.3g}" for s in forced)
    return (
        f"continuous binarization forced the swap of {what} (m_switch = {m_switch:g}): the "
        "slope did not anneal in its stage. Give the stages more epochs, or a larger "
        "slope_lr or lam, or use slope_schedule='anneal'"
    )
