"""separable_dichotomies against known counts, Cover's theorem and a brute-force LP."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy.optimize import linprog

import hardtarget as ht
from hardtarget.errors import StopRequested
from hardtarget.search.dichotomies import cover_count


def cube(n: int) -> np.ndarray:
    return np.array(list(itertools.product((-1, 1), repeat=n)), dtype=float)


def lp_separable(X: np.ndarray, t: np.ndarray) -> bool:
    """Independent truth: is there (w, b) with t_i (x_i.w + b) >= 1 for all i?"""
    A = np.column_stack([X, np.ones(len(X))])
    res = linprog(np.zeros(A.shape[1]), A_ub=-(t[:, None] * A), b_ub=-np.ones(len(X)),
                  bounds=[(None, None)] * A.shape[1], method="highs")
    return res.status == 0


def brute_force(X: np.ndarray) -> set:
    return {lab for lab in itertools.product((-1, 1), repeat=len(X)) if lp_separable(X, np.array(lab))}


@pytest.mark.parametrize("n, count", [(1, 4), (2, 14), (3, 104), (4, 1882)])
def test_threshold_functions_of_n_inputs(n, count):
    # the number of threshold functions of n Boolean inputs (OEIS A000609)
    assert ht.separable_dichotomies(cube(n), count_only=True) == count


@pytest.mark.slow
def test_threshold_functions_of_five_inputs():
    labels = ht.separable_dichotomies(cube(5))
    assert labels.shape == (94572, 32)
    assert len(np.unique(labels, axis=0)) == 94572


@pytest.mark.parametrize("m, d, seed", [(10, 2, 0), (20, 3, 1), (25, 4, 2), (9, 8, 3), (6, 1, 4)])
def test_cover_count_for_points_in_general_position(m, d, seed):
    X = np.random.default_rng(seed).normal(size=(m, d))
    expected = 2 * sum(math.comb(m - 1, k) for k in range(d + 1))  # Cover (1965), affine case
    assert ht.separable_dichotomies(X, count_only=True) == expected == cover_count(m, d)


@pytest.mark.parametrize("case", ["grid", "collinear", "duplicates", "random"])
def test_every_labeling_matches_a_brute_force_lp(case):
    rng = np.random.default_rng(7)
    X = {
        "grid": np.array(list(itertools.product(range(3), repeat=2)), dtype=float)[:8],
        "collinear": np.array([[0, 0], [1, 1], [2, 2], [3, 3], [0, 1], [1, 2], [4, 0], [2, 1]], dtype=float),
        "duplicates": np.array([[0, 0], [1, 0], [0, 1], [1, 0], [1, 1], [0, 0], [2, 3]], dtype=float),
        "random": rng.integers(-2, 3, size=(9, 3)).astype(float),
    }[case]
    labels = ht.separable_dichotomies(X)
    got = set(map(tuple, labels.tolist()))
    assert len(got) == len(labels)
    assert got == brute_force(X)


def test_weights_realize_each_labeling_with_sign_zero_negative():
    X = cube(3)
    labels, W = ht.separable_dichotomies(X, return_weights=True)
    z = X @ W[:, :-1].T + W[:, -1]
    assert np.array_equal(np.where(z > 0, 1, -1).T, labels)
    assert set(map(tuple, labels.tolist())) == set(map(tuple, (-labels).tolist()))


def test_stop_limit_and_bad_input():
    with pytest.raises(StopRequested):
        ht.separable_dichotomies(cube(4), stop=lambda: True)
    with pytest.raises(ht.HardTargetError, match="more than 100"):
        ht.separable_dichotomies(cube(4), limit=100)
    with pytest.raises(ht.HardTargetError, match="NaN"):
        ht.separable_dichotomies(np.array([[0.0, np.nan]]))
    assert ht.separable_dichotomies(np.array([[0.5]]), count_only=True) == 2
