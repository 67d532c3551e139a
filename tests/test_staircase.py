"""The staircase first pass: labels that are a function of sum(x) (symmetric Boolean
functions such as parity) with at most `width` changes are fitted by one hidden layer of
units sum(x) > theta at the changes; checked by the network's own predictions and by
verify (every unit re-solved exactly)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import hardtarget as ht
from hardtarget import solve


@pytest.mark.parametrize("strategy", ["sat-lp", "exhaustive", "sat"])
@pytest.mark.parametrize("n", [4, 5])
def test_parity_n_with_n_units_is_found_by_the_staircase(strategy, n):
    p = ht.load_problem(f"parity:{n}")
    opts = {"max_size": 1e60} if strategy == "exhaustive" else {}
    r = solve(p, (n,), strategy, seed=0, **opts)
    assert (r.status, r.loss) == ("optimal", 0)
    assert r.info["found_by"] == "staircase first pass"
    assert np.array_equal(r.network.predict(p.X), p.t)
    assert ht.verify_targets(p, r.targets).feasible


def test_a_symmetric_function_in_0_1_inputs_and_wider_layers():
    # "exactly two or four of five inputs on": labels change 4 times along the sum
    cube = np.array(list(itertools.product((0.0, 1.0), repeat=5)))
    y = np.isin(cube.sum(axis=1), (2, 4)).astype(int)
    p = ht.make_problem(cube, y)
    r = solve(p, (6,), "sat-lp", seed=0)
    assert r.info["found_by"] == "staircase first pass" and r.loss == 0
    assert np.array_equal(r.network.predict(p.X), p.t)


def test_not_used_when_the_labels_are_not_a_function_of_the_sum():
    cube = np.array(list(itertools.product((-1.0, 1.0), repeat=3)))
    y = (cube[:, 0] > 0).astype(int)  # a dictator: the sum does not decide it
    p = ht.make_problem(cube, y)
    r = solve(p, (1,), "sat-lp", seed=0)
    assert r.loss == 0 and r.info.get("found_by") != "staircase first pass"


def test_not_used_with_too_few_units_and_the_proof_stands():
    # parity-4 changes 4 times along the sum; with 3 units the minimum is one error
    p = ht.load_problem("parity:4")
    r = solve(p, (3,), "sat-lp", seed=0)
    assert (r.status, r.loss) == ("infeasible", 1) and "found_by" not in r.info
