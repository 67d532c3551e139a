"""Objectives that prefer generalizing solutions (margin, sparsity) and the repair strategy,
each checked against an independent computation (scipy's QP/LP, brute force)."""

from __future__ import annotations

import itertools
import json
from fractions import Fraction

import numpy as np
import pytest
from scipy.optimize import linprog, minimize

import hardtarget as ht
from hardtarget.cli import main
from hardtarget.search import prepare_search, run_strategy
from hardtarget.search.api import resolve_objective
from hardtarget.search.evaluate import Evaluator
from hardtarget.targets import TargetSetting
from hardtarget.units import max_margin, normalized_margin, solve_unit, sparse_weights


# -- independent references ------------------------------------------------------------------
def _separates_rationally(A, t, w) -> bool:
    """t_i (w . x_i + b) > 0 for every row, in exact rational arithmetic."""
    for x, ti in zip(A.tolist(), t.tolist()):
        z = sum((Fraction(a) * Fraction(b) for a, b in zip(x, w[:-1].tolist())), Fraction(w[-1]))
        if not ti * z > 0:
            return False
    return True


def _svm_margin(A, t) -> float:
    """Hard-margin L2 SVM by SLSQP: the largest geometric margin 1 / ||w*||."""
    n = A.shape[1]
    cons = {"type": "ineq", "fun": lambda v: t * (A @ v[:n] + v[n]) - 1.0}
    w0 = np.linalg.lstsq(np.c_[A, np.ones(len(A))], t.astype(float), rcond=None)[0] * 10
    res = minimize(
        lambda v: 0.5 * v[:n] @ v[:n],
        w0,
        jac=lambda v: np.r_[v[:n], 0.0],
        constraints=[cons],
        method="SLSQP",
        options={"ftol": 1e-12, "maxiter": 500},
    )
    assert res.success
    return 1.0 / np.linalg.norm(res.x[:n])


def _lp_separable(A, t) -> bool:
    """Strictly separable iff t_i (w . x_i + b) >= 1 is feasible (scipy's LP)."""
    m, n = A.shape
    if n == 0:
        return bool(np.all(t > 0) or np.all(t < 0))
    A_ub = -(t[:, None] * np.c_[A, np.ones(m)])
    res = linprog(np.zeros(n + 1), A_ub=A_ub, b_ub=-np.ones(m), bounds=[(None, None)] * (n + 1))
    return res.status == 0


def _separable_problem(rng, m, n):
    while True:
        X = rng.normal(size=(m, n))
        w = rng.normal(size=n)
        t = np.where(X @ w + 0.1 * rng.normal() > 0, 1, -1).astype(np.int8)
        if 0 < (t > 0).sum() < m:
            return X, t


# -- max_margin --------------------------------------------------------------------------------
@pytest.mark.parametrize("m,n", [(8, 2), (12, 3), (6, 10)])
def test_max_margin_is_the_svm_optimum_and_verifies(m, n):
    rng = np.random.default_rng(m * 100 + n)
    for _ in range(3):
        X, t = _separable_problem(rng, m, n)
        r = max_margin(X, t)
        assert r.separable and r.verified and r.method == "qp"
        assert _separates_rationally(X, t, r.weights)
        assert r.margin == pytest.approx(_svm_margin(X, t), rel=1e-4)
        # at least the margin of the pocket perceptron's weights on the same targets
        assert r.margin >= solve_unit(X, t, "perceptron").margin - 1e-12
        radius = np.sqrt((X**2).sum(axis=1)).max()
        assert r.normalized_margin == pytest.approx(r.margin / radius, rel=1e-12)


def test_max_margin_not_separable_and_sample_weight():
    X = np.array([[-1.0, -1], [-1, 1], [1, -1], [1, 1]])
    xor = np.array([-1, 1, 1, -1])
    r = max_margin(X, xor)
    assert r.separable is False and not r.verified
    # dropping one point (weight 0) makes XOR separable; that point no longer constrains
    s = np.array([1.0, 1, 1, 0])
    r = max_margin(X, xor, sample_weight=s)
    assert r.separable and r.verified
    assert _separates_rationally(X[:3], xor[:3], r.weights)
    assert r.margin == pytest.approx(_svm_margin(X[:3], xor[:3]), rel=1e-4)


def test_normalized_margin_by_hand():
    X = np.array([[0.0, 0.0], [0.0, 4.0]])
    # w = (0, 1), b = -2: margin 2, largest input norm 4
    assert normalized_margin(X, [-1, 1], np.array([0.0, 1.0, -2.0])) == 0.5


# -- sparse_weights ----------------------------------------------------------------------------
@pytest.mark.parametrize("n", [3, 4])
def test_sparse_weights_match_brute_force_over_supports(n):
    rng = np.random.default_rng(n)
    cube = np.array(list(itertools.product((-1.0, 1.0), repeat=n)))
    checked = 0
    for _ in range(40):
        X = cube[rng.permutation(len(cube))[: rng.integers(4, len(cube) + 1)]]
        t = rng.choice(np.array([-1, 1], dtype=np.int8), size=len(X))
        if not _lp_separable(X, t):
            assert sparse_weights(X, t).separable is False
            continue
        least = min(
            k
            for k in range(n + 1)
            for S in itertools.combinations(range(n), k)
            if _lp_separable(X[:, list(S)], t)
        )
        r = sparse_weights(X, t)
        assert r.verified and r.proven and _separates_rationally(X, t, r.weights)
        assert r.nonzeros == least == np.count_nonzero(r.weights[:-1])
        checked += 1
    assert checked >= 10


def test_sparse_weights_l1_on_a_wide_unit_is_not_claimed_minimal():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(30, 20))
    t = np.where(X[:, 0] + 0.5 * X[:, 1] > 0, 1, -1).astype(np.int8)
    r = sparse_weights(X, t)
    assert r.verified and not r.proven and r.method == "l1"
    assert _separates_rationally(X, t, r.weights)
    assert r.nonzeros < 20  # the L1 LP keeps few of the 20 inputs


# -- the search objective ------------------------------------------------------------------------
def _same_function(p, r, obj):
    rep = ht.verify_targets(p, r.targets, objective=obj)
    assert rep.feasible and rep.reproduces_targets and rep.train_accuracy == 1.0
    Z = np.random.default_rng(0).normal(size=(50, p.n_features)) * 2
    assert np.array_equal(rep.network.predict(p.X), r.network.predict(p.X))
    assert np.array_equal(rep.network.predict(Z), r.network.predict(Z))
    got = [u["normalized_margin"] for u in r.info["units"]]
    want = [u.normalized_margin for layer in rep.units for u in layer]
    assert got == pytest.approx(want, rel=1e-9)
    assert r.info["nonzero_weights"] == sum(u.nonzero_weights for layer in rep.units for u in layer)


@pytest.mark.parametrize("obj", ["margin", "sparsity"])
@pytest.mark.parametrize("strategy", ["exhaustive", "sat-lp", "sat"])
def test_exact_strategies_return_the_best_fit_and_it_reverifies(strategy, obj):
    p = ht.load_problem("parity:3")
    r = ht.solve(p, (3,), strategy, objective=obj, time_limit=60)
    assert r.status == "optimal" and r.train_accuracy == 1.0
    assert r.info["search_objective"] == obj
    _same_function(p, r, obj)
    if strategy != "sat" or obj != "sparsity":  # sat's sparsity is CP-SAT's own objective
        assert r.info["fits_examined"] > 1
    if obj == "margin":  # at least as good as the first fit's margin (the errors objective)
        plain = ht.solve(p, (3,), strategy, time_limit=60)
        first = ht.verify_targets(p, plain.targets, objective="margin")
        worst = min(u.normalized_margin for layer in first.units for u in layer)
        assert r.info["min_normalized_margin"] >= worst - 1e-12


def test_exhaustive_margin_is_the_best_of_every_fit():
    # the independent truth: every zero-error setting the enumeration can meet, scored
    # by the reference QP; exhaustive with objective='margin' must return the best
    p = ht.load_problem("xor")
    best = -np.inf
    for bits in itertools.product((-1, 1), repeat=8):
        T = np.array(bits, dtype=np.int8).reshape(4, 2)
        rep = ht.verify_targets(p, [T])
        if not rep.feasible:
            continue
        layers = [(p.X, T), (T.astype(float), p.t.reshape(-1, 1))]
        ms = []
        for A, TT in layers:
            R = np.sqrt((A**2).sum(axis=1)).max()
            for j in range(TT.shape[1]):
                t = TT[:, j]
                ms.append(1.0 if abs(t.sum()) == len(t) else _svm_margin(A, t) / R)
        best = max(best, min(ms))
    r = ht.solve(p, (2,), "exhaustive", objective="margin")
    assert r.info["min_normalized_margin"] == pytest.approx(best, rel=1e-4)


# a start one flip away from two zero-error settings of different margins
_X = np.array([[3, 2], [-2, -2], [0, -3], [1, -3], [-1, 1], [1, 1]], dtype=float)
_Y = np.array([0, 1, 1, 1, 1, 1])
_T0 = np.array([[1, 1], [-1, -1], [1, -1], [1, -1], [-1, -1], [1, 1]], dtype=np.int8)


def _from_start(strategy, obj, **opts):
    p = ht.make_problem(_X, _Y)
    strat, ctx = prepare_search(p, (2,), strategy, objective=obj, seed=0, **opts)
    # the start (main's SearchContext._start: targets and the start network's weights)
    ctx._start = lambda method="random": (TargetSetting([_T0.copy()]), None)
    return p, run_strategy(strat, ctx)


@pytest.mark.parametrize("strategy", ["hill", "beam"])
def test_local_tie_break_prefers_the_larger_margin(strategy):
    p = ht.make_problem(_X, _Y)
    ev = Evaluator(p, (2,), objective="margin")
    start = ev.evaluate(TargetSetting([_T0]))
    assert start.errors == 1
    scores = []
    for i, j in itertools.product(range(6), range(2)):
        s = ev.evaluate(TargetSetting([_T0]).flipped(0, i, j))
        if s.errors == 0:
            scores.append(s.score[0])
    assert max(scores) - min(scores) > 0.05  # two fits, clearly different margins
    _, r = _from_start(strategy, "margin", max_neighbors=None)
    assert r.train_accuracy == 1.0
    assert r.info["min_normalized_margin"] == pytest.approx(max(scores), rel=1e-9)
    # the margin it reports is the reference QP's on its own targets
    rep = ht.verify_targets(p, r.targets)
    ms = []
    A = p.X
    for layer in rep.units:
        R = np.sqrt((A**2).sum(axis=1)).max()
        T = r.targets.layers[0] if layer[0].layer == 1 else p.t.reshape(-1, 1)
        ms += [_svm_margin(A, T[:, j]) / R for j in range(T.shape[1])]
        A = r.targets.layers[0].astype(float)
    assert min(ms) == pytest.approx(max(scores), rel=1e-4)


def test_rank_orders_loss_then_score():
    p = ht.make_problem(_X, _Y)
    ev = Evaluator(p, (2,), objective="margin")
    a = ev.evaluate(TargetSetting([_T0]).flipped(0, 5, 0))
    b = ev.evaluate(TargetSetting([_T0]).flipped(0, 5, 1))
    c = ev.evaluate(TargetSetting([_T0]))
    assert a.errors == b.errors == 0 and c.errors == 1
    hi, lo = (a, b) if a.score > b.score else (b, a)
    assert hi.rank < lo.rank < c.rank


# -- the keyword and the sat option ------------------------------------------------------------
def test_objective_keyword_and_the_sat_option():
    assert resolve_objective("sat-lp", "feasibility", {}) == (
        "errors",
        {"objective": "feasibility"},
    )
    assert resolve_objective("sat", "sparsity", {}) == ("sparsity", {"objective": "sparsity"})
    assert resolve_objective("sat-lp", "margin", {}) == ("margin", {})
    assert resolve_objective("beam", None, {}) == ("errors", {})
    p = ht.load_problem("xor")
    with pytest.raises(ht.HardTargetError, match="option of the strategies sat and sat-lp"):
        ht.solve(p, (2,), "beam", objective="feasibility")
    with pytest.raises(ht.HardTargetError, match="unknown objective 'wide'"):
        ht.solve(p, (2,), "beam", objective="wide")
    with pytest.raises(ht.HardTargetError, match="pulls two ways"):
        ht.solve(p, (2,), ht.search.SatSearch(objective="sparsity"), objective="margin")
    with pytest.raises(ht.HardTargetError, match="no DRAT proof"):
        ht.solve(p, (2,), ht.search.SatLP(proof="x.drat"), objective="margin")
    r = ht.solve(p, (2,), "sat-lp", objective="feasibility")  # as before: the sat-lp option
    assert r.status == "optimal" and r.info["objective"] == "feasibility"
    assert "search_objective" not in r.info


def test_cli_objective(capsys):
    base = ["solve", "-p", "parity:3", "--hidden", "3", "-s", "sat-lp", "--json", "-q"]
    assert main([*base, "--objective", "margin", "-o", "objective=feasibility"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["info"]["search_objective"] == "margin" and d["info"]["objective"] == "feasibility"
    assert d["info"]["min_normalized_margin"] > 0
    assert main([*base, "-o", "objective=feasibility"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["info"]["objective"] == "feasibility" and "search_objective" not in d["info"]
    bad = ["solve", "-p", "xor", "-s", "sat", "--objective", "margin", "-o", "objective=sparsity"]
    assert main(bad) == 2
    assert "pulls two ways" in capsys.readouterr().err
    assert main(["min-width", "-p", "xor", "--objective", "margin", "--json", "-q"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["width"] == 2 and d["result"]["info"]["search_objective"] == "margin"


# -- repair ----------------------------------------------------------------------------------------
def _fewest_flips_brute_force(p, T0) -> int:
    """Over every hidden setting: the least Hamming distance to T0 of a feasible one
    (every unit separable by scipy's LP, output targets the labels)."""
    best = None
    m, h = T0.shape
    for bits in itertools.product((-1, 1), repeat=m * h):
        T = np.array(bits, dtype=np.int8).reshape(m, h)
        d = int(np.count_nonzero(T != T0))
        if best is not None and d >= best:
            continue
        ok = all(_lp_separable(p.X, T[:, j]) for j in range(h)) and _lp_separable(
            T.astype(float), p.t
        )
        if ok:
            best = d
    return best


@pytest.mark.parametrize("method", ["exact", "auto"])
def test_repair_flips_the_fewest_targets(method):
    p = ht.load_problem("xor")
    T0 = np.where(p.X > 0, 1, -1).astype(np.int8)  # copies of the inputs: the output faces XOR
    r = ht.solve(p, (2,), "repair", start=TargetSetting([T0]), method=method)
    assert r.status == "feasible" and r.train_accuracy == 1.0
    assert r.info["start_errors"] >= 1 and r.info["minimal"] is True
    assert r.info["flips"] == _fewest_flips_brute_force(p, T0)
    assert r.info["flips"] == int(np.count_nonzero(r.targets.layers[0] != T0))
    assert ht.verify_targets(p, r.targets).feasible


def test_repair_from_a_network_and_with_margin():
    p = ht.load_problem("parity:3")
    start = ht.solve(p, (3,), "hill", max_states=3, seed=1).network
    r = ht.solve(p, (3,), "repair", start=start, objective="margin", time_limit=60)
    assert r.train_accuracy == 1.0
    _same_function(p, r, "margin")
    Zs = start.preactivations(p.X)[:-1]
    T0 = np.where(Zs[0] > 0, 1, -1)
    assert r.info["flips"] == int(np.count_nonzero(r.targets.layers[0] != T0))
    with pytest.raises(ht.HardTargetError, match="hidden widths"):
        ht.solve(p, (2,), "repair", start=start)


def test_polish_keeps_predictions_and_widens_every_unit():
    p = ht.load_problem("parity:3")
    net = ht.solve(p, (3,), "hill", max_states=2, seed=3).network  # may have errors
    wide, units = ht.polish(net, p.X)
    assert all(u.verified for u in units)
    Z = np.random.default_rng(1).normal(size=(20, 3))
    assert np.array_equal(wide.predict(p.X), net.predict(p.X))
    A = p.X
    k = 0
    for W_old, Zd in zip(net.weights, net.preactivations(p.X)):
        T = np.where(Zd > 0, 1, -1).astype(np.int8)
        for j in range(T.shape[1]):
            if abs(T[:, j].sum()) < len(T):  # a unit with both outputs
                assert units[k].margin == pytest.approx(_svm_margin(A, T[:, j]), rel=1e-4)
                old = normalized_margin(A, T[:, j], W_old[:, j])
                assert units[k].normalized_margin >= old - 1e-12
            k += 1
        A = T.astype(float)
    assert wide.predict(Z).shape == net.predict(Z).shape
    sparse, _ = ht.polish(net, p.X, objective="sparsity")
    assert np.array_equal(sparse.predict(p.X), net.predict(p.X))
    assert sum(np.count_nonzero(W[:-1]) for W in sparse.weights) <= sum(
        np.count_nonzero(W[:-1]) for W in net.weights
    )
