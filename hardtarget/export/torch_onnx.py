"""The torch bridge's convolutional nets as ONNX, built from their modules (no torch.onnx).

A model whose forward pass is a chain of modules (``ConvNet4``, ``ConvNet8``, ``AlexNet``,
an ``MLP`` or any ``nn.Sequential`` of the supported modules) is written in eval mode,
float32, one ONNX node (or a few) per module:

* ``Conv2d`` -> ``Conv``; ``Linear`` -> ``Gemm``; ``MaxPool2d`` -> ``MaxPool``;
  ``AvgPool2d`` -> ``AveragePool``; ``Flatten`` -> ``Flatten``;
* ``BatchNorm1d/2d`` (eval: running statistics) -> ``BatchNormalization``, kept;
* hard activations (``sign``, ``step``, ``qrelu<k>``) -> ``Greater`` against the float32
  thresholds torch compares with, so the activation itself is exact; ``ReLU`` ->
  ``Relu``; ``SatReLU`` -> ``Clip(0, 1)``.

Outputs: ``logits`` (the model's output, pre-activations of the last layer), ``index``
(``ArgMax``) and ``z<k>``, the pre-activation feeding the ``k``-th hard activation.

Convolutions and matrix products sum in an order onnxruntime and torch choose
differently, so pre-activations agree only to rounding; :func:`torch_check` compares
them with a tolerance and requires equal labels on every row whose hidden
pre-activations all stay clear of the thresholds by more than that tolerance.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import HardTargetError
from .onnx import OPSET, _Graph

__all__ = ["is_torch_chain", "torch_layers", "torch_onnx_model", "torch_check"]

_SUPPORTED = "Conv2d, Linear, MaxPool2d, AvgPool2d, BatchNorm1d/2d, Flatten, hard activations, ReLU"


def is_torch_chain(model) -> bool:
    """A torch module (not a hardtarget MLP, which converts to a Network exactly)."""
    import sys

    if "torch" not in sys.modules:
        return False
    import torch

    return isinstance(model, torch.nn.Module) and type(model).__name__ != "MLP"


def torch_layers(model) -> list:
    """The modules ``model``'s forward pass applies, in order (a flat list)."""
    from torch import nn

    name = type(model).__name__
    if isinstance(model, nn.Sequential):
        return [leaf for m in model for leaf in torch_layers(m)]
    if name in ("ConvNet4", "AlexNet"):
        return torch_layers(model.features) + torch_layers(model.classifier)
    if name == "ConvNet8":
        return torch_layers(model.features) + [model.fc]
    if name == "MLP":
        return torch_layers(model.net)
    if len(list(model.children())) == 0:
        return [model]
    raise HardTargetError(
        f"cannot export a {name} to ONNX: only chains of modules are supported (ConvNet4, "
        f"ConvNet8, AlexNet, MLP, nn.Sequential of {_SUPPORTED}); ResNet's skip connections "
        "are not"
    )


def _np(t) -> np.ndarray:
    return t.detach().cpu().to(dtype=t.dtype).numpy()


def _hard(g: _Graph, m, z: str) -> str:
    from ..torch.functional import exact_thresholds

    kind, k = m.rule.kind, m.rule.k
    f32 = np.float32
    if kind in ("sign", "step"):
        fires = g.op("Greater", [z, g.const(f32(0.0))])
        lo = -1.0 if kind == "sign" else 0.0
        return g.op("Where", [fires, g.const(f32(1.0)), g.const(f32(lo))], "h")
    count = None
    import torch

    for th in exact_thresholds(kind, k, torch.float32):
        hit = g.op("Cast", [g.op("Greater", [z, g.const(f32(th))])], to=g.types.FLOAT)
        count = hit if count is None else g.op("Add", [count, hit])
    return g.op("Div", [count, g.const(f32(k))], "h")


def _module(g: _Graph, m, h: str, zs: list) -> str:
    from torch import nn

    from ..torch.functional import HardActivation, SatReLU

    if isinstance(m, nn.Conv2d):
        if m.padding_mode != "zeros" or isinstance(m.padding, str):
            raise HardTargetError("Conv2d export supports zero padding given as numbers")
        inputs = [h, g.const(_np(m.weight).astype(np.float32), "convW")]
        if m.bias is not None:
            inputs.append(g.const(_np(m.bias).astype(np.float32), "convB"))
        ph, pw = m.padding
        return g.op(
            "Conv",
            inputs,
            "conv",
            kernel_shape=list(m.kernel_size),
            strides=list(m.stride),
            pads=[ph, pw, ph, pw],
            dilations=list(m.dilation),
            group=m.groups,
        )
    if isinstance(m, nn.Linear):
        inputs = [h, g.const(_np(m.weight).astype(np.float32), "fcW")]
        if m.bias is not None:
            inputs.append(g.const(_np(m.bias).astype(np.float32), "fcB"))
        return g.op("Gemm", inputs, "fc", transB=1)
    if isinstance(m, (nn.MaxPool2d, nn.AvgPool2d)):
        k, s, p = (
            x if isinstance(x, tuple) else (x, x) for x in (m.kernel_size, m.stride, m.padding)
        )
        attrs: dict[str, Any] = dict(
            kernel_shape=list(k), strides=list(s), pads=[p[0], p[1], p[0], p[1]]
        )
        attrs["ceil_mode"] = int(m.ceil_mode)
        if isinstance(m, nn.MaxPool2d):
            d = m.dilation if isinstance(m.dilation, tuple) else (m.dilation, m.dilation)
            return g.op("MaxPool", [h], "pool", dilations=list(d), **attrs)
        if m.divisor_override is not None:
            raise HardTargetError("AvgPool2d export does not support divisor_override")
        return g.op("AveragePool", [h], "pool", count_include_pad=int(m.count_include_pad), **attrs)
    if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
        if m.running_mean is None:
            raise HardTargetError("BatchNorm export needs running statistics (track_running_stats)")
        c = m.num_features
        scale = _np(m.weight) if m.affine else np.ones(c, np.float32)
        shift = _np(m.bias) if m.affine else np.zeros(c, np.float32)
        stats = [scale, shift, _np(m.running_mean), _np(m.running_var)]
        consts = [g.const(a.astype(np.float32), "bn") for a in stats]
        return g.op("BatchNormalization", [h, *consts], "bn", epsilon=float(m.eps))
    if isinstance(m, nn.Flatten):
        if m.start_dim != 1 or m.end_dim != -1:
            raise HardTargetError("Flatten export supports start_dim=1, end_dim=-1 only")
        return g.op("Flatten", [h], "flat", axis=1)
    if isinstance(m, HardActivation):
        zs.append(h)
        return _hard(g, m, h)
    if isinstance(m, nn.ReLU):
        return g.op("Relu", [h])
    if isinstance(m, SatReLU):
        return g.op("Clip", [h, g.const(np.float32(0.0)), g.const(np.float32(1.0))])
    if isinstance(m, (nn.Identity, nn.Dropout)):
        return h
    raise HardTargetError(f"cannot export a {type(m).__name__} module; supported: {_SUPPORTED}")


def _input_shape(layers) -> list:
    from torch import nn

    first = layers[0]
    if isinstance(first, nn.Conv2d):
        return ["N", first.in_channels, "H", "W"]
    linear = next((m for m in layers if isinstance(m, nn.Linear)), None)
    return ["N", linear.in_features if linear is not None else "F"]


def torch_onnx_model(model):
    """An ``onnx.ModelProto`` of ``model``'s eval-mode forward pass (float32 input ``X``)."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    layers = torch_layers(model)
    g = _Graph(helper, numpy_helper, TensorProto)
    zs: list = []
    ranks: list = []
    h = "X"
    rank = len(_input_shape(layers))
    for m in layers:
        before = len(zs)
        h = _module(g, m, h, zs)
        ranks += [rank] * (len(zs) - before)
        rank = 2 if type(m).__name__ == "Flatten" else rank
    g.op("Identity", [h], out="logits")
    g.op("ArgMax", [h], out="index", axis=1, keepdims=0)
    outputs = [
        helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", "classes"]),
        helper.make_tensor_value_info("index", TensorProto.INT64, ["N"]),
    ]
    for k, (z, r) in enumerate(zip(zs, ranks)):
        g.op("Identity", [z], out=f"z{k}")
        dims = ["N", *(f"z{k}_{i}" for i in range(1, r))]
        outputs.append(helper.make_tensor_value_info(f"z{k}", TensorProto.FLOAT, dims))
    x = helper.make_tensor_value_info("X", TensorProto.FLOAT, _input_shape(layers))
    graph = helper.make_graph(g.nodes, "hardtarget-torch", [x], outputs, g.inits)
    out = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="hardtarget"
    )
    out.ir_version = 8
    helper.set_model_props(out, {"hardtarget.source": f"torch {type(model).__name__}"})
    onnx.checker.check_model(out)
    return out


def _torch_forward(model, X: np.ndarray) -> tuple[np.ndarray, list]:
    """Logits and hard-activation inputs of ``model`` in eval mode on the CPU (float32)."""
    import torch

    from ..torch.functional import HardActivation

    layers = torch_layers(model)
    was = model.training
    model.eval()
    zs = []
    try:
        with torch.no_grad():
            h = torch.from_numpy(np.ascontiguousarray(X, dtype=np.float32))
            for m in layers:
                if isinstance(m, HardActivation):
                    zs.append(h.numpy().copy())
                h = m(h)
            whole = model(torch.from_numpy(np.ascontiguousarray(X, dtype=np.float32)))
    finally:
        model.train(was)
    if not torch.equal(whole, h):
        raise HardTargetError(
            f"{type(model).__name__}'s forward is not the chain of its modules; it cannot be "
            "exported module by module"
        )
    return h.numpy(), zs


def torch_check(model, path, X, rtol: float = 1e-4) -> dict:
    """Compare an ONNX export of a torch model with the model's eval forward on ``X``.

    Parameters
    ----------
    model : the torch module.
    path : its ONNX export.
    X : float32 inputs, e.g. a test set ``(N, C, H, W)``.
    rtol : pre-activations may differ by ``rtol * (1 + max |z|)`` per layer (summation
        order); rows with a hidden pre-activation that close to a threshold are ties.

    Returns
    -------
    dict with ``rows``, ``ties`` (rows near a threshold), ``label_mismatches`` (away from
    ties: must be 0), ``max_logit_error`` and ``max_relative_error`` (away from ties),
    ``hidden_flips`` (hard activations that differ, any row) and ``ok``.
    """
    import onnxruntime as ort

    from ..torch.functional import HardActivation, exact_thresholds

    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    names = [o.name for o in sess.get_outputs()]
    X = np.ascontiguousarray(X, dtype=np.float32)
    got = dict(zip(names, sess.run(names, {"X": X})))
    logits, zs = _torch_forward(model, X)
    acts = [m for m in torch_layers(model) if isinstance(m, HardActivation)]
    tie = np.zeros(len(X), dtype=bool)
    flips = 0
    worst = 0.0
    for k, (z, m) in enumerate(zip(zs, acts)):
        tol = rtol * (1 + float(np.abs(z).max()))
        thr = np.array(exact_thresholds(m.rule.kind, m.rule.k, __import__("torch").float32))
        near = np.abs(z[..., None] - thr).min(axis=-1) <= tol
        tie |= near.reshape(len(X), -1).any(axis=1)
        other = got[f"z{k}"]
        flips += int((np.sign(z[..., None] - thr) != np.sign(other[..., None] - thr)).sum())
        away = ~tie
        if away.any():
            worst = max(worst, float(np.abs(z - other)[away].max()) / (1 + float(np.abs(z).max())))
    away = ~tie
    label_bad = int((got["index"][away] != np.argmax(logits, axis=1)[away]).sum())
    err = float(np.abs(got["logits"] - logits)[away].max()) if away.any() else 0.0
    scale = 1 + float(np.abs(logits).max())
    return {
        "rows": len(X),
        "ties": int(tie.sum()),
        "label_mismatches": label_bad,
        "max_logit_error": err,
        "max_relative_error": max(worst, err / scale),
        "hidden_flips": flips,
        "ok": label_bad == 0 and err <= rtol * scale,
    }
