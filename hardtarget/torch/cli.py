"""``hardtarget train``: the CLI of the torch bridge (torch is imported only when it runs).

    hardtarget train --model convnet4 --activation sign --rule soft-hinge --dataset digits --epochs 5
    torchrun --nproc_per_node 2 -m hardtarget train --model mlp --dataset digits:0-1 --out run/
"""

from __future__ import annotations

import argparse
import json

from ..errors import HardTargetError

__all__ = ["COMMAND", "add_train_args", "run_train"]


def _option(text: str) -> "tuple[str, object]":
    if "=" not in text:
        raise argparse.ArgumentTypeError(f"model option {text!r} must look like KEY=VALUE, e.g. width=256")
    key, val = text.split("=", 1)
    try:
        return key, json.loads(val)
    except json.JSONDecodeError:
        return key, val


def add_train_args(p: argparse.ArgumentParser) -> None:
    """Arguments of ``hardtarget train``."""
    g = p.add_argument_group("model")
    g.add_argument("--model", default="convnet4", help="mlp, convnet4, convnet8, alexnet, resnet18, resnet18-cifar")
    g.add_argument("--activation", default="sign", help="sign, step, qrelu<k> (qrelu3 = 2 bits), relu, sat-relu")
    g.add_argument("--rule", default=None,
                   help="layer loss: soft-hinge (FTP-SH, default), saturated-hinge (SSTE), hinge, ste, "
                        "step-hinges (qrelu only); none for relu/sat-relu")
    g.add_argument("--no-weighting", action="store_true", help="drop the |dL/dh| weighting of the layer loss")
    g.add_argument("--model-option", action="append", type=_option, default=[], metavar="KEY=VALUE",
                   help="extra model argument, e.g. width=256 or hidden=[64]")
    d = p.add_argument_group("data")
    d.add_argument("--dataset", default="digits",
                   help="digits, digits:A-B, synthetic[:N], cifar10, cifar100, mnist, imagefolder")
    d.add_argument("--data-dir", help="directory of an on-disk dataset")
    d.add_argument("--image-size", type=int, default=224, help="imagefolder images are resized to this square")
    d.add_argument("--augment", action="store_true", help="random crops (4-pixel padding) and horizontal flips")
    d.add_argument("--no-normalize", action="store_true", help="skip mean/std normalization")
    d.add_argument("--val-split", type=float, default=0.0, help="fraction of the training set held out")
    d.add_argument("--limit", type=int, help="use only the first N training images")
    o = p.add_argument_group("optimization")
    o.add_argument("--preset", help="appendix-B recipe: cifar10-convnet4, cifar10-convnet8, imagenet-alexnet, "
                                    "imagenet-resnet18 (explicit options override it)")
    o.add_argument("--epochs", type=int)
    o.add_argument("--batch-size", type=int, default=64)
    o.add_argument("--optimizer", help="adam (default) or sgd (with momentum)")
    o.add_argument("--lr", type=float)
    o.add_argument("--momentum", type=float)
    o.add_argument("--weight-decay", type=float)
    o.add_argument("--milestones", help="epochs after which the learning rate decays, e.g. 200,250")
    o.add_argument("--gamma", type=float, default=0.1, help="learning-rate decay factor")
    r = p.add_argument_group("run")
    r.add_argument("--seed", type=int, default=0)
    r.add_argument("--device", default="cpu", help="cpu or cuda")
    r.add_argument("--out", help="directory for last.pt, best.pt, log.csv, log.json")
    r.add_argument("--resume", action="store_true", help="continue from OUT/last.pt")
    r.add_argument("--no-progress", action="store_true", help="never show a progress bar")
    r.add_argument("--json", action="store_true", help="print the history as JSON")
    r.add_argument("--export-network", metavar="PATH",
                   help="save the trained MLP as a hardtarget Network (.npz) for verify/export; "
                        "normalization is folded in, a two-class output becomes one sign unit")
    r.add_argument("--log-layers", action="store_true",
                   help="log each hard layer's mean layer loss and fraction of +1 targets per epoch")


def run_train(args: argparse.Namespace) -> int:
    """Run ``hardtarget train``; exit code 0 on success."""
    from ._require import require_torch

    require_torch()
    from .training import TrainConfig, train

    milestones = None
    if args.milestones:
        try:
            milestones = [int(m) for m in args.milestones.split(",") if m.strip()]
        except ValueError:
            raise HardTargetError(f"--milestones must be comma-separated epochs, e.g. 200,250; got {args.milestones!r}") from None
    cfg = TrainConfig(
        model=args.model, activation=args.activation, rule=args.rule, weighted=not args.no_weighting,
        dataset=args.dataset, data_dir=args.data_dir, image_size=args.image_size,
        model_options=dict(args.model_option), preset=args.preset, epochs=args.epochs, batch_size=args.batch_size,
        optimizer=args.optimizer, lr=args.lr, momentum=args.momentum, weight_decay=args.weight_decay,
        milestones=milestones, gamma=args.gamma, augment=args.augment, normalize=not args.no_normalize,
        val_split=args.val_split, limit=args.limit, seed=args.seed, device=args.device, out_dir=args.out,
        resume=args.resume, progress=False if args.no_progress else None, log_layers=args.log_layers,
    )
    if args.export_network and (args.model.strip().lower() != "mlp" or args.activation.strip().lower()
                                in ("relu", "sat-relu", "satrelu")):
        raise HardTargetError("--export-network needs --model mlp with a hard activation (sign, step, qrelu<k>); "
                              f"got {args.model} with {args.activation}")
    res = train(cfg)
    if args.export_network and res.history:
        _export(res, args)
    if not res.history:  # non-zero ranks under torchrun, or nothing left to resume
        return 0
    if args.json:
        print(json.dumps({"best": res.best, "history": res.history}, indent=1))
    else:
        last = res.history[-1]
        print(" ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in last.items()))
        print(f"best epoch {res.best['epoch']}: top-1 {res.best['metric']:.2f}%"
              + (f" (checkpoints in {res.out_dir})" if res.out_dir else ""))
    return 0


def _export(res, args: argparse.Namespace) -> None:
    from .convert import from_torch
    from .data import load_dataset

    bundle = load_dataset(args.dataset, args.data_dir, args.image_size)
    two = bundle.num_classes == 2
    net = from_torch(res.model, classes=bundle.classes if two else None, binary=two,
                     norm=None if args.no_normalize else res.norm)
    net.save(args.export_network)


COMMAND = ("train a hard-threshold network with FTPROP-MB (needs torch)", add_train_args, run_train)
