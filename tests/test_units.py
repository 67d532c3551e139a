import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import hardtarget as ht
from hardtarget.units import SOLVERS, UnitCache, solve_layer

from .helpers import linprog_separable, random_inputs, separates

HEURISTICS = ["perceptron", "hinge", "saturated_hinge", "soft_hinge"]


@st.composite
def unit_problems(draw):
    m = draw(st.integers(1, 12))
    n = draw(st.integers(1, 4))
    seed = draw(st.integers(0, 2**31 - 1))
    rng = np.random.default_rng(seed)
    kind = draw(st.sampled_from(["pm1", "gauss", "int"]))
    A = random_inputs(rng, kind, m, n)
    if draw(st.booleans()):  # planted hyperplane (ties at 0 go to -1, as sign does)
        w = rng.normal(size=n + 1)
        t = np.where(A @ w[:-1] + w[-1] > 0, 1, -1)
    else:
        t = rng.choice([-1, 1], size=m)
    return A, t


@given(unit_problems())
def test_exact_solvers_agree_with_scipy_linprog(prob):
    A, t = prob
    truth = linprog_separable(A, t)
    for solver in ["lp", "auto"]:
        r = ht.solve_unit(A, t, solver=solver)
        assert r.separable is truth, solver
        if truth:
            assert separates(r.weights, A, t) and r.errors == 0 and r.margin > 0
        else:
            assert r.certificate is not None and ht.check_certificate_support(A, t, r.certificate)
            assert r.errors >= 1


@st.composite
def large_unit_problems(draw):
    """Units past ``NEWTON_FIRST``, where ``auto`` starts with finite Newton,
    some with zero weights."""
    n = draw(st.integers(4, 20))
    m = draw(st.integers(300 // (n + 1), 300))
    rng = np.random.default_rng(draw(st.integers(0, 2**31 - 1)))
    A = rng.choice([-1.0, 1.0], size=(m, n)) if draw(st.booleans()) else rng.normal(size=(m, n))
    if draw(st.booleans()):
        A = A[rng.integers(0, m, size=m)]  # duplicated rows, as hidden-layer targets have
    w = rng.normal(size=n + 1)
    t = np.where(A @ w[:-1] + w[-1] > 0, 1, -1)
    if draw(st.booleans()):
        t[
            rng.integers(0, m, size=draw(st.integers(1, 3)))
        ] *= -1  # a few flips: usually not separable
    s = (
        np.where(rng.random(m) < 0.2, 0.0, rng.uniform(0.5, 2.0, m))
        if draw(st.booleans())
        else None
    )
    return A, t, s


@settings(max_examples=40)
@given(large_unit_problems())
def test_auto_on_large_units_agrees_with_scipy_linprog(prob):
    A, t, s = prob
    keep = slice(None) if s is None else s > 0
    truth = linprog_separable(A[keep], t[keep])
    r = ht.solve_unit(A, t, sample_weight=s)
    assert r.separable is truth
    if truth:
        assert separates(r.weights, A[keep], t[keep]) and r.errors == 0
    else:
        assert len(r.certificate) == len(A) and ht.check_certificate_support(A, t, r.certificate)
        assert s is None or not r.certificate[s == 0].any()  # only samples that count
    for rb in solve_layer(A, np.stack([t, -t], 1), sample_weight=s):  # the batched path agrees
        assert rb.separable is truth


@given(unit_problems())
def test_heuristics_never_claim_wrongly(prob):
    A, t = prob
    truth = linprog_separable(A, t)
    for solver in HEURISTICS:
        r = ht.solve_unit(A, t, solver=solver)
        assert r.separable in (True, None)
        if r.separable:
            assert truth and separates(r.weights, A, t)
        # reported errors are the real errors of the returned weights
        net = ht.Network([r.weights.reshape(-1, 1)], ["sign"])
        assert r.errors == int(np.sum(net.predict(A) != t))


def test_heuristics_separate_planted_problems():
    rng = np.random.default_rng(3)
    A = rng.normal(size=(200, 6))
    t = np.where(A @ rng.normal(size=6) + 0.3 > 0, 1, -1)
    for solver in HEURISTICS + ["auto", "lp"]:
        r = ht.solve_unit(A, t, solver=solver, **({"max_epochs": 2000} if solver != "lp" else {}))
        assert r.separable is True, solver
        assert separates(r.weights, A, t)


def test_lp_weights_are_max_margin():
    # symmetric points: the maximum-margin separator is x1 = 0 with margin 1
    A = np.array([[-1.0, 0.0], [-1.0, 5.0], [1.0, 0.0], [1.0, -5.0]])
    t = np.array([-1, -1, 1, 1])
    r = ht.solve_unit(A, t, solver="lp")
    assert r.margin == pytest.approx(1.0, abs=1e-6)
    assert ht.solve_unit(A, t, solver="perceptron").margin <= r.margin + 1e-9


def test_certificate_checker_rejects_bad_certificates():
    A = np.array([[-1.0, -1.0], [-1.0, 1.0], [1.0, -1.0], [1.0, 1.0]])
    t = np.array([-1, 1, 1, -1])
    lam = ht.solve_unit(A, t, solver="lp").certificate
    assert ht.check_certificate_support(A, t, lam)
    assert not ht.check_certificate_support(A, t, np.array([1.0, 0, 0, 0]))
    assert not ht.check_certificate_support(A, t, -lam)
    assert not ht.check_certificate_support(A, -t * np.array([1, 1, 1, -1]), lam)
    assert not ht.check_certificate_support(A, t, np.zeros(4))


def test_sample_weight_zero_drops_a_constraint():
    A = np.array([[0.0], [0.0], [1.0]])
    t = np.array([1, -1, 1])
    assert ht.solve_unit(A, t).separable is False
    for solver in ["auto", "lp", "perceptron"]:
        r = ht.solve_unit(A, t, solver=solver, sample_weight=[1.0, 0.0, 1.0])
        assert r.separable is True, solver


def test_duplicate_points_with_opposite_targets_give_a_two_point_certificate():
    A = np.array([[1.0, 2.0], [3.0, 4.0], [1.0, 2.0]])
    r = ht.solve_unit(A, [1, 1, -1])
    assert r.separable is False
    assert np.count_nonzero(r.certificate) == 2 and ht.check_certificate_support(
        A, [1, 1, -1], r.certificate
    )


def test_batched_equals_single_calls():
    rng = np.random.default_rng(5)
    A = rng.choice([-1.0, 1.0], size=(32, 5))
    T = np.stack(
        [np.where(A @ rng.normal(size=5) > 0, 1, -1) for _ in range(6)]
        + [rng.choice([-1, 1], size=32) for _ in range(6)],
        axis=1,
    )
    for solver in ["perceptron", "auto", "lp"]:
        batch = solve_layer(A, T, solver=solver)
        for j, r in enumerate(batch):
            single = ht.solve_unit(A, T[:, j], solver=solver)
            assert r.separable == single.separable
            assert np.array_equal(r.weights, single.weights)


def test_cache_returns_stored_result():
    cache = UnitCache(maxsize=2)
    A = np.array([[0.0], [1.0], [2.0]])
    r1 = ht.solve_unit(A, [-1, 1, 1], cache=cache)
    r2 = ht.solve_unit(A, [-1, 1, 1], cache=cache)
    assert r1 is r2 and cache.hits == 1 and cache.misses == 1
    ht.solve_unit(A, [-1, 1, 1], solver="lp", cache=cache)  # another solver: another entry
    ht.solve_unit(A, [1, -1, -1], cache=cache)
    assert len(cache) == 2  # bounded


def _count_separable(points, cache=None) -> int:
    m = len(points)
    count = 0
    T = np.array(list(itertools.product((-1, 1), repeat=m)), dtype=np.int8).T  # m x 2^m
    for r in solve_layer(points, T, solver="auto", cache=cache):
        count += bool(r.separable)
    return count


@pytest.mark.parametrize("N, d, expected", [(10, 2, 92), (12, 3, 464)])
def test_cover_function_counting_theorem(N, d, expected):
    from math import comb

    assert expected == 2 * sum(comb(N - 1, k) for k in range(d + 1))
    points = np.random.default_rng(7).normal(size=(N, d))  # general position a.s.
    assert _count_separable(points) == expected


@pytest.mark.parametrize("n, expected", [(2, 14), (3, 104)])
def test_number_of_threshold_functions(n, expected):
    cube = np.array(list(itertools.product((-1.0, 1.0), repeat=n)))
    assert _count_separable(cube) == expected


@pytest.mark.slow
def test_number_of_threshold_functions_of_four_inputs_with_the_certificate_store():
    # all 2^16 dichotomies of the 4-cube against the known count (OEIS A000609); the
    # certificate store refutes most of the 63,654 non-separable ones by lookup (about
    # 100 LPs), so the count also checks the store's reuse of certificates; the LP itself
    # meets every dichotomy of the 3-cube above and the general-position sets
    cube = np.array(list(itertools.product((-1.0, 1.0), repeat=4)))
    cache = UnitCache()
    assert _count_separable(cube, cache) == 1882
    assert cache.certificate_stats()["hits"] > 60_000


@pytest.mark.parametrize("solver", list(SOLVERS))
def test_every_solver_handles_a_single_sample(solver):
    r = ht.solve_unit(np.array([[2.0, -1.0]]), [-1], solver=solver)
    assert r.separable in (True, None) and r.errors == 0


def test_bad_unit_input():
    with pytest.raises(ht.HardTargetError, match="valid: auto"):
        ht.solve_unit([[1.0]], [1], solver="simplex")
    with pytest.raises(ht.HardTargetError, match="-1 or \\+1"):
        ht.solve_unit([[1.0], [2.0]], [0, 1])
    with pytest.raises(ht.HardTargetError, match="length 2"):
        ht.solve_unit([[1.0], [2.0]], [1, -1, 1])
    with pytest.raises(ht.HardTargetError, match="NaN"):
        ht.solve_unit([[np.nan], [2.0]], [1, -1])
    with pytest.raises(ht.HardTargetError, match="ragged"):
        ht.solve_unit([[1.0, 2.0], [2.0]], [1, -1])
    with pytest.raises(ht.HardTargetError, match="sample_weight"):
        ht.solve_unit([[1.0], [2.0]], [1, -1], sample_weight=[1.0, -1.0])
    with pytest.raises(
        ht.HardTargetError,
        match=r"unit solver .lp. has no option\(s\) max_epochs; valid: max_margin",
    ):
        ht.solve_unit([[1.0], [2.0]], [1, -1], solver="lp", max_epochs=3)
