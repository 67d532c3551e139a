"""The cube's dichotomies counted by symmetry (search/cube_count.py), against the known
counts, a brute-force LP and the plain deletion-restriction recursion."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy.optimize import linprog

from hardtarget.search import cube_count as cc
from hardtarget.search.dichotomies import _count, separable_dichotomies

KNOWN = {1: 4, 2: 14, 3: 104, 4: 1882, 5: 94_572, 6: 15_028_134}  # OEIS A000609


def _none(_):
    return None


def _feasible(A: np.ndarray) -> bool:
    """Independent truth: is there w with A w >= 1 (i.e. A w > 0, by scaling)?"""
    res = linprog(
        np.zeros(A.shape[1]),
        A_ub=-A.astype(float),
        b_ub=-np.ones(len(A)),
        bounds=[(None, None)] * A.shape[1],
        method="highs",
    )
    return res.status == 0


def _brute_cone_count(V: np.ndarray, req: np.ndarray) -> int:
    """Sign vectors of V (no zeros) that some w realizes with + on the required rows."""
    free = np.flatnonzero(~req)
    count = 0
    for signs in itertools.product((-1, 1), repeat=len(free)):
        s = np.ones(len(V), dtype=np.int64)
        s[free] = signs
        count += _feasible(s[:, None] * V)
    return count


@pytest.mark.parametrize("n", [1, 2, 3, 4])
def test_known_counts_of_threshold_functions(n):
    assert cc.cube_count(n, _none) == KNOWN[n]


@pytest.mark.slow  # a few seconds
def test_known_count_of_the_5_cube():
    # through the public entry (it finds the cube and counts by its symmetry)
    cube = np.array(list(itertools.product((-1, 1), repeat=5)), dtype=float)
    assert separable_dichotomies(cube, count_only=True) == KNOWN[5]


# the 6-cube's 15,028,134 (13 s quiet) is checked by benchmarks/bench_cube_count.py --max-n 6;
# test_output_split checks the same number through the output classes of 6 bits (2 s)


def test_counts_agree_with_the_plain_recursion_and_a_brute_force_lp():
    for n in (2, 3, 4):
        cube = np.array(list(itertools.product((-1, 1), repeat=n)), dtype=float)
        A = np.column_stack([cube, np.ones(len(cube))])
        assert cc.cube_count(n, _none) == _count(A, _none, True)
        if n == 2:
            assert cc.cube_count(n, _none) == _brute_cone_count(A, np.zeros(len(A), bool))


@pytest.mark.parametrize(
    "values", [[(0, 1)] * 3, [(2, 5), (-1, 3), (0, 7)], [(-1, 1), (0, 1), (1, 4), (3, -2)]]
)
def test_any_box_counts_like_the_cube(values):
    # a separate affine map per coordinate keeps the separable dichotomies
    X = np.array(list(itertools.product(*values)), dtype=float)
    X = np.vstack([X, X[:3]])  # repeated rows do not count twice
    assert cc.is_cube(np.unique(X, axis=0))
    assert separable_dichotomies(X, count_only=True) == KNOWN[len(values)]
    assert separable_dichotomies(X, count_only=True) == len(separable_dichotomies(X))


def test_not_a_cube():
    cube = np.array(list(itertools.product((-1, 1), repeat=3)))
    assert not cc.is_cube(cube[:-1])
    assert not cc.is_cube(np.vstack([cube[:-1], [[0, 0, 0]]]))
    assert separable_dichotomies(cube[:-1], count_only=True) == len(
        separable_dichotomies(cube[:-1])
    )


@pytest.mark.parametrize("seed", range(12))
def test_open_cone_matches_an_lp(seed):
    rng = np.random.default_rng(seed)
    k, r = int(rng.integers(1, 7)), int(rng.integers(1, 5))
    Q = rng.integers(-2, 3, (k, r)).astype(np.int64)
    assert cc._open(Q) == _feasible(Q)


@pytest.mark.parametrize("seed", range(10))
def test_cone_count_matches_a_brute_force_lp(seed):
    # degenerate integer rows (parallel, repeated, opposite, zero-free) with some required
    rng = np.random.default_rng(100 + seed)
    k, r = int(rng.integers(3, 8)), int(rng.integers(2, 5))
    V = rng.integers(-2, 3, (k, r)).astype(np.int64)
    V = V[V.any(axis=1)]
    if seed % 3 == 0:
        V = np.vstack([V, 2 * V[:1], -V[1:2]])  # a parallel and an opposite row
    req = rng.random(len(V)) < 0.4
    assert cc._cone_count(V, req, _none) == _brute_cone_count(V, req)


def test_rank_is_exact():
    V = np.array([[1, 2, 3], [2, 4, 6], [1, 0, 1]])
    assert cc._rank(V) == 2 == np.linalg.matrix_rank(V)
    big = np.array([[10**8, 1], [10**8 + 1, 1]])  # det = -1: full rank
    assert cc._rank(big) == 2
