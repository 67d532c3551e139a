"""Strategy ``sat-lp``: SAT proposes targets, the exact LP checks units, certificates cut.

A Boolean model holds only targets (see :mod:`.proposers`).  Each round it proposes
targets; every unit is checked by the exact LP unit solver (inputs ``T_{d-1}``,
``T_0 = X``).  A non-separable unit comes with a Farkas certificate ``lambda >= 0``,
``sum_i lambda_i t_i [a_i, 1] = 0`` on a support ``S``: any unit whose inputs on ``S``
are these ``a_i`` and whose targets on ``S`` are ``t_S`` (or ``-t_S``) is non-separable
too.  That becomes a clause: for a first-layer unit it forbids the pattern ``t_S``
(and ``-t_S``) for every unit of the layer; deeper, it forbids the combination of the
previous layer's codes on ``S`` with the pattern (for the output unit: hidden codes
with output labels).  The loop ends with targets whose units are all separable (real
weights, no bound) or with the model unsatisfiable: a proof, since every clause is
implied by a certificate.

Two levers cut the rounds.  ``point_symmetry``: a signed coordinate permutation ``g``
with ``g(X) = X`` maps the rows ``S`` of a first-layer certificate to rows ``p[S]``
whose points are ``g(x_i)``; ``lambda`` certifies those as well (``g`` is linear:
``sum_i lambda_i t_i [g(x_i), 1] = 0``), so the whole orbit of each first-layer cut is
added at once (labels play no part).  ``separate``: rows whose output targets differ get
different codes in every hidden layer (an implied constraint, see :func:`.separate`).
With a search objective (``margin``, ``sparsity``) a fit's hidden targets are forbidden
by one more clause (not a cut: no certificate behind it) and the loop goes on with zero
errors required, until no fit is left or ``OBJECTIVE_FITS`` were examined; the best is
returned (no DRAT proof is written then: the blocking clauses are not implied).
``summable``: four distinct rows with ``x_a + x_b = x_c + x_d`` cannot be labelled
``+ + - -`` by one unit (``lambda = 1`` on each: a Farkas certificate), so those cuts
are added before the first round (small inputs only; exact sums).  ``orbits``: the
first hidden unit's column is one of the orbit minima of the columns a unit can have
under the point symmetries of the labelled data (see :mod:`.orbits`): parity-5 with 4
hidden units is refuted in a fraction of a second instead of tens of seconds.
"""

from __future__ import annotations

import contextlib
import itertools
import json
from dataclasses import dataclass, field

import numpy as np

from ..._io import write_file_set
from ...errors import HardTargetError
from ...status import REAL_WEIGHTS, Status
from ...targets import TargetSetting
from ...units import check_certificate, exact_certificate, solve_unit
from ..base import BudgetExhausted, SearchContext, Strategy
from ..first_pass import first_fit
from ..params import Param
from ..scale import SAT_CELL_BYTES, Footprint, distinct_count, local_footprint
from ..symmetry import point_symmetries, symmetry_generators
from ._common import distinct_problem
from .orbits import add_orbit_clauses, first_layer_orbits
from .output_classes import MAX_OUTPUT_WIDTH
from .proposers import PROPOSERS, separate
from .strategy import SOLVERS, remaining

__all__ = ["SatLP"]

_UNCHECKED = object()


def _exact(entry: dict) -> dict:
    """A certificate entry with ``lambda`` as exact rationals (texts such as ``"1/3"``) that
    pass :func:`hardtarget.check_certificate` on its ``inputs`` and ``targets``; the LP's
    float ``lambda`` only shows that one exists on its support."""
    lam = exact_certificate(np.array(entry["inputs"]), entry["targets"], entry["lambda"])
    if lam is None:  # every certificate was checked exactly when it was found
        raise HardTargetError(f"a certificate of layer {entry['layer']} does not check exactly")
    return {**entry, "lambda": [str(v) for v in lam]}


@dataclass
class Cuts:
    """A run's cut state (``sat-lp`` and ``repair``): each distinct row's first sample
    (``first``), the distinct rows (``U``), the point-symmetry group of the inputs
    (``group``, permutations of the rows; None when not used) and the first-layer cut
    patterns already added (``seen``)."""

    first: np.ndarray
    U: np.ndarray
    group: np.ndarray | None = None
    seen: set = field(default_factory=set)


class SatLP(Strategy):
    """Lazy SAT + LP search over hidden targets (real weights, exact answers).

    Parameters
    ----------
    objective : ``errors`` (fewest training errors; default) or ``feasibility``.
    backend : ``pysat`` (incremental CaDiCaL; default) or ``cpsat`` (CP-SAT re-solved
        each round).
    symmetry : fix hidden units' first target to -1 and order the units (sound for
        real weights).
    workers : CP-SAT workers; 1 (default) is deterministic for a given seed.
    solver : PySAT solver (``glucose4`` default; ``cadical195`` cannot be interrupted).
    max_rounds : give up (status ``time_limit``) after this many proposals.
    point_symmetry : add every image of a first-layer cut under the point symmetries of
        the inputs (groups of up to 50,000 elements).
    separate : rows with different output targets get different hidden codes (clauses
        added up front while row pairs x hidden units are at most 50,000).
    summable : add the cuts of every ``x_a + x_b = x_c + x_d`` among the distinct inputs
        up front (up to 300 distinct rows and 100,000 clauses).
    orbits : the first hidden unit's targets are one of the orbit minima of a unit's
        target columns under the point symmetries of the labelled data (integer inputs,
        up to 32 distinct rows; not with ``backend="cpsat"``'s count order of the units
        or a search objective); ``info["orbit_representatives"]`` says how many (0: not
        used).
    proof : a path (``pysat`` backend): when the model ends unsatisfiable, its clauses go
        to ``proof + ".cnf"`` (DIMACS), the SAT solver's DRAT refutation of them to
        ``proof`` and every certificate behind a cut to ``proof + ".json"``, each with
        ``clauses``, the span ``[start, end)`` of the CNF's clauses it justifies, and
        ``variables``: the SAT variable of each (distinct row, hidden unit) target
        (``hidden``), of each output target (``output``, None when fixed) and the sample
        index of each distinct row (``rows``).
    first_pass : first look for a fit with :mod:`..first_pass` (a short CP-SAT run, then
        short continuous relaxations, each answer evaluated exactly); a fit ends the
        search (``info["found_by"]``), else the lazy search runs as without it.

    ``info["certificates"]`` lists every certificate used as a cut: layer, unit (None for
    the ``summable`` ones, found before any unit), ``rows`` (a sample index per support
    point), ``inputs`` (the unit's inputs there), ``targets`` and ``lambda`` — each passes
    :func:`hardtarget.check_certificate_support` alone, and in the ``proof + ".json"``
    file ``lambda`` is exact (rationals as texts, ``"1/3"``) and passes
    :func:`hardtarget.check_certificate`; ``info["symmetric_certificates"]`` the
    same for every image of a first-layer cut.  A cut forbids its targets (and their
    negation) on its rows for every unit of its layer.
    seed : int or None, default=None
        Seed of the strategy's random choices (``solve(seed=...)`` sets it).
    """

    name = "sat-lp"
    exact = True
    proof_scope = REAL_WEIGHTS
    params = {
        "objective": Param(
            "str", "fewest training errors or zero errors", choices=("errors", "feasibility")
        ),
        "backend": Param("str", "target proposer", choices=tuple(PROPOSERS)),
        "symmetry": Param("bool", "fix hidden units' first target and order the units"),
        "workers": Param("int", "CP-SAT workers (1: deterministic)", low=1),
        "solver": Param("str", "PySAT SAT solver (--solver is the unit solver)", choices=SOLVERS),
        "max_rounds": Param("int", "give up after this many proposals", low=1),
        "point_symmetry": Param("bool", "add the images of first-layer cuts under symmetries"),
        "separate": Param("bool", "rows with different outputs get different hidden codes"),
        "summable": Param("bool", "add the cuts of x_a + x_b = x_c + x_d up front"),
        "orbits": Param("bool", "the first hidden unit's targets: an orbit minimum"),
        "proof": Param("str", "write the CNF, a DRAT proof and the certificates here", none=True),
        "first_pass": Param("bool", "look for a fit before the lazy search"),
    }

    def __init__(
        self,
        seed: int = 0,
        objective: str = "errors",
        backend: str = "pysat",
        symmetry: bool = True,
        workers: int = 1,
        solver: str = "glucose4",
        max_rounds: int = 1_000_000,
        point_symmetry: bool = True,
        separate: bool = True,
        summable: bool = True,
        proof: str | None = None,
        first_pass: bool = True,
        orbits: bool = True,
    ):
        self.seed = seed
        self.objective = objective
        self.backend = backend
        self.symmetry = symmetry
        self.workers = workers
        self.solver = solver
        self.max_rounds = max_rounds
        self.point_symmetry = point_symmetry
        self.separate = separate
        self.summable = summable
        self.proof = proof
        self.first_pass = first_pass
        self.orbits = orbits

    def footprint(self, evaluator) -> Footprint:
        """:meth:`Strategy.footprint` plus a SAT variable per distinct row and hidden unit.

        Parameters
        ----------
        evaluator : Evaluator
            The run's problem and hidden widths.

        Returns
        -------
        Footprint
        """
        u = distinct_count(evaluator.problem.X)
        cells = u * sum(evaluator.hidden)
        local = local_footprint(evaluator)
        return Footprint(
            local.bytes + SAT_CELL_BYTES * cells,
            f"{cells:,} SAT variables, one per distinct row and hidden unit",
            variables=cells + u,
        )

    def check(self, evaluator) -> None:
        if evaluator.loss != "errors":
            raise HardTargetError(
                "the sat-lp strategy minimizes training errors; use loss='errors'"
            )
        if self.proof is not None and evaluator.objective != "errors":
            raise HardTargetError(
                "sat-lp writes no DRAT proof with a search objective (margin, sparsity): "
                "its clauses that block the fits found are not implied; drop proof= or "
                "the objective"
            )
        if self.proof is not None and self.backend != "pysat":
            raise HardTargetError(
                "sat-lp writes DRAT proofs with backend='pysat' only; drop proof= or the backend"
            )

    @staticmethod
    def _cut(prop, d: int, S: np.ndarray, codes: np.ndarray | None, t_S: np.ndarray) -> int:
        """Clauses forbidding ``t_S`` and ``-t_S`` on ``S`` for every unit of layer ``d``."""
        H = prop.H
        layer = H[d] if d < len(H) else prop.y.reshape(-1, 1)
        base = []
        if d > 0:  # the previous layer's codes on S must differ somewhere
            if codes is None:
                raise RuntimeError("a cut past the first layer needs that layer's input codes")
            base = [
                (H[d - 1][i, k], bool(codes[a, k] > 0))
                for a, i in enumerate(S)
                for k in range(H[d - 1].shape[1])
            ]
        added = 0
        for sgn in (1, -1):
            for j in range(layer.shape[1]):
                pairs = list(base)
                done = False
                for a, i in enumerate(S):
                    v, val = layer[i, j], bool(sgn * t_S[a] > 0)
                    if isinstance(v, (bool, np.bool_)):  # a constant output label
                        if bool(v) != val:
                            done = True  # this sign can never occur
                            break
                        continue
                    pairs.append((v, val))
                if not done:
                    prop.forbid(pairs)
                    added += 1
        return added

    @staticmethod
    def _check(ctx, prop, rows, T, y, memo, cuts: Cuts) -> int:
        """LP-check every unit of a proposal; add a cut per non-separable unit; return how many."""
        act = ctx.evaluator.activation
        bad = 0
        inputs = rows.U.astype(np.float64)
        for d, targets in enumerate(T + [y.reshape(-1, 1)]):
            codes = None if d == 0 else T[d - 1]
            for j in range(targets.shape[1]):
                t = np.ascontiguousarray(targets[:, j])
                key = (d, None if codes is None else codes.tobytes(), t.tobytes())
                cert = memo.get(key, _UNCHECKED)
                if cert is _UNCHECKED:
                    ctx.budget.check()
                    ctx.info["lp_checks"] += 1
                    r = solve_unit(inputs, t, "lp", max_margin=False)
                    if r.separable is None:
                        raise HardTargetError(
                            "the LP unit solver gave no verdict (numerical trouble); "
                            "rescale the inputs"
                        )
                    cert = None if r.separable else r.certificate
                    memo[key] = cert
                if cert is None:
                    continue
                bad += 1
                S = np.flatnonzero(cert > 0)
                ctx.info["certificates"].append(
                    {
                        "layer": d + 1,
                        "unit": j,
                        "rows": cuts.first[S].tolist(),
                        "inputs": inputs[S].tolist(),
                        "targets": t[S].tolist(),
                        "lambda": cert[S].tolist(),
                    }
                )
                start = _clauses(prop)
                _span(prop, ctx.info["certificates"][-1], start)  # none new: an image's
                if d == 0 and cuts.group is not None:
                    ctx.info["cuts"] += SatLP._orbit_cuts(ctx, prop, cuts, S, t[S], cert[S])
                else:
                    ctx.info["cuts"] += SatLP._cut(
                        prop, d, S, None if codes is None else codes[S], t[S]
                    )
                    _span(prop, ctx.info["certificates"][-1], start)
            inputs = act.from_targets(targets)
        return bad

    @staticmethod
    def _orbit_cuts(ctx, prop, cuts: Cuts, S: np.ndarray, t_S: np.ndarray, lam: np.ndarray) -> int:
        """The first-layer cut (S, t_S) and its images (p[S], t_S), each pattern once; each
        image's certificate (the same ``lambda``) goes to ``info["symmetric_certificates"]``."""
        if cuts.group is None:  # (asked only when the group is known)
            return 0
        imgs = cuts.group[:, S]
        order = np.argsort(imgs, axis=1, kind="stable")
        rows = np.take_along_axis(imgs, order, axis=1)
        vals = t_S[order] * t_S[order[:, :1]]  # up to negation: +1 on the first row
        _, first = np.unique(np.column_stack([rows, vals]), axis=0, return_index=True)
        added = 0
        for n, g in enumerate(np.sort(first)):
            if n % 1000 == 999:
                ctx.budget.check()
            key = np.concatenate([rows[g], vals[g]]).tobytes()
            if key in cuts.seen:
                continue
            cuts.seen.add(key)
            img = imgs[g]
            entry = ctx.info["certificates"][-1]  # the identity's: the LP's own certificate
            if g:
                ctx.info["symmetric_cuts"] += 1
                ctx.info["symmetric_certificates"].append(
                    {
                        "layer": 1,
                        "unit": None,
                        "rows": cuts.first[img].tolist(),
                        "inputs": cuts.U[img].tolist(),
                        "targets": t_S.tolist(),
                        "lambda": lam.tolist(),
                    }
                )
                entry = ctx.info["symmetric_certificates"][-1]
            start = _clauses(prop)
            added += SatLP._cut(prop, 0, img, None, t_S)
            _span(prop, entry, start)
        return added

    def _summable(self, ctx, prop, cuts: Cuts, max_rows=300, max_clauses=100_000) -> int:
        """Cuts for the quadruples ``x_a + x_b = x_c + x_d`` (targets ``+ + - -``), each
        with its certificate (``lambda = 1/4`` each, checked exactly); at most
        ``max_clauses`` clauses (two per first-layer unit and quadruple)."""
        if len(cuts.U) > max_rows:
            return 0
        max_cuts = max_clauses // (2 * prop.H[0].shape[1])
        added = 0
        for S in summable_quadruples(cuts.U, ctx.budget):
            if ctx.info["summable_cuts"] >= max_cuts:
                return added
            ctx.info["summable_cuts"] += 1
            ctx.info["certificates"].append(
                {
                    "layer": 1,
                    "unit": None,
                    "rows": cuts.first[S].tolist(),
                    "inputs": cuts.U[S].tolist(),
                    "targets": SUMMABLE_TARGETS.tolist(),
                    "lambda": SUMMABLE_LAMBDA.tolist(),
                }
            )
            start = _clauses(prop)
            added += self._cut(prop, 0, S, None, SUMMABLE_TARGETS)
            _span(prop, ctx.info["certificates"][-1], start)
        return added

    def run(self, ctx: SearchContext):
        ev = ctx.evaluator
        p = ev.problem
        rows = distinct_problem(p.X, p.t)
        ctx.info.update(
            objective=self.objective,
            backend=self.backend,
            proof=REAL_WEIGHTS,
            rounds=0,
            cuts=0,
            lp_checks=0,
            certificates=[],
            symmetric_cuts=0,
            symmetric_certificates=[],
            orbit_representatives=0,
        )
        orbit_doc = None  # the orbit clauses' generators and span, for the proof file
        extra = {"solver": self.solver, "proof": self.proof is not None}
        extra = extra if self.backend == "pysat" else {}
        prop = PROPOSERS[self.backend](
            rows,
            ev.hidden,
            self.objective,
            self.symmetry,
            self.seed,
            self.workers,
            budget=ctx.budget,  # building the model on many rows takes seconds
            **extra,
        )
        try:  # the proposer is built first: its solver must be installed
            fit = first_fit(ctx) if self.first_pass else None
            if fit:
                ctx.info["found_by"] = fit
                if not ctx.prefers:  # a search objective goes on to the other fits
                    return Status.OPTIMAL, f"zero training errors ({fit})"
            memo: dict = {}
            cuts = Cuts(np.unique(rows.inv, return_index=True)[1], rows.U)
            if self.point_symmetry and ev.hidden:
                order = symmetry_generators(rows.U)[1]
                ctx.info["symmetry_group_order"] = order
                if 1 < order <= 50_000:
                    cuts.group = point_symmetries(rows.U, limit=50_000)
            # (a search objective compares fits, so it gets every orbit's members)
            if self.orbits and ev.hidden and not ctx.prefers and prop.unit_order != "count":
                orbit_doc = self._orbits(ctx, prop, rows)
            if self.separate and ev.hidden:
                ctx.info["separated_pairs"] = separate(prop, rows)
            ctx.info["summable_cuts"] = 0
            if self.summable and ev.hidden:
                ctx.info["cuts"] += self._summable(ctx, prop, cuts)
            with _suggest_output_split(ctx):
                return self._rounds(ctx, prop, rows, memo, cuts, orbit_doc)
        finally:
            if hasattr(prop, "close"):
                prop.close()

    def _rounds(self, ctx: SearchContext, prop, rows, memo, cuts, orbit_doc):
        """Propose, check and cut until a verdict (the loop of :meth:`run`)."""
        found = None  # errors of the best proposal that checked out
        found_before = False  # a fit was blocked (a search objective wants more)
        while True:
            ctx.budget.check()
            if ctx.info["rounds"] >= self.max_rounds:
                raise BudgetExhausted(f"max_rounds={self.max_rounds} proposals reached")
            ctx.info["rounds"] += 1
            res = prop.propose(remaining(ctx), budget=ctx.budget)
            if res.status is Status.UNKNOWN:
                ctx.budget.check()  # a signal stopped it: interrupted
                raise BudgetExhausted("the SAT solver stopped at the time limit")
            if res.status is Status.INFEASIBLE:
                if self.proof is not None:
                    self._write_proof(ctx, prop, cuts.first, self.proof, orbit_doc)
                return self._verdict(ctx, found)
            if self._check(ctx, prop, rows, res.hidden, res.y, memo, cuts):
                continue
            y = res.y[rows.inv].reshape(-1, 1)
            state = ctx.record(TargetSetting([Td[rows.inv] for Td in res.hidden]), output_targets=y)
            found = state.errors if found is None else min(found, state.errors)
            if ctx.want_more(state):  # a search objective: block this fit, go on
                self._block(prop, res.hidden, found_before)
                found_before = True
                continue
            if found == 0 or res.optimal:
                return self._verdict(ctx, found)
            prop.tighten(found)

    def _orbits(self, ctx: SearchContext, prop, rows) -> dict | None:
        """Add the orbit clauses of the first hidden unit (when the data has symmetries);
        their generators, representatives and clause span (None when not added)."""
        p = ctx.evaluator.problem
        orbits = first_layer_orbits(p.X, p.t, rows)
        ctx.budget.check()
        if orbits is None:
            return None
        start = _clauses(prop)
        add_orbit_clauses(prop, orbits)
        ctx.info["orbit_representatives"] = len(orbits.representatives)
        ctx.info["orbit_group_order"] = orbits.order
        doc = {
            "generators": [
                {"perm": pi, "signs": s, "offsets": c} for pi, s, c in orbits.generators
            ],
            "representatives": orbits.representatives.astype(int).tolist(),
        }
        _span(prop, doc, start)
        return doc

    @staticmethod
    def _block(prop, hidden: list, bounded: bool) -> None:
        """Forbid the hidden targets of a fit (on distinct rows); from the first fit on,
        only zero-error proposals (the error bound falls to zero)."""
        prop.forbid(
            [
                (Hd[i, j], bool(T[i, j] > 0))
                for Hd, T in zip(prop.H, hidden)
                for i, j in np.ndindex(T.shape)
            ]
        )
        if not bounded and prop.y.dtype != bool:
            prop.tighten(1)

    def _write_proof(
        self, ctx: SearchContext, prop, first: np.ndarray, path: str, orbit_doc: dict | None
    ) -> None:
        """The formula, its DRAT refutation and the certificates behind its cuts, to files
        (``path`` and beside it)."""
        files, ctx.info["proof_lines"] = prop.proof_files(path)
        ctx.info["proof_file"] = path
        doc = {
            "variables": {
                "hidden": [Hd.astype(np.int64).tolist() for Hd in prop.H],
                "output": None if prop.y.dtype == bool else prop.y.astype(int).tolist(),
                "rows": first.tolist(),
            },
            "orbits": orbit_doc,
            "certificates": [_exact(c) for c in ctx.info["certificates"]],
            "symmetric_certificates": [_exact(c) for c in ctx.info["symmetric_certificates"]],
        }
        # DRAT, CNF and certificates as one set: all from this run or all from the last
        write_file_set([*files, (path + ".json", json.dumps(doc))])

    def _verdict(self, ctx: SearchContext, found: int | None) -> tuple[str, str]:
        n = len(ctx.info["certificates"])
        tail = f"{n} certificates, {ctx.info['rounds']} rounds"
        if ctx.prefers and found == 0:
            tail += f"; {ctx.fits_note()}"
        if found == 0:
            return Status.OPTIMAL, f"zero training errors ({tail})"
        hidden = ctx.evaluator.hidden
        if found is None:
            return (
                Status.INFEASIBLE,
                f"proved: no network with hidden widths {hidden} fits the data ({tail})",
            )
        return (
            Status.INFEASIBLE,
            f"proved: the minimum is {found} training error(s) with hidden widths {hidden} "
            f"({tail})",
        )


SUMMABLE_TARGETS = np.array([1, 1, -1, -1])
SUMMABLE_LAMBDA = np.full(4, 0.25)


def summable_quadruples(U: np.ndarray, budget=None):
    """Rows ``S = (a, b, c, d)`` of ``U`` with ``x_a + x_b = x_c + x_d`` exactly: no unit
    gives them targets ``+ + - -`` (``SUMMABLE_LAMBDA``, checked exactly, is a Farkas
    certificate).  Pairs are grouped by their sum; ``budget`` is checked per group."""
    a, b = np.triu_indices(len(U), 1)
    _, grp = np.unique(U[a] + U[b], axis=0, return_inverse=True)
    grp = grp.ravel()
    order = np.argsort(grp, kind="stable")
    bounds = np.flatnonzero(np.diff(grp[order])) + 1
    for members in np.split(order, bounds):
        for i, j in itertools.combinations(members, 2):
            S = np.array([a[i], b[i], a[j], b[j]])
            if check_certificate(U[S], SUMMABLE_TARGETS, SUMMABLE_LAMBDA):  # not float look-alikes
                yield S
        if budget is not None:
            budget.check()


def _clauses(prop) -> int:
    """Clauses the proposer has recorded so far (0 when it records none)."""
    return len(prop.clauses) if getattr(prop, "clauses", None) is not None else 0


def _span(prop, entry: dict, start: int) -> None:
    """Note in a certificate which recorded clauses it justifies."""
    if getattr(prop, "clauses", None) is not None:
        entry["clauses"] = [start, len(prop.clauses)]


@contextlib.contextmanager
def _suggest_output_split(ctx: SearchContext):
    """A stop without a verdict on a problem that ``output-split`` accepts (its own
    :meth:`~.output_split.OutputSplit.check`) says that strategy decides it."""
    try:
        yield
    except BudgetExhausted as exc:
        from .output_split import OutputSplit  # (it imports this module)

        try:
            OutputSplit().check(ctx.evaluator)
        except HardTargetError:
            raise exc from None
        raise BudgetExhausted(
            f"{exc}; strategy 'output-split' decides one hidden layer of up to "
            f"{MAX_OUTPUT_WIDTH} units by cases on the output unit (zero errors or a proof)"
        ) from exc
