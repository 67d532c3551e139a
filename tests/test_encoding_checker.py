"""tools/check_encoding.py rebuilds a sat-lp proof's CNF from the problem and refuses tampering."""

import importlib.util
import json
import sys
from pathlib import Path

import pytest

import hardtarget as ht

_spec = importlib.util.spec_from_file_location(
    "check_encoding", Path(__file__).resolve().parents[1] / "tools" / "check_encoding.py"
)
ce = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ce)
_spec = importlib.util.spec_from_file_location(
    "check_rup", Path(__file__).resolve().parents[1] / "tools" / "check_rup.py"
)
crup = importlib.util.module_from_spec(_spec)
# registered by name: numba's cache of its kernel names the module (a nameless one cannot
# be loaded back, and every later run failed with "No module named '<dynamic>'")
sys.modules.setdefault("check_rup", crup)
_spec.loader.exec_module(crup)


def _proof(tmp, name, hidden, activation="sign", **options):
    path = str(tmp / f"{name.replace(':', '')}-{'-'.join(map(str, hidden))}-{activation}")
    r = ht.solve(
        ht.load_problem(name),
        hidden=hidden,
        activation=activation,
        strategy="sat-lp",
        objective="feasibility",
        first_pass=False,
        proof=path,
        **options,
    )
    assert r.status == "infeasible"
    return path


def _check(path, name, hidden, activation="sign"):
    p = ht.load_problem(name)
    return ce.check_encoding(path + ".cnf", path + ".json", p.X, p.t, hidden, activation)


def _rewrite(src, dst, edit):
    """Copy the proof ``src`` to ``dst`` with ``edit(clauses, doc)`` applied."""
    _, clauses = ce.read_dimacs(src + ".cnf")
    clauses = [list(c) for c in clauses]
    doc = json.loads(Path(src + ".json").read_text())
    edit(clauses, doc)
    top = max((abs(v) for c in clauses for v in c), default=0)
    body = "".join(" ".join(map(str, c)) + " 0\n" for c in clauses)
    Path(dst + ".cnf").write_text(f"p cnf {top} {len(clauses)}\n{body}")
    Path(dst + ".json").write_text(json.dumps(doc))
    return dst


@pytest.fixture(scope="module")
def p4(tmp_path_factory):
    return _proof(tmp_path_factory.mktemp("p4"), "parity:4", (3,))


@pytest.fixture(scope="module")
def p3(tmp_path_factory):
    # LP cuts on both layers, point-symmetry images and a cut already added (empty span)
    return _proof(tmp_path_factory.mktemp("p3"), "parity:3", (2,), summable=False)


def test_parity4_proof_is_rebuilt_family_by_family(p4):
    assert crup.check_rup(p4 + ".cnf", p4)[0]  # the refutation, lemma by lemma
    counts = _check(p4, "parity:4", (3,))
    u, w = 16, 3  # distinct rows, hidden units
    n_certs = len(json.loads(Path(p4 + ".json").read_text())["certificates"])
    assert counts["symmetry"] == w + (w - 1) * (1 + 3 * (u - 1))  # fixed first row, lex chains
    assert counts["orbit"] == 1 + 15 * u  # 15 orbits of threshold columns of 4 inputs
    assert counts["separate"] == 8 * 8 * (2 * w + 1)  # (odd, even) pairs
    assert counts["cut"] == n_certs * 2 * w and counts["certificates"] == n_certs
    assert sum(v for k, v in counts.items() if k != "certificates") == len(
        ce.read_dimacs(p4 + ".cnf")[1]
    )


def test_lp_output_layer_and_symmetric_cuts_are_rebuilt(p3):
    doc = json.loads(Path(p3 + ".json").read_text())
    assert {c["layer"] for c in doc["certificates"]} == {1, 2}
    assert doc["symmetric_certificates"]
    counts = _check(p3, "parity:3", (2,))
    assert counts["certificates"] == len(doc["certificates"]) + len(doc["symmetric_certificates"])
    assert counts["cut"] > 0 and counts["separate"] > 0


@pytest.mark.parametrize(
    "name, hidden, activation",
    [("parity:3", (1, 1), "sign"), ("parity:3", (2, 2), "step")],
)
def test_deeper_layers_and_step_units(tmp_path, name, hidden, activation):
    path = _proof(tmp_path, name, hidden, activation, summable=False, separate=False)
    layers = {c["layer"] for c in json.loads(Path(path + ".json").read_text())["certificates"]}
    assert 3 in layers  # cuts on the output unit over two layers of codes
    counts = _check(path, name, hidden, activation)
    assert counts["cut"] > 0 and "separate" not in counts


def _first_cut(doc):
    return min(c["clauses"][0] for c in doc["certificates"] if c["clauses"][1] > c["clauses"][0])


def _flip(index):
    def edit(clauses, doc):
        i = index(clauses, doc)
        clauses[i][0] = -clauses[i][0]

    return edit


TAMPERING = {
    "cut literal": _flip(lambda c, d: _first_cut(d)),
    "symmetry unit": _flip(lambda c, d: 0),
    "lex chain": _flip(lambda c, d: 5),
    "separate": _flip(lambda c, d: _first_cut(d) - 1),
    "cut dropped": lambda c, d: c.pop(len(c) - 1),
    "unjustified clause": lambda c, d: c.append([d["variables"]["hidden"][0][3][1]]),
    "wrong targets": lambda c, d: d["certificates"][0].update(targets=[1, 1, 1, -1]),
    "moved input": lambda c, d: d["certificates"][0]["inputs"][0].__setitem__(0, 0.5),
}


@pytest.mark.parametrize("how", sorted(TAMPERING))
def test_tampered_parity4_proof_is_refused(p4, tmp_path, how):
    bad = _rewrite(p4, str(tmp_path / "bad"), TAMPERING[how])
    with pytest.raises(ce.EncodingError):
        _check(bad, "parity:4", (3,))


def test_tampered_output_cut_is_refused(p3, tmp_path):
    def edit(clauses, doc):
        c = next(
            c for c in doc["certificates"] if c["layer"] == 2 and c["clauses"][1] > c["clauses"][0]
        )
        clauses[c["clauses"][0]].pop()  # a stronger clause than the certificate gives

    bad = _rewrite(p3, str(tmp_path / "bad"), edit)
    with pytest.raises(ce.EncodingError, match="not the cut"):
        _check(bad, "parity:3", (2,))


def test_not_a_farkas_certificate_is_refused(p4, tmp_path):
    def edit(clauses, doc):  # a separable pattern: AND of the first two inputs
        c = doc["certificates"][0]
        c["targets"] = [1 if a[0] > 0 and a[1] > 0 else -1 for a in c["inputs"]]

    bad = _rewrite(p4, str(tmp_path / "bad"), edit)
    with pytest.raises(ce.EncodingError, match="no exact Farkas"):
        _check(bad, "parity:4", (3,))


@pytest.mark.parametrize("name, hidden", [("parity:4", (4,)), ("majority:4", (3,))])
def test_another_claim_is_refused(p4, name, hidden):
    with pytest.raises(ce.EncodingError):
        _check(p4, name, hidden)


def test_first_layer_cuts_hold_for_step_units_too(p4):
    # symmetry, separate and first-layer cuts do not depend on the hidden activation
    assert _check(p4, "parity:4", (3,), "step") == _check(p4, "parity:4", (3,))


def test_command_line_exit_codes(p4, tmp_path, capsys):
    assert ce.main([p4, "--problem", "parity:4", "--hidden", "3"]) == 0
    out = capsys.readouterr().out
    assert "OK" in out and "separate: 448" in out
    bad = _rewrite(p4, str(tmp_path / "bad"), TAMPERING["cut literal"])
    assert ce.main([bad, "--problem", "parity:4", "--hidden", "3"]) == 1
    assert "REFUSED" in capsys.readouterr().err
    assert ce.main([str(tmp_path / "none"), "--problem", "parity:4", "--hidden", "3"]) == 2
    assert ce.main([p4, "--problem", "nope:4", "--hidden", "3"]) == 2


def test_parity5_width4_proof_is_rebuilt(tmp_path):
    # the whole proof: the encoding rebuilt, and the refutation checked lemma by lemma
    path = _proof(tmp_path, "parity:5", (4,))
    assert crup.check_rup(path + ".cnf", path)[0]
    counts = _check(path, "parity:5", (4,))
    assert counts["separate"] == 16 * 16 * 9 and counts["symmetry"] == 4 + 3 * (1 + 3 * 31)
    assert counts["cut"] == 8 * counts["certificates"]
    assert counts["orbit"] == 1 + 63 * 32  # 63 orbits of threshold columns of 5 inputs


def _orbit_span(doc):
    return doc["orbits"]["clauses"]


def _repeat_first_representative(clauses, doc):
    """The last representative replaced by the first (clauses and list alike): the last
    orbit's minimum is then missing."""
    reps = doc["orbits"]["representatives"]
    u = len(reps[0])
    start = _orbit_span(doc)[0] + 1 + (len(reps) - 1) * u
    for i in range(u):
        lit = abs(clauses[start + i][1])
        clauses[start + i][1] = lit if reps[0][i] else -lit
    reps[-1] = reps[0]


ORBIT_TAMPERING = {
    "orbit literal": (_flip(lambda c, d: _orbit_span(d)[0] + 3), "expected orbit clause"),
    "representative missing": (_repeat_first_representative, "is no representative"),
    "not a permutation": (
        lambda c, d: d["orbits"]["generators"][0].update(perm=[0, 0, 1, 2]),
        "not a signed permutation",
    ),
    "bad sign": (
        lambda c, d: d["orbits"]["generators"][0].update(signs=[2, 1, 1, 1]),
        "not a signed permutation",
    ),
    "span": (
        lambda c, d: d["orbits"].update(clauses=[_orbit_span(d)[0] + 1, _orbit_span(d)[1]]),
        "orbit clauses start",
    ),
}


@pytest.mark.parametrize("how", sorted(ORBIT_TAMPERING))
def test_tampered_orbit_family_is_refused(p4, tmp_path, how):
    edit, message = ORBIT_TAMPERING[how]
    bad = _rewrite(p4, str(tmp_path / "bad"), edit)
    with pytest.raises(ce.EncodingError, match=message):
        _check(bad, "parity:4", (3,))


def test_a_generator_that_moves_the_labels_is_refused(tmp_path):
    # labels kept by coordinate permutations, not by one coordinate's sign flip
    import itertools

    import numpy as np

    X = np.array(list(itertools.product((-1, 1), repeat=4)), dtype=float)
    t = np.where((X > 0).sum(axis=1) % 3 == 0, 1, -1)
    path = str(tmp_path / "mod3")
    r = ht.solve(
        ht.make_problem(X, t),
        hidden=(1,),
        strategy="sat-lp",
        objective="feasibility",
        first_pass=False,
        proof=path,
    )
    assert r.status == "infeasible" and r.info["orbit_group_order"] == 24

    def edit(clauses, doc):
        doc["orbits"]["generators"][0].update(perm=[0, 1, 2, 3], signs=[-1, 1, 1, 1])

    assert ce.check_encoding(path + ".cnf", path + ".json", X, t, (1,))["orbit"] > 0
    bad = _rewrite(path, str(tmp_path / "bad"), edit)
    with pytest.raises(ce.EncodingError, match="does not keep or swap the labels"):
        ce.check_encoding(bad + ".cnf", bad + ".json", X, t, (1,))


def test_orbit_family_without_the_unit_order(tmp_path):
    path = _proof(tmp_path, "parity:4", (3,), symmetry=False)
    counts = _check(path, "parity:4", (3,))
    assert "symmetry" not in counts and counts["orbit"] == 1 + 15 * 16


def test_a_point_with_both_labels(tmp_path):
    import itertools

    import numpy as np

    X = np.array(list(itertools.product((-1, 1), repeat=3)), dtype=float)
    X = np.vstack([X, X[:1]])
    t = np.array([1, -1, -1, 1, -1, 1, 1, -1, -1])  # parity-3, its first point also -1
    path = str(tmp_path / "mixed")
    r = ht.solve(
        ht.Problem(X, t, np.array([-1, 1])),
        hidden=(2,),
        strategy="sat-lp",
        objective="feasibility",
        first_pass=False,
        proof=path,
    )
    assert r.status == "infeasible"
    counts = ce.check_encoding(path + ".cnf", path + ".json", X, t, (2,))
    assert counts["mixed"] == 2
    with pytest.raises(ce.EncodingError):  # the same CNF is not a proof about parity-3
        _check(path, "parity:3", (2,))
