"""The C export is exact under gcc and clang at any optimization, and refuses what breaks it."""

from __future__ import annotations

import re
import shutil
import subprocess

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import hardtarget as ht
from hardtarget.export.c import c_string
from hardtarget.export.runtime import CModel

COMPILERS = ["gcc", "clang"]


def _need(cc: str) -> None:
    if shutil.which(cc) is None:  # CI installs clang (.ci/run); a bare machine may lack it
        pytest.skip(f"{cc} is not installed (apt-get install {cc}; .ci/run installs clang)")


def _tie_network(draw) -> ht.Network:
    """Real weights with planted ties: unit 0 of the first layer is x0 - x1 (+ a dyadic
    bias), and one layer only half the time, so the output sums read real inputs."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    n = draw(st.integers(2, 9))
    widths = draw(st.lists(st.integers(1, 4), min_size=1, max_size=2))
    weights, rows = [], n
    for d, width in enumerate(widths):
        W = np.vstack([rng.normal(size=(rows, width)), rng.integers(-2, 3, size=(1, width)) / 2])
        if d == 0:
            W[:, 0] = 0.0
            W[0, 0], W[1, 0] = 1.0, -1.0
        weights.append(W)
        rows = width
    return ht.Network(weights, ["sign"] * len(widths))


@pytest.mark.parametrize("cc", COMPILERS)
@settings(max_examples=6, deadline=None)
@given(data=st.data())
def test_random_tie_networks_are_exact_at_O2_march_native(cc, data, tmp_path_factory):
    _need(cc)
    net = _tie_network(data.draw)
    path = tmp_path_factory.mktemp("c") / "m.c"
    ht.export(net, path)
    check = ht.verify_export(net, path, n_random=200, cc=cc, cflags="-O2 -march=native")
    assert check.ok, (str(check), check.first_mismatch, net.weights)


@pytest.mark.parametrize(
    "cc, flags",
    [(cc, f) for cc in COMPILERS for f in ("-O0", "-std=c99 -O3 -march=native", "-std=gnu17 -O3")],
)
def test_every_optimization_level_and_standard_is_exact(cc, flags, tmp_path):
    _need(cc)
    rng = np.random.default_rng(4)
    net = ht.Network([rng.normal(size=(9, 3))], ["sign"])  # output sums of real products
    ht.export(net, tmp_path / "m.c")
    c = CModel(tmp_path / "m.c", flags=tuple(flags.split()), cc=cc)
    X = rng.normal(size=(3000, 8))
    # an independent truth: the Network's order in plain Python floats (no numba, no FMA)
    want = [
        [
            sum((x[f] * w for f, w in enumerate(net.weights[0][:-1, j])), 0.0)
            + net.weights[0][-1, j]
            for j in range(3)
        ]
        for x in X[:300]
    ]
    assert np.array_equal(c.decision(X[:300]), np.array(want))
    assert np.array_equal(c.decision(X), net.decision_function(X))


def test_a_fused_multiply_add_is_caught_under_clang(tmp_path):
    """The old one-statement loop without the pragma: clang contracts it into an FMA at
    -march=native, and verify_export sees the difference (so the tests above can fail)."""
    _need("clang")
    net = ht.Network([np.random.default_rng(0).normal(size=(11, 4))], ["sign"])
    path = tmp_path / "m.c"
    ht.export(net, path)
    src = re.sub(r"\{ double p = (.*?); s \+= p; \}", r"s += \1;", path.read_text())
    path.write_text(re.sub(r"#pragma (clang fp|STDC FP_CONTRACT).*", "", src))
    check = ht.verify_export(net, path, cc="clang", cflags="-std=c99 -O2 -march=native")
    assert check.mismatches > 0


@pytest.mark.parametrize(
    "cc, flags, message",
    [
        *[(cc, "-O2 -ffast-math", "ffast-math") for cc in COMPILERS],
        *[(cc, "-Ofast", "ffast-math") for cc in COMPILERS],
        ("gcc", "-O2 -mfpmath=387", "x87"),  # clang on x86-64 keeps SSE for double
    ],
)
def test_flags_that_break_ieee_are_refused_at_compile_time(cc, flags, message, tmp_path):
    _need(cc)
    net = ht.Network([np.ones((3, 1))], ["sign"])
    ht.export(net, tmp_path / "m.c")
    with pytest.raises(ht.HardTargetError, match=message):
        CModel(tmp_path / "m.c", flags=tuple(flags.split()), cc=cc)


HOSTILE = [
    'say "hi"',
    "back\\slash",
    "two\nlines",
    "what??!",
    "??=??/??'",
    "é ü 中",
    "\x01\x7f\t",
    "\x1fF",  # an octal escape followed by a hex digit: \037F, not a longer escape
    "",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_c_string_reads_back_as_the_utf8_bytes(text):
    lit = c_string(text)
    assert "??" not in lit and "\n" not in lit
    # decode the literal independently: \ooo octal and \c single-character escapes
    body, out, i = lit[1:-1], bytearray(), 0
    while i < len(body):
        if body[i] == "\\" and body[i + 1] in "01234567":
            out.append(int(body[i + 1 : i + 4], 8))
            i += 4
        elif body[i] == "\\":
            out.append(ord(body[i + 1]))
            i += 2
        else:
            out.append(ord(body[i]))
            i += 1
    assert bytes(out) == text.encode()


def _labels_program(tmp_path, lang: str) -> str:
    src = tmp_path / ("main.cpp" if lang == "c++" else "main.c")
    src.write_text(
        '#include <stdio.h>\n#include "lab.h"\n'
        "int main(void)\n{\n    int i;\n"
        '    for (i = 0; i < LAB_N_CLASSES; ++i) printf("[%s]", lab_class_names[i]);\n'
        "    return 0;\n}\n"
    )
    return str(src)


@pytest.mark.parametrize("lang", ["c", "c++"])
def test_hostile_labels_compile_in_c_and_cpp_and_print_back(lang, tmp_path):
    compiler = "gcc" if lang == "c" else "g++"
    _need(compiler)
    labels = np.array([t for t in HOSTILE if "\x00" not in t])
    k = len(labels)
    rng = np.random.default_rng(0)
    net = ht.Network([rng.normal(size=(4, k))], ["sign"], labels)
    ht.export(net, tmp_path / "lab.c")
    main = _labels_program(tmp_path, lang)
    strict = ["-Wall", "-Wextra", "-Werror", "-pedantic"]
    obj = tmp_path / "lab.o"
    subprocess.run(
        ["gcc", "-std=c99", "-trigraphs", *strict, "-c", str(tmp_path / "lab.c"), "-o", str(obj)],
        check=True,
    )
    std = "-std=c++11" if lang == "c++" else "-std=c99"
    exe = tmp_path / "prog"
    subprocess.run(
        [compiler, std, *strict, "-I", str(tmp_path), main, str(obj), "-o", str(exe)], check=True
    )
    out = subprocess.run([str(exe)], capture_output=True, check=True).stdout
    assert out == b"".join(b"[" + t.encode() + b"]" for t in labels)
