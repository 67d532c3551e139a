"""``separable_dichotomies(count_only=True)`` counts without the list and never truncates."""

import itertools

import numpy as np
import pytest

import hardtarget as ht
from hardtarget.budget import Budget
from hardtarget.errors import StopRequested
from hardtarget.search import dichotomies
from hardtarget.search.dichotomies import cover_count, separable_dichotomies


def _cube(n):
    return np.array(list(itertools.product((-1, 1), repeat=n)), dtype=float)


@pytest.mark.parametrize("n, known", [(2, 14), (3, 104), (4, 1882)])
def test_count_matches_the_list_and_the_known_counts(n, known):
    # threshold functions of n inputs: 14, 104, 1882 (OEIS A000609)
    assert separable_dichotomies(_cube(n), count_only=True) == known
    assert len(separable_dichotomies(_cube(n))) == known


@pytest.mark.parametrize("m, d, seed", [(12, 2, 0), (20, 3, 1), (25, 4, 2), (14, 6, 3)])
def test_count_in_general_position_is_covers(m, d, seed):
    X = np.random.default_rng(seed).standard_normal((m, d))
    assert separable_dichotomies(X, count_only=True) == cover_count(m, d)


@pytest.mark.parametrize("d, low, high, m", [(3, -2, 3, 40), (4, -1, 2, 30), (2, -3, 4, 30)])
def test_count_of_degenerate_integer_points_matches_the_list(d, low, high, m):
    # many points on common lines and planes: the closed form for three dimensions
    # and the merging of parallel hyperplanes are both exercised; the list certifies
    # each labeling by its own weights
    X = np.random.default_rng(d).integers(low, high, (m, d)).astype(float)
    assert separable_dichotomies(X, count_only=True) == len(separable_dichotomies(X))


def test_count_ignores_repeated_rows():
    X = np.vstack([_cube(3), _cube(3)[:4]])
    assert separable_dichotomies(X, count_only=True) == 104


def test_a_limit_that_is_hit_raises_never_truncates(monkeypatch):
    with pytest.raises(ht.HardTargetError, match="more than 1000"):
        separable_dichotomies(_cube(4), count_only=True, limit=1000)
    with pytest.raises(ht.HardTargetError, match="more than 1000"):
        separable_dichotomies(_cube(4), limit=1000)
    monkeypatch.setattr(dichotomies, "LIST_LIMIT", 1000)
    with pytest.raises(ht.HardTargetError, match="raise limit"):
        separable_dichotomies(_cube(4))  # the list's default limit says so
    assert separable_dichotomies(_cube(4), count_only=True) == 1882  # no default limit


def test_count_can_be_stopped():
    cancelled = Budget()
    cancelled.cancel()
    with pytest.raises(StopRequested):
        separable_dichotomies(_cube(5), count_only=True, budget=cancelled)
