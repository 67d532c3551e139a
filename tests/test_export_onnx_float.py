"""Compact float ONNX: a MatMul with a proven error bound, the ordered sum on flagged rows."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import hardtarget as ht
from hardtarget.export.onnx import onnx_model


def _mnist_like(rng) -> ht.Network:
    W1 = np.vstack([rng.normal(size=(784, 64)) / 28, rng.normal(size=(1, 64))])
    W2 = np.vstack([rng.normal(size=(64, 10)), rng.normal(size=(1, 10))])
    return ht.Network([W1, W2], ["sign", "sign"])


def _session(model):
    import onnxruntime as ort

    return ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])


def test_a_784_64_10_real_network_is_a_small_graph():
    model = onnx_model(_mnist_like(np.random.default_rng(0)))
    ops = [n.op_type for n in model.graph.node]
    assert len(ops) <= 100, len(ops)  # the unrolled graph had 2,553 nodes
    assert ops.count("MatMul") == 1 and "Scan" not in ops


def _flag_output(model):
    """The same model with the rows sent to the ordered sum as an extra output."""
    from onnx import TensorProto, helper

    (compress,) = [n for n in model.graph.node if n.op_type == "Compress"]
    model.graph.output.append(
        helper.make_tensor_value_info(compress.input[1], TensorProto.BOOL, ["N"])
    )
    return compress.input[1]


def test_every_exact_tie_is_recomputed_and_random_rows_rarely_are():
    rng = np.random.default_rng(1)
    W1 = np.vstack([rng.normal(size=(6, 5)), rng.normal(size=(1, 5))])
    W1[:, 0] = [1.0, -1.0, 0.0, 0.0, 0.0, 0.0, 0.0]  # x0 - x1: exactly 0 when x0 == x1
    W1[:, 1] = [0.1, 0.2, -0.3, 0.0, 0.0, 0.0, 0.0]  # 0.1 + 0.2 - 0.3 rounds to 5.55e-17
    net = ht.Network([W1, rng.normal(size=(6, 2))], ["sign", "sign"])
    model = onnx_model(net)
    flags = _flag_output(model)
    X = np.vstack([rng.normal(size=(2000, 6)), rng.integers(-2, 3, size=(500, 6))]).astype(float)
    X[:50, 1] = X[:50, 0]
    X[50:60, :3] = 1.0
    flagged, decision, index = _session(model).run([flags, "decision", "index"], {"X": X})
    Z = net.preactivations(X)[0]
    tie = np.any(Z == 0, axis=1)
    assert tie[:50].all() and flagged[tie].all()  # independent truth: the Network's own zeros
    assert flagged[50:60].all()  # |z| = 5.55e-17, far below the bound: recomputed
    assert flagged[60:2000].mean() < 0.01
    assert np.array_equal(decision, net.decision_function(X))
    assert np.array_equal(index, np.argmax(net.decision_function(X), axis=1))


def test_overflowing_rows_match_the_network():
    """Sums that overflow to infinity or NaN (the Network refuses NaN and inf inputs)."""
    net = _mnist_like(np.random.default_rng(2))
    X = np.random.default_rng(3).normal(size=(6, 784))
    X[0, 5], X[1, 7], X[2, :], X[3, :] = 1e308, -1e308, 1e300, 5e-324
    decision, index = _session(onnx_model(net)).run(["decision", "index"], {"X": X})
    want = net.decision_function(X)
    assert np.array_equal(decision, want, equal_nan=True)
    ok = ~np.isnan(want).any(axis=1)
    assert np.array_equal(index[ok], np.argmax(want[ok], axis=1))


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    widths=st.lists(st.integers(1, 6), min_size=2, max_size=3),
    act=st.sampled_from(["sign", "step", "qrelu3"]),
    scale=st.sampled_from([1e-200, 1e-3, 1.0, 1e150]),
)
def test_random_float_networks_with_cancellation_are_exact(
    seed, widths, act, scale, tmp_path_factory
):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 12))
    weights, rows = [], n
    for width in widths:
        W = rng.normal(size=(rows + 1, width)) * scale
        W[1, :] = -W[0, :]  # rows 0 and 1 cancel when their inputs are equal
        W[-1, : width // 2] = 0.0
        weights.append(W)
        rows = width
    net = ht.Network(weights, [act] * len(widths))
    path = tmp_path_factory.mktemp("f") / "m.onnx"
    ht.export(net, path)
    check = ht.verify_export(net, path, n_random=200)
    assert check.ok, (str(check), check.first_mismatch)


@pytest.mark.parametrize("module", ["hardtarget.export._onnx_float"])
def test_bound_constants_dominate_the_error_bound(module):
    """4 (F + 2) u leaves a factor of 2 over 2 gamma_{F+1} = 2 (F + 1) u / (1 - (F + 1) u)."""
    from fractions import Fraction

    from hardtarget.export._onnx_float import bound_factors

    u = Fraction(1, 2**53)
    for F in (1, 7, 784, 10**6, 2**39):
        c, t = bound_factors(F)
        gamma = (F + 1) * u / (1 - (F + 1) * u)
        assert Fraction(c) >= 2 * (2 * gamma) * (1 - (F + 6) * u)
        assert Fraction(t) >= 2 * 2 * (F + 1) * Fraction(1, 2**1022)


def test_float32_weights_on_sign_inputs_sum_exactly_in_a_matmul():
    """torch-trained weights are float32 values: on ±1 inputs they are integers after one
    power-of-two scale with sums below 2**53, so the output layer needs no ordered sum."""
    rng = np.random.default_rng(5)
    net = _mnist_like(rng)
    net = ht.Network([W.astype(np.float32).astype(np.float64) for W in net.weights], ["sign"] * 2)
    model = onnx_model(net)
    ops = [n.op_type for n in model.graph.node]
    assert ops.count("CumSum") == 1 and ops.count("MatMul") == 2  # hidden: bound; output: exact
    X = rng.normal(size=(500, 784))
    decision, index = _session(model).run(["decision", "index"], {"X": X})
    assert np.array_equal(decision, net.decision_function(X))
    assert np.array_equal(index, np.argmax(net.decision_function(X), axis=1))


def test_a_tiny_one_element_bias_survives_onnxruntime_optimizations():
    """onnxruntime's NoopElimination drops ``x + c`` when ``float32(c) == 0``: a bias of
    1e-200 on a single output unit must still be added (the export writes it as Sum)."""
    W1 = np.array([[1.0, -1.0], [1.0, 1.0], [0.0, 0.0]])
    W2 = np.array([[-1e-200], [1e-200], [1e-200]])  # z = -h0 + h1 + 1, all in units of 1e-200
    net = ht.Network([W1, W2], ["sign", "sign"])
    X = np.array([[1.0, 1.0], [1.0, -1.0], [-1.0, 1.0], [-1.0, -1.0]])
    (decision,) = _session(onnx_model(net)).run(["decision"], {"X": X})
    want = net.decision_function(X).reshape(-1, 1)
    assert np.array_equal(decision, want) and np.any(want != 0)
