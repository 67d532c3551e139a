"""Typed results: one status enum, proof scopes an exact strategy must state, solver
results as dataclasses, a bug inside a solver reported as a bug (exit 3), and run state
kept off strategy objects."""

from __future__ import annotations

import json

import numpy as np
import pytest

import hardtarget as ht
from hardtarget import Status
from hardtarget.cli import main
from hardtarget.search import STRATEGIES, get_strategy, min_width, prepare_search, solve
from hardtarget.search.base import (
    RUN_SCOPE,
    BudgetExhausted,
    Interrupted,
    Strategy,
    result_from,
)
from hardtarget.search.exhaustive import Exhaustive
from hardtarget.search.result import STATUSES, SearchResult


def _sign(z):
    return np.where(z > 0, 1, -1)


# -- one status enum ------------------------------------------------------------------
def test_status_is_its_text_in_comparisons_json_and_saved_results():
    r = solve(ht.load_problem("xor"), (2,), "exhaustive")
    assert r.status is Status.OPTIMAL and r.status == "optimal" and f"{r.status}" == "optimal"
    text = json.dumps(r.to_dict())
    back = json.loads(text)
    assert back["status"] == "optimal" and type(back["status"]) is str
    assert back["status"] == r.status and Status(back["status"]) is r.status
    # a result built from a saved (plain-text) status holds the member
    loaded = SearchResult(
        **{**{k: getattr(r, k) for k in r.__dataclass_fields__}, "status": "time_limit"}
    )
    assert loaded.status is Status.TIME_LIMIT and not loaded.success
    assert [str(s) for s in STATUSES] == [
        "optimal",
        "feasible",
        "infeasible",
        "time_limit",
        "interrupted",
        "local_optimum",
    ]


def test_a_result_refuses_an_unknown_status():
    r = solve(ht.load_problem("xor"), (2,), "exhaustive")
    fields = {k: getattr(r, k) for k in r.__dataclass_fields__}
    with pytest.raises(ht.HardTargetError, match="unknown search status 'done'"):
        SearchResult(**{**fields, "status": "done"})


# -- proof scope ------------------------------------------------------------------------
def test_an_exact_strategy_without_a_proof_scope_is_refused_when_defined():
    with pytest.raises(TypeError, match="must declare proof_scope"):

        class Forgetful(Strategy):  # noqa: F841 (defining it is the test)
            name = "forgetful"
            exact = True

            def run(self, ctx):
                return Status.INFEASIBLE, "claims a proof"


class _BinaryProof(Strategy):
    """An exact strategy for a weight class that never writes ``info["proof_kind"]``."""

    name = "binary-proof-test"
    exact = True
    proof_scope = "binary weights"

    def run(self, ctx):
        return Exhaustive(minimize=False).validated().run(ctx)


def test_min_width_takes_what_a_proof_covers_from_the_declared_scope():
    r = min_width(ht.load_problem("xor"), strategy=_BinaryProof(), max_width=3)
    assert r.width == 2
    # not "proof": this strategy proves nothing for real weights
    assert r.proofs == {0: "proof for binary weights", 1: "proof for binary weights"}
    assert not r.proven
    full = min_width(ht.load_problem("xor"), max_width=3)
    assert full.proofs == {0: "proof", 1: "proof"} and full.proven
    assert full.results[1].info["proof_kind"] == "proof"
    assert full.results[1].info["proof"] == "real weights"


def _ctx(strategy="exhaustive", hidden=(1,), problem="xor", **kw):
    return prepare_search(ht.load_problem(problem), hidden, strategy, progress=False, **kw)


def test_an_infeasible_without_a_stated_scope_is_a_bug_not_a_proof():
    class RunScoped(Strategy):
        name = "run-scoped-test"
        exact = True
        proof_scope = RUN_SCOPE  # but the run never sets info["proof"]

        def run(self, ctx):
            return Status.INFEASIBLE, "forgot to say"

    class Heuristic(Strategy):
        name = "heuristic-test"

        def run(self, ctx):
            return Status.INFEASIBLE, "a heuristic proves nothing"

    for cls in (RunScoped, Heuristic):
        _, ctx = _ctx()
        with pytest.raises(TypeError, match="without a proof scope"):
            result_from(ctx, cls(), Status.INFEASIBLE, "x")
    _, ctx = _ctx()
    ctx.info["proof"] = "ternary weights"
    r = result_from(ctx, RunScoped(), Status.INFEASIBLE, "x")
    assert r.info["proof_kind"] == "proof for ternary weights"


def test_sat_states_its_weight_class_as_the_proof_scope():
    r = solve(ht.load_problem("xor"), (1,), "sat", backend="pysat", weights="binary")
    assert r.status == "infeasible" and r.info["proof_kind"] == "proof for binary weights"
    r = solve(ht.load_problem("xor"), (1,), "sat-lp")
    assert r.status == "infeasible" and r.info["proof_kind"] == "proof"


# -- solver results are dataclasses -----------------------------------------------------
def test_cpsat_and_pysat_solves_return_a_checked_solver_result():
    from hardtarget.search.sat._common import SolverResult, distinct_problem
    from hardtarget.search.sat.cpsat import CpNetwork
    from hardtarget.search.sat.pysat_bnn import PySatNetwork

    p = ht.load_problem("xor")
    rows = distinct_problem(p.X, p.t)
    for net in (
        CpNetwork(rows, (2,), "sign"),
        PySatNetwork(rows, (2,), "sign", "binary", True, "seqcounter", "glucose4"),
    ):
        out = net.solve(30.0)
        assert isinstance(out, SolverResult) and out.status is Status.OPTIMAL and out.solved
        # the solver's integer weights compute its own targets (sign(0) = -1)
        W1, W2 = out.solution.weights
        H = _sign(rows.U @ W1[:-1] + W1[-1])
        assert np.array_equal(H, out.solution.hidden[0])
        assert np.array_equal(_sign(H @ W2[:-1] + W2[-1])[:, 0], out.solution.y)
        assert np.array_equal(out.solution.y, np.where(rows.pos > 0, 1, -1))
    X = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    rows = distinct_problem(X, np.array([1, -1, 1]))
    out = CpNetwork(rows, (1,), "sign", objective="feasibility").solve()
    assert out.status is Status.INFEASIBLE and not out.solved and "identical inputs" in out.reason


def test_proposals_carry_a_status():
    from hardtarget.search.sat._common import distinct_problem
    from hardtarget.search.sat.proposers import PROPOSERS

    p = ht.load_problem("xor")
    rows = distinct_problem(p.X, p.t)
    for name, cls in PROPOSERS.items():
        prop = cls(rows, (1,), "feasibility", True, 0, 1)
        seen = set()
        while (res := prop.propose(None)).status is Status.FEASIBLE:
            column = res.hidden[0][:, 0]
            seen.add(tuple(column))
            prop.forbid([(v, bool(x > 0)) for v, x in zip(prop.H[0][:, 0], column)])
        # symmetry fixes the first row's target: the other three rows take all 8 patterns
        assert res.status is Status.INFEASIBLE and len(seen) == 8, name
        assert all(c[0] == -1 for c in seen)
        if hasattr(prop, "close"):
            prop.close()


# -- a bug in a solver is exit 3; a bad option is exit 2 ----------------------------------
def test_a_type_error_inside_a_unit_solver_is_a_bug(capsys):
    from hardtarget import registry

    def broken(A, t, s, *, budget=None):
        raise TypeError("unsupported operand in the solver")

    registry.register("unit_solvers", broken, name="broken_test")
    try:
        with pytest.raises(TypeError, match="unsupported operand"):
            ht.solve_unit([[0.0], [1.0]], [-1, 1], solver="broken_test")
        argv = ["solve", "-p", "xor", "--hidden", "2", "--strategy", "hill"]
        rc = main([*argv, "--solver", "broken_test"])
    finally:
        registry.unregister("unit_solvers", "broken_test")
    err = capsys.readouterr().err
    assert rc == 3, err
    assert "internal error: TypeError: unsupported operand" in err and "rerun with -v" in err


def test_bad_options_are_caught_by_their_declarations(capsys):
    with pytest.raises(
        ht.HardTargetError, match="'lp' has no option.*max_epochs; valid: max_margin"
    ):
        ht.solve_unit([[0.0], [1.0]], [-1, 1], solver="lp", max_epochs=3)
    rc = main(["solve", "-p", "xor", "--hidden", "2", "--strategy", "beam", "-o", "width=abc"])
    err = capsys.readouterr().err
    assert rc == 2 and "width" in err and "internal error" not in err


# -- run state off strategy objects ---------------------------------------------------------
_OPTIONS = {"sat": {"first_pass": False}, "sat-lp": {"first_pass": False}}


@pytest.mark.parametrize("name", sorted(STRATEGIES))
def test_a_run_leaves_its_strategy_as_configured(name):
    from sklearn.base import clone

    strat, ctx = _ctx(name, hidden=(2,), max_states=30, **_OPTIONS.get(name, {}))
    cfg = strat.validated()
    before = dict(vars(cfg))
    try:
        with ctx.signals:
            cfg.run(ctx)
    except (BudgetExhausted, Interrupted):
        pass
    finally:
        ctx.close()
    assert vars(cfg).keys() == before.keys(), sorted(set(vars(cfg)) - set(before))
    assert all(vars(cfg)[k] is v for k, v in before.items())
    # scikit-learn's clone works, and two runs of one instance give the same result
    s = get_strategy(name, seed=1, **_OPTIONS.get(name, {}))
    assert clone(s).get_params() == s.get_params()
    p = ht.load_problem("xor")
    r1, r2 = (solve(p, (2,), s, max_states=30, progress=False) for _ in range(2))
    assert (r1.status, r1.loss, r1.states_evaluated) == (r2.status, r2.loss, r2.states_evaluated)
    assert all(np.array_equal(a, b) for a, b in zip(r1.network.weights, r2.network.weights))


# -- verification speaks the same statuses -------------------------------------------------
def test_verification_reports_a_status_and_what_an_infeasible_covers():
    from hardtarget.search.sat.verify import sat_verify

    xor = ht.load_problem("xor")
    fits = [np.stack([_sign(xor.X.sum(1) - 1), _sign(xor.X.sum(1) + 1)], 1)]  # AND, OR
    bad = [xor.t.reshape(-1, 1)]  # one hidden unit asked for XOR itself
    assert ht.verify(xor, fits).status is Status.FEASIBLE
    assert ht.verify(xor, bad).status is Status.INFEASIBLE
    assert "problem xor: INFEASIBLE" in ht.verify(xor, bad).summary()
    r = sat_verify(xor, fits)
    assert r.status is Status.FEASIBLE and r.scope is None and r.verdict == "feasible"
    r = sat_verify(xor, bad)  # integer weights, complete for 2 Boolean inputs: a proof
    assert (r.status, r.scope, r.verdict) == (Status.INFEASIBLE, "real weights", "infeasible")
    r = sat_verify(xor, bad, backend="pysat")
    assert r.scope == "binary weights" and r.verdict == "infeasible for binary weights"
