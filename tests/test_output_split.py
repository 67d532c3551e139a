"""output-split: the output function as a case split; its classes, answers and proof files."""

from __future__ import annotations

import importlib.util
import itertools
import json
from pathlib import Path

import numpy as np
import pytest

import hardtarget as ht
from hardtarget.search.sat.output_classes import (
    output_classes,
    threshold_function_count,
)
from hardtarget.status import REAL_WEIGHTS
from tests.test_sat import rup_check

_spec = importlib.util.spec_from_file_location(
    "check_output_split", Path(__file__).resolve().parents[1] / "tools" / "check_output_split.py"
)
assert _spec is not None and _spec.loader is not None
cos = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(cos)
_spec = importlib.util.spec_from_file_location(
    "check_rup", Path(__file__).resolve().parents[1] / "tools" / "check_rup.py"
)
assert _spec is not None and _spec.loader is not None
crup = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(crup)

# OEIS A000609: threshold functions of n variables (Muroga; Winder)
A000609 = {1: 4, 2: 14, 3: 104, 4: 1882, 5: 94572, 6: 15028134}


@pytest.mark.parametrize("w", [1, 2, 3, 4, 5])
def test_the_classes_account_for_every_threshold_function(w):
    assert threshold_function_count(w) == A000609[w]
    for c in output_classes(w):  # each table is what its weights compute
        for code, value in zip(itertools.product((0, 1), repeat=w), c.table):
            assert value == int(np.dot(c.weights, code) >= c.threshold)
    cos.check_classes(
        [
            {
                "weights": list(c.weights),
                "threshold": c.threshold,
                "table": list(c.table),
                "dual": c.dual,
            }
            for c in output_classes(w)
        ],
        w,
    )


@pytest.mark.slow
def test_the_six_bit_classes_account_for_every_threshold_function():
    assert threshold_function_count(6) == A000609[6]


def test_the_checker_refuses_an_incomplete_class_list():
    doc = [
        {
            "weights": list(c.weights),
            "threshold": c.threshold,
            "table": list(c.table),
            "dual": c.dual,
        }
        for c in output_classes(3)
    ]
    with pytest.raises(cos.EncodingError, match="incomplete"):
        cos.check_classes(doc[:-1], 3)


def _cube_problem(n, f):
    X = np.array(list(itertools.product((-1.0, 1.0), repeat=n)))
    return ht.make_problem(X, np.asarray(f)[(X > 0).sum(axis=1)])


@pytest.mark.parametrize("seed", range(4))
def test_agrees_with_exhaustive(seed):
    rng = np.random.default_rng(seed)
    problems = [
        _cube_problem(3, rng.choice((-1, 1), size=4)),
        ht.make_problem(rng.integers(-3, 4, size=(7, 2)).astype(float), rng.choice((-1, 1), 7)),
    ]
    for p in problems:
        for width in (1, 2):
            truth = ht.solve(p, (width,), "exhaustive").loss == 0
            for opts in ({}, {"lex": False, "dual": False}, {"summable": False}):
                r = ht.solve(p, (width,), "output-split", **opts)
                assert (r.status == "optimal") == truth, (seed, width, opts)
                if truth:  # the network it returns fits, by a plain forward pass
                    assert np.array_equal(r.network.predict(p.X), p.t.ravel())
                else:
                    assert r.status == "infeasible" and r.info["proof"] == REAL_WEIGHTS


def test_affine_symmetries_of_a_zero_one_cube():
    from hardtarget.search.symmetry import affine_generators, generated_group

    X = np.array(list(itertools.product((0.0, 1.0), repeat=3)))
    y = np.where(X.sum(axis=1) % 2, 1, -1)
    G = generated_group(affine_generators(X)[0])
    assert len(G) == 48  # 3! orders x 2^3 flips x -> 1 - x; checked point by point:
    for p in G:
        assert cos._affine_map([tuple(r) for r in X.astype(int).tolist()], p.tolist())
    assert sum(np.array_equal(y[p], -y) for p in G) == 24  # odd flips negate parity
    # a point set whose centering is inexact keeps only exact maps
    Z = np.array([[0.1, 0.0], [0.0, 0.1], [0.7, 0.7]])
    for p in generated_group(affine_generators(Z)[0]):
        assert cos._affine_map([tuple(cos._exact(v) for v in r) for r in Z], p.tolist())


def test_zero_one_parity_uses_the_flips_and_its_proof_checks(tmp_path):
    X = np.array(list(itertools.product((0.0, 1.0), repeat=4)))
    p = ht.make_problem(X, np.where(X.sum(axis=1) % 2, 1, -1))
    path = str(tmp_path / "p")
    r = ht.solve(p, (3,), "output-split", proof=path)
    assert r.status == "infeasible" and r.info["label_flip"]
    assert cos.check_output_split(path, p.X, p.t, 3)["lex"] > 0


def test_min_width_of_parity_four():
    # no hidden layer (one exact LP) up to the first width that fits
    r = ht.min_width(ht.load_problem("parity:4"), strategy="output-split")
    assert r.width == 4 and r.proven


def test_parity_five_settled_both_ways(tmp_path):
    p = ht.load_problem("parity:5")
    path = str(tmp_path / "p5w4")
    r = ht.solve(p, (4,), "output-split", proof=path)
    assert r.status == "infeasible"
    assert cos.check_output_split(path, p.X, p.t, 4)["classes"] == r.info["classes_solved"]
    for rec in json.loads(Path(path + ".json").read_text())["solved"]:
        if "constant" not in rec:
            k = rec["index"]
            assert crup.check_rup(f"{path}.{k}.cnf", f"{path}.{k}.drat")[0]
    r = ht.solve(p, (5,), "output-split")
    assert r.status == "optimal" and np.array_equal(r.network.predict(p.X), p.t.ravel())


def test_proof_files_check_and_tampering_is_refused(tmp_path):
    p = ht.load_problem("parity:4")
    path = str(tmp_path / "p4w3")
    r = ht.solve(p, (3,), "output-split", proof=path)
    assert r.status == "infeasible" and r.info["proof_file"] == path + ".json"
    counts = cos.check_output_split(path, p.X, p.t, 3)
    assert counts["summable"] > 0 and counts["lex"] > 0 and counts["output"] > 0
    with open(path + ".json") as f:
        doc = json.load(f)
    for rec in doc["solved"]:
        if "constant" not in rec:  # every refutation checks by unit propagation, twice
            k = rec["index"]
            assert rup_check(f"{path}.{k}.cnf", f"{path}.{k}.drat")
            assert crup.check_rup(f"{path}.{k}.cnf", f"{path}.{k}.drat")[0]
    # both refuse a refutation that only claims the empty clause (unit propagation alone
    # does not refute these formulas: each needed lemmas)
    assert all(
        Path(f"{path}.{r['index']}.drat").stat().st_size > 2
        for r in doc["solved"]
        if "constant" not in r
    )
    Path(f"{path}.bad").write_text("0\n")
    assert not rup_check(f"{path}.{k}.cnf", f"{path}.bad")
    assert not crup.check_rup(f"{path}.{k}.cnf", f"{path}.bad")[0]
    # a clause that forbids a valid code is refused
    k = next(rec["index"] for rec in doc["solved"] if "constant" not in rec)
    cnf = Path(f"{path}.{k}.cnf")
    lines = cnf.read_text().splitlines()
    first = next(i for i, line in enumerate(lines) if not line.startswith("p"))
    lines[first] = " ".join(str(-int(v)) for v in lines[first].split()[:-1]) + " 0"
    cnf.write_text("\n".join(lines) + "\n")
    with pytest.raises(cos.EncodingError):
        cos.check_output_split(path, p.X, p.t, 3)
    # a lex generator that does not keep the labels is refused
    r = ht.solve(p, (3,), "output-split", proof=path)
    doc = json.loads(Path(path + ".json").read_text())
    rec = next(rec for rec in doc["solved"] if rec.get("lex"))
    rec["lex"][0]["rows"] = doc["label_flip"]
    Path(path + ".json").write_text(json.dumps(doc))
    with pytest.raises(cos.EncodingError, match="labels"):
        cos.check_output_split(path, p.X, p.t, 3)


def test_lp_cut_certificates_check_exactly(tmp_path):
    # without the sum quadruples up front, the hidden columns are cut by LP certificates
    p = ht.load_problem("parity:3")
    path = str(tmp_path / "p3w2")
    r = ht.solve(p, (2,), "output-split", summable=False, proof=path)
    assert r.status == "infeasible" and r.info["lp_checks"] > 0
    counts = cos.check_output_split(path, p.X, p.t, 2)
    assert counts["cut"] > 0
    doc = json.loads(Path(path + ".json").read_text())
    rec = next(rec for rec in doc["solved"] if rec.get("certificates"))
    rec["certificates"][0]["targets"] = [-rec["certificates"][0]["targets"][0]] + rec[
        "certificates"
    ][0]["targets"][1:]
    Path(path + ".json").write_text(json.dumps(doc))
    with pytest.raises(cos.EncodingError):
        cos.check_output_split(path, p.X, p.t, 2)


@pytest.mark.parametrize(
    ("hidden", "kwargs", "match"),
    [
        ((2, 2), {}, "one hidden layer"),
        ((7,), {}, "1 to 6"),
        ((2,), {"activation": "qrelu3"}, "sign or step"),
        ((2,), {"objective": "margin"}, "zero-error"),
    ],
)
def test_refuses_what_it_cannot_decide(hidden, kwargs, match):
    with pytest.raises(ht.HardTargetError, match=match):
        ht.solve(ht.load_problem("parity:3"), hidden, "output-split", **kwargs)


def test_cli_settles_parity_four(tmp_path, capsys):
    from hardtarget.cli import main

    code = main(
        [
            "solve",
            "--problem",
            "parity:4",
            "--hidden",
            "3",
            "--strategy",
            "output-split",
            "-o",
            f"proof={tmp_path / 'p'}",
        ]
    )
    assert code == 1 and "proved" in capsys.readouterr().out  # 1: no zero-error network
    assert (tmp_path / "p.json").exists()
