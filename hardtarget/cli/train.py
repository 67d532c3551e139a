"""``hardtarget train``: train a hard-threshold network on a named data set (needs torch).

    hardtarget train --model convnet4 --activation sign --rule soft_hinge --dataset digits
    torchrun --nproc_per_node 2 -m hardtarget train --model mlp --dataset digits:0-1 --out run/

Every option but the output ones (``--json``, ``--export-network``) is a field of
:class:`~hardtarget.torch.TrainConfig`, declared once in :mod:`hardtarget.torch.train_config`
with its help and the methods that act on it; the parser, ``--help`` and the refusal of an
option the ``--method`` ignores are generated from that declaration.
"""

from __future__ import annotations

import argparse
import os
import sys

from ..errors import HardTargetError
from ._args import LazyChoices, add_parser, nonneg_int, pos_int
from ._options import parse_model_options

__all__ = ["register", "run", "check_method_options", "config_from_args"]


_GROUPS = {
    "model": "model",
    "data": "data",
    "optimization": "optimization",
    "run": "run",
    "baselines": "baselines (--method cb, --method weight-dist; --model mlp, cnn, vgg, spec)",
}
# options of the command line only (output), acted on by every method
CLI_ONLY = ("json", "export_network")
_KINDS: dict[str, dict] = {
    "str": {},
    "float": {"type": float},
    "pos_int": {"type": pos_int},
    "nonneg_int": {"type": nonneg_int},
    "count": {"type": nonneg_int, "metavar": "N"},
    "flag": {"action": "store_const", "const": True},
    "negated": {"action": "store_const", "const": False},
    "key_value": {"action": "append"},
    "int_list": {},
    "backend": {"nargs": "?", "const": "inductor"},
}


def _declared_args(
    p: argparse.ArgumentParser,
) -> dict[str, argparse.ArgumentParser | argparse._ArgumentGroup]:
    """Every option of :class:`~hardtarget.torch.TrainConfig` that has a flag, from its
    declaration; every default is None, so that an option given is seen as given."""
    from ..torch.train_config import declared, flag

    groups: dict[str, argparse.ArgumentParser | argparse._ArgumentGroup] = {}
    for name, spec in declared().items():
        if spec.flag == "":
            continue
        if spec.group not in groups:
            groups[spec.group] = (
                p if spec.group == "method" else p.add_argument_group(_GROUPS[spec.group])
            )
        kw = dict(_KINDS[spec.kind])
        if spec.choices is not None:
            kw["choices"] = LazyChoices(spec.choices) if callable(spec.choices) else spec.choices
        if spec.metavar is not None:
            kw["metavar"] = spec.metavar
        groups[spec.group].add_argument(
            flag(name), dest=name, default=None, help=spec.help.replace("%", "%%"), **kw
        )
    return groups


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``train`` to the command line, its options generated from ``TrainConfig``."""
    p = add_parser(
        subparsers, "train", "train a hard-threshold network with FTPROP-MB (needs torch)"
    )
    run_group = _declared_args(p)["run"]
    run_group.add_argument("--json", action="store_true", help="print the history as JSON")
    run_group.add_argument(
        "--export-network",
        metavar="PATH",
        help="save the trained MLP as a hardtarget Network (.npz) for verify/export; "
        "normalization is folded in, a two-class output becomes one sign unit",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run ``hardtarget train`` with the chosen method."""
    from ..torch._require import require_torch

    require_torch()
    cfg = config_from_args(args)
    check_method_options(args)
    return _run(args, cfg)


def __getattr__(name: str):
    if name == "METHOD_OPTIONS":  # generated from the declaration (TrainConfig)
        from ..torch.train_config import method_options

        return method_options()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def check_method_options(args: argparse.Namespace) -> None:
    """Refuse every option that ``args.method`` would not act on (HardTargetError, exit 2):
    :func:`hardtarget.torch.train_config.check_options` on the parsed config, and the
    output options that need a given model."""
    from ..torch.train_config import check_options

    check_options(config_from_args(args))
    if args.resume and not args.out_dir:
        raise HardTargetError("--resume needs --out DIR, the directory that holds last.pt")
    if args.export_network:
        model, method = args.model or "convnet4", args.method or "ftprop"
        activation = (args.activation or "sign").strip().lower()
        if method != "ftprop" and model.strip().lower() not in ("mlp", "spec"):
            raise HardTargetError("--export-network needs a fully connected net (--model mlp)")
        if method == "ftprop" and (
            model.strip().lower() != "mlp" or activation in ("relu", "sat-relu", "satrelu")
        ):
            raise HardTargetError(
                "--export-network needs --model mlp with a hard activation (sign, "
                f"step, qrelu<k>); got {model} with {args.activation or 'sign'}"
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
    """The :class:`~hardtarget.torch.TrainConfig` of the parsed options: the options given,
    the declared defaults for the rest."""
    from ..torch.train_config import TrainConfig, declared

    given = {k: getattr(args, k) for k in declared() if getattr(args, k, None) is not None}
    if "model_options" in given:
        given["model_options"] = parse_model_options(given["model_options"])
    if "milestones" in given:
        given["milestones"] = _milestones(given["milestones"])
    if getattr(args, "quiet", False):
        given["progress"] = False
    return TrainConfig(**given)


def _run(args: argparse.Namespace, cfg) -> int:
    from ..torch.named_run import train

    if args.export_network and args.out_dir:
        from ._output import check_paths

        check_paths(
            [("--export-network", args.export_network)],
            [
                (f"--out {args.out_dir}/{f}", os.path.join(args.out_dir, f))
                for f in ("last.pt", "best.pt", "log.csv", "log.json", "final.pt")
            ],
        )
    from ..budget import Budget
    from ..signals import StopSignals

    budget = Budget()  # Ctrl-C or SIGTERM cancels it: the run ends before its next batch
    kept = (
        f"; {args.out_dir}/last.pt holds the last finished epoch (add --resume to continue)"
        if args.out_dir and cfg.method == "ftprop"
        else ""
    )
    try:
        with StopSignals(budget):
            res = train(cfg, budget=budget)
    except KeyboardInterrupt:  # a second Ctrl-C
        print(f"hardtarget train: interrupted{kept}", file=sys.stderr)
        return 130
    if res.status == "interrupted":
        print(f"hardtarget train: interrupted{kept}", file=sys.stderr)
    if int(os.environ.get("RANK", "0")) != 0:
        return 0
    if args.export_network:
        norm = res.norm if cfg.normalize or cfg.method != "ftprop" else None
        _export(res, args.export_network, norm)
    if cfg.method == "ftprop":
        report(res, args.json)
    else:
        report_baseline(res, args.json)
    return 130 if res.status == "interrupted" else 0


def report(res, as_json: bool) -> None:
    """Print the last epoch and the best one (or the whole history as JSON)."""
    from .._io import dumps_json

    if as_json:
        print(
            dumps_json({"status": res.status, "best": res.best, "history": res.history}, indent=1)
        )
        return
    if not res.history:
        print(
            "nothing to train: the checkpoint already holds every epoch asked for"
            if res.status == "completed"
            else f"{res.status} before the first epoch finished"
        )
        return
    last = res.history[-1]
    print(" ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in last.items()))
    monitor, metric = res.best.get("monitor") or "", res.best["metric"]
    shown = f"{metric:.2f}%" if monitor.endswith("top1") else f"{-metric:.4g}"
    print(
        f"{res.status}; best epoch {res.best['epoch']}: {monitor} {shown}"
        + (f" (checkpoints in {res.out_dir})" if res.out_dir else "")
    )


def report_baseline(res, as_json: bool) -> None:
    """Print a baseline's last epoch and the final network's test top-1 (or JSON)."""
    from .._io import dumps_json

    if as_json:
        out = {"status": res.status, "stages": res.stages, "history": res.history}
        print(dumps_json(out, indent=1))
        return
    if not res.history:
        print(f"{res.status} in {res.seconds:.1f} s, before the first epoch finished")
        return
    last = res.history[-1]
    print(" ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in last.items()))
    print(
        f"{res.status} in {res.seconds:.1f} s; final sign network: "
        f"{last.get('test_top1', float('nan')):.2f}% test top-1"
    )


def _export(res, path: str, norm) -> None:
    """Save the trained fully connected net as a Network (the classes come with the result)."""
    from ..torch.convert import from_torch

    two = len(res.classes) == 2
    model = getattr(res, "network", None) or res.model
    net = from_torch(model, classes=res.classes if two else None, binary=two, norm=norm)
    net.save(path)
