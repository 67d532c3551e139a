"""Strategy ``output-split``: one hidden layer, the output unit's function fixed class by class.

``sat-lp`` leaves the output unit free and learns its cuts one code pattern at a time;
on parity-6 with 5 hidden units that never ends.  Here the output's Boolean function is
a case split instead, and each case is a small SAT problem over the hidden targets only.

Argument (zero errors, real weights; ``w`` hidden sign or step units).  Suppose a network
fits the data.  Move every bias down by less than its smallest non-zero |pre-activation|
on the data: nothing changes and no pre-activation is 0.  Write ``b_j(x) = 1`` when hidden
unit ``j`` outputs +1 on row ``x``: each ``b_j`` is a threshold function of the inputs,
and the output is a threshold function ``g`` of the bits.  Negating unit ``j`` (``b_j ->
1 - b_j``, again a threshold function) negates its output weight, and permuting the units
permutes the weights; so some fitting network has a *positive* ``g`` from the list of
:func:`.output_classes.output_classes` (one per permutation class; complete, see there).
Hence, for each class ``g``: variables ``H[r][j]`` (bit of unit ``j`` on distinct row
``r``) and the clauses

``output``
    for a row labelled +1 and each maximal code ``F`` with ``g(F) = 0``, "some unit
    outside ``F`` is on"; for a row labelled -1 and each minimal ``T`` with ``g(T) = 1``,
    "some unit of ``T`` is off" (``g`` is monotone: exactly ``g(H[r]) = label``).
``cut``
    a Farkas certificate on rows ``S`` with targets ``t`` forbids ``t`` and ``-t`` on ``S``
    for every unit (the ``x_a + x_b = x_c + x_d`` quadruples up front, LP certificates of
    the proposals' non-separable columns, and their images under the point symmetries).
``lex``
    for each generator ``pi`` chosen below, ``H <=_lex H o pi`` (rows in order, units in
    order within a row; False < True), with prefix-equality literals: ``pi`` maps a row
    ``x`` to ``sigma(x)`` for an affine map ``sigma`` (``x_k -> s x_j + c`` per
    coordinate, ``s = ±1``: a signed coordinate permutation, or a 0/1 cube's flip) that
    keeps the inputs and every label, and unit ``j`` to ``tau(j)`` with ``g o tau = g``.
    Such a ``pi`` maps solutions to solutions, so the lexicographically smallest solution
    of every orbit meets every ``lex`` constraint: one remains when any does.

An unsatisfiable class has no fitting hidden layer.  When such a map ``sigma`` keeps the
inputs and negates every label, class ``g`` and its dual ``g^d(b) = 1 - g(1 - b)`` stand
or fall together (``b'_j(x) = 1 - b_j(sigma(x))`` turns a
fit with ``g`` into one with ``g^d``), and only one of each pair is solved.  Every class
unsatisfiable proves that no network of that width fits; a satisfiable class whose hidden
columns all pass the exact LP gives a network.  The ``proof`` files let a third party
re-check this: ``tools/check_output_split.py`` rebuilds every clause from the problem,
the classes and the certificates, and a DRAT checker checks each class's refutation.
"""

from __future__ import annotations

import functools
import json
import time

import numpy as np

from ..._io import write_file_set
from ...errors import HardTargetError
from ...status import REAL_WEIGHTS, Status
from ...targets import TargetSetting
from ...units import solve_unit
from ..base import BudgetExhausted, SearchContext, Strategy
from ..first_pass import first_fit
from ..params import Param
from ..symmetry import affine_generators, generated_group
from ._common import distinct_problem, pysat_module, sat_solve
from .output_classes import MAX_OUTPUT_WIDTH, OutputClass, codes, output_classes
from .sat_lp import _exact, summable_quadruples
from .strategy import SOLVERS, remaining

__all__ = ["OutputSplit"]


class _ClassModel:
    """The CNF of one output class, clause by clause (kept for the proof files)."""

    def __init__(self, u: int, w: int, solver: str, proof: bool):
        self.H = np.arange(1, u * w + 1, dtype=np.int64).reshape(u, w)
        self.top = u * w
        self.n = 0  # clauses added
        self.clauses: list[list[int]] | None = [] if proof else None  # kept for the proof
        self.sat = pysat_module("pysat.solvers").Solver(name=solver, with_proof=proof)

    def add(self, clause: list[int]) -> None:
        self.n += 1
        if self.clauses is not None:
            self.clauses.append(clause)
        self.sat.add_clause(clause)

    def fresh(self) -> int:
        self.top += 1
        return self.top

    def forbid(self, S: np.ndarray, t: np.ndarray) -> None:
        """Targets ``t`` and ``-t`` on rows ``S``, for every unit."""
        for sgn in (1, -1):
            for j in range(self.H.shape[1]):
                self.add([int(-v if sgn * tv > 0 else v) for v, tv in zip(self.H[S, j], t)])

    def lex(self, rows: np.ndarray, units: np.ndarray) -> None:
        """``H <=_lex H o pi`` for ``pi``: row r -> rows[r], unit j -> units[j]."""
        e = None
        for a, b in zip(self.H.ravel().tolist(), self.H[rows][:, units].ravel().tolist()):
            if a == b:
                continue
            if e is None:  # the first differing position: a <= b
                self.add([-a, b])
                e = self.fresh()
                self.add([-a, e])
                self.add([b, e])
            else:
                self.add([-e, -a, b])
                nxt = self.fresh()
                self.add([-e, -a, nxt])
                self.add([-e, b, nxt])
                e = nxt

    def dimacs(self) -> str:
        assert self.clauses is not None, "a model made with proof=True"
        return f"p cnf {self.top} {self.n}\n" + "".join(
            " ".join(map(str, c)) + " 0\n" for c in self.clauses
        )


@functools.cache
def output_clauses(g: OutputClass, label: bool) -> tuple[tuple[int, ...], ...]:
    """The output family for one row, as clauses over unit indices ``j + 1``: exactly
    ``g(bits) = label`` (see the module docstring)."""
    w = len(g.weights)
    C = codes(w)
    if label:  # no maximal code with g = 0: some unit outside it is on
        zeros = C[np.array(g.table) == 0]
        top = [c for c in zeros if not any((d >= c).all() and (d != c).any() for d in zeros)]
        return tuple(tuple(j + 1 for j in range(w) if not c[j]) for c in top)
    ones = C[np.array(g.table) == 1]  # no minimal code with g = 1: some unit of it is off
    bottom = [c for c in ones if not any((d <= c).all() and (d != c).any() for d in ones)]
    return tuple(tuple(-(j + 1) for j in range(w) if c[j]) for c in bottom)


def unit_symmetries(g: OutputClass) -> list[np.ndarray]:
    """Swaps of adjacent units that keep ``g``'s truth table."""
    w = len(g.weights)
    C, T = codes(w), np.array(g.table)
    place = 1 << np.arange(w - 1, -1, -1)
    out = []
    for j in range(w - 1):
        p = np.arange(w)
        p[j], p[j + 1] = j + 1, j
        if np.array_equal(T[C[:, p] @ place], T):
            out.append(p)
    return out


def summable_clauses(quads: list, u: int, w: int) -> list[list[int]]:
    """The cuts of the quadruples ``S`` (targets ``+ + - -`` and their negation on ``S``, for
    every unit), over the variables ``H[r][j] = r w + j + 1`` of every class's model."""
    if not quads:
        return []
    H = np.arange(1, u * w + 1, dtype=np.int64).reshape(u, w)
    lits = np.moveaxis(H[np.array(quads)], 2, 1)  # (quadruples, units, 4)
    t = np.array([1, 1, -1, -1])
    forbid = np.stack([lits * -t, lits * t], axis=1)  # a clause is false exactly on +-t
    return forbid.reshape(-1, 4).tolist()


class OutputSplit(Strategy):
    """Exact search for one hidden layer, split on the output unit's Boolean function.

    Decides whether a zero-error network exists (real weights), for one hidden layer of
    up to 6 sign or step units and one output.

    Parameters
    ----------
    solver : PySAT solver (``glucose4`` default, interruptible; ``cadical195`` cannot be
        interrupted, so a time limit is checked only between its calls).
    lex : add the ``lex`` symmetry-breaking constraints (see the module docstring).
    dual : solve one class of each dual pair when a point symmetry negates the labels.
    point_symmetry : add every image of an LP cut under the inputs' point symmetries.
    summable : add the ``x_a + x_b = x_c + x_d`` cuts up front (up to 300 distinct rows).
    first_pass : first look for a fit with :mod:`..first_pass`; a fit ends the search.
    proof : a path: when every class is unsatisfiable, ``proof + ".json"`` (classes, the
        variable map, every certificate and clause span), and per solved class ``k``
        ``proof + ".k.cnf"`` (DIMACS) and ``proof + ".k.drat"`` (its refutation).
    seed : int or None, default=None
        Seed of the strategy's random choices (``solve(seed=...)`` sets it; unused).
    """

    name = "output-split"
    exact = True
    proof_scope = REAL_WEIGHTS
    max_hidden_layers = 1
    params = {
        "solver": Param("str", "PySAT SAT solver (--solver is the unit solver)", choices=SOLVERS),
        "lex": Param("bool", "lexicographic symmetry breaking per output class"),
        "dual": Param("bool", "solve one of each dual pair of output classes"),
        "point_symmetry": Param("bool", "add the images of LP cuts under point symmetries"),
        "summable": Param("bool", "add the cuts of x_a + x_b = x_c + x_d up front"),
        "proof": Param(
            "str", "write the classes, CNFs, DRAT proofs and certificates here", none=True
        ),
        "first_pass": Param("bool", "look for a fit (staircase, CP-SAT, relaxations) first"),
    }

    def __init__(
        self,
        seed: int = 0,
        solver: str = "glucose4",
        lex: bool = True,
        dual: bool = True,
        point_symmetry: bool = True,
        summable: bool = True,
        proof: str | None = None,
        first_pass: bool = True,
    ):
        self.seed = seed
        self.solver = solver
        self.lex = lex
        self.dual = dual
        self.point_symmetry = point_symmetry
        self.summable = summable
        self.proof = proof
        self.first_pass = first_pass

    def check(self, evaluator) -> None:
        if evaluator.loss != "errors" or evaluator.objective != "errors":
            raise HardTargetError(
                "output-split decides whether a zero-error network exists; use loss='errors' "
                "and no search objective"
            )
        widths = tuple(evaluator.hidden)
        if len(widths) > 1 or (widths and not 1 <= widths[0] <= MAX_OUTPUT_WIDTH):
            raise HardTargetError(
                f"output-split handles one hidden layer of 1 to {MAX_OUTPUT_WIDTH} units (or "
                f"none), not hidden widths {widths}; use strategy 'sat-lp'"
            )
        if evaluator.activation.name not in ("sign", "step"):
            raise HardTargetError(
                f"output-split needs sign or step units, not {evaluator.activation.name!r}"
            )

    def run(self, ctx: SearchContext):
        ev = ctx.evaluator
        rows = distinct_problem(ev.problem.X, ev.problem.t)
        first = np.unique(rows.inv, return_index=True)[1]
        label = rows.pos > 0
        ctx.info.update(proof=REAL_WEIGHTS, rounds=0, cuts=0, lp_checks=0, certificates=[])
        if rows.mixed.any():
            return Status.INFEASIBLE, "proved: two identical inputs have different labels"
        if not ev.hidden:  # the output unit alone: one exact LP
            ctx.info["lp_checks"] += 1
            unit = solve_unit(rows.U.astype(np.float64), np.where(label, 1.0, -1.0), "lp")
            if not unit.separable:
                return Status.INFEASIBLE, "proved: the data are not linearly separable"
            ctx.record(TargetSetting([]), output_targets=ev.problem.t.reshape(-1, 1))
            return Status.OPTIMAL, "zero training errors (the data are linearly separable)"
        w = ev.hidden[0]
        fit = first_fit(ctx) if self.first_pass else None
        if fit:
            ctx.info["found_by"] = fit
            return Status.OPTIMAL, f"zero training errors ({fit})"
        classes = output_classes(w)
        y = np.where(label, 1, -1)
        gens = list(affine_generators(rows.U, y)[0]) if (self.lex or self.dual) else []
        keep = [p for p in gens[1:] if np.array_equal(y[p], y)]
        flip = next((p for p in gens if np.array_equal(y[p], -y)), None) if self.dual else None
        todo = [k for k in range(len(classes)) if flip is None or k <= classes[k].dual]
        group = None
        if self.point_symmetry:
            all_gens, order = affine_generators(rows.U)
            if 1 < order <= 50_000:
                group = generated_group(all_gens)
        quads = (
            list(summable_quadruples(rows.U, ctx.budget))
            if self.summable and len(rows.U) <= 300
            else []
        )
        summable = summable_clauses(quads, len(rows.U), w)
        ctx.info.update(
            output_classes=len(classes),
            classes_solved=0,
            lex_generators=len(keep) if self.lex else 0,
            label_flip=flip is not None,
            summable_cuts=len(quads),  # quadruples; each gives 2 clauses per unit
        )
        records = []
        for k in todo:
            ctx.budget.check()
            found, record = self._solve_class(
                ctx, k, classes[k], rows, label, summable, keep, group
            )
            ctx.info["classes_solved"] += 1
            records.append(record)
            if found is not None:
                ctx.info["output_class"] = {
                    "weights": list(classes[k].weights),
                    "threshold": classes[k].threshold,
                }
                ctx.record(TargetSetting([found[rows.inv]]), output_targets=y[rows.inv])
                return Status.OPTIMAL, (
                    f"zero training errors (output class {k} of {len(classes)}: weights "
                    f"{list(classes[k].weights)}, threshold {classes[k].threshold})"
                )
        if self.proof is not None:
            self._write_proof(ctx, classes, records, first, flip)
        skipped = len(classes) - len(todo)
        return Status.INFEASIBLE, (
            f"proved: no network with hidden widths {tuple(ev.hidden)} fits the data "
            f"({len(todo)} output classes unsatisfiable"
            + (f", {skipped} more by duality" if skipped else "")
            + ")"
        )

    def _solve_class(self, ctx, k, g, rows, label, summable, keep, group):
        """One class's lazy SAT + LP loop: (hidden targets, record) or (None, record)."""
        u, w = len(rows.U), len(g.weights)
        values = set(g.table)
        stuck = [r for r in range(u) if int(label[r]) not in values]
        if stuck:  # a constant output and a row with the other label: nothing to solve
            return None, {"index": k, "seconds": 0.0, "constant": int(stuck[0])}
        model = _ClassModel(u, w, self.solver, self.proof is not None)
        t0 = time.perf_counter()
        try:
            fam = {"output": [0, 0]}
            for r in range(u):
                for c in output_clauses(g, bool(label[r])):
                    model.add([int(np.sign(v)) * int(model.H[r, abs(v) - 1]) for v in c])
            fam["output"][1] = model.n
            fam["summable"] = [model.n, 0]
            for clause in summable:
                model.add(clause)
            fam["summable"][1] = model.n
            lex = []
            if self.lex:
                perms = [(p, np.arange(w)) for p in keep]
                perms += [(np.arange(u), q) for q in unit_symmetries(g)]
                for p, q in perms:
                    start = model.n
                    model.lex(p, q)
                    lex.append(
                        {
                            "rows": p.tolist(),
                            "units": q.tolist(),
                            "clauses": [start, model.n],
                        }
                    )
            certs: list[dict] = []
            seen: set = set()
            inputs = rows.U.astype(np.float64)
            while True:
                ctx.info["rounds"] += 1
                ok = sat_solve(model.sat, self.solver, remaining(ctx), budget=ctx.budget)
                if ok is None:
                    ctx.budget.check()
                    raise BudgetExhausted("the SAT solver stopped at the time limit")
                if not ok:
                    break
                on = np.array(model.sat.get_model()[: u * w]) > 0
                T = np.where(on.reshape(u, w), 1, -1).astype(np.int8)
                bad = 0
                for j in range(w):
                    ctx.budget.check()
                    ctx.info["lp_checks"] += 1
                    res = solve_unit(inputs, T[:, j].astype(np.float64), "lp", max_margin=False)
                    if res.separable is None:
                        raise HardTargetError(
                            "the LP unit solver gave no verdict; rescale the inputs"
                        )
                    if res.separable:
                        continue
                    bad += 1
                    lam = np.asarray(res.certificate)  # the LP's Farkas multipliers
                    S = np.flatnonzero(lam > 0)
                    images = [np.arange(u)] if group is None else group
                    for img in images:
                        rS, tS = img[S], T[S, j]
                        o = np.argsort(rS)
                        key = (tuple(rS[o].tolist()), tuple((tS[o] * tS[o[0]]).tolist()))
                        if key in seen:  # a pattern or its negation on the same rows
                            continue
                        seen.add(key)
                        start = model.n
                        model.forbid(rS, tS)
                        certs.append(
                            {
                                "layer": 1,
                                "unit": None,
                                "rows": rS.tolist(),
                                "inputs": rows.U[rS].tolist(),
                                "targets": tS.tolist(),
                                "lambda": lam[S].tolist(),
                                "clauses": [start, model.n],
                            }
                        )
                        ctx.info["cuts"] += 2 * w
                if not bad:
                    return T, None
            record = {
                "index": k,
                "seconds": round(time.perf_counter() - t0, 3),
                **fam,
                "lex": lex,
                "certificates": certs,
            }
            if self.proof is not None:
                record["cnf"] = model.dimacs()
                record["drat"] = "".join(line + "\n" for line in model.sat.get_proof() or [])
            ctx.info["certificates"].extend(certs)
            return None, record
        finally:
            model.sat.delete()

    def _write_proof(self, ctx, classes, records, first, flip) -> None:
        """The classes, the variable map, certificates and spans, and per solved class its
        CNF and DRAT refutation, as one file set."""
        path = str(self.proof)
        files = []
        doc_classes = []
        for rec in records:
            k = rec["index"]
            if "constant" in rec:
                doc_classes.append(rec)
                continue
            files += [(f"{path}.{k}.cnf", rec.pop("cnf")), (f"{path}.{k}.drat", rec.pop("drat"))]
            rec["certificates"] = [_exact(c) for c in rec["certificates"]]
            doc_classes.append(rec)
        u, w = len(first), len(classes[0].weights)
        doc = {
            "strategy": self.name,
            "width": w,
            "rows": first.tolist(),
            "variables": np.arange(1, u * w + 1).reshape(u, w).tolist(),
            "classes": [
                {
                    "weights": list(c.weights),
                    "threshold": c.threshold,
                    "table": list(c.table),
                    "dual": c.dual,
                }
                for c in classes
            ],
            "label_flip": None if flip is None else flip.tolist(),
            "solved": doc_classes,
        }
        write_file_set([(path + ".json", json.dumps(doc)), *files])
        ctx.info["proof_file"] = path + ".json"
