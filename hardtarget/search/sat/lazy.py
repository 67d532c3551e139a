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
"""

from __future__ import annotations

import numpy as np

from ...errors import HardTargetError
from ...targets import TargetSetting
from ...units import solve_unit
from ..base import BudgetExhausted, SearchContext, Strategy
from ..params import Param
from ._common import distinct_problem
from .proposers import PROPOSERS
from .strategy import SOLVERS, remaining

__all__ = ["SatLP"]

_UNCHECKED = object()


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

    ``info["certificates"]`` lists every certificate used as a cut: layer, unit,
    ``rows`` (a sample index per support point), ``inputs`` (the unit's inputs there),
    ``targets`` and ``lambda`` — each passes :func:`hardtarget.check_certificate` alone.
    """

    name = "sat-lp"
    exact = True
    params = {
        "objective": Param(
            "str", "fewest training errors or zero errors", choices=("errors", "feasibility")
        ),
        "backend": Param("str", "target proposer", choices=tuple(PROPOSERS)),
        "symmetry": Param("bool", "fix hidden units' first target and order the units"),
        "workers": Param("int", "CP-SAT workers (1: deterministic)", low=1),
        "solver": Param("str", "PySAT solver", choices=SOLVERS),
        "max_rounds": Param("int", "give up after this many proposals", low=1),
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
    ):
        self.seed = seed
        self.objective = objective
        self.backend = backend
        self.symmetry = symmetry
        self.workers = workers
        self.solver = solver
        self.max_rounds = max_rounds

    def check(self, evaluator) -> None:
        if evaluator.loss != "errors":
            raise HardTargetError(
                "the sat-lp strategy minimizes training errors; use loss='errors'"
            )

    @staticmethod
    def _cut(prop, d: int, S: np.ndarray, codes: np.ndarray | None, t_S: np.ndarray) -> int:
        """Clauses forbidding ``t_S`` and ``-t_S`` on ``S`` for every unit of layer ``d``."""
        H = prop.H
        layer = H[d] if d < len(H) else prop.y.reshape(-1, 1)
        base = []
        if d > 0:  # the previous layer's codes on S must differ somewhere
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

    def _check(self, ctx, prop, rows, T, y, memo, first) -> int:
        """LP-check every unit of a proposal; add a cut per non-separable unit; return how many."""
        act = ctx.evaluator.activation
        bad = 0
        inputs = rows.U.astype(np.float64)
        for d, targets in enumerate(T + [y.reshape(-1, 1)]):
            codes = None if d == 0 else T[d - 1]
            for j in range(targets.shape[1]):
                t = np.ascontiguousarray(targets[:, j])
                key = (d, None if d == 0 else codes.tobytes(), t.tobytes())
                cert = memo.get(key, _UNCHECKED)
                if cert is _UNCHECKED:
                    ctx.check_budget()
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
                        "rows": first[S].tolist(),
                        "inputs": inputs[S].tolist(),
                        "targets": t[S].tolist(),
                        "lambda": cert[S].tolist(),
                    }
                )
                ctx.info["cuts"] += self._cut(prop, d, S, None if codes is None else codes[S], t[S])
            inputs = act.from_targets(targets)
        return bad

    def run(self, ctx: SearchContext):
        ev = ctx.evaluator
        p = ev.problem
        rows = distinct_problem(p.X, p.t)
        extra = {"solver": self.solver} if self.backend == "pysat" else {}
        prop = PROPOSERS[self.backend](
            rows, ev.hidden, self.objective, self.symmetry, self.seed, self.workers, **extra
        )
        memo: dict = {}
        ctx.info.update(
            objective=self.objective,
            backend=self.backend,
            proof="real weights",
            rounds=0,
            cuts=0,
            lp_checks=0,
            certificates=[],
        )
        first = np.unique(rows.inv, return_index=True)[1]
        found = None  # errors of the best proposal that checked out
        try:
            while True:
                ctx.check_budget()
                if ctx.info["rounds"] >= self.max_rounds:
                    raise BudgetExhausted(f"max_rounds={self.max_rounds} proposals reached")
                ctx.info["rounds"] += 1
                res = prop.propose(remaining(ctx), on_signal=ctx.on_signal)
                if res.status == "UNKNOWN":
                    ctx.check_budget()  # a signal stopped it: interrupted
                    raise BudgetExhausted("the SAT solver stopped at the time limit")
                if res.status == "UNSAT":
                    return self._verdict(ctx, found)
                if self._check(ctx, prop, rows, res.hidden, res.y, memo, first):
                    continue
                y = res.y[rows.inv].reshape(-1, 1)
                state = ctx.record(
                    TargetSetting([Td[rows.inv] for Td in res.hidden]), output_targets=y
                )
                found = state.errors if found is None else min(found, state.errors)
                if found == 0 or res.optimal:
                    return self._verdict(ctx, found)
                prop.tighten(found)
        finally:
            if hasattr(prop, "close"):
                prop.close()

    def _verdict(self, ctx: SearchContext, found: int | None) -> tuple[str, str]:
        n = len(ctx.info["certificates"])
        tail = f"{n} certificates, {ctx.info['rounds']} rounds"
        if found == 0:
            return "optimal", f"zero training errors ({tail})"
        ctx.info["proof_kind"] = "proof"
        hidden = ctx.evaluator.hidden
        if found is None:
            return (
                "infeasible",
                f"proved: no network with hidden widths {hidden} fits the data ({tail})",
            )
        return (
            "infeasible",
            f"proved: the minimum is {found} training error(s) with hidden widths {hidden} "
            f"({tail})",
        )
