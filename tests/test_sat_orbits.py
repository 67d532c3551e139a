"""The ``orbits`` lever: the first hidden unit's column is an orbit minimum (sat-lp, sat)."""

import itertools

import numpy as np
import pytest

import hardtarget as ht
from hardtarget.search import solve
from hardtarget.search.sat._common import distinct_problem
from hardtarget.search.sat.orbits import asummable_columns, first_layer_orbits
from hardtarget.search.symmetry import symmetry_generators


def _cube(n):
    return np.array(list(itertools.product((-1, 1), repeat=n)), dtype=float)


def _integer_threshold_columns(U, bound):
    """Every column ``w.x + b > 0`` with integer ``|w_k| <= bound`` (brute force), negated
    to -1 on row 0, as a set of tuples."""
    n = U.shape[1]
    span = bound * n + 1
    W = np.array(list(itertools.product(range(-bound, bound + 1), repeat=n)))
    out = set()
    for b in range(-span, span + 1):
        C = (U @ W.T + b > 0).T  # (weights, rows)
        C ^= C[:, :1]
        out.update(map(tuple, C))
    return out


@pytest.mark.parametrize("n, bound, count", [(2, 1, 7), (3, 2, 52), (4, 3, 941)])
def test_asummable_columns_are_the_threshold_columns_of_small_cubes(n, bound, count):
    # integer weights up to Muroga's bound realize every threshold function of n inputs;
    # half of 14, 104 and 1,882 of them have -1 on the first row
    U = _cube(n)
    C = asummable_columns(U.astype(np.int64))
    assert {tuple(c) for c in C} == _integer_threshold_columns(U, bound)
    assert len(C) == count
    keys = [tuple(c) for c in C]
    assert keys == sorted(keys)  # lexicographic, row 0 first


def _brute_minima(X, t, C):
    """Orbit minima of the columns C under every signed permutation that maps the labelled
    points onto themselves (labels kept or all negated), by brute force."""
    n = X.shape[1]
    index = {tuple(x): i for i, x in enumerate(X)}
    moves = []
    for pi in itertools.permutations(range(n)):
        for s in itertools.product((1, -1), repeat=n):
            Y = np.empty_like(X)
            Y[:, list(pi)] = X * np.array(s)
            if any(tuple(y) not in index for y in Y):
                continue
            p = np.array([index[tuple(y)] for y in Y])
            if np.array_equal(t[p], t) or np.array_equal(t[p], -t):
                moves.append(p)
    weights = 2 ** np.arange(C.shape[1] - 1, -1, -1)  # row 0 the most significant
    low = None
    for p in moves:
        img = np.empty_like(C)
        img[:, p] = C
        code = (img ^ img[:, :1]) @ weights
        low = code if low is None else np.minimum(low, code)
    u = C.shape[1]
    return {tuple(bool(int(v) >> (u - 1 - i) & 1) for i in range(u)) for v in low}, len(moves)


@pytest.mark.parametrize(
    "labels",
    [
        lambda X: np.prod(X, axis=1),  # parity: the whole hyperoctahedral group
        lambda X: np.where(X.sum(axis=1) > 0, 1, -1),  # majority: permutations, all flipped
        lambda X: np.where((X > 0).sum(axis=1) % 3 == 1, 1, -1),  # permutations only
        lambda X: np.where(X[:, 0] + 2 * X[:, 1] + X[:, 2] > 0, 1, -1),  # a few symmetries
    ],
)
def test_representatives_are_the_orbit_minima(labels):
    X = _cube(4)
    t = labels(X).astype(float)
    rows = distinct_problem(X, t)
    o = first_layer_orbits(X, t, rows)
    C = asummable_columns(rows.U.astype(np.int64))
    minima, order = _brute_minima(rows.U, t[np.unique(rows.inv, return_index=True)[1]], C)
    assert o is not None and o.order == order and o.columns == len(C)
    assert {tuple(r) for r in o.representatives} == minima
    for pi, s, c in o.generators:  # each generator maps the points onto the points
        Y = np.empty_like(rows.U)
        Y[:, pi] = rows.U * np.array(s)
        assert {tuple(y) for y in Y + np.array(c)} == {tuple(x) for x in rows.U}


def test_no_orbits_without_symmetry_or_on_real_inputs():
    X = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 2.0], [3.0, 1.0], [-1.0, 0.0]])
    t = np.array([1, -1, -1, 1, 1])
    assert symmetry_generators(X, t)[1] == 1  # the identity alone
    assert first_layer_orbits(X, t, distinct_problem(X, t)) is None
    X = _cube(3)
    Xr = X * 0.5
    assert first_layer_orbits(Xr, np.prod(X, axis=1), distinct_problem(Xr, np.ones(8))) is None


def _symmetric_problems():
    X = _cube(3)
    yield ht.make_problem(X, np.prod(X, axis=1) > 0)
    yield ht.make_problem(X, np.where((X > 0).sum(axis=1) % 3 == 0, 1, -1))
    yield ht.make_problem(X, np.where(X[:, 0] + X[:, 1] + 2 * X[:, 2] > 0, 1, -1))
    X2 = np.vstack([X, X, X[:3]])  # repeated points, some with both labels
    t = np.concatenate([np.prod(X, axis=1), np.prod(X, axis=1), [-1, 1, 1]])
    yield ht.make_problem(X2, t)
    yield ht.make_problem((X + 1) / 2, np.where(X[:, 0] + X[:, 1] * X[:, 2] > 0, 1, -1))


VARIANTS = [
    ("sat-lp", {}),
    ("sat-lp", {"objective": "feasibility"}),
    ("sat-lp", {"symmetry": False}),
    ("sat", {}),
    ("sat", {"objective": "feasibility"}),
    ("sat", {"symmetry": False}),
]


@pytest.mark.parametrize("k", range(5))
def test_orbits_keep_every_answer(k):
    p = list(_symmetric_problems())[k]
    for width in (1, 2):
        truth = solve(p, (width,), "exhaustive", symmetry=False, point_symmetry=False)
        for strategy, opts in VARIANTS:
            r = solve(p, (width,), strategy, first_pass=False, **opts)
            if opts.get("objective") == "feasibility":
                assert (r.status == "optimal") == (truth.loss == 0), (width, strategy, opts)
            else:
                assert r.status == truth.status and r.loss == truth.loss, (width, strategy, opts)
            assert r.info["orbit_representatives"] > 0
    r = solve(p, (2,), "sat-lp", orbits=False)
    assert r.info["orbit_representatives"] == 0


@pytest.mark.parametrize("strategy, opts", VARIANTS)
def test_parity4_width3_with_and_without_orbits(strategy, opts):
    p = ht.load_problem("parity:4")
    a = solve(p, (3,), strategy, first_pass=False, **opts)
    b = solve(p, (3,), strategy, first_pass=False, orbits=False, **opts)
    assert a.info["orbit_representatives"] == 15 and b.info["orbit_representatives"] == 0
    assert a.status == b.status == "infeasible" and a.loss == b.loss


def test_a_01_cube_has_the_flips_x_to_1_minus_x_too(tmp_path):
    import importlib.util
    from pathlib import Path

    X = _cube(4)
    p = ht.make_problem((X + 1) / 2, np.prod(X, axis=1))
    rows = distinct_problem(p.X, p.t)
    o = first_layer_orbits(p.X, p.t, rows)
    assert o.order == 384 and len(o.representatives) == 15  # as on the ±1 cube
    assert any(any(c) for _, _, c in o.generators)  # some offset: x -> 1 - x
    path = str(tmp_path / "p01")
    r = solve(p, (3,), "sat-lp", objective="feasibility", first_pass=False, proof=path)
    assert r.status == "infeasible"
    spec = importlib.util.spec_from_file_location(
        "check_encoding", Path(__file__).resolve().parents[1] / "tools" / "check_encoding.py"
    )
    ce = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(ce)
    counts = ce.check_encoding(path + ".cnf", path + ".json", p.X, p.t, (3,))
    assert counts["orbit"] == 1 + 15 * 16


def test_orbits_are_skipped_with_the_count_order():
    p = ht.load_problem("parity:3")
    r = solve(p, (2,), "sat", order="count")
    assert r.status == "infeasible" and r.info["orbit_representatives"] == 0
    r = solve(p, (2,), "sat-lp", backend="cpsat")  # its proposer orders units by count
    assert r.status == "infeasible" and r.info["orbit_representatives"] == 0


def test_parity5_width4_is_refuted_in_the_first_round():
    p = ht.load_problem("parity:5")
    r = solve(p, (4,), "sat-lp", objective="feasibility", first_pass=False)
    assert r.status == "infeasible" and r.info["rounds"] == 1
    assert r.info["orbit_representatives"] == 63 and r.info["orbit_group_order"] == 3840
