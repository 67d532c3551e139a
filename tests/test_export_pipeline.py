"""scikit-learn pipelines export with their preprocessing and predict what the pipeline does."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import (
    Binarizer,
    FunctionTransformer,
    MaxAbsScaler,
    MinMaxScaler,
    RobustScaler,
    StandardScaler,
)

import hardtarget as ht
from hardtarget.export.runtime import open_export


def _data(seed=0, m=60, n=5):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(m, n)) * [1.0, 10.0, 0.1, 3.0, 100.0][:n] + [5.0, -3.0, 0.0, 1.0, 50.0][:n]
    y = np.where(X[:, 0] - 5.0 + (X[:, 1] + 3.0) / 10.0 > 0, "hi", "lo")
    return X, y


PRE = {
    "standard": lambda: [StandardScaler()],
    "standard-nomean": lambda: [StandardScaler(with_mean=False)],
    "robust": lambda: [RobustScaler()],
    "minmax-clip": lambda: [MinMaxScaler(feature_range=(-1, 1), clip=True)],
    "maxabs": lambda: [MaxAbsScaler()],
    "identity+standard": lambda: [FunctionTransformer(), StandardScaler()],
    "standard+binarizer": lambda: [StandardScaler(), Binarizer(threshold=0.1)],
}


@pytest.mark.parametrize("fmt", ["onnx", "c"])
@pytest.mark.parametrize("pre", sorted(PRE))
def test_a_pipeline_exports_and_predicts_what_it_predicts(pre, fmt, tmp_path):
    X, y = _data()
    clf = ht.HardThresholdClassifier(hidden=(3,), strategy="hill", time_limit=5, random_state=0)
    pipe = make_pipeline(*PRE[pre](), clf).fit(X, y)
    path = tmp_path / f"p.{fmt}"
    ht.export(pipe, path)
    check = ht.verify_export(pipe, path, n_random=300)
    assert check.ok, (str(check), check.first_mismatch)
    # independent of verify_export: fresh rows, the file's labels against pipe.predict
    fresh = np.vstack([_data(seed=7, m=500)[0], X])
    run = open_export(path)
    labels = np.asarray(["hi", "lo"])[run.index(fresh)]  # classes_ are sorted
    assert np.array_equal(labels, pipe.predict(fresh))


def test_a_binarizer_last_lets_the_network_run_on_bits(tmp_path):
    X, y = _data(1)
    clf = ht.HardThresholdClassifier(hidden=(2,), strategy="hill", time_limit=5, random_state=0)
    pipe = make_pipeline(StandardScaler(), Binarizer(), clf).fit(X, y)
    # dyadic weights: on 0/1 inputs the first layer sums integers
    net = pipe[-1].network_
    net.weights[0][:] = np.round(net.weights[0] * 4) / 4
    ht.export(pipe, tmp_path / "b.c")
    src = (tmp_path / "b.c").read_text()
    assert "b_preprocess(x, xp)" in src and "layer 0: float" not in src
    check = ht.verify_export(pipe, tmp_path / "b.c")
    assert check.ok and check.exhaustive


def test_unsupported_steps_and_json_are_refused_with_the_fix(tmp_path):
    X, y = _data()
    clf = ht.HardThresholdClassifier(hidden=(2,), strategy="hill", time_limit=5)
    pipe = make_pipeline(FunctionTransformer(np.log1p), clf).fit(np.abs(X), y)
    with pytest.raises(ht.HardTargetError, match="func=.*log1p.*supported: StandardScaler"):
        ht.export(pipe, tmp_path / "p.onnx")
    pipe = make_pipeline(StandardScaler(), clf).fit(X, y)
    with pytest.raises(ht.HardTargetError, match="holds a network only.*c or onnx"):
        ht.export(pipe, tmp_path / "p.json")
    with pytest.raises(ht.HardTargetError, match="not fitted"):
        ht.export(make_pipeline(StandardScaler(), clf.__class__()), tmp_path / "p.onnx")


@pytest.mark.parametrize("module", ["hardtarget.export._pipeline", "hardtarget.export.c"])
def test_docstring_examples_run(module):
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(module))
    assert result.attempted > 0 and result.failed == 0
