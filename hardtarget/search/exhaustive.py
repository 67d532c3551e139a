"""Exhaustive search over hidden targets (paper, Proposition 2), made smart.

* A hidden unit can only output a linearly separable dichotomy of its layer's
  distinct inputs, so only those are enumerated (by a walk of the hyperplane
  arrangement, see :mod:`.dichotomies`), never all ``2^m`` labelings.
* Hidden units are interchangeable and a unit negated together with its outgoing
  weights computes the same function: one labeling per ``{D, -D}`` pair, units in
  increasing order, constant units left out.
* For the last hidden layer's codes, the output unit's least possible error is
  ``sum over codes of min(#positive, #negative)``: states whose bound cannot beat the
  best so far are pruned.  Otherwise the exact minimum-error output labeling is found
  among the separable dichotomies of the distinct codes.
* Zero errors first: every hidden layer must give a positive and a negative sample
  different codes, so the units of a layer must *cover* all such pairs.  With the
  pairs as bitsets a depth-first search prunes a partial layer when its remaining
  units cannot cover what is left (a unit is kept only if it and ``s - 1`` of the widest
  remaining units could cover the pairs left), and, in the first layer, when the pairs
  some *face* of the data has left cannot be covered by the remaining units' classes on
  that face (:mod:`.face_bounds`, exact for up to two units).  The last two units are
  checked as pairs at once.  On parity the pairs include every edge of the cube (an
  edge joins points of different parity): 4 units cannot cut all 80 edges of the
  5-cube, and this pass proves it (parity:5 width 4: about a minute).  If no
  zero-error network exists, the search for the minimum stops as soon as it meets a
  one-error network; past ``max_size`` (when the pass alone could decide a single
  hidden layer, see ``Exhaustive.check``) or at the time limit it ends ``infeasible``
  without the least error count.
* Symmetries of the data (:mod:`.symmetry`: signed coordinate permutations ``g`` with
  ``g(X) = X`` and ``y∘g = ±y``) map zero-error networks to zero-error networks, and
  first-layer units (candidates in a fixed order, one per ``{D, -D}``) to units.  Take
  a solution's units ``S`` and the ``g`` whose image ``g(S)`` has the smallest first
  unit ``c``; ``c`` is then the first of its orbit (``h(c)`` is in ``hg(S)``, whose
  first unit is not before ``c``), and ``g(S)`` is a solution.  So the first unit of
  the first layer ranges only over orbit minima (62 of parity:5's 47,285 candidates).
  Among those ``g``, take one whose image has the smallest second unit ``c2``: every
  ``h`` that fixes ``c`` maps the other units past ``c`` (else ``hg(S)`` would start
  before ``c``), so ``h(c2) >= c2``, and the second unit ranges only over the first of
  their orbits under the stabilizer of ``c`` (``STABILIZER_ELEMENTS`` of its elements at
  most: a subgroup's orbits are finer, which is still sound); the others over every
  later candidate.

When it finishes, the result is ``optimal`` (zero errors) or ``infeasible`` with the
proven minimum number of training errors.  With a search objective (``margin``,
``sparsity``) the search goes on after a fit, through every zero-error setting (up to
the symmetries above) or ``OBJECTIVE_FITS`` of them, and returns the best.
"""

from __future__ import annotations

import itertools
import logging
import math

import numpy as np

from ..budget import BudgetExhausted
from ..errors import HardTargetError
from ..status import REAL_WEIGHTS, Status
from ..targets import TargetSetting, digest
from ..units import solve_unit
from .base import SearchContext, Strategy
from .dichotomies import cover_count, distinct_rows, separable_dichotomies
from .face_bounds import FaceBounds
from .first_pass import first_fit
from .params import Param
from .symmetry import orbit_minima, point_symmetries, symmetry_generators

__all__ = ["Exhaustive"]

log = logging.getLogger("hardtarget.search")

_MAX_PAIRS = 100_000  # more (positive, negative) pairs than this: no bitset cover search
_MAX_BITS = 50_000_000  # candidate units x pairs above this: no bitset cover search either
_CHECK_BITS = 200_000_000  # Cover's bound on the units x pairs up to this: see _zero_pass_fits
FIRST_PASS_SIZE = 100_000  # estimated states up to this: the enumeration alone is quick
STABILIZER_ELEMENTS = 64  # elements of a first unit's stabilizer used for the second unit
_MAX_GROUP = 100_000  # larger symmetry groups: the second unit is not restricted


class _TooBig(Exception):
    """The bitsets of a layer would not fit: skip the zero-error pass."""


def _pair_masks(C: np.ndarray, pa: np.ndarray, pb: np.ndarray) -> np.ndarray:
    """Bitsets (rows of uint64 words): bit (i, j) of row c is set when column ``C[c]``
    separates sample ``pa[i]`` from sample ``pb[j]``."""
    diff = (C[:, pa][:, :, None] != C[:, pb][:, None, :]).reshape(len(C), -1)
    bits = np.packbits(diff, axis=1, bitorder="little")
    bits = np.pad(bits, ((0, 0), (0, -bits.shape[1] % 8)))
    return np.ascontiguousarray(bits).view(np.uint64)


def _popcount(M: np.ndarray) -> np.ndarray:
    """Set bits per row (or in a single row)."""
    return np.bitwise_count(M).sum(axis=-1, dtype=np.int64)


class Exhaustive(Strategy):
    """Exact search over all realizable hidden target settings.

    Parameters
    ----------
    dichotomies : enumerate separable dichotomies by the arrangement walk (True) or by
        testing all ``2^u`` labelings of the ``u`` distinct inputs (False).
    symmetry : break unit permutation and negation symmetry.
    prune : skip states whose output error bound cannot beat the best so far.
    max_size : refuse to start when the estimated number of states exceeds this.
    minimize : when no network has zero errors, go on to prove the least number of errors
        (False: stop as soon as zero is ruled out; ``loss`` is then the best found, if any).
    point_symmetry : in the zero-error pass, the first unit is one per orbit of the data's
        point symmetries (``info["symmetry_group_order"]``, ``info["first_unit_candidates"]``).
    first_pass : when the estimate exceeds ``FIRST_PASS_SIZE`` states, first look for a
        fit with :mod:`.first_pass` (a short CP-SAT run, then short continuous
        relaxations, each answer evaluated exactly); a fit ends the search
        (``info["found_by"]``), else the enumeration runs as without it.
    face_bounds : in the zero-error pass, prune a partial first layer when the pairs some
        face of the data has left cannot be covered by the units still to choose
        (:mod:`.face_bounds`; ``info["faces"]``, ``info["face_pruned"]``).
    seed : int or None, default=None
        Seed of the strategy's random choices (``solve(seed=...)`` sets it).
    """

    name = "exhaustive"
    exact = True
    proof_scope = REAL_WEIGHTS
    params = {
        "dichotomies": Param("bool", "enumerate separable dichotomies by arrangement walk"),
        "symmetry": Param("bool", "break unit permutation and negation symmetry"),
        "point_symmetry": Param("bool", "first unit: one per orbit of the data's symmetries"),
        "prune": Param("bool", "skip states whose error bound cannot beat the best"),
        "max_size": Param("float", "refuse when the estimated states exceed this", low=1),
        "minimize": Param("bool", "prove the least error count when zero is impossible"),
        "first_pass": Param("bool", "look for a fit before the enumeration"),
        "face_bounds": Param("bool", "zero-error pass: prune by the faces' cover bounds"),
    }

    def __init__(
        self,
        seed: int = 0,
        dichotomies: bool = True,
        symmetry: bool = True,
        prune: bool = True,
        max_size: float = 1e12,
        minimize: bool = True,
        point_symmetry: bool = True,
        first_pass: bool = True,
        face_bounds: bool = True,
    ):
        self.seed = seed
        self.dichotomies = dichotomies
        self.symmetry = symmetry
        self.prune = prune
        self.max_size = max_size
        self.minimize = minimize
        self.point_symmetry = point_symmetry
        self.first_pass = first_pass
        self.face_bounds = face_bounds

    # -- size -----------------------------------------------------------------
    def estimate(self, m: int, n: int, hidden: tuple) -> int:
        """Upper bound on the number of states (Cover's count per layer), an exact integer.

        No hidden layer is one exact unit solve (1); proving the least error count of a
        non-separable problem then enumerates the output labelings (see ``run``).

        Parameters
        ----------
        m : int
            Distinct input rows.
        n : int
            Input features.
        hidden : tuple of int
            Hidden widths.

        Returns
        -------
        int
        """
        if not hidden:
            return 1
        size, u, d = 1, m, n
        for h in hidden:
            D = cover_count(u, d)
            k = D // 2 - 1 if self.symmetry else D
            size *= math.comb(max(k, 0), h) if self.symmetry else k**h
            u, d = min(m, 2**h), h
        return max(size, cover_count(u, d))  # or the output labelings, if more

    def check(self, evaluator) -> None:
        if evaluator.loss != "errors":
            raise HardTargetError("exhaustive search minimizes training errors; use loss='errors'")
        p = evaluator.problem
        if self._too_big(p, evaluator.hidden) and not self._zero_pass_fits(p, evaluator.hidden):
            raise self._refusal(p, evaluator.hidden)

    def _too_big(self, p, hidden: tuple) -> bool:
        """Does the plain enumeration's estimate exceed ``max_size``?"""
        # int against float compares exactly, at any size
        return self.estimate(p.n_samples, p.n_features, hidden) > self.max_size

    def _refusal(self, p, hidden: tuple) -> HardTargetError:
        size = self.estimate(p.n_samples, p.n_features, hidden)
        return HardTargetError(
            f"exhaustive search over hidden widths {hidden} on {p.n_samples} points "
            f"may visit up to {_magnitude(size)} states (limit max_size={self.max_size:.3g}); "
            "use strategy 'beam', 'hill', 'ftprop' or 'madaline', shrink the problem, "
            "or raise max_size"
        )

    def _zero_pass_fits(self, p, hidden: tuple) -> bool:
        """Can the zero-error pass alone decide whether one hidden layer fits: the pairs
        are few enough and Cover's bound on the candidate units times the pairs is within
        ``_CHECK_BITS`` (then the enumeration's size only limits the search for the least
        error count, see ``run``)."""
        if len(hidden) != 1 or not (self.prune and self.symmetry):
            return False
        U, inv = distinct_rows(p.X)
        pos = np.bincount(inv, weights=p.t > 0, minlength=len(U)) > 0
        neg = np.bincount(inv, weights=p.t < 0, minlength=len(U)) > 0
        pairs = int(pos.sum()) * int(neg.sum())
        if np.any(pos & neg) or pairs > _MAX_PAIRS:
            return False
        return cover_count(len(U), p.n_features) * pairs <= _CHECK_BITS

    def run(self, ctx: SearchContext):
        return _Search(self, ctx).run(ctx)


class _Search:
    """One run of :class:`Exhaustive`: the configuration ``cfg`` and the run's own state
    (the report ``info``, the memo of labelings and unit verdicts, the error floor)."""

    def __init__(self, cfg: Exhaustive, ctx: SearchContext):
        self.cfg = cfg
        self.info = ctx.info  # the engine's: the result's info
        self._memo: dict = {}
        self._group: np.ndarray | None = None  # the data's point symmetries (row permutations)
        self._faces: FaceBounds | None = None  # the first layer's face bounds
        self._budget = ctx.budget
        self._floor = 0  # a network with this many errors ends the search: none has fewer

    # -- enumeration ------------------------------------------------------------
    def _labelings(self, U: np.ndarray) -> np.ndarray:
        key = digest(U)
        if key not in self._memo:
            if self.cfg.dichotomies:
                D = separable_dichotomies(U, budget=self._budget)
            else:
                allp = np.array(list(itertools.product((-1, 1), repeat=len(U))), dtype=np.int8)
                keep = []
                for lab in allp:
                    self._budget.check()
                    if solve_unit(U, lab).separable:
                        keep.append(lab)
                D = np.array(keep, dtype=np.int8)
            self.info["separability_tests"] = self.info.get("separability_tests", 0) + (
                len(D) * len(U) if self.cfg.dichotomies else 2 ** len(U)
            )
            self._memo[key] = D
        return self._memo[key]

    def _unit_choices(self, H: np.ndarray) -> list[np.ndarray]:
        """Candidate target columns (length m) for a unit whose layer input is H."""
        U, inv = distinct_rows(H)
        D = self._labelings(U)
        if self.cfg.symmetry:
            D = D[(D[:, 0] == -1) & np.any(D == 1, axis=1)]  # one of each ±pair, no constants
        return [lab[inv] for lab in D]

    # -- zero errors: every layer covers every (positive, negative) pair ------------
    def _pairs(self, X: np.ndarray, t: np.ndarray) -> tuple | None:
        """(positive, negative) representative samples, or None when no zero-error network
        can exist (a repeated input with both labels) or the pairs are too many for bitsets."""
        U, inv = distinct_rows(X)
        pos = np.bincount(inv, weights=t > 0, minlength=len(U)) > 0
        neg = np.bincount(inv, weights=t < 0, minlength=len(U)) > 0
        if np.any(pos & neg) or pos.sum() * neg.sum() > _MAX_PAIRS:
            return None
        first = np.empty(len(U), dtype=np.intp)
        first[inv[::-1]] = np.arange(len(inv))[::-1]
        return first[pos], first[neg]

    def _cover_layer(
        self, ctx: SearchContext, d: int, layers: list, H: np.ndarray, pairs: tuple
    ) -> bool:
        """Zero-error search of hidden layer d (and the layers after it) given its input H."""
        width = ctx.evaluator.hidden[d]
        choices = self._unit_choices(H)
        if len(choices) < width:  # every useful unit fits; repeats add nothing
            pad = choices[:1] * (width - len(choices)) or [-np.ones(len(H), np.int8)] * width
            return self._cover_done(ctx, d, layers, np.stack(choices + pad, axis=1), pairs)
        if len(choices) * len(pairs[0]) * len(pairs[1]) > _MAX_BITS:
            raise _TooBig
        C = np.stack(choices)
        M = _pair_masks(C, *pairs)
        order = np.argsort(-_popcount(M), kind="stable")  # wide covers first
        C, M = C[order], M[order]
        lead = self._orbit_minima(ctx, C) if d == 0 else None
        if d == 0 and self.cfg.face_bounds and width > 1:
            self._faces = FaceBounds(H, pairs[0], pairs[1], C)
            self.info["faces"] = self._faces.n_faces
            self.info.setdefault("face_pruned", 0)
        every = _pair_masks(np.array([[1, -1]]), np.zeros_like(pairs[0]), np.ones_like(pairs[1]))[0]
        return self._cover_dfs(ctx, d, layers, C, M, every, [], 0, pairs, lead)

    def _orbit_minima(self, ctx: SearchContext, C: np.ndarray) -> np.ndarray | None:
        """Mask of the candidates (rows of C, in search order) that are the first of their
        orbit under the data's point symmetries; None when the group is trivial."""
        if not self.cfg.point_symmetry:
            return None
        p = ctx.evaluator.problem
        gens, order = symmetry_generators(p.X, p.t)
        self.info["symmetry_group_order"] = order
        if order == 1:
            return None
        lead = orbit_minima(C, gens[1:])
        if lead is None:
            log.warning("point symmetries: the candidate units are not closed; not used")
            return None
        self.info["first_unit_candidates"] = f"{int(lead.sum())} of {len(C)}"
        if order <= _MAX_GROUP:
            self._group = point_symmetries(p.X, p.t, limit=_MAX_GROUP)
        return lead

    def _stabilizer_minima(self, C: np.ndarray, c: int) -> np.ndarray | None:
        """Mask of the candidates that come first in their orbit under (at most
        ``STABILIZER_ELEMENTS`` elements of) the stabilizer of candidate ``c``; None when
        only the identity fixes it."""
        G = self._group
        if G is None:  # (asked only when the group is known)
            return None
        r = int(np.flatnonzero((C == -1).all(axis=0))[0])
        img = np.empty((len(G), C.shape[1]), dtype=C.dtype)
        img[np.arange(len(G))[:, None], G] = C[c]  # act(p, C[c]) for every element p
        img *= -img[:, r : r + 1]
        stab = G[(img == C[c]).all(axis=1)]
        if len(stab) <= 1:
            return None
        lead = orbit_minima(C, stab[1 : STABILIZER_ELEMENTS + 1])  # the identity is first
        self.info["stabilizer_pruned"] = self.info.get("stabilizer_pruned", 0) + (
            0 if lead is None else int(len(C) - c - 1 - lead[c + 1 :].sum())
        )
        return lead

    def _cover_dfs(
        self,
        ctx: SearchContext,
        d: int,
        layers: list,
        C: np.ndarray,
        M: np.ndarray,
        left: np.ndarray,
        chosen: list,
        start: int,
        pairs: tuple,
        lead: np.ndarray | None = None,
    ) -> bool:
        """Units ``chosen`` (increasing indices) leave the pairs ``left`` uncovered; the
        next unit is one where ``lead`` is True (any, when None)."""
        ctx.budget.check()
        self.info["cover_nodes"] = self.info.get("cover_nodes", 0) + 1
        s = ctx.evaluator.hidden[d] - len(chosen)
        if s == 0:
            return self._cover_done(ctx, d, layers, C[chosen].T, pairs)
        cands = np.arange(start, len(C))
        if left.any():
            need = int(_popcount(left))
            cover = _popcount(M[start:] & left)
            # a unit can only be in a completion if it and s - 1 of the widest cover enough
            cands = start + np.flatnonzero(cover + (s - 1) * cover.max(initial=0) >= need)
            self.info["pruned"] += len(C) - start - len(cands)
            if s == 2:  # the next unit and the last one: every pair, in order, at once
                cands = self._face_filter(d, left, cands, 1)
                # as before the blocks: the second unit of a width-2 layer by the first
                # one's stabilizer only where the pairs were too many for one matrix
                second = d == 0 and not chosen and self._group is not None
                second &= len(cands) ** 2 * M.shape[1] > 4_000_000
                node = (d, layers, C, M, left, chosen, pairs)
                return self._last_two(ctx, node, cands, lead, second)
        if lead is not None:
            cands = cands[lead[cands]]
        if left.any() and s > 1:
            cands = self._face_filter(d, left, cands, s - 1)
        second = d == 0 and not chosen and self._group is not None
        for cand in cands:
            c = int(cand)
            nxt = self._stabilizer_minima(C, c) if second else None
            if self._cover_dfs(ctx, d, layers, C, M, left & ~M[c], chosen + [c], c + 1, pairs, nxt):
                return True
        return False

    def _face_filter(self, d: int, left: np.ndarray, cands: np.ndarray, k: int) -> np.ndarray:
        """The candidates after which every face's pairs still left can be covered by
        ``k`` more units (:mod:`.face_bounds`; first layer, ``k <= 2`` only)."""
        if d != 0 or self._faces is None or k > 2 or not len(cands):
            return cands
        keep = self._faces.keep(left, cands, k)
        self.info["face_pruned"] += int(len(cands) - keep.sum())
        return cands[keep]

    def _last_two(
        self,
        ctx: SearchContext,
        node: tuple,
        cands: np.ndarray,
        lead: np.ndarray | None,
        second: bool,
    ) -> bool:
        """At the node ``(d, layers, C, M, left, chosen, pairs)`` of :meth:`_cover_dfs`,
        complete ``chosen`` with two of ``cands`` (increasing, the first where ``lead``
        holds, the second the first of its orbit under the first one's stabilizer when
        ``second``) that cover ``left``, pairs in lexicographic order, a block of first
        units at a time.  A second unit that completes a cover is in ``cands``: it covers
        at least what the first leaves, so it passes the same bounds."""
        d, layers, C, M, left, chosen, pairs = node
        rest = left & ~M[cands]  # what each first unit leaves to the second
        Mc = M[cands]
        block = max(1, 4_000_000 // max(len(cands) * M.shape[1], 1))
        for i0 in range(0, len(cands), block):
            ctx.budget.check()
            r = rest[i0 : i0 + block]
            fits = ((r[:, None, :] & Mc[None, :, :]) == r[:, None, :]).all(axis=2)
            fits &= np.arange(len(cands))[None, :] > np.arange(i0, i0 + len(r))[:, None]
            if lead is not None:
                fits &= lead[cands[i0 : i0 + block]][:, None]
            for i in np.flatnonzero(fits.any(axis=1)) if second else ():
                stab = self._stabilizer_minima(C, int(cands[i0 + i]))
                if stab is not None:
                    fits[i] &= stab[cands]
            for i, j in zip(*np.nonzero(fits)):
                T = C[chosen + [cands[i0 + i], cands[j]]].T
                if self._cover_done(ctx, d, layers, T, pairs):
                    return True
        return False

    def _cover_done(
        self, ctx: SearchContext, d: int, layers: list, T: np.ndarray, pairs: tuple
    ) -> bool:
        """Layer d is complete and consistent: go on to the next layer or to the output unit."""
        ev = ctx.evaluator
        T = T.astype(np.int8)
        H = ev.activation.from_targets(T)
        if d + 1 < len(ev.hidden):
            return self._cover_layer(ctx, d + 1, layers + [T], H, pairs)
        self.info["cover_leaves"] = self.info.get("cover_leaves", 0) + 1
        U, inv = distinct_rows(H)
        lab = np.where(np.bincount(inv, weights=ev.problem.t > 0, minlength=len(U)) > 0, 1, -1)
        key = (digest(U), lab.tobytes())
        if key not in self._memo:  # can the output unit label the codes?
            self._memo[key] = solve_unit(U, lab.astype(np.int8)).separable
        if not self._memo[key]:
            return False
        out = lab[inv].astype(np.int8).reshape(-1, 1)
        state = ctx.evaluate(TargetSetting(layers + [T]), output_targets=out)
        return state.errors == 0 and not ctx.want_more(state)

    def _first_pass(self, ctx: SearchContext) -> bool:
        """A fit from the first pass (skipped for small enumerations)."""
        p = ctx.evaluator.problem
        if not self.cfg.first_pass:
            return False
        if self.cfg.estimate(p.n_samples, p.n_features, ctx.evaluator.hidden) <= FIRST_PASS_SIZE:
            return False
        found = first_fit(ctx)
        if found:
            self.info["found_by"] = found
        return found is not None

    def _combos(self, n_choices: int, width: int):
        if self.cfg.symmetry:
            return itertools.combinations(range(n_choices), width)
        return itertools.product(range(n_choices), repeat=width)

    # -- the search ---------------------------------------------------------------
    def run(self, ctx: SearchContext):
        ev = ctx.evaluator
        self.info.update(pruned=0, separability_tests=0)
        if self._first_pass(ctx) and not ctx.prefers:
            return Status.OPTIMAL, f"zero training errors (global minimum; {self.info['found_by']})"
        t = ev.problem.t
        cover = ev.hidden and self.cfg.prune and self.cfg.symmetry
        pairs = self._pairs(ev.problem.X, t) if cover else None
        proved = f"proved: no network with hidden widths {ev.hidden} fits the data"
        too_big = self.cfg._too_big(ev.problem, ev.hidden)
        if pairs is not None:
            try:
                if self._cover_layer(ctx, 0, [], ev.problem.X, pairs):
                    return Status.OPTIMAL, "zero training errors (global minimum)" + self._fits(ctx)
                if ctx.best is not None and ctx.best.errors == 0:  # every fit examined
                    return Status.OPTIMAL, "zero training errors (global minimum)" + self._fits(ctx)
                self._floor = 1
                self.info["zero_error_pass"] = f"no zero-error network ({ctx.elapsed:.3g} s)"
                if not self.cfg.minimize:
                    return Status.INFEASIBLE, (
                        f"{proved} (minimize=False: the least error count was not computed)"
                    )
            except _TooBig:  # the plain search below decides zero errors too
                self.info["zero_error_pass"] = "skipped: too many units x pairs for bitsets"
                if too_big:
                    raise self.cfg._refusal(ev.problem, ev.hidden) from None
        if self._floor and (ctx.best is None or ctx.best.errors > self._floor) and too_big:
            size = self.cfg.estimate(ev.problem.n_samples, ev.problem.n_features, ev.hidden)
            return Status.INFEASIBLE, (
                f"{proved}; the least error count was not computed (its enumeration may visit "
                f"up to {_magnitude(size)} states, limit max_size={self.cfg.max_size:.3g})"
                + self._best_note(ctx)
            )
        try:
            if ctx.best is None or ctx.best.errors > self._floor:  # else a least-errors one
                if not ev.hidden:
                    return self._single_unit(ctx)
                else:
                    self._layer(ctx, 0, [], ev.problem.X, t)
        except BudgetExhausted as stop:  # zero errors stay ruled out
            if not self._floor or ctx.budget.cancelled:
                raise
            return Status.INFEASIBLE, (
                f"{proved}; the least error count was not computed ({stop})" + self._best_note(ctx)
            )
        best = ctx.incumbent
        if best is not None and best.errors == 0:
            return Status.OPTIMAL, "zero training errors (global minimum)" + self._fits(ctx)
        return Status.INFEASIBLE, (
            f"proved: no network with hidden widths {ev.hidden} fits the data; "
            f"the minimum is {best.errors} training error(s)"
        )

    def _single_unit(self, ctx: SearchContext):
        """No hidden layer: one exact unit solve decides zero errors; the least error
        count of a non-separable problem enumerates the separable labelings of the
        distinct inputs, when their number (Cover's count) is within ``max_size``."""
        p = ctx.evaluator.problem
        unit = solve_unit(p.X, p.t)
        if unit.separable:
            state = ctx.evaluate(TargetSetting([]), output_targets=p.t.reshape(-1, 1))
            if state.errors == 0:
                return Status.OPTIMAL, "zero training errors (global minimum; one exact unit solve)"
        U, _ = distinct_rows(p.X)
        labelings = cover_count(len(U), p.n_features)
        if self.cfg.minimize and labelings <= self.cfg.max_size:
            self._leaf(ctx, [], p.X, p.t)
            best = ctx.incumbent
            if best is not None and best.errors == 0:
                return Status.OPTIMAL, "zero training errors (global minimum)"
            return Status.INFEASIBLE, (
                "proved: no single unit fits the data; the minimum is "
                f"{best.errors} training error(s)"
            )
        ctx.evaluate(TargetSetting([]), output_targets=p.t.reshape(-1, 1))
        status = Status.INFEASIBLE if unit.separable is False else Status.LOCAL_OPTIMUM
        proof = "proved exactly" if unit.separable is False else "no proof either way"
        why = (
            "minimize=False"
            if not self.cfg.minimize
            else f"it would enumerate up to {_magnitude(labelings)} labelings "
            f"(limit max_size={self.cfg.max_size:.3g})"
        )
        return status, (
            f"no single unit fits the data ({proof}); the least error count was not "
            f"computed ({why}); the network is the unit solver's best"
        )

    def _layer(
        self, ctx: SearchContext, d: int, layers: list, H: np.ndarray, t: np.ndarray
    ) -> bool:
        ev = ctx.evaluator
        choices = self._unit_choices(H)
        width = ev.hidden[d]
        if self.cfg.symmetry and len(choices) < width:
            # fewer distinct useful units than the width: pad with duplicates of the
            # first choice (a duplicated unit adds nothing, so this loses nothing)
            choices = (
                choices + [choices[0]] * (width - len(choices))
                if choices
                else [-np.ones(len(t), np.int8)] * width
            )
            combos = [tuple(range(width))]
        elif d + 1 == len(ev.hidden) and self.cfg.prune and width <= 20:
            return self._last_layer(ctx, layers, choices, width, t)
        else:
            combos = self._combos(len(choices), width)
        for combo in combos:
            T = np.stack([choices[c] for c in combo], axis=1).astype(np.int8)
            H_next = ev.activation.from_targets(T)
            if d + 1 < len(ev.hidden):
                done = self._layer(ctx, d + 1, layers + [T], H_next, t)
            else:
                done = self._leaf(ctx, layers + [T], H_next, t)
            if done:
                return True
        return False

    def _last_layer(
        self, ctx: SearchContext, layers: list, choices: list, width: int, t: np.ndarray
    ) -> bool:
        """Last hidden layer, vectorized over its last unit: bound every candidate at once,
        then score candidates in increasing order of bound until none can beat the best."""
        ev = ctx.evaluator
        C = np.stack(choices)  # k x m
        k, m = C.shape
        n_codes = 2**width
        tp, tn = (t > 0).astype(np.float64), (t < 0).astype(np.float64)
        prefixes = self._combos(k, width - 1) if width > 1 else [()]
        for prefix in prefixes:
            ctx.budget.check()
            code = np.zeros(m, dtype=np.int64)
            for c in prefix:
                code = 2 * code + (C[c] > 0)
            lo = prefix[-1] + 1 if (self.cfg.symmetry and prefix) else 0
            idx = (np.arange(k - lo)[:, None] * n_codes + 2 * code[None, :] + (C[lo:] > 0)).ravel()
            size = (k - lo) * n_codes
            pos = np.bincount(idx, weights=np.tile(tp, k - lo), minlength=size).reshape(
                k - lo, n_codes
            )
            neg = np.bincount(idx, weights=np.tile(tn, k - lo), minlength=size).reshape(
                k - lo, n_codes
            )
            bounds = np.minimum(pos, neg).sum(axis=1)
            for j in np.argsort(bounds, kind="stable"):
                best = self._limit(ctx)
                if bounds[j] >= best:
                    self.info["pruned"] += int(np.count_nonzero(bounds >= best))
                    break
                T = np.stack([choices[c] for c in prefix] + [choices[lo + j]], axis=1).astype(
                    np.int8
                )
                if self._leaf(ctx, layers + [T], ev.activation.from_targets(T), t):
                    return True
        return False

    def _leaf(self, ctx: SearchContext, layers: list, H: np.ndarray, t: np.ndarray) -> bool:
        """Score a full hidden setting with its best output labeling; True when zero errors."""
        ctx.budget.check()
        U, inv = distinct_rows(H)
        pos = np.bincount(inv, weights=(t > 0), minlength=len(U))
        neg = np.bincount(inv, weights=(t < 0), minlength=len(U))
        bound = float(np.minimum(pos, neg).sum())
        best = self._limit(ctx)
        if self.cfg.prune and bound >= best:
            self.info["pruned"] += 1
            return False
        if bound == 0:  # consistent codes: zero errors iff the labels are separable on them
            lab = np.where(pos > 0, 1, -1).astype(np.int8)
            if solve_unit(U, lab).separable:
                state = ctx.evaluate(TargetSetting(layers), output_targets=lab[inv].reshape(-1, 1))
                return state.errors <= self._floor and not ctx.want_more(state)
        D = self._labelings(U)
        errs = (D < 0).astype(np.float64) @ pos + (D > 0).astype(np.float64) @ neg
        k = int(np.argmin(errs))
        out = D[k][inv].reshape(-1, 1)
        state = ctx.evaluate(TargetSetting(layers), output_targets=out)
        return state.errors <= self._floor and not ctx.want_more(state)

    @staticmethod
    def _limit(ctx: SearchContext) -> float:
        """States whose error bound reaches this are pruned: the best error count, or one
        more once a search objective looks for further zero-error settings."""
        if ctx.best is None:
            return np.inf
        return ctx.best.errors + (1 if ctx.prefers and ctx.best.errors == 0 else 0)

    @staticmethod
    def _best_note(ctx: SearchContext) -> str:
        """The best error count found, when a state was evaluated."""
        return (
            "" if ctx.best is None else f"; the best found has {ctx.best.errors} training error(s)"
        )

    @staticmethod
    def _fits(ctx: SearchContext) -> str:
        """For a search objective: how many zero-error settings the answer is the best of."""
        return f"; {ctx.fits_note()}" if ctx.prefers else ""


def _magnitude(n: int) -> str:
    """``n`` in three significant digits, also past the float range."""
    if n < 10**300:
        return f"{float(n):.3g}"
    digits = str(n)
    return f"{digits[0]}.{digits[1:3]}e+{len(digits) - 1}"
