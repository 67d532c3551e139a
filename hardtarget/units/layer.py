"""All units of a layer at once: the entry point the target search uses.

The units of a layer share their inputs, so :func:`solve_layer` validates and hashes
the inputs once, looks every unit up in the cache, and solves the rest together:
the perceptron (and ``auto`` on small units) in one lock-step numba call (a few
epochs per call on a large layer with a budget), the others unit by unit with the
caller's :class:`~hardtarget.budget.Budget` checked in between.
"""

from __future__ import annotations

from dataclasses import replace
from inspect import signature

import numpy as np

from ..budget import Budget, legacy_stop
from ..errors import HardTargetError
from . import _kernels, solvers
from .base import UnitResult, margin_from, prepare
from .exact import separates_exactly
from .solvers import (
    NEWTON_FIRST,
    _auto,
    _auto_after,
    check_solver_options,
    epoch_step,
    get_solver,
    run_solver,
)

__all__ = ["solve_layer"]


def solve_layer(
    inputs,
    targets,
    solver: str = "auto",
    cache=None,
    sample_weight=None,
    stop=None,
    refine: bool = False,
    input_key: bytes | None = None,
    budget: Budget | None = None,
    **options,
) -> list:
    """Train every column of ``targets`` (m x k, ±1) as a unit on the shared ``inputs`` (m x n).

    Parameters
    ----------
    inputs : array of shape (m, n)
    targets : array of shape (m, k) or (m,), values -1 or +1
    solver : str, default="auto"
        A name from :data:`~hardtarget.units.SOLVERS`.
    cache : UnitCache, default=None
        Returns stored results for units solved before and stores the new ones; ``auto``
        also asks its certificate store for these inputs before an LP.
    sample_weight : array of shape (m,), default=None
    stop : callable, default=None
        Deprecated: returns True to stop (use ``budget``).
    refine : bool, default=False
        For a unit that is not proved separable, also run the ``hinge`` solver and keep
        its weights when they make fewer errors (the verdict and certificate stay).
    input_key : bytes, default=None
        ``hardtarget.targets.digest(inputs)`` when the caller has it (saves rehashing
        inputs shared by many calls); only used with ``cache``.
    budget : Budget, default=None
        Checked between units, Newton steps, chunks of epochs on large units and inside
        LP and QP solves; when it says stop, its
        :class:`~hardtarget.errors.StopRequested` is raised (the units solved before
        are kept in ``cache``).
    **options
        Passed to the solver (as in :func:`~hardtarget.units.solve_unit`).

    Returns
    -------
    list of UnitResult, one per column of ``targets``.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[-1, -1], [-1, 1], [1, -1], [1, 1]])
    >>> [r.separable for r in solve_layer(X, np.array([[-1, -1], [1, -1], [1, -1], [-1, 1]]))]
    [False, True]
    """
    fn = get_solver(solver)
    options = check_solver_options(solver, options)
    budget = legacy_stop(stop, "solve_layer") or budget
    T = np.asarray(targets)
    if T.ndim == 1:
        T = T.reshape(-1, 1)
    if T.ndim != 2 or T.shape[1] < 1:
        raise HardTargetError(
            f"layer targets must be an (n_samples, n_units) array, got shape {T.shape}"
        )
    m = np.shape(inputs)[0] if np.ndim(inputs) == 2 else T.shape[0]
    if T.shape[0] != m:
        raise HardTargetError(f"targets must be a ({m}, n_units) array of ±1, got shape {T.shape}")
    A, _, s = prepare(inputs, T[:, 0], sample_weight)
    if T.shape[0] != A.shape[0] or np.count_nonzero((T == 1) | (T == -1)) != T.size:
        raise HardTargetError(
            f"targets must be a ({A.shape[0]}, n_units) array of ±1, got shape {T.shape}"
        )
    Tt = np.ascontiguousarray(T.T, dtype=np.int8)  # one contiguous row per unit
    k = Tt.shape[0]
    results: list = [None] * k
    keys: list = []
    store = None
    if cache is not None:
        key_opts = dict(options, refine=True) if refine else options
        keys = cache.keys(A, Tt, s, solver, key_opts, input_key)
        results = [cache.get(key) for key in keys]
    todo = [j for j in range(k) if results[j] is None]
    if todo:
        if cache is not None and fn is _auto:
            store = cache.store(keys[0][0], A.shape)
        solved = _solve_units(fn, solver, A, Tt[todo], s, dict(options), budget, store)
        for j, r in zip(todo, solved):
            if refine and r.errors and not r.separable:
                r = _refined(A, Tt[j], s, r, budget)
            results[j] = r
            if cache is not None:
                cache.put(keys[j], r)
    return results


def _refined(A, t, s, r: UnitResult, budget: Budget | None) -> UnitResult:
    h = run_solver(solvers.hinge, "hinge", A, t, s, {"max_epochs": 50}, budget)
    if h.separable:
        return h
    if h.errors < r.errors:
        return replace(
            r,
            weights=h.weights,
            margin=h.margin,
            errors=h.errors,
            info={**r.info, "weights_from": "hinge"},
        )
    return r


def _chunked_units(A, T, s, max_epochs: int, give_up: bool, budget: Budget) -> tuple:
    """:func:`~._kernels.perceptron_units` in chunks of lock-step epochs (bit-identical)."""
    state = _kernels.lockstep_state(A, T, s, give_up)
    step = epoch_step(A.shape[0] * (A.shape[1] + 1) * T.shape[1], solvers.PERCEPTRON_STEP_WORK)
    for ep in range(0, max_epochs, step):
        if ep:
            budget.check()
        _kernels.lockstep_epochs(A, s, ep, min(ep + step, max_epochs), state)
        if state[-1][0] == 0:  # no unit left running
            break
    return state[:4]


def _solve_units(fn, solver: str, A, Tt, s, options: dict, budget, store=None):
    """Solve the units ``Tt`` (k x m), batched for ``perceptron`` and small ``auto`` units.

    ``store`` (a CertificateStore of ``A``) goes to ``auto``.  A generator: the caller
    stores each result as it comes, so a stop keeps what was done.
    """
    k = Tt.shape[0]
    if fn is not _auto and fn is not solvers.perceptron:  # any other solver: unit by unit
        for j in range(k):
            yield run_solver(fn, solver, A, Tt[j], s, options, budget)
        return
    auto = fn is _auto
    # their only option (checked by its declaration), by default its signature's default
    max_epochs = int(options.get("max_epochs", signature(fn).parameters["max_epochs"].default))
    if auto and A.shape[0] * (A.shape[1] + 1) > NEWTON_FIRST:  # Newton first
        for j in range(k):
            yield run_solver(_auto, solver, A, Tt[j], s, {"max_epochs": max_epochs}, budget, store)
        return
    if budget is not None:
        budget.check()
    T = np.ascontiguousarray(Tt.T)
    work = A.shape[0] * (A.shape[1] + 1) * T.shape[1]
    if budget is None or work < solvers.PERCEPTRON_CHUNK_WORK:
        W, _, ep, conv = _kernels.perceptron_units(A, T, s, max_epochs, auto)
    else:  # a large layer: a few lock-step epochs per kernel call, the budget checked between
        W, _, ep, conv = _chunked_units(A, T, s, max_epochs, auto, budget)
    errs, mns, proof = _kernels.units_checked(A, T, s, W, conv)  # all units in one pass
    Wt = np.ascontiguousarray(W.T)
    # Python scalars once for all units: per-unit numpy scalars cost more than the kernel
    # on small units
    heads, errs, mns, proof, ep = Wt[:, :-1].tolist(), *(v.tolist() for v in (errs, mns, proof, ep))
    for j in range(k):
        w = Wt[j]
        proved = proof[j] == 1 or (proof[j] == 2 and separates_exactly(A, Tt[j], s, w))
        r = UnitResult(
            True if proved else None,
            w,
            margin_from(heads[j], mns[j]),
            errs[j],
            ep[j],
            None,
            solver,
            {},
        )
        if auto and not proved:
            if budget is not None:
                budget.check()
            r = _auto_after(A, Tt[j], s, r, store, budget)
        yield r
