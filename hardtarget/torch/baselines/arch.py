"""The baselines' architectures as layer specs, in the papers' notation, sizes as parameters.

A spec is a ``-``-separated string of blocks: ``128C3`` (3x3 "same" convolution with 128
maps), ``P2`` (2x2 max-pooling), ``1024FC`` or ``FC1024`` (fully connected).  The
output layer is added by the model, so a spec lists hidden blocks only.

=========  ==========================================================================
``mlp``    ``hidden=(2048, 2048, 2048)``: 784-2048-2048-2048-10 (Sakr et al., MNIST);
           ``hidden=(1200, 1200)`` is Roth et al.'s MNIST (PI) net
``cnn``    ``channels=(32, 64), kernel=5, fc=(512,)``: 32C5-P2-64C5-P2-FC512 (Roth, MNIST)
``vgg``    ``channels=(128, 256, 512), convs=2, fc=(1024,)``: 2x128C3-P2-2x256C3-P2-
           2x512C3-P2-FC1024 (Roth, CIFAR); ``fc=(1024, 1024)`` and no last pool is
           Sakr et al.'s CIFAR-10 net (``pool_last=False``)
=========  ==========================================================================

Examples
--------
>>> arch_spec("cnn")
[('conv', 32, 5), ('pool', 2), ('conv', 64, 5), ('pool', 2), ('fc', 512)]
>>> parse_spec("16C3-P2-FC32")
[('conv', 16, 3), ('pool', 2), ('fc', 32)]
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from ...errors import HardTargetError
from ...params import check_call

__all__ = ["ARCHS", "arch_spec", "parse_spec", "spec_shapes"]

_TOKEN = re.compile(r"^(?:(\d+)C(\d+)|P2|(\d+)FC|FC(\d+))$", re.IGNORECASE)


def parse_spec(text: str) -> list:
    """Blocks of a spec string such as ``"128C3-128C3-P2-1024FC"``.

    Parameters
    ----------
    text : str
        Blocks separated by ``-``: ``<n>C<k>`` convolutions, ``P<k>`` pooling, ``<n>FC`` or
        ``FC<n>`` dense layers.

    Returns
    -------
    list
    """
    if not isinstance(text, str) or not text.strip():
        raise HardTargetError(
            f"a layer spec must be a non-empty string like '32C3-P2-FC128', got {text!r}"
        )
    out: list[tuple] = []
    for tok in text.strip().split("-"):
        m = _TOKEN.match(tok.strip())
        if m is None:
            raise HardTargetError(
                f"bad block {tok!r} in spec {text!r}; write NC K (e.g. 32C3), P2, or NFC/FCN"
            )
        if m.group(1):
            out.append(("conv", int(m.group(1)), int(m.group(2))))
        elif tok.strip().upper() == "P2":
            out.append(("pool", 2))
        else:
            out.append(("fc", int(m.group(3) or m.group(4))))
    return out


def _mlp(hidden: Sequence[int] = (2048, 2048, 2048)) -> list:
    return [("fc", int(h)) for h in hidden]


def _cnn(channels: Sequence[int] = (32, 64), kernel: int = 5, fc: Sequence[int] = (512,)) -> list:
    out: list = []
    for c in channels:
        out += [("conv", int(c), int(kernel)), ("pool", 2)]
    return out + [("fc", int(n)) for n in fc]


def _vgg(
    channels: Sequence[int] = (128, 256, 512),
    convs: int = 2,
    fc: Sequence[int] = (1024,),
    pool_last: bool = True,
) -> list:
    out: list = []
    for i, c in enumerate(channels):
        out += [("conv", int(c), 3)] * int(convs)
        if pool_last or i < len(channels) - 1:
            out.append(("pool", 2))
    return out + [("fc", int(n)) for n in fc]


def _spec(spec: str) -> list:
    return parse_spec(spec)


ARCHS: dict[str, Callable[..., list]] = {"mlp": _mlp, "cnn": _cnn, "vgg": _vgg, "spec": _spec}


def arch_spec(name: str, **sizes) -> list:
    """The block list of architecture ``name`` (one of :data:`ARCHS`) with its sizes.

    Parameters
    ----------
    name : str
        One of :data:`ARCHS`.
    **sizes
        Sizes of the architecture (``hidden``, ``channels``, ``fc``, ``spec``, ...).

    Returns
    -------
    list
    """
    key = str(name).strip().lower()
    if key not in ARCHS:
        raise HardTargetError(f"unknown baseline model {name!r}; valid: {', '.join(ARCHS)}")
    check_call(ARCHS[key], f"baseline model {key!r}", **sizes)
    spec = ARCHS[key](**sizes)
    if not spec or any(b[1] < 1 or (b[0] == "conv" and b[2] < 1) for b in spec):
        raise HardTargetError(
            f"model {key!r} needs at least one block with positive sizes, got {spec}"
        )
    return spec


def spec_shapes(spec: list, in_shape: Sequence[int]) -> list:
    """Input shape of every block and, last, of the output layer (``(C, H, W)`` or ``(n,)``)."""
    shape = tuple(int(s) for s in in_shape)
    shapes = []
    for block in spec:
        shapes.append(shape)
        if block[0] == "fc":
            shape = (block[1],)
        elif len(shape) != 3:
            raise HardTargetError(
                f"block {block} comes after a fully connected layer; convolutions and "
                "pooling must come first"
            )
        elif block[0] == "conv":
            shape = (block[1], shape[1], shape[2])
        else:
            if min(shape[1:]) < 2:
                raise HardTargetError(
                    f"a 2x2 pool needs at least 2x2 maps, got {shape}; use fewer P2 blocks"
                )
            shape = (shape[0], shape[1] // 2, shape[2] // 2)
    shapes.append(shape)
    return shapes
