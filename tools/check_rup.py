"""Check a DRAT refutation made of RUP lemmas, forward, without trusting the SAT solver.

Each lemma of the proof, in order, must be a reverse-unit-propagation consequence of the
formula and the lemmas before it: assigning its literals false and unit-propagating over
those clauses reaches a conflict.  The proof must contain the empty clause.  Deletions
are ignored (keeping a clause only helps propagation, and every kept clause is implied),
so the check is sound; a proof with RAT lemmas (not produced by the CDCL solvers
hardtarget uses) is refused.  ``drat-trim CNF PROOF`` is the standard independent check;
this one needs no binary: numba compiles the propagation loop.

Usage::

    python tools/check_rup.py FORMULA.cnf PROOF.drat [more pairs ...]
"""

from __future__ import annotations

import sys
import time

import numpy as np
from numba import njit

__all__ = ["check_rup", "main"]


def _read(path: str, proof: bool) -> tuple[list[np.ndarray], int]:
    """Clauses of a DIMACS CNF (``proof=False``) or the added lemmas of a DRAT text file."""
    out, top = [], 0
    with open(path) as f:
        for line in f:
            if not line.strip() or line[0] in "pc" or (proof and line[0] == "d"):
                continue
            lits = np.array(line.split(), dtype=np.int64)
            if lits[-1] != 0:
                raise ValueError(f"{path}: a clause without its closing 0: {line.strip()!r}")
            lits = lits[:-1]
            top = max(top, int(np.abs(lits).max(initial=0)))
            out.append(lits)
    return out, top


@njit(cache=False)  # loaded by path: a numba cache could not be loaded back
def _check(lits, start, units, n_formula, n_vars):  # pragma: no cover (compiled)
    """Index of the first lemma that fails (-1: all pass and one is empty; -2: no empty
    lemma).  Literal ``v`` is code ``2|v| + (v < 0)``; ``value[code]``: 1 true, -1 false."""
    n_clauses = len(start) - 1
    n_codes = 2 * n_vars + 2
    occ_count = np.zeros(n_codes, np.int64)
    for c in range(n_clauses):
        for k in range(start[c], start[c + 1]):
            v = lits[k]
            occ_count[2 * abs(v) + (1 if v < 0 else 0)] += 1
    occ_start = np.zeros(n_codes + 1, np.int64)
    for i in range(n_codes):
        occ_start[i + 1] = occ_start[i] + occ_count[i]
    occ = np.empty(occ_start[-1], np.int64)
    fill = occ_start[:-1].copy()
    for c in range(n_clauses):
        for k in range(start[c], start[c + 1]):
            v = lits[k]
            code = 2 * abs(v) + (1 if v < 0 else 0)
            occ[fill[code]] = c
            fill[code] += 1
    value = np.zeros(n_codes, np.int8)
    falses = np.zeros(n_clauses, np.int64)
    trail = np.empty(n_vars + 1, np.int64)
    for lemma in range(n_formula, n_clauses):
        active = lemma  # the formula and the lemmas before this one
        top = 0
        conflict = False
        # the lemma's literals false, then every unit clause, then propagate
        pending = np.empty(start[lemma + 1] - start[lemma], np.int64)
        for k in range(start[lemma], start[lemma + 1]):
            pending[k - start[lemma]] = -lits[k]
        for k in range(len(pending) + len(units)):
            if k < len(pending):
                v = pending[k]
            else:
                c = units[k - len(pending)]
                if c >= active:
                    break  # units are in clause order
                v = lits[start[c]]
            code = 2 * abs(v) + (1 if v < 0 else 0)
            if value[code] == 1:
                continue
            if value[code] == -1:
                conflict = True
                break
            value[code], value[code ^ 1] = 1, -1
            trail[top] = code
            top += 1
        head = 0
        while not conflict and head < top:
            false_code = trail[head] ^ 1
            head += 1
            for i in range(occ_start[false_code], occ_start[false_code + 1]):
                c = occ[i]
                if c >= active:
                    continue
                falses[c] += 1
                if conflict:  # finish counting this literal's clauses (undone below)
                    continue
                size = start[c + 1] - start[c]
                if falses[c] < size - 1:
                    continue
                unit = 0
                satisfied = False
                for k in range(start[c], start[c + 1]):
                    w = lits[k]
                    wc = 2 * abs(w) + (1 if w < 0 else 0)
                    if value[wc] == 1:
                        satisfied = True
                        break
                    if value[wc] == 0:
                        unit = w
                if satisfied:
                    continue
                if unit == 0:
                    conflict = True
                    continue
                uc = 2 * abs(unit) + (1 if unit < 0 else 0)
                value[uc], value[uc ^ 1] = 1, -1
                trail[top] = uc
                top += 1
        # undo: counts of every clause a propagated falsity touched, then the values
        for t in range(head):
            false_code = trail[t] ^ 1
            for i in range(occ_start[false_code], occ_start[false_code + 1]):
                if occ[i] < active:
                    falses[occ[i]] -= 1
        for t in range(top):
            value[trail[t]] = 0
            value[trail[t] ^ 1] = 0
        if not conflict:
            return lemma
        if start[lemma + 1] == start[lemma]:
            return -1
    return -2


def check_rup(cnf_path: str, proof_path: str) -> tuple[bool, str]:
    """``(ok, message)``: does every added lemma of ``proof_path`` follow by unit
    propagation, up to an empty clause?

    Parameters
    ----------
    cnf_path, proof_path : a DIMACS formula and its DRAT (text) refutation.

    Returns
    -------
    tuple of (bool, str)
    """
    formula, n1 = _read(cnf_path, False)
    lemmas, n2 = _read(proof_path, True)
    clauses = formula + lemmas
    sizes = np.array([len(c) for c in clauses], dtype=np.int64)
    start = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    lits = np.concatenate(clauses) if clauses else np.zeros(0, np.int64)
    if any(len(c) == 0 for c in formula):
        return True, "the formula itself has an empty clause"
    units = np.flatnonzero(sizes == 1).astype(np.int64)
    bad = _check(lits.astype(np.int64), start, units, len(formula), max(n1, n2))
    if bad == -1:
        return True, f"{len(lemmas)} lemmas, each by unit propagation, up to the empty clause"
    if bad == -2:
        return False, "every lemma checks but none is the empty clause"
    return False, f"lemma {bad - len(formula) + 1} ({clauses[bad].tolist()}) is not RUP"


def main(argv: list[str] | None = None) -> int:
    """Command line: exit 0 (every pair verified), 1 (refused), 2 (bad arguments)."""
    args = sys.argv[1:] if argv is None else argv
    if not args or len(args) % 2:
        print("usage: check_rup.py FORMULA.cnf PROOF.drat [more pairs ...]", file=sys.stderr)
        return 2
    t0 = time.perf_counter()
    for cnf, proof in zip(args[::2], args[1::2]):
        try:
            ok, msg = check_rup(cnf, proof)
        except (OSError, ValueError) as exc:
            print(f"check_rup: error: {exc}", file=sys.stderr)
            return 2
        print(f"check_rup: {'VERIFIED' if ok else 'REFUSED'}: {proof}: {msg}")
        if not ok:
            return 1
    print(f"check_rup: {len(args) // 2} refutation(s) verified in {time.perf_counter() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
