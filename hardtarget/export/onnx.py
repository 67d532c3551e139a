"""ONNX from standard operators (opset 17), exact against ``Network`` in stock onnxruntime.

The sign is ``Where(z > 0, 1, -1)`` (ONNX's ``Sign`` gives 0 at 0).  Integer and packed
layers (see :mod:`hardtarget.export._plan`) use ``MatMul`` on their integer weights,
exact in float64 in any order, and compare with integer thresholds; float layers use a
``MatMul`` where a rigorous error bound shows it gives the Network's activations and
the Network's own summation order elsewhere (see :mod:`hardtarget.export._onnx_float`).

Outputs: ``label`` (the user's labels), ``index`` (into them), ``decision`` (output
pre-activations) and ``activations``.  An export for ``sign`` or ``binary`` inputs also
gives ``valid`` (every input of the row in that domain); a row that is not has
``index`` -1 and ``decision`` NaN (its ``label`` and ``activations`` mean nothing).
"""

from __future__ import annotations

import numpy as np

from ..errors import HardTargetError
from ..labels import class_labels
from ..network import Network
from ._onnx_float import float_layer, ordered_sum
from ._pipeline import Step
from ._plan import LayerPlan, network_inputs, plan_network

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

    def _noop_risk(self, op_type: str, inputs: list) -> float | None:
        """The one-element float64 constant operand that onnxruntime's ``NoopElimination``
        would mistake for 0 (``Add``, ``Sub``) or 1 (``Mul``, ``Div``): it compares the value
        cast to float32, so ``x + 1e-200`` or ``x * (1 + 1e-12)`` vanish.  None if safe."""
        if op_type not in ("Add", "Sub", "Mul", "Div"):
            return None
        for t in self.inits:
            if t.name in inputs and t.data_type == self.types.DOUBLE:
                v = self.np.to_array(t)
                if v.size != 1:
                    continue
                v = float(v.ravel()[0])
                like = 0.0 if op_type in ("Add", "Sub") else 1.0
                if v != like and abs(v) < 2.0 and float(np.float32(v)) == like:
                    return v
        return None

    def op(
        self, op_type: str, inputs: list, hint: str = "", out: str | None = None, **attrs
    ) -> str:
        risky = self._noop_risk(op_type, inputs)
        if risky is not None and op_type in ("Add", "Sub"):  # Sum is never eliminated
            if op_type == "Sub":  # x - c is the IEEE operation x + (-c)
                inputs = [inputs[0], self.const(np.full((1,), -risky), "negc")]
            op_type = "Sum"
        elif risky is not None:
            raise HardTargetError(
                f"ONNX export: a {op_type} by the single constant {risky!r} would be removed "
                "by onnxruntime's NoopElimination (it compares that constant as float32); "
                "this happens only with one feature or unit: export as C instead"
            )
        out = out or self.name(hint or op_type.lower())
        self.nodes.append(self.helper.make_node(op_type, inputs, [out], **attrs))
        return out


def _activate(g: _Graph, p: LayerPlan, z: str) -> str:
    act = p.activation
    zero = g.const(np.float64(0.0))
    if act.kind == "qrelu":
        q, count = act.k, None
        _check_levels(act)
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
        Wi, T = p.integer
        S = g.op("MatMul", [h, g.const(Wi.astype(np.float64), f"W{p.index}")], "S")
        if not last and p.activation.kind != "qrelu":
            fires = g.op("Greater", [S, g.const(T.astype(np.float64), f"T{p.index}")])
            lo, hi = p.activation.levels[0], p.activation.levels[-1]
            return g.op("Where", [fires, g.const(hi), g.const(lo)], "h"), None
        if p.scale_exp:
            S = g.op("Mul", [S, g.const(np.float64(2.0**-p.scale_exp))])
        # Sub of -b is the same IEEE operation as + b, and no MatMul+Add fusion can reorder it
        z = g.op("Sub", [S, g.const(-p.bias, f"negb{p.index}")], "z")
    elif last:  # the pre-activations are returned: the Network's order on every row
        z = ordered_sum(g, h, p.weights, p.bias, f"L{p.index}")
    else:  # only the activation matters: a MatMul, exact sums near a threshold
        z = float_layer(g, h, p.weights, p.bias, _thresholds(p.activation), f"L{p.index}")
    return _activate(g, p, z), z


def _check_levels(act) -> None:
    if act.k > MAX_ONNX_QRELU:
        raise HardTargetError(
            f"ONNX export of {act.name} would need {act.k} comparison nodes per layer (at most "
            f"{MAX_ONNX_QRELU}); export it as C or JSON, or use fewer levels"
        )


def _thresholds(act) -> list[float]:
    """The values ``_activate`` compares a pre-activation with."""
    if act.kind == "qrelu":
        _check_levels(act)
        return [s / (act.k - 1) if act.k > 1 else 0.0 for s in range(act.k)]
    return [0.0]


def _in_domain(g: _Graph, inputs: str) -> str | None:
    """Per row: is every input -1/+1 (``sign``) or 0/1 (``binary``)?  None for ``real``."""
    if inputs == "real":
        return None
    if inputs == "sign":
        ok = g.op("Equal", [g.op("Abs", ["X"]), g.const(np.float64(1.0))])
    else:
        zero = g.op("Equal", ["X", g.const(np.float64(0.0))])
        ok = g.op("Or", [zero, g.op("Equal", ["X", g.const(np.float64(1.0))])])
    worst = g.op("ReduceMin", [g.op("Cast", [ok], to=g.types.INT32)], axes=[1], keepdims=0)
    return g.op("Cast", [worst], "valid", to=g.types.BOOL)


def _preprocess(g: _Graph, steps: list[Step], h: str) -> str:
    """The pipeline's steps, one elementwise IEEE operation each (see ``_pipeline``)."""
    ops = {"sub": "Sub", "div": "Div", "mul": "Mul", "add": "Add"}
    for s in steps:
        if s.op in ops:
            h = g.op(ops[s.op], [h, g.const(np.asarray(s.value, dtype=np.float64), s.op)], "pre")
        elif s.op == "clip":  # comparisons, so NaN stays NaN (as numpy's clip)
            lo, hi = (g.const(np.float64(v)) for v in s.floats)
            h = g.op("Where", [g.op("Less", [h, lo]), lo, h], "pre")
            h = g.op("Where", [g.op("Greater", [h, hi]), hi, h], "pre")
        else:
            above = g.op("Greater", [h, g.const(np.float64(s.floats[0]))])
            h = g.op("Where", [above, g.const(np.float64(1.0)), g.const(np.float64(0.0))], "pre")
    return h


def onnx_model(net: Network, inputs: str = "real", steps: list[Step] | tuple = ()):
    """An ``onnx.ModelProto`` computing ``net`` exactly (input ``X``: float64, n_features),
    after the preprocessing ``steps`` of a scikit-learn pipeline."""
    try:
        import onnx
        from onnx import TensorProto, helper, numpy_helper
    except ImportError:
        raise HardTargetError(
            "ONNX export needs the onnx package: pip install 'hardtarget[onnx]'"
        ) from None
    steps = list(steps)
    plan_network(net, inputs)  # validates `inputs`
    plans = plan_network(net, network_inputs(inputs, steps), wide=True)
    g = _Graph(helper, numpy_helper, TensorProto)
    h, z = _preprocess(g, steps, "X"), None
    for i, p in enumerate(plans):
        h, z = _layer(g, p, h, i == len(plans) - 1)
    k = net.widths[-1]
    if k > 1:
        index = g.op("ArgMax", [z], axis=1, keepdims=0)
    else:
        top = g.op("Equal", [h, g.const(np.float64(net.activations[-1].levels[-1]))])
        flat = g.op("Squeeze", [top, g.const(np.array([1], dtype=np.int64))])
        index = g.op("Cast", [flat], to=TensorProto.INT64)
    valid = _in_domain(g, inputs)
    if valid is None:
        g.op("Identity", [z], out="decision")
        g.op("Identity", [index], out="index")
    else:  # rows outside the declared inputs: index -1, decision NaN
        column = g.op("Unsqueeze", [valid, g.const(np.array([1], dtype=np.int64))])
        g.op("Where", [column, z, g.const(np.float64(np.nan))], out="decision")
        g.op("Where", [valid, index, g.const(np.int64(-1))], out="index")
    g.op("Identity", [h], out="activations")
    labels = class_labels(net)
    kind = "U" if labels.dtype.kind in "OU" else labels.dtype.kind
    labels = labels.astype({"U": str, "b": bool, "f": np.float64}.get(kind, np.int64))
    g.op("Gather", [g.const(labels, "classes"), index], out="label", axis=0)
    label_type = {"U": TensorProto.STRING, "b": TensorProto.BOOL, "f": TensorProto.DOUBLE}.get(
        kind, TensorProto.INT64
    )
    outputs = [
        helper.make_tensor_value_info("label", label_type, ["N"]),
        helper.make_tensor_value_info("index", TensorProto.INT64, ["N"]),
        helper.make_tensor_value_info("decision", TensorProto.DOUBLE, ["N", k]),
        helper.make_tensor_value_info("activations", TensorProto.DOUBLE, ["N", k]),
    ]
    if valid is not None:
        outputs.append(helper.make_tensor_value_info("valid", TensorProto.BOOL, ["N"]))
        g.op("Identity", [valid], out="valid")
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
