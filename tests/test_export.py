"""Exports (model file, ONNX, C) predict what the Network does, bit for bit; summary; CLI."""

from __future__ import annotations

import json
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import hardtarget as ht
from hardtarget.cli import main
from hardtarget.export._plan import plan_network
from hardtarget.export.runtime import CModel, pack_signs
from hardtarget.export.verify import _all_signs


def _binary_net(rng, sizes, classes=None, odd_bias=False):
    """±1 weights, integer biases (even ones make ties z = 0 reachable)."""
    ws = []
    for a, b in zip(sizes[:-1], sizes[1:]):
        bias = 2 * rng.integers(-2, 3, size=(1, b)) + (1 if odd_bias else 0)
        ws.append(np.vstack([rng.choice([-1.0, 1.0], size=(a, b)), bias]))
    return ht.Network(ws, ["sign"] * len(ws), classes)


def _parity_net(n):
    """A textbook parity network: unit k fires iff at least k inputs are +1, the output
    alternates over them.  Integer weights, so every export path is integral."""
    W1 = np.vstack([np.ones((n, n)), [[n - 2 * k + 1.0 for k in range(1, n + 1)]]])
    alt = np.array([[(-1.0) ** k] for k in range(n)])  # +1, -1, +1, ...
    W2 = np.vstack([alt, [[(1.0 if n % 2 else 0.0) - 1.0]]])
    return ht.Network([W1, W2], ["sign", "sign"], np.array(["even", "odd"]))


def _tie_net():
    """Real weights, but unit 0 computes x0 - x1: exactly 0 on half the ±1 inputs."""
    net = NETS["real"](np.random.default_rng(1))
    W = net.weights[0].copy()
    W[:, 0] = [1.0, -1.0, 0.0, 0.0, 0.0, 0.0, 0.0]
    return ht.Network([W, net.weights[1]], ["sign", "sign"])


NETS = {
    "packed-3class": lambda rng: _binary_net(rng, (12, 8, 3), np.array(["cat", "dog", "eel"])),
    "step-integer": lambda rng: ht.Network(
        [
            np.vstack(
                [rng.integers(-3, 4, size=(10, 6)) * 0.25, rng.integers(-4, 5, size=(1, 6)) * 0.5]
            ),
            np.vstack([rng.integers(-2, 3, size=(6, 1)), [[0.5]]]),
        ],
        ["step", "step"],
        np.array([3, 7]),
    ),
    # 0/1 inputs after step layers, weights in {-1, 0, 1}: AND-popcount on two masks
    "step-packed": lambda rng: ht.Network(
        [
            np.vstack([rng.integers(-2, 3, size=(9, 40)), rng.integers(-3, 4, size=(1, 40))]),
            np.vstack([rng.integers(-1, 2, size=(40, 6)), rng.integers(-4, 5, size=(1, 6))]),
            np.vstack([rng.integers(-1, 2, size=(6, 3)), rng.normal(size=(1, 3))]),
        ],
        ["step", "step", "step"],
    ),
    "real": lambda rng: ht.Network(
        [rng.normal(size=(7, 5)), rng.normal(size=(6, 4))], ["sign", "sign"]
    ),
    # torch-trained weights are float32 values: the C export stores them as float
    "float32": lambda rng: ht.Network(
        [rng.normal(size=(7, 5)).astype(np.float32), rng.normal(size=(6, 4)).astype(np.float32)],
        ["sign", "sign"],
    ),
    "qrelu-hidden": lambda rng: ht.Network(
        [
            np.vstack([rng.integers(-2, 3, size=(8, 4)), rng.integers(-2, 3, size=(1, 4))]),
            np.vstack([rng.normal(size=(4, 2)), rng.normal(size=(1, 2))]),
        ],
        ["qrelu3", "sign"],
    ),
}


@pytest.mark.parametrize("inputs", ["real", "sign"])
@pytest.mark.parametrize("fmt", ["json", "onnx", "c"])
@pytest.mark.parametrize("kind", sorted(NETS))
def test_every_export_is_bit_exact(kind, fmt, inputs, tmp_path):
    net = NETS[kind](np.random.default_rng(1))
    path = tmp_path / f"model.{fmt}"
    ht.export(net, path, inputs=inputs)
    check = ht.verify_export(net, path, inputs=inputs, n_random=300)
    assert check.ok, (str(check), check.first_mismatch)
    assert check.exhaustive == (net.n_features <= 14)


def test_layer_paths_follow_what_is_exactly_expressible():
    rng = np.random.default_rng(0)
    assert [p.kind for p in plan_network(NETS["packed-3class"](rng), "sign")] == [
        "packed",
        "packed",
    ]
    assert [p.kind for p in plan_network(NETS["packed-3class"](rng), "real")] == ["float", "packed"]
    stepped = plan_network(NETS["step-packed"](rng), "real")
    assert [(p.kind, p.weight_bits) for p in stepped] == [
        ("float", 32),
        ("packed", 2),
        ("packed", 2),
    ]
    step = plan_network(NETS["step-integer"](rng), "sign")
    assert [p.kind for p in step] == ["integer", "integer"] and step[0].scale_exp == 2
    assert [p.kind for p in plan_network(NETS["qrelu-hidden"](rng), "sign")] == ["integer", "float"]
    f32 = plan_network(NETS["float32"](rng), "real")
    assert (f32[0].kind, f32[0].weight_bits) == ("float", 32)
    assert f32[1].kind == "integer" and f32[1].weight_bits <= 32  # ±1 inputs, scaled weights
    assert plan_network(NETS["real"](rng))[0].weight_bits == 64


def test_integer_thresholds_agree_with_exact_rational_arithmetic():
    # z > 0 <=> S > threshold, checked against Fractions for every reachable S
    rng = np.random.default_rng(3)
    W = np.vstack([rng.integers(-5, 6, size=(5, 6)) * 0.125, rng.normal(size=(1, 6))])
    W[-1, :3] = [0.25, -0.5, 0.0]  # biases on the lattice: ties at exactly 0
    (p,) = plan_network(ht.Network([W], ["sign"]), "sign")
    bound = p.max_abs_sum
    for j in range(p.units):
        for S in range(-bound - 2, bound + 3):
            exact = Fraction(S) / 2**p.scale_exp + Fraction(float(W[-1, j])) > 0
            assert (S > p.thresholds[j]) == exact


def test_c_parity_matches_the_parity_function_on_every_input(tmp_path):
    n = 10
    net = _parity_net(n)
    ht.export(net, tmp_path / "parity.c", inputs="sign")
    c = CModel(tmp_path / "parity.c")
    X = _all_signs(n)
    truth = (X > 0).sum(axis=1) % 2  # independent of the network: count the +1s
    assert np.array_equal(c.index(X), truth)
    assert np.array_equal(c.index_bits(pack_signs(X)), truth)
    assert [p.kind for p in plan_network(net, "sign")] == ["packed", "packed"]


def test_c_header_serves_a_standalone_program(tmp_path):
    """A user's main() includes the header, links the source and prints labels."""
    import shutil
    import subprocess

    net = _parity_net(5)
    ht.export(net, tmp_path / "par.c", inputs="sign")
    (tmp_path / "main.c").write_text(
        '#include <stdio.h>\n#include "par.h"\n'
        "int main(void)\n{\n    double x[PAR_N_FEATURES]; uint32_t bits[PAR_INPUT_WORDS];\n"
        "    int i, f;\n"
        "    for (i = 0; i < 32; ++i) {\n"
        "        for (f = 0; f < PAR_N_FEATURES; ++f) x[f] = (i >> f) & 1 ? 1.0 : -1.0;\n"
        "        par_pack(x, bits);\n"
        '        printf("%s %s\\n", par_class_names[par_predict(x)], '
        "par_class_names[par_predict_bits(bits)]);\n    }\n    return 0;\n}\n"
    )
    cc = shutil.which("cc") or shutil.which("gcc")
    subprocess.run(
        [
            cc,
            "-std=c99",
            "-Wall",
            "-Werror",
            "-o",
            str(tmp_path / "prog"),
            str(tmp_path / "main.c"),
            str(tmp_path / "par.c"),
        ],
        check=True,
    )
    out = subprocess.run([str(tmp_path / "prog")], capture_output=True, text=True, check=True)
    want = ["odd" if bin(i).count("1") % 2 else "even" for i in range(32)]
    assert out.stdout.split("\n")[:-1] == [f"{w} {w}" for w in want]


def test_sign_of_zero_is_minus_one_in_every_format(tmp_path):
    net = ht.Network([np.array([[1.0], [1.0], [0.0]])], ["sign"], np.array(["neg", "pos"]))
    X = np.array([[1.0, -1.0], [1.0, 1.0], [-1.0, -1.0]])  # z = 0, 2, -2
    for fmt in ("onnx", "c"):
        path = tmp_path / f"m.{fmt}"
        ht.export(net, path)
        from hardtarget.export.runtime import open_export

        got = open_export(path).index(X)
        assert got.tolist() == [0, 1, 0], fmt


@pytest.mark.parametrize(
    "kind, old, new",
    [
        ("packed-3class", "pc <= ", "pc < "),  # XNOR layer: a unit at z = 0 would fire
        ("step-packed", "s > L1_T", "s >= L1_T"),  # AND-popcount layer: the same
        ("real-ties", "z > 0", "z >= 0"),  # float layers
    ],
)
def test_verify_catches_a_wrong_sign_convention_in_c(kind, old, new, tmp_path):
    net = _tie_net() if kind == "real-ties" else NETS[kind](np.random.default_rng(1))
    path = tmp_path / "m.c"
    ht.export(net, path, inputs="sign")
    src = path.read_text()
    assert old in src
    path.write_text(src.replace(old, new))
    check = ht.verify_export(net, path, inputs="sign")
    assert not check.ok and check.mismatches > 0 and check.zero_units > 0


def test_verify_catches_onnx_greater_or_equal(tmp_path):
    import onnx

    net = _tie_net()
    path = tmp_path / "m.onnx"
    ht.export(net, path)
    model = onnx.load(path)
    ops = {n.op_type for n in model.graph.node}
    assert "Sign" not in ops and "Where" in ops
    assert all(o.domain in ("", "ai.onnx") for o in model.opset_import)
    for node in model.graph.node:
        if node.op_type == "Greater":
            node.op_type = "GreaterOrEqual"
    onnx.save(model, path)
    assert not ht.verify_export(net, path).ok


def test_verify_compares_float_bits_not_rounded_values(tmp_path):
    net = NETS["real"](np.random.default_rng(1))
    path = tmp_path / "m.json"
    ht.export(net, path)
    doc = json.loads(path.read_text())
    doc["layers"][1]["bias"][0] = float(np.nextafter(doc["layers"][1]["bias"][0], np.inf))
    from hardtarget.export.jsonfile import _checksum

    doc["checksum"] = _checksum(doc)
    path.write_text(json.dumps(doc))
    check = ht.verify_export(net, path)
    assert check.mismatches > 0  # labels agree almost everywhere; the float64 bits do not


@pytest.mark.parametrize("kind", sorted(NETS))
def test_c_compiles_without_warnings_in_strict_c99(kind, tmp_path):
    net = NETS[kind](np.random.default_rng(1))
    ht.export(net, tmp_path / "m.c", inputs="sign")
    strict = ("-O2", "-Wall", "-Wextra", "-pedantic", "-Wconversion", "-Werror")
    assert CModel(tmp_path / "m.c", flags=strict).n_features == net.n_features


def test_c_float_path_is_exact_at_high_optimization(tmp_path):
    net = NETS["real"](np.random.default_rng(2))
    ht.export(net, tmp_path / "m.c")
    c = CModel(tmp_path / "m.c", flags=("-O3", "-march=native"))
    X = np.random.default_rng(0).normal(size=(2000, net.n_features)) * 3
    want = net.decision_function(X)
    assert np.array_equal(c.decision(X).view(np.uint64), want.view(np.uint64))


def test_json_file_is_portable_and_validated(tmp_path):
    rng = np.random.default_rng(0)
    net = ht.Network(
        [
            np.vstack([rng.integers(-3, 4, size=(4, 3)), [[1, 0, -2]]]),
            np.vstack([rng.normal(size=(3, 1)), [[0.1]]]),
        ],
        ["sign", "sign"],
        np.array(["a", "b"]),
    )
    path = tmp_path / "m.json"
    ht.export(net, path)
    doc = json.loads(path.read_text())
    assert doc["format"] == "hardtarget-model" and doc["version"] == 1
    assert all(isinstance(v, int) for row in doc["layers"][0]["weights"] for v in row)
    assert doc["layers"][0]["bias"] == [1, 0, -2]
    assert all(isinstance(v, float) for row in doc["layers"][1]["weights"] for v in row)
    back = ht.load(path)
    assert all(np.array_equal(a, b) for a, b in zip(back.weights, net.weights))
    assert back.classes.tolist() == ["a", "b"]

    from hardtarget.export.jsonfile import _checksum

    def write(d, fix=True):
        d = json.loads(json.dumps(d))
        if fix:
            d["checksum"] = _checksum(d)
        path.write_text(json.dumps(d))

    tampered = json.loads(json.dumps(doc))
    tampered["layers"][0]["bias"][0] = 2
    write(tampered, fix=False)
    with pytest.raises(ht.HardTargetError, match="checksum"):
        ht.load(path)
    write({**doc, "version": 2})
    with pytest.raises(ht.HardTargetError, match="newer.*upgrade"):
        ht.load(path)
    bad = json.loads(json.dumps(doc))
    bad["layers"][1]["weights"] = bad["layers"][1]["weights"][:2]
    write(bad)
    with pytest.raises(
        ht.HardTargetError, match=r"layer 1 weights has shape \(2, 1\), expected \(3,"
    ):
        ht.load(path)
    write({**doc, "classes": {"dtype": "str", "values": ["a", "b", "c"]}})
    with pytest.raises(ht.HardTargetError, match="3 classes for 1 output"):
        ht.load(path)
    path.write_text("{not json")
    with pytest.raises(ht.HardTargetError, match="not valid JSON"):
        ht.load(path)
    with pytest.raises(ht.HardTargetError, match="does not exist"):
        ht.load(tmp_path / "missing.json")


def test_bad_export_requests_say_what_to_do(tmp_path):
    net = NETS["real"](np.random.default_rng(0))
    with pytest.raises(
        ht.HardTargetError, match=r"valid: c, json, onnx \(or a path ending in .c, .json, .onnx\)"
    ):
        ht.export(net, tmp_path / "m.txt")
    with pytest.raises(ht.HardTargetError, match="'real'.*'sign'"):
        ht.export(net, tmp_path / "m.onnx", inputs="ternary")
    with pytest.raises(ht.HardTargetError, match="identifier"):
        ht.export(net, tmp_path / "m.c", name="9 lives")
    with pytest.raises(ht.HardTargetError, match="not fitted"):
        ht.export(ht.HardThresholdClassifier(), tmp_path / "m.json")
    with pytest.raises(ht.HardTargetError, match="cannot export a dict"):
        ht.export({}, tmp_path / "m.json")
    assert ht.export(net, tmp_path / "9-lives.c")[1].name == "9-lives.h"  # stem made an identifier
    wrong = ht.Network(net.weights, ["sign", "sign"], np.array(["a", "b", "c"]))  # 4 outputs
    with pytest.raises(ht.HardTargetError, match="3 classes for 4 output unit"):
        ht.export(wrong, tmp_path / "w.onnx")


@pytest.mark.parametrize("fmt", ["onnx", "c"])
def test_an_export_remembers_its_inputs(fmt, tmp_path):
    net = NETS["packed-3class"](np.random.default_rng(0))
    ht.export(net, tmp_path / f"m.{fmt}", inputs="sign")
    check = ht.verify_export(net, tmp_path / f"m.{fmt}")  # checked on ±1 inputs only
    assert check.ok and check.exhaustive and check.n_inputs < 4096 + 200
    with pytest.raises(ht.HardTargetError, match=r"exported for inputs that are all -1 or \+1"):
        ht.verify_export(net, tmp_path / f"m.{fmt}", inputs="real")


def test_verify_refuses_an_export_of_another_model(tmp_path):
    rng = np.random.default_rng(0)
    small, other = NETS["real"](rng), NETS["packed-3class"](rng)
    for fmt in ("json", "onnx", "c"):
        ht.export(other, tmp_path / f"other.{fmt}")
        with pytest.raises(
            ht.HardTargetError, match="takes 12 features and gives 3 outputs.*not an"
        ):
            ht.verify_export(small, tmp_path / f"other.{fmt}")
    with pytest.raises(ht.HardTargetError, match="does not exist"):
        ht.verify_export(small, tmp_path / "missing.onnx")
    (tmp_path / "hand.c").write_text("int main(void) { return 0; }\n")
    with pytest.raises(ht.HardTargetError, match="not a C export"):
        ht.verify_export(small, tmp_path / "hand.c")


def test_summary_counts_bits_memory_and_operations():
    rng = np.random.default_rng(0)
    net = _binary_net(rng, (64, 32, 10))
    s = ht.summary(net, inputs="sign")
    l0, l1 = s.rows
    # 64 inputs -> 2 words per unit, 32 units, plus an int32 popcount limit per unit
    assert (l0["path"], l0["weight_bits"], l0["memory_bytes"]) == ("packed", 1, 32 * 2 * 4 + 32 * 4)
    assert l0["float32_bytes"] == 65 * 32 * 4 and l0["binary_ops"] == 64 * 32
    # output layer: 1 word per unit and a float64 bias (its pre-activations are returned)
    assert l1["memory_bytes"] == 10 * 4 + 10 * 8 and l1["binary_ops"] == 320
    assert s.totals["compression"] == pytest.approx((384 + 120) / (8320 + 1320))  # Larq: mem/fp32
    real = ht.summary(net).rows[0]
    assert (real["path"], real["weight_bits"], real["float_macs"]) == ("float", 32, 64 * 32)
    assert "total" in str(s) and json.dumps(s.to_dict())


def test_torch_mlp_exports_once_converted(tmp_path):
    torch = pytest.importorskip("torch")

    from hardtarget.torch.models import MLP

    torch.manual_seed(0)
    mlp = MLP([6, 4, 3], "sign")
    path = tmp_path / "t.onnx"
    ht.export(mlp, path)
    assert ht.verify_export(mlp, path).ok


def test_cli_export_and_summary(tmp_path, capsys):
    net = _binary_net(np.random.default_rng(0), (16, 6, 2), np.array([0, 1]))
    model = tmp_path / "net.npz"
    net.save(model)
    assert (
        main(["export", str(model), "-o", str(tmp_path / "net.c"), "--inputs", "sign", "--verify"])
        == 0
    )
    out = capsys.readouterr().out
    assert ": exact on" in out and (tmp_path / "net.h").exists()
    assert main(["export", str(model), "-f", "onnx", "-o", str(tmp_path / "n.onnx"), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["written"] == [str(tmp_path / "n.onnx")]
    assert main(["export", str(model), "-o", str(tmp_path / "n.bin")]) == 2
    assert "valid: c, json, onnx" in capsys.readouterr().err
    assert main(["export", str(tmp_path / "nope.npz"), "-o", str(tmp_path / "n.json")]) == 2
    capsys.readouterr()
    assert main(["summary", str(model), "--inputs", "sign", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)["layers"]
    assert [r["path"] for r in rows] == ["packed", "packed"]


def _random_weights(rng: np.random.Generator, kind: str, shape: tuple) -> np.ndarray:
    if kind == "pm1":
        return rng.choice([-1.0, 1.0], size=shape)
    if kind == "ternary":
        return rng.integers(-1, 2, size=shape).astype(float)
    if kind == "dyadic":
        return rng.integers(-8, 9, size=shape) / 4.0
    if kind == "real":
        return rng.normal(size=shape)
    return rng.normal(size=shape).astype(np.float32)


def _random_network(draw, st):
    """Hypothesis: a small network mixing every activation and weight kind."""
    n = draw(st.integers(1, 9))
    widths = draw(st.lists(st.integers(1, 5), min_size=1, max_size=3))
    acts = draw(
        st.lists(
            st.sampled_from(["sign", "step", "qrelu1", "qrelu3"]),
            min_size=len(widths),
            max_size=len(widths),
        )
    )
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    weights, rows = [], n
    for width in widths:
        kind = draw(st.sampled_from(["pm1", "ternary", "dyadic", "real", "float32"]))
        W = _random_weights(rng, kind, (rows, width))
        bias = rng.integers(-3, 4, size=(1, width)) / draw(st.sampled_from([1.0, 2.0, 3.0]))
        weights.append(np.vstack([W, bias]))
        rows = width
    return ht.Network(weights, acts)


@settings(max_examples=40, deadline=None)
@given(
    data=st.data(), inputs=st.sampled_from(["real", "sign"]), fmt=st.sampled_from(["json", "onnx"])
)
def test_random_networks_export_exactly(data, inputs, fmt, tmp_path_factory):
    net = _random_network(data.draw, st)
    path = tmp_path_factory.mktemp("h") / f"m.{fmt}"
    ht.export(net, path, inputs=inputs)
    check = ht.verify_export(net, path, inputs=inputs, n_random=100)
    assert check.ok, (check, net.weights, [a.name for a in net.activations])


@settings(max_examples=12, deadline=None)
@given(data=st.data(), inputs=st.sampled_from(["real", "sign"]))
def test_random_networks_export_exactly_to_c(data, inputs, tmp_path_factory):
    net = _random_network(data.draw, st)
    path = tmp_path_factory.mktemp("h") / "m.c"
    ht.export(net, path, inputs=inputs)
    check = ht.verify_export(net, path, inputs=inputs, n_random=100)
    assert check.ok, (check, net.weights, [a.name for a in net.activations])


@pytest.mark.parametrize(
    "module",
    [
        "hardtarget.export",
        "hardtarget.export.jsonfile",
        "hardtarget.export.summary",
        "hardtarget.export.verify",
        "hardtarget.export._model",
        "hardtarget.estimator",
    ],
)
def test_docstring_examples_run(module, tmp_path, monkeypatch):
    import doctest
    import importlib

    monkeypatch.chdir(tmp_path)
    result = doctest.testmod(importlib.import_module(module))
    assert result.attempted > 0 and result.failed == 0
