"""Symmetries of a labelled point set: signed permutations of the coordinates.

A signed permutation ``g`` (``g(x)[pi[k]] = s[k] x[k]``, ``s[k] = ±1``) is a symmetry of
the data ``(X, y)`` when it maps the rows of ``X`` onto the rows of ``X`` (as a multiset)
and the labels along with them, all kept (``y∘g = y``) or all negated (``y∘g = -y``; a
sign network's output unit negated undoes that).  ``g`` is linear and orthogonal, so a
threshold unit composed with it is again a threshold unit: a network that fits the data
gives, through ``g``, another one that fits, its hidden target columns permuted by the
row permutation of ``g``.  Exact searches use this to skip all but one member of each
orbit (see :mod:`.exhaustive`); :mod:`.sat.sat_lp` adds the images of every Farkas cut.

The group is found as a stabilizer chain: the label flip first, then coordinate
``0, 1, ...``; at each level one element per reachable image of that coordinate (a
transversal), each found by a depth-first search over the remaining coordinates that
compares the data's projections (multisets of rows) at every step.  The union of the
transversals generates the group and the product of their sizes is its order, so the
hyperoctahedral group of the 5-cube (3,840 elements) costs 26 searches, not 3,840.
Generic data has only the identity, found after one column comparison per coordinate.
"""

from __future__ import annotations

import logging
from fractions import Fraction

import numpy as np
from scipy import sparse
from scipy.sparse import csgraph

from ..errors import HardTargetError
from ..problem import check_inputs
from .dichotomies import _keys

__all__ = [
    "point_symmetries",
    "symmetry_generators",
    "affine_generators",
    "generated_group",
    "act",
    "orbit_minima",
]

log = logging.getLogger("hardtarget.search")


def _sorted_rows(Z: np.ndarray) -> np.ndarray:
    return Z[np.lexsort(Z.T[::-1])] if Z.shape[1] else Z


class _Chain:
    """Depth-first search for signed permutations consistent with the data."""

    def __init__(self, X: np.ndarray, y: np.ndarray, max_work: int):
        self.X, self.y = X, y
        self.m, self.n = X.shape
        self.work, self.max_work = 0, max_work
        # ok[f][k, j, s]: column k times sign s, with labels times f, has the value
        # multiset of column j with its labels (a necessary condition for pi[k] = j)
        cols: dict = {}
        for j in range(self.n):
            key = _sorted_rows(np.column_stack([X[:, j] + 0.0, y])).tobytes()
            cols.setdefault(key, []).append(j)
        self.ok = np.zeros((2, self.n, self.n, 2), dtype=bool)
        for fi, f in enumerate((1, -1)):
            for k in range(self.n):
                for si, s in enumerate((1, -1)):
                    key = _sorted_rows(np.column_stack([s * X[:, k] + 0.0, f * y])).tobytes()
                    self.ok[fi, k, cols.get(key, []), si] = True

    def _fits(self, f: int, pi: list, s: list) -> bool:
        """Do the projections onto the first ``len(pi)`` coordinates' images agree?"""
        k = len(pi)
        img = np.column_stack([self.X[:, :k] * np.array(s), f * self.y])
        ref = np.column_stack([self.X[:, pi], self.y])
        return np.array_equal(_sorted_rows(img), _sorted_rows(ref))

    def find(self, f: int, pi: list, s: list) -> tuple | None:
        """Complete the prefix (``pi``, ``s``) to a symmetry with label factor ``f``."""
        k = len(pi)
        self.work += self.m * (k + 1)
        if self.work > self.max_work:
            raise _WorkLimit
        if not self._fits(f, pi, s):
            return None
        if k == self.n:
            return list(pi), list(s)
        fi = 0 if f == 1 else 1
        for j in range(self.n):
            if j in pi:
                continue
            for si, sg in enumerate((1, -1)):
                if self.ok[fi, k, j, si]:
                    got = self.find(f, pi + [j], s + [sg])
                    if got is not None:
                        return got
        return None

    def row_permutation(self, f: int, pi: list, s: list) -> np.ndarray:
        """``p`` with ``g(x_i) = x_{p[i]}`` and ``y_{p[i]} = f y_i`` (duplicates matched
        in sorted order)."""
        img = np.zeros((self.m, self.n + 1))
        img[:, pi] = self.X * np.array(s)
        img[:, self.n] = f * self.y
        ref = np.column_stack([self.X, self.y])
        a = np.lexsort(img.T[::-1])
        b = np.lexsort(ref.T[::-1])
        p = np.empty(self.m, dtype=np.int64)
        p[a] = b
        return p


class _WorkLimit(Exception):
    """The deterministic search effort ``max_work`` is spent (not a deadline: the answer
    must not depend on the machine)."""


def _check(X, y) -> tuple:
    X = check_inputs(X, "X")
    if y is None:
        y = np.ones(len(X))
    y = np.asarray(y, dtype=np.float64).ravel()
    if y.shape != (len(X),):
        raise HardTargetError(
            f"y has {y.size} labels for {len(X)} rows of X; give one label per row"
        )
    return X, y


def symmetry_generators(X, y=None, *, max_work: int = 50_000_000) -> tuple[np.ndarray, int]:
    """Generators of the signed coordinate permutations that preserve ``(X, y)``.

    Parameters
    ----------
    X : (m, n) points.
    y : (m,) labels, or None (the point set alone).  A symmetry keeps every label or
        negates every label.
    max_work : search effort allowed (entries of the data compared); past it only the
        identity is returned (the trivial group, always sound to use) and a debug message
        says so.

    Returns
    -------
    gens : (k, m) int64 row permutations ``p`` (``g(x_i) = x_{p[i]}``), the identity
        first; together they generate the group.
    order : the group's order.
    """
    X, y = _check(X, y)
    ident = np.arange(len(X), dtype=np.int64)
    try:
        chain = _Chain(X, y, max_work)
        gens, order = [ident], 1
        flip = chain.find(-1, [], [])
        if flip is not None:
            gens.append(chain.row_permutation(-1, *flip))
            order *= 2
        for k in range(chain.n):
            fixed, signs = list(range(k)), [1] * k
            orbit = 1
            for j in range(k, chain.n):
                for si, sg in enumerate((1, -1)):
                    if (j, sg) == (k, 1) or not chain.ok[0, k, j, si]:
                        continue
                    got = chain.find(1, fixed + [j], signs + [sg])
                    if got is not None:
                        gens.append(chain.row_permutation(1, *got))
                        orbit += 1
            order *= orbit
    except _WorkLimit:
        log.debug("point symmetries: search effort past %d, identity only", max_work)
        return ident[None, :], 1
    return np.array(gens, dtype=np.int64), order


def point_symmetries(X, y=None, *, limit: int = 100_000, max_work: int = 50_000_000) -> np.ndarray:
    """Every signed coordinate permutation that preserves ``(X, y)``, as row permutations.

    Returns a (|G|, m) int64 array, the identity first: row ``p`` of it maps point
    ``x_i`` to ``x_{p[i]}`` (see :func:`symmetry_generators`).  Raises HardTargetError
    when the group has more than ``limit`` elements.

    Examples
    --------
    >>> import itertools, numpy as np
    >>> cube = np.array(list(itertools.product((-1, 1), repeat=3)))
    >>> len(point_symmetries(cube))  # 2^3 3!, and the label flip is the identity here
    48
    """
    gens, order = symmetry_generators(X, y, max_work=max_work)
    if order > limit:
        raise HardTargetError(
            f"the data has {order:,} point symmetries (limit {limit:,}); "
            "use symmetry_generators, or raise limit="
        )
    return generated_group(gens)


def generated_group(gens: np.ndarray) -> np.ndarray:
    """Every row permutation generated by ``gens`` (the identity first, as in ``gens``)."""
    seen = {gens[0].tobytes(): gens[0]}
    frontier = [gens[0]]
    while frontier:
        nxt = []
        for p in frontier:
            for g in gens[1:]:
                q = g[p]
                key = q.tobytes()
                if key not in seen:
                    seen[key] = q
                    nxt.append(q)
        frontier = nxt
    return np.array(list(seen.values()), dtype=np.int64)


def affine_generators(X, y=None, *, max_work: int = 50_000_000) -> tuple[np.ndarray, int]:
    """Generators and order of the maps ``x_k -> s_k x_pi(k) + c_k`` that preserve
    ``(X, y)`` (as :func:`symmetry_generators`; a 0/1 cube's flips ``x -> 1 - x`` too).

    They are the signed coordinate permutations of the centered data, each checked to be
    an exact affine map of ``X`` in rational arithmetic; if one is not (the mean was
    rounded), the signed coordinate permutations of ``X`` itself, which are exact.
    An affine bijection keeps every unit a threshold unit, and a Farkas certificate
    stays one on the image rows, so the uses of :func:`symmetry_generators` carry over.
    """
    X, y = _check(X, y)
    gens, order = symmetry_generators(X - X.mean(axis=0), y, max_work=max_work)
    if all(_exactly_affine(X, p) for p in gens[1:]):
        return gens, order
    return symmetry_generators(X, y, max_work=max_work)


def _exactly_affine(X: np.ndarray, p: np.ndarray) -> bool:
    """Is ``X[p[i]] = (s_k X[i, pi(k)] + c_k)_k`` for some signed ``pi``, exactly?"""
    used: set = set()
    for k in range(X.shape[1]):
        target = X[p, k]
        for j in range(X.shape[1]):
            if j in used:
                continue
            for sgn in (1, -1):
                diff = target - sgn * X[:, j]
                if not np.all(diff == diff[0]):  # a float look-alike passes; checked below
                    continue
                c = Fraction(target[0]) - sgn * Fraction(X[0, j])
                if all(Fraction(a) - sgn * Fraction(b) == c for a, b in zip(target, X[:, j])):
                    used.add(j)
                    break
            if j in used:
                break
        else:
            return False
    return True


def act(p: np.ndarray, D: np.ndarray) -> np.ndarray:
    """Target columns (rows of ``D``, one entry per point) moved by the row permutation
    ``p``: the image ``D'`` has ``D'[p[i]] = D[i]``."""
    out = np.empty_like(D)
    out[..., p] = D
    return out


def orbit_minima(C: np.ndarray, gens: np.ndarray) -> np.ndarray | None:
    """Which target columns (rows of the ±1 matrix ``C``, in their order) come first in
    their orbit under the group generated by the row permutations ``gens``.

    ``C`` holds one column per ``{D, -D}`` pair, each with -1 at a common row ``r``
    (images are negated back to that form).  Returns None when some image is not a row
    of ``C`` (the set is not closed under the group).
    """
    k = len(C)
    r = int(np.flatnonzero((C == -1).all(axis=0))[0]) if k else 0
    keys = _keys(C)
    srt = np.argsort(keys, kind="stable")
    src, dst = [], []
    for p in gens:
        img = act(p, C)
        img *= -img[:, r : r + 1]
        ik = _keys(img)
        pos = np.minimum(np.searchsorted(keys[srt], ik), k - 1)
        if not np.array_equal(keys[srt][pos], ik):
            return None
        src.append(np.arange(k))
        dst.append(srt[pos])
    graph = sparse.csr_matrix(
        (np.ones(k * len(gens), dtype=np.int8), (np.concatenate(src), np.concatenate(dst))),
        shape=(k, k),
    )
    n_orbits, label = csgraph.connected_components(graph, directed=True, connection="weak")
    first = np.full(n_orbits, k)
    np.minimum.at(first, label, np.arange(k))
    return first[label] == np.arange(k)
