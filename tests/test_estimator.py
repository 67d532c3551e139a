"""HardThresholdClassifier: scikit-learn's common checks, labels, multi-class, exports."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

import hardtarget as ht
from hardtarget import HardThresholdClassifier

# a fixed state budget (no time limit) keeps every fit fast and reproducible; one network
# of a fixed width (the defaults' width ladder and one-vs-one members cost minutes here)
FAST = dict(
    hidden=(4,),
    strategy="beam",
    multiclass="shared",
    time_limit=None,
    max_states=20,
    random_state=0,
)


# weights are not repetitions: the units weigh a sample's errors, a repeated row is one more
# LP constraint and one more step of the local search, so the nets differ (see the guide)
WEIGHTS_ARE_NOT_REPEATS = {
    "check_sample_weight_equivalence_on_dense_data": "sample weights are not repetitions"
}


@parametrize_with_checks(
    [HardThresholdClassifier(**FAST)], expected_failed_checks=lambda e: WEIGHTS_ARE_NOT_REPEATS
)
def test_sklearn_common_checks(estimator, check):
    check(estimator)


XOR_X = np.array([[-1.0, -1.0], [-1.0, 1.0], [1.0, -1.0], [1.0, 1.0]])
XOR_Y = np.array(["same", "differ", "differ", "same"])


def test_xor_with_string_labels_is_learned_exactly():
    clf = HardThresholdClassifier(hidden=(2,), strategy="exhaustive", time_limit=None).fit(
        XOR_X, XOR_Y
    )
    assert clf.classes_.tolist() == ["differ", "same"]
    assert clf.predict(XOR_X).tolist() == XOR_Y.tolist()  # the truth table
    z = clf.decision_function(XOR_X)
    assert z.shape == (4,) and np.array_equal(clf.classes_[(z > 0).astype(int)], XOR_Y)
    assert clf.network_.classes.tolist() == ["differ", "same"] and clf.results_[0].success


def test_three_classes_by_one_output_unit_per_class():
    X = np.array([[0.0], [1.0], [2.0], [3.0], [4.0], [5.0]])
    y = np.array([10, 10, 20, 20, 30, 30])
    clf = HardThresholdClassifier(
        hidden=(2,),
        strategy="beam",
        multiclass="shared",
        time_limit=None,
        max_states=400,
        random_state=0,
    ).fit(X, y)
    assert clf.network_.widths == (2, 3) and len(clf.results_) == 1
    assert clf.decision_function(X).shape == (6, 3)
    assert clf.predict(X).tolist() == y.tolist()


def test_single_output_strategies_get_one_network_per_class_stacked():
    # class "mid" is an interval: no single perceptron separates it, two hidden units do
    X = np.array([[0.0], [1.0], [2.0], [3.0], [4.0], [5.0]])
    y = np.array(["lo", "lo", "mid", "mid", "hi", "hi"])
    clf = HardThresholdClassifier(
        hidden=(2,), strategy="exhaustive", multiclass="ovr", time_limit=None
    ).fit(X, y)
    assert len(clf.results_) == 3 and all(r.status == "optimal" for r in clf.results_)
    assert clf.network_.widths == (6, 3)
    assert clf.predict(X).tolist() == y.tolist()
    # the stacked network's output c separates class c from the rest on every sample
    Z = clf.decision_function(X)
    for c, label in enumerate(clf.classes_):
        assert np.array_equal(Z[:, c] > 0, y == label)


def test_pipeline_and_grid_search_find_the_width_xor_needs():
    X = np.tile(XOR_X, (5, 1)) * 3.0 + 7.0  # every fold of 2-fold CV sees all four corners
    y = np.tile(XOR_Y, 5)
    pipe = make_pipeline(
        StandardScaler(), HardThresholdClassifier(strategy="exhaustive", time_limit=None)
    )
    grid = GridSearchCV(pipe, {"hardthresholdclassifier__hidden": [(1,), (2,)]}, cv=2).fit(X, y)
    # one hidden unit computes a threshold function, which XOR is not; two suffice
    assert grid.best_params_ == {"hardthresholdclassifier__hidden": (2,)}
    assert grid.best_score_ == 1.0
    assert grid.cv_results_["mean_test_score"][0] < 1.0


def test_pickle_keeps_predictions():
    clf = HardThresholdClassifier(hidden=(2,), strategy="exhaustive", time_limit=None).fit(
        XOR_X, XOR_Y
    )
    back = pickle.loads(pickle.dumps(clf))
    assert np.array_equal(back.decision_function(XOR_X), clf.decision_function(XOR_X))
    assert back.get_params() == clf.get_params()


def test_bad_input_is_refused_clearly():
    with pytest.raises(ht.HardTargetError, match="1 class"):
        HardThresholdClassifier(**FAST).fit(XOR_X, ["a"] * 4)
    with pytest.raises(ht.HardTargetError, match="NaN"):
        HardThresholdClassifier(**FAST).fit([[np.nan, 1.0], [0.0, 1.0]], [0, 1])
    with pytest.raises(ht.HardTargetError, match="Unknown label type.*discrete labels"):
        HardThresholdClassifier(**FAST).fit(XOR_X, [0.5, 1.5, 2.25, 3.0])
    with pytest.raises(ht.HardTargetError, match="valid: .*beam"):
        HardThresholdClassifier(strategy="annealing").fit(XOR_X, XOR_Y)
    clf = HardThresholdClassifier(**FAST).fit(XOR_X, XOR_Y)
    with pytest.raises(ht.HardTargetError, match="3 features"):
        clf.predict(np.ones((2, 3)))


def test_a_search_without_any_network_is_an_error_not_a_crash(monkeypatch):
    import hardtarget.search as search

    real = search.solve

    def stopped_at_once(*args, **kwargs):
        r = real(*args, **kwargs)
        r.network, r.message = None, "time limit of 1e-09 s reached"
        return r

    monkeypatch.setattr(search, "solve", stopped_at_once)
    with pytest.raises(ht.HardTargetError, match="before evaluating any network.*raise time_limit"):
        HardThresholdClassifier(**FAST).fit(XOR_X, XOR_Y)


@pytest.mark.parametrize("fmt", ["json", "onnx", "c"])
def test_a_fitted_estimator_exports_with_its_labels(fmt, tmp_path):
    clf = HardThresholdClassifier(hidden=(2,), strategy="exhaustive", time_limit=None).fit(
        XOR_X, XOR_Y
    )
    path = tmp_path / f"xor.{fmt}"
    ht.export(clf, path, inputs="sign")
    assert ht.verify_export(clf, path, inputs="sign").ok
    if fmt == "onnx":
        import onnxruntime as ort

        labels = ort.InferenceSession(str(path)).run(["label"], {"X": XOR_X})[0]
        assert labels.tolist() == clf.predict(XOR_X).tolist()
