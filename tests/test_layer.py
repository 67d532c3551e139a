"""solve_layer (issue 10): one call per layer, the cache in one place, the stop callback,
and the one definition of the layer losses."""

import numpy as np
import pytest

import hardtarget as ht
from hardtarget.budget import Budget, BudgetExhausted, Interrupted
from hardtarget.units import (
    UnitCache,
    error_count,
    layer_loss,
    layer_loss_grad,
    solve_layer,
    solve_unit,
)

from .helpers import counted, linprog_separable


def _layer(seed=0, m=40, n=3, k=6):
    rng = np.random.default_rng(seed)
    X = rng.choice([-1.0, 1.0], size=(m, n))
    T = np.where(rng.random((m, k)) < 0.5, 1, -1)
    T[:, 0] = np.where(X @ rng.normal(size=n) > 0, 1, -1)  # one planted, separable column
    return X, T


@pytest.mark.parametrize("solver", ["auto", "lp", "perceptron", "hinge"])
def test_layer_gives_each_unit_what_solve_unit_gives(solver):
    X, T = _layer()
    for j, r in enumerate(solve_layer(X, T, solver)):
        single = solve_unit(X, T[:, j], solver)
        assert r.separable == single.separable and r.errors == single.errors
        assert np.array_equal(r.weights, single.weights)
        if solver in ("auto", "lp"):
            assert r.separable is linprog_separable(X, T[:, j])


def test_layer_cache_is_shared_with_solve_unit():
    X, T = _layer(1)
    cache = UnitCache()
    first = solve_layer(X, T, cache=cache)
    assert (cache.hits, cache.misses) == (0, T.shape[1])
    again = solve_layer(X, T, cache=cache)
    assert cache.hits == T.shape[1] and all(a is b for a, b in zip(first, again))
    assert solve_unit(X, T[:, 2], cache=cache) is first[2]  # the same key from either entry


def test_refine_keeps_the_verdict_and_takes_fewer_errors():
    X, T = _layer(2, m=60)
    plain = solve_layer(X, T)
    refined = solve_layer(X, T, refine=True)
    for j, (p, r) in enumerate(zip(plain, refined)):
        assert r.separable == p.separable and r.errors <= p.errors
        if p.separable is False:
            assert ht.check_certificate_support(X, T[:, j], r.certificate)


def test_the_budget_is_asked_between_units_newton_steps_and_lp_solves():
    rng = np.random.default_rng(0)
    X, T = _layer(3)
    cancelled = Budget()
    cancelled.cancel()
    with pytest.raises(Interrupted):
        solve_layer(X, T, "lp", budget=cancelled)
    # a large separable unit (Newton needs 6 steps): one step per kernel call, asked in between
    A = rng.normal(size=(1000, 100))
    t = np.where(A @ rng.normal(size=100) > 0, 1, -1)
    budget, looks = counted(4)
    with pytest.raises(BudgetExhausted):
        solve_unit(A, t, budget=budget)
    assert looks.calls == 4  # before the solve, then before Newton steps 1 to 3
    assert solve_unit(A, t, budget=counted()[0]).separable is True
    # HiGHS asks at its interrupt checks
    A = rng.normal(size=(3000, 60))
    t = rng.choice([-1, 1], size=3000)
    budget, looks = counted(3)
    with pytest.raises(BudgetExhausted):
        solve_unit(A, t, "lp", budget=budget)
    assert looks.calls >= 3  # (HiGHS' interrupted LP is checked once more)
    assert solve_unit(A[:50], t[:50], "lp", budget=counted()[0]).separable is not None


def test_bad_layer_input():
    X, T = _layer()
    with pytest.raises(ht.HardTargetError, match=r"\(40, n_units\) array of ±1"):
        solve_layer(X, T[:30])
    with pytest.raises(ht.HardTargetError, match="valid: auto"):
        solve_layer(X, T, "simplex")


def test_layer_losses_have_one_definition_and_both_spellings():
    u = np.array([-3.0, -1.0, -0.5, 0.0, 0.999, 1.0, 2.0])
    hinge = [4.0, 2.0, 1.5, 1.0, 1.0 - 0.999, 0.0, 0.0]
    assert layer_loss("hinge", u).tolist() == hinge
    assert layer_loss("saturated_hinge", u).tolist() == [
        2.0,
        *hinge[1:],
    ]  # flat below u = -1
    assert np.allclose(layer_loss("soft-hinge", u), 1 - np.tanh(u))
    assert layer_loss_grad("saturated-hinge", u).tolist() == [0, -1, -1, -1, -1, 0, 0]
    assert layer_loss_grad("hinge", u).tolist() == [-1, -1, -1, -1, -1, 0, 0]
    assert np.allclose(layer_loss_grad("soft_hinge", u), -(1 - np.tanh(u) ** 2))
    assert layer_loss("hinge", u.reshape(7, 1)).shape == (7, 1)
    with pytest.raises(ht.HardTargetError, match="valid: hinge, saturated_hinge, soft_hinge"):
        layer_loss("squared", u)
    # sign(0) = -1: z = 0 is an error for t = +1 and right for t = -1
    assert error_count(np.array([[0.0], [0.0], [2.0]]), np.array([[1], [-1], [1]])) == 1
    assert error_count(np.array([[1.0, -1.0], [1.0, 1.0]]), np.array([[1, -1], [1, -1]])) == 1


def test_strided_target_columns_are_accepted():
    X, T = _layer(4)
    T = np.asfortranarray(T).astype(np.int8)
    for solver in ("perceptron", "auto", "lp", "hinge"):
        assert solve_unit(X, T[:, 0], solver).separable is True


def test_wide_units_skip_newton_and_keep_exact_verdicts():
    """Hidden layers of thousands of units feed units far wider than tall (parity:3, hidden
    10000): auto proves them with the perceptron, the LP runs in its primal form."""
    from hardtarget.units.solvers import _newton_pays

    rng = np.random.default_rng(6)
    A = rng.choice([-1.0, 1.0], size=(8, 2000))
    assert not _newton_pays(A)
    t = rng.choice([-1, 1], size=8)
    for solver in ("auto", "lp"):
        assert solve_unit(A, t, solver).separable is linprog_separable(A, t) is True
    B = np.vstack([A, A[:1]])  # a duplicate with the opposite target: not separable
    tb = np.r_[t, -t[:1]]
    r = solve_unit(B, tb)
    assert r.separable is False and ht.check_certificate_support(B, tb, r.certificate)


def test_hyphenated_loss_names_are_accepted_at_the_edges():
    from hardtarget.search.evaluate import Evaluator

    X, T = _layer(7)
    assert solve_unit(X, T[:, 0], "saturated-hinge").solver == "saturated_hinge"
    ev = Evaluator(ht.load_problem("xor"), (2,), loss="soft-hinge")
    assert ev.loss == "soft_hinge"
    with pytest.raises(ht.HardTargetError, match="unknown unit solver"):
        solve_unit(X, T[:, 0], 3)


def test_a_stopped_layer_keeps_the_units_it_solved_in_the_cache():
    X, T = _layer(8)
    cache = UnitCache()
    budget, _ = counted(4)  # asked once before each unit: three units, then stop
    with pytest.raises(BudgetExhausted):
        solve_layer(X, T, "lp", cache=cache, budget=budget)
    assert len(cache) == 3
    assert [r.separable for r in solve_layer(X, T[:, :3], "lp", cache=cache)] == [
        solve_unit(X, T[:, j], "lp").separable for j in range(3)
    ]
    assert cache.hits == 3


def test_large_perceptron_units_ask_stop_between_epochs():
    """A large unit runs a few epochs per kernel call; the result equals one long call."""
    rng = np.random.default_rng(9)
    A = rng.normal(size=(4000, 300))
    t = rng.choice([-1, 1], size=4000)  # not separable: the perceptron runs all its epochs
    budget, looks = counted()
    r = solve_unit(A, t, "perceptron", max_epochs=30, budget=budget)
    plain = solve_unit(A, t, "perceptron", max_epochs=30)
    assert np.array_equal(r.weights, plain.weights) and r.errors == plain.errors
    assert looks.calls == 5  # before the solve, then before each of 4 chunks of 8 epochs
    budget, looks = counted(3)
    with pytest.raises(BudgetExhausted):
        solve_unit(A, t, "perceptron", max_epochs=12, budget=budget)


def test_many_units_in_lock_step_match_single_calls_bit_for_bit():
    # 37 units: two blocks of 16 through the four-sample pocket pass and 5 alone; 42 samples:
    # a last block of 2; weight-0 samples; some units converge, some end on their pocket
    rng = np.random.default_rng(3)
    m, n, k = 42, 5, 37
    X = rng.standard_normal((m, n))
    T = np.where(X @ rng.standard_normal((n, k)) + 0.3 > 0, 1, -1)
    T[:, ::3] = np.where(rng.random((m, len(range(0, k, 3)))) < 0.5, 1, -1)  # not separable
    w = rng.choice([0.0, 1.0, 2.0], m, p=[0.2, 0.5, 0.3])
    layer = solve_layer(X, T, "perceptron", sample_weight=w, max_epochs=40)
    assert {r.separable for r in layer} == {True, None}
    for j, r in enumerate(layer):
        single = solve_unit(X, T[:, j], "perceptron", sample_weight=w, max_epochs=40)
        assert np.array_equal(r.weights, single.weights), j
        assert (r.separable, r.errors, r.iterations) == (
            single.separable,
            single.errors,
            single.iterations,
        )


@pytest.mark.parametrize("rows, na", [(4, 37), (4, 16), (3, 37), (4, 7), (4, 20)])
def test_block_pre_activations_are_the_plain_sums_in_feature_order(rows, na):
    from hardtarget.units import _kernels

    rng = np.random.default_rng(rows * 100 + na)
    A = rng.standard_normal((9, 6))
    W = rng.standard_normal((7, 40))
    Z = np.full((4, 40), np.nan)
    _kernels._zblock(A, 5, rows, W, na, Z)
    for r in range(rows):
        for q in range(na):
            acc = 0.0
            for f in range(6):
                acc += float(A[5 + r, f]) * float(W[f, q])
            assert Z[r, q] == acc, (r, q)
