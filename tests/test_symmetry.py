"""Point symmetries against brute force over every signed permutation of the coordinates."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import hardtarget as ht
from hardtarget.errors import HardTargetError
from hardtarget.search import Exhaustive
from hardtarget.search.symmetry import act, orbit_minima, point_symmetries, symmetry_generators


def cube(n: int) -> np.ndarray:
    return np.array(list(itertools.product((-1, 1), repeat=n)), dtype=float)


def brute_force(X: np.ndarray, y: np.ndarray | None) -> set:
    """Row permutations of every signed permutation that maps (X, y) onto (X, ±y)."""
    rows = {tuple(x): i for i, x in enumerate(X)}  # the test data has distinct rows
    n = X.shape[1]
    found = set()
    for pi in itertools.permutations(range(n)):
        for s in itertools.product((-1, 1), repeat=n):
            img = np.zeros_like(X)
            img[:, list(pi)] = X * np.array(s)
            p = [rows.get(tuple(r)) for r in img]
            if None in p:
                continue
            if y is None or np.array_equal(y[p], y) or np.array_equal(y[p], -y):
                found.add(tuple(p))
    return found


@pytest.mark.parametrize("n, order", [(2, 8), (3, 48), (4, 384)])
def test_cube_groups_match_brute_force(n, order):
    X = cube(n)
    G = point_symmetries(X)
    assert len(G) == order == len(brute_force(X, None))
    assert {tuple(p) for p in G} == brute_force(X, None)
    assert np.array_equal(G[0], np.arange(len(X)))


@pytest.mark.parametrize("n", [2, 3, 4])
@pytest.mark.parametrize("labels", ["parity", "majority", "first", "random"])
def test_labelled_cubes_match_brute_force(n, labels):
    X = cube(n)
    rng = np.random.default_rng(n)
    y = {
        "parity": np.prod(X, axis=1),
        "majority": np.where(X.sum(axis=1) > 0, 1.0, -1.0),
        "first": X[:, 0],
        "random": rng.choice((-1.0, 1.0), size=len(X)),
    }[labels]
    truth = brute_force(X, y)
    G = point_symmetries(X, y)
    assert {tuple(p) for p in G} == truth
    assert symmetry_generators(X, y)[1] == len(truth)
    for p in G:  # each maps the points onto themselves, labels all kept or all negated
        assert np.array_equal(np.sort(p), np.arange(len(X)))
        assert abs(y[p] @ y) == len(X)


@pytest.mark.parametrize("seed", range(5))
def test_random_data_has_only_the_identity(seed):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(40, 3))
    y = rng.choice((-1, 1), size=40)
    assert len(brute_force(X, y)) == 1
    G = point_symmetries(X, y)
    assert G.shape == (1, 40) and np.array_equal(G[0], np.arange(40))


def test_duplicates_and_bad_input():
    X = np.vstack([cube(2), cube(2)])  # each point twice
    G = point_symmetries(X)
    assert len(G) == 8
    for p in G:
        assert sorted(map(tuple, X[p])) == sorted(map(tuple, X))
    with pytest.raises(HardTargetError, match="labels"):
        point_symmetries(cube(2), np.ones(3))
    with pytest.raises(HardTargetError, match="limit"):
        point_symmetries(cube(4), limit=100)
    # too many search steps: the trivial group, which is always sound
    gens, order = symmetry_generators(cube(4), max_work=100)
    assert order == 1 and len(gens) == 1


def test_orbit_minima_of_threshold_units_of_the_cube():
    X = cube(3)
    D = ht.separable_dichotomies(X)
    C = D[(D[:, 0] == -1) & np.any(D == 1, axis=1)]  # one per ±pair, no constants
    G = point_symmetries(X)
    lead = orbit_minima(C, symmetry_generators(X)[0][1:])
    # brute force: an orbit's members up to negation, from every group element
    key = {c.tobytes(): i for i, c in enumerate(C)}
    for i, c in enumerate(C):
        imgs = np.array([act(g, c) for g in G])
        imgs *= -imgs[:, :1]
        orbit = {key[im.tobytes()] for im in imgs}
        assert lead[i] == (i == min(orbit))
    # 52 pairs of non-constant threshold functions of 3 inputs: up to the 48 symmetries
    # they are the 1-, 2- and 3-input ones (x1, maj, x1 or x2, x1 and (x2 or x3) ...)
    assert lead.sum() == len({frozenset(o) for o in _orbits(C, G, key)})


def _orbits(C, G, key):
    for c in C:
        imgs = np.array([act(g, c) for g in G])
        imgs *= -imgs[:, :1]
        yield {key[im.tobytes()] for im in imgs}


@pytest.mark.parametrize("n", [3, 4])
@pytest.mark.parametrize("seed", range(3))
def test_exhaustive_with_point_symmetry_agrees_with_sat(n, seed):
    # labels that depend on the number of +1 inputs: every permutation is a symmetry
    X = cube(n)
    f = np.random.default_rng(seed).choice((-1, 1), size=n + 1)
    y = f[(X > 0).sum(axis=1)]
    p = ht.make_problem(X, y)
    for width in (1, 2, 3):
        a = ht.solve(p, (width,), Exhaustive(minimize=False), progress=False)
        b = ht.solve(p, (width,), "sat", progress=False)
        assert (a.status == "optimal") == (b.status == "optimal"), (width, a.status, b.status)
        assert a.status in ("optimal", "infeasible")


@pytest.mark.parametrize("seed", range(2))
def test_second_unit_by_stabilizer_orbits_agrees_with_no_symmetry(seed):
    # labels of the 4-cube that depend on x1 and the number of +1s among x2..x4: the
    # permutations of x2..x4 fix many first units, so the second unit is restricted
    X = cube(4)
    rng = np.random.default_rng(seed)
    g = rng.choice((-1, 1), size=(2, 4))
    g[0, 0], g[1, 3] = -1, 1
    p = ht.make_problem(X, g[(X[:, 0] > 0).astype(int), (X[:, 1:] > 0).sum(axis=1)])
    pruned = 0
    for width in (2, 3, 4):
        a = ht.solve(p, (width,), Exhaustive(first_pass=False), progress=False)
        b = ht.solve(p, (width,), Exhaustive(first_pass=False, point_symmetry=False))
        assert (a.status, a.loss) == (b.status, b.loss), width
        assert np.sum(a.network.predict(p.X) != p.t) == a.loss
        pruned += a.info.get("stabilizer_pruned", 0)
    assert pruned > 0  # the second-slot restriction was used


def test_parity4_width4_is_found_with_the_second_unit_restricted():
    p = ht.load_problem("parity:4")
    a = ht.solve(p, (4,), Exhaustive(first_pass=False), progress=False)
    assert (a.status, a.loss) == ("optimal", 0)
    assert a.info["stabilizer_pruned"] > 0
    assert ht.verify_targets(p, a.targets).feasible
