"""The first pass of the exact strategies (``sat``, ``sat-lp``, ``exhaustive``).

:func:`local_fit` (all three): a few short continuous relaxations (the ``anneal`` init:
``tanh(beta * z)`` units, slope growing towards ``sign``); the hidden targets of each
one's best sign network are evaluated exactly like any other state (every unit
re-solved by the evaluator).

:func:`cpsat_fit` (``sat-lp``, ``exhaustive``; ``sat`` runs its own model first): CP-SAT
on the whole network's least-errors model (integer weights, symmetry broken) for a small
amount of its deterministic work; a solution's targets are evaluated exactly too.

:func:`staircase_fit` (``sat-lp``, ``exhaustive``, first): when the labels depend only on
the sum of the inputs (a symmetric function such as parity) and change at most ``width``
times along it, one hidden layer of units ``sum(x) > theta_k`` at the changes fits
(their thermometer codes are affinely independent, so the output unit can label them
any way); the targets are evaluated exactly like any other state.

A state with zero training errors is a fit, hence a global minimum of the errors: the
exact strategy may end there.  Otherwise nothing is lost but the pass's time; the states
it recorded stay (a best so far, an upper bound for an exact search).  Each pass is a
fixed amount of work (drawn from the run's seed), so its answer is reproducible for a
seed; with a time limit it also stops after ``SHARE`` of the time left (then it depends
on the machine's speed).  Neither runs on more than ``MAX_SAMPLES`` samples.
"""

from __future__ import annotations

import numpy as np

from ..errors import HardTargetError
from ..status import REAL_WEIGHTS, Status
from ..targets import TargetSetting
from .context import SearchContext
from .init import initial_targets

__all__ = ["local_fit", "cpsat_fit", "first_fit", "staircase_fit"]

RUNS = 2
EPOCHS = 500
LR = 0.05
MAX_SAMPLES = 5000  # more samples: no local pass
SHARE = 0.25
CPSAT_WORK = 0.05  # CP-SAT deterministic work units (about seconds)


def local_fit(ctx: SearchContext) -> bool:
    """Run the local pass on the context's problem; True once a state with zero training
    errors is the best."""
    ev = ctx.evaluator
    if not ev.hidden or ev.problem.n_samples > MAX_SAMPLES:
        return False
    phase = ctx.budget.child(share=SHARE)
    for _ in range(RUNS):
        T = initial_targets(
            ev.problem, ev.hidden, ev.activation, ctx.rng, "anneal", phase, epochs=EPOCHS, lr=LR
        )
        # the run's first state is forced, so that a budget still leaves a best so far
        state = (ctx.record if ctx.best is None else ctx.evaluate)(TargetSetting(T))
        if state.errors == 0:
            return True
        if phase.stopped():
            break
    return False


def staircase_fit(ctx: SearchContext) -> bool:
    """Try the staircase network for labels that are a function of ``sum(x)``; True when
    its targets, evaluated exactly, have zero training errors."""
    ev = ctx.evaluator
    p = ev.problem
    if len(ev.hidden) != 1:
        return False
    z = p.X.sum(axis=1)
    levels, inv = np.unique(z, return_inverse=True)
    inv = inv.ravel()
    pos = np.bincount(inv, weights=p.t > 0, minlength=len(levels)) > 0
    neg = np.bincount(inv, weights=p.t < 0, minlength=len(levels)) > 0
    if np.any(pos & neg):
        return False  # the labels are not a function of the sum
    change = np.flatnonzero(pos[1:] != pos[:-1])
    if not 0 < len(change) <= ev.hidden[0]:
        return False
    theta = (levels[change] + levels[change + 1]) / 2
    T = np.where(z[:, None] > theta[None, :], 1, -1).astype(np.int8)
    T = T[:, np.minimum(np.arange(ev.hidden[0]), len(theta) - 1)]  # repeat the last to width
    state = (ctx.record if ctx.best is None else ctx.evaluate)(TargetSetting([T]))
    return state.errors == 0


def cpsat_fit(ctx: SearchContext) -> Status:
    """CP-SAT on the network's least-errors model for at most ``CPSAT_WORK``; its answer's
    targets are evaluated exactly.  ``feasible`` when they have zero training errors,
    ``infeasible`` when CP-SAT settled that its model, complete for real weights, has no
    fit (a hint for :func:`first_fit`, never a proof), else ``unknown``."""
    from .sat._common import cp_model, distinct_problem
    from .sat.cpsat import CpNetwork

    ev = ctx.evaluator
    p = ev.problem
    if not ev.hidden or p.n_samples > MAX_SAMPLES:
        return Status.UNKNOWN
    try:
        cp_model()
    except HardTargetError:  # OR-Tools missing: the strategy's own search does not need it
        return Status.UNKNOWN
    rows = distinct_problem(p.X, p.t)
    net = CpNetwork(rows, ev.hidden, ev.activation.name, budget=ctx.budget)
    left = ctx.budget.remaining()
    out = net.solve(
        None if left is None else SHARE * max(left, 0.0),
        seed=ctx.seed,
        budget=ctx.budget,
        work_limit=CPSAT_WORK,
    )
    ctx.budget.check()  # a signal stopped the solver: interrupted
    sol = out.solution
    if sol is not None:
        y = sol.y[rows.inv].reshape(-1, 1)
        hidden = TargetSetting([T[rows.inv] for T in sol.hidden])
        if ctx.record(hidden, output_targets=y).errors == 0:
            return Status.FEASIBLE
    settled = out.status.decided and net.proof_kind == REAL_WEIGHTS
    return Status.INFEASIBLE if settled else Status.UNKNOWN


def first_fit(ctx: SearchContext) -> str | None:
    """:func:`staircase_fit`, :func:`cpsat_fit`, then (unless CP-SAT settled it)
    :func:`local_fit`: the name of the pass that fits, if any."""
    if staircase_fit(ctx):
        return "staircase first pass"
    found = cpsat_fit(ctx)
    if found is Status.FEASIBLE:
        return "CP-SAT first pass"
    if found is Status.UNKNOWN and local_fit(ctx):
        return "local first pass"
    return None
