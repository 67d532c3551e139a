"""Stops inside the unit solvers: descent epochs, lock-step perceptron epochs, the QP.

The solvers get a :class:`~hardtarget.budget.Budget` whose injected clock moves one
second at every look: a budget of N seconds runs out at its N-th look and raises
BudgetExhausted from inside the solve (the count shows it was asked mid-solve); a
budget that never runs out changes nothing, bit for bit.  The chunk sizes are patched
small so that the problems stay tiny.
"""

from __future__ import annotations

import threading

import numpy as np
import pytest

from hardtarget import check_certificate_support
from hardtarget.budget import Budget, BudgetExhausted, Interrupted
from hardtarget.units import CertificateStore, _kernels, lp, solve_layer, solve_unit, solvers

from .helpers import counted, linprog_separable, separates


def same(a, b) -> bool:
    return (
        np.array_equal(a.weights, b.weights)
        and (a.separable, a.errors, a.iterations, a.solver)
        == (b.separable, b.errors, b.iterations, b.solver)
        and (a.certificate is None) == (b.certificate is None)
        and (a.certificate is None or np.array_equal(a.certificate, b.certificate))
    )


def data(m: int, n: int, k: int, seed: int = 0):
    """Gaussian inputs; column 0 planted separable with a margin, the rest random labels."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(m, n))
    T = np.where(rng.random((m, k)) < 0.5, 1, -1)
    u = rng.normal(size=n)
    u /= np.linalg.norm(u)
    T[:, 0] = np.where(X @ u + 0.1 > 0, 1, -1)
    X += 0.5 * T[:, :1] * u  # a margin of 0.5 around the plane
    return X, T


@pytest.fixture
def small_descent_chunks(monkeypatch):
    monkeypatch.setattr(solvers, "DESCENT_STEP_WORK", 300 * 4 * 2)  # 2 epochs per call at 300 x 3


@pytest.mark.parametrize("loss", ["hinge", "saturated_hinge", "soft_hinge"])
def test_descent_in_chunks_is_bit_identical(small_descent_chunks, loss):
    X, T = data(300, 3, 2)
    w = np.ones(300)
    w[::5] = 0.0  # samples that do not constrain the unit
    for j in range(2):
        plain = solve_unit(X, T[:, j], loss, sample_weight=w, max_epochs=20, seed=3)
        budget, looks = counted()
        chunked = solve_unit(
            X, T[:, j], loss, sample_weight=w, max_epochs=20, seed=3, budget=budget
        )
        assert same(plain, chunked)
        assert looks.calls == 1 + -(-plain.iterations // 2)  # before the unit, then per 2 epochs
    assert chunked.errors > 0  # random labels: the descent ran all epochs in 10 chunks
    assert looks.calls == 11


def test_descent_stops_between_chunks(small_descent_chunks):
    X, T = data(300, 3, 2)
    budget, looks = counted(4)  # before the unit, then epochs 0-1, 2-3, and here
    with pytest.raises(BudgetExhausted, match="time limit of 4 s"):
        solve_unit(X, T[:, 1], "hinge", max_epochs=20, budget=budget)
    assert looks.calls == 4


def test_layer_refinement_stops_inside_its_descent(small_descent_chunks):
    X, T = data(300, 3, 1, seed=1)
    T[:7, 0] *= -1  # not separable: the perceptron's weights get refined by the hinge
    plain = solve_layer(X, T, "perceptron", refine=True, max_epochs=10)
    budget, looks = counted()
    got = solve_layer(X, T, "perceptron", refine=True, max_epochs=10, budget=budget)
    assert same(plain[0], got[0])
    assert looks.calls == 1 + 1 + 25  # before the layer, before the hinge, 50 epochs in 25 calls
    budget, looks = counted(4)
    with pytest.raises(BudgetExhausted):
        solve_layer(X, T, "perceptron", refine=True, max_epochs=10, budget=budget)
    assert looks.calls == 4


def lockstep_chunks(monkeypatch, m: int, n: int, k: int, epochs: int) -> None:
    monkeypatch.setattr(solvers, "PERCEPTRON_CHUNK_WORK", 1)
    monkeypatch.setattr(solvers, "PERCEPTRON_STEP_WORK", epochs * m * (n + 1) * k)


@pytest.mark.parametrize("k", [2, 6])  # the scalar kernel (k < 4) and the lock-step one
def test_layer_perceptron_in_chunks_is_bit_identical(monkeypatch, k):
    X, T = data(200, 3, k)
    lockstep_chunks(monkeypatch, 200, 3, k, epochs=3)
    plain = solve_layer(X, T, "perceptron", max_epochs=30)
    budget, looks = counted()
    chunked = solve_layer(X, T, "perceptron", max_epochs=30, budget=budget)
    assert all(same(a, b) for a, b in zip(plain, chunked))
    assert looks.calls == 10  # before the layer, then between the 10 chunks of 3 epochs
    Xt = np.hstack([X, np.ones((200, 1))])
    assert chunked[0].separable and np.all(np.sign(Xt @ chunked[0].weights) == T[:, 0])
    assert all(
        r.errors == np.sum(np.sign(Xt @ r.weights) != T[:, j]) for j, r in enumerate(chunked)
    )


def test_layer_auto_in_chunks_is_bit_identical(monkeypatch):
    X, T = data(60, 3, 8, seed=2)  # 60 x 4 <= NEWTON_FIRST: the batched perceptron first
    lockstep_chunks(monkeypatch, 60, 3, 8, epochs=2)
    plain = solve_layer(X, T, "auto")
    calls = []
    chunk = _kernels.lockstep_epochs
    monkeypatch.setattr(_kernels, "lockstep_epochs", lambda *a: calls.append(a[2]) or chunk(*a))
    assert all(same(a, b) for a, b in zip(plain, solve_layer(X, T, "auto", budget=counted()[0])))
    assert calls[:4] == [0, 2, 4, 6]  # the units run 8 epochs at least, 2 per call
    assert plain[0].separable and all(r.separable is False for r in plain[1:])  # random labels


def test_layer_perceptron_stops_between_chunks(monkeypatch):
    X, T = data(200, 3, 6)
    lockstep_chunks(monkeypatch, 200, 3, 6, epochs=3)
    budget, looks = counted(3)
    with pytest.raises(BudgetExhausted):
        solve_layer(X, T, "perceptron", max_epochs=30, budget=budget)
    assert looks.calls == 3


@pytest.fixture
def interruptible_qp(monkeypatch):
    monkeypatch.setattr(lp, "INTERRUPT_MIN_ENTRIES", 0)
    monkeypatch.setattr(lp, "QP_POLL", 0.001)
    X, T = data(2000, 30, 1)
    return X, T[:, 0]


def test_max_margin_qp_with_a_stop_is_bit_identical(interruptible_qp):
    X, t = interruptible_qp
    plain = solve_unit(X, t, "lp")
    budget, looks = counted()
    assert same(plain, solve_unit(X, t, "lp", budget=budget))
    assert plain.separable and plain.margin > 0
    assert looks.calls > 1


def test_max_margin_qp_stops_mid_solve(interruptible_qp):
    X, t = interruptible_qp
    A1 = np.hstack([X / np.abs(X).max(), np.ones((X.shape[0], 1))])
    tf = t.astype(np.float64)
    want = lp._qp_max_margin(A1, tf)
    busy = lp._highs()
    budget, looks = counted(3)
    with pytest.raises(BudgetExhausted):
        lp._qp_max_margin(A1, tf, budget=budget)
    assert looks.calls == 3
    assert lp._highs() is not busy  # the abandoned solve keeps its own Highs object
    for th in threading.enumerate():
        if th.name == "hardtarget-qp":
            th.join()
    assert want is not None and np.array_equal(lp._qp_max_margin(A1, tf), want)


def test_warm_started_large_lps_agree_with_scipy_linprog(monkeypatch):
    monkeypatch.setattr(lp, "INTERRUPT_MIN_ENTRIES", 0)  # all large: primal simplex when warm
    X, T = data(300, 2, 1, seed=4)
    store, u, warm = CertificateStore(300, 2), T[:, 0].copy(), []
    nearest = store.nearest_basis
    store.nearest_basis = lambda t: warm.append(nearest(t)) or warm[-1]
    for i in np.random.default_rng(4).choice(300, 12, replace=False):
        u[i] *= -1
        sep, w, cert = lp.lp_separate(X, u.astype(np.float64), False, store, budget=counted()[0])
        assert sep is linprog_separable(X, u)
        assert separates(w, X, u) if sep else check_certificate_support(X, u, cert)
    assert sum(b is not None for b in warm) >= 11  # every LP after the first starts warm


def test_a_cancel_from_another_thread_stops_a_large_lp_mid_solve(monkeypatch):
    # the HiGHS interrupt callback asks the budget; a cancel (Ctrl-C, a portfolio) ends it
    monkeypatch.setattr(lp, "INTERRUPT_MIN_ENTRIES", 0)
    X, T = data(400, 3, 2)
    budget = Budget()
    budget.cancel("stop now")
    with pytest.raises(Interrupted, match="stop now"):
        solve_unit(X, T[:, 1], "lp", budget=budget)
    asked = []

    class Asked(Budget):
        def stopped(self, within: float = 0.0) -> bool:
            asked.append(1)
            if len(asked) == 1:  # cancelled while HiGHS iterates (its callback asks)
                self.cancel()
            return super().stopped(within)

    with pytest.raises(Interrupted):
        lp.lp_separate(X, T[:, 1].astype(np.float64), False, budget=Asked())
    assert asked


def test_the_deprecated_stop_callback_still_stops_with_a_warning():
    X, T = data(300, 3, 2)
    with pytest.warns(DeprecationWarning, match="budget="), pytest.raises(Interrupted):
        solve_unit(X, T[:, 1], "hinge", max_epochs=20, stop=lambda: True)
    with pytest.warns(DeprecationWarning):
        plain = solve_layer(X, T, "perceptron", max_epochs=5)
        assert all(
            same(a, b)
            for a, b in zip(
                plain, solve_layer(X, T, "perceptron", max_epochs=5, stop=lambda: False)
            )
        )
