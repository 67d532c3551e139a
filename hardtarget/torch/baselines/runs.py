"""What the baselines' procedures share: their Adam, its options, and their checkpoints.

Both procedures build their own Adam (one learning rate for the weights, another for the
slopes or logits), so the training options that :func:`~hardtarget.torch.fit` would apply
to an optimizer it builds are applied here instead: ``weight_decay`` (weight matrices
and kernels, or every parameter with ``decay_biases_and_norms``), ``betas``, and the
step schedule ``milestones``/``gamma`` counted in epochs of the whole procedure.
Options Adam has no use for are refused (:func:`split_options`).

With ``out_dir`` every phase writes its checkpoints through the trainer's
:class:`~hardtarget.torch.callbacks.Checkpoint` into ``out_dir/<phase>/`` (``last.pt``,
``best.pt``, ``log.csv``, ``log.json``, atomically), while the procedure holds
:func:`~hardtarget._io.exclusive_lock` on ``out_dir``; ``resume=True`` continues from the
last phase that has a ``last.pt``.  Every epoch seeds its randomness from
``(seed, epoch)``, so a resumed run equals an uninterrupted one bit for bit.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import torch
from torch import nn

from ...errors import HardTargetError
from .._checks import check_rates

__all__ = [
    "AdamOptions",
    "adam",
    "check_resume",
    "checkpoints",
    "locked",
    "phase_schedule",
    "save_final",
    "split_options",
]

# fit options a procedure sets itself, and those Adam has no use for
_FIXED = ("epochs", "optimizer", "lr")
_NOT_ADAM = ("momentum",)


class AdamOptions:
    """The optimizer options of a procedure: ``betas``, ``weight_decay``, the LR steps."""

    def __init__(
        self,
        betas: Sequence[float] = (0.9, 0.999),
        weight_decay: float = 0.0,
        decay_biases_and_norms: bool = False,
        milestones: Sequence[int] = (),
        gamma: float = 0.1,
    ) -> None:
        betas = tuple(float(b) for b in betas)
        if len(betas) != 2 or not all(0 <= b < 1 for b in betas):
            raise HardTargetError(f"betas must be two numbers in [0, 1), got {betas!r}")
        check_rates(weight_decay=weight_decay, gamma=gamma)
        ms = [int(m) for m in milestones]
        if any(m < 1 for m in ms) or ms != sorted(ms):
            raise HardTargetError(
                f"milestones must be increasing epoch numbers >= 1, got {list(milestones)}"
            )
        self.betas, self.weight_decay = betas, float(weight_decay)
        self.decay_all, self.milestones, self.gamma = bool(decay_biases_and_norms), ms, gamma


def split_options(kwargs: dict, scheduler_ok: bool) -> tuple[AdamOptions, dict]:
    """The Adam options out of a procedure's ``**fit_kwargs``, and what goes on to ``fit``.

    Parameters
    ----------
    kwargs : dict
        The procedure's ``**fit_kwargs``.
    scheduler_ok : bool
        Whether a ``scheduler`` callable may pass (one optimizer for the whole run).

    Returns
    -------
    AdamOptions, dict
        The optimizer options and the remaining ``fit`` arguments.

    Raises
    ------
    HardTargetError
        For what the procedure sets (``epochs``, ``optimizer``, ``lr``), what Adam
        cannot use (``momentum``) and, unless ``scheduler_ok``, a ``scheduler``.
    """
    bad = [k for k in _FIXED if k in kwargs]
    if bad:
        raise HardTargetError(
            f"{', '.join(bad)} are set by the procedure; use its own epoch and "
            "learning-rate arguments"
        )
    bad = [k for k in _NOT_ADAM if k in kwargs]
    if bad:
        raise HardTargetError(
            f"{', '.join(bad)} has no meaning for the procedure's Adam; set betas=(b1, b2) instead"
        )
    if not scheduler_ok and kwargs.get("scheduler") is not None:
        raise HardTargetError(
            "a scheduler callable cannot span the procedure's phases (each has its own "
            "optimizer); give milestones and gamma, counted in epochs of the whole procedure"
        )
    rest = dict(kwargs)
    opts = AdamOptions(
        rest.pop("betas", (0.9, 0.999)),
        rest.pop("weight_decay", 0.0),
        rest.pop("decay_biases_and_norms", False),
        rest.pop("milestones", ()),
        rest.pop("gamma", 0.1),
    )
    return opts, rest


def adam(groups: list, opts: AdamOptions, lr_scale: float = 1.0) -> torch.optim.Adam:
    """Adam with the procedure's options, weight decay applied as ``fit`` applies it.

    Parameters
    ----------
    groups : list of dict
        ``params`` and ``lr``; ``decay=False`` exempts a group from weight decay (the
        slopes and scales of continuous binarization have a regularization of their own).
    opts : AdamOptions
        Betas, weight decay (tensors of two or more dimensions unless ``decay_all``).
    lr_scale : float
        Factor on every group's learning rate (steps already taken by earlier phases).

    Returns
    -------
    torch.optim.Adam
    """
    out = []
    for g in groups:
        params, lr = list(g["params"]), g["lr"] * lr_scale
        wd = opts.weight_decay if g.get("decay", True) else 0.0
        if wd == 0 or opts.decay_all:
            parts = [(params, wd)]
        else:
            parts = [
                ([p for p in params if p.ndim > 1], wd),
                ([p for p in params if p.ndim <= 1], 0),
            ]
        out += [{"params": ps, "lr": lr, "weight_decay": w} for ps, w in parts if ps]
    return torch.optim.Adam(out, betas=opts.betas)


def phase_schedule(opts: AdamOptions, offset: int, epochs: int) -> tuple[float, list]:
    """The learning-rate steps of one phase of a procedure.

    Parameters
    ----------
    opts : AdamOptions
        Its ``milestones`` count epochs of the whole procedure (from 1).
    offset, epochs : int
        Epochs of the procedure before the phase, and of the phase.

    Returns
    -------
    float, list of int
        The factor on the phase's starting rates (steps already taken carry over) and
        the milestones within the phase.
    """
    taken = sum(1 for m in opts.milestones if m <= offset)
    local = [m - offset for m in opts.milestones if offset < m < offset + epochs]
    return opts.gamma**taken, local


@contextlib.contextmanager
def locked(out_dir: str | os.PathLike[str] | None) -> Iterator[Path | None]:
    """Hold the output directory's lock for a whole procedure (nothing without one).

    Parameters
    ----------
    out_dir : str, path or None

    Returns
    -------
    context manager
        Yields the directory as a ``Path`` (created if missing), or None.
    """
    if out_dir is None:
        yield None
        return
    from ..._io import exclusive_lock

    path = Path(out_dir)
    path.mkdir(parents=True, exist_ok=True)
    with exclusive_lock(path):
        yield path


def checkpoints(
    out_dir: Path | None, phase: str, resume: bool, signature: dict, model: nn.Module
) -> list:
    """The checkpoint callback of one phase.

    Parameters
    ----------
    out_dir : Path or None
        The procedure's directory; the phase writes into ``out_dir/phase``.
    phase : str
    resume : bool
        Resume the phase if it has a ``last.pt``.
    signature : dict
        What a resumed checkpoint must match (with the phase and the model's class).
    model : torch.nn.Module

    Returns
    -------
    list
        One :class:`~hardtarget.torch.callbacks.Checkpoint`, or none without ``out_dir``.
    """
    if out_dir is None:
        return []
    from ..callbacks import Checkpoint

    where = out_dir / phase
    again = resume and (where / "last.pt").exists()
    sig = {"phase": phase, "model": type(model).__name__, **signature}
    return [Checkpoint(where, again, sig)]


def check_resume(out_dir: Path | None, resume: bool, phases: Sequence[str]) -> None:
    """Check ``resume`` against ``out_dir``; a fresh run clears the phases' checkpoints.

    Parameters
    ----------
    out_dir : Path or None
        The locked output directory.
    resume : bool
        Needs ``out_dir`` and at least one phase's ``last.pt`` in it.
    phases : sequence of str
        The procedure's phase directories.  Without ``resume`` their ``last.pt`` and
        ``best.pt`` (an earlier run's) are removed, so that resuming this run later never
        picks up a later phase of that one.
    """
    if not resume:
        for p in phases:
            for name in ("last.pt", "best.pt"):
                if out_dir is not None:
                    (out_dir / p / name).unlink(missing_ok=True)
        return
    if out_dir is None:
        raise HardTargetError("resume=True needs the out_dir that holds the checkpoints")
    if not any((out_dir / p / "last.pt").exists() for p in phases):
        raise HardTargetError(
            f"nothing to resume in {out_dir}: no {'/, '.join(phases)}/ last.pt; "
            "train without resume first"
        )


def save_final(out_dir: Path | None, res: Any, extra: dict) -> None:
    """``final.pt`` (the final network's tensors, ``stages`` and ``extra``) and ``log.json``
    (every phase's rows), written atomically into the locked ``out_dir`` (nothing without).

    Parameters
    ----------
    out_dir : Path or None
        The directory the procedure holds locked.
    res : BaselineResult
    extra : dict
        More entries of ``final.pt`` (``train`` adds the normalization, ``norm``).
    """
    if out_dir is None:
        return
    from ..._io import atomic_open, dumps_json
    from ..callbacks import save_atomic

    save_atomic(
        {"model": res.model.state_dict(), **extra, "stages": res.stages}, out_dir / "final.pt"
    )
    with atomic_open(out_dir / "log.json", "w") as fh:
        fh.write(dumps_json(res.history, indent=1))
