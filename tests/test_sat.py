"""SAT/CP-SAT strategies: known answers, agreement with exhaustive search, proofs, bad input."""

import json
import sys
import threading

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import hardtarget as ht
from hardtarget.search import SatLP, SatSearch, sat_verify, solve
from hardtarget.units import check_certificate, check_certificate_support

BACKENDS = [
    ("sat", {}),
    ("sat", {"backend": "pysat"}),
    ("sat-lp", {}),
    ("sat-lp", {"backend": "cpsat"}),
]


def integer_network(r, act="sign"):
    Ws = [np.array(W, dtype=float) for W in r.info["integer_weights"]]
    return ht.Network(Ws, [act] * len(Ws))


def check_result(p, r):
    """The reported loss is what the returned network does; a success fits every point."""
    if r.network is not None:
        assert np.sum(r.network.predict(p.X) != p.t) == r.loss
    if r.success:
        assert r.loss == 0 and np.array_equal(r.network.predict(p.X), p.t)
        assert ht.verify_targets(p, r.targets).feasible
    if r.strategy == "sat-lp":
        for c in r.info["certificates"]:
            assert check_certificate_support(
                np.array(c["inputs"]), np.array(c["targets"]), np.array(c["lambda"])
            )


# -- known answers --------------------------------------------------------------------------
@pytest.mark.parametrize("strategy,opts", BACKENDS)
@pytest.mark.parametrize("spec,narrow", [("xor", 1), ("parity:3", 2)])
def test_minimal_widths_of_xor_and_parity3(strategy, opts, spec, narrow):
    p = ht.load_problem(spec)
    below = solve(p, (narrow,), strategy, **opts)
    assert below.status == "infeasible"
    fits = solve(p, (narrow + 1,), strategy, **opts)
    assert fits.status == "optimal"
    check_result(p, below)
    check_result(p, fits)
    if strategy == "sat":  # the solver's own integer (or binary) weights compute the labels
        assert np.array_equal(integer_network(fits).predict(p.X), p.t)
        w = np.concatenate(
            [np.ravel(np.array(W)[:-1]) for W in fits.info["integer_weights"]]
        )  # no biases
        assert set(np.abs(w).tolist()) <= ({1} if opts else {0, 1, 2})


def test_parity4_needs_four_hidden_units_cpsat():
    # Fung & Li 2001: n-bit parity needs n hidden units in one hidden layer
    p = ht.load_problem("parity:4")
    r3 = solve(p, (3,), "sat", objective="feasibility")
    assert r3.status == "infeasible" and r3.info["proof"] == "real weights"
    r4 = solve(p, (4,), "sat")
    assert r4.status == "optimal"
    check_result(p, r4)
    assert np.array_equal(integer_network(r4).predict(p.X), p.t)


@pytest.mark.parametrize(
    "opts", [{}, {"objective": "feasibility"}]
)  # (the cpsat proposer takes ~40 s here)
def test_parity4_needs_four_hidden_units_sat_lp(opts):
    p = ht.load_problem("parity:4")
    r3 = solve(p, (3,), "sat-lp", time_limit=60, **opts)
    assert r3.status == "infeasible" and r3.info["proof_kind"] == "proof"
    check_result(p, r3)
    if "objective" not in opts:  # the proven minimum
        assert r3.loss == solve(p, (3,), "sat").loss == 1
    r4 = solve(p, (4,), "sat-lp", time_limit=60, **opts)
    assert r4.status == "optimal"
    check_result(p, r4)


def test_parity4_binary_weights_with_pysat():
    p = ht.load_problem("parity:4")
    r3 = solve(p, (3,), "sat", backend="pysat")
    assert r3.status == "infeasible" and r3.info["proof"] == "binary weights"
    r4 = solve(p, (4,), "sat", backend="pysat", weights="ternary")
    assert r4.status == "optimal" and np.array_equal(integer_network(r4).predict(p.X), p.t)


def test_min_width_reports_the_kind_of_proof():
    p = ht.load_problem("parity:3")
    for strategy in ("sat", "sat-lp"):
        mw = ht.min_width(p, strategy=strategy)
        assert mw.width == 3 and mw.proven and mw.proofs == {0: "proof", 1: "proof", 2: "proof"}
    mw = ht.min_width(p, strategy="sat", backend="pysat")
    assert (
        mw.width == 3 and not mw.proven and set(mw.proofs.values()) == {"proof for binary weights"}
    )
    mw = ht.min_width(
        ht.load_problem("xor"), strategy="sat", weight_bound=1
    )  # 2 inputs: 1 is exact
    assert mw.width == 2 and mw.proven
    mw = ht.min_width(p, strategy="sat", weight_bound=1)  # 3 inputs need weights up to 2
    assert (
        mw.width == 3
        and not mw.proven
        and mw.proofs[2] == "proof for integer weights bounded by 1/1"
    )
    r = solve(
        ht.load_problem("planted:3-2-1:20:0"), (1,), "sat"
    )  # real inputs: never a real-weight proof
    assert r.info["proof"].startswith("integer weights bounded by")


def test_sat_lp_infeasible_answers_carry_checkable_certificates():
    p = ht.load_problem("parity:3")
    r = solve(p, (2,), "sat-lp", objective="feasibility")
    assert r.status == "infeasible" and r.info["certificates"]
    for c in r.info["certificates"]:
        A, t, lam = np.array(c["inputs"]), np.array(c["targets"]), np.array(c["lambda"])
        assert check_certificate_support(A, t, lam)
        if c["layer"] == 1:  # the support rows are the problem's inputs
            assert np.array_equal(A, p.X[c["rows"]])


# -- agreement with exhaustive search on random small problems -----------------------------
def _random_problem(seed, m, n, boolean):
    rng = np.random.default_rng(seed)
    X = rng.choice([-1.0, 1.0], size=(m, n)) if boolean else rng.normal(size=(m, n))
    y = rng.integers(0, 2, size=m)
    y[:2] = [0, 1]
    return ht.make_problem(X, y)


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10_000), st.integers(5, 8), st.sampled_from([(), (1,), (2,)]), st.booleans())
def test_sat_sat_lp_and_exhaustive_agree(seed, m, hidden, boolean):
    p = _random_problem(seed, m, 3 if boolean else 2, boolean)
    ex = solve(p, hidden, "exhaustive")
    lz = solve(p, hidden, "sat-lp")
    sa = solve(p, hidden, "sat")
    for r in (ex, lz, sa):
        assert r.status in ("optimal", "infeasible")
        check_result(p, r)
    assert lz.loss == ex.loss and lz.status == ex.status
    if boolean:  # exact weight bound: the same minimum
        assert sa.info["proof"] == "real weights"
        assert sa.loss == ex.loss and sa.status == ex.status
    else:  # bounded integer weights on rounded inputs: sound, maybe not minimal
        assert sa.loss >= ex.loss
    if sa.network is not None and boolean:
        assert np.sum(integer_network(sa).predict(p.X) != p.t) == sa.loss
    pb = solve(p, hidden, "sat", backend="pysat") if boolean else None
    if pb is not None:  # binary weights fit only if real ones do
        assert pb.status in ("optimal", "infeasible")
        assert not (pb.status == "optimal" and ex.status == "infeasible")


@settings(max_examples=10, deadline=None)
@given(st.integers(0, 10_000), st.sampled_from(["sign", "step"]))
def test_cpsat_and_pysat_agree_on_binary_weights(seed, act):
    p = _random_problem(seed, 8, 3, True)
    a = solve(p, (2,), "sat", weights="binary", objective="feasibility", activation=act)
    b = solve(p, (2,), "sat", backend="pysat", activation=act)
    assert a.status == b.status
    for r in (a, b):
        if r.success:
            assert np.array_equal(integer_network(r, act).predict(p.X) > 0, p.t > 0)


@settings(max_examples=10, deadline=None)
@given(st.integers(0, 10_000), st.sampled_from(["cpsat", "pysat"]))
def test_sat_verify_cross_checks_the_lp(seed, backend):
    p = ht.load_problem("parity:3")
    rng = np.random.default_rng(seed)
    T = rng.choice([-1, 1], size=(8, 2)) if seed % 2 else solve(p, (3,), "sat", seed=seed).targets
    r = sat_verify(p, T, backend=backend)
    assert r.agree
    if backend == "cpsat":
        assert r.exact and r.feasible == bool(ht.verify_targets(p, T).feasible)


# -- objectives, options, budgets -------------------------------------------------------------
def test_sparsity_objective_and_hint_and_two_hidden_layers():
    p = ht.load_problem("parity:3")
    dense = solve(p, (3,), "sat")
    sparse = solve(p, (3,), "sat", objective="sparsity")
    assert sparse.status == "optimal"
    nnz = lambda r: sum(np.count_nonzero(np.array(W)[:-1]) for W in r.info["integer_weights"])  # noqa: E731
    assert nnz(sparse) <= nnz(dense) and sparse.info["objective"] == nnz(sparse)
    assert np.array_equal(integer_network(sparse).predict(p.X), p.t)
    hinted = solve(p, (3,), "sat", hint="random")
    assert hinted.status == "optimal" and hinted.states_evaluated == 2
    deep = solve(ht.load_problem("parity:3"), (3, 2), "sat", activation="step")
    assert deep.status == "optimal"
    assert np.array_equal(integer_network(deep, "step").predict(p.X) > 0, p.t > 0)


@pytest.mark.parametrize("strategy", ["sat", "sat-lp"])
def test_time_limit_returns_time_limit(strategy):
    # the contract, not the clock (benchmarks/bench_budgets.py measures the overrun)
    p = ht.load_problem("parity:7")
    r = solve(p, (5,), strategy, time_limit=1.0)
    assert r.status == "time_limit"
    assert (r.network is not None) == (r.states_evaluated > 0)
    if r.network is not None:  # the best so far is a real network, scored as it says
        z = r.network.decision_function(p.X).ravel()
        errors = int(np.count_nonzero((z > 0) != (p.t > 0)))
        assert r.train_accuracy == 1 - errors / p.n_samples


def test_sat_lp_stopped_on_one_layer_points_to_output_split():
    p = ht.load_problem("parity:5")
    r = solve(p, (3,), "sat-lp", first_pass=False, max_rounds=1, orbits=False)
    assert r.status == "time_limit" and "'output-split' decides" in r.message
    deep = solve(p, (3, 2), "sat-lp", first_pass=False, max_rounds=1, orbits=False)
    assert deep.status == "time_limit" and "output-split" not in deep.message


def test_same_seed_same_answer():
    p = ht.load_problem("parity:4")
    for name in ("sat", "sat-lp"):
        a = solve(p, (4,), name, seed=5)
        b = solve(p, (4,), name, seed=5)
        assert a.targets == b.targets and a.info.get("rounds") == b.info.get("rounds")


# -- bad input -----------------------------------------------------------------------------------
def test_bad_sat_input(monkeypatch):
    p = ht.load_problem("xor")
    for bound in (0, -3, 1.5, "big"):
        with pytest.raises(ht.HardTargetError, match="weight_bound must be an integer >= 1"):
            solve(p, (2,), "sat", weight_bound=bound)
    # options are checked when a run starts, not when the strategy is built (scikit-learn's rule)
    with pytest.raises(ht.HardTargetError, match="one of cpsat, pysat"):
        solve(p, (2,), SatSearch(backend="gurobi"))
    with pytest.raises(ht.HardTargetError, match="feasibility only"):
        solve(p, (2,), SatSearch(backend="pysat", objective="errors"))
    with pytest.raises(ht.HardTargetError, match="binary or ternary"):
        solve(p, (2,), SatSearch(backend="pysat", weights="integer"))
    with pytest.raises(ht.HardTargetError, match="objective must be one of errors, feasibility"):
        solve(p, (2,), SatLP(objective="sparsity"))
    with pytest.raises(ht.HardTargetError, match="workers must be an integer >= 1"):
        solve(p, (2,), "sat-lp", workers=0)
    with pytest.raises(ht.HardTargetError, match="loss='errors'"):
        solve(p, (2,), "sat", loss="hinge")
    with pytest.raises(ht.HardTargetError, match="integer inputs"):
        solve(ht.load_problem("planted:3-2-1:20:0"), (2,), "sat", backend="pysat")
    monkeypatch.setitem(sys.modules, "ortools.sat.python.cp_model", None)
    with pytest.raises(ht.HardTargetError, match=r"pip install 'ortools"):
        solve(p, (2,), "sat")
    with pytest.raises(ht.HardTargetError, match=r"pip install 'ortools"):
        solve(p, (2,), "sat-lp", backend="cpsat")
    monkeypatch.setitem(sys.modules, "pysat.card", None)
    with pytest.raises(ht.HardTargetError, match=r"python-sat\[pb\]"):
        solve(p, (2,), "sat", backend="pysat")
    monkeypatch.setitem(sys.modules, "pysat.solvers", None)
    with pytest.raises(ht.HardTargetError, match=r"python-sat\[pb\]"):
        solve(p, (2,), "sat-lp")


def test_unsatisfiable_is_an_answer_not_an_error():
    p = ht.make_problem([[0.0], [0.0], [1.0]], [0, 1, 1])  # the same input with both labels
    for name, opts in BACKENDS + [
        ("sat", {"objective": "feasibility"}),
        ("sat-lp", {"objective": "feasibility"}),
    ]:
        r = solve(p, (2,), name, **opts)
        assert r.status == "infeasible", (name, opts)
        if r.network is not None:
            assert r.loss == 1


def test_cli_min_width_and_solve_with_sat(capsys):
    from hardtarget.cli import main

    assert main(["min-width", "-p", "xor", "-s", "sat", "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["width"] == 2 and d["proven_minimal"] and d["below"] == {"0": "proof", "1": "proof"}
    assert main(["min-width", "-p", "xor", "-s", "sat", "-o", "backend=pysat"]) == 0
    assert "proof for binary weights" in capsys.readouterr().out
    assert main(["solve", "-p", "parity:3", "--hidden", "3", "-s", "sat-lp", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["status"] == "optimal"


def test_cli_verify_with_sat_encodings(tmp_path, capsys):
    from hardtarget.cli import main

    p = ht.load_problem("xor")
    and_or = np.stack([np.where(p.X.sum(1) > 1, 1, -1), np.where(p.X.sum(1) > -1, 1, -1)], 1)
    np.savez(tmp_path / "good.npz", T1=and_or)
    np.savez(tmp_path / "bad.npz", T1=np.stack([p.t, p.t], 1))  # a hidden unit asked for XOR itself
    assert (
        main(
            [
                "verify",
                "-p",
                "xor",
                "--targets",
                str(tmp_path / "good.npz"),
                "--sat",
                "cpsat",
                "--json",
            ]
        )
        == 0
    )
    d = json.loads(capsys.readouterr().out)
    assert d["feasible"] and d["exact"] and d["agree"] and d["lp_feasible"]
    assert (
        main(["verify", "-p", "xor", "--targets", str(tmp_path / "bad.npz"), "--sat", "pysat"]) == 1
    )
    out = capsys.readouterr().out
    assert "layer 1 unit 0: pysat no fit" in out and "agrees with the LP" in out
    assert main(["verify", "-p", "xor", "--weights", "binary"]) == 2  # a SAT option without --sat
    assert "add --sat" in capsys.readouterr().err


@pytest.mark.slow  # a child process per case
@pytest.mark.parametrize("strategy", ["sat", "sat-lp", "sat-lp:cpsat", "sat:pysat"])
def test_ctrl_c_inside_a_solver_returns_interrupted(strategy):
    import signal
    import subprocess

    name, _, backend = strategy.partition(":")
    cmd = [
        sys.executable,
        "-m",
        "hardtarget",
        "solve",
        "-p",
        "parity:8",
        "--hidden",
        "6",
        "-s",
        name,
        "--json",
    ]
    if backend:
        cmd += ["-o", f"backend={backend}"]
    # the child logs (DEBUG) when a solver starts: the readiness signal, not a sleep
    child = (
        "import logging, sys; from hardtarget.cli import main; "
        "logging.getLogger('hardtarget.search.sat').setLevel(logging.DEBUG); "
        "sys.exit(main(sys.argv[1:]))"
    )
    cmd = [sys.executable, "-c", child, *cmd[3:]]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    guard = threading.Timer(300, proc.kill)  # a safety net against a hang, not an assert
    guard.start()
    try:
        seen = []
        for line in proc.stderr:
            seen.append(line)
            if "solving: Ctrl-C stops it" in line:
                break
        assert proc.poll() is None, "".join(seen)[-2000:]  # still running, inside a solver
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate()
    finally:
        guard.cancel()
    assert out and json.loads(out)["status"] == "interrupted", err[-2000:]


@pytest.mark.parametrize("opts", [{"first_pass": False}, {"backend": "pysat"}])
def test_the_budget_is_checked_while_the_model_is_built(opts, monkeypatch):
    # a budget that runs out at its 50th look: only building the model looks that often
    from hardtarget.budget import Budget, BudgetExhausted

    looks = {"n": 0}

    class Looked(Budget):
        def check(self):
            looks["n"] += 1
            if looks["n"] >= 50:
                raise BudgetExhausted("time limit of 1 s reached")
            super().check()

    r = solve(ht.load_problem("parity:5"), (4,), "sat", run_budget=Looked(time_limit=1), **opts)
    assert looks["n"] == 50 and r.status == "time_limit"
    assert "solver_status" not in r.info  # the solver never ran
    assert r.network is None and "no network was found" in r.message


def test_large_cpsat_models_skip_symmetry_detection():
    """CP-SAT's presolve symmetry detection ignores time limits (50 s past a 5 s limit on
    parity:3 with 10,000 hidden units), so models past the threshold go without it."""
    from ortools.sat.python import cp_model

    from hardtarget.search.sat._common import SYMMETRY_MAX_VARIABLES, solve_stoppable

    for n, level in ((10, 2), (SYMMETRY_MAX_VARIABLES + 1, 0)):
        model = cp_model.CpModel()
        xs = [model.new_bool_var("") for _ in range(n)]
        model.add(sum(xs[:2]) >= 1)
        solver = cp_model.CpSolver()
        assert solver.parameters.symmetry_level == 2  # CP-SAT's default
        assert solve_stoppable(solver, model) in (cp_model.OPTIMAL, cp_model.FEASIBLE)
        assert solver.parameters.symmetry_level == level


# -- sat-lp levers: symmetric cuts, separated codes, a DRAT proof ------------------------------
def rup_check(cnf_path: str, proof_path: str) -> bool:
    """Independent check of a DRAT proof made only of RUP lemmas: each lemma's negation
    unit-propagates to a conflict on the formula and the lemmas before it (deletions are
    ignored: keeping clauses only helps propagation, and every kept clause is implied);
    the proof must derive the empty clause."""
    with open(cnf_path) as f:
        clauses = [
            [int(v) for v in line.split()[:-1]]
            for line in f
            if line[0] not in "pc" and line.strip()
        ]
    with open(proof_path) as f:
        lemmas = [[int(v) for v in line.split()[:-1]] for line in f if not line.startswith("d")]

    def conflict(assign: dict) -> bool:
        changed = True
        while changed:
            changed = False
            for c in clauses:
                free = [v for v in c if -v not in assign]
                if any(v in assign for v in free):
                    continue  # satisfied
                if not free:
                    return True
                if len(free) == 1:
                    assign[free[0]] = True
                    changed = True
        return False

    for lemma in lemmas:
        if not conflict({-v: True for v in lemma}):
            return False
        clauses.append(lemma)
        if not lemma:
            return True
    return False


def test_sat_lp_proof_files_check(tmp_path):
    p = ht.load_problem("parity:3")
    path = str(tmp_path / "p3w2.drat")
    r = solve(p, (2,), "sat-lp", objective="feasibility", summable=False, proof=path)
    assert r.status == "infeasible" and r.info["proof_file"] == path
    assert r.info["symmetric_cuts"] > 0 and rup_check(path + ".cnf", path)
    for c in r.info["symmetric_certificates"]:
        assert np.array_equal(np.array(c["inputs"]), p.X[c["rows"]])
    r = solve(p, (2,), "sat-lp", objective="feasibility", proof=path)
    assert r.status == "infeasible"
    assert rup_check(path + ".cnf", path)
    with open(path + ".json") as f:
        certs = json.load(f)
    assert r.info["summable_cuts"] > 0  # x_a + x_b = x_c + x_d on the cube
    for c in certs["certificates"] + certs["symmetric_certificates"]:
        A = np.array(c["inputs"])
        assert check_certificate(A, np.array(c["targets"]), np.array(c["lambda"]))
        if c["layer"] == 1:
            assert np.array_equal(A, p.X[c["rows"]])
    # the proof of the minimum error count is plain too (bounds are clauses, not assumptions)
    r = solve(p, (2,), "sat-lp", proof=path)
    assert r.status == "infeasible" and r.loss == 1 and rup_check(path + ".cnf", path)
    with pytest.raises(ht.HardTargetError, match="pysat"):
        solve(p, (2,), "sat-lp", backend="cpsat", proof=path)


@pytest.mark.parametrize("seed", range(4))
def test_sat_lp_levers_agree_with_exhaustive(seed):
    # labels that depend on the number of +1 inputs: a large point symmetry group
    X = np.array(np.meshgrid(*[[-1, 1]] * 4)).reshape(4, -1).T.astype(float)
    f = np.random.default_rng(seed).choice((-1, 1), size=5)
    p = ht.make_problem(X, f[(X > 0).sum(axis=1)])
    for width in (1, 2):
        truth = solve(p, (width,), "exhaustive", symmetry=False, point_symmetry=False)
        opts_list = ({}, {"point_symmetry": False}, {"separate": False}, {"summable": False})
        for opts in opts_list:
            r = solve(p, (width,), "sat-lp", **opts)
            assert r.status == truth.status and r.loss == truth.loss, (width, opts)
            check_result(p, r)
            for c in r.info["symmetric_certificates"]:
                assert check_certificate_support(
                    np.array(c["inputs"]), np.array(c["targets"]), np.array(c["lambda"])
                )


def test_sat_lp_proof_clauses_rebuilt_from_the_certificates(tmp_path):
    # every first-layer cut clause in the CNF is what its certificate forbids: the targets
    # (and their negation) on its rows, for every hidden unit
    p = ht.load_problem("parity:3")
    path = str(tmp_path / "p.drat")
    for opts in ({}, {"summable": False}):
        r = solve(p, (2,), "sat-lp", objective="feasibility", proof=path, **opts)
        assert r.status == "infeasible" and rup_check(path + ".cnf", path)
        with open(path + ".cnf") as f:
            cnf = [
                frozenset(int(v) for v in line.split()[:-1]) for line in f if line[0] not in "pc"
            ]
        with open(path + ".json") as f:
            doc = json.load(f)
        H = np.array(doc["variables"]["hidden"][0])
        distinct = {s: i for i, s in enumerate(doc["variables"]["rows"])}
        spans = []
        for c in doc["certificates"] + doc["symmetric_certificates"]:
            assert check_certificate(
                np.array(c["inputs"]), np.array(c["targets"]), np.array(c["lambda"])
            )
            lo, hi = c["clauses"]
            spans.append((lo, hi))
            if c["layer"] != 1:
                continue
            rows = [distinct[s] for s in c["rows"]]
            want = {
                frozenset(
                    -int(H[i, j]) if sg * t > 0 else int(H[i, j])
                    for i, t in zip(rows, c["targets"])
                )
                for j in range(H.shape[1])
                for sg in (1, -1)
            }
            if lo == hi:  # an image of an earlier cut: its clauses are already there
                assert want <= set(cnf)
            else:
                assert set(cnf[lo:hi]) == want
        spans.sort()
        assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:]))  # each clause once
