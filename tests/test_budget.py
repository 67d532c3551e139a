"""The one deadline/cancel object: limits, cancellation, phases and other processes, on an
injected clock (no sleeps, no wall-clock asserts)."""

from __future__ import annotations

import pickle
import threading

import pytest

import hardtarget.search as hs
from hardtarget.budget import (
    Budget,
    BudgetExhausted,
    FileChannel,
    Interrupted,
    RemoteBudget,
)
from hardtarget.errors import HardTargetError, StopRequested


class Clock:
    """A clock that moves only when told."""

    def __init__(self, t: float = 100.0):
        self.t = t

    def __call__(self) -> float:
        return self.t


def test_the_search_budget_is_the_one_budget_and_keeps_its_fields():
    assert hs.Budget is Budget
    b = hs.Budget(5, 10)
    assert (b.time_limit, b.max_states) == (5, 10)
    assert issubclass(BudgetExhausted, StopRequested) and issubclass(Interrupted, StopRequested)
    from hardtarget.search.context import BudgetExhausted as B2
    from hardtarget.search.context import Interrupted as I2

    assert (B2, I2) == (BudgetExhausted, Interrupted)


@pytest.mark.parametrize(
    "kw", [{"time_limit": 0}, {"time_limit": -1}, {"time_limit": "5"}, {"max_states": 0}]
)
def test_bad_limits_are_refused_with_the_valid_range(kw):
    with pytest.raises(HardTargetError, match=">"):
        Budget(**kw)


def test_numpy_limits_are_kept_as_python_numbers():
    """A numpy limit (a JSON report cannot hold an np.int64) is kept as an int or float."""
    import json

    import numpy as np

    b = Budget(time_limit=np.float32(0.5), max_states=np.int64(3))
    assert type(b.time_limit) is float and type(b.max_states) is int
    assert (b.time_limit, b.max_states) == (0.5, 3)
    json.dumps({"time_limit": b.time_limit, "max_states": b.max_states})
    assert Budget(time_limit=2).time_limit == 2  # a Python number is kept as given


def test_time_limit_counts_from_creation_on_the_injected_clock():
    c = Clock()
    b = Budget(time_limit=10, clock=c)
    assert b.remaining() == 10 and not b.expired()
    b.check()
    c.t += 9.5
    assert b.remaining() == pytest.approx(0.5) and not b.stopped()
    c.t += 0.5
    assert b.expired() and b.stopped() and b.remaining() == 0.0
    with pytest.raises(BudgetExhausted, match="time limit of 10 s reached"):
        b.check()


def test_no_limits_never_stop():
    b = Budget(clock=Clock())
    assert b.remaining() is None and b.states_left() is None
    b.spend(10**6)
    b.check()
    assert not b.stopped()


def test_state_limit_counts_spent_states():
    b = Budget(max_states=3, clock=Clock())
    b.spend(2)
    b.check()
    assert b.states_left() == 1
    b.spend()
    with pytest.raises(BudgetExhausted, match="state limit of 3 reached"):
        b.check()
    b.spend(-1)  # a state counted twice taken back
    b.check()


def test_cancel_wins_over_limits_and_keeps_the_first_reason():
    c = Clock()
    b = Budget(time_limit=1, clock=c)
    c.t += 5
    b.cancel("stop now")
    b.cancel("later")
    assert b.cancelled and b.reason == "stop now"
    with pytest.raises(Interrupted, match="stop now"):
        b.check()
    assert Budget().reason is None


def test_default_cancel_reason_is_the_users_interrupt():
    b = Budget()
    b.cancel()
    with pytest.raises(Interrupted, match="interrupted by the user"):
        b.check()


def test_on_cancel_hooks_run_on_every_cancel_only_inside_the_block():
    b = Budget()
    calls = []
    with b.on_cancel(lambda: calls.append(1)):
        b.cancel()
        b.cancel()  # again: a solver that started after the first one is stopped too
    b.cancel()
    assert calls == [1, 1]


def test_on_cancel_calls_at_once_when_already_cancelled_and_ignores_hook_errors():
    b = Budget()
    b.cancel()
    calls = []

    def bad():
        calls.append(1)
        raise RuntimeError("already finished")

    with b.on_cancel(bad):
        pass
    assert calls == [1]


def test_child_never_outlives_its_parent():
    c = Clock()
    parent = Budget(time_limit=10, clock=c)
    assert parent.child(seconds=100).remaining() == 10
    assert parent.child(seconds=3).remaining() == 3
    c.t += 4
    half = parent.child(share=0.5)  # half of the 6 s left
    assert half.remaining() == pytest.approx(3)
    c.t += 3
    assert half.expired() and not parent.expired()
    with pytest.raises(BudgetExhausted):
        half.check()
    free = Budget(clock=c).child(share=0.5)  # a share of no limit is no limit
    assert free.remaining() is None
    with pytest.raises(HardTargetError, match="share"):
        parent.child(share=2)


def test_cancelling_a_parent_cancels_its_children_and_their_hooks():
    parent = Budget()
    kid = parent.child(seconds=5)
    grandkid = kid.child()
    calls = []
    with grandkid.on_cancel(lambda: calls.append("gk")):
        parent.cancel("portfolio decided")
    assert kid.cancelled and grandkid.cancelled and calls == ["gk"]
    with pytest.raises(Interrupted, match="portfolio decided"):
        grandkid.check()
    # cancelling a child leaves the parent running
    p2 = Budget()
    p2.child().cancel()
    assert not p2.cancelled


def test_child_states_count_against_the_parent():
    parent = Budget(max_states=5, clock=Clock())
    parent.spend(2)
    phase = parent.child(max_states=10)  # capped by the parent's 3 left
    assert phase.states_left() == 3
    phase.spend(3)
    assert parent.states == 5 and parent.expired()
    small = Budget(clock=Clock()).child(max_states=2)
    small.spend(2)
    with pytest.raises(BudgetExhausted, match="state limit of 2"):
        small.check()


def test_extended_budget_finishes_begun_work_past_the_deadline_and_past_a_cancel():
    c = Clock()
    b = Budget(time_limit=2, max_states=1, clock=c)
    b.spend()
    grace = b.extended(0.5)
    b.cancel()
    c.t += 2.2
    assert b.stopped() and not grace.stopped()  # no state limit, not cancelled with b
    grace.spend()
    assert b.states == 2
    c.t += 0.3
    with pytest.raises(BudgetExhausted, match="time limit of 2 s reached"):
        grace.check()
    assert Budget(clock=c).extended(1).remaining() is None


def test_cancel_from_another_thread_is_seen():
    b = Budget()
    t = threading.Thread(target=b.cancel)
    t.start()
    t.join()
    assert b.stopped()


def test_concurrent_spends_are_all_counted():
    b = Budget()

    def spend():
        for _ in range(1000):
            b.spend()

    ts = [threading.Thread(target=spend) for _ in range(4)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert b.states == 4000


class Flag:
    """An in-process cancel channel whose ``is_set`` reports each look."""

    def __init__(self):
        self.event = threading.Event()
        self.looked = threading.Event()

    def set(self):
        self.event.set()

    def is_set(self):
        self.looked.set()
        return self.event.is_set()


def test_remote_budget_keeps_the_deadline_and_states_left(monkeypatch):
    import hardtarget.budget as hb

    c = Clock()
    b = Budget(time_limit=10, max_states=7, clock=c)
    b.spend(3)
    c.t += 4
    monkeypatch.setattr(hb.time, "time", lambda: 1000.0)
    r = b.remote()
    assert r == RemoteBudget(deadline=1006.0, max_states=4, channel=None)
    assert pickle.loads(pickle.dumps(r)) == r
    monkeypatch.setattr(hb.time, "time", lambda: 1001.0)
    wc = Clock(50.0)
    with r.open(clock=wc) as worker:
        assert worker.remaining() == 5.0 and worker.states_left() == 4
    monkeypatch.setattr(hb.time, "time", lambda: 1007.0)
    with r.open(clock=wc) as late:
        assert late.expired()  # the deadline passed before the worker started
    assert Budget().remote() == RemoteBudget()


def test_remote_budget_is_cancelled_through_its_channel():
    flag = Flag()
    parent = Budget()
    r = parent.remote(flag)
    with r.open(poll=0.001) as worker:
        assert flag.looked.wait(10)  # the watcher runs
        assert not worker.cancelled
        with parent.on_cancel(flag.set):
            parent.cancel()
        cancelled = threading.Event()
        with worker.on_cancel(cancelled.set):
            assert cancelled.wait(10)
    with pytest.raises(Interrupted, match="interrupted by the user"):
        worker.check()


def test_remote_budget_already_cancelled_starts_cancelled(tmp_path):
    ch = FileChannel(str(tmp_path / "stop"))
    assert not ch.is_set()
    ch.set()
    assert ch.is_set()
    with RemoteBudget(channel=ch).open() as worker:
        assert worker.cancelled


def test_a_broken_channel_leaves_the_deadline_in_charge():
    class Broken:
        def __init__(self):
            self.looked = threading.Event()

        def set(self):
            pass

        def is_set(self):
            self.looked.set()
            raise ConnectionError("client gone")

        def __eq__(self, other):
            return self is other

        def __hash__(self):
            return id(self)

    ch = Broken()
    with RemoteBudget(channel=ch).open(poll=0.001) as worker:
        assert ch.looked.wait(10)
    assert not worker.cancelled


# -- the budget at the entry points -------------------------------------------------------
def test_a_cancelled_run_budget_returns_the_start_network_as_interrupted():
    import hardtarget as ht

    b = ht.Budget()
    b.cancel()
    r = ht.solve(ht.load_problem("parity:4"), (3,), "hill", run_budget=b, seed=0, progress=False)
    assert r.status == "interrupted" and r.network is not None and r.states_evaluated == 0
    assert r.info["best_is_start_network"] is True


def test_a_run_with_its_own_limits_gets_a_child_that_counts_on_the_callers_budget():
    import hardtarget as ht

    b = ht.Budget(max_states=100)
    r = ht.solve(
        ht.load_problem("parity:5"),
        (2,),
        "hill",
        run_budget=b,
        max_states=4,
        seed=0,
        progress=False,
        init="random",
    )
    assert r.status == "time_limit" and r.states_evaluated == 4  # the child's limit
    assert b.states == 4 and not b.stopped()
    with pytest.raises(HardTargetError, match="run_budget must be"):
        ht.solve(ht.load_problem("xor"), (2,), "hill", run_budget=5)


def test_a_portfolio_cancelled_before_any_member_says_so():
    import hardtarget as ht
    from hardtarget.search.portfolio import grid, portfolio

    b = ht.Budget()
    b.cancel()
    with pytest.raises(HardTargetError, match="cancelled before any member"):
        portfolio(ht.load_problem("xor"), (2,), grid(["hill"]), run_budget=b)


def test_a_dask_channel_travels_by_name_only():
    from hardtarget.search.cluster import DaskChannel

    ch = DaskChannel("hardtarget-stop-x", client=object())  # the client stays home
    back = pickle.loads(pickle.dumps(ch))
    assert back == ch and back.name == "hardtarget-stop-x" and back._client is None
    r = Budget(time_limit=5).remote(ch)
    assert pickle.loads(pickle.dumps(r)).channel == ch


def test_min_width_time_limit_is_for_the_whole_scan(monkeypatch):
    """Every width runs on the scan's one budget; a width the clock ends before is
    undecided, not disproved (it used to get a fresh time limit per width)."""
    import hardtarget as ht
    from hardtarget.search import api

    now = [0.0]
    scan = Budget(10.0, clock=lambda: now[0])
    seen = []
    real = api.solve

    def six_seconds_a_width(problem, **kw):
        seen.append(kw["run_budget"])
        r = real(problem, **kw)
        now[0] += 6.0
        return r

    monkeypatch.setattr(api, "solve", six_seconds_a_width)
    r = ht.min_width(ht.load_problem("parity:3"), run_budget=scan)
    assert r.width is None and r.undecided == 2
    assert r.undecided_reason == "the time limit ran out"
    assert set(r.proofs) == {0, 1} and all(v == "proof" for v in r.proofs.values())
    assert len(seen) == 2 and all(b is scan for b in seen)
