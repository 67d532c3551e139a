"""Callbacks that run the baselines' procedures inside :func:`hardtarget.torch.fit`.

Examples
--------
>>> from hardtarget.torch import fit                                       # doctest: +SKIP
>>> fit(cbnet, (X, y), epochs=8, callbacks=[CBStages(pretrain=2, per_stage=2)])  # doctest: +SKIP
>>> fit(wdnet, (X, y), epochs=5, callbacks=[RefreshBatchNorm((X, y))])     # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import torch

from ...errors import HardTargetError
from .._require import renamed
from ..callbacks import Callback
from ..sources import as_source
from .cb_stages import CBStages

__all__ = ["CBStages", "RefreshBatchNorm", "input_batches"]


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


class RefreshBatchNorm(Callback):
    """Refreshes a :class:`~hardtarget.torch.baselines.WeightDistNet`'s discrete-network
    batch-norm statistics from ``data`` (the training inputs) before it is evaluated.

    ``fit`` evaluates right after each training pass; the net then finds its statistics
    stale and recomputes them with the batches this callback lends it (section 5.1).
    Pass the same ``preprocess`` as to ``fit``.  (Named ``DiscreteBN`` before; that name
    still works, with a :class:`DeprecationWarning`.)

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
                f"RefreshBatchNorm needs a WeightDistNet, got {type(state.model).__name__}"
            )
        self.batches = input_batches(self.data, self.batch_size, self.preprocess, state.device)
        state.model.bn_batches = self.batches

    def on_fit_end(self, state: Any) -> None:
        model = state.model
        if state.status != "failed" and not bool(model.stats_fresh):
            model.recompute_bn(self.batches())
        model.bn_batches = None


__getattr__ = renamed(__name__, __name__, {"DiscreteBN": "RefreshBatchNorm"})
