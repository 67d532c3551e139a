"""The summary counts parameters per precision and reads as Larq's does."""

from __future__ import annotations

import numpy as np

import hardtarget as ht


def test_parameters_per_precision_and_larq_memory_ratio():
    rng = np.random.default_rng(0)
    sizes = (64, 32, 10)
    ws = [
        np.vstack([rng.choice([-1.0, 1.0], size=(a, b)), 2 * rng.integers(-2, 3, size=(1, b))])
        for a, b in zip(sizes[:-1], sizes[1:])
    ]
    s = ht.summary(ht.Network(ws, ["sign", "sign"]), inputs="sign")
    t = s.totals
    assert t["params"] == sum(W.size for W in ws) == 65 * 32 + 33 * 10
    # ±1 weights at 1 bit; int32 popcount limits (hidden); float64 biases (output)
    assert t["params_by_bits"] == {1: 64 * 32 + 32 * 10, 32: 32, 64: 10}
    assert t["compression"] == t["memory_bytes"] / t["float32_bytes"] < 0.1  # Larq: mem / fp32
    assert t["binary_mac_ratio"] == 1.0
    text = str(s)
    assert "Compression ratio of memory (Larq's)    0.05" in text and "KiB" in text


def test_real_weights_are_shown_as_what_they_cost():
    rng = np.random.default_rng(1)
    net = ht.Network([rng.normal(size=(9, 4)), rng.normal(size=(5, 2))], ["sign", "sign"])
    s = ht.summary(net)
    assert s.totals["compression"] == 2.0  # float64 weights: twice float32, not "0.5x"
    assert "float64 weights, 2x float32, to stay bit-exact" in str(s)
    f32 = ht.Network([w.astype(np.float32).astype(np.float64) for w in net.weights], ["sign"] * 2)
    rows = ht.summary(f32).rows
    assert rows[0]["params_by_bits"] == {32: 32, 64: 4}  # float32 weights, float64 biases
