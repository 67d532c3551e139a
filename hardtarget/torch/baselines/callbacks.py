"""Callbacks that run the baselines' procedures inside :func:`hardtarget.torch.fit`.

Examples
--------
>>> from hardtarget.torch import fit                                       # doctest: +SKIP
>>> fit(cbnet, (X, y), epochs=8, callbacks=[CBStages(pretrain=2, per_stage=2)])  # doctest: +SKIP
>>> fit(wdnet, (X, y), epochs=5, callbacks=[DiscreteBN((X, y))])           # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

import torch

from ...errors import HardTargetError
from ..callbacks import Callback
from ..sources import as_source

__all__ = ["CBStages", "DiscreteBN", "input_batches"]


class CBStages(Callback):
    """Continuous binarization's schedule: ``pretrain`` epochs, then ``per_stage`` epochs for
    each stage of :class:`~hardtarget.torch.baselines.CBNet` (an int, or one per stage).

    The run's ``epochs`` should be :meth:`total`; the net is binarized when the run ends
    (also when stopped early), and the row gets ``cb_stage`` and the slopes ``m<l>``.

    Parameters
    ----------
    pretrain : int
        Epochs of stage 0.
    per_stage : int or sequence of int
        Epochs of each later stage.
    """

    def __init__(self, pretrain: int = 0, per_stage: int | Sequence[int] = 1) -> None:
        self.pretrain, self.per_stage = pretrain, per_stage

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
        """Epochs of the whole schedule.

        Parameters
        ----------
        n_stages : int
            Stages after pre-training.

        Returns
        -------
        int
        """
        return sum(self.epochs(n_stages))

    def on_fit_start(self, state: Any) -> None:
        model = state.model
        if not hasattr(model, "set_stage"):
            raise HardTargetError(f"CBStages drives a CBNet, got {type(model).__name__}")
        self._ends = torch.tensor(self.epochs(model.n_stages)).cumsum(0).tolist()

    def on_epoch_start(self, state: Any) -> None:
        stage = next(
            (s for s, end in enumerate(self._ends) if state.epoch <= end), len(self._ends) - 1
        )
        if stage != state.model.stage:
            state.model.set_stage(stage)

    def on_epoch_end(self, state: Any) -> None:
        state.row["cb_stage"] = state.model.stage
        for j, act in enumerate(state.model.acts, start=1):
            state.row[f"m{j}"] = float(act.m.detach())

    def on_fit_end(self, state: Any) -> None:
        if state.status in ("completed", "stopped", "interrupted"):
            state.model.binarize()


def input_batches(
    data: Any,
    batch_size: int = 256,
    preprocess: Callable | None = None,
    device: str | torch.device = "cpu",
) -> Callable[[], Iterator[torch.Tensor]]:
    """A zero-argument callable yielding ``data``'s inputs in batches on ``device``
    (``preprocess`` applied there, as :func:`~hardtarget.torch.fit` does)."""
    src = as_source(data, batch_size, "batch-norm")

    def batches() -> Iterator[torch.Tensor]:
        for x, _ in src.batches(False):
            x = x.to(device)
            x = x if x.is_floating_point() else x.to(torch.float32)
            yield preprocess(x) if preprocess is not None else x

    return batches


class DiscreteBN(Callback):
    """Refreshes a :class:`~hardtarget.torch.baselines.WeightDistNet`'s discrete-network
    batch-norm statistics from ``data`` (the training inputs) before it is evaluated.

    ``fit`` evaluates right after each training pass; the net then finds its statistics
    stale and recomputes them with the batches this callback lends it (section 5.1).
    Pass the same ``preprocess`` as to ``fit``.

    Parameters
    ----------
    data : data
        The training inputs (anything :func:`~hardtarget.torch.fit` takes).
    batch_size : int, default=256
        Batches of the statistics pass.
    preprocess : callable, optional
        As given to ``fit``.
    """

    def __init__(
        self, data: Any, batch_size: int = 256, preprocess: Callable | None = None
    ) -> None:
        self.data, self.batch_size, self.preprocess = data, batch_size, preprocess

    def on_fit_start(self, state: Any) -> None:
        if not hasattr(state.model, "recompute_bn"):
            raise HardTargetError(
                f"DiscreteBN needs a WeightDistNet, got {type(state.model).__name__}"
            )
        self.batches = input_batches(self.data, self.batch_size, self.preprocess, state.device)
        state.model.bn_batches = self.batches

    def on_fit_end(self, state: Any) -> None:
        model = state.model
        if state.status != "failed" and not bool(model.stats_fresh):
            model.recompute_bn(self.batches())
        model.bn_batches = None
