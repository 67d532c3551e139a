import itertools

import numpy as np
import pytest

import hardtarget as ht


def test_parity_and_majority_truth_tables():
    p = ht.load_problem("parity:4")
    assert p.X.shape == (16, 4)
    for x, t in zip(p.X, p.t, strict=True):
        assert t == (1 if (x > 0).sum() % 2 else -1)
    m = ht.load_problem("majority:3")
    for x, t in zip(m.X, m.t, strict=True):
        assert t == (1 if x.sum() > 0 else -1)
    assert sorted(map(tuple, p.X)) == sorted(itertools.product((-1.0, 1.0), repeat=4))
    x = ht.load_problem("xor")
    assert x.t.tolist() == [-1, 1, 1, -1]


def test_known_separability():
    for spec, sep in [("and:3", True), ("majority:5", True), ("xor", False), ("parity:3", False)]:
        p = ht.load_problem(spec)
        assert ht.solve_unit(p.X, p.t).separable is sep, spec


def test_planted_is_deterministic_and_balanced():
    a, b = ht.load_problem("planted:6-3-1:100:4"), ht.load_problem("planted:6-3-1:100:4")
    assert np.array_equal(a.X, b.X) and np.array_equal(a.t, b.t)
    assert 0 < (a.t > 0).mean() < 1
    assert a.planted["targets"].widths == (3,)


@pytest.mark.parametrize(
    "spec, shape", [("breast_cancer", (569, 30)), ("digits:3-8", (357, 64)), ("iris:0-1", (100, 4))]
)
def test_sklearn_problems(spec, shape):
    p = ht.load_problem(spec)
    assert p.X.shape == shape and set(p.t.tolist()) == {-1, 1}


def test_csv_and_npz(tmp_path):
    csv = tmp_path / "d.csv"
    csv.write_text("a,label,b\n0,yes,1\n1,no,0\n2,yes,2\n")
    p = ht.load_problem(str(csv), label="label")
    assert p.X.tolist() == [[0, 1], [1, 0], [2, 2]] and p.t.tolist() == [1, -1, 1]
    assert p.feature_names == ["a", "b"]
    assert ht.load_problem(str(csv), label=1).t.tolist() == [1, -1, 1]
    npz = tmp_path / "d.npz"
    np.savez(npz, X=np.eye(3), y=np.array([0, 1, 1]))
    assert ht.load_problem(str(npz)).t.tolist() == [-1, 1, 1]


def test_bad_data(tmp_path):
    E = ht.HardTargetError
    with pytest.raises(
        E, match="unknown problem 'nope'.*and, breast_cancer, .*parity, planted, xor"
    ):
        ht.load_problem("nope")
    with pytest.raises(E, match="planted:ARCH:POINTS:SEED"):
        ht.load_problem("planted:8-4-1")
    with pytest.raises(E, match="integer between"):
        ht.load_problem("parity:x")
    with pytest.raises(E, match="two different classes"):
        ht.load_problem("digits:3-3")
    with pytest.raises(E, match="NaN"):
        ht.make_problem([[np.nan, 1.0], [0.0, 1.0]], [0, 1])
    with pytest.raises(E, match="inf"):
        ht.make_problem([[np.inf], [0.0]], [0, 1])
    with pytest.raises(E, match="ragged"):
        ht.make_problem([[1.0, 2.0], [1.0]], [0, 1])
    with pytest.raises(E, match="2-D"):
        ht.make_problem(np.zeros((2, 2, 2)), [0, 1])
    with pytest.raises(E, match="empty"):
        ht.make_problem(np.zeros((0, 3)), [])
    with pytest.raises(E, match="single class"):
        ht.make_problem([[1.0], [2.0]], [1, 1])
    with pytest.raises(E, match="3 classes.*multiclass='ovr'"):
        ht.make_problem([[1.0], [2.0], [3.0]], [0, 1, 2])
    with pytest.raises(E, match="must match"):
        ht.make_problem([[1.0], [2.0]], [0, 1, 1])
    bad = tmp_path / "bad.csv"
    bad.write_text("a,y\n1,0\n2\n")
    with pytest.raises(E, match="different lengths"):
        ht.load_problem(str(bad))
    good = tmp_path / "good.csv"
    good.write_text("a,y\n1,0\n2,1\n")
    with pytest.raises(E, match="label column 'zzz' not in"):
        ht.load_data(good, label="zzz")
    with pytest.raises(E, match="does not exist"):
        ht.load_problem(str(tmp_path / "missing.csv"))
    npz = tmp_path / "d.npz"
    np.savez(npz, A=np.eye(2))
    with pytest.raises(E, match="must hold arrays 'X'"):
        ht.load_problem(str(npz))
