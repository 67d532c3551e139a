"""The exhaustive search's face bounds against brute force (scipy's LP, enumeration)."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

import hardtarget as ht
from hardtarget.search.exhaustive import Exhaustive
from hardtarget.search.face_bounds import FaceBounds

from .helpers import linprog_separable


def cube(n: int) -> np.ndarray:
    return np.array(list(itertools.product((-1, 1), repeat=n)), dtype=float)


def cube_edges(X: np.ndarray) -> tuple:
    a, b = zip(
        *[(i, j) for i, j in itertools.combinations(range(len(X)), 2) if np.sum(X[i] != X[j]) == 1]
    )
    return np.array(a), np.array(b)


def unate(X: np.ndarray, L: np.ndarray) -> np.ndarray:
    """Which labelings (rows of L) are monotone along every coordinate (non-decreasing or
    non-increasing): every threshold function is, sign(w.x + b) moving with sign(w_i)."""
    ok = np.ones(len(L), dtype=bool)
    for i in range(X.shape[1]):
        lo = [
            (a, b)
            for a, b in itertools.combinations(range(len(X)), 2)
            if np.sum(X[a] != X[b]) == 1 and X[a, i] != X[b, i]
        ]
        if not lo:
            continue
        up = np.stack(
            [L[:, b] - L[:, a] if X[a, i] < X[b, i] else L[:, a] - L[:, b] for a, b in lo], axis=1
        )
        ok &= ~((up > 0).any(axis=1) & (up < 0).any(axis=1))
    return ok


def lp_threshold_functions(X: np.ndarray) -> np.ndarray:
    """Every labeling of the rows of X that scipy's LP separates (unate ones tried)."""
    L = np.array(list(itertools.product((-1, 1), repeat=len(X))), dtype=np.int8)
    if X.shape[1] > 1 and np.all(np.abs(X) == 1):
        L = L[unate(X, L)]
    return np.array([lab for lab in L if linprog_separable(X, lab)], dtype=np.int8)


@pytest.mark.parametrize("n", [3, 4])
def test_most_edges_one_hyperplane_cuts(n):
    # a threshold function is unate, and no unate labeling of the n-cube cuts more than
    # C(n, n//2) * ceil(n/2) edges (the middle layer's cut, which scipy's LP separates)
    X = cube(n)
    a, b = cube_edges(X)
    L = np.array(list(itertools.product((-1, 1), repeat=len(X))), dtype=np.int8)
    most = math.comb(n, n // 2) * math.ceil(n / 2)
    cuts = (L[:, a] != L[:, b]).sum(axis=1)
    assert cuts[unate(X, L)].max() == most
    middle = np.where(X.sum(axis=1) > 0, 1, -1)
    assert (middle[a] != middle[b]).sum() == most and linprog_separable(X, middle)
    # the candidate units the search uses cut the same at most (n = 5, 30 edges: in
    # test_dichotomies.py's test of the 94,572 threshold functions of five inputs)
    D = ht.separable_dichotomies(X)
    assert (D[:, a] != D[:, b]).sum(axis=1).max() == most


def _setup(problem: str):
    p = ht.load_problem(problem)
    X, t = p.X, p.t
    pa, pb = np.flatnonzero(t > 0), np.flatnonzero(t < 0)
    D = ht.separable_dichotomies(X)
    C = D[(D[:, 0] == -1) & np.any(D == 1, axis=1)]
    return X, pa, pb, C, FaceBounds(X, pa, pb, C)


@pytest.mark.parametrize("dim", [2, 3])
def test_face_covers_agree_with_brute_force(dim):
    # parity:4: a face's pairs left, covered by k of the face's threshold functions
    # (found by scipy's LP on the face alone), k = 0, 1, 2, against FaceBounds.covers
    X, pa, pb, C, fb = _setup("parity:4")
    sizes = [int((fb.idx[f] < fb.n_pairs).sum()) for f in range(fb.n_faces)]
    f = sizes.index((2 ** (dim - 1)) ** 2)  # a dim-face: 2^(dim-1) points of each label
    p = fb.idx[f, : sizes[f]]
    ia, ib = pa[p // len(pb)], pb[p % len(pb)]
    pts = np.unique(np.concatenate([ia, ib]))
    assert len(pts) == 2**dim
    T = lp_threshold_functions(X[pts])
    pos = {v: k for k, v in enumerate(pts)}
    cls = {sum(1 << q for q in range(len(p)) if lab[pos[ia[q]]] != lab[pos[ib[q]]]) for lab in T}
    reach = [{0}, cls, {x | y for x in cls for y in cls}]
    rng = np.random.default_rng(dim)
    keys = {1 << q for q in range(len(p))} | {(1 << len(p)) - 1}
    keys |= {int(k) for k in rng.integers(0, 1 << len(p), size=400)}
    for key in sorted(keys):
        for k in range(3):
            truth = any(key & ~r == 0 for r in reach[k])
            assert fb.covers(f, key, k) == truth, (key, k)


def test_keep_never_drops_a_completion():
    # parity:4, after one unit: a second unit is kept iff a third can complete the cover
    # on every face; every pair of units that covers all pairs must pass (brute force)
    X, pa, pb, C, fb = _setup("parity:4")
    a, b = np.repeat(pa, len(pb)), np.tile(pb, len(pa))
    cover = C[:, a] != C[:, b]  # (units, pairs)

    def bits(row):
        packed = np.packbits(row, bitorder="little")
        return np.pad(packed, (0, -len(packed) % 8)).view(np.uint64)

    rng = np.random.default_rng(0)
    for u in rng.choice(len(C), size=6, replace=False):
        left = ~cover[u]
        kept = fb.keep(bits(left), np.arange(len(C)), 1)
        rest = left[None, :] & ~cover  # what the second unit leaves
        done = (rest[:, None, :] <= cover[None, :, :]).all(axis=2).any(axis=1)
        assert not np.any(done & ~kept)  # sound
        assert np.any(~kept)  # and it prunes


def test_exhaustive_with_face_bounds_settles_parity_4_width_3():
    p = ht.load_problem("parity:4")
    r = ht.solve(p, (3,), Exhaustive(first_pass=False, minimize=False))
    assert r.status == "infeasible" and r.info["face_pruned"] > 0


def test_face_bounds_do_not_change_answers():
    # parity of three inputs with up to two labels flipped, on random corners of the
    # 4-cube, zero-error pass: the same status, states and targets as without face bounds
    statuses, pruned = set(), 0
    for seed in range(3):
        rng = np.random.default_rng(seed)
        X = cube(4)[rng.choice(16, size=int(rng.integers(10, 17)), replace=False)]
        y = np.where((X[:, :3] > 0).sum(axis=1) % 2 == 1, 1, -1)
        y[rng.choice(len(X), size=int(rng.integers(0, 3)), replace=False)] *= -1
        p = ht.make_problem(X, y)
        for width in (2, 3):
            a = ht.solve(p, (width,), Exhaustive(first_pass=False, minimize=False))
            b = ht.solve(
                p, (width,), Exhaustive(first_pass=False, minimize=False, face_bounds=False)
            )
            assert (a.status, a.loss, a.states_evaluated) == (b.status, b.loss, b.states_evaluated)
            if a.targets is not None:
                assert [T.tobytes() for T in a.targets.layers] == [
                    T.tobytes() for T in b.targets.layers
                ]
            statuses.add(str(a.status))
            pruned += a.info.get("face_pruned", 0)
    assert statuses == {"optimal", "infeasible"} and pruned > 0


# parity:5 width 4 (60-135 s) is measured by benchmarks/bench_exhaustive.py --p5, not here
