"""The one declaration of a training run's options: :class:`TrainConfig`.

Every field carries its type, default, help text, the training methods that act on it
and how the command line spells it (:class:`Option`, in the field's metadata).
:func:`~hardtarget.torch.train` and the baselines read a ``TrainConfig``; ``hardtarget
train`` builds its options, ``--help`` and the per-method refusals from the same fields.

An option that not every method uses defaults to a value that means "not given" (``None``
or ``False``): :func:`check_options` refuses it, even with the value a method would
default to, for every method that does not act on it.  This module does not import torch,
so the command line's ``--help`` stays fast.

Examples
--------
>>> from hardtarget.torch.train_config import TrainConfig, method_options
>>> TrainConfig(model="mlp", dataset="digits:0-1", epochs=3).epochs
3
>>> method_options()["slope_lr"]
('cb',)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields
from typing import Any

from ..errors import HardTargetError
from ..params import resolved_value

__all__ = [
    "Option",
    "TrainConfig",
    "METHODS",
    "PRESETS",
    "check_options",
    "method_options",
    "given_options",
]


def training_methods() -> dict:
    """The training methods by name: the entry-point group ``hardtarget.training_methods``
    (built-ins first, in the order of :data:`~hardtarget.torch.methods.BUILTIN`).

    Returns
    -------
    dict
        Name -> :class:`~hardtarget.torch.methods.TrainingMethod`.
    """
    from .. import registry
    from .methods import BUILTIN

    first = [m.name for m in BUILTIN]
    comps = registry.components("training_methods")
    comps.sort(key=lambda c: (first.index(c.name) if c.name in first else len(first), c.name))
    return {c.name: c.obj for c in comps}


def _method_names() -> list[str]:
    return list(training_methods())


METHODS = tuple(training_methods())
FTPROP, BASELINES = ("ftprop",), ("cb", "weight-dist")

# Appendix B.  Weight decay depends on the activation: sign / qrelu / full precision.
PRESETS = {
    "cifar10-convnet4": dict(
        optimizer="adam", lr=2.5e-4, weight_decay=5e-4, epochs=300, milestones=(200, 250)
    ),
    "cifar10-convnet8": dict(
        optimizer="adam",
        lr=1e-3,
        weight_decay={"sign": 1e-7, "other": 5e-4},
        epochs=300,
        milestones=(200, 250),
    ),
    "imagenet-alexnet": dict(
        optimizer="adam",
        lr=1e-4,
        weight_decay={"sign": 5e-6, "qrelu": 5e-5, "other": 5e-4},
        epochs=80,
        milestones=(56, 64),
    ),
    "imagenet-resnet18": dict(
        optimizer="sgd",
        lr=0.1,
        momentum=0.9,
        weight_decay={"sign": 5e-7, "qrelu": 1e-5, "other": 1e-4},
        epochs=90,
        milestones=(30, 60),
    ),
}
OPTIMIZERS = ("adam", "sgd")
# what a None field of a run becomes when the preset does not set it
_RUN_DEFAULTS = dict(
    optimizer="adam", lr=1e-3, weight_decay=0.0, epochs=10, milestones=(), momentum=0.9
)


@dataclass(frozen=True)
class Option:
    """How a :class:`TrainConfig` field is used and spelled.

    Parameters
    ----------
    help : str
        The help text (``hardtarget train --help``).
    methods : tuple of str or None
        The training methods that act on the field; ``None``: every method.
    group : str
        The ``--help`` section: ``model``, ``data``, ``optimization``, ``run``, ``baselines``.
    flag : str, optional
        The command-line flag (default ``--`` and the name with hyphens); ``""``: none.
    kind : str
        How the command line reads it: ``str``, ``float``, ``pos_int``, ``nonneg_int``,
        ``count`` (an integer >= 0), ``flag`` (given: True), ``negated`` (given: False),
        ``key_value`` (repeated ``KEY=VALUE``), ``int_list`` (``200,250``), ``backend``
        (an optional value, ``inductor`` without one).
    choices : tuple of str or callable, optional
        The valid values (a callable returns them when first needed: registered names).
    metavar : str, optional
    """

    help: str
    methods: tuple[str, ...] | None
    group: str
    flag: str | None = None
    kind: str = "str"
    choices: tuple[str, ...] | Callable[[], list[str]] | None = None
    metavar: str | None = None


def _opt(default: Any, help: str, methods: tuple[str, ...] | None, group: str, **how: Any) -> Any:
    """A dataclass field declared with its :class:`Option`; ``methods`` is required, so that
    no option escapes the per-method check."""
    spec = Option(help, methods, group, **how)
    if isinstance(default, (dict, list)):
        return field(default_factory=lambda: type(default)(default), metadata={"option": spec})
    return field(default=default, metadata={"option": spec})


ALL = None  # every method acts on the option


@dataclass
class TrainConfig:
    """Everything a training run needs, declared once with help and per-method use.

    ``None`` fields take the method's default (for ``ftprop``: the ``preset``'s, then the
    paper's).  See :func:`option_table` (or ``hardtarget train --help``) for each field's
    help and the methods that act on it; :meth:`resolved` fills and checks it.

    Attributes
    ----------
    method : str
        ``ftprop`` (FTPROP-MB, default), ``cb`` or ``weight-dist``.
    model, activation, rule, weighted, model_options
        The model (:func:`~hardtarget.torch.make_model`): name, activation, rule, whether the
        layer loss is weighted, sizes.
    dataset, data_dir, image_size, limit, augment, normalize, val_split, stratify
        The data (:func:`~hardtarget.torch.load_dataset`): name, directory, image size (224
        when None), at most ``limit`` training samples, augmentation, per-channel
        normalization, the held-out fraction and whether it is per class.
    preset : str, optional
        A recipe of the paper (:data:`PRESETS`) that fills the ``None`` fields (ftprop).
    epochs, batch_size, optimizer, lr, momentum, weight_decay, decay_biases_and_norms
        As for :func:`~hardtarget.torch.fit`.
    milestones, gamma, seed, device, precision, channels_last, compile, deterministic
        As for :func:`~hardtarget.torch.fit` (``gamma`` None: 0.1).
    progress
        As for :func:`~hardtarget.torch.fit`.
    out_dir : str, optional
        Where checkpoints and logs go.
    resume : bool, default=False
        Continue from ``out_dir/last.pt``.
    time_limit : float, optional
        Seconds the run may take (through a :class:`~hardtarget.budget.Budget`).
    patience : int, optional
        Early stopping after this many epochs without a better selection metric.
    log_layers : bool, default=False
        Add each hard layer's layer loss and share of +1 targets to the epoch rows.
    weights, pretrain_epochs, stage_epochs, slope_lr, slope_lambda, slope_regularizer
        The baselines' options (``None``: their defaults).
    slope_schedule, logit_lr
        The baselines' options (``None``: their defaults).
    """

    method: str = _opt(
        "ftprop",
        "; ".join(f"{m.name}: {m.summary}" for m in training_methods().values()),
        ALL,
        "method",
        choices=_method_names,
    )
    # -- model
    model: str = _opt(
        "convnet4", "mlp, convnet4 (default), convnet8, alexnet, resnet18, resnet18-cifar", ALL,
        "model",
    )  # fmt: skip
    activation: str = _opt(
        "sign", "sign (default), step, qrelu<k> (qrelu3 = 2 bits), relu, sat-relu", ALL, "model"
    )
    rule: str | None = _opt(
        None,
        "layer loss: soft_hinge (FTP-SH, default), saturated_hinge (SSTE), hinge, ste, "
        "step_hinges (qrelu only); none for relu/sat-relu. Hyphens accepted",
        FTPROP,
        "model",
    )
    weighted: bool = _opt(
        True, "drop the |dL/dh| weighting of the layer loss", FTPROP, "model",
        flag="--no-weighting", kind="negated",
    )  # fmt: skip
    model_options: dict = _opt(
        {}, "extra model argument, e.g. width=256 or hidden=[64]", ALL, "model",
        flag="--model-option", kind="key_value", metavar="KEY=VALUE",
    )  # fmt: skip
    # -- data
    dataset: str = _opt(
        "digits",
        "digits (default), digits:A-B, synthetic[:N], cifar10, cifar100, mnist, imagefolder",
        ALL,
        "data",
    )
    data_dir: str | None = _opt(None, "directory of an on-disk dataset", ALL, "data")
    image_size: int | None = _opt(
        None, "imagefolder images are resized to this square (default 224)", ALL, "data",
        kind="pos_int",
    )  # fmt: skip
    augment: bool = _opt(
        False, "random crops (4-pixel padding) and horizontal flips", ALL, "data", kind="flag"
    )
    normalize: bool = _opt(
        True, "skip mean/std normalization", ALL, "data", flag="--no-normalize", kind="negated"
    )
    val_split: float = _opt(
        0.0,
        "fraction of the training set held out for validation, per class and seeded by "
        "--seed (default 0)",
        ALL,
        "data",
        kind="float",
        metavar="FRACTION",
    )
    stratify: bool = _opt(
        True, "hold out a plain random fraction instead of the same fraction per class", ALL,
        "data", flag="--no-stratify", kind="negated",
    )  # fmt: skip
    limit: int | None = _opt(
        None, "use only the first N training images", ALL, "data", kind="pos_int"
    )
    # -- optimization
    preset: str | None = _opt(
        None, "appendix-B recipe (explicit options override it)", FTPROP, "optimization",
        choices=tuple(PRESETS),
    )  # fmt: skip
    epochs: int | None = _opt(
        None, "default 10 (or the preset's)", ALL, "optimization", kind="pos_int"
    )
    batch_size: int = _opt(64, "default 64", ALL, "optimization", kind="pos_int")
    optimizer: str | None = _opt(
        None, "adam (default) or sgd with momentum", FTPROP, "optimization", choices=OPTIMIZERS
    )
    lr: float | None = _opt(
        None, "learning rate (default 1e-3 or the preset's)", ALL, "optimization", kind="float"
    )
    momentum: float | None = _opt(
        None, "SGD momentum (default 0.9)", FTPROP, "optimization", kind="float"
    )
    weight_decay: float | None = _opt(
        None, "L2 penalty on weights (default 0)", ALL, "optimization", kind="float"
    )
    decay_biases_and_norms: bool = _opt(
        False, "apply the weight decay to biases and norm parameters too", ALL, "optimization",
        kind="flag",
    )  # fmt: skip
    milestones: Sequence[int] | None = _opt(
        None, "epochs after which the learning rate decays, e.g. 200,250", ALL, "optimization",
        kind="int_list",
    )  # fmt: skip
    gamma: float | None = _opt(
        None, "learning-rate decay factor (default 0.1)", ALL, "optimization", kind="float"
    )
    patience: int | None = _opt(
        None, "stop when the selection metric has not improved for this many epochs", FTPROP,
        "optimization", flag="--early-stop", kind="pos_int", metavar="EPOCHS",
    )  # fmt: skip
    # -- run
    seed: int = _opt(0, "default 0", ALL, "run", kind="nonneg_int")
    device: str = _opt("cpu", "default cpu", ALL, "run", choices=("cpu", "cuda"))
    precision: str = _opt(
        "fp32", "autocast mixed precision (fp16 adds loss scaling); default fp32", ALL, "run",
        choices=("fp32", "bf16", "fp16"),
    )  # fmt: skip
    channels_last: bool = _opt(False, "channels-last memory format", ALL, "run", kind="flag")
    compile: bool | str = _opt(
        False, "torch.compile the model (backend default inductor)", ALL, "run", kind="backend",
        metavar="BACKEND",
    )  # fmt: skip
    out_dir: str | None = _opt(
        None,
        "directory for last.pt, best.pt, log.csv, log.json (locked while the run writes it)",
        ALL,
        "run",
        flag="--out",
        metavar="OUT",
    )
    resume: bool = _opt(False, "continue from OUT/last.pt", ALL, "run", kind="flag")
    time_limit: float | None = _opt(
        None,
        "end the run after this many seconds, before its next batch (status time_limit); the "
        "checkpoints keep the last finished epoch",
        ALL,
        "run",
        kind="float",
        metavar="SECONDS",
    )
    progress: bool | None = _opt(
        None, "never show a progress bar", ALL, "run", flag="--no-progress", kind="negated"
    )
    deterministic: bool = _opt(True, "deterministic algorithms during the run", ALL, "run", flag="")
    log_layers: bool = _opt(
        False, "log each hard layer's mean layer loss and fraction of +1 targets per epoch",
        FTPROP, "run", kind="flag",
    )  # fmt: skip
    # -- the baselines
    weights: str | None = _opt(
        None, "weight-dist: the discrete weight values (default ternary)", ("weight-dist",),
        "baselines", choices=("ternary", "quaternary", "quinary"),
    )  # fmt: skip
    pretrain_epochs: int | None = _opt(
        None,
        "cb: epochs of the clipping net; weight-dist: epochs of the real tanh net (default: "
        "half of --epochs)",
        BASELINES,
        "baselines",
        kind="count",
        metavar="N",
    )
    stage_epochs: int | None = _opt(
        None,
        "cb: epochs per binarization stage (default: what --epochs leaves, shared; given, the "
        "run is pretrain + stages x N epochs); weight-dist: epochs with discrete weights and "
        "tanh (default: --epochs/6)",
        BASELINES,
        "baselines",
        kind="count",
        metavar="N",
    )
    slope_lr: float | None = _opt(
        None, "cb: learning rate of m and a (1e-2)", ("cb",), "baselines", kind="float"
    )
    slope_lambda: float | None = _opt(
        None, "cb: regularization of m (1.0)", ("cb",), "baselines", kind="float"
    )
    slope_regularizer: str | None = _opt(
        None, "cb: l2 (default) or l1", ("cb",), "baselines", choices=("l2", "l1")
    )
    slope_schedule: str | None = _opt(
        None,
        "cb: anneal (default) raises the slope regularization until m reaches m_switch before "
        "each swap; fixed keeps --slope-lambda",
        ("cb",),
        "baselines",
        choices=("anneal", "fixed"),
    )
    logit_lr: float | None = _opt(
        None, "weight-dist: learning rate of the logits (1e-2)", ("weight-dist",), "baselines",
        kind="float",
    )  # fmt: skip

    def resolved(self) -> TrainConfig:
        """A copy with preset and default values filled in, names and numbers checked.

        Returns
        -------
        TrainConfig

        Raises
        ------
        HardTargetError
            For an option the method does not act on, a bad name or number.
        """
        from ._checks import check_compile
        from .functional import parse_activation
        from .precision import canonical_precision

        check_options(self, pairs=False)
        c = TrainConfig(**{f.name: getattr(self, f.name) for f in fields(self)})
        preset = PRESETS[c.preset] if c.preset is not None else {}
        kind, _ = parse_activation(c.activation)
        for name, default in _RUN_DEFAULTS.items():
            if getattr(c, name) is None:
                v = preset.get(name, default)
                if isinstance(v, dict):
                    v = v.get(kind, v["other"]) if kind in ("sign", "qrelu") else v["other"]
                setattr(c, name, v)
        c.optimizer = str(c.optimizer).lower()
        if c.optimizer not in OPTIMIZERS:
            raise HardTargetError(
                f"unknown optimizer {c.optimizer!r}; valid: {', '.join(OPTIMIZERS)}"
            )
        c.milestones = [int(m) for m in resolved_value(c.milestones, "TrainConfig.milestones")]
        c.gamma = 0.1 if c.gamma is None else c.gamma
        c.precision = canonical_precision(c.precision)
        c.compile = check_compile(c.compile)  # before the data and the model are built
        _check_numbers(c)
        return c

    @property
    def size(self) -> int:
        """The image size of on-disk image folders (``image_size``, default 224)."""
        return 224 if self.image_size is None else int(self.image_size)


def declared() -> dict[str, Option]:
    """Every field of :class:`TrainConfig` and its :class:`Option`, in declaration order.

    Returns
    -------
    dict
    """
    return {f.name: f.metadata["option"] for f in fields(TrainConfig)}


def method_options() -> dict[str, tuple[str, ...]]:
    """The fields that not every method acts on, and the methods that do.

    Returns
    -------
    dict
        Field name -> methods.
    """
    return {k: o.methods for k, o in declared().items() if o.methods is not None}


def flag(name: str) -> str:
    """The command-line spelling of field ``name`` (``out_dir`` -> ``--out``).

    Parameters
    ----------
    name : str

    Returns
    -------
    str
    """
    spec = declared()[name]
    return spec.flag or "--" + name.replace("_", "-")


_DEFAULTS = {f.name: f for f in fields(TrainConfig)}


def given_options(config: TrainConfig) -> list[str]:
    """The fields of ``config`` that differ from their declared defaults.

    Parameters
    ----------
    config : TrainConfig

    Returns
    -------
    list of str
    """
    out = []
    for name, f in _DEFAULTS.items():
        default = f.default_factory() if callable(f.default_factory) else f.default
        if getattr(config, name) != default:
            out.append(name)
    return out


def check_options(config: TrainConfig, pairs: bool = True) -> None:
    """Refuse every option that ``config.method`` would not act on (HardTargetError): the
    options of other methods (:func:`method_options`), even with a default value, and
    with ``pairs`` those that act only together with another option (``momentum`` with
    SGD, ``gamma`` with milestones, ...; ``hardtarget train`` checks them, the API lets
    them pass as it always has).

    Parameters
    ----------
    config : TrainConfig
    pairs : bool, default=True
        Also check the options that need another one.

    Raises
    ------
    HardTargetError
        Naming the options (by their command-line flags) and what to do.
    """
    from ._checks import check_rates

    rates = ("lr", "momentum", "weight_decay", "gamma", "val_split", "slope_lr", "logit_lr")
    check_rates(**{k: getattr(config, k) for k in rates if getattr(config, k) is not None})
    method, known = config.method, training_methods()
    if method not in known:
        raise HardTargetError(f"unknown training method {method!r}; valid: {', '.join(known)}")
    if config.preset is not None and config.preset not in PRESETS:
        raise HardTargetError(f"unknown preset {config.preset!r}; valid: {', '.join(PRESETS)}")
    where = method_options()
    foreign: dict[tuple, list] = {}
    for name in given_options(config):
        methods = where.get(name)
        if methods is not None and method not in methods:
            foreign.setdefault(methods, []).append(flag(name))
    for methods, opts in foreign.items():
        allowed = " or ".join(f"--method {m}" for m in methods)
        verb = "applies" if len(opts) == 1 else "apply"
        raise HardTargetError(
            f"{', '.join(opts)} only {verb} to {allowed}; --method {method} {known[method].why}"
            f". Drop {'it' if len(opts) == 1 else 'them'}"
        )
    if pairs:
        _check_pairs(config)


def _check_pairs(c: TrainConfig) -> None:
    """Options that act only together with another one."""
    base = str(c.dataset).strip().lower().split(":", 1)[0]
    if c.data_dir is not None and base in ("digits", "synthetic"):
        raise HardTargetError(
            f"--data-dir is not read for --dataset {c.dataset} (built in); drop it, or "
            "name an on-disk dataset (cifar10, cifar100, mnist, imagefolder)"
        )
    if c.image_size is not None and base not in ("imagefolder", "imagenet"):
        raise HardTargetError(
            f"--image-size resizes imagefolder images only; drop it for --dataset {c.dataset}"
        )
    if not c.stratify and not c.val_split:
        raise HardTargetError("--no-stratify changes how --val-split holds out; give --val-split")
    preset = PRESETS.get(c.preset, {}) if c.preset else {}  # (ftprop only)
    optimizer = str(c.optimizer or preset.get("optimizer", "adam")).lower()
    if c.momentum is not None and optimizer != "sgd":
        raise HardTargetError(
            f"--momentum applies to --optimizer sgd; the optimizer is {optimizer}. Drop it or "
            "add --optimizer sgd"
        )
    if c.gamma is not None and not (c.milestones or preset.get("milestones")):
        raise HardTargetError(
            "--gamma is the learning-rate decay at --milestones; give --milestones or drop it"
        )
    decay = c.weight_decay if c.weight_decay is not None else preset.get("weight_decay", 0)
    if c.decay_biases_and_norms and not decay:
        raise HardTargetError(
            "--decay-biases-and-norms extends the weight decay, which is 0; give --weight-decay"
        )


def _check_numbers(c: TrainConfig) -> None:
    """Numbers a run cannot use: non-finite or negative rates, counts below one."""
    from ._checks import check_counts, check_rates

    check_rates(**{k: getattr(c, k) for k in ("lr", "momentum", "weight_decay", "gamma")})
    counts = ("epochs", "batch_size", "image_size", "limit", "patience")
    check_counts(**{k: getattr(c, k) for k in counts if getattr(c, k) is not None})
    tl = c.time_limit
    if tl is not None and (isinstance(tl, bool) or not isinstance(tl, (int, float)) or not tl > 0):
        raise HardTargetError(f"time_limit must be a number of seconds > 0, got {tl!r}")
    if not isinstance(c.seed, int) or c.seed < 0:
        raise HardTargetError(f"seed must be an integer >= 0, got {c.seed!r}")
    if c.resume and not c.out_dir:
        raise HardTargetError("resuming needs the output directory (out_dir) that holds last.pt")
