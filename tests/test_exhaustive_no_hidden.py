"""``hidden=()`` under exhaustive search: one exact unit solve, not a labeling count."""

from __future__ import annotations

import numpy as np

import hardtarget as ht
from hardtarget.problem import make_problem


def test_a_separable_problem_is_solved_by_one_unit_whatever_its_size():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 20))
    y = np.where(X @ rng.normal(size=20) > 0, 1, -1)  # separable by construction
    clf = ht.HardThresholdClassifier(hidden=(), strategy="exhaustive", time_limit=None)
    clf.fit(X, y)  # refused before: "may visit up to 1.51e+31 states"
    assert clf.results_[0].status == "optimal"
    assert np.array_equal(clf.predict(X), y)  # the truth: the labels themselves


def test_a_non_separable_problem_is_proved_infeasible_and_still_returns_a_network():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 20))
    y = np.where(X @ rng.normal(size=20) > 0, 1, -1)
    y[:2] = -y[:2]
    X[1] = X[0]  # two equal inputs with opposite labels: no unit can fit both
    y[1] = -y[0]
    r = ht.solve(make_problem(X, y), hidden=(), strategy="exhaustive")
    assert r.status == "infeasible" and "least error count was not computed" in r.message
    assert r.network is not None and r.loss >= 1


def test_small_non_separable_problems_get_their_least_error_count():
    X = np.array([[-1, -1], [-1, 1], [1, -1], [1, 1]] * 3, dtype=float)
    y = np.array([-1, 1, 1, -1] * 3)  # XOR: a unit gets at most 3 of 4 corners right
    r = ht.solve(make_problem(X, y), hidden=(), strategy="exhaustive")
    assert r.status == "infeasible" and r.loss == 3  # one corner (3 copies) wrong
