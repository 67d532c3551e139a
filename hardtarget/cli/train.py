"""``hardtarget train``: train a hard-threshold network on a named data set (needs torch).

    hardtarget train --model convnet4 --activation sign --rule soft_hinge --dataset digits
    torchrun --nproc_per_node 2 -m hardtarget train --model mlp --dataset digits:0-1 --out run/

``--method`` picks the training method through :data:`METHODS`; a method is a
function ``run(args) -> int`` and may add its own options in :func:`_method_args`.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable

from ..errors import HardTargetError
from ._args import add_parser, nonneg_int, pos_int
from ._options import parse_model_options

__all__ = ["register", "run", "METHODS"]


def _model_args(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("model")
    g.add_argument(
        "--model",
        default="convnet4",
        help="mlp, convnet4 (default), convnet8, alexnet, resnet18, resnet18-cifar",
    )
    g.add_argument(
        "--activation",
        default="sign",
        help="sign (default), step, qrelu<k> (qrelu3 = 2 bits), relu, sat-relu",
    )
    g.add_argument(
        "--rule",
        default=None,
        help="layer loss: soft_hinge (FTP-SH, default), saturated_hinge (SSTE), hinge, "
        "ste, step_hinges (qrelu only); none for relu/sat-relu. Hyphens accepted",
    )
    g.add_argument(
        "--no-weighting", action="store_true", help="drop the |dL/dh| weighting of the layer loss"
    )
    g.add_argument(
        "--model-option",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="extra model argument, e.g. width=256 or hidden=[64]",
    )


def _data_args(p: argparse.ArgumentParser) -> None:
    d = p.add_argument_group("data")
    d.add_argument(
        "--dataset",
        default="digits",
        help="digits (default), digits:A-B, synthetic[:N], cifar10, cifar100, mnist, imagefolder",
    )
    d.add_argument("--data-dir", help="directory of an on-disk dataset")
    d.add_argument(
        "--image-size",
        type=pos_int,
        default=None,
        help="imagefolder images are resized to this square (default 224)",
    )
    d.add_argument(
        "--augment", action="store_true", help="random crops (4-pixel padding) and horizontal flips"
    )
    d.add_argument("--no-normalize", action="store_true", help="skip mean/std normalization")
    d.add_argument(
        "--val-split",
        type=float,
        default=0.0,
        metavar="FRACTION",
        help="fraction of the training set held out for validation, per class and "
        "seeded by --seed (default 0)",
    )
    d.add_argument(
        "--no-stratify",
        action="store_true",
        help="hold out a plain random fraction instead of the same fraction per class",
    )
    d.add_argument("--limit", type=pos_int, help="use only the first N training images")


def _optim_args(p: argparse.ArgumentParser) -> None:
    o = p.add_argument_group("optimization")
    o.add_argument(
        "--preset",
        choices=["cifar10-convnet4", "cifar10-convnet8", "imagenet-alexnet", "imagenet-resnet18"],
        help="appendix-B recipe (explicit options override it)",
    )
    o.add_argument("--epochs", type=pos_int, help="default 10 (or the preset's)")
    o.add_argument("--batch-size", type=pos_int, default=64)
    o.add_argument(
        "--optimizer", choices=["adam", "sgd"], help="adam (default) or sgd with momentum"
    )
    o.add_argument("--lr", type=float, help="learning rate (default 1e-3 or the preset's)")
    o.add_argument("--momentum", type=float, help="SGD momentum (default 0.9)")
    o.add_argument("--weight-decay", type=float, help="L2 penalty on weights (default 0)")
    o.add_argument(
        "--decay-biases-and-norms",
        action="store_true",
        help="apply the weight decay to biases and norm parameters too",
    )
    o.add_argument("--milestones", help="epochs after which the learning rate decays, e.g. 200,250")
    o.add_argument(
        "--gamma", type=float, default=None, help="learning-rate decay factor (default 0.1)"
    )
    o.add_argument(
        "--early-stop",
        type=pos_int,
        metavar="EPOCHS",
        help="stop when the selection metric has not improved for this many epochs",
    )


def _run_args(p: argparse.ArgumentParser) -> None:
    r = p.add_argument_group("run")
    r.add_argument("--seed", type=nonneg_int, default=0)
    r.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    r.add_argument(
        "--precision",
        choices=["fp32", "bf16", "fp16"],
        default="fp32",
        help="autocast mixed precision (fp16 adds loss scaling); default fp32",
    )
    r.add_argument("--channels-last", action="store_true", help="channels-last memory format")
    r.add_argument(
        "--compile",
        nargs="?",
        const="inductor",
        default=None,
        metavar="BACKEND",
        help="torch.compile the model (backend default inductor)",
    )
    r.add_argument(
        "--out",
        help="directory for last.pt, best.pt, log.csv, log.json (locked while the run writes it)",
    )
    r.add_argument("--resume", action="store_true", help="continue from OUT/last.pt")
    r.add_argument("--no-progress", action="store_true", help="never show a progress bar")
    r.add_argument("--json", action="store_true", help="print the history as JSON")
    r.add_argument(
        "--export-network",
        metavar="PATH",
        help="save the trained MLP as a hardtarget Network (.npz) for verify/export; "
        "normalization is folded in, a two-class output becomes one sign unit",
    )
    r.add_argument(
        "--log-layers",
        action="store_true",
        help="log each hard layer's mean layer loss and fraction of +1 targets per epoch",
    )


def _method_args(p: argparse.ArgumentParser) -> None:
    """``--method`` and the options of the methods other than ``ftprop``."""
    p.add_argument(
        "--method",
        choices=list(METHODS),
        default="ftprop",
        help="ftprop: FTPROP-MB, hard activations trained by their layer losses "
        "(default); cb: continuous binarization; weight-dist: discrete weight "
        "distributions with sign activations",
    )
    from ..torch.baselines.cli import add_args

    add_args(p)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``train`` to the command line."""
    p = add_parser(
        subparsers, "train", "train a hard-threshold network with FTPROP-MB (needs torch)"
    )
    _method_args(p)
    for add in (_model_args, _data_args, _optim_args, _run_args):
        add(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run ``hardtarget train`` with the chosen method."""
    from ..torch._require import require_torch

    require_torch()
    check_method_options(args)
    return METHODS[args.method](args)


# The options that not every --method uses: option (argparse dest) -> the methods that act
# on it.  Every other option acts for every method.  Method-specific options default to
# None (or False for a flag), so that giving one, even with its default value, is seen.
METHOD_OPTIONS: dict[str, tuple[str, ...]] = {
    **dict.fromkeys(
        (
            "rule",
            "no_weighting",
            "preset",
            "optimizer",
            "momentum",
            "log_layers",
            "early_stop",
        ),
        ("ftprop",),
    ),
    **dict.fromkeys(("pretrain_epochs", "stage_epochs"), ("cb", "weight-dist")),
    **dict.fromkeys(("slope_lr", "slope_lambda", "slope_regularizer", "slope_schedule"), ("cb",)),
    **dict.fromkeys(("weights", "logit_lr"), ("weight-dist",)),
}
_WHY = {
    "ftprop": "trains with Adam by its own procedure",
    "cb": "trains sign activations with continuous binarization",
    "weight-dist": "learns discrete weight distributions",
}


def _flag(dest: str) -> str:
    return "--" + dest.replace("_", "-")


def _given(args: argparse.Namespace, dest: str) -> bool:
    v = getattr(args, dest, None)
    return v is not None and v is not False


def check_method_options(args: argparse.Namespace) -> None:
    """Refuse every option that ``args.method`` would not act on (HardTargetError, exit 2):
    the options of other methods (:data:`METHOD_OPTIONS`) and those that only act with
    another option (``--momentum`` with SGD, ``--gamma`` with milestones, ...)."""
    from ..torch._checks import check_rates

    rates = ("lr", "momentum", "weight_decay", "gamma", "val_split", "slope_lr", "logit_lr")
    check_rates(**{k: getattr(args, k) for k in rates if getattr(args, k, None) is not None})
    method = args.method
    foreign: dict[tuple, list] = {}
    for dest, methods in METHOD_OPTIONS.items():
        if method not in methods and _given(args, dest):
            foreign.setdefault(methods, []).append(_flag(dest))
    for methods, opts in foreign.items():
        allowed = " or ".join(f"--method {m}" for m in methods)
        verb = "applies" if len(opts) == 1 else "apply"
        raise HardTargetError(
            f"{', '.join(opts)} only {verb} to {allowed}; --method {method} {_WHY[method]}"
            f". Drop {'it' if len(opts) == 1 else 'them'}"
        )
    _check_pairs(args)


def _check_pairs(args: argparse.Namespace) -> None:
    """Options that act only together with another one."""
    base = str(args.dataset).strip().lower().split(":", 1)[0]
    if args.data_dir is not None and base in ("digits", "synthetic"):
        raise HardTargetError(
            f"--data-dir is not read for --dataset {args.dataset} (built in); drop it, or "
            "name an on-disk dataset (cifar10, cifar100, mnist, imagefolder)"
        )
    if args.image_size is not None and base not in ("imagefolder", "imagenet"):
        raise HardTargetError(
            f"--image-size resizes imagefolder images only; drop it for --dataset {args.dataset}"
        )
    if args.no_stratify and not args.val_split:
        raise HardTargetError("--no-stratify changes how --val-split holds out; give --val-split")
    from ..torch.training import PRESETS

    preset = PRESETS.get(args.preset, {}) if args.preset else {}  # (ftprop only)
    optimizer = (args.optimizer or preset.get("optimizer", "adam")).lower()
    if args.momentum is not None and optimizer != "sgd":
        raise HardTargetError(
            f"--momentum applies to --optimizer sgd; the optimizer is {optimizer}. Drop it or "
            "add --optimizer sgd"
        )
    if args.gamma is not None and not (args.milestones or preset.get("milestones")):
        raise HardTargetError(
            "--gamma is the learning-rate decay at --milestones; give --milestones or drop it"
        )
    decay = args.weight_decay if args.weight_decay is not None else preset.get("weight_decay", 0)
    if args.decay_biases_and_norms and not decay:
        raise HardTargetError(
            "--decay-biases-and-norms extends the weight decay, which is 0; give --weight-decay"
        )


def _milestones(text: str | None) -> list[int] | None:
    if not text:
        return None
    try:
        return [int(m) for m in text.split(",") if m.strip()]
    except ValueError:
        raise HardTargetError(
            f"--milestones must be comma-separated epochs, e.g. 200,250; got {text!r}"
        ) from None


def config_from_args(args: argparse.Namespace):
    """The :class:`~hardtarget.torch.TrainConfig` of the parsed options."""
    from ..torch.training import TrainConfig

    return TrainConfig(
        model=args.model,
        activation=args.activation,
        rule=args.rule,
        weighted=not args.no_weighting,
        dataset=args.dataset,
        data_dir=args.data_dir,
        image_size=args.image_size or 224,
        model_options=parse_model_options(args.model_option),
        preset=args.preset,
        epochs=args.epochs,
        batch_size=args.batch_size,
        optimizer=args.optimizer,
        lr=args.lr,
        momentum=args.momentum,
        weight_decay=args.weight_decay,
        decay_biases_and_norms=args.decay_biases_and_norms,
        milestones=_milestones(args.milestones),
        gamma=0.1 if args.gamma is None else args.gamma,
        augment=args.augment,
        normalize=not args.no_normalize,
        val_split=args.val_split,
        stratify=not args.no_stratify,
        limit=args.limit,
        seed=args.seed,
        device=args.device,
        precision=args.precision,
        channels_last=args.channels_last,
        compile=args.compile or False,
        out_dir=args.out,
        resume=args.resume,
        patience=args.early_stop,
        progress=False if (args.no_progress or args.quiet) else None,
        log_layers=args.log_layers,
    )


def _run_ftprop(args: argparse.Namespace) -> int:
    from ..torch.training import train

    cfg = config_from_args(args)
    if args.resume and not args.out:
        raise HardTargetError("--resume needs --out DIR, the directory that holds last.pt")
    if args.export_network and (
        args.model.strip().lower() != "mlp"
        or args.activation.strip().lower() in ("relu", "sat-relu", "satrelu")
    ):
        raise HardTargetError(
            "--export-network needs --model mlp with a hard activation (sign, "
            f"step, qrelu<k>); got {args.model} with {args.activation}"
        )
    if args.export_network and args.out:
        from ._output import check_paths

        check_paths(
            [("--export-network", args.export_network)],
            [
                (f"--out {args.out}/{f}", os.path.join(args.out, f))
                for f in ("last.pt", "best.pt", "log.csv", "log.json")
            ],
        )
    try:
        res = train(cfg)
    except KeyboardInterrupt:
        kept = (
            f"; {args.out}/last.pt holds the last finished epoch (add --resume to continue)"
            if args.out
            else ""
        )
        print(f"hardtarget train: interrupted{kept}", file=sys.stderr)
        return 130
    if int(os.environ.get("RANK", "0")) != 0:
        return 0
    if args.export_network:
        _export(res, args)
    report(res, args.json)
    return 0


def report(res, as_json: bool) -> None:
    """Print the last epoch and the best one (or the whole history as JSON)."""
    from .._io import dumps_json

    if as_json:
        print(
            dumps_json({"status": res.status, "best": res.best, "history": res.history}, indent=1)
        )
        return
    if not res.history:
        print("nothing to train: the checkpoint already holds every epoch asked for")
        return
    last = res.history[-1]
    print(" ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in last.items()))
    monitor, metric = res.best.get("monitor") or "", res.best["metric"]
    shown = f"{metric:.2f}%" if monitor.endswith("top1") else f"{-metric:.4g}"
    print(
        f"{res.status}; best epoch {res.best['epoch']}: {monitor} {shown}"
        + (f" (checkpoints in {res.out_dir})" if res.out_dir else "")
    )


def _export(res, args: argparse.Namespace) -> None:
    from ..torch.convert import from_torch
    from ..torch.data import load_dataset

    bundle = load_dataset(args.dataset, args.data_dir, args.image_size or 224)
    two = bundle.num_classes == 2
    net = from_torch(
        res.model,
        classes=bundle.classes if two else None,
        binary=two,
        norm=None if args.no_normalize else res.norm,
    )
    net.save(args.export_network)


def _run_baseline(args: argparse.Namespace) -> int:
    from ..torch.baselines import cli as baselines

    args.model_options = parse_model_options(args.model_option)
    return (baselines.run_cb if args.method == "cb" else baselines.run_weight_dist)(args)


METHODS: dict[str, Callable[[argparse.Namespace], int]] = {
    "ftprop": _run_ftprop,
    "cb": _run_baseline,
    "weight-dist": _run_baseline,
}
