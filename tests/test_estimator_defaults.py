"""The estimator's defaults (auto width, strategy, multiclass, scaling) and sample_weight."""

from __future__ import annotations

import numpy as np
import pytest

import hardtarget as ht
from hardtarget.estimator import SCALE_RATIO, needs_scaling
from hardtarget.search.auto import AUTO_LOCAL, AUTO_WIDTHS, EXACT_SIZE, auto_strategy
from hardtarget.search.exhaustive import Exhaustive

XOR_X = np.array([[-1.0, -1.0], [-1.0, 1.0], [1.0, -1.0], [1.0, 1.0]])
XOR_Y = np.array([0, 1, 1, 0])


def _plain_forward(net: ht.Network, X: np.ndarray) -> np.ndarray:
    """Output pre-activations by plain Python sums (sign/step units), no numba, no BLAS."""
    H = [list(map(float, row)) for row in X]
    for d, W in enumerate(net.weights):
        Z = [
            [sum(h[f] * W[f, j] for f in range(len(h))) + W[-1, j] for j in range(W.shape[1])]
            for h in H
        ]
        if d == len(net.weights) - 1:
            return np.array(Z)
        hi, lo = 1.0, (0.0 if net.activations[d].kind == "step" else -1.0)
        H = [[hi if z > 0 else lo for z in row] for row in Z]
    raise AssertionError("unreachable")


def test_the_documented_defaults():
    clf = ht.HardThresholdClassifier()
    p = clf.get_params()
    assert (p["hidden"], p["strategy"], p["multiclass"], p["scale"]) == ("auto",) * 4
    assert p["objective"] is None and p["time_limit"] == 30.0
    assert AUTO_WIDTHS[0] == 0 and 1 not in AUTO_WIDTHS  # width 1 fits iff width 0 does
    assert list(AUTO_WIDTHS) == sorted(AUTO_WIDTHS)


def test_auto_strategy_follows_the_exhaustive_state_bound():
    xor = ht.load_problem("xor")
    assert auto_strategy(xor, ()) == ("hill", {})
    assert auto_strategy(xor, (2,)) == ("exhaustive", {})
    rng = np.random.default_rng(0)
    big = ht.make_problem(rng.standard_normal((200, 10)), rng.integers(0, 2, 200))
    assert Exhaustive().estimate(200, 10, (2,)) > EXACT_SIZE
    assert auto_strategy(big, (2,)) == (AUTO_LOCAL[0], AUTO_LOCAL[1])
    assert AUTO_LOCAL == ("ftprop", {"init": "ftprop-mb", "polish": True})
    # with sample weights only a local strategy takes them
    assert auto_strategy(xor, (2,), weighted=True)[0] == "ftprop"


def test_solve_auto_stops_at_the_first_width_that_fits():
    r = ht.solve(ht.load_problem("xor"), hidden="auto", strategy="auto")
    assert r.success and r.hidden == (2,)
    assert [(h, s) for h, s, _ in r.info["auto"]] == [([], "hill"), ([2], "exhaustive")]
    assert ht.verify_targets(ht.load_problem("xor"), r.targets).feasible


def test_scale_auto_rule():
    assert needs_scaling(np.array([[0.0, 0.0], [1.0, SCALE_RATIO * 1.01]]))
    assert not needs_scaling(np.array([[0.0, 0.0], [1.0, SCALE_RATIO]]))
    assert not needs_scaling(np.array([[0.0, 5.0], [1.0, 5.0]]))  # constant features ignored


@pytest.mark.parametrize("multiplier", [1.0, 1000.0])
def test_defaults_give_an_exact_net_that_reverifies(multiplier):
    # XOR with one feature on another scale: the default fit standardizes (or not) and folds back
    X = np.vstack([XOR_X, XOR_X * 0.9]) * np.array([1.0, multiplier])
    y = np.r_[XOR_Y, XOR_Y]
    clf = ht.HardThresholdClassifier(time_limit=None, random_state=0).fit(X, y)
    assert clf.multiclass_ == "binary" and clf.scaled_ == (multiplier > SCALE_RATIO)
    assert clf.exact_ and clf.results_[0].success
    # independent forward pass of the final network: every training sample right
    z = _plain_forward(clf.network_, X)[:, 0]
    assert np.array_equal(np.where(z > 0, 1, 0), y)
    # the hidden targets the final network produces are feasible (the one verifier)
    problem = ht.make_problem(X, y)
    T = clf.network_.forward(X)[:-1]
    assert ht.verify_targets(problem, [np.where(t > 0, 1, -1) for t in T]).feasible


def test_more_than_two_classes_default_to_one_vs_one():
    X = np.array([[0.0], [1.0], [4.0], [5.0], [8.0], [9.0]])
    y = np.array([0, 0, 1, 1, 2, 2])
    clf = ht.HardThresholdClassifier(time_limit=None, random_state=0).fit(X, y)
    assert clf.multiclass_ == "ovo" and clf.members_ == [(0, 1), (0, 2), (1, 2)]
    assert clf.network_.widths == (3, 3) and clf.exact_
    assert clf.decision_function(X).shape == (6, 3)


def test_bad_configuration_is_refused():
    with pytest.raises(ht.HardTargetError, match="unknown multiclass 'all'"):
        ht.HardThresholdClassifier(multiclass="all").fit(XOR_X, XOR_Y)
    with pytest.raises(ht.HardTargetError, match="scale must be"):
        ht.HardThresholdClassifier(scale="minmax").fit(XOR_X, XOR_Y)
    with pytest.raises(ht.HardTargetError, match="multiclass='shared' needs"):
        ht.HardThresholdClassifier(strategy="exhaustive", multiclass="shared").fit(
            np.arange(6.0).reshape(-1, 1), [0, 0, 1, 1, 2, 2]
        )


# sample 4 is an outlier of a threshold on the line
LINE_X = np.arange(8.0).reshape(-1, 1)
LINE_Y = np.array([0, 0, 0, 1, 0, 1, 1, 1])
ONE_UNIT = dict(hidden=(), strategy="hill", time_limit=None, random_state=0)


def _best_weighted_threshold_error(x, y, w) -> float:
    """Brute force: the least weighted error of any threshold unit on the line."""
    cuts = np.r_[x.min() - 1, (x[1:] + x[:-1]) / 2, x.max() + 1]
    best = np.inf
    for c in cuts:
        for s in (1, -1):
            pred = (s * (x - c) > 0).astype(int)
            best = min(best, float(np.sum(w[pred != y])))
    return best


def test_a_heavy_sample_gets_fitted_where_it_otherwise_would_not():
    plain = ht.HardThresholdClassifier(**ONE_UNIT).fit(LINE_X, LINE_Y)
    assert plain.predict(LINE_X)[4] != LINE_Y[4]
    w = np.ones(8)
    w[4] = 10.0
    heavy = ht.HardThresholdClassifier(**ONE_UNIT).fit(LINE_X, LINE_Y, sample_weight=w)
    pred = heavy.predict(LINE_X)
    assert pred[4] == LINE_Y[4]
    assert np.sum(w[pred != LINE_Y]) == _best_weighted_threshold_error(LINE_X[:, 0], LINE_Y, w)


def test_weights_of_ones_equal_no_weights_and_zero_weights_drop_samples():
    a = ht.HardThresholdClassifier(**ONE_UNIT).fit(LINE_X, LINE_Y)
    b = ht.HardThresholdClassifier(**ONE_UNIT).fit(LINE_X, LINE_Y, sample_weight=np.ones(8))
    assert all(np.array_equal(u, v) for u, v in zip(a.network_.weights, b.network_.weights))
    w = np.ones(8)
    w[4] = 0.0  # without the outlier one threshold fits the rest
    c = ht.HardThresholdClassifier(**ONE_UNIT).fit(LINE_X, LINE_Y, sample_weight=w)
    keep = w > 0
    assert c.exact_ and np.array_equal(c.predict(LINE_X)[keep], LINE_Y[keep])


def test_bad_weights_and_exact_strategies_with_weights_are_refused():
    clf = ht.HardThresholdClassifier(**ONE_UNIT)
    with pytest.raises(ht.HardTargetError, match=">= 0"):
        clf.fit(LINE_X, LINE_Y, sample_weight=-np.ones(8))
    with pytest.raises(ht.HardTargetError, match="shape"):
        clf.fit(LINE_X, LINE_Y, sample_weight=np.ones(3))
    w = np.arange(1.0, 9.0)
    with pytest.raises(ht.HardTargetError, match="takes no sample_weight"):
        ht.HardThresholdClassifier(hidden=(2,), strategy="exhaustive").fit(
            LINE_X, LINE_Y, sample_weight=w
        )
