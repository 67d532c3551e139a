"""The training methods of :func:`~hardtarget.torch.train` and ``hardtarget train --method``.

A method is a :class:`TrainingMethod`: a name, what it does (the ``--help`` text and the
refusal of another method's option say it), and the function that runs a resolved
:class:`~hardtarget.torch.train_config.TrainConfig`.  The built-ins (``ftprop``, ``cb``,
``weight-dist``) are registered in the entry-point group ``hardtarget.training_methods``,
as a plugin's would be.  This module does not import torch.

Examples
--------
>>> from hardtarget.torch.methods import BUILTIN
>>> [m.name for m in BUILTIN]
['ftprop', 'cb', 'weight-dist']
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["TrainingMethod", "FTPROP", "CB", "WEIGHT_DIST", "BUILTIN"]


@dataclass(frozen=True)
class TrainingMethod:
    """One way to train a network from a :class:`~hardtarget.torch.train_config.TrainConfig`.

    Parameters
    ----------
    name : str
        The ``method`` of a config (``--method``).
    summary : str
        What it does, for ``--help``.
    why : str
        Completes "--method NAME ..." in the refusal of an option the method ignores.
    runner : str
        ``"module:function"``; ``function(config, callbacks, budget)`` trains a resolved
        config and returns its result (imported when first run, so listing methods stays
        cheap).
    """

    name: str
    summary: str
    why: str
    runner: str

    def run(self, config: Any, callbacks: Sequence[Any] = (), budget: Any = None) -> Any:
        """Train ``config`` (already resolved) with this method.

        Parameters
        ----------
        config : TrainConfig
        callbacks : sequence of Callback
        budget : hardtarget.budget.Budget, optional
            Ends the run when cancelled or out of time.

        Returns
        -------
        TrainResult or BaselineResult
        """
        module, name = self.runner.split(":")
        fn: Callable = getattr(importlib.import_module(module), name)
        return fn(config, callbacks, budget)


FTPROP = TrainingMethod(
    "ftprop",
    "FTPROP-MB, hard activations trained by their layer losses (default)",
    "trains with Adam by its own procedure",
    "hardtarget.torch.named_run:run_ftprop",
)
CB = TrainingMethod(
    "cb",
    "continuous binarization",
    "trains sign activations with continuous binarization",
    "hardtarget.torch.baselines.from_config:run_cb",
)
WEIGHT_DIST = TrainingMethod(
    "weight-dist",
    "discrete weight distributions with sign activations",
    "learns discrete weight distributions",
    "hardtarget.torch.baselines.from_config:run_weight_dist",
)
BUILTIN = (FTPROP, CB, WEIGHT_DIST)
