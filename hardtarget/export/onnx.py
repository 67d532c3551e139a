"""ONNX from standard operators (opset 17), exact against ``Network`` in stock onnxruntime.

The sign is ``Where(z > 0, 1, -1)`` (ONNX's ``Sign`` gives 0 at 0).  Integer and packed
layers (see :mod:`hardtarget.export._plan`) use ``MatMul`` on their integer weights,
exact in float64 in any order, and compare with integer thresholds; float layers repeat
the Network's summation order with one ``Mul`` and one ``Add`` per input, since a
``MatMul`` may sum in any order.  Outputs: ``label`` (the user's labels), ``index``
(into them), ``decision`` (output pre-activations) and ``activations``.
"""

from __future__ import annotations

import numpy as np

from ..errors import HardTargetError
from ..network import Network
from ._model import class_labels
from ._plan import LayerPlan, plan_network

__all__ = ["onnx_model", "OPSET"]

OPSET = 17
MAX_ONNX_QRELU = 4096  # one Greater node per step: beyond this the graph is absurd


class _Graph:
    """Collects nodes and constants, naming every tensor uniquely."""

    def __init__(self, helper, numpy_helper, tensor_proto):
        self.helper, self.np, self.types = helper, numpy_helper, tensor_proto
        self.nodes, self.inits, self.count = [], [], 0

    def name(self, hint: str) -> str:
        self.count += 1
        return f"{hint}_{self.count}"

    def const(self, value, hint: str = "c") -> str:
        name = self.name(hint)
        arr = np.asarray(value)
        if arr.dtype.kind == "U":
            t = self.helper.make_tensor(
                name, self.types.STRING, arr.shape, [s.encode() for s in arr.ravel().tolist()]
            )
        else:
            t = self.np.from_array(arr, name)
        self.inits.append(t)
        return name

    def op(
        self, op_type: str, inputs: list, hint: str = "", out: str | None = None, **attrs
    ) -> str:
        out = out or self.name(hint or op_type.lower())
        self.nodes.append(self.helper.make_node(op_type, inputs, [out], **attrs))
        return out


def _activate(g: _Graph, p: LayerPlan, z: str) -> str:
    act = p.activation
    zero = g.const(np.float64(0.0))
    if act.kind == "qrelu":
        q, count = act.k, None
        if q > MAX_ONNX_QRELU:
            raise HardTargetError(
                f"ONNX export of {act.name} would need {q} comparison nodes per layer (at most "
                f"{MAX_ONNX_QRELU}); export it as C or JSON, or use fewer levels"
            )
        for s in range(q):
            thr = g.const(np.float64(s / (q - 1) if q > 1 else 0.0))
            hit = g.op("Cast", [g.op("Greater", [g.op("Sub", [z, thr]), zero])], to=g.types.DOUBLE)
            count = hit if count is None else g.op("Add", [count, hit])
        return g.op("Div", [count, g.const(np.float64(q))], "h")
    lo, hi = act.levels[0], act.levels[-1]
    return g.op("Where", [g.op("Greater", [z, zero]), g.const(hi), g.const(lo)], "h")


def _layer(g: _Graph, p: LayerPlan, h: str, last: bool) -> tuple[str, str | None]:
    """(activations, pre-activations or None) of one layer."""
    if p.kind != "float":
        S = g.op("MatMul", [h, g.const(p.weights_int.astype(np.float64), f"W{p.index}")], "S")
        if not last and p.activation.kind != "qrelu":
            fires = g.op("Greater", [S, g.const(p.thresholds.astype(np.float64), f"T{p.index}")])
            lo, hi = p.activation.levels[0], p.activation.levels[-1]
            return g.op("Where", [fires, g.const(hi), g.const(lo)], "h"), None
        if p.scale_exp:
            S = g.op("Mul", [S, g.const(np.float64(2.0**-p.scale_exp))])
        # Sub of -b is the same IEEE operation as + b, and no MatMul+Add fusion can reorder it
        z = g.op("Sub", [S, g.const(-p.bias, f"negb{p.index}")], "z")
    else:
        s = None
        for f in range(p.fan_in):
            col = g.op("Gather", [h, g.const(np.array([f], dtype=np.int64))], axis=1)
            prod = g.op("Mul", [col, g.const(p.weights[f : f + 1], f"W{p.index}_{f}")])
            s = prod if s is None else g.op("Add", [s, prod], "s")
        z = g.op("Add", [s, g.const(p.bias, f"b{p.index}")], "z")
    return _activate(g, p, z), z


def onnx_model(net: Network, inputs: str = "real"):
    """An ``onnx.ModelProto`` computing ``net`` exactly (input ``X``: float64, n_features)."""
    try:
        import onnx
        from onnx import TensorProto, helper, numpy_helper
    except ImportError:
        raise HardTargetError(
            "ONNX export needs the onnx package: pip install 'hardtarget[onnx]'"
        ) from None
    plans = plan_network(net, inputs)
    g = _Graph(helper, numpy_helper, TensorProto)
    h, z = "X", None
    for i, p in enumerate(plans):
        h, z = _layer(g, p, h, i == len(plans) - 1)
    g.op("Identity", [z], out="decision")
    g.op("Identity", [h], out="activations")
    k = net.widths[-1]
    if k > 1:
        g.op("ArgMax", [z], out="index", axis=1, keepdims=0)
    else:
        top = g.op("Equal", [h, g.const(np.float64(net.activations[-1].levels[-1]))])
        flat = g.op("Squeeze", [top, g.const(np.array([1], dtype=np.int64))])
        g.op("Cast", [flat], out="index", to=TensorProto.INT64)
    labels = class_labels(net)
    kind = "U" if labels.dtype.kind in "OU" else labels.dtype.kind
    labels = labels.astype({"U": str, "b": bool, "f": np.float64}.get(kind, np.int64))
    g.op("Gather", [g.const(labels, "classes"), "index"], out="label", axis=0)
    label_type = {"U": TensorProto.STRING, "b": TensorProto.BOOL, "f": TensorProto.DOUBLE}.get(
        kind, TensorProto.INT64
    )
    outputs = [
        helper.make_tensor_value_info("label", label_type, ["N"]),
        helper.make_tensor_value_info("index", TensorProto.INT64, ["N"]),
        helper.make_tensor_value_info("decision", TensorProto.DOUBLE, ["N", k]),
        helper.make_tensor_value_info("activations", TensorProto.DOUBLE, ["N", k]),
    ]
    graph = helper.make_graph(
        g.nodes,
        "hardtarget",
        [helper.make_tensor_value_info("X", TensorProto.DOUBLE, ["N", net.n_features])],
        outputs,
        g.inits,
    )
    model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="hardtarget"
    )
    model.ir_version = 8
    helper.set_model_props(model, {"hardtarget.inputs": inputs})
    onnx.checker.check_model(model)
    return model
