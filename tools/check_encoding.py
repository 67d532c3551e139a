"""Check, independently of the encoder, that a ``sat-lp`` proof's CNF says what it claims.

``hardtarget solve --strategy sat-lp -o objective=feasibility -o proof=PATH`` writes
``PATH.cnf`` (DIMACS), ``PATH`` (a DRAT refutation of it) and ``PATH.json`` (the
certificate behind every cut with the span of clauses it justifies, and the variable
map).  drat-trim checks that the CNF is unsatisfiable.  This program checks the other
half: that unsatisfiability of the CNF implies the claim

    no network with sign (or step) hidden units, hidden widths ``--hidden`` and real
    weights classifies every sample of ``--problem`` correctly.

It imports the problem loader (and numpy) only; it rebuilds every clause from the problem and the
certificates by its own rules (below), with its own DIMACS reader, and refuses a CNF
with any clause it cannot rebuild.

Argument.  Suppose a network ``N`` fits the problem.  Move every hidden bias down by
less than the smallest non-zero |pre-activation| on the data: nothing changes, and no
hidden pre-activation is 0, so negating a unit's weights negates its outputs exactly.
Negating a hidden unit (and the weights that read it in the next layer; for step units
also moving that layer's bias) and permuting a layer's units (and the weights that read
them) give a network that still fits.  So some fitting network ``N'`` has, in every
hidden layer, target -1 on the first distinct row for every unit and its units' target
columns (rows after the first) in non-decreasing lexicographic order (False < True).
Set each target variable ``H[d][r][j]`` to "unit j of hidden layer d+1 outputs +1 on
distinct row r" in ``N'`` and each auxiliary variable by its definition below: every
clause holds.  Hence an unsatisfiable CNF proves the claim.  The families:

``symmetry``
    ``[-H[d][0][j]]`` per layer and unit, then per pair of adjacent units ``a = column
    j``, ``b = column j+1`` (rows 1..u-1) a chain ``[e_1]``, and per row i
    ``[-e_i, -a_i, b_i]``, ``[-e_i, -a_i, e_{i+1}]``, ``[-e_i, b_i, e_{i+1}]`` with
    ``e_{i+1} := e_i and a_i == b_i`` (fresh variables): true in ``N'`` as argued.
``orbit`` (optional; the ``orbits`` lever)
    new variables ``r_1, ..., r_K``, the clause ``[r_1, ..., r_K]``, then per
    representative column ``R_k`` and row i ``[-r_k, H[0][i][0]]`` if ``R_k[i]`` is
    +1, else ``[-r_k, -H[0][i][0]]``: the first unit of the first hidden layer holds one
    of the representatives.  Checked here: every listed generator ``(pi, s, c)``
    (``g(x)[pi[k]] = s[k] x[k] + c[pi[k]]``, an affine bijection; the image of each
    point computed exactly) maps the distinct points onto themselves, positive to
    positive and negative to negative, or all swapped; and for every column ``h`` on
    the distinct rows with ``h[0] = -1`` that labels no quadruple of distinct rows with
    ``x_a + x_b = x_c + x_d`` (exact) as ``+ + - -`` (every threshold column, negated to
    -1 on row 0, is one: ``w.x_a + w.x_b = w.x_c + w.x_d``), the smallest column of its
    orbit under the generators (images negated back to -1 on row 0; lexicographic, row
    0 first, -1 < +1) is a representative.  Why that is enough: a generator ``g`` maps
    a network that fits to one that fits (an affine bijection keeps a threshold unit a
    threshold unit; its hidden columns are permuted by ``g``'s row permutation; the
    output unit is negated if the labels swap); so in ``N`` take, over the first hidden
    layer's units, the smallest column that a group element and a negation make of any
    unit's column, apply that element to ``N``, then normalize as above: the first layer
    holds that column, every other unit's normalized column is at least as large (it is
    in its own orbit), so after sorting the first unit's column is that orbit's minimum
    (without the ``symmetry`` family, move the unit first).
    ``r_k := (first unit's column == R_k)``.
``separate``
    per pair (a, b) of a positive and a negative row and per hidden layer, per unit j
    ``[-e_j, H_a, H_b]``, ``[-e_j, -H_a, -H_b]`` and ``[e_1, ..., e_w]`` with
    ``e_j := (H_a != H_b)``: rows with equal codes in a layer get equal outputs.
``cut`` (``summable``, LP, and point-symmetry images alike)
    a certificate ``(layer d, rows S, inputs a_i, targets t_i, lambda)`` is checked in
    exact rational arithmetic: the float ``lambda`` (an LP's rounding) is projected
    exactly onto ``{x : sum_i x_i t_i [a_i, 1] = 0}``; the projection must be ``>= 0``
    and not 0 (Farkas: then no ``w, b`` has ``t_i (w . a_i + b) > 0`` on S, so no unit,
    sign(0) = -1 included, gives targets ``t`` or ``-t`` there).  For
    ``d = 1`` the inputs must be the rows' points exactly; for deeper layers codes
    (±1 for sign, 0/1 for step).  Its span must be exactly the clauses: for s = +1, -1
    and every unit j of layer d, "the codes of layer d-1 on S differ from the inputs
    somewhere, or unit j's target differs from ``s t_i`` somewhere on S" (for the output
    unit, whose targets are the labels, a sign whose pattern disagrees with a label gives
    no clause).
``mixed``
    two identical points with different labels: ``[v]``, ``[-v]`` (the claim is true).

Every auxiliary variable must be new where its family introduces it and appears in
no other family; the clauses must be exactly the families in the order the writer
emits them (mixed, symmetry, orbit, separate, then the certificates' spans tiling the
rest).
Only zero-error claims (``objective=feasibility``: fixed output labels) are checked.

Usage::

    python tools/check_encoding.py PATH --problem parity:4 --hidden 3

prints the clauses per family and exits 0, or names the first clause it cannot
rebuild and exits 1 (2 for bad arguments or unreadable files).
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import time
from collections import Counter
from fractions import Fraction

import numpy as np

__all__ = ["EncodingError", "read_dimacs", "check_encoding", "main"]


class EncodingError(Exception):
    """The CNF or its certificates do not match the claim."""


def read_dimacs(path: str) -> tuple[int, list[tuple[int, ...]]]:
    """``(variables, clauses)`` of a DIMACS CNF file; raises EncodingError if malformed."""
    header = None
    clauses: list[tuple[int, ...]] = []
    cur: list[int] = []
    with open(path) as f:
        for n, line in enumerate(f, 1):
            s = line.split()
            if not s or s[0] == "c":
                continue
            if s[0] == "p":
                if header is not None or len(s) != 4 or s[1] != "cnf":
                    raise EncodingError(f"{path}:{n}: bad header {line.strip()!r}")
                header = (int(s[2]), int(s[3]))
                continue
            if header is None:
                raise EncodingError(f"{path}:{n}: clause before the 'p cnf' header")
            for tok in s:
                lit = int(tok)
                if lit == 0:
                    clauses.append(tuple(cur))
                    cur = []
                elif abs(lit) > header[0]:
                    raise EncodingError(f"{path}:{n}: literal {lit} beyond {header[0]} variables")
                else:
                    cur.append(lit)
    if header is None or cur:
        raise EncodingError(f"{path}: no header, or a clause without its closing 0")
    if len(clauses) != header[1]:
        raise EncodingError(f"{path}: header says {header[1]} clauses, found {len(clauses)}")
    return header[0], clauses


def _null_space(M: list[list[Fraction]], n: int) -> list[list[Fraction]]:
    """A basis of ``{x in Q^n : M x = 0}`` (Gauss-Jordan in exact arithmetic)."""
    M = [row[:] for row in M]
    pivots: list[int] = []
    r = 0
    for col in range(n):
        p = next((i for i in range(r, len(M)) if M[i][col] != 0), None)
        if p is None:
            continue
        M[r], M[p] = M[p], M[r]
        piv = M[r][col]
        M[r] = [x / piv for x in M[r]]
        for i in range(len(M)):
            if i != r and M[i][col] != 0:
                f = M[i][col]
                M[i] = [a - f * b for a, b in zip(M[i], M[r])]
        pivots.append(col)
        r += 1
    basis = []
    for free in (c for c in range(n) if c not in pivots):
        x = [Fraction(0)] * n
        x[free] = Fraction(1)
        for i, pc in enumerate(pivots):
            x[pc] = -M[i][free]
        basis.append(x)
    return basis


def _exact_multipliers(A, t, lam) -> list[Fraction] | None:
    """An exact Farkas certificate near the given (float) ``lam``: ``lam`` projected
    onto ``{x : sum_i x_i t_i [a_i, 1] = 0}`` in rational arithmetic; returned if it is
    ``>= 0`` and not 0, else None.  (``lam`` itself when it is already exact.)"""
    m, cols = len(A), len(A[0]) + 1
    M = [[t[i] * (A[i][k] if k < cols - 1 else 1) for i in range(m)] for k in range(cols)]
    N = _null_space(M, m)
    if not N:
        return None
    # projection N (N^T N)^-1 N^T lam: solve (N^T N) c = N^T lam exactly
    G = [
        [sum(a * b for a, b in zip(u, v)) for v in N] + [sum(a * b for a, b in zip(u, lam))]
        for u in N
    ]
    k = len(N)
    sol = _null_space([row[:k] + [-row[k]] for row in G], k + 1)
    c = next(v for v in sol if v[k] != 0)  # G is invertible: one vector with last entry 1
    c = [x / c[k] for x in c[:k]]
    x = [sum(c[j] * N[j][i] for j in range(k)) for i in range(m)]
    if any(v < 0 for v in x) or all(v == 0 for v in x):
        return None
    if any(sum(M[r][i] * x[i] for i in range(m)) != 0 for r in range(cols)):
        return None  # cannot happen (x is in the null space); checked once more
    return x


class _Rows:
    """Distinct points of the problem in the proof's order, with their labels."""

    def __init__(self, X, t, sample_of_row: list[int]):
        self.points = [tuple(float(v) for v in X[i]) for i in sample_of_row]
        self.index = {p: r for r, p in enumerate(self.points)}
        if len(self.index) != len(self.points):
            raise EncodingError("the variable map lists one point twice")
        labels: list[set] = [set() for _ in self.points]
        for i in range(len(X)):
            p = tuple(float(v) for v in X[i])
            if p not in self.index:
                raise EncodingError(f"sample {i} of the problem has no row in the variable map")
            labels[self.index[p]].add(int(t[i]) > 0)
        self.positive = [True in s for s in labels]
        self.negative = [False in s for s in labels]
        self.mixed = any(len(s) == 2 for s in labels)

    def of_sample(self, X, i: int) -> int:
        return self.index[tuple(float(v) for v in X[int(i)])]


class _Checker:
    def __init__(self, clauses, data: dict, X, t, hidden: tuple, activation: str):
        var = data.get("variables") or {}
        if var.get("output") is not None:
            raise EncodingError(
                "the proof has output variables (objective=errors); only zero-error claims "
                "(-o objective=feasibility) are checked"
            )
        self.clauses, self.X, self.act = clauses, X, activation
        self.rows = _Rows(X, t, var["rows"])
        u = len(self.rows.points)
        self.H = [[list(map(int, r)) for r in Hd] for Hd in var["hidden"]]
        if tuple(len(Hd[0]) if Hd else 0 for Hd in self.H) != tuple(hidden) or any(
            len(Hd) != u or any(len(r) != len(Hd[0]) for r in Hd) for Hd in self.H
        ):
            raise EncodingError(
                f"the variable map is not (rows {u}) x hidden widths {tuple(hidden)}"
            )
        self.targets = {v for Hd in self.H for r in Hd for v in r}
        if len(self.targets) != u * sum(hidden) or min(self.targets, default=1) < 1:
            raise EncodingError("target variables must be distinct positive integers")
        self.used = set(self.targets)  # every variable seen so far
        self.k = 0  # next clause to rebuild
        self.counts: Counter = Counter()

    # -- matching --------------------------------------------------------------------
    def _match(self, family: str, pattern: list, aux: dict) -> None:
        """Clause ``k`` must be ``pattern``: ints are literals; ``("e", key, sign)`` an
        auxiliary variable, bound (new) at its first occurrence."""
        if self.k >= len(self.clauses):
            raise EncodingError(f"{family}: the CNF ends where a clause is expected")
        c = self.clauses[self.k]
        ok = len(c) == len(pattern)
        for lit, p in zip(c, pattern):
            if not ok:
                break
            if isinstance(p, int):
                ok = lit == p
                continue
            _, key, sign = p
            if key not in aux:
                if abs(lit) in self.used or (lit > 0) != (sign > 0):
                    ok = False
                    break
                aux[key] = abs(lit)
                self.used.add(abs(lit))
            ok = lit == sign * aux[key]
        if not ok:
            raise EncodingError(
                f"clause {self.k + 1} {list(c)} is not the expected {family} clause "
                f"{[p if isinstance(p, int) else p[1:] for p in pattern]}"
            )
        self.k += 1
        self.counts[family] += 1

    # -- families --------------------------------------------------------------------
    def mixed(self) -> None:
        if self.rows.mixed:
            aux: dict = {}
            self._match("mixed", [("e", 0, 1)], aux)
            self._match("mixed", [-aux[0]], aux)

    def symmetry(self, end: int) -> None:
        if not (self.H and self.k < end and self.clauses[self.k] == (-self.H[0][0][0],)):
            return
        for Hd in self.H:
            w = len(Hd[0])
            for j in range(w):
                self._match("symmetry", [-Hd[0][j]], {})
            for j in range(w - 1):
                aux: dict = {}
                self._match("symmetry", [("e", 1, 1)], aux)
                for i in range(1, len(Hd)):
                    a, b = Hd[i][j], Hd[i][j + 1]
                    e, nxt = ("e", i, -1), ("e", i + 1, 1)  # e_i negated, e_{i+1}
                    self._match("symmetry", [e, -a, b], aux)
                    self._match("symmetry", [e, -a, nxt], aux)
                    self._match("symmetry", [e, b, nxt], aux)

    def orbit(self, spec: dict) -> None:
        """The ``orbit`` family at clause ``spec["clauses"][0]`` (see the module text)."""
        start, end = spec["clauses"]
        if start != self.k:
            raise EncodingError(f"the orbit clauses start at {start + 1}, not at {self.k + 1}")
        reps = [tuple(bool(v) for v in r) for r in spec["representatives"]]
        u = len(self.rows.points)
        if not reps or any(len(r) != u for r in reps) or u > 64:
            raise EncodingError("orbit: representatives must be columns on the (<= 64) rows")
        moves = [self._symmetry_rows(g) for g in spec["generators"]]
        allowed = {_bits(r) for r in reps}
        for c in _orbit_minima(_threshold_candidates(self.rows.points), moves, u):
            if int(c) not in allowed:
                col = "".join("+" if int(c) >> (u - 1 - i) & 1 else "-" for i in range(u))
                raise EncodingError(f"orbit: the orbit minimum {col} is no representative")
        aux: dict = {}
        self._match("orbit", [("e", k, 1) for k in range(len(reps))], aux)
        for k, r in enumerate(reps):
            for i, v in enumerate(r):
                h = self.H[0][i][0]
                self._match("orbit", [("e", k, -1), h if v else -h], aux)
        if self.k != end:
            raise EncodingError(f"the orbit span ends at {end + 1}, its clauses at {self.k + 1}")

    def _symmetry_rows(self, g: dict) -> list[int]:
        """The row permutation of a generator ``{"perm": pi, "signs": s, "offsets": c}``
        (``y[pi[k]] = s[k] x[k] + c[pi[k]]``, an affine bijection) after checking that it
        maps the points onto themselves and the labels all kept or all swapped."""
        pi, s = [int(v) for v in g["perm"]], [int(v) for v in g["signs"]]
        n = len(self.rows.points[0])
        c = [Fraction(v) for v in g.get("offsets", [0] * n)]
        if sorted(pi) != list(range(n)) or len(s) != n or any(v not in (1, -1) for v in s):
            raise EncodingError(f"orbit: generator {g} is not a signed permutation")
        if len(c) != n:
            raise EncodingError(f"orbit: generator {g} needs one offset per coordinate")
        rows = []
        for x in self.rows.points:
            y = [0.0] * n
            for k in range(n):
                y[pi[k]] = float(s[k] * Fraction(x[k]) + c[pi[k]]) + 0.0
            if tuple(y) not in self.rows.index:
                raise EncodingError(f"orbit: generator {g} maps {x} off the points")
            rows.append(self.rows.index[tuple(y)])
        P, N = self.rows.positive, self.rows.negative
        kept = all(P[rows[i]] == P[i] and N[rows[i]] == N[i] for i in range(len(rows)))
        swapped = all(P[rows[i]] == N[i] and N[rows[i]] == P[i] for i in range(len(rows)))
        if not (kept or swapped):
            raise EncodingError(f"orbit: generator {g} does not keep or swap the labels")
        return rows

    def separate(self, end: int) -> None:
        if self.k >= end:
            return
        pos = [r for r, p in enumerate(self.rows.positive) if p]
        neg = [r for r, n in enumerate(self.rows.negative) if n]
        for a in pos:
            for b in neg:
                if a == b:  # a point with both labels (the mixed clauses settle it)
                    continue
                for Hd in self.H:
                    aux: dict = {}
                    for j in range(len(Hd[0])):
                        ha, hb = Hd[a][j], Hd[b][j]
                        self._match("separate", [("e", j, -1), ha, hb], aux)
                        self._match("separate", [("e", j, -1), -ha, -hb], aux)
                    self._match("separate", [("e", j, 1) for j in range(len(Hd[0]))], aux)

    def certificate(self, n: int, c: dict) -> list[tuple[int, ...]]:
        """Check certificate ``c`` exactly; return the clauses it justifies (sorted literals)."""
        where = f"certificate {n} (layer {c.get('layer')}, rows {c.get('rows')})"
        L, d = len(self.H), int(c["layer"])
        lam = [Fraction(x) for x in c["lambda"]]
        t = [int(x) for x in c["targets"]]
        A = [[Fraction(v) for v in a] for a in c["inputs"]]
        S = [self.rows.of_sample(self.X, i) for i in c["rows"]]
        if not (1 <= d <= L + 1) or not (len(lam) == len(t) == len(A) == len(S) > 0):
            raise EncodingError(f"{where}: malformed")
        if any(x not in (1, -1) for x in t) or any(x < 0 for x in lam) or sum(lam) == 0:
            raise EncodingError(f"{where}: targets must be ±1, lambda >= 0 and not all 0")
        if d == 1:
            if any(
                tuple(A[a]) != tuple(map(Fraction, self.rows.points[i])) for a, i in enumerate(S)
            ):
                raise EncodingError(f"{where}: inputs are not the rows' points")
        else:
            values = (-1, 1) if self.act == "sign" else (0, 1)
            if any(len(a) != len(self.H[d - 2][0]) or any(v not in values for v in a) for a in A):
                raise EncodingError(f"{where}: inputs are not codes of layer {d - 1}")
        if _exact_multipliers(A, t, lam) is None:
            raise EncodingError(f"{where}: no exact Farkas certificate on these rows")
        base = []
        if d > 1:
            base = [
                -v if A[a][k] == 1 else v
                for a, i in enumerate(S)
                for k, v in enumerate(self.H[d - 2][i])
            ]
        out = []
        for s in (1, -1):
            if d <= L:
                for j in range(len(self.H[d - 1][0])):
                    lits = [
                        -self.H[d - 1][i][j] if s * t[a] > 0 else self.H[d - 1][i][j]
                        for a, i in enumerate(S)
                    ]
                    out.append(tuple(sorted(base + lits)))
            elif all(self.rows.positive[i] == (s * t[a] > 0) for a, i in enumerate(S)):
                out.append(tuple(sorted(base)))
        return out

    def cuts(self, certs: list[dict]) -> None:
        for n, c in sorted(enumerate(certs), key=lambda nc: tuple(nc[1]["clauses"])):
            start, end = c["clauses"]
            if start != self.k or end < start or end > len(self.clauses):
                raise EncodingError(
                    f"certificate {n}'s span [{start}, {end}) does not continue at clause "
                    f"{self.k} (spans must tile the cuts)"
                )
            want = Counter(self.certificate(n, c))
            if end == start:  # its cut was already added (an image of an earlier one)
                want = Counter()
                self.counts["empty_spans"] += 1
            got = Counter(tuple(sorted(x)) for x in self.clauses[start:end])
            if want != got:
                raise EncodingError(
                    f"clauses {start + 1}..{end} are not the cut of certificate {n}: "
                    f"expected {sorted(want)[:4]}..., found {sorted(got)[:4]}..."
                )
            self.k = end
            self.counts["cut"] += end - start
            self.counts["certificates"] += 1


def _bits(column) -> int:
    """A column (row 0 first) as an integer whose order is the columns' lexicographic one."""
    return sum(1 << (len(column) - 1 - i) for i, v in enumerate(column) if v)


def _threshold_candidates(points: list) -> np.ndarray:
    """Every column (as :func:`_bits`, uint64) with row 0 off that turns no quadruple
    ``x_a + x_b = x_c + x_d`` of distinct points into on, on / off, off or the reverse."""
    u = len(points)
    sums: dict = {}
    for a, b in itertools.combinations(range(u), 2):
        key = tuple(Fraction(p) + Fraction(q) for p, q in zip(points[a], points[b]))
        sums.setdefault(key, []).append((a, b))
    at: list = [[] for _ in range(u)]  # quadruples by their last row
    for pairs in sums.values():
        for (a, b), (c, d) in itertools.combinations(pairs, 2):
            one = (1 << (u - 1 - a)) | (1 << (u - 1 - b))
            two = (1 << (u - 1 - c)) | (1 << (u - 1 - d))
            at[max(a, b, c, d)].append((np.uint64(one), np.uint64(two)))
    cols = np.zeros(1, dtype=np.uint64)
    for i in range(1, u):
        cols = np.concatenate([cols, cols | np.uint64(1 << (u - 1 - i))])
        for one, two in at[i]:
            on1, on2 = (cols & one) == one, (cols & two) == two
            off1, off2 = (cols & one) == 0, (cols & two) == 0
            cols = cols[~((on1 & off2) | (on2 & off1))]
    return np.sort(cols)


def _orbit_minima(cols: np.ndarray, moves: list, u: int) -> np.ndarray:
    """The smallest member of each orbit of ``cols`` under the row permutations ``moves``
    (images complemented back to row 0 off); raises EncodingError if an image is missing."""
    full, top = np.uint64((1 << u) - 1), np.uint64(1 << (u - 1))
    index = []
    for rows in moves:
        img = np.zeros_like(cols)
        for i, j in enumerate(rows):  # bit of row i moves to row j
            img |= ((cols >> np.uint64(u - 1 - i)) & np.uint64(1)) << np.uint64(u - 1 - j)
        img = np.where(img & top, img ^ full, img)
        pos = np.minimum(np.searchsorted(cols, img), len(cols) - 1)
        if not np.array_equal(cols[pos], img):
            raise EncodingError("orbit: an image of a candidate column is not a candidate")
        index.append(pos)
    low = cols.copy()
    while True:  # each generator has finite order: forward steps reach the whole orbit
        new = low
        for pos in index:
            new = np.minimum(new, new[pos])
        if np.array_equal(new, low):
            return np.unique(low)
        low = new


def check_encoding(cnf_path: str, json_path: str, X, t, hidden, activation: str = "sign") -> dict:
    """Rebuild every clause of ``cnf_path`` for the claim "no network with hidden widths
    ``hidden`` fits ``(X, t)``" from the certificates in ``json_path``.

    Parameters
    ----------
    cnf_path, json_path : the proof's ``PATH.cnf`` and ``PATH.json``.
    X, t : the problem's samples and ±1 labels.
    hidden : hidden widths of the claim.
    activation : ``sign`` or ``step`` hidden units.

    Returns
    -------
    dict : clauses per family (``mixed``, ``symmetry``, ``orbit``, ``separate``, ``cut``) and
    ``certificates`` checked (``empty_spans``: certificates whose cut an earlier one
    had already added); raises EncodingError at the first clause it cannot rebuild.
    """
    if activation not in ("sign", "step"):
        raise EncodingError(f"activation must be sign or step, got {activation!r}")
    _, clauses = read_dimacs(cnf_path)
    with open(json_path) as f:
        data = json.load(f)
    ch = _Checker(clauses, data, X, t, tuple(int(h) for h in hidden), activation)
    certs = [
        c
        for c in data.get("certificates", []) + data.get("symmetric_certificates", [])
        if "clauses" in c
    ]
    first_cut = min((c["clauses"][0] for c in certs), default=len(clauses))
    orbits = data.get("orbits")
    ch.mixed()
    ch.symmetry(first_cut if orbits is None else orbits["clauses"][0])
    if orbits is not None:
        ch.orbit(orbits)
    ch.separate(first_cut)
    if ch.k != first_cut:
        raise EncodingError(
            f"clauses {ch.k + 1}..{first_cut} belong to no family (the first cut starts "
            f"at clause {first_cut + 1})"
        )
    ch.cuts(certs)
    if ch.k != len(clauses):
        raise EncodingError(f"clauses {ch.k + 1}..{len(clauses)} belong to no family")
    for c in data.get("certificates", []) + data.get("symmetric_certificates", []):
        if "clauses" not in c:  # justifies no clause, but a bad one is still a bad sign
            ch.certificate(-1, c)
    return dict(ch.counts)


def main(argv: list[str] | None = None) -> int:
    """Command line: exit 0 (checked), 1 (refused), 2 (bad arguments or files)."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("proof", help="PATH given to -o proof=PATH (reads PATH.cnf, PATH.json)")
    ap.add_argument("--problem", required=True, help="the problem of the claim, e.g. parity:5")
    ap.add_argument("--hidden", required=True, help="hidden widths of the claim, e.g. 4 or 4,3")
    ap.add_argument("--activation", default="sign", choices=["sign", "step"])
    args = ap.parse_args(argv)
    import hardtarget as ht  # the problem loader only

    try:
        hidden = tuple(int(h) for h in args.hidden.split(","))
        problem = ht.load_problem(args.problem)
    except (ValueError, ht.HardTargetError) as exc:
        print(f"check_encoding: error: {exc}", file=sys.stderr)
        return 2
    t0 = time.perf_counter()
    try:
        counts = check_encoding(
            args.proof + ".cnf",
            args.proof + ".json",
            problem.X,
            problem.t,
            hidden,
            args.activation,
        )
    except OSError as exc:
        print(f"check_encoding: error: {exc}", file=sys.stderr)
        return 2
    except (EncodingError, KeyError, TypeError, ValueError) as exc:
        print(f"check_encoding: REFUSED: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    total = sum(v for k, v in counts.items() if k != "certificates")
    print(
        f"check_encoding: OK: {total} clauses rebuilt for 'no {args.activation} network with "
        f"hidden widths {hidden} fits {args.problem}' in {time.perf_counter() - t0:.2f} s"
    )
    for k, v in sorted(counts.items()):
        print(f"  {k}: {v}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
