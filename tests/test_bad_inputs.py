"""Every bad input a user can give the loaders or the command line: a HardTargetError
whose message names the fix, from the API, and exit code 2 from the CLI.

Fuzzing: the CSV/NPZ loaders and ``Network.load`` either return an object that passes
validation or raise HardTargetError, on random bytes, truncations, wrong keys and dtypes.
"""

from __future__ import annotations

import io
import json
import os
import re
import zipfile

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import hardtarget as ht
from hardtarget.cli import main

E = ht.HardTargetError


def _cli(argv, capsys) -> tuple[int, str]:
    code = main(argv)
    return code, capsys.readouterr().err


# -- files ------------------------------------------------------------------------------


def _net_arrays(**change) -> dict:
    meta = {
        "format": "hardtarget-network",
        "version": 1,
        "activations": ["sign", "sign"],
        "has_classes": False,
    }
    meta.update(change.pop("meta", {}))
    arrays = {"__meta__": np.array(json.dumps(meta)), "W0": np.ones((3, 2)), "W1": np.ones((3, 1))}
    arrays.update(change)
    return {k: v for k, v in arrays.items() if v is not None}


def _write_npz(path, **arrays):
    np.savez(path, **arrays)  # allow_pickle is on for writing: object arrays get in
    return str(path)


def _unreadable(tmp_path, monkeypatch):
    path = tmp_path / "secret.csv"
    path.write_text("a,y\n1,0\n2,1\n")
    path.chmod(0)
    real = os.access  # root may read mode-0 files anyway: make the check see what a user would
    monkeypatch.setattr(
        os, "access", lambda p, m, **k: False if str(p) == str(path) else real(p, m, **k)
    )
    return str(path)


# (case id, function(tmp_path, monkeypatch) -> (API call or None, CLI argv or None), message)
def _data_case(make):
    def build(tmp_path, monkeypatch):
        path = make(tmp_path, monkeypatch)
        return (lambda: ht.load_data(path)), ["solve", "--data", path, "--hidden", "0"]

    return build


def _targets_case(**arrays):
    def build(tmp_path, monkeypatch):
        path = _write_npz(tmp_path / "t.npz", **arrays)
        return ((lambda: ht.load_targets(path, 4)), ["verify", "-p", "xor", "--targets", path])

    return build


def _net_case(**change):
    def build(tmp_path, monkeypatch):
        path = _write_npz(tmp_path / "net.npz", **_net_arrays(**change))
        return (lambda: ht.Network.load(path)), ["summary", path]  # the CLI reads it there

    return build


def _solve_case(api_kwargs, argv):
    def build(tmp_path, monkeypatch):
        def api():
            ht.solve(ht.load_problem("xor"), hidden=(2,), **api_kwargs)

        return api, ["solve", "-p", "xor", *argv]

    return build


def _csv(text, name="d.csv"):
    def make(tmp_path, monkeypatch):
        path = tmp_path / name
        path.write_text(text)
        return str(path)

    return make


def _npz(name="d.npz", **arrays):
    def make(tmp_path, monkeypatch):
        return _write_npz(tmp_path / name, **arrays)

    return make


def _bytes(data, name="d.npz"):
    def make(tmp_path, monkeypatch):
        path = tmp_path / name
        path.write_bytes(data)
        return str(path)

    return make


def _truncated_npz(tmp_path, monkeypatch):
    buf = io.BytesIO()
    np.savez(buf, X=np.eye(4), y=np.array([0, 1, 0, 1]))
    path = tmp_path / "cut.npz"
    path.write_bytes(buf.getvalue()[: len(buf.getvalue()) // 2])
    return str(path)


def _npy_named_npz(tmp_path, monkeypatch):
    path = tmp_path / "arr.npz"
    with open(path, "wb") as fh:
        np.save(fh, np.eye(3))
    return str(path)


CASES = [
    (
        "option-width-abc",
        _solve_case({"strategy": "beam", "width": "abc"}, ["-o", "width=abc"]),
        "width must be an integer >= 1",
    ),
    (
        "option-restarts-negative",
        _solve_case({"strategy": "hill", "restarts": -3}, ["-s", "hill", "-o", "restarts=-3"]),
        "restarts must be an integer >= 0",
    ),
    (
        "option-beam-width-0",
        _solve_case({"strategy": "beam", "width": 0}, ["-o", "width=0"]),
        "width must be an integer >= 1",
    ),
    (
        "option-ftprop-budget-negative",
        _solve_case({"strategy": "ftprop", "budget": -1}, ["-s", "ftprop", "-o", "budget=-1"]),
        "budget must be an integer >= 0",
    ),
    (
        "option-unknown-key",
        _solve_case({"strategy": "beam", "widht": 3}, ["-o", "widht=3"]),
        "no option.*widht.*valid: .*width",
    ),
    ("option-no-equals", lambda t, m: (None, ["solve", "-p", "xor", "-o", "width"]), "KEY=VALUE"),
    (
        "option-twice",
        lambda t, m: (None, ["solve", "-p", "xor", "-o", "width=2", "-o", "width=3"]),
        "given twice",
    ),
    ("seed-negative", _solve_case({"seed": -5}, ["--seed", "-5"]), "integer >= 0"),
    (
        "exhaustive-size-past-float-range",
        lambda t, m: (
            lambda: ht.solve(
                ht.load_problem("planted:32-16-1:400:0"), hidden=(16,), strategy="exhaustive"
            ),
            ["solve", "-p", "planted:32-16-1:400:0", "--hidden", "16", "-s", "exhaustive"],
        ),
        r"may visit up to 2\.57e\+743 states.*raise max_size",
    ),
    (
        "time-limit-nan",
        lambda t, m: (None, ["solve", "-p", "xor", "--time-limit", "nan"]),
        "seconds > 0",
    ),
    (
        "hidden-not-a-width",
        lambda t, m: (None, ["solve", "-p", "xor", "--hidden", "4,x"]),
        "widths joined by commas",
    ),
    (
        "unknown-strategy",
        lambda t, m: (
            (lambda: ht.solve(ht.load_problem("xor"), strategy="bem")),
            ["solve", "-p", "xor", "-s", "bem"],
        ),
        "bem",
    ),
    (
        "min-width-negative",
        lambda t, m: (
            (lambda: ht.min_width(ht.load_problem("xor"), max_width=-1)),
            ["min-width", "-p", "xor", "--max-width", "-1"],
        ),
        "integer >= 0",
    ),
    (
        "label-on-builtin",
        lambda t, m: (
            (lambda: ht.load_problem("xor", label="y")),
            ["solve", "-p", "xor", "--label", "y"],
        ),
        "apply to data files",
    ),
    (
        "multiclass-on-builtin",
        lambda t, m: (
            (lambda: ht.load_problem("iris:1-2", multiclass="ovr")),
            ["verify", "-p", "iris:1-2", "--multiclass", "ovr"],
        ),
        "apply to data files",
    ),
    (
        "unknown-problem",
        lambda t, m: ((lambda: ht.load_problem("nope")), ["verify", "-p", "nope"]),
        "unknown problem 'nope'",
    ),
    ("data-missing", _data_case(lambda t, m: str(t / "missing.csv")), "does not exist"),
    ("data-directory", _data_case(lambda t, m: str(t)), "is a directory"),
    ("data-unreadable", _data_case(_unreadable), "cannot be read.*permission"),
    ("data-text-named-npz", _data_case(_bytes(b"a,b\n1,2\n")), "not an .npz archive"),
    ("data-npy-named-npz", _data_case(_npy_named_npz), "single .npy array"),
    ("data-truncated-npz", _data_case(_truncated_npz), "not a valid .npz archive"),
    (
        "data-object-npz",
        _data_case(_npz(X=np.array([[1, "a"], [2, None]], dtype=object), y=np.array([0, 1]))),
        "object arrays",
    ),
    (
        "data-complex-npz",
        _data_case(_npz(X=np.array([[1 + 1j], [2 - 1j]]), y=np.array([0, 1]))),
        "complex",
    ),
    ("data-npz-no-X", _data_case(_npz(A=np.eye(2))), "must hold arrays 'X' and 'y'"),
    (
        "csv-label-first-column",
        _data_case(_csv("label,a,b\nyes,1,2\nno,3,4\n")),
        "last column by default.*--label",
    ),
    (
        "data-unsupported-suffix",
        _data_case(_csv("a,y\n1,0\n2,1\n", name="d.tsv")),
        "unsupported data file.*use .csv",
    ),
    (
        "csv-categorical-feature",
        lambda t, m: (
            (lambda: ht.load_data(_csv("c,y\nred,0\nblue,1\n")(t, m), label="y")),
            None,
        ),
        "encode categories as numbers",
    ),
    ("csv-ragged", _data_case(_csv("a,y\n1,0\n2\n")), "different lengths"),
    ("csv-empty", _data_case(_csv("")), "is empty"),
    ("csv-header-only", _data_case(_csv("a,b,y\n")), "no data rows"),
    ("csv-binary", _data_case(_bytes(b"\xff\xfe\x00\x81garbage", name="d.csv")), "UTF-8"),
    (
        "csv-label-name-without-header",
        lambda t, m: ((lambda: ht.load_data(_csv("1,2,0\n3,4,1\n")(t, m), label="y")), None),
        "no header row",
    ),
    (
        "csv-label-index-out-of-range",
        lambda t, m: ((lambda: ht.load_data(_csv("a,y\n1,0\n2,1\n")(t, m), label=7)), None),
        "out of range",
    ),
    ("targets-gap", _targets_case(T1=np.ones((4, 2)), T3=np.ones((4, 2))), "no T2"),
    ("targets-none", _targets_case(A=np.ones((4, 2))), "no arrays named T1"),
    ("targets-strings", _targets_case(T1=np.array([["a"], ["b"], ["a"], ["b"]])), "dtype"),
    ("targets-wrong-rows", _targets_case(T1=np.ones((3, 2))), "n_samples=4"),
    ("targets-not-pm1", _targets_case(T1=np.zeros((4, 2))), "-1 or \\+1"),
    (
        "network-list-meta",
        _net_case(__meta__=np.array(json.dumps([1, 2]))),
        "not a hardtarget network",
    ),
    ("network-no-activations", _net_case(meta={"activations": None}), "needs 'activations'"),
    ("network-no-W1", _net_case(W1=None), "no W1"),
    ("network-string-W0", _net_case(W0=np.array([["a", "b"]] * 3)), "W0 has dtype"),
    ("network-activations-5", _net_case(meta={"activations": 5}), "needs 'activations'"),
    ("network-complex-W0", _net_case(W0=np.ones((3, 2)) * 1j), "W0 has dtype complex"),
    (
        "network-bad-activation",
        _net_case(meta={"activations": ["sign", "tanh"]}),
        "unknown activation 'tanh'",
    ),
    (
        "out-is-directory",
        lambda t, m: (None, ["solve", "-p", "xor", "--out", str(t)]),
        "is a directory",
    ),
    (
        "bench-unknown-strategy",
        lambda t, m: (None, ["bench", "--strategies", "beam,nope", "--out", str(t / "b")]),
        "unknown strategy 'nope'",
    ),
    (
        "verify-weights-without-sat",
        lambda t, m: (None, ["verify", "-p", "xor", "--weights", "binary"]),
        "--sat",
    ),
]


@pytest.mark.parametrize("build, message", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input(build, message, tmp_path, monkeypatch, capsys):
    api, argv = build(tmp_path, monkeypatch)
    assert api is not None or argv is not None
    if api is not None:
        with pytest.raises(E, match=message):
            api()
    if argv is not None:
        code, err = _cli(argv, capsys)
        assert code == 2, err
        assert re.search(message, err, flags=re.S), err
        assert "Traceback" not in err


# -- CSV header detection (a headerless CSV keeps its first row) -------------------------


def test_csv_without_header_keeps_first_row(tmp_path, capsys):
    path = tmp_path / "noheader.csv"
    path.write_text("0.5,1.0,1\n-0.5,2.0,0\n1.5,-1.0,1\n")
    p = ht.load_data(path)
    assert p.X.tolist() == [[0.5, 1.0], [-0.5, 2.0], [1.5, -1.0]]
    assert p.t.tolist() == [1, -1, 1]
    assert p.feature_names == ["column 0", "column 1"]
    assert main(["solve", "--data", str(path), "--hidden", "0", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["train_accuracy"] == 1.0


def test_csv_string_labels_without_header(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text("1,2,yes\n3,4,no\n")
    assert ht.load_data(path).X.tolist() == [[1, 2], [3, 4]]


def test_csv_numeric_labels_sort_as_numbers(tmp_path):
    path = tmp_path / "n.csv"
    path.write_text("x,y\n1,10\n2,9\n3,10\n")
    p = ht.load_data(path)
    assert p.classes.tolist() == [9, 10] and p.t.tolist() == [1, -1, 1]


# -- fuzzing --------------------------------------------------------------------------


def _valid_problem(p: ht.Problem) -> None:
    assert p.X.ndim == 2 and p.X.dtype == np.float64 and np.all(np.isfinite(p.X))
    assert p.n_samples >= 1 and set(np.unique(p.t).tolist()) <= {-1, 1}
    assert len(p.t) == p.n_samples


def _valid_network(net: ht.Network) -> None:
    out = net.predict(np.zeros((2, net.n_features)))
    assert np.all(np.isfinite(out))


FUZZ = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@FUZZ
@given(data=st.binary(max_size=300))
def test_fuzz_csv_bytes(tmp_path, data):
    path = tmp_path / "f.csv"
    path.write_bytes(data)
    try:
        p = ht.load_data(path)
    except E:
        return
    _valid_problem(p)


_cell = st.one_of(
    st.integers(-5, 5).map(str),
    st.floats(allow_nan=True).map(str),
    st.sampled_from(["", "a", "yes", "no", "nan", "inf", "1e309", '"', "x,y"]),
)


@FUZZ
@given(
    rows=st.lists(st.lists(_cell, min_size=1, max_size=4), min_size=0, max_size=6),
    label=st.one_of(st.none(), st.integers(-5, 5), st.sampled_from(["y", "a", "0"])),
)
def test_fuzz_csv_cells(tmp_path, rows, label):
    path = tmp_path / "c.csv"
    path.write_text("\n".join(",".join(r) for r in rows))
    try:
        p = ht.load_data(path, label=label)
    except E:
        return
    _valid_problem(p)


_dtypes = st.sampled_from(["f8", "f4", "i8", "u1", "?", "c16", "U3", "S2", "O", "m8[s]", "V4"])


@st.composite
def _array(draw):
    shape = draw(st.lists(st.integers(0, 4), min_size=0, max_size=3))
    dtype = draw(_dtypes)
    size = int(np.prod(shape)) if shape else 1
    values = draw(st.lists(st.integers(-3, 3), min_size=size, max_size=size))
    arr = np.array(values).reshape(shape)
    if dtype == "O":
        return arr.astype(object)
    return arr.astype(dtype)


def _npz_bytes(arrays: dict) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


@FUZZ
@given(
    arrays=st.dictionaries(
        st.sampled_from(["X", "y", "T1", "T2", "W0", "W1", "__meta__", "z"]), _array(), max_size=4
    ),
    cut=st.one_of(st.none(), st.integers(0, 2000)),
)
def test_fuzz_npz_loaders(tmp_path, arrays, cut):
    data = _npz_bytes(arrays)
    if cut is not None:
        data = data[:cut]
    path = tmp_path / "f.npz"
    path.write_bytes(data)
    for load, check in (
        (ht.load_data, _valid_problem),
        (ht.Network.load, _valid_network),
        (lambda p: ht.load_targets(p), lambda t: None),
    ):
        try:
            obj = load(path)
        except E:
            continue
        check(obj)


_metas = st.one_of(
    st.just(
        {
            "format": "hardtarget-network",
            "version": 1,
            "activations": ["sign", "sign"],
            "has_classes": False,
        }
    ),
    st.fixed_dictionaries(
        {
            "format": st.sampled_from(["hardtarget-network", "x"]),
            "version": st.sampled_from([1, 2, "1", None]),
            "activations": st.one_of(
                st.integers(),
                st.lists(st.sampled_from(["sign", "step", "qrelu3", "tanh", 3]), max_size=3),
                st.text(max_size=4),
            ),
            "has_classes": st.booleans(),
        }
    ),
    st.lists(st.integers(), max_size=2),
    st.integers(),
    st.text(max_size=8),
)


@FUZZ
@given(meta=_metas, w0=_array(), w1=_array(), flip=st.integers(0, 10_000), cut=st.integers(0, 4000))
def test_fuzz_network_load(tmp_path, meta, w0, w1, flip, cut):
    arrays = {"__meta__": np.array(json.dumps(meta)), "W0": w0, "W1": w1}
    data = bytearray(_npz_bytes(arrays))
    if data and flip < len(data):
        data[flip] ^= 0xFF  # one corrupted byte
    path = tmp_path / "n.npz"
    path.write_bytes(bytes(data[: max(cut, 0)] if cut < len(data) else data))
    try:
        net = ht.Network.load(path)
    except E:
        return
    _valid_network(net)


def test_zip_that_is_not_numpy(tmp_path):
    path = tmp_path / "z.npz"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("X.npy", b"not an array")
        z.writestr("y.npy", b"nor this")
    with pytest.raises(E, match="X could not be read as a numeric"):  # numpy hands back raw bytes
        ht.load_data(path)


# -- fuzzing the command line: any mix of flags and values is an answer or exit 2 ----------

_VALUES = [
    "0",
    "1",
    "-1",
    "abc",
    "",
    "nan",
    "inf",
    "1e9",
    "2,3",
    "0.5",
    "x=1",
    "=",
    "width=2",
    "width=abc",
    "restarts=1",
    "init=random",
    "init=bogus",
    "max_neighbors=none",
    "/",
    "/nonexistent",
    "sign",
    "step",
    "lp",
    "auto",
    "ovr",
    "exhaustive",
    "beam",
    "bogus",
]
_FLAGS = {
    "solve": [
        "--hidden",
        "-s",
        "-o",
        "--seed",
        "--time-limit",
        "--max-states",
        "--solver",
        "--activation",
        "--label",
        "--multiclass",
        "--json",
        "-q",
        "-v",
        "--data",
    ],
    "verify": [
        "--targets",
        "--activation",
        "--solver",
        "--weights",
        "--json",
        "--label",
        "--multiclass",
        "--data",
        "-q",
    ],
    "min-width": ["--max-width", "-s", "-o", "--json", "--seed", "--activation"],
}
_SWITCHES = ("--json", "-q", "-v")


@st.composite
def _argv(draw):
    cmd = draw(st.sampled_from(sorted(_FLAGS)))
    argv = [cmd, "-p", draw(st.sampled_from(["xor", "and:2", "parity:2", "bogus"]))]
    for flag in draw(st.lists(st.sampled_from(_FLAGS[cmd]), max_size=4)):
        argv += [flag] if flag in _SWITCHES else [flag, draw(st.sampled_from(_VALUES))]
    if cmd != "verify":
        argv += ["--time-limit", "0.5"]
    if cmd == "min-width":
        argv += ["--max-width", "2"]
    return argv


@pytest.mark.slow
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(argv=_argv())
def test_fuzz_command_line_never_crashes(argv, capsys):
    try:
        code = main(argv)
    except SystemExit as exc:  # only --help/--version exit this way
        code = exc.code
    err = capsys.readouterr().err
    assert code in (0, 1, 2), (argv, err)
    assert "internal error" not in err and "Traceback" not in err
