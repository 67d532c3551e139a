"""Models of the paper's experiments (section 4, appendix B), for any activation and rule.

Every builder takes ``activation`` (``sign``, ``step``, ``qrelu<k>``, ``relu``,
``sat-relu``), ``rule`` (the layer loss, see :mod:`hardtarget.torch.losses`),
``weighted``, the input shape ``(C, H, W)`` and the number of classes.

Examples
--------
>>> net = make_model("convnet4", activation="sign", rule="soft_hinge",
...                  in_shape=(1, 8, 8), num_classes=10)  # doctest: +SKIP
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import torch
from torch import nn

from ..errors import HardTargetError
from ..params import check_call
from .functional import make_activation

__all__ = [
    "make_model",
    "model_names",
    "MODELS",  # noqa: F822 (module __getattr__: the registry)
    "MLP",
    "ConvNet4",
    "ConvNet8",
    "AlexNet",
    "ResNet18",
]


def _act_factory(activation: str, rule: str | None, weighted: bool) -> Callable[[], nn.Module]:
    make_activation(activation, rule, weighted)  # validate once, early
    return lambda: make_activation(activation, rule, weighted)


def _check_shape(
    in_shape: Sequence[int], num_classes: int, min_hw: int, model: str
) -> tuple[int, int, int]:
    if len(in_shape) != 3 or min(in_shape) < 1:
        raise HardTargetError(f"in_shape must be (channels, height, width), got {tuple(in_shape)}")
    if min(in_shape[1:]) < min_hw:
        raise HardTargetError(
            f"{model} needs inputs of at least {min_hw}x{min_hw} pixels, got {tuple(in_shape)}"
        )
    if num_classes < 1:
        raise HardTargetError(f"num_classes must be >= 1, got {num_classes}")
    return int(in_shape[0]), int(in_shape[1]), int(in_shape[2])


def _flat_size(features: nn.Module, in_shape: Sequence[int]) -> int:
    with torch.no_grad():
        was = features.training
        features.eval()
        n = features(torch.zeros(1, *in_shape)).numel()
        features.train(was)
    return n


class MLP(nn.Module):
    """Fully connected net: ``Linear``, activation, ..., ``Linear`` (the output is linear).

    ``sizes`` lists the widths, inputs first (``[64, 32, 2]``); inputs are flattened.

    Parameters
    ----------
    sizes : sequence of int
        Widths, inputs first.
    activation : str, default="sign"
        ``sign``, ``step``, ``qrelu<k>``, or the full-precision ``relu``/``sat-relu``.
    rule : str or None
        The layer loss that trains hard units (``soft_hinge``/``ftp-sh``,
        ``saturated_hinge``/``sste``, ``hinge``, ``ste``); default ``soft_hinge``.
    weighted : bool, default=True
        Weight each unit's layer loss by ``|dL/dh|`` (equation 3).
    """

    def __init__(
        self,
        sizes: Sequence[int],
        activation: str = "sign",
        rule: str | None = None,
        weighted: bool = True,
    ) -> None:
        super().__init__()
        if len(sizes) < 2 or min(sizes) < 1:
            raise HardTargetError(
                f"MLP sizes must list at least inputs and outputs (>= 1 each), got {list(sizes)}"
            )
        act = _act_factory(activation, rule, weighted)
        self.activation, self.sizes = activation, list(sizes)
        layers: list = []
        for d, (a, b) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
            if d > 0:
                layers.append(act())
            layers.append(nn.Linear(a, b))
        self.net = nn.Sequential(nn.Flatten(), *layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class ConvNet4(nn.Module):
    """conv(32) -> conv(64) -> fc(1024) -> fc(classes); 5x5 kernels ("same" padding),
    2x2 max-pool after each conv, a nonlinearity before every layer but the first."""

    def __init__(
        self,
        activation: str = "sign",
        rule: str | None = None,
        weighted: bool = True,
        in_shape: Sequence[int] = (3, 32, 32),
        num_classes: int = 10,
        width: int = 1024,
    ) -> None:
        super().__init__()
        c, _, _ = _check_shape(in_shape, num_classes, 4, "convnet4")
        act = _act_factory(activation, rule, weighted)
        self.features = nn.Sequential(
            nn.Conv2d(c, 32, 5, padding=2),
            nn.MaxPool2d(2),
            act(),
            nn.Conv2d(32, 64, 5, padding=2),
            nn.MaxPool2d(2),
            act(),
            nn.Flatten(),
        )
        self.classifier = nn.Sequential(
            nn.Linear(_flat_size(self.features, in_shape), width),
            act(),
            nn.Linear(width, num_classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x))


class ConvNet8(nn.Module):
    """DoReFa-Net's SVHN convnet adapted to any input size: seven convs and one fc, batch
    norm before each nonlinearity, max-pool after conv 1 and 3 ("same" padding)."""

    CHANNELS = (48, 64, 64, 128, 128, 128, 512)
    KERNELS = (5, 3, 3, 3, 3, 3, 5)
    POOL_AFTER = (0, 2)

    def __init__(
        self,
        activation: str = "sign",
        rule: str | None = None,
        weighted: bool = True,
        in_shape: Sequence[int] = (3, 32, 32),
        num_classes: int = 10,
        width_mult: float = 1.0,
    ) -> None:
        super().__init__()
        c, _, _ = _check_shape(in_shape, num_classes, 4, "convnet8")
        act = _act_factory(activation, rule, weighted)
        layers: list = []
        for i, (ch, k) in enumerate(zip(self.CHANNELS, self.KERNELS, strict=True)):
            ch = max(1, int(round(ch * width_mult)))
            if i > 0:
                layers.append(act())
            layers.append(nn.Conv2d(c, ch, k, padding=k // 2, bias=False))
            if i in self.POOL_AFTER:
                layers.append(nn.MaxPool2d(2))
            layers.append(nn.BatchNorm2d(ch))
            c = ch
        layers += [act(), nn.Flatten()]
        self.features = nn.Sequential(*layers)
        self.fc = nn.Linear(_flat_size(self.features, in_shape), num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.features(x))


class AlexNet(nn.Module):
    """AlexNet as in DoReFa-Net: batch norm instead of LRN, no dropout, no split convs."""

    def __init__(
        self,
        activation: str = "sign",
        rule: str | None = None,
        weighted: bool = True,
        in_shape: Sequence[int] = (3, 224, 224),
        num_classes: int = 1000,
        width: int = 4096,
        width_mult: float = 1.0,
    ) -> None:
        super().__init__()
        c, _, _ = _check_shape(in_shape, num_classes, 63, "alexnet")
        act = _act_factory(activation, rule, weighted)
        ch = [max(1, int(round(x * width_mult))) for x in (96, 256, 384, 384, 256)]
        self.features = nn.Sequential(
            nn.Conv2d(c, ch[0], 12, stride=4),
            act(),
            nn.Conv2d(ch[0], ch[1], 5, padding=2, bias=False),
            nn.BatchNorm2d(ch[1]),
            nn.MaxPool2d(3, 2, padding=1),
            act(),
            nn.Conv2d(ch[1], ch[2], 3, padding=1, bias=False),
            nn.BatchNorm2d(ch[2]),
            nn.MaxPool2d(3, 2, padding=1),
            act(),
            nn.Conv2d(ch[2], ch[3], 3, padding=1, bias=False),
            nn.BatchNorm2d(ch[3]),
            act(),
            nn.Conv2d(ch[3], ch[4], 3, padding=1, bias=False),
            nn.BatchNorm2d(ch[4]),
            nn.MaxPool2d(3, 2),
            act(),
            nn.Flatten(),
        )
        self.classifier = nn.Sequential(
            nn.Linear(_flat_size(self.features, in_shape), width, bias=False),
            nn.BatchNorm1d(width),
            act(),
            nn.Linear(width, width, bias=False),
            nn.BatchNorm1d(width),
            act(),
            nn.Linear(width, num_classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x))


class _Block(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int, act: Callable[[], nn.Module]) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.act1 = act()
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.act2 = act()
        self.short = nn.Sequential()
        if stride != 1 or cin != cout:
            self.short = nn.Sequential(
                nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout)
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.act1(self.bn1(self.conv1(x)))
        return self.act2(self.bn2(self.conv2(out)) + self.short(x))


class ResNet18(nn.Module):
    """ResNet-18 with every ReLU replaced by ``activation``.

    ``stem="imagenet"``: 7x7 stride-2 conv and 3x3 max-pool; ``stem="cifar"``: one 3x3
    conv, no pooling.
    """

    def __init__(
        self,
        activation: str = "sign",
        rule: str | None = None,
        weighted: bool = True,
        in_shape: Sequence[int] = (3, 224, 224),
        num_classes: int = 1000,
        stem: str = "imagenet",
        width: int = 64,
    ) -> None:
        super().__init__()
        if stem not in ("imagenet", "cifar"):
            raise HardTargetError(f"unknown ResNet stem {stem!r}; valid: imagenet, cifar")
        c, _, _ = _check_shape(
            in_shape, num_classes, 8 if stem == "cifar" else 32, f"resnet18 ({stem})"
        )
        act = _act_factory(activation, rule, weighted)
        if stem == "imagenet":
            self.stem = nn.Sequential(
                nn.Conv2d(c, width, 7, 2, 3, bias=False),
                nn.BatchNorm2d(width),
                act(),
                nn.MaxPool2d(3, 2, 1),
            )
        else:
            self.stem = nn.Sequential(
                nn.Conv2d(c, width, 3, 1, 1, bias=False), nn.BatchNorm2d(width), act()
            )
        blocks, cin = [], width
        for i, mult in enumerate((1, 2, 4, 8)):
            cout = width * mult
            blocks += [_Block(cin, cout, 1 if i == 0 else 2, act), _Block(cout, cout, 1, act)]
            cin = cout
        self.layers = nn.Sequential(*blocks)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(cin, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(torch.flatten(self.pool(self.layers(self.stem(x))), 1))


def _mlp(
    activation="sign", rule=None, weighted=True, in_shape=(1, 8, 8), num_classes=10, hidden=(100,)
):
    return MLP([int(math.prod(in_shape)), *hidden, num_classes], activation, rule, weighted)


def _resnet18(**kw) -> ResNet18:
    return ResNet18(stem="imagenet", **kw)


def _resnet18_cifar(**kw) -> ResNet18:
    return ResNet18(stem="cifar", **kw)


_mlp.summary = "multilayer perceptron (hidden=[...] sizes)"  # type: ignore[attr-defined]
_resnet18.summary = "ResNet-18, ImageNet stem"  # type: ignore[attr-defined]
_resnet18_cifar.summary = "ResNet-18, CIFAR stem"  # type: ignore[attr-defined]

# The models are registered in the entry-point group ``hardtarget.models`` (a builder
# taking activation, rule, weighted, in_shape, num_classes and its sizes); a plugin adds
# one the same way.  MODELS is that group as a dict.
_BUILTIN = ("mlp", "convnet4", "convnet8", "alexnet", "resnet18", "resnet18-cifar")


def __getattr__(name: str):
    if name == "MODELS":  # name -> builder, read from the registry when asked
        from .. import registry

        return {n: registry.get("models", n).obj for n in model_names()}
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def model_names() -> list[str]:
    """The registered models: the built-ins in their order, then plugins by name.

    Returns
    -------
    list of str
    """
    from .. import registry

    names = registry.names("models")
    return sorted(names, key=lambda n: (_BUILTIN.index(n) if n in _BUILTIN else 99, n))


def make_model(
    name: str,
    activation: str = "sign",
    rule: str | None = None,
    weighted: bool = True,
    in_shape: Sequence[int] = (3, 32, 32),
    num_classes: int = 10,
    **kwargs,
) -> nn.Module:
    """Build model ``name`` (one of :data:`MODELS`) for the given activation and rule.

    Extra keyword arguments go to the model (``width``, ``width_mult``, ``hidden``).

    Parameters
    ----------
    name : str
        One of :data:`MODELS`.
    activation : str, default="sign"
        ``sign``, ``step``, ``qrelu<k>``, or the full-precision ``relu``/``sat-relu``.
    rule : str or None
        The layer loss that trains hard units (``soft_hinge``/``ftp-sh``,
        ``saturated_hinge``/``sste``, ``hinge``, ``ste``); default ``soft_hinge``.
    weighted : bool, default=True
        Weight each unit's layer loss by ``|dL/dh|`` (equation 3).
    in_shape : sequence of int, default=(3, 32, 32)
        Shape of one input.
    num_classes : int, default=10
        Output units.
    **kwargs
        Model sizes.

    Returns
    -------
    torch.nn.Module

    Examples
    --------
    >>> net = make_model("mlp", "sign", in_shape=(1, 8, 8), num_classes=2, hidden=(16,))
    >>> type(net).__name__
    'MLP'
    """
    from .. import registry

    key = str(name).strip().lower()
    if key not in model_names():
        raise HardTargetError(f"unknown model {name!r}; valid: {', '.join(model_names())}")
    build = registry.get("models", key).obj
    args = dict(
        activation=activation,
        rule=rule,
        weighted=weighted,
        in_shape=tuple(in_shape),
        num_classes=int(num_classes),
        **kwargs,
    )
    check_call(build, f"model {key!r}", **args)  # a TypeError inside the builder is a bug
    return build(**args)
