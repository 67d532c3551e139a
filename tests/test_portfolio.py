"""The search portfolio: serial, loky processes and a Dask cluster give one answer."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import psutil
import pytest

import hardtarget as ht
from hardtarget.search.portfolio import SCHEDULER_ENV, Member, grid, portfolio

MEMBERS = grid(["hill", "beam"], seeds=range(2))
# without pruning, symmetry, the dichotomy walk or the first pass: exhaustive runs for hours
SLOW_EXHAUSTIVE = {
    "max_size": 1e30,
    "dichotomies": False,
    "symmetry": False,
    "prune": False,
    "first_pass": False,
}


@pytest.fixture(scope="module")
def cluster():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as c:
        yield c


def same(a, b) -> None:
    assert (a.status, a.loss, a.info["member"]) == (b.status, b.loss, b.info["member"])
    for Wa, Wb in zip(a.network.weights, b.network.weights):
        np.testing.assert_array_equal(Wa, Wb)


@pytest.mark.slow  # worker processes or a Dask cluster
def test_loky_and_dask_give_the_serial_answer(cluster, monkeypatch):
    p = ht.load_problem("parity:3")
    serial = portfolio(p, (3,), MEMBERS)
    assert serial.info["backend"] == "serial"
    assert ht.verify_targets(p, serial.targets).feasible == (serial.loss == 0)
    same(portfolio(p, (3,), MEMBERS, jobs=2), serial)
    same(portfolio(p, (3,), MEMBERS, scheduler=cluster.scheduler_address), serial)
    monkeypatch.setenv(SCHEDULER_ENV, cluster.scheduler_address)
    r = portfolio(p, (3,), MEMBERS)
    assert r.info["backend"] == "dask"
    same(r, serial)


@pytest.mark.slow  # worker processes or a Dask cluster
def test_the_best_member_wins_and_every_finished_member_is_reported():
    p = ht.load_problem("parity:4")
    members = [Member("hill", 0, {"init": "random"}), Member("exhaustive")]
    r = portfolio(p, (3,), members, jobs=2)
    # width 3 cannot fit parity:4; exhaustive proves the minimum (1 error), hill at best ties
    assert r.status == "infeasible" and r.loss == 1 and r.info["member"] == "exhaustive(seed=0)"
    assert [m["member"] for m in r.info["members"]] == [
        "hill(seed=0, init='random')",
        "exhaustive(seed=0)",
    ]
    assert r.info["members"][0]["loss"] >= 1


@pytest.mark.slow  # worker processes or a Dask cluster
def test_a_decisive_member_stops_the_ones_after_it():
    p = ht.load_problem("parity:4")
    slow = Member("exhaustive", 0, SLOW_EXHAUSTIVE)
    r = portfolio(p, (4,), [Member("exhaustive"), slow], jobs=2)
    assert r.status == "optimal"
    assert [m["member"] for m in r.info["members"]] == ["exhaustive(seed=0)"]
    cmd = {c: " ".join(c.cmdline()) for c in psutil.Process().children(recursive=True)}
    workers = [c for c, line in cmd.items() if "loky" in line and "resource_tracker" not in line]
    psutil.wait_procs(workers, timeout=30)
    assert not [c for c in workers if c.is_running() and c.status() != psutil.STATUS_ZOMBIE]


class _Clock:
    """A fake ``time`` module for the portfolio (and its budget's clock): ``time()`` moves
    by ``step`` at each look and otherwise only when told."""

    def __init__(self, now: float = 1000.0, step: float = 0.0):
        self.now, self.step = now, step

    def time(self) -> float:
        self.now += self.step
        return self.now - self.step


def test_every_member_gets_the_time_left_and_none_starts_after_the_deadline(monkeypatch):
    # the budget logic with an injected clock: each member here "takes" 2 s of it
    from hardtarget.budget import Budget
    from hardtarget.search import portfolio as pf

    clock, limits = _Clock(), []
    real = pf.prepare_search

    def prepare(*args, run_budget=None, **kw):
        limits.append(run_budget.remaining())
        clock.now += 2.0
        return real(*args, run_budget=run_budget, **kw)

    monkeypatch.setattr(pf, "time", clock)
    monkeypatch.setattr(pf, "prepare_search", prepare)
    # parity:5 at width 2 never fits: no member is decisive
    members = [Member("hill", seed, {"init": "random"}) for seed in range(4)]
    budget = Budget(time_limit=5, clock=clock.time)
    r = portfolio(ht.load_problem("parity:5"), (2,), members, run_budget=budget, max_states=3)
    assert limits == [5.0, 3.0, 1.0]  # the fourth member would start past the deadline
    assert [m["member"] for m in r.info["members"]] == [str(m) for m in members[:3]]
    assert all(m["status"] == "time_limit" for m in r.info["members"])  # the state limit
    assert r.wall_time == 6.0  # the portfolio's own clock
    clock = _Clock(step=10.0)  # every member looks past the deadline
    monkeypatch.setattr(pf, "time", clock)
    limits.clear()
    with pytest.raises(ht.HardTargetError, match="no portfolio member finished"):
        portfolio(
            ht.load_problem("parity:5"),
            (2,),
            members,
            run_budget=Budget(time_limit=5, clock=clock.time),
        )
    assert limits == []


@pytest.mark.slow  # worker processes or a Dask cluster
def test_the_time_limit_holds_for_every_member():
    # in worker processes: a member that cannot finish stops with status time_limit (how far
    # past the limit it returns is measured by benchmarks/bench_budgets.py, not asserted)
    p = ht.load_problem("parity:5")
    slow = Member("exhaustive", 0, {"max_size": 1e30})
    try:
        r = portfolio(p, (4,), [slow, Member("hill", 1)], jobs=2, time_limit=3)
    except ht.HardTargetError as exc:  # a machine so loaded that no worker started in time
        assert "no portfolio member finished before the time limit" in str(exc)
        return
    statuses = {m["member"]: m["status"] for m in r.info["members"]}
    assert statuses.get("exhaustive(seed=0, max_size=1e+30)", "time_limit") == "time_limit"
    assert r.status != "optimal"


def test_bad_portfolios_are_refused():
    p = ht.load_problem("xor")
    with pytest.raises(ht.HardTargetError, match="non-empty list"):
        portfolio(p, (2,), [])
    with pytest.raises(ht.HardTargetError, match="unknown strategy"):
        portfolio(p, (2,), [Member("nope")])
    with pytest.raises(ht.HardTargetError, match="width"):
        portfolio(p, (2,), [Member("beam", 0, {"width": 0})])
    with pytest.raises(ht.HardTargetError, match="jobs must be"):
        portfolio(p, (2,), jobs=0)
    with pytest.raises(ht.HardTargetError, match="time_limit must be"):
        portfolio(p, (2,), time_limit="soon")


@pytest.mark.slow  # worker processes or a Dask cluster
def test_cli_solve_with_jobs(capsys):
    from hardtarget.cli import main

    code = main(
        ["solve", "-p", "parity:3", "--hidden", "3", "-s", "hill", "--jobs", "2", "--json", "-q"]
    )
    d = json.loads(capsys.readouterr().out)
    assert code == (0 if d["loss"] == 0 else 1)
    assert d["info"]["backend"] == "loky" and d["info"]["member"].startswith("hill(seed=")
    assert len(d["info"]["members"]) >= 1


SCRIPT = """
import hardtarget as ht
from hardtarget.search.portfolio import Member, portfolio
slow = Member("exhaustive", 0, {"max_size": 1e30, "dichotomies": False, "symmetry": False,
                                "prune": False})
try:
    r = portfolio(ht.load_problem("parity:4"), (3,), [Member("hill"), slow, slow], jobs=2)
    print(r.status, flush=True)
except KeyboardInterrupt:
    print("KeyboardInterrupt", flush=True)
"""


@pytest.mark.slow  # worker processes or a Dask cluster
def test_ctrl_c_stops_every_worker_and_leaves_no_orphan():
    proc = subprocess.Popen([sys.executable, "-c", SCRIPT], stdout=subprocess.PIPE, text=True)
    me = psutil.Process(proc.pid)
    workers: list = []
    while len(workers) < 2 and proc.poll() is None:  # wait for both loky workers
        time.sleep(0.2)
        workers = [
            c
            for c in me.children(recursive=True)
            if "resource_tracker" not in " ".join(c.cmdline())
        ]
    time.sleep(1.0)
    os.kill(proc.pid, signal.SIGINT)
    out, _ = proc.communicate(timeout=120)
    assert out.strip() in ("interrupted", "KeyboardInterrupt")
    _, alive = psutil.wait_procs(workers, timeout=30)
    assert not alive


def _tiny() -> int:
    return 1


@pytest.mark.slow  # worker processes or a Dask cluster
def test_dask_members_after_a_decisive_one_are_stopped(cluster):
    from distributed import Client

    p = ht.load_problem("parity:4")
    slow = Member("exhaustive", 0, SLOW_EXHAUSTIVE)
    with Client(cluster, set_as_default=False) as client:
        r = portfolio(p, (4,), [Member("sat"), slow, slow], scheduler=client)
        assert r.status == "optimal" and r.info["backend"] == "dask"
        assert [m["member"] for m in r.info["members"]] == ["sat(seed=0)"]
        # both single-threaded workers take new work: the slow members saw the stop flag
        workers = list(client.scheduler_info()["workers"])
        futures = [client.submit(_tiny, workers=[w], pure=False) for w in workers]
        assert [f.result(timeout=60) for f in futures] == [1, 1]


@pytest.mark.slow  # worker processes or a Dask cluster
def test_bench_grid_on_dask_gives_the_serial_rows(cluster, tmp_path, monkeypatch):
    from hardtarget.cli import main
    from hardtarget.compare import run_suite

    suite = [("xor", (2,)), ("parity:3", (3,))]
    kw = {"strategies": ["exhaustive", "sat", "hill"], "seeds": (0, 1), "time_limit": 20}
    serial = run_suite(suite, **kw)
    dask = run_suite(suite, scheduler=cluster.scheduler_address, **kw)
    key = lambda r: (r["problem"], r["strategy"], r["seed"], r["status"], r["loss"])  # noqa: E731
    assert [key(r) for r in dask] == [key(r) for r in serial] and len(serial) == 12
    monkeypatch.setenv(SCHEDULER_ENV, cluster.scheduler_address)
    out = tmp_path / "bench"
    code = main(["bench", "--strategies", "beam", "--seeds", "1", "--out", str(out), "-q"])
    assert code == 0
    rows = json.loads((out / "results.json").read_text())["rows"]
    assert len(rows) == 6 and {r["strategy"] for r in rows} == {"beam"}


@pytest.mark.slow  # worker processes or a Dask cluster
def test_an_abandoned_dask_bench_grid_stops_its_running_tasks(cluster):
    from distributed import Client

    from hardtarget.compare import run_suite

    def interrupt(row):  # Ctrl-C as soon as the first row is in
        raise KeyboardInterrupt

    rows = run_suite(
        [("parity:4", (4,))],
        strategies=["sat", "exhaustive"],
        seeds=(0, 1),
        time_limit=3600,
        options={"exhaustive": SLOW_EXHAUSTIVE},
        scheduler=cluster.scheduler_address,
        on_result=interrupt,
    )
    assert len(rows) == 1 and rows[0]["strategy"] == "sat"
    with Client(cluster, set_as_default=False) as client:
        # both single-threaded workers take new work: the unpruned runs saw the stop flag
        workers = list(client.scheduler_info()["workers"])
        futures = [client.submit(_tiny, workers=[w], pure=False) for w in workers]
        assert [f.result(timeout=60) for f in futures] == [1, 1]
