"""Face bounds: lower bounds for the zero-error cover search of :mod:`.exhaustive`.

A network with zero training errors gives every two inputs with different labels
different codes in its first hidden layer (equal codes give equal outputs), so for sign
units some first-layer unit *separates* each such pair: the units *cover* the pairs.
On parity this includes every edge of the cube (an edge joins points of different
parity), so the hidden units must cut every edge.

Restrict the pairs to a subset ``S`` of the points: the pairs ``P_S`` with both ends in
``S`` must be covered too, and a unit seen on ``S`` is its *class* there, the set of
pairs of ``P_S`` it separates.  The classes are computed from the search's own list of
candidate units, so every unit the search can choose has one of them.  Hence, when the
pairs of ``P_S`` that the units chosen so far leave unseparated cannot be covered by
``k`` classes of ``S``, no ``k`` further units complete the layer, and the branch is
pruned.  Nothing else is assumed: no fact about cubes or parity is used, only the
candidates' own classes, so the bound is sound for any data.

The subsets are the data's *faces*: the points that agree on all but ``d`` of the
coordinates (``2 <= d < n``; on the Boolean cube its ``d``-dimensional faces, each a
``d``-cube), with between 2 and 64 pairs (one 64-bit word of pairs).  For each face the
candidates' classes are listed once, and whether ``k`` classes cover a set ``L`` of its
pairs is decided exactly for ``k <= 2`` (``k = 0``: ``L`` is empty; ``k = 1``: a class
contains ``L``; ``k = 2``: a union of two classes contains ``L``, the unions listed once
per face) and memoized.  A cheap necessary condition comes first: ``k`` classes cover at
most ``k`` times the largest class's pairs.

On parity:5 the facets (4-cubes, 8 odd and 8 even points, 64 pairs) do the work: after
two units, the 30 to 64 pairs a facet has left must be covered by two of its 941
classes, and that fails for all but 1.5% of the (first, second) unit pairs.
"""

from __future__ import annotations

import itertools
from math import comb

import numpy as np

__all__ = ["FaceBounds"]

WORD = 64  # pairs per face at most (one uint64 key)
MAX_COORD_SETS = 500  # dimensions whose faces need more coordinate subsets are skipped
MAX_FACES = 2_000
MAX_KEYS = 10_000_000  # candidate units x faces at most (the table of classes, 8 bytes each)
MAX_UNIONS = 8_000_000  # class pairs listed over all faces at most (then k = 2 is not decided)
MAX_MEMO = 4_000_000  # memoized answers kept at most (then the memo starts again)
_VECTOR = 65_536  # k = 1 on values x classes up to this: one array operation, no memo


def _pack(B: np.ndarray) -> np.ndarray:
    """Rows of at most 64 booleans -> one uint64 each (bit t = column t)."""
    bits = np.packbits(B, axis=-1, bitorder="little")
    bits = np.pad(bits, [(0, 0)] * (bits.ndim - 1) + [(0, 8 - bits.shape[-1])])
    return np.ascontiguousarray(bits).view(np.uint64)[..., 0]


def _faces(X: np.ndarray, pa: np.ndarray, pb: np.ndarray) -> list[np.ndarray]:
    """Pair indices (``i * len(pb) + j``) of every face with 2 to 64 pairs, largest faces
    first, each set once."""
    n = X.shape[1]
    A, B = X[pa], X[pb]
    seen: set = set()
    out: list[np.ndarray] = []
    for d in range(n - 1, 1, -1):
        if comb(n, d) > MAX_COORD_SETS:
            continue
        for fixed in itertools.combinations(range(n), n - d):
            cols = list(fixed)
            _, g = np.unique(np.vstack([A[:, cols], B[:, cols]]), axis=0, return_inverse=True)
            g = g.ravel()
            ga, gb = g[: len(pa)], g[len(pa) :]
            for v in np.unique(ga):
                i, j = np.flatnonzero(ga == v), np.flatnonzero(gb == v)
                if not 2 <= len(i) * len(j) <= WORD:
                    continue
                p = (i[:, None] * len(pb) + j[None, :]).ravel()
                key = p.tobytes()
                if key not in seen:
                    seen.add(key)
                    out.append(p)
                    if len(out) >= MAX_FACES:
                        return out
    return out


class FaceBounds:
    """The faces of the data and the candidate units' classes on each.

    Parameters
    ----------
    X : (m, n) the layer's inputs (one row per sample).
    pa, pb : sample indices of the positive and negative representatives; pair
        ``p = i * len(pb) + j`` is ``(pa[i], pb[j])``, bit ``p`` of the search's bitsets.
    C : (k, m) ±1 candidate units (target columns), in the search's order.
    """

    def __init__(self, X: np.ndarray, pa: np.ndarray, pb: np.ndarray, C: np.ndarray):
        self.n_pairs = len(pa) * len(pb)
        faces = _faces(np.asarray(X), pa, pb)
        faces = faces[: max(MAX_KEYS // max(len(C), 1), 0)]
        self.idx = np.full((len(faces), WORD), self.n_pairs, dtype=np.int64)
        self.K = np.empty((len(C), len(faces)), dtype=np.uint64)
        self.cls: list[np.ndarray] = []
        self.widest: list[int] = []
        self.unions: list[np.ndarray | None] = []
        budget = MAX_UNIONS
        for f, p in enumerate(faces):
            self.idx[f, : len(p)] = p
            a, b = pa[p // len(pb)], pb[p % len(pb)]
            self.K[:, f] = _pack(C[:, a] != C[:, b])
            cls = np.unique(self.K[:, f])
            self.cls.append(cls)
            self.widest.append(int(np.bitwise_count(cls).max(initial=0)))
            n_unions = len(cls) * (len(cls) + 1) // 2
            if n_unions <= budget:
                budget -= n_unions
                i, j = np.triu_indices(len(cls))
                self.unions.append(np.unique(cls[i] | cls[j]))
            else:
                self.unions.append(None)
        self._memo: dict = {}

    @property
    def n_faces(self) -> int:
        """Number of faces used."""
        return len(self.idx)

    def keys(self, left: np.ndarray) -> np.ndarray:
        """The pairs of ``left`` (a bitset over all pairs, uint64 words) on each face."""
        bits = np.unpackbits(left.view(np.uint8), bitorder="little")[: self.n_pairs]
        return _pack(np.append(bits, 0).astype(bool)[self.idx])

    def covers(self, f: int, key: int, k: int) -> bool:
        """Can ``k`` classes of face ``f`` cover the pairs ``key`` (a 64-bit set)?  Exact
        for ``k <= 2`` (for ``k = 2`` when the face's unions are listed); True otherwise."""
        if key == 0:
            return True
        if k == 0:
            return False
        memo = (f, key, k)
        got = self._memo.get(memo)
        if got is None:
            word = np.uint64(key)
            if key.bit_count() > k * self.widest[f]:
                got = False
            elif bool(np.any((self.cls[f] & word) == word)):
                got = True
            elif k == 1:
                got = False
            elif k == 2 and self.unions[f] is not None:
                got = bool(np.any((self.unions[f] & word) == word))
            else:
                got = True
            if len(self._memo) >= MAX_MEMO:
                self._memo.clear()
            self._memo[memo] = got
        return got

    def keep(self, left: np.ndarray, cands: np.ndarray, k: int) -> np.ndarray:
        """Mask of the candidates ``cands`` after which every face's pairs still left in
        ``left`` can be covered by ``k`` more units (a necessary condition)."""
        alive = np.ones(len(cands), dtype=bool)
        for f, key in enumerate(self.keys(left).tolist()):
            if self.covers(f, key, k):  # so does every subset: the face cannot prune
                continue
            rows = np.flatnonzero(alive)
            if not len(rows):
                break
            vals, inv = np.unique(np.uint64(key) & ~self.K[cands[rows], f], return_inverse=True)
            cls = self.cls[f]
            if k == 1 and len(vals) * len(cls) <= _VECTOR:  # some class contains the pairs
                ok = ((vals[:, None] & ~cls[None, :]) == 0).any(axis=1)
            else:
                ok = np.fromiter((self.covers(f, v, k) for v in vals.tolist()), bool, len(vals))
            alive[rows[~ok[inv.ravel()]]] = False
        return alive
