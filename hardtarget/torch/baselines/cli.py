"""``hardtarget train --method cb | weight-dist``: the baselines' options and runners.

    hardtarget train --method cb --model mlp --model-option hidden=[256,256] --epochs 30
    hardtarget train --method weight-dist --weights quinary --model cnn --epochs 30

``--epochs`` is the whole procedure; by default half of it pre-trains (the clipping net
for ``cb``, the real ``tanh`` net for ``weight-dist``).  Importing this module does not
import torch (``hardtarget --help`` stays fast); the runners do.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from ...errors import HardTargetError

__all__ = ["MODELS", "add_args", "run_cb", "run_weight_dist"]

log = logging.getLogger("hardtarget.torch")
MODELS = ("mlp", "cnn", "vgg", "spec")
# options of `hardtarget train` that only FTPROP-MB uses, with their defaults
_FTPROP_ONLY = {
    "rule": None,
    "no_weighting": False,
    "preset": None,
    "optimizer": None,
    "momentum": None,
    "log_layers": False,
    "early_stop": None,
}


def _count(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        v = -1
    if v < 0:
        raise argparse.ArgumentTypeError(f"expected an integer >= 0, got {text!r}")
    return v


def add_args(p: argparse.ArgumentParser) -> None:
    """The options of ``--method cb`` and ``--method weight-dist``."""
    g = p.add_argument_group(
        "baselines (--method cb, --method weight-dist; --model mlp, cnn, vgg, spec)"
    )
    g.add_argument(
        "--weights",
        choices=["ternary", "quaternary", "quinary"],
        default=None,
        help="weight-dist: the discrete weight values (default ternary)",
    )
    g.add_argument(
        "--pretrain-epochs",
        type=_count,
        metavar="N",
        help="cb: epochs of the clipping net; weight-dist: epochs of the real tanh net "
        "(default: half of --epochs)",
    )
    g.add_argument(
        "--stage-epochs",
        type=_count,
        metavar="N",
        help="cb: epochs per binarization stage (default: what --epochs leaves, shared; "
        "given, the run is pretrain + stages x N epochs); "
        "weight-dist: epochs with discrete weights and tanh (default: --epochs/6)",
    )
    g.add_argument(
        "--slope-lr", type=float, default=None, help="cb: learning rate of m and a (1e-2)"
    )
    g.add_argument("--slope-lambda", type=float, default=None, help="cb: regularization of m (1.0)")
    g.add_argument(
        "--slope-regularizer", choices=["l2", "l1"], default=None, help="cb: l2 (default) or l1"
    )
    g.add_argument(
        "--slope-schedule",
        choices=["anneal", "fixed"],
        default=None,
        help="cb: anneal (default) raises the slope regularization until m reaches m_switch "
        "before each swap; fixed keeps --slope-lambda",
    )
    g.add_argument(
        "--logit-lr",
        type=float,
        default=None,
        help="weight-dist: learning rate of the logits (1e-2)",
    )


def _check_args(args: argparse.Namespace, method: str) -> None:
    set_ = [k for k, v in _FTPROP_ONLY.items() if getattr(args, k, v) != v]
    if set_:
        opts = ", ".join("--" + k.replace("_", "-") for k in set_)
        raise HardTargetError(
            f"{opts} only apply to --method ftprop; --method {method} trains with Adam "
            "by its own procedure. Drop them"
        )
    if args.model.strip().lower() not in MODELS:
        raise HardTargetError(
            f"--method {method} builds the papers' nets: --model {', '.join(MODELS)} "
            f"(sizes through --model-option), got {args.model!r}"
        )
    if args.activation.strip().lower() != "sign":
        raise HardTargetError(f"--method {method} trains sign activations; drop --activation")
    if args.export_network and args.model.strip().lower() not in ("mlp", "spec"):
        raise HardTargetError("--export-network needs a fully connected net (--model mlp)")


def _data(args: argparse.Namespace):
    import torch

    from ..data import channel_stats, load_dataset
    from ..evaluation import normalizer
    from ..sources import holdout

    bundle = load_dataset(args.dataset, args.data_dir, args.image_size or 224)
    train, val = holdout(bundle.train, args.val_split, args.seed, not args.no_stratify)
    if args.limit is not None:
        train = train.subset(torch.arange(min(args.limit, len(train))))
    c = bundle.in_shape[0]
    norm = channel_stats(train) if not args.no_normalize else ([0.0] * c, [1.0] * c)
    return bundle, train, val, (list(norm[0]), list(norm[1])), normalizer(norm)


def _milestones(text: str | None) -> list:
    try:
        return [int(m) for m in (text or "").split(",") if m.strip()]
    except ValueError:
        raise HardTargetError(
            f"--milestones must be comma-separated epochs, e.g. 20,25; got {text!r}"
        ) from None


def _fit_kwargs(args: argparse.Namespace, bundle, val, pre) -> dict:
    from ..data import augment

    return {
        "out_dir": args.out,
        "resume": args.resume,
        "weight_decay": args.weight_decay or 0.0,
        "decay_biases_and_norms": args.decay_biases_and_norms,
        "milestones": _milestones(args.milestones),
        "gamma": 0.1 if args.gamma is None else args.gamma,
        "channels_last": args.channels_last,
        "compile": args.compile or False,
        "test": bundle.test,
        "val": val,
        "batch_size": args.batch_size,
        "seed": args.seed,
        "device": args.device,
        "preprocess": pre,
        "transform": augment if args.augment else None,
        "precision": args.precision,
        "progress": False if (args.no_progress or getattr(args, "quiet", False)) else None,
    }


def _split(args: argparse.Namespace, first_default: int) -> tuple[int, int | None]:
    epochs = args.epochs or 10
    pre = first_default if args.pretrain_epochs is None else args.pretrain_epochs
    if pre > epochs:
        raise HardTargetError(f"--pretrain-epochs {pre} exceeds --epochs {epochs}")
    return pre, args.stage_epochs


def _model_options(args: argparse.Namespace) -> dict:
    """``--model-option`` values, parsed by the CLI's grammar into ``args.model_options``."""
    return dict(getattr(args, "model_options", None) or {})


def run_cb(args: argparse.Namespace) -> int:
    """``hardtarget train --method cb``."""
    _check_args(args, "cb")
    import torch

    from .arch import arch_spec
    from .cb import CBNet
    from .procedures import train_cb

    bundle, train, val, norm, pre = _data(args)
    torch.manual_seed(args.seed)
    model = CBNet(
        arch_spec(args.model, **_model_options(args)),
        bundle.in_shape,
        bundle.num_classes,
        regularizer=args.slope_regularizer or "l2",
        lam=1.0 if args.slope_lambda is None else args.slope_lambda,
    )
    epochs = args.epochs or 10
    pretrain, per = _split(args, epochs // 2)
    if per is None:
        rest, n = epochs - pretrain, model.n_stages
        if rest < n:
            need = 2 * n - 1 if args.pretrain_epochs is None else pretrain + n
            raise HardTargetError(
                f"--method cb needs an epoch for each of its {n} stages after pre-training (one "
                f"per hidden layer, then the output layer), and --epochs {epochs} leaves {rest}; "
                f"raise --epochs to {need} or set --pretrain-epochs and --stage-epochs"
            )
        per = rest // n
    return _finish(
        args,
        bundle,
        norm,
        lambda: train_cb(
            model,
            train,
            pretrain_epochs=pretrain,
            stage_epochs=per,
            lr=args.lr or 1e-3,
            slope_lr=1e-2 if args.slope_lr is None else args.slope_lr,
            slope_schedule=args.slope_schedule or "anneal",
            **_fit_kwargs(args, bundle, val, pre),
        ),
    )


def run_weight_dist(args: argparse.Namespace) -> int:
    """``hardtarget train --method weight-dist``."""
    _check_args(args, "weight-dist")
    import torch

    from .arch import arch_spec
    from .plain import RealNet
    from .procedures import train_weight_dist

    bundle, train, val, norm, pre = _data(args)
    torch.manual_seed(args.seed)
    real = RealNet(
        arch_spec(args.model, **_model_options(args)), bundle.in_shape, bundle.num_classes
    )
    epochs = args.epochs or 10
    pretrain, tanh = _split(args, epochs // 2)
    tanh = epochs // 6 if tanh is None else tanh
    sign = epochs - pretrain - tanh
    if sign < 1:
        raise HardTargetError(
            f"--epochs {epochs} leaves no epoch for the sign stage after "
            f"{pretrain} pre-training and {tanh} tanh epochs; raise --epochs"
        )
    return _finish(
        args,
        bundle,
        norm,
        lambda: train_weight_dist(
            real,
            train,
            weights=args.weights or "ternary",
            real_epochs=pretrain,
            tanh_epochs=tanh,
            sign_epochs=sign,
            lr=args.lr or 1e-3,
            logit_lr=1e-2 if args.logit_lr is None else args.logit_lr,
            **_fit_kwargs(args, bundle, val, pre),
        ),
    )


def _finish(args: argparse.Namespace, bundle, norm, run) -> int:
    try:
        res = run()
    except KeyboardInterrupt:
        print("hardtarget train: interrupted", file=sys.stderr)
        return 130
    if args.out:
        from ..._io import exclusive_lock

        with exclusive_lock(Path(args.out)):
            _save(Path(args.out), res, norm)
    if args.export_network:
        from ..convert import from_torch

        two = bundle.num_classes == 2
        net = from_torch(
            res.network, classes=bundle.classes if two else None, binary=two, norm=norm
        )
        net.save(args.export_network)
    if args.json:
        from ..._io import dumps_json

        print(
            dumps_json(
                {"status": res.status, "stages": res.stages, "history": res.history}, indent=1
            )
        )
    else:
        last = res.history[-1] if res.history else {}
        print(
            " ".join(
                f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in last.items()
            )
        )
        print(
            f"{res.status} in {res.seconds:.1f} s; final sign network: "
            f"{last.get('test_top1', float('nan')):.2f}% test top-1"
        )
    return 0 if res.status == "completed" else 130


def _save(out: Path, res, norm) -> None:
    """``final.pt`` (the final network's tensors and normalization) and ``log.json``, atomically."""

    from ..._io import atomic_open, dumps_json
    from ..callbacks import save_atomic

    os.makedirs(out, exist_ok=True)
    save_atomic(
        {"model": res.model.state_dict(), "norm": [norm[0], norm[1]], "stages": res.stages},
        out / "final.pt",
    )
    with atomic_open(out / "log.json", "w") as fh:
        fh.write(dumps_json(res.history, indent=1))
