"""Check, independently of the encoder, that an ``output-split`` proof says what it claims.

``hardtarget solve --strategy output-split -o proof=PATH`` writes ``PATH.json`` and, per
solved output class ``k``, ``PATH.k.cnf`` and its DRAT refutation ``PATH.k.drat``.  A
DRAT checker (``drat-trim PATH.k.cnf PATH.k.drat``) checks that each CNF is
unsatisfiable.  This program checks the rest of the claim

    no network with one hidden layer of ``w`` sign (or step) units and real weights
    classifies every sample of ``--problem`` correctly,

by these steps, each from the problem and the files alone (it imports the problem loader
and, from ``check_encoding.py`` beside it, the DIMACS reader and the exact Farkas check):

1. **The classes are every output function.**  Each class's integer weights and
   threshold must give its truth table; no two classes are permutations of each other;
   and ``sum over classes of |permutation orbit| * 2^(essential bits)`` must equal the
   number of threshold functions of ``w`` variables (OEIS A000609), which holds exactly
   when every positive threshold function is a permutation of a listed one (a threshold
   function is a positive one with some essential inputs negated, in one way only).  Why
   positive ones suffice: see ``hardtarget/search/sat/output_split.py``.
2. **Every class is refuted.**  A class is solved (its CNF checked below) or its dual
   ``g^d(b) = 1 - g(1 - b)`` is, and ``label_flip`` is a row permutation induced by an
   affine bijection of coordinates (``x_k -> s x_j + c``) that negates every label.
3. **Every clause of a solved class is implied** by "hidden bits ``H[r][j]`` that are
   threshold functions of the rows, with ``g(H[r]) = label(r)`` for every row":
   ``output`` clauses mention one row and are true for every code ``c`` with
   ``g(c) = label`` (checked over all ``2^w`` codes); ``summable`` clauses forbid
   ``+ + - -`` or ``- - + +`` on four rows with ``x_a + x_b = x_c + x_d`` exactly, for one
   unit; certificate clauses forbid ``t`` or ``-t`` on the certificate's rows for one unit,
   the certificate checked exactly (rational Farkas multipliers); ``lex`` blocks are
   rebuilt literal by literal from their permutation, which must keep the labels (an
   affine coordinate map as above) and ``g`` (a unit permutation), their prefix variables
   new.  The blocks must tile the CNF in order.

Usage::

    python tools/check_output_split.py PATH --problem parity:6 --hidden 5
"""

from __future__ import annotations

import argparse
import importlib.util
import itertools
import json
import sys
import time
from fractions import Fraction
from pathlib import Path

_spec = importlib.util.spec_from_file_location(
    "check_encoding", Path(__file__).resolve().parent / "check_encoding.py"
)
assert _spec is not None and _spec.loader is not None
_ce = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_ce)
EncodingError, read_dimacs, exact_multipliers = (
    _ce.EncodingError,
    _ce.read_dimacs,
    _ce._exact_multipliers,
)

__all__ = ["check_output_split", "main"]

# OEIS A000609: threshold functions of n variables, n = 0..6
THRESHOLD_FUNCTIONS = [2, 4, 14, 104, 1882, 94572, 15028134]


def _codes(w: int) -> list[tuple[int, ...]]:
    return list(itertools.product((0, 1), repeat=w))


def _table(weights, theta, w) -> tuple[int, ...]:
    return tuple(int(sum(a * b for a, b in zip(weights, c)) >= theta) for c in _codes(w))


def _permuted(table, p, w) -> tuple[int, ...]:
    index = {c: k for k, c in enumerate(_codes(w))}
    return tuple(table[index[tuple(c[p[j]] for j in range(w))]] for c in _codes(w))


def _essential(table, w) -> int:
    index = {c: k for k, c in enumerate(_codes(w))}
    n = 0
    for j in range(w):
        n += any(
            table[index[c]] != table[index[c[:j] + (1 - c[j],) + c[j + 1 :]]] for c in _codes(w)
        )
    return n


def check_classes(classes: list[dict], w: int) -> None:
    """Step 1: tables from weights, distinct up to permutation, complete by the count."""
    perms = list(itertools.permutations(range(w)))
    seen: set = set()
    total = 0
    for k, c in enumerate(classes):
        if any(v < 0 for v in c["weights"]) or len(c["weights"]) != w:
            raise EncodingError(f"class {k}: weights must be {w} non-negative integers")
        table = _table(c["weights"], c["threshold"], w)
        if tuple(c["table"]) != table:
            raise EncodingError(f"class {k}: its table is not its weights' function")
        orbit = {_permuted(table, p, w) for p in perms}
        if orbit & seen:
            raise EncodingError(f"class {k} is a permutation of an earlier class")
        seen |= orbit
        total += len(orbit) * 2 ** _essential(table, w)
    if total != THRESHOLD_FUNCTIONS[w]:
        raise EncodingError(
            f"the classes account for {total} threshold functions of {w} variables, "
            f"not {THRESHOLD_FUNCTIONS[w]}: the list is incomplete"
        )
    for k, c in enumerate(classes):
        dual = tuple(1 - v for v in reversed(c["table"]))
        if not any(_permuted(dual, p, w) == tuple(classes[c["dual"]]["table"]) for p in perms):
            raise EncodingError(f"class {k}: class {c['dual']} is not its dual")


def _exact(v: float) -> int | Fraction:
    """A float exactly, as an int when it is one (faster sums)."""
    q = Fraction(v)
    return int(q) if q.denominator == 1 else q


def _affine_map(points, perm) -> bool:
    """Is ``points[perm[i]] = M points[i]`` for a map ``x_k -> s x_j + c`` per coordinate
    (a bijection of coordinates, s = ±1)?"""
    n = len(points[0])
    used: set = set()
    for k in range(n):
        target = [points[perm[i]][k] for i in range(len(points))]
        for j, s in itertools.product(range(n), (1, -1)):
            if j in used:
                continue
            c = target[0] - s * points[0][j]
            if all(target[i] == s * points[i][j] + c for i in range(len(points))):
                used.add(j)
                break
        else:
            return False
    return True


class _ClassChecker:
    """Step 3 for one solved class."""

    def __init__(self, clauses, rec, g_table, w, points, labels, H):
        self.clauses, self.rec, self.table, self.w = clauses, rec, g_table, w
        self.points, self.labels, self.H = points, labels, H
        self.where = {H[r][j]: (r, j) for r in range(len(H)) for j in range(w)}
        self.k = 0
        self.used = set(self.where)
        self.counts = {"output": 0, "summable": 0, "lex": 0, "cut": 0}

    def _take(self, end: int):
        if end < self.k or end > len(self.clauses):
            raise EncodingError(f"a span ends at clause {end}, before {self.k} or past the end")
        out = self.clauses[self.k : end]
        self.k = end
        return out

    def output(self, span) -> None:
        if span[0] != self.k:
            raise EncodingError("the output clauses must come first")
        codes = [c for c in _codes(self.w) if self.table[_codes(self.w).index(c)]]
        for clause in self._take(span[1]):
            cells = [self.where.get(abs(v)) for v in clause]
            if None in cells or len({r for r, _ in cells}) != 1:
                raise EncodingError(f"output clause {clause} is not over one row's bits")
            r = cells[0][0]
            ok = [c for c in _codes(self.w) if (c in codes) == self.labels[r]]
            for c in ok:  # true for every code the output maps to the row's label
                if not any((c[j] == 1) == (v > 0) for v, (_, j) in zip(clause, cells)):
                    raise EncodingError(f"output clause {clause} excludes a valid code {c}")
            self.counts["output"] += 1

    def _forbids(self, clause, S, t) -> bool:
        """Is ``clause`` "not t (or not -t) on rows S" for one unit?"""
        cells = [self.where.get(abs(v)) for v in clause]
        if None in cells or len(clause) != len(S) or len({j for _, j in cells}) != 1:
            return False
        got = {r: v > 0 for v, (r, _) in zip(clause, cells)}
        for sgn in (1, -1):  # the clause is false exactly on targets sgn * t
            if got == {r: not (sgn * ti > 0) for r, ti in zip(S, t)}:
                return True
        return False

    def summable(self, span) -> None:
        """Two rows of one polarity, two of the other, one unit, equal sums (the clause
        forbids ``+ + - -`` on them, or its negation)."""
        for clause in self._take(span[1]):
            cells = [self.where.get(abs(v)) for v in clause]
            ok = None not in cells and len(clause) == 4 and len({j for _, j in cells}) == 1
            if ok:
                pos = [r for v, (r, _) in zip(clause, cells) if v > 0]
                neg = [r for v, (r, _) in zip(clause, cells) if v < 0]
                P = self.points
                ok = (
                    len(pos) == len(neg) == 2
                    and len(set(pos + neg)) == 4
                    and all(
                        P[pos[0]][i] + P[pos[1]][i] == P[neg[0]][i] + P[neg[1]][i]
                        for i in range(len(P[0]))
                    )
                )
            if not ok:
                raise EncodingError(f"summable clause {clause} is not a sum quadruple's cut")
            self.counts["summable"] += 1

    def lex(self, block, g_table) -> None:
        rows, units = block["rows"], block["units"]
        if sorted(rows) != list(range(len(self.H))) or sorted(units) != list(range(self.w)):
            raise EncodingError("a lex permutation is not a permutation")
        if any(self.labels[rows[r]] != self.labels[r] for r in range(len(rows))):
            raise EncodingError("a lex row permutation does not keep the labels")
        if not _affine_map(self.points, rows):
            raise EncodingError("a lex row permutation is no affine map of coordinates")
        if _permuted(g_table, units, self.w) != tuple(g_table):
            raise EncodingError("a lex unit permutation does not keep the output function")
        got = self._take(block["clauses"][1])
        pairs = [
            (self.H[r][j], self.H[rows[r]][units[j]])
            for r in range(len(self.H))
            for j in range(self.w)
            if self.H[r][j] != self.H[rows[r]][units[j]]
        ]
        want, e, pos = [], None, 0
        for a, b in pairs:
            if pos >= len(got):
                break  # a prefix of the chain: still implied
            fresh = abs(got[pos + 1][-1]) if pos + 1 < len(got) else None
            if fresh in self.used:
                raise EncodingError(f"lex prefix variable {fresh} is not new")
            self.used.add(fresh)
            if e is None:
                want += [(-a, b), (-a, fresh), (b, fresh)]
            else:
                want += [(-e, -a, b), (-e, -a, fresh), (-e, b, fresh)]
            e, pos = fresh, pos + 3
        if [tuple(c) for c in got] != want[: len(got)] or len(got) % 3:
            raise EncodingError("a lex block is not the chain of its permutation")
        self.counts["lex"] += len(got)

    def certificate(self, cert) -> None:
        S = cert["rows"]
        A = [self.points[r] for r in S]
        if [tuple(a) for a in cert["inputs"]] != [tuple(a) for a in A]:
            raise EncodingError("a certificate's inputs are not its rows' points")
        lam = [Fraction(v) for v in cert["lambda"]]
        A_q = [[Fraction(v) for v in a] for a in A]
        if exact_multipliers(A_q, cert["targets"], lam) is None:
            raise EncodingError(f"certificate on rows {S} does not check exactly")
        for clause in self._take(cert["clauses"][1]):
            if not self._forbids(clause, S, cert["targets"]):
                raise EncodingError(f"clause {clause} is not what its certificate forbids")
            self.counts["cut"] += 1


def check_output_split(path: str, X, t, width: int) -> dict:
    """Check steps 1-3 of the module docstring for the proof at ``path``.

    Parameters
    ----------
    path : the ``proof=`` path (reads ``path.json`` and ``path.k.cnf``).
    X, t : the problem's samples and ±1 labels.
    width : hidden units of the claim.

    Returns
    -------
    dict : clauses checked per family and ``classes`` solved; raises EncodingError.
    """
    with open(path + ".json") as f:
        doc = json.load(f)
    w = int(width)
    if doc.get("strategy") != "output-split" or doc["width"] != w:
        raise EncodingError(f"{path}.json is no output-split proof for width {w}")
    check_classes(doc["classes"], w)
    sample_of_row = doc["rows"]
    rows = _ce._Rows(X, t, sample_of_row)
    if rows.mixed:
        raise EncodingError("the problem has identical inputs with different labels")
    points = [tuple(_exact(v) for v in p) for p in rows.points]
    labels = rows.positive
    H = doc["variables"]
    if [len(h) for h in H] != [w] * len(points) or len({v for h in H for v in h}) != w * len(
        points
    ):
        raise EncodingError("the variable map is not one variable per row and unit")
    solved = {rec["index"] for rec in doc["solved"]}
    flip = doc["label_flip"]
    if flip is not None:
        if sorted(flip) != list(range(len(points))) or not _affine_map(points, flip):
            raise EncodingError("label_flip is no affine map of coordinates")
        if any(labels[flip[r]] == labels[r] for r in range(len(points))):
            raise EncodingError("label_flip does not negate every label")
    for k, c in enumerate(doc["classes"]):
        if k not in solved and not (flip is not None and c["dual"] in solved):
            raise EncodingError(f"output class {k} is neither solved nor the dual of a solved one")
    totals = {"classes": len(solved)}
    for rec in doc["solved"]:
        k = rec["index"]
        if "constant" in rec:  # the output is constant and this row has the other label
            r = rec["constant"]
            if labels[r] in doc["classes"][k]["table"]:
                raise EncodingError(f"class {k} maps some code to row {r}'s label")
            continue
        _, clauses = read_dimacs(f"{path}.{k}.cnf")
        ch = _ClassChecker(clauses, rec, doc["classes"][k]["table"], w, points, labels, H)
        ch.output(rec["output"])
        if rec["summable"][0] != ch.k:
            raise EncodingError(f"class {k}: the summable clauses must follow the output ones")
        ch.summable(rec["summable"])
        for block in rec["lex"]:
            if block["clauses"][0] != ch.k:
                raise EncodingError(f"class {k}: a lex block does not start where expected")
            ch.lex(block, doc["classes"][k]["table"])
        for cert in rec["certificates"]:
            if cert["clauses"][0] != ch.k:
                raise EncodingError(f"class {k}: a certificate's span does not start in order")
            ch.certificate(cert)
        if ch.k != len(clauses):
            raise EncodingError(f"class {k}: clauses {ch.k + 1}.. belong to no family")
        for fam, n in ch.counts.items():
            totals[fam] = totals.get(fam, 0) + n
    return totals


def main(argv: list[str] | None = None) -> int:
    """Command line: exit 0 (checked), 1 (refused), 2 (bad arguments or files)."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("proof", help="PATH given to -o proof=PATH (reads PATH.json, PATH.k.cnf)")
    ap.add_argument("--problem", required=True, help="the problem of the claim, e.g. parity:6")
    ap.add_argument("--hidden", required=True, type=int, help="hidden units of the claim")
    args = ap.parse_args(argv)
    import hardtarget as ht  # the problem loader only

    try:
        problem = ht.load_problem(args.problem)
    except ht.HardTargetError as exc:
        print(f"check_output_split: error: {exc}", file=sys.stderr)
        return 2
    t0 = time.perf_counter()
    try:
        counts = check_output_split(args.proof, problem.X, problem.t, args.hidden)
    except OSError as exc:
        print(f"check_output_split: error: {exc}", file=sys.stderr)
        return 2
    except (EncodingError, KeyError, TypeError, ValueError, IndexError) as exc:
        print(f"check_output_split: REFUSED: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    print(
        f"check_output_split: OK: {sum(v for k, v in counts.items() if k != 'classes')} "
        f"clauses of {counts['classes']} output classes rebuilt for 'no network with "
        f"{args.hidden} hidden units fits {args.problem}' in {time.perf_counter() - t0:.2f} s; "
        f"now check each class K's refutation: drat-trim {args.proof}.K.cnf {args.proof}.K.drat"
    )
    for k, v in sorted(counts.items()):
        print(f"  {k}: {v}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
