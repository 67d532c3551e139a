"""The first hidden unit up to the point symmetries of the data (lever ``orbits``).

A signed coordinate permutation ``g`` (with offsets: ``x -> 1 - x`` on a 0/1 cube,
:func:`..symmetry.affine_generators`) that maps the labelled samples onto themselves
(all labels kept, or all negated) maps a fitting network to a fitting one (see
:mod:`..symmetry`), and with it every hidden target column ``h`` to ``h o g^-1``;
negating a unit negates its column.  So a first hidden layer can be normalized by the
group ``G x {+-1}`` as a whole, not only unit by unit: take, over the layer's units, the
smallest column (lexicographic, first row first, -1 < +1) reachable from any unit's
column by an element of ``G`` and a negation; apply that element of ``G`` to the
whole network and negate each unit to -1 on the first row.  The layer then holds that
smallest column, and every other column is at least as large, so after the units are
sorted (the ``symmetry`` lever's lexicographic order) the first unit's column is the
smallest member of its orbit.  Without the unit order, the unit holding it is moved
first.

So the first unit's column can be required to be one of the orbit minima of the
columns a unit can have.  Those are enumerated here as a superset of the threshold
columns: every column with -1 on the first row that no ``x_a + x_b = x_c + x_d`` among
the distinct rows labels ``+ + - -`` (a threshold unit cannot:
``w.x_a + w.x_b = w.x_c + w.x_d``; on the cube of up to 5 inputs these are exactly the
threshold columns, 47,286 of them for 5).  Their orbits under the generators of
``G`` (with negation back to -1 on the first row) give one minimum per orbit, 63 for
parity-5: a table of allowed columns for the first unit instead of 3,840 symmetric
copies of every search branch.  Only for integer inputs (exact sums) and while the
enumeration stays small.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.sparse import csgraph

from ..symmetry import affine_generators
from ._common import Rows

__all__ = [
    "Orbits",
    "first_layer_orbits",
    "asummable_columns",
    "all_quadruples",
    "add_orbit_clauses",
    "MAX_COLUMNS",
    "MAX_ROWS",
]

MAX_ROWS = 32  # distinct rows at most (the 6-cube's 7.5 million columns are too many)
MAX_COLUMNS = 200_000  # partial columns at most while enumerating (memory ~ rows x this)


@dataclass
class Orbits:
    """The orbit minima of the first hidden unit's columns.

    Parameters
    ----------
    representatives : ndarray
        (k, u) bool, one allowed column per row (True: target +1), in increasing order.
    generators : list of tuple
        The maps ``(pi, s, c)`` (``g(x)[pi[k]] = s[k] x[k] + c[pi[k]]``: signed coordinate
        permutations, with ``x -> 1 - x`` flips on a 0/1 cube) whose group the orbits
        are of.
    order : int
        The group's order.
    columns : int
        Columns enumerated (-1 on the first row).
    """

    representatives: np.ndarray
    generators: list
    order: int
    columns: int


def asummable_columns(
    U: np.ndarray, max_columns: int = MAX_COLUMNS, quadruples: np.ndarray | None = None
) -> np.ndarray | None:
    """Every Boolean column on the rows of ``U`` (True: +1) that is False on row 0 and
    labels no quadruple ``x_a + x_b = x_c + x_d`` as ``+ + - -`` or ``- - + +``.

    Parameters
    ----------
    U : (u, n) distinct integer rows (at most 64).
    max_columns : give up (None) when more partial columns than this are alive.
    quadruples : (q, 4) rows ``(a, b, c, d)`` with ``x_a + x_b = x_c + x_d``, each pair
        of pairs once (default: :func:`.sat_lp.summable_quadruples` of ``U``).

    Returns
    -------
    ndarray or None
        (k, u) bool, rows in increasing lexicographic order (row 0 first, False < True).
    """
    u = len(U)
    Q = all_quadruples(U) if quadruples is None else np.asarray(quadruples, dtype=np.int64)
    last = Q.max(axis=1) if len(Q) else np.zeros(0, dtype=np.int64)
    C = np.zeros((1, 1), dtype=bool)
    for i in range(1, u):
        off, on = np.zeros((len(C), 1), bool), np.ones((len(C), 1), bool)
        C = np.concatenate([np.hstack([C, off]), np.hstack([C, on])])
        q = Q[last == i]
        if len(q):
            a, b, c, d = (C[:, q[:, k]] for k in range(4))
            up, down = a & b, c & d
            bad = (up & ~(c | d)) | (down & ~(a | b))
            C = C[~bad.any(axis=1)]
        if len(C) > max_columns:
            return None
    return C[np.argsort(_codes(C), kind="stable")]


def all_quadruples(U: np.ndarray, limit: int | None = None, budget=None) -> np.ndarray:
    """:func:`.sat_lp.summable_quadruples` of ``U`` as an array.

    Parameters
    ----------
    U : (u, n) distinct rows.
    limit : only the first ``limit`` quadruples (None: all).
    budget : :class:`~hardtarget.budget.Budget`, optional: checked as they are found.

    Returns
    -------
    ndarray
        (q, 4) int64 rows ``(a, b, c, d)`` with ``U[a] + U[b] == U[c] + U[d]``.
    """
    from .sat_lp import summable_quadruples  # (sat_lp imports this module)

    found = itertools.islice(summable_quadruples(U, budget), limit)
    return np.array(list(found), dtype=np.int64).reshape(-1, 4)


def _codes(C: np.ndarray) -> np.ndarray:
    """Boolean columns (rows of ``C``, at most 64 entries) as uint64, entry 0 the most
    significant bit: their order is the columns' lexicographic order."""
    out = np.zeros(len(C), dtype=np.uint64)
    for b, byte in enumerate(np.packbits(C, axis=1).T):
        out |= byte.astype(np.uint64) << np.uint64(56 - 8 * b)
    return out


def _minima(C: np.ndarray, moves: list) -> np.ndarray | None:
    """Which columns (rows of ``C``, sorted, False on row 0) are the smallest of their
    orbit under the row permutations ``moves`` (images negated back to False on row 0);
    None if an image is not a column of ``C``."""
    codes = _codes(C)
    k = len(C)
    src, dst = [], []
    for p in moves:
        img = C[:, np.argsort(p)]  # img[p[i]] = C[i]
        img ^= img[:, :1]
        want = _codes(img)
        pos = np.minimum(np.searchsorted(codes, want), k - 1)
        if not np.array_equal(codes[pos], want):
            return None
        src.append(np.arange(k))
        dst.append(pos)
    graph = sparse.coo_matrix(
        (np.ones(k * len(moves), dtype=np.int8), (np.concatenate(src), np.concatenate(dst))),
        shape=(k, k),
    ).tocsr()
    _, label = csgraph.connected_components(graph, directed=True, connection="weak")
    first = np.zeros(k, dtype=bool)
    first[np.unique(label, return_index=True)[1]] = True  # the lowest index: the smallest
    return first


def _affine(U: np.ndarray, p: np.ndarray) -> tuple[list, list, list] | None:
    """The map ``(pi, s, c)``, ``g(x)[pi[k]] = s[k] x[k] + c[pi[k]]``, that takes every
    integer row ``U[i]`` to ``U[p[i]]``, if one does."""
    img, n = U[p], U.shape[1]
    pi, s, c, used = [], [], [0] * n, set()
    for k in range(n):
        for j in range(n):
            if j in used:
                continue
            sg = next((v for v in (1, -1) if len(set(img[:, j] - v * U[:, k])) == 1), 0)
            if sg:
                pi.append(j)
                s.append(sg)
                c[j] = int(img[0, j] - sg * U[0, k])
                used.add(j)
                break
        else:
            return None
    moved = np.empty_like(U)
    moved[:, pi] = U * np.array(s)
    return (pi, s, c) if np.array_equal(moved + np.array(c), img) else None


def first_layer_orbits(
    X: np.ndarray,
    t: np.ndarray,
    rows: Rows,
    max_columns: int = MAX_COLUMNS,
    quadruples: np.ndarray | None = None,
) -> Orbits | None:
    """The orbit minima of a first-layer unit's columns on ``rows`` under the point
    symmetries of the samples ``(X, t)``; None when they would not help (no symmetry) or
    cost too much (non-integer inputs, more than ``MAX_ROWS`` rows or ``max_columns``
    columns).

    Parameters
    ----------
    X, t : the samples and their ±1 labels (a symmetry maps them onto themselves, all
        labels kept or all negated).
    rows : their distinct rows (the columns' rows).
    max_columns : enumeration limit (see :func:`asummable_columns`).
    quadruples : the rows' quadruples, if known (see :func:`asummable_columns`).

    Returns
    -------
    Orbits or None
    """
    U = rows.U
    u = len(U)
    if not 2 <= u <= MAX_ROWS or not np.all(U == np.round(U)) or np.abs(U).max() > 2**20:
        return None
    gens, order = affine_generators(X, t)
    if order == 1:
        return None
    Ui = U.astype(np.int64)
    moves, signed = [], []
    for q in gens[1:]:
        p = np.empty(u, dtype=np.int64)
        p[rows.inv] = rows.inv[q]  # distinct row of x_i -> distinct row of g(x_i)
        g = _affine(Ui, p)
        if g is None:  # (cannot happen: g is an exact affine map of the samples)
            return None
        moves.append(p)
        signed.append(g)
    C = asummable_columns(Ui, max_columns, quadruples)
    if C is None:
        return None
    first = _minima(C, moves)
    if first is None:  # cannot happen: the symmetries keep the quadruples
        return None
    return Orbits(C[first], signed, int(order), len(C))


def add_orbit_clauses(prop, orbits: Orbits) -> int:
    """Require the first unit of the first hidden layer to hold a representative: one new
    variable ``r_k`` per representative, ``r_1 or ... or r_K`` and ``r_k -> H[i][0] ==
    R_k[i]`` for every row ``i``.

    Parameters
    ----------
    prop : a proposer of :mod:`.proposers` (``H``, ``new_var``, ``forbid``).
    orbits : what :func:`first_layer_orbits` found.

    Returns
    -------
    int
        The clauses added.
    """
    H = prop.H[0][:, 0]
    r = [prop.new_var() for _ in orbits.representatives]
    prop.forbid([(v, False) for v in r])
    for v, R in zip(r, orbits.representatives):
        for h, val in zip(H, R):
            prop.forbid([(v, True), (h, not val)])
    return 1 + len(r) * len(H)
