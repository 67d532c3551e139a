"""Search at scale (issue 19): budgets checked at a fine grain, memory refused up front.

Contracts are checked with fake clocks, budgets cancelled at a chosen point and injected
memory figures, never with wall-clock time.
"""

from __future__ import annotations

import inspect

import numpy as np
import pytest

import hardtarget as ht
from hardtarget.activations import get_activation
from hardtarget.budget import Budget, BudgetExhausted, EpochGuard
from hardtarget.cli import main
from hardtarget.errors import HardTargetError
from hardtarget.search import init, local, scale
from hardtarget.search.api import prepare_search
from hardtarget.search.base import run_strategy
from hardtarget.targets import TargetSetting

SIGN = get_activation("sign")


def _plain_forward(weights: list, X: np.ndarray) -> list:
    """Every layer's ±1 outputs, in plain numpy (sign(0) = -1)."""
    out, H = [], X
    for W in weights:
        H = np.where(H @ W[:-1] + W[-1] > 0, 1, -1)
        out.append(H)
    return out


# -- the start trains in row blocks --------------------------------------------------------
@pytest.mark.parametrize("method", ["anneal", "ftprop-mb"])
def test_blocked_start_trains_like_the_whole_batch(monkeypatch, method):
    p = ht.load_problem("planted:6-4-1:300:2")
    whole = init.start_network(p, (4,), SIGN, np.random.default_rng(0), method, epochs=30)
    monkeypatch.setattr(init, "_BLOCK_ENTRIES", 64)  # 300 rows in blocks of 5
    assert len(init.row_blocks(300, [6, 4, 1])) == 60
    blocked = init.start_network(p, (4,), SIGN, np.random.default_rng(0), method, epochs=30)
    for a, b in zip(whole[0], blocked[0]):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-9)  # the same sums, other order
    # the targets returned are the weights' own hidden outputs (recomputed independently)
    W = blocked[0][0]
    assert np.array_equal(blocked[1][0], np.where(p.X @ W[:-1] + W[-1] > 0, 1, -1))


def test_blocked_random_start_thresholds_at_the_median(monkeypatch):
    p = ht.load_problem("planted:5-3-1:400:1")
    monkeypatch.setattr(init, "_BLOCK_ENTRIES", 100)
    Ws, T = init.start_network(p, (6,), SIGN, np.random.default_rng(3), "random")
    W = Ws[0]
    Z = p.X @ W[:-1]
    np.testing.assert_allclose(W[-1], -np.median(Z, axis=0))
    assert np.array_equal(T[0], np.where(Z + W[-1] > 0, 1, -1))


def test_a_cancel_ends_the_training_within_one_row_block(monkeypatch):
    p = ht.load_problem("planted:6-4-1:300:2")
    monkeypatch.setattr(init, "_BLOCK_ENTRIES", 64)  # 60 blocks per pass
    budget = Budget()
    passes = []
    real = init._forward

    def forward(X, Ws, act):  # the 100th block of rows scored (in the 2nd pass) cancels
        passes.append(1)
        if len(passes) == 100:
            budget.cancel()
        return real(X, Ws, act)

    monkeypatch.setattr(init, "_forward", forward)
    Ws, T = init.start_network(p, (4,), SIGN, np.random.default_rng(0), "anneal", budget)
    assert len(passes) == 100  # no block of rows after that
    assert T[0].shape == (300, 4)


def test_the_first_scoring_pass_is_not_cut(monkeypatch):
    # a start must have targets: a cancelled budget still gets one full pass
    p = ht.load_problem("planted:6-4-1:300:2")
    monkeypatch.setattr(init, "_BLOCK_ENTRIES", 64)
    cancelled = Budget()
    cancelled.cancel()
    Ws, T = init.start_network(p, (4,), SIGN, np.random.default_rng(0), "anneal", cancelled)
    W = Ws[0]
    assert np.array_equal(T[0], np.where(p.X @ W[:-1] + W[-1] > 0, 1, -1))


# -- the epoch guard predicts the next step from the longest so far --------------------------
class FakeClock:
    def __init__(self):
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_epoch_guard_stops_before_a_step_would_cross_the_deadline():
    clock = FakeClock()
    run = Budget(time_limit=10, clock=clock)
    guard = EpochGuard(run.child(share=0.5))  # a start's share: deadline at 5 s
    answers = []
    for t in (1.0, 2.0, 3.0, 3.5, 4.0):  # steps of 1 s: the one from 4 s would end at 5 s
        clock.now = t
        answers.append(guard.over())
    assert answers == [False, False, False, False, True]
    assert not run.stopped()


def test_epoch_guard_sees_a_cancel_and_the_state_limit():
    run = Budget(max_states=2, clock=FakeClock())
    guard = EpochGuard(run.child())
    assert not guard.over()
    run.spend(2)
    assert guard.over()
    run.spend(-2)
    assert not guard.over()
    run.cancel()  # a signal: the run's budget, and with it the phase's, is cancelled
    assert guard.over()


def test_the_start_gets_its_share_of_the_run_and_evaluations_count_states(monkeypatch):
    clock = FakeClock()
    budget = Budget(time_limit=10, max_states=3, clock=clock)
    _, ctx = prepare_search(
        ht.load_problem("xor"), (2,), "hill", run_budget=budget, progress=False, init="random"
    )
    assert ctx.budget is budget
    seen = []
    real = init.start_network

    def start_network(*args, **kwargs):
        seen.append(args[5])  # the start's budget
        return real(*args, **kwargs)

    monkeypatch.setattr(init, "start_network", start_network)
    clock.now = 2.0
    ctx.start_state("random")
    (phase,) = seen
    assert phase.remaining() == pytest.approx(4.0)  # START_SHARE (half) of the 8 s left
    assert budget.states == ctx.evaluator.states_evaluated == 1
    phase.cancel()
    assert not budget.cancelled  # a phase's cancel stays in the phase
    ctx.close()


# -- a cut first state leaves the start network ----------------------------------------------
@pytest.mark.parametrize("strategy", ["hill", "beam", "madaline", "ftprop"])
def test_a_cut_first_evaluation_returns_the_start_network(monkeypatch, strategy):
    p = ht.load_problem("planted:6-4-1:200:0")
    clock = FakeClock()
    budget = Budget(time_limit=1000, clock=clock)
    strat, ctx = prepare_search(p, (4,), strategy, run_budget=budget, progress=False, init="random")
    real = init.start_network

    def start_network(*args, **kwargs):  # the budget expires before the first unit solve
        out = real(*args, **kwargs)
        clock.now = 2000.0
        return out

    monkeypatch.setattr(init, "start_network", start_network)
    r = run_strategy(strat, ctx)
    assert r.status == "time_limit" and r.states_evaluated == 0
    assert r.info["best_is_start_network"] is True
    hidden, out = _plain_forward(r.network.weights, p.X)
    errors = int(np.count_nonzero(out[:, 0] != p.T_out[:, 0]))
    assert r.train_accuracy == 1 - errors / len(p.t)
    assert np.array_equal(r.targets.layers[0], hidden)  # its targets are its own outputs


def test_network_state_rechecks_a_zero_error_network_on_the_inputs():
    p = ht.load_problem("planted:6-4-1:200:0")
    net = p.planted["network"]
    _, ctx = prepare_search(p, (4,), "hill", progress=False)
    ev = ctx.evaluator
    T = TargetSetting([_plain_forward(net.weights, p.X)[0].astype(np.int8)])
    s = ev.network_state(T, net.weights)
    assert s.errors == 0 and s.unit_errors == 0 and s.loss == 0
    # the output layer fits T, but another hidden layer does not produce T: the zero
    # errors of the output layer alone must not be believed
    other = [np.random.default_rng(0).standard_normal(net.weights[0].shape), net.weights[1]]
    s = ev.network_state(T, other)
    truth = int(np.count_nonzero(_plain_forward(other, p.X)[-1][:, 0] != p.T_out[:, 0]))
    assert truth > 0 and s.errors == truth
    ctx.close()


# -- neighbour order -----------------------------------------------------------------------
def _old_neighbors(targets, rng, max_neighbors):
    moves = [
        (d, i, j)
        for d, T in enumerate(targets.layers)
        for i in range(T.shape[0])
        for j in range(T.shape[1])
    ]
    order = rng.permutation(len(moves))
    if max_neighbors is not None:
        order = order[:max_neighbors]
    return [moves[k] for k in order]


@pytest.mark.parametrize("cap", [None, 1, 7, 1000])
def test_neighbors_are_the_same_moves_in_the_same_order(cap):
    ts = TargetSetting([np.ones((9, 3), np.int8), np.ones((9, 2), np.int8)])
    got = list(local.neighbors(ts, np.random.default_rng(5), cap))
    assert got == _old_neighbors(ts, np.random.default_rng(5), cap)


@pytest.mark.parametrize("cap", [None, 13])
def test_lazy_neighbors_cover_every_move_once(monkeypatch, cap):
    monkeypatch.setattr(local, "LAZY_MOVES", 10)
    monkeypatch.setattr(local, "_BLOCK", 4)
    ts = TargetSetting([np.ones((7, 3), np.int8), np.ones((7, 2), np.int8)])
    got = list(local.neighbors(ts, np.random.default_rng(1), cap))
    every = {(d, i, j) for d, w in ((0, 3), (1, 2)) for i in range(7) for j in range(w)}
    assert len(got) == len(set(got)) == (35 if cap is None else cap)
    assert set(got) <= every


# -- memory refused up front ---------------------------------------------------------------
def test_a_search_that_cannot_fit_is_refused_naming_its_size():
    p = ht.load_problem("planted:6-4-1:200:0")
    strat, ctx = prepare_search(p, (50,), "hill", progress=False)
    need = scale.search_bytes(200, 6, (50,), 1)
    assert need == 8 * 200 * 6 + 4 * 200 * 50 + 24 * 200 * 50  # the documented formula
    with pytest.raises(HardTargetError, match=r"needs about .* of memory.*is available"):
        scale.check_fits(strat, ctx.evaluator, available=need - 1)
    assert scale.check_fits(strat, ctx.evaluator, available=need).bytes == need
    ctx.close()


def test_solve_and_the_cli_refuse_with_exit_2(monkeypatch, capsys):
    monkeypatch.setattr(scale, "available_memory", lambda: 10_000)
    p = ht.load_problem("planted:6-4-1:200:0")
    with pytest.raises(HardTargetError, match="fewer hidden units"):
        ht.solve(p, (4,), "hill", progress=False)
    code = main(["solve", "-p", "planted:6-4-1:200:0", "--hidden", "4", "-s", "beam"])
    assert code == 2
    assert "of memory" in capsys.readouterr().err


@pytest.mark.parametrize("strategy", ["sat", "sat-lp"])
def test_sat_encodings_are_estimated_from_distinct_rows(strategy):
    p = ht.load_problem("parity:4")
    X = np.vstack([p.X] * 5)  # 80 rows, 16 distinct
    q = ht.make_problem(X, np.tile(p.t, 5))
    strat, ctx = prepare_search(q, (3,), strategy, progress=False)
    fp = strat.footprint(ctx.evaluator)
    assert fp.variables >= 16 * 3 and fp.bytes > scale.search_bytes(80, 4, (3,), 1)
    ctx.close()


def test_an_encoding_past_the_literal_range_is_refused(monkeypatch):
    monkeypatch.setattr(scale, "MAX_SAT_VARIABLES", 10)
    strat, ctx = prepare_search(ht.load_problem("parity:4"), (3,), "sat-lp", progress=False)
    with pytest.raises(HardTargetError, match="more than a SAT literal can number"):
        scale.check_fits(strat, ctx.evaluator, available=10**12)
    ctx.close()


# -- the exact strategies' model builders ask the budget ------------------------------------
@pytest.mark.parametrize("strategy", ["sat", "sat-lp"])
def test_building_a_sat_model_asks_the_budget(strategy):
    p = ht.load_problem("planted:6-4-1:6000:0")  # 6,000 distinct rows, no first pass
    asked = []

    class Asked(Budget):
        def check(self) -> None:  # a budget that expires at its 3rd look
            asked.append(inspect.stack()[1].function)
            if len(asked) >= 3:
                raise BudgetExhausted("time limit of 1000 s reached")
            super().check()

    budget = Asked(time_limit=1000)
    strat, ctx = prepare_search(p, (3,), strategy, run_budget=budget, progress=False)
    r = run_strategy(strat, ctx)
    assert r.status == "time_limit" and len(asked) == 3
    assert r.states_evaluated == 0  # stopped while building, before any state
    assert asked[0] == "ticking"  # asked while the variables were being created


# -- beam keeps only its width best states of a round ----------------------------------------
@pytest.mark.parametrize("width", [1, 3, 8])
def test_beam_keeps_the_width_best_like_a_stable_sort(width):
    from types import SimpleNamespace

    rng = np.random.default_rng(width)
    values = rng.integers(0, 5, (40, 2))  # rank: the loss, then the objective's score
    states = [SimpleNamespace(rank=(float(a), float(b)), name=k) for k, (a, b) in enumerate(values)]
    kept: list = []
    for order, s in enumerate(states):
        local._keep(kept, width, s, order)
    got = [st.name for _, _, st in sorted(kept, key=lambda e: (tuple(-x for x in e[0]), -e[1]))]
    want = [s.name for s in sorted(states, key=lambda s: s.rank)[:width]]
    assert got == want


def test_a_stopped_random_start_keeps_threshold_zero_for_the_units_not_reached(monkeypatch):
    p = ht.load_problem("planted:5-3-1:400:1")
    monkeypatch.setattr(init, "_BLOCK_ENTRIES", 800)  # 2 units per median chunk
    budget = Budget()
    chunks = []
    real = init.matmul

    def matmul(a, b):  # the 2nd chunk of units cancels: the guard asked before the 3rd stops
        chunks.append(1)
        if len(chunks) == 2:
            budget.cancel()
        return real(a, b)

    monkeypatch.setattr(init, "matmul", matmul)
    Ws, T = init.start_network(p, (6,), SIGN, np.random.default_rng(3), "random", budget)
    assert len(chunks) == 2
    W = Ws[0]
    Z = p.X @ W[:-1]
    np.testing.assert_allclose(W[-1, :2], -np.median(Z[:, :2], axis=0))  # the first chunk
    assert np.all(W[-1, 4:] == 0)  # never reached
    assert np.array_equal(T[0], np.where(Z + W[-1] > 0, 1, -1))  # its own outputs
