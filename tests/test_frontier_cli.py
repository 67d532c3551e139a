"""``-o solver=`` (the SAT solver of sat/sat-lp) next to ``--solver`` (the unit solver)."""

import json

import pytest

import hardtarget as ht
from hardtarget.cli import main
from hardtarget.search.portfolio import Member, portfolio
from hardtarget.search.sat import proposers


@pytest.fixture
def sat_names(monkeypatch):
    """The PySAT solver name each SatProposer was built with."""
    seen = []
    init = proposers.SatProposer.__init__

    def spy(self, *a, solver="glucose4", **kw):
        seen.append(solver)
        init(self, *a, solver=solver, **kw)

    monkeypatch.setattr(proposers.SatProposer, "__init__", spy)
    return seen


def test_sat_lp_option_solver_goes_to_the_strategy(sat_names, capsys):
    argv = ["solve", "-p", "xor", "--hidden", "1", "--strategy", "sat-lp", "--json"]
    argv += ["-o", "solver=minisat22", "-o", "first_pass=false", "--solver", "lp"]
    assert main(argv) == 1  # xor needs 2 hidden units: a proof, not a crash (exit 3)
    d = json.loads(capsys.readouterr().out)
    assert d["status"] == "infeasible"
    assert sat_names == ["minisat22"]


def test_sat_option_solver_and_unit_solver_are_each_checked(capsys):
    base = ["solve", "-p", "xor", "--hidden", "2", "--strategy", "sat"]
    assert main([*base, "-o", "solver=nope"]) == 2
    err = capsys.readouterr().err
    assert "option solver" in err and "glucose4" in err and "Traceback" not in err
    assert main([*base, "-o", "solver=glucose4", "--solver", "nope"]) == 2
    err = capsys.readouterr().err
    assert "nope" in err and "lp" in err and "Traceback" not in err


def test_min_width_option_solver_goes_to_the_strategy(sat_names, capsys):
    argv = ["min-width", "-p", "xor", "--strategy", "sat-lp", "--max-width", "2"]
    argv += ["-o", "solver=minisat22", "-o", "first_pass=false", "--json"]
    assert main(argv) == 0
    assert json.loads(capsys.readouterr().out)["width"] == 2
    assert sat_names and set(sat_names) == {"minisat22"}


def test_portfolio_member_solver_option_beside_unit_solver(sat_names):
    m = Member("sat-lp", 0, {"solver": "minisat22", "first_pass": False})
    r = portfolio(ht.load_problem("xor"), (1,), [m], jobs=1, solver="lp")
    assert r.status == "infeasible"
    assert sat_names == ["minisat22"]
