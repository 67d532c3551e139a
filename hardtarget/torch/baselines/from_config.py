"""The baselines as training methods: a :class:`~hardtarget.torch.TrainConfig` in, a run out.

``method="cb"`` runs :func:`~hardtarget.torch.baselines.train_cb` and ``"weight-dist"``
:func:`~hardtarget.torch.baselines.train_weight_dist` on the papers' nets (``model`` one
of :data:`MODELS`, sizes through ``model_options``), with the data set up as for
FTPROP-MB (:func:`~hardtarget.torch.named_run.prepare_data`).  ``epochs`` is the whole
procedure; by default half of it pre-trains (the clipping net for ``cb``, the real
``tanh`` net for ``weight-dist``).  With ``out_dir`` the procedure writes its checkpoints
and, under the same lock, ``final.pt`` (the final network's tensors, the normalization and
the stages) and ``log.json``, atomically.

Examples
--------
>>> from hardtarget.torch import TrainConfig, train                          # doctest: +SKIP
>>> res = train(TrainConfig(method="cb", model="mlp", dataset="digits:0-1"))  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from ...budget import Budget
from ...errors import HardTargetError
from ...params import resolved_value
from ..named_run import fit_options, prepare_data
from ..train_config import TrainConfig
from .arch import arch_spec
from .cb import CBNet
from .plain import RealNet
from .procedures import BaselineResult, train_cb, train_weight_dist

__all__ = ["MODELS", "run_cb", "run_weight_dist"]

MODELS = ("mlp", "cnn", "vgg", "spec")


def _setup(c: TrainConfig) -> tuple:
    """Check the model, set up the data as FTPROP-MB does, seed the model's initialization."""
    if c.model.strip().lower() not in MODELS:
        raise HardTargetError(
            f"--method {c.method} builds the papers' nets: --model {', '.join(MODELS)} "
            f"(sizes through --model-option), got {c.model!r}"
        )
    if c.activation.strip().lower() != "sign":
        raise HardTargetError(f"--method {c.method} trains sign activations; drop --activation")
    bundle, train, val, norm = prepare_data(c)
    torch.manual_seed(c.seed)
    return bundle, train, val, norm


def _fit_kwargs(c: TrainConfig, bundle, val, norm, callbacks: Sequence[Any], budget) -> dict:
    """``fit_options`` plus the procedure's checkpoints and what ``final.pt`` adds."""
    out = fit_options(c, bundle, val, norm, callbacks, budget)
    out.update(out_dir=c.out_dir, resume=c.resume, final={"norm": [norm[0], norm[1]]})
    return out


def _split(c: TrainConfig, first_default: int) -> tuple[int, int | None]:
    pre = first_default if c.pretrain_epochs is None else c.pretrain_epochs
    if pre > resolved_value(c.epochs, "TrainConfig.epochs"):
        raise HardTargetError(f"--pretrain-epochs {pre} exceeds --epochs {c.epochs}")
    return pre, c.stage_epochs


def _done(res: BaselineResult, bundle, norm) -> BaselineResult:
    res.classes, res.norm = list(bundle.classes), (norm[0], norm[1])
    return res


def run_cb(
    c: TrainConfig, callbacks: Sequence[Any] = (), budget: Budget | None = None
) -> BaselineResult:
    """Continuous binarization of a resolved config (``method="cb"``).

    Parameters
    ----------
    c : TrainConfig
        Resolved (:meth:`~hardtarget.torch.TrainConfig.resolved`).
    callbacks : sequence of Callback
        Extra callbacks of every phase.
    budget : hardtarget.budget.Budget, optional
        Ends the procedure (any phase) when cancelled or out of time.

    Returns
    -------
    BaselineResult
    """
    bundle, train, val, norm = _setup(c)
    model = CBNet(
        arch_spec(c.model, **c.model_options),
        bundle.in_shape,
        bundle.num_classes,
        regularizer=c.slope_regularizer or "l2",
        lam=1.0 if c.slope_lambda is None else c.slope_lambda,
    )
    epochs = resolved_value(c.epochs, "TrainConfig.epochs")
    pretrain, per = _split(c, epochs // 2)
    if per is None:
        rest, n = epochs - pretrain, model.n_stages
        if rest < n:
            need = 2 * n - 1 if c.pretrain_epochs is None else pretrain + n
            raise HardTargetError(
                f"--method cb needs an epoch for each of its {n} stages after pre-training (one "
                f"per hidden layer, then the output layer), and --epochs {c.epochs} leaves "
                f"{rest}; raise --epochs to {need} or set --pretrain-epochs and --stage-epochs"
            )
        per = rest // n
    res = train_cb(
        model,
        train,
        pretrain_epochs=pretrain,
        stage_epochs=per,
        lr=resolved_value(c.lr, "TrainConfig.lr"),
        slope_lr=1e-2 if c.slope_lr is None else c.slope_lr,
        slope_schedule=c.slope_schedule or "anneal",
        **_fit_kwargs(c, bundle, val, norm, callbacks, budget),
    )
    return _done(res, bundle, norm)


def run_weight_dist(
    c: TrainConfig, callbacks: Sequence[Any] = (), budget: Budget | None = None
) -> BaselineResult:
    """Discrete weight distributions of a resolved config (``method="weight-dist"``):
    ``epochs // 2`` real ``tanh`` epochs and ``epochs // 6`` with discrete weights and
    ``tanh`` by default, the rest with ``sign``.

    Parameters
    ----------
    c : TrainConfig
        As for :func:`run_cb`.
    callbacks : sequence of Callback
        As for :func:`run_cb`.
    budget : hardtarget.budget.Budget, optional
        As for :func:`run_cb`.

    Returns
    -------
    BaselineResult
    """
    bundle, train, val, norm = _setup(c)
    real = RealNet(arch_spec(c.model, **c.model_options), bundle.in_shape, bundle.num_classes)
    epochs = resolved_value(c.epochs, "TrainConfig.epochs")
    pretrain, tanh = _split(c, epochs // 2)
    tanh = epochs // 6 if tanh is None else tanh
    sign = epochs - pretrain - tanh
    if sign < 1:
        raise HardTargetError(
            f"--epochs {c.epochs} leaves no epoch for the sign stage after "
            f"{pretrain} pre-training and {tanh} tanh epochs; raise --epochs"
        )
    res = train_weight_dist(
        real,
        train,
        weights=c.weights or "ternary",
        real_epochs=pretrain,
        tanh_epochs=tanh,
        sign_epochs=sign,
        lr=resolved_value(c.lr, "TrainConfig.lr"),
        logit_lr=1e-2 if c.logit_lr is None else c.logit_lr,
        **_fit_kwargs(c, bundle, val, norm, callbacks, budget),
    )
    return _done(res, bundle, norm)
