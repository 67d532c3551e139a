"""Model summary: bits, memory and operations per layer, as the C export stores and runs it."""

from __future__ import annotations

from dataclasses import dataclass

from ..labels import class_labels
from ._model import as_network
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
        bias_bits = 64 if stored_bias else 32
    elif p.kind == "integer":
        weights = _int_bytes(p.weight_bits) * n * u
        thr_bits = max(int(abs(t)).bit_length() + 1 for t in p.integer[1])
        thresholds = 8 * u if stored_bias else _int_bytes(thr_bits) * u
        bias_bits = 64 if stored_bias else 8 * _int_bytes(thr_bits)
    else:
        weights, thresholds, bias_bits = p.weight_bits // 8 * n * u, 8 * u, 64
    memory = weights + thresholds
    float32 = 4 * (n + 1) * u
    macs = n * u
    by_bits: dict = {}
    for bits, count in ((p.weight_bits, n * u), (bias_bits, u)):
        by_bits[bits] = by_bits.get(bits, 0) + count
    return {
        "layer": p.index,
        "fan_in": n,
        "units": u,
        "activation": p.activation.name,
        "path": p.kind,
        "weight_bits": p.weight_bits,
        "params": (n + 1) * u,
        "params_by_bits": dict(sorted(by_bits.items())),
        "memory_bytes": memory,
        "float32_bytes": float32,
        "binary_ops": macs if p.kind == "packed" else 0,
        "integer_macs": macs if p.kind == "integer" else 0,
        "float_macs": macs if p.kind == "float" else 0,
        "compression": memory / float32,
    }


_HEAD = {
    "layer": "layer",
    "fan_in": "fan-in",
    "units": "units",
    "activation": "act",
    "path": "path",
    "weight_bits": "w-bits",
    "params": "params",
    "memory_bytes": "memory B",
    "float32_bytes": "float32 B",
    "binary_ops": "binary MACs",
    "integer_macs": "int MACs",
    "float_macs": "float MACs",
    "compression": "memory/fp32",
}


def _kib(b: float) -> str:
    return f"{b / 1024:.2f} KiB"


@dataclass
class ModelSummary:
    """Per-layer rows (``rows``) and their totals; ``str()`` is a table, ``to_dict()`` data.

    Conventions follow Larq's ``summary``: parameters are counted per precision
    (``params_by_bits``, the weights and the bias or threshold of each unit), memory in
    KiB, and ``compression`` is Larq's "compression ratio of memory", the memory the C
    export stores over that of the same parameters in float32 (0.05 means 20x smaller;
    above 1 means larger: real weights stay float64 so results are exact).

    Parameters
    ----------
    rows : list of dict
        One per layer.
    inputs : str
        ``"real"`` or ``"sign"``.
    """

    rows: list
    inputs: str

    @property
    def totals(self) -> dict:
        keys = (
            "units",
            "params",
            "memory_bytes",
            "float32_bytes",
            "binary_ops",
            "integer_macs",
            "float_macs",
        )
        tot = {k: sum(r[k] for r in self.rows) for k in keys}
        by_bits: dict = {}
        for r in self.rows:
            for bits, count in r["params_by_bits"].items():
                by_bits[bits] = by_bits.get(bits, 0) + count
        tot["params_by_bits"] = dict(sorted(by_bits.items()))
        tot["compression"] = tot["memory_bytes"] / tot["float32_bytes"]
        tot["memory_kib"] = tot["memory_bytes"] / 1024
        tot["float32_kib"] = tot["float32_bytes"] / 1024
        macs = tot["binary_ops"] + tot["integer_macs"] + tot["float_macs"]
        tot["macs"] = macs
        tot["binary_mac_ratio"] = tot["binary_ops"] / macs if macs else 0.0
        return tot

    def to_dict(self) -> dict:
        """The rows and totals as JSON-friendly data."""
        return {"inputs": self.inputs, "layers": self.rows, "totals": self.totals}

    def __str__(self) -> str:
        keys = list(_HEAD)
        t = self.totals
        total = {**{k: "" for k in keys}, "layer": "total", **{k: t[k] for k in keys if k in t}}

        def cell(r, k):
            return f"{r[k]:.2f}" if k == "compression" and r[k] != "" else str(r[k])

        cells = [[cell(r, k) for k in keys] for r in [*self.rows, total]]
        widths = [max(len(_HEAD[k]), *(len(c[i]) for c in cells)) for i, k in enumerate(keys)]

        def line(c):
            return "  ".join(s.rjust(w) for s, w in zip(c, widths))

        bits = ", ".join(f"{c} at {b} bit" for b, c in t["params_by_bits"].items())
        real = [
            str(r["layer"]) for r in self.rows if r["path"] == "float" and r["weight_bits"] == 64
        ]
        facts = [
            ("Total params", f"{t['params']} ({bits})"),
            ("Model size (as the C export stores it)", _kib(t["memory_bytes"])),
            ("Float-32 equivalent", _kib(t["float32_bytes"])),
            ("Compression ratio of memory (Larq's)", f"{t['compression']:.2f}"),
            ("Number of MACs", str(t["macs"])),
            ("Ratio of MACs that are binary", f"{t['binary_mac_ratio']:.4f}"),
        ]
        if real:
            facts.append(
                (
                    "Real-valued layers",
                    f"{', '.join(real)}: float64 weights, 2x float32, to stay bit-exact",
                )
            )
        pad = max(len(k) for k, _ in facts)
        return (
            "\n".join([line([_HEAD[k] for k in keys]), *(line(c) for c in cells)])
            + "\n\n"
            + "\n".join(f"{k.ljust(pad)}  {v}" for k, v in facts)
            + f"\n(inputs: {self.inputs})"
        )


def summary(model, inputs: str = "real") -> ModelSummary:
    """Parameters per precision, memory (as the C export stores it, and in float32),
    operations and Larq's compression ratio, per layer and in total.

    ``inputs="sign"`` (or ``"binary"``) declares ±1 (0/1) inputs, which lets a first layer
    with ±1 weights run packed.

    Parameters
    ----------
    model : anything :func:`hardtarget.export` takes.
    inputs : ``"real"``, ``"sign"`` or ``"binary"``.

    Returns
    -------
    ModelSummary

    Examples
    --------
    >>> import numpy as np, hardtarget as ht
    >>> net = ht.Network([np.vstack([np.ones((64, 32)), np.zeros(32)]), np.ones((33, 1))], ["sign"])
    >>> s = ht.summary(net, inputs="sign")
    >>> s.rows[0]["path"], s.rows[0]["binary_ops"], s.rows[0]["memory_bytes"]
    ('packed', 2048, 384)
    >>> s.rows[0]["params_by_bits"], round(s.totals["compression"], 3)
    ({1: 2048, 32: 32}, 0.047)
    """
    net = as_network(model)
    class_labels(net)  # the classes every export writes: refused here as there
    plans = plan_network(net, inputs)
    return ModelSummary([_row(p, i == len(plans) - 1) for i, p in enumerate(plans)], inputs)
