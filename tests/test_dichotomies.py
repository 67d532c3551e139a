"""separable_dichotomies against known counts, Cover's theorem and a brute-force LP."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

import hardtarget as ht
from hardtarget.budget import Budget
from hardtarget.errors import StopRequested
from hardtarget.search.dichotomies import cover_count


def cube(n: int) -> np.ndarray:
    return np.array(list(itertools.product((-1, 1), repeat=n)), dtype=float)


def lp_separable(X: np.ndarray, t: np.ndarray) -> bool:
    """Independent truth: is there (w, b) with t_i (x_i.w + b) >= 1 for all i?"""
    A = np.column_stack([X, np.ones(len(X))])
    res = linprog(
        np.zeros(A.shape[1]),
        A_ub=-(t[:, None] * A),
        b_ub=-np.ones(len(X)),
        bounds=[(None, None)] * A.shape[1],
        method="highs",
    )
    return res.status == 0


def brute_force(X: np.ndarray) -> set:
    labs = itertools.product((-1, 1), repeat=len(X))
    return {lab for lab in labs if lp_separable(X, np.array(lab))}


@pytest.mark.parametrize("n, count", [(1, 4), (2, 14), (3, 104), (4, 1882)])
def test_threshold_functions_of_n_inputs(n, count):
    # the number of threshold functions of n Boolean inputs (OEIS A000609)
    assert ht.separable_dichotomies(cube(n), count_only=True) == count


@pytest.mark.slow
def test_threshold_functions_of_five_inputs():
    labels = ht.separable_dichotomies(cube(5))
    assert labels.shape == (94572, 32)
    assert len(np.unique(labels, axis=0)) == 94572
    # one threshold function cuts at most C(5, 2) * 3 = 30 edges of the 5-cube (the middle
    # layer's cut; the exhaustive search's cover bound, see tests/test_face_bounds.py)
    X = cube(5)
    a, b = np.nonzero(np.triu(np.abs(X[:, None, :] - X[None, :, :]).sum(axis=2) == 2))
    assert len(a) == 80 and (labels[:, a] != labels[:, b]).sum(axis=1).max() == 30


@pytest.mark.parametrize(
    "m, d, seed",
    [(10, 2, 0), (20, 3, 1), (25, 4, 2), (9, 8, 3), (6, 1, 4), (100, 2, 5), (12, 16, 6)],
)
def test_cover_count_for_points_in_general_position(m, d, seed):
    X = np.random.default_rng(seed).normal(size=(m, d))
    expected = 2 * sum(math.comb(m - 1, k) for k in range(d + 1))  # Cover (1965), affine case
    assert ht.separable_dichotomies(X, count_only=True) == expected == cover_count(m, d)


@pytest.mark.parametrize("case", ["grid", "collinear", "duplicates", "random"])
def test_every_labeling_matches_a_brute_force_lp(case):
    rng = np.random.default_rng(7)
    X = {
        "grid": np.array(list(itertools.product(range(3), repeat=2)), dtype=float)[:8],
        "collinear": np.array(
            [[0, 0], [1, 1], [2, 2], [3, 3], [0, 1], [1, 2], [4, 0], [2, 1]], dtype=float
        ),
        "duplicates": np.array(
            [[0, 0], [1, 0], [0, 1], [1, 0], [1, 1], [0, 0], [2, 3]], dtype=float
        ),
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
    cancelled = Budget()
    cancelled.cancel()
    with pytest.raises(StopRequested):
        ht.separable_dichotomies(cube(4), budget=cancelled)
    with pytest.warns(DeprecationWarning), pytest.raises(StopRequested):
        ht.separable_dichotomies(cube(4), stop=lambda: True)
    with pytest.raises(ht.HardTargetError, match="more than 100"):
        ht.separable_dichotomies(cube(4), limit=100)
    with pytest.raises(ht.HardTargetError, match="NaN"):
        ht.separable_dichotomies(np.array([[0.0, np.nan]]))
    assert ht.separable_dichotomies(np.array([[0.5]]), count_only=True) == 2


def brute_min_errors(X: np.ndarray, t: np.ndarray, width: int) -> int:
    """Least training errors of an n-width-1 sign network, by brute force over LP truths:
    every hidden unit is a separable labeling of X, the output a separable labeling of
    the corners of {-1,1}^width (a labeling of a subset of corners is separable iff it
    extends to all of them)."""
    hidden = [np.array(h) for h in brute_force(X)]
    corners = list(map(tuple, cube(width).astype(int).tolist()))
    outputs = [dict(zip(corners, o)) for o in brute_force(cube(width))]
    best = len(t)
    for units in itertools.combinations_with_replacement(range(len(hidden)), width):
        codes = [tuple(int(hidden[u][i]) for u in units) for i in range(len(t))]
        best = min(best, min(sum(o[c] != y for c, y in zip(codes, t)) for o in outputs))
    return best


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("width", [1, 2])
def test_exhaustive_minimum_matches_brute_force(seed, width):
    rng = np.random.default_rng(seed)
    X = rng.integers(-2, 3, size=(7, 2)).astype(float)
    y = rng.integers(0, 2, size=7)
    p = ht.make_problem(X, y)
    r = ht.solve(p, (width,), "exhaustive", progress=False)
    assert r.status in ("optimal", "infeasible")
    assert r.loss == brute_min_errors(p.X, p.t, width)
    if r.loss == 0:
        assert ht.verify_targets(p, r.targets).feasible


def test_exhaustive_proves_the_minimal_width_of_parity_4():
    # parity of 4 bits: 3 hidden sign units leave at least one error, 4 fit it
    p = ht.load_problem("parity:4")
    r3 = ht.solve(p, (3,), "exhaustive", progress=False)
    assert r3.status == "infeasible" and r3.loss == 1
    r4 = ht.solve(p, (4,), "exhaustive", progress=False)
    assert r4.status == "optimal" and ht.verify_targets(p, r4.targets).feasible


def test_exhaustive_minimum_on_parity_3_width_2_matches_brute_force():
    p = ht.load_problem("parity:3")
    r = ht.solve(p, (2,), "exhaustive", progress=False)
    assert r.status == "infeasible" and r.loss == brute_min_errors(p.X, p.t, 2) > 0


def test_min_width_keeps_its_proofs_when_a_larger_width_is_refused(capsys):
    from hardtarget.cli import main

    p = ht.load_problem("parity:4")
    # width 2 may visit ~1.9e6 states: refused (without prune=False the zero-error pass
    # alone would decide every width, and the size would only limit the least error count)
    r = ht.min_width(p, max_size=5e5, prune=False)
    assert r.width is None and r.undecided == 2 and r.proofs == {0: "proof", 1: "proof"}
    assert r.message.startswith("widths 0..1 proven infeasible; width 2 not decided")
    cmd = ["min-width", "-p", "parity:4", "-o", "max_size=5e5", "-o", "prune=False", "-q"]
    assert main(cmd) == 1
    assert "widths 0..1 proven infeasible; width 2 not decided" in capsys.readouterr().out


def test_min_width_of_parity_4_by_exhaustive_search():
    r = ht.min_width(ht.load_problem("parity:4"))
    assert r.width == 4 and r.proven and r.message == "widths 0..3 proven infeasible; width 4 fits"


@pytest.mark.parametrize("width, loss", [(2, 1), (3, 0)])
def test_exhaustive_without_the_zero_error_pass_agrees(monkeypatch, width, loss):
    from hardtarget.search import exhaustive

    monkeypatch.setattr(exhaustive, "_MAX_BITS", 0)  # bitsets "too big": plain search only
    r = ht.solve(ht.load_problem("parity:3"), (width,), "exhaustive", progress=False)
    assert r.loss == loss and r.info["zero_error_pass"].startswith("skipped")


@settings(max_examples=15, deadline=None)
@given(
    st.integers(1, 3).flatmap(
        lambda d: st.lists(
            st.lists(st.integers(-2, 2), min_size=d, max_size=d), min_size=1, max_size=7
        )
    )
)
def test_property_every_labeling_matches_a_brute_force_lp(rows):
    # small integer points: repeated rows, collinear and coplanar subsets are common
    X = np.array(rows, dtype=float)
    labels = ht.separable_dichotomies(X)
    assert set(map(tuple, labels.tolist())) == brute_force(X)
    assert len(np.unique(labels, axis=0)) == len(labels)


def test_exhaustive_can_stop_once_zero_errors_is_ruled_out():
    p = ht.load_problem("parity:3")
    r = ht.solve(p, (2,), "exhaustive", minimize=False, progress=False)
    assert r.status == "infeasible" and "not computed" in r.message
    assert r.info["zero_error_pass"].startswith("no zero-error network")
    r = ht.min_width(ht.load_problem("parity:4"), minimize=False)
    assert r.width == 4 and r.proven
