"""Model summary: bits, memory and operations per layer, as the C export stores and runs it."""

from __future__ import annotations

from dataclasses import dataclass

from ._model import as_network, class_labels
from ._plan import LayerPlan, plan_network

__all__ = ["summary", "ModelSummary"]

_BYTES = {8: 1, 16: 2, 32: 4, 64: 8}


def _int_bytes(bits: int) -> int:
    return next(b for w, b in _BYTES.items() if bits <= w)


def _row(p: LayerPlan, last: bool) -> dict:
    n, u = p.fan_in, p.units
    stored_bias = last or p.activation.kind == "qrelu"  # a float64 bias, not an integer threshold
    if p.kind == "packed":
        weights = -(-n // 32) * 4 * u * (p.weight_bits)  # one mask per weight bit
        thresholds = 8 * u if stored_bias else 4 * u
    elif p.kind == "integer":
        weights = _int_bytes(p.weight_bits) * n * u
        thr_bits = max(int(abs(t)).bit_length() + 1 for t in p.thresholds)
        thresholds = 8 * u if stored_bias else _int_bytes(thr_bits) * u
    else:
        weights, thresholds = p.weight_bits // 8 * n * u, 8 * u
    memory = weights + thresholds
    float32 = 4 * (n + 1) * u
    macs = n * u
    return {
        "layer": p.index,
        "fan_in": n,
        "units": u,
        "activation": p.activation.name,
        "path": p.kind,
        "weight_bits": p.weight_bits,
        "memory_bytes": memory,
        "float32_bytes": float32,
        "binary_ops": macs if p.kind == "packed" else 0,
        "integer_macs": macs if p.kind == "integer" else 0,
        "float_macs": macs if p.kind == "float" else 0,
        "compression": float32 / memory,
    }


@dataclass
class ModelSummary:
    """Per-layer rows (``rows``) and their totals; ``str()`` is a table, ``to_dict()`` data."""

    rows: list
    inputs: str

    @property
    def totals(self) -> dict:
        keys = (
            "units",
            "memory_bytes",
            "float32_bytes",
            "binary_ops",
            "integer_macs",
            "float_macs",
        )
        tot = {k: sum(r[k] for r in self.rows) for k in keys}
        tot["compression"] = tot["float32_bytes"] / tot["memory_bytes"]
        return tot

    def to_dict(self) -> dict:
        return {"inputs": self.inputs, "layers": self.rows, "totals": self.totals}

    def __str__(self) -> str:
        head = (
            "layer",
            "fan-in",
            "units",
            "act",
            "path",
            "w-bits",
            "memory B",
            "float32 B",
            "binary ops",
            "int MACs",
            "float MACs",
            "ratio",
        )
        keys = (
            "layer",
            "fan_in",
            "units",
            "activation",
            "path",
            "weight_bits",
            "memory_bytes",
            "float32_bytes",
            "binary_ops",
            "integer_macs",
            "float_macs",
            "compression",
        )
        t = self.totals
        total = {**{k: "" for k in keys}, "layer": "total", **t}
        cells = [
            [f"{r[k]:.1f}x" if k == "compression" else str(r[k]) for k in keys]
            for r in [*self.rows, total]
        ]
        widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(head)]

        def line(c):
            return "  ".join(s.rjust(w) for s, w in zip(c, widths))

        return "\n".join([line(head), *(line(c) for c in cells)]) + f"\n(inputs: {self.inputs})"


def summary(model, inputs: str = "real") -> ModelSummary:
    """Fan-in, units, weight bits, memory (packed vs float32), operations and compression.

    ``inputs="sign"`` declares ±1 inputs, which lets a first layer with ±1 weights run
    packed.  Memory is what the C export stores.

    Examples
    --------
    >>> import numpy as np, hardtarget as ht
    >>> net = ht.Network([np.vstack([np.ones((64, 32)), np.zeros(32)]), np.ones((33, 1))], ["sign"])
    >>> s = ht.summary(net, inputs="sign")
    >>> s.rows[0]["path"], s.rows[0]["binary_ops"], s.rows[0]["memory_bytes"]
    ('packed', 2048, 384)
    """
    net = as_network(model)
    class_labels(net)  # the classes every export writes: refused here as there
    plans = plan_network(net, inputs)
    return ModelSummary([_row(p, i == len(plans) - 1) for i, p in enumerate(plans)], inputs)
