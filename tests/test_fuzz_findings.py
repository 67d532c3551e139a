"""The fuzzing pass of issue 19: each finding, reproduced as written, fails before its fix.

A clear error (CLI exit 2) or the right answer; never exit 3, a hang, silent acceptance
or lost data.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
import threading

import numpy as np
import pytest

import hardtarget as ht
from hardtarget.activations import qrelu
from hardtarget.cli import main
from hardtarget.export.jsonfile import to_document

NET = ht.Network([np.array([[1.0], [-1.0], [0.5]])], ["sign"], np.array([0, 1]))


def _cli(argv, capsys) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def _doc_file(path, change=None, raw: str | None = None):
    """A model file with one change, its checksum recomputed (allow_nan for NaN/inf)."""
    if raw is None:
        doc = to_document(NET)
        change(doc)
        body = {k: v for k, v in doc.items() if k != "checksum"}
        text = json.dumps(body, sort_keys=True, separators=(",", ":"))
        doc["checksum"] = "sha256:" + hashlib.sha256(text.encode()).hexdigest()
        raw = json.dumps(doc)
    path.write_text(raw)
    return path


def _weights(value):
    return lambda d: d["layers"][0].update(weights=value)


BAD_MODELS = {
    "nan_weight": (_weights([[float("nan")], [1.0]]), "NaN"),
    "inf_weight": (_weights([[float("inf")], [1.0]]), "Infinity"),
    "mixed_int_str_classes": (
        lambda d: d.update(classes={"dtype": "int", "values": [1, "a"]}),
        "int",
    ),
    "mixed_str_int_classes": (
        lambda d: d.update(classes={"dtype": "str", "values": [1, "a"]}),
        "str",
    ),
    "classes_2d": (lambda d: d.update(classes={"dtype": "int", "values": [[0, 1]]}), "flat list"),
    "classes_empty": (lambda d: d.update(classes={"dtype": "int", "values": []}), "2 labels"),
    "duplicate_classes": (lambda d: d.update(classes={"dtype": "int", "values": [1, 1]}), "repeat"),
    "string_weights": (_weights([["1"], ["2"]]), "numbers"),
    "boolean_weights": (_weights([[True], [False]]), "booleans"),
    "version_true": (lambda d: d.update(version=True), "version"),
    "n_features_true": (
        lambda d: d.update(
            n_features=True, layers=[{"activation": "sign", "weights": [[1.0]], "bias": [0.5]}]
        ),
        "n_features",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_MODELS))
def test_bad_model_files_are_refused_by_load_export_and_summary(case, tmp_path, capsys):
    change, words = BAD_MODELS[case]
    path = _doc_file(tmp_path / "m.json", change)
    with pytest.raises(ht.HardTargetError, match=words):
        ht.load(path)
    for argv in (["export", path, "-o", tmp_path / "o.c"], ["summary", path]):
        code, _, err = _cli(argv, capsys)
        assert code == 2 and words in err and "internal error" not in err
    assert not (tmp_path / "o.c").exists()


def test_deeply_nested_json_is_refused(tmp_path, capsys):
    path = _doc_file(tmp_path / "deep.json", raw="[" * 100_000 + "]" * 100_000)
    with pytest.raises(ht.HardTargetError, match="nests"):
        ht.load(path)
    for argv in (["export", path, "-o", tmp_path / "o.json"], ["summary", path]):
        code, _, err = _cli(argv, capsys)
        assert code == 2 and "nests" in err


def test_numbers_beyond_float64_in_a_model_file_are_refused(tmp_path):
    path = _doc_file(tmp_path / "m.json", raw=json.dumps(to_document(NET)).replace("0.5", "1e999"))
    with pytest.raises(ht.HardTargetError, match="float64"):
        ht.load(path)


def test_export_verify_names_the_float64_overflow_of_huge_weights(tmp_path, capsys):
    net = ht.Network([np.array([[1e308], [1e308], [1e308]])], ["sign"])
    net.save(tmp_path / "big.npz")
    code, _, err = _cli(
        ["export", tmp_path / "big.npz", "-o", tmp_path / "big.c", "--verify"], capsys
    )
    assert code == 2 and "overflows float64" in err and "X contains NaN" not in err


def test_a_model_with_classes_the_reader_refuses_is_not_written(tmp_path, capsys):
    for classes in (np.array([[0, 1]]), np.array([], dtype=np.int64), np.array([3, 3])):
        net = ht.Network([np.ones((3, 1))], ["sign"], classes)
        with pytest.raises(ht.HardTargetError):
            ht.export(net, tmp_path / "m.json")
        with pytest.raises(ht.HardTargetError):  # summary refuses what export refuses
            ht.summary(net)
        net.save(tmp_path / "m.npz")
        code, _, _ = _cli(["summary", tmp_path / "m.npz"], capsys)
        assert code == 2
    assert not (tmp_path / "m.json").exists()


def test_network_save_json_writes_the_model_file_its_name_says(tmp_path, capsys):
    NET.save(tmp_path / "x.json")
    assert json.loads((tmp_path / "x.json").read_text())["format"] == "hardtarget-model"
    for loaded in (ht.load(tmp_path / "x.json"), ht.Network.load(tmp_path / "x.json")):
        assert np.array_equal(loaded.weights[0], NET.weights[0])
    code, _, _ = _cli(
        ["solve", "-p", "xor", "--hidden", "2", "-s", "exhaustive", "--out", tmp_path / "o.json"],
        capsys,
    )
    assert code == 0
    code, out, _ = _cli(["summary", tmp_path / "o.json"], capsys)
    assert code == 0 and "total" in out
    # an .npz written under another name (by an older hardtarget) is still read
    NET.save(tmp_path / "y.npz")
    shutil.copy(tmp_path / "y.npz", tmp_path / "y.model")
    assert ht.load(tmp_path / "y.model").widths == (1,)


# -- Ctrl-C ----------------------------------------------------------------------------------
def test_ctrl_c_while_the_command_loads_exits_130_without_a_traceback(monkeypatch, capsys):
    import sys

    cli_main = sys.modules["hardtarget.cli.main"]  # (the package's `main` is the function)

    def interrupted():
        raise KeyboardInterrupt

    monkeypatch.setattr(cli_main, "build_parser", interrupted)
    code, _, err = _cli(["problems"], capsys)
    assert code == 130 and "interrupted" in err and "Traceback" not in err


# -- outputs that would destroy inputs or each other -----------------------------------------
def test_an_output_equal_to_an_input_or_another_output_is_refused(tmp_path, capsys):
    same = tmp_path / "same.npz"
    code, _, err = _cli(
        ["solve", "-p", "xor", "--hidden", "2", "--out", same, "--targets-out", same], capsys
    )
    assert code == 2 and "both name" in err and not same.exists()
    t = tmp_path / "t.npz"
    p = ht.load_problem("xor")
    np.savez(t, T1=np.stack([np.where(p.X.sum(1) > 1, 1, -1), np.where(p.X.sum(1) > -1, 1, -1)], 1))
    before = t.read_bytes()
    os.symlink(t, tmp_path / "link.npz")
    for out in (t, tmp_path / "." / "t.npz", tmp_path / "link.npz"):
        code, _, err = _cli(["verify", "-p", "xor", "--targets", t, "--out", out], capsys)
        assert code == 2 and "is also the input --targets" in err
    assert t.read_bytes() == before
    NET.save(tmp_path / "m.npz")
    code, _, err = _cli(
        ["export", tmp_path / "m.npz", "-o", tmp_path / "m.npz", "-f", "json"], capsys
    )
    assert code == 2 and "MODEL" in err
    code, _, err = _cli(
        [
            "solve",
            "-p",
            "xor",
            "-s",
            "sat-lp",
            "-o",
            f"proof={tmp_path / 'p'}",
            "--out",
            tmp_path / "p.cnf",
        ],
        capsys,
    )
    assert code == 2 and "both name" in err


def test_proof_paths_are_locked(tmp_path, capsys):
    from hardtarget._io import exclusive_lock

    proof = tmp_path / "p.drat"
    with exclusive_lock(proof):  # another run writing this proof
        code, _, err = _cli(
            ["solve", "-p", "parity:3", "--hidden", "1", "-s", "sat-lp", "-o", f"proof={proof}"],
            capsys,
        )
    assert code == 2 and "being written by another hardtarget run" in err
    assert not proof.exists()


# -- file sets: all new or all old -----------------------------------------------------------
def _crash_on(monkeypatch, n, folder):
    """Make the n-th ``os.replace`` into ``folder`` raise, as a SIGKILL would stop the
    writer there (renames elsewhere, such as numba's cache, go through)."""
    calls = []
    real = os.replace

    def replace(a, b):
        if os.path.dirname(os.path.abspath(b)) == str(folder):
            calls.append(b)
            if len(calls) == n:
                raise KeyboardInterrupt("killed")
        return real(a, b)

    monkeypatch.setattr(os, "replace", replace)
    return calls


def test_a_file_set_interrupted_before_its_commit_stays_old(tmp_path, monkeypatch):
    from hardtarget._io import recover_file_set, write_file_set

    a, b = tmp_path / "m.c", tmp_path / "m.h"
    write_file_set([(a, "old c"), (b, "old h")])
    _crash_on(monkeypatch, 1, tmp_path)  # the journal's own atomic rename: before the commit
    with pytest.raises(KeyboardInterrupt):
        write_file_set([(a, "new c"), (b, "new h")])
    monkeypatch.undo()
    assert not recover_file_set(a)
    assert (a.read_text(), b.read_text()) == ("old c", "old h")


def test_a_file_set_interrupted_after_its_commit_is_finished_by_the_next_reader(
    tmp_path, monkeypatch
):
    from hardtarget._io import recover_file_set, write_file_set

    a, b = tmp_path / "m.c", tmp_path / "m.h"
    write_file_set([(a, "old c"), (b, "old h")])
    _crash_on(monkeypatch, 3, tmp_path)  # journal, first file, then killed before the second
    with pytest.raises(KeyboardInterrupt):
        write_file_set([(a, "new c"), (b, "new h")])
    monkeypatch.undo()
    assert (a.read_text(), b.read_text()) == ("new c", "old h")  # what a crash leaves...
    assert recover_file_set(a)  # ...until hardtarget next opens or writes the set
    assert (a.read_text(), b.read_text()) == ("new c", "new h")
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_c_export_is_written_as_one_set(tmp_path, monkeypatch):
    from hardtarget.export.runtime import CModel

    out = tmp_path / "and.c"
    ht.export(NET, out)
    old = (out.read_text(), out.with_suffix(".h").read_text())
    bigger = ht.Network(  # three inputs: its header differs too
        [np.array([[1.0, 2.0], [-1.0, 1.0], [3.0, 1.0], [0.5, 0.25]]), np.ones((3, 1))], ["sign"]
    )
    # killed after one rename: the old code left a new .h beside an old .c here
    _crash_on(monkeypatch, 2, tmp_path)
    with pytest.raises(KeyboardInterrupt):
        ht.export(bigger, out)
    monkeypatch.undo()
    if shutil.which("cc") or shutil.which("gcc"):
        CModel(out)  # hardtarget's reader finishes an interrupted set before reading it
    else:
        from hardtarget._io import recover_file_set

        recover_file_set(out)
    pair = (out.read_text(), out.with_suffix(".h").read_text())
    ref = tmp_path / "ref" / "and.c"
    ht.export(bigger, ref)
    assert pair in (old, (ref.read_text(), ref.with_suffix(".h").read_text()))


# -- scheduler addresses and connections -----------------------------------------------------
def _server(reply: bytes | None):
    """A local TCP server that accepts and says ``reply`` (or nothing); returns its port."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen()
    conns = []

    def serve():
        while True:
            try:
                c, _ = srv.accept()
            except OSError:
                return
            conns.append(c)
            if reply:
                try:
                    c.sendall(reply)
                except OSError:
                    pass

    threading.Thread(target=serve, daemon=True).start()
    return srv, conns


@pytest.fixture
def garbage_server():
    srv, conns = _server(b"HTTP/1.0 200 OK\r\n\r\nnot dask at all" * 50)
    yield srv.getsockname()[1]
    srv.close()
    for c in conns:
        c.close()


@pytest.fixture
def silent_server():
    srv, conns = _server(None)
    yield srv.getsockname()[1]
    srv.close()
    for c in conns:
        c.close()


def _closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def test_a_malformed_scheduler_address_is_refused_up_front(capsys, monkeypatch):
    code, _, err = _cli(["solve", "-p", "xor", "--scheduler", "not an address"], capsys)
    assert code == 2 and "not a Dask scheduler address" in err
    monkeypatch.setenv("HARDTARGET_SCHEDULER", "tcp://host:99999")
    code, _, err = _cli(["solve", "-p", "xor"], capsys)
    assert code == 2 and "HARDTARGET_SCHEDULER" in err


def test_a_server_that_is_not_dask_is_refused(garbage_server, capsys):
    address = f"tcp://127.0.0.1:{garbage_server}"
    code, _, err = _cli(["solve", "-p", "xor", "--time-limit", "3", "--scheduler", address], capsys)
    assert code == 2 and "not as a Dask scheduler does" in err and "internal" not in err


def test_a_silent_server_is_given_up_within_the_budget(silent_server, capsys):
    address = f"tcp://127.0.0.1:{silent_server}"
    code, _, err = _cli(["solve", "-p", "xor", "--time-limit", "1", "--scheduler", address], capsys)
    assert code == 2 and "did not answer" in err


def test_a_closed_port_is_refused(capsys, monkeypatch):
    monkeypatch.setenv("HARDTARGET_SCHEDULER", f"127.0.0.1:{_closed_port()}")
    code, _, err = _cli(["solve", "-p", "xor", "--time-limit", "5"], capsys)
    assert code == 2 and "connection refused" in err


# -- widths that cannot fit ------------------------------------------------------------------
def test_widths_that_cannot_fit_in_memory_are_refused_up_front(capsys, monkeypatch):
    from hardtarget.search import memory

    monkeypatch.setattr(memory, "available_memory", lambda: 2**30)
    code, _, err = _cli(["solve", "-p", "xor", "--hidden", "1000000000"], capsys)
    assert code == 2 and "GiB" in err and "smaller widths" in err
    # the estimate is a floor: 8 bytes x (4 copies x 4 samples x 10^9 targets + weights)
    assert memory.search_bytes(4, 2, (10**9,), 1) == 8 * (16 * 10**9 + 3 * 10**9 + 10**9 + 1)


# -- data files ------------------------------------------------------------------------------
def test_a_utf8_bom_is_not_part_of_the_first_column_name(tmp_path):
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbfa,b,c\n0,2,5\n1,3,6\n0,1,7\n")
    p = ht.load_data(path, label="a")
    assert p.feature_names == ["b", "c"] and p.classes.tolist() == [0, 1]


@pytest.mark.parametrize("multiclass", [None, "ovr"])
def test_blank_labels_are_refused_naming_their_rows(tmp_path, multiclass):
    path = tmp_path / "d.csv"
    path.write_text("a,b,c\n1,2,x\n2,3, \n3,1,y\n4,4,z\n5,5,\n")
    with pytest.raises(ht.HardTargetError, match=r"blank in data row\(s\) 2, 5"):
        ht.load_data(path, multiclass=multiclass)
    with pytest.raises(ht.HardTargetError, match=r"row\(s\) 1"):
        ht.make_problem([[0.0], [1.0], [2.0]], ["x", "", "y"], multiclass=multiclass)


# -- certificates ----------------------------------------------------------------------------
def test_check_certificate_checks_the_numbers_and_the_support_check_has_its_own_name():
    X = np.array([[-1.0, -1], [-1, 1], [1, -1], [1, 1]])
    xor = [-1, 1, 1, -1]
    perturbed = [1, 1000, 1e-5, 3]
    assert not ht.check_certificate(X, xor, perturbed)
    assert ht.check_certificate_support(X, xor, perturbed)
    assert ht.check_certificate(X, xor, ["1/4"] * 4) and ht.check_certificate(X, xor, [2, 2, 2, 2])
    assert not ht.check_certificate(X, xor, [True] * 4)  # booleans are not numbers


def test_exact_certificates_of_float_lp_answers_pass_the_strict_check():
    from fractions import Fraction

    rng = np.random.default_rng(3)
    A = rng.normal(size=(40, 3))
    t = np.where(rng.normal(size=40) > 0, 1, -1)
    r = ht.solve_unit(A, t, solver="lp")
    assert r.separable is False and ht.check_certificate_support(A, t, r.certificate)
    lam = ht.exact_certificate(A, t, r.certificate)
    assert sum(lam) == 1 and all(v >= 0 for v in lam)
    # an independent exact check in plain Python rationals
    for f in range(3):
        assert sum(v * t[i] * Fraction(float(A[i, f])) for i, v in enumerate(lam)) == 0
    assert sum(v * t[i] for i, v in enumerate(lam)) == 0
    assert ht.check_certificate(A, t, [str(v) for v in lam])


# -- qrelu -----------------------------------------------------------------------------------
def _qrelu_sum(z, k):
    """The definition: (1/k) * sum_i step(z - i/(k-1)), one Python float at a time."""
    if k == 1:
        return 1.0 if z > 0 else 0.0
    return sum(1 for i in range(k) if z - i / (k - 1) > 0) / k


@pytest.mark.parametrize("k", [1, 2, 3, 7, 10, 255, 1000])
def test_qrelu_in_constant_time_equals_the_sum_of_steps_ties_included(k):
    thr = np.array([i / (k - 1) for i in range(k)]) if k > 1 else np.zeros(1)
    rng = np.random.default_rng(k)
    z = np.concatenate(
        [
            thr,
            np.nextafter(thr, np.inf),
            np.nextafter(thr, -np.inf),
            rng.uniform(-0.1, 1.1, 300),
            [np.nan, np.inf, -np.inf, 0.0, -0.0, 1e308, -1e308, 5e-324],
        ]
    )
    want = np.array([_qrelu_sum(v, k) for v in z])
    assert np.array_equal(qrelu(z, k), want)
    net = ht.Network([np.array([[1.0], [0.0]])], [f"qrelu{k}"])
    assert np.array_equal(
        net.forward(z[np.isfinite(z)].reshape(-1, 1))[0].ravel(), want[np.isfinite(z)]
    )


@pytest.mark.skipif(
    shutil.which("cc") is None and shutil.which("gcc") is None,
    reason="the C export needs a C compiler (apt-get install gcc)",
)
def test_qrelu_c_export_equals_the_network_on_ties_with_a_huge_level_count(tmp_path):
    from hardtarget.export.runtime import open_export

    k = 10**6
    net = ht.Network([np.array([[1.0], [0.0]]), np.array([[1.0], [-0.5]])], [f"qrelu{k}", "sign"])
    ht.export(net, tmp_path / "q.c")
    thr = np.array([i / (k - 1) for i in (0, 1, 2, 12345, k // 2, k - 2, k - 1)])
    x = np.concatenate([thr, np.nextafter(thr, np.inf), np.nextafter(thr, -np.inf), [2.0, -1.0]])
    X = x.reshape(-1, 1)
    got = open_export(tmp_path / "q.c").decision(X).ravel()
    assert np.array_equal(got, net.decision_function(X))
    # the hidden unit's value, counted by the definition from the thresholds next to x
    thresholds = np.arange(k) / (k - 1)  # i / (k - 1), correctly rounded, as in Python
    for v, h in zip(x, ht.Network(net.weights[:1], [f"qrelu{k}"]).forward(X)[0].ravel()):
        assert h == np.count_nonzero(v - thresholds > 0) / k


def test_onnx_export_refuses_absurd_qrelu_level_counts(tmp_path):
    pytest.importorskip("onnx")
    net = ht.Network([np.array([[1.0], [0.0]]), np.array([[1.0], [-0.5]])], ["qrelu100000", "sign"])
    with pytest.raises(ht.HardTargetError, match="comparison nodes"):
        ht.export(net, tmp_path / "q.onnx")


# -- verify --sat ----------------------------------------------------------------------------
def test_verify_sat_never_claims_agreement_on_a_verdict_for_bounded_weights(capsys):
    """Real inputs: CP-SAT sees them rounded to a grid of about +-1000 with weights and
    bias within +-7, so it fits no unit; that is no proof for real weights."""
    spec = "planted:4-3-1:100:1"
    code, out, _ = _cli(["verify", "-p", spec, "--sat", "cpsat", "--time-limit", "10"], capsys)
    p = ht.load_problem(spec)
    assert ht.verify_targets(p, p.planted["targets"]).feasible  # the LP: feasible for real weights
    last = out.strip().splitlines()[-1]
    assert "agrees" not in last and "infeasible for integer weights bounded by 7" in last
    assert "not decided for real weights" in last and code == 0


# -- Ctrl-C with --jobs: the members return their best so far --------------------------------
def test_a_loky_member_stops_with_its_best_so_far_once_the_stop_file_exists(tmp_path):
    from hardtarget.budget import FileChannel, RemoteBudget
    from hardtarget.search.api import prepare_search
    from hardtarget.search.base import run_strategy

    stop = tmp_path / "stop"
    slow = {"max_size": 1e30, "dichotomies": False, "symmetry": False, "prune": False}
    with RemoteBudget(channel=FileChannel(str(stop))).open(poll=0.01) as budget:
        strat, ctx = prepare_search(
            ht.load_problem("parity:4"),
            (3,),
            "exhaustive",
            progress=False,
            run_budget=budget,
            **slow,
        )
        real = ctx.evaluator.evaluate

        def evaluate(*args, **kwargs):
            stop.touch()  # the parent saw Ctrl-C while the member runs
            return real(*args, **kwargs)

        ctx.evaluator.evaluate = evaluate
        r = run_strategy(strat, ctx)  # no time limit: only the stop file ends it
    assert r.status == "interrupted" and r.network is not None


def test_the_portfolio_keeps_collecting_after_ctrl_c(tmp_path):
    import signal

    from hardtarget.budget import Budget, FileChannel
    from hardtarget.search.portfolio import _collect

    p = ht.load_problem("xor")
    done_first = ht.solve(p, (2,), "exhaustive")
    stop = tmp_path / "stop"
    seen = []

    def stream():
        os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C while the members run
        seen.append(stop.exists())  # the members were told to stop
        yield 1, done_first.__class__(**{**done_first.__dict__, "status": "interrupted"})
        yield 0, done_first.__class__(**{**done_first.__dict__, "status": "interrupted"})

    budget = Budget()
    done, first, interrupted = _collect(stream(), 2, "loky", budget, FileChannel(str(stop)))
    assert budget.cancelled
    assert seen == [True] and interrupted and sorted(done) == [0, 1]


# -- unknown where an answer is due: a degenerate LP certificate on iris ---------------------
IRIS_UNIT = (  # targets on the 99 distinct rows, in their order
    "-+---++---+++++-+++-+++++-++++++-++++++-++++-+++-+++++++++++-+++++++++-+++-++++-"
    "+++++++++++++++++++"
)


def test_a_certificate_that_fails_the_exact_check_is_replaced_by_another_vertex():
    """sat-lp's first unit on iris:1-2: the LP's certificate sits on 5 points that are
    dependent in floats but not exactly; leaving one out gives one that checks."""
    from fractions import Fraction

    from hardtarget.search.sat._common import distinct_problem

    p = ht.load_problem("iris:1-2")
    A = distinct_problem(p.X, p.t).U
    t = np.array([1 if c == "+" else -1 for c in IRIS_UNIT], dtype=np.int8)
    r = ht.solve_unit(A, t, solver="lp")
    assert r.separable is False
    lam = ht.exact_certificate(A, t, r.certificate)
    for f in range(A.shape[1]):  # checked here in plain Python rationals
        assert sum(v * int(t[i]) * Fraction(float(A[i, f])) for i, v in enumerate(lam)) == 0
    assert sum(v * int(t[i]) for i, v in enumerate(lam)) == 0 and min(lam) >= 0 < max(lam)


def test_verify_sat_json_says_the_verdict(capsys):
    code, out, _ = _cli(
        ["verify", "-p", "planted:4-3-1:100:1", "--sat", "cpsat", "--time-limit", "10", "--json"],
        capsys,
    )
    d = json.loads(out)
    assert code == 0 and d["verdict"].startswith("infeasible for integer weights bounded by 7")
    assert d["agree"] and d["lp_feasible"] and not d["feasible"]


def test_predict_never_overwrites_its_data_or_model(tmp_path, capsys):
    data = tmp_path / "d.csv"
    data.write_text("a,b\n1,2\n3,4\n")
    NET.save(tmp_path / "m.npz")
    before = data.read_text()
    code, _, err = _cli(["predict", tmp_path / "m.npz", "--data", data, "--out", data], capsys)
    assert code == 2 and "is also the input --data" in err and data.read_text() == before
