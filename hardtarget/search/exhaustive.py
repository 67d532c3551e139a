"""Exhaustive search over hidden targets (paper, Proposition 2), made smart.

* A hidden unit can only output a linearly separable dichotomy of its layer's
  distinct inputs, so only those are enumerated (by a walk over single flips, see
  :mod:`.dichotomies`), never all ``2^m`` labelings.
* Hidden units are interchangeable and a unit negated together with its outgoing
  weights computes the same function: one labeling per ``{D, -D}`` pair, units in
  increasing order, constant units left out.
* For the last hidden layer's codes, the output unit's least possible error is
  ``sum over codes of min(#positive, #negative)``: states whose bound cannot beat the
  best so far are pruned.  Otherwise the exact minimum-error output labeling is found
  among the separable dichotomies of the distinct codes.

When it finishes, the result is ``optimal`` (zero errors) or ``infeasible`` with the
proven minimum number of training errors.
"""

from __future__ import annotations

import itertools
import math

import numpy as np

from ..errors import HardTargetError
from ..targets import TargetSetting, digest
from ..units import get_solver
from .base import SearchContext, Strategy
from .dichotomies import cover_count, distinct_rows, separable_dichotomies
from .params import Param

__all__ = ["Exhaustive"]


class Exhaustive(Strategy):
    """Exact search over all realizable hidden target settings.

    Parameters
    ----------
    dichotomies : enumerate separable dichotomies by the flip walk (True) or by
        testing all ``2^u`` labelings of the ``u`` distinct inputs (False).
    symmetry : break unit permutation and negation symmetry.
    prune : skip states whose output error bound cannot beat the best so far.
    max_size : refuse to start when the estimated number of states exceeds this.
    """

    name = "exhaustive"
    exact = True
    params = {"dichotomies": Param("bool", "enumerate separable dichotomies by the flip walk"),
              "symmetry": Param("bool", "break unit permutation and negation symmetry"),
              "prune": Param("bool", "skip states whose error bound cannot beat the best"),
              "max_size": Param("float", "refuse when the estimated states exceed this", low=1)}

    def __init__(self, seed: int = 0, dichotomies: bool = True, symmetry: bool = True, prune: bool = True,
                 max_size: float = 1e7):
        self.seed = seed
        self.dichotomies = dichotomies
        self.symmetry = symmetry
        self.prune = prune
        self.max_size = max_size

    # -- size -----------------------------------------------------------------
    def estimate(self, m: int, n: int, hidden: tuple) -> float:
        """Upper bound on the number of states (Cover's count per layer)."""
        size, u, d = 1.0, m, n
        for h in hidden:
            D = cover_count(u, d)
            k = D // 2 - 1 if self.symmetry else D
            size *= math.comb(max(k, 0), h) if self.symmetry else float(k) ** h
            u, d = min(m, 2 ** h), h
        return max(size, float(cover_count(u, d)))  # or the output labelings, if more

    def check(self, evaluator) -> None:
        if evaluator.loss != "errors":
            raise HardTargetError("exhaustive search minimizes training errors; use loss='errors'")
        p = evaluator.problem
        size = self.estimate(p.n_samples, p.n_features, evaluator.hidden)
        if size > self.max_size:
            raise HardTargetError(
                f"exhaustive search over hidden widths {evaluator.hidden} on {p.n_samples} points may visit up to "
                f"{size:.3g} states (limit max_size={self.max_size:.3g}); use strategy 'beam', 'hill', 'ftprop' "
                "or 'madaline', shrink the problem, or raise max_size"
            )

    # -- enumeration ------------------------------------------------------------
    def _labelings(self, U: np.ndarray) -> np.ndarray:
        key = digest(U)
        if key not in self._memo:
            if self.dichotomies:
                D = separable_dichotomies(U, stop=self._stop)
            else:
                solve, ones = get_solver("auto"), np.ones(len(U))
                allp = np.array(list(itertools.product((-1, 1), repeat=len(U))), dtype=np.int8)
                D = np.array([lab for lab in allp if self._tick() or solve(U, lab, ones).separable],
                             dtype=np.int8)
            self.info["separability_tests"] = self.info.get("separability_tests", 0) + (
                len(D) * len(U) if self.dichotomies else 2 ** len(U))
            self._memo[key] = D
        return self._memo[key]

    def _unit_choices(self, H: np.ndarray) -> "list[np.ndarray]":
        """Candidate target columns (length m) for a unit whose layer input is H."""
        U, inv = distinct_rows(H)
        D = self._labelings(U)
        if self.symmetry:
            D = D[(D[:, 0] == -1) & np.any(D == 1, axis=1)]  # one of each ±pair, no constants
        return [lab[inv] for lab in D]

    def _combos(self, n_choices: int, width: int):
        if self.symmetry:
            return itertools.combinations(range(n_choices), width)
        return itertools.product(range(n_choices), repeat=width)

    # -- the search ---------------------------------------------------------------
    def run(self, ctx: SearchContext):
        ev = ctx.evaluator
        self.info = ctx.info  # the engine's, filled while this run's copy of the strategy runs
        self.info.update(pruned=0, separability_tests=0)
        self._memo = {}
        self._tick = ctx.check_budget
        self._stop = lambda: ctx.check_budget() or False
        t = ev.problem.t
        if not ev.hidden:
            self._leaf(ctx, [], ev.problem.X, t)
        else:
            self._layer(ctx, 0, [], ev.problem.X, t)
        best = ctx.best
        if best is not None and best.errors == 0:
            return "optimal", "zero training errors (global minimum)"
        return "infeasible", (f"proved: no network with hidden widths {ev.hidden} fits the data; "
                              f"the minimum is {best.errors} training error(s)")

    def _layer(self, ctx: SearchContext, d: int, layers: list, H: np.ndarray, t: np.ndarray) -> bool:
        ev = ctx.evaluator
        choices = self._unit_choices(H)
        width = ev.hidden[d]
        if self.symmetry and len(choices) < width:
            # fewer distinct useful units than the width: pad with duplicates of the
            # first choice (a duplicated unit adds nothing, so this loses nothing)
            choices = choices + [choices[0]] * (width - len(choices)) if choices else [-np.ones(len(t), np.int8)] * width
            combos = [tuple(range(width))]
        elif d + 1 == len(ev.hidden) and self.prune and width <= 20:
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

    def _last_layer(self, ctx: SearchContext, layers: list, choices: list, width: int, t: np.ndarray) -> bool:
        """Last hidden layer, vectorized over its last unit: bound every candidate at once,
        then score candidates in increasing order of bound until none can beat the best."""
        ev = ctx.evaluator
        C = np.stack(choices)  # k x m
        k, m = C.shape
        n_codes = 2 ** width
        tp, tn = (t > 0).astype(np.float64), (t < 0).astype(np.float64)
        prefixes = self._combos(k, width - 1) if width > 1 else [()]
        for prefix in prefixes:
            ctx.check_budget()
            code = np.zeros(m, dtype=np.int64)
            for c in prefix:
                code = 2 * code + (C[c] > 0)
            lo = prefix[-1] + 1 if (self.symmetry and prefix) else 0
            idx = (np.arange(k - lo)[:, None] * n_codes + 2 * code[None, :] + (C[lo:] > 0)).ravel()
            size = (k - lo) * n_codes
            pos = np.bincount(idx, weights=np.tile(tp, k - lo), minlength=size).reshape(k - lo, n_codes)
            neg = np.bincount(idx, weights=np.tile(tn, k - lo), minlength=size).reshape(k - lo, n_codes)
            bounds = np.minimum(pos, neg).sum(axis=1)
            for j in np.argsort(bounds, kind="stable"):
                best = ctx.best.errors if ctx.best is not None else np.inf
                if bounds[j] >= best:
                    self.info["pruned"] += int(np.count_nonzero(bounds >= best))
                    break
                T = np.stack([choices[c] for c in prefix] + [choices[lo + j]], axis=1).astype(np.int8)
                if self._leaf(ctx, layers + [T], ev.activation.from_targets(T), t):
                    return True
        return False

    def _leaf(self, ctx: SearchContext, layers: list, H: np.ndarray, t: np.ndarray) -> bool:
        """Score a full hidden setting with its best output labeling; True when zero errors."""
        ctx.check_budget()
        U, inv = distinct_rows(H)
        pos = np.bincount(inv, weights=(t > 0), minlength=len(U))
        neg = np.bincount(inv, weights=(t < 0), minlength=len(U))
        bound = float(np.minimum(pos, neg).sum())
        best = ctx.best.errors if ctx.best is not None else np.inf
        if self.prune and bound >= best:
            self.info["pruned"] += 1
            return False
        if bound == 0:  # consistent codes: zero errors iff the labels are separable on them
            lab = np.where(pos > 0, 1, -1).astype(np.int8)
            if get_solver("auto")(U, lab, np.ones(len(U))).separable:
                state = ctx.evaluate(TargetSetting(layers), output_targets=lab[inv].reshape(-1, 1))
                return state.errors == 0
        D = self._labelings(U)
        errs = (D < 0).astype(np.float64) @ pos + (D > 0).astype(np.float64) @ neg
        k = int(np.argmin(errs))
        out = D[k][inv].reshape(-1, 1)
        state = ctx.evaluate(TargetSetting(layers), output_targets=out)
        return state.errors == 0
