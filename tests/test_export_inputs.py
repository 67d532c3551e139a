"""Exports for ±1 or 0/1 inputs: checked against the training data, and refusing other rows."""

from __future__ import annotations

import numpy as np
import pytest

import hardtarget as ht
from hardtarget.export.runtime import open_export


def _net(rng, n=6):
    W1 = np.vstack([rng.integers(-2, 3, size=(n, 4)), rng.integers(-2, 3, size=(1, 4))])
    W2 = np.vstack([rng.normal(size=(4, 3)), rng.normal(size=(1, 3))])
    return ht.Network([W1.astype(float), W2], ["sign", "sign"], np.array(["a", "b", "c"]))


@pytest.mark.parametrize("inputs", ["sign", "binary"])
@pytest.mark.parametrize("fmt", ["onnx", "c"])
def test_exports_for_a_domain_are_exact_there_and_refuse_rows_outside(inputs, fmt, tmp_path):
    net = _net(np.random.default_rng(0))
    path = tmp_path / f"m.{fmt}"
    ht.export(net, path, inputs=inputs)
    check = ht.verify_export(net, path)  # remembers the domain; also tries rows outside
    assert check.ok and check.exhaustive, str(check)
    run = open_export(path)
    assert run.inputs == inputs
    lo = -1.0 if inputs == "sign" else 0.0
    corners = np.array([[lo, 1.0, lo, 1.0, 1.0, lo]])
    # truth from the Network: the row is in the domain
    assert run.index(corners).tolist() == [int(np.argmax(net.decision_function(corners)))]
    wrong = {"sign": [0.0, 1.0, 0.0, 1.0, 1.0, 0.0], "binary": [-1.0, 1.0, -1.0, 1.0, 1.0, -1.0]}
    outside = np.array([wrong[inputs], [lo, 1.0, lo, 1.0, 1.0, 0.5], [np.nan] * 6])
    assert run.index(outside).tolist() == [-1, -1, -1]
    assert np.isnan(run.decision(outside)).all()
    with pytest.raises(ht.HardTargetError, match=f"inputs={inputs!r}"):
        ht.verify_export(net, path, inputs="real")


def test_onnx_reports_valid_rows(tmp_path):
    import onnxruntime as ort

    net = _net(np.random.default_rng(1))
    ht.export(net, tmp_path / "m.onnx", inputs="sign")
    sess = ort.InferenceSession(str(tmp_path / "m.onnx"), providers=["CPUExecutionProvider"])
    X = np.array([[1.0] * 6, [1.0] * 5 + [0.0], [-1.0] * 6])
    (valid,) = sess.run(["valid"], {"X": X})
    assert valid.tolist() == [True, False, True]


def test_c_documents_its_input_domain(tmp_path):
    net = _net(np.random.default_rng(2))
    ht.export(net, tmp_path / "m.c", inputs="binary")
    header = (tmp_path / "m.h").read_text()
    assert "each 0 or 1" in header and "#define M_BINARY_INPUTS 1" in header
    assert "m_predict returns -1" in header


@pytest.mark.parametrize(
    "X, domain",
    [
        (np.array([[-1, 1], [1, 1], [1, -1], [-1, -1]]), "sign"),
        (np.array([[0, 1], [1, 1], [1, 0], [0, 0]]), "binary"),
        (np.array([[0, 1], [1, 1], [1, -1], [0, 0]]), "real"),
    ],
)
def test_an_estimator_export_is_checked_against_its_training_inputs(X, domain, tmp_path):
    y = np.array([1, 0, 1, 0])
    clf = ht.HardThresholdClassifier(hidden=(2,), strategy="exhaustive", time_limit=None)
    clf.fit(X.astype(float), y)
    assert clf.input_domain_ == domain
    for inputs in ("sign", "binary"):
        path = tmp_path / f"m_{inputs}.c"
        if inputs == domain:
            ht.export(clf, path, inputs=inputs)
            assert ht.verify_export(clf, path).ok
        else:
            with pytest.raises(ht.HardTargetError, match="trained on inputs that are"):
                ht.export(clf, path, inputs=inputs)
    ht.export(clf, tmp_path / "m.onnx")  # real inputs: always allowed
