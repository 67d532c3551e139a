"""The unit solvers and their registry (the convex half of the paper).

``perceptron``  pocket perceptron (numba); proves separability when it converges.
``hinge``, ``saturated_hinge``, ``soft_hinge``  SGD on the paper's layer losses
    (sections 2, 3.2) for non-separable units; prove separability when they separate.
``lp``          exact: max-margin weights or a Farkas certificate (HiGHS).
``auto``        a fast proof first (perceptron on small units, finite Newton on the
                squared hinge), the exact LP only when that fails; its verdict is the LP's.
                With a cache, a certificate stored for a neighbouring column stands in
                for the LP of a non-separable unit (same verdict, weights and errors),
                and the LPs left start from the last basis on the same inputs.
"""

from __future__ import annotations

from collections.abc import Callable
from inspect import signature

import numpy as np

from .. import registry
from ..budget import Budget, legacy_stop
from ..params import Param, declare
from . import _kernels, _newton
from .base import UnitResult, finish, margin_of, prepare
from .exact import separates_exactly
from .losses import loss_code
from .lp import lp_separate

__all__ = ["SOLVERS", "get_solver", "check_solver_options", "check_unit_solver", "solve_unit"]


def _proved(A, t, s, r: UnitResult) -> UnitResult:
    """Keep ``separable=True`` only if the weights separate exactly and in network order."""
    if r.separable and not (
        r.errors == 0 and r.margin > 0 and separates_exactly(A, t, s, r.weights)
    ):
        r.separable = None
    return r


def _run_perceptron(A, t, s, max_epochs, give_up, name, budget) -> UnitResult:
    # the scalar kernel directly: a single unit never needs the lock-step one (nor its compile time)
    if budget is None or A.shape[0] * (A.shape[1] + 1) < PERCEPTRON_CHUNK_WORK:
        w, errors, mn, ep, proof = _kernels.perceptron_checked(A, t, s, int(max_epochs), give_up)
    else:  # a large unit: a few epochs per kernel call, the budget checked in between
        w, errors, mn, ep, proof = _chunked_perceptron(A, t, s, int(max_epochs), give_up, budget)
    sep = True if proof == 1 or (proof == 2 and separates_exactly(A, t, s, w)) else None
    return UnitResult(sep, w, margin_of(w, mn), int(errors), int(ep), None, name, {})


# m * (n + 1) from which one perceptron epoch takes milliseconds: with a budget such
# units run about PERCEPTRON_STEP_WORK of it (some 10 ms) per kernel call
PERCEPTRON_CHUNK_WORK = 10**6
PERCEPTRON_STEP_WORK = 10**7


def epoch_step(work: int, step_work: int) -> int:
    """Epochs per kernel call for an epoch of ``work`` when a call may do ``step_work``."""
    return max(1, step_work // max(work, 1))


def _chunked_perceptron(A, t, s, max_epochs: int, give_up: bool, budget: Budget) -> tuple:
    w, best, hist, st = _kernels.pocket_state(A.shape[1])
    check = give_up and _kernels.active_samples(s) >= 32
    step = epoch_step(A.shape[0] * (A.shape[1] + 1), PERCEPTRON_STEP_WORK)
    for ep in range(0, max_epochs, step):
        budget.check()
        _kernels.pocket_epochs(A, t, s, ep, min(ep + step, max_epochs), check, w, best, hist, st)
        if st[2]:
            break
    return _kernels.pocket_result(A, t, s, best, st)


def _perceptron(A, t, s, max_epochs: int = 1000, *, budget: Budget | None = None) -> UnitResult:
    return _run_perceptron(A, t, s, max_epochs, False, "perceptron", budget)


# m * (n + 1) * epochs of a descent kernel call with a budget (about 10 ms): a longer
# descent runs in chunks of epochs with the budget checked in between
DESCENT_STEP_WORK = 10**6


def _make_descent(loss: str) -> Callable:
    def solve(
        A,
        t,
        s,
        max_epochs: int = 200,
        lr: float = 0.1,
        l2: float = 0.0,
        seed: int = 0,
        *,
        budget: Budget | None = None,
    ) -> UnitResult:
        args = (A, t.astype(np.float64), s, loss_code(loss))
        max_epochs, lr, l2 = int(max_epochs), float(lr), float(l2)
        step = epoch_step(A.shape[0] * (A.shape[1] + 1), DESCENT_STEP_WORK)
        if budget is None or step >= max_epochs:
            w, _, ep, conv = _kernels.descend(*args, max_epochs, lr, l2, int(seed))
        else:  # the same epochs, a few per kernel call, the budget checked in between
            cur, w, order, st = _kernels.descent_state(A.shape[0], A.shape[1], int(seed))
            for ep0 in range(0, max_epochs, step):
                budget.check()
                ep1 = min(ep0 + step, max_epochs)
                _kernels.descent_epochs(*args, ep0, ep1, lr, l2, cur, w, order, st)
                if st[2]:
                    break
            ep, conv = int(st[3]), bool(st[2])
        return _proved(A, t, s, finish(A, t, s, w, True if conv else None, ep, loss))

    solve.__name__ = loss
    solve.__doc__ = (
        f"SGD on the {loss.replace('_', ' ')} layer loss; separable=True only when it separates."
    )
    return solve


def _lp(A, t, s, max_margin: bool = True, warm=None, *, budget: Budget | None = None) -> UnitResult:
    keep = s > 0
    every = bool(keep.all())
    if not every:
        warm = None  # a basis of the full LP does not fit the one without zero-weight rows
    sep, w, cert = (
        lp_separate(A, t, max_margin, warm, budget=budget)
        if every
        else lp_separate(A[keep], t[keep], max_margin, budget=budget)
    )
    if cert is not None and not every:
        full = np.zeros(A.shape[0])
        full[keep] = cert
        cert = full
    return finish(A, t, s, w, sep, 1, "lp", cert)


def conflicting_duplicates(A, t, s):
    """A certificate from two identical inputs with opposite targets, or None."""
    i, j = _kernels.duplicate_clash(A, t, s)
    if i < 0:
        return None
    lam = np.zeros(A.shape[0])
    lam[[i, j]] = 0.5
    return lam


# m * (n + 1) above which ``auto`` skips the perceptron: from (8, 64) up Newton is faster, and
# it proves separable units in 2 to 6 steps where the perceptron needs tens of epochs
NEWTON_FIRST = 256


def _newton_proof(A, t, s, max_iter: int = 30, budget: Budget | None = None) -> UnitResult:
    w, proof, it, mn = _newton.sq_hinge_newton(A, t, s, max_iter, budget)
    if proof == 1 or (proof == 2 and separates_exactly(A, t, s, w)):  # checked exactly
        return UnitResult(True, w, margin_of(w, mn), 0, int(it), None, "auto", {})
    return finish(A, t, s, w, None, it, "auto")


# (n + 1)^2 (m + n + 1) above which one Newton step (Hessian and Cholesky) takes more than
# about 0.1 s: such wide units go to the perceptron and the LP, which stay interruptible
NEWTON_MAX_WORK = 10**8


def _newton_pays(A) -> bool:
    m, n = A.shape
    return (n + 1) ** 2 * (m + n + 1) <= NEWTON_MAX_WORK


def _auto_after(
    A, t, s, pr: UnitResult | None, certificates=None, budget: Budget | None = None
) -> UnitResult:
    """Finish ``auto`` for a unit that the perceptron (``pr``, or None if skipped) did not prove:
    finite Newton (unless the unit is too wide), then conflicting duplicates, then a stored
    certificate (``certificates``, a CertificateStore of ``A``), then the LP."""
    if _newton_pays(A) or pr is None:  # (``_auto`` skips the perceptron only where Newton pays)
        nr = _newton_proof(A, t, s, budget=budget)
        if nr.separable:
            return nr
        if pr is None or nr.errors < pr.errors:
            pr = nr  # the better weights for a unit that turns out not separable
    cert = conflicting_duplicates(A, t, s)
    if cert is None and certificates is not None:
        cert = certificates.refute(t, s)  # the LP's verdict, without the LP
    if cert is not None:
        return UnitResult(False, pr.weights, pr.margin, pr.errors, pr.iterations, cert, "auto")
    lr = _lp(A, t, s, max_margin=False, warm=certificates, budget=budget)  # the last basis
    if lr.separable is False:
        if certificates is not None:
            certificates.add(t, lr.certificate)
        return UnitResult(
            False,
            pr.weights,
            pr.margin,
            pr.errors,
            pr.iterations + 1,
            lr.certificate,
            "auto",
        )
    lr.solver = "auto"
    return lr


def _auto(
    A, t, s, max_epochs: int = 64, certificates=None, *, budget: Budget | None = None
) -> UnitResult:
    pr = None
    if A.shape[0] * (A.shape[1] + 1) <= NEWTON_FIRST or not _newton_pays(A):
        pr = _run_perceptron(A, t, s, max_epochs, True, "auto", budget)
        if pr.separable:
            return pr
    return _auto_after(A, t, s, pr, certificates, budget)


# The built-in unit solvers, each registered by its entry point in pyproject.toml (group
# hardtarget.unit_solvers) exactly as a plugin's; a unit solver is a function
# ``(A, t, s, **options) -> UnitResult`` that declares its options (see check_unit_solver).
_EPOCHS = "epochs at most"
auto = declare(
    params={"max_epochs": Param("int", f"perceptron {_EPOCHS} before finite Newton", low=1)},
    summary="a fast proof first (perceptron, finite Newton), the exact LP when that fails",
)(_auto)
perceptron = declare(
    params={"max_epochs": Param("int", _EPOCHS, low=1)},
    summary="pocket perceptron; proves separability when it converges",
)(_perceptron)
lp = declare(
    params={"max_margin": Param("bool", "maximum-margin weights (else any separating ones)")},
    summary="exact: maximum-margin weights or a Farkas certificate (HiGHS)",
)(_lp)


def _descent(loss: str) -> Callable:
    return declare(
        params={
            "max_epochs": Param("int", _EPOCHS, low=1),
            "lr": Param("float", "learning rate", low=0),
            "l2": Param("float", "L2 penalty", low=0),
            "seed": Param("int", "seed of the sample order", low=0),
        },
    )(_make_descent(loss))


hinge = _descent("hinge")
saturated_hinge = _descent("saturated_hinge")
soft_hinge = _descent("soft_hinge")

SOLVERS = registry.mapping("unit_solvers")
"""``{name: solver}``: a live read-only view of the registry's unit solvers."""


def check_unit_solver(obj) -> None:
    """Refuse a registered unit solver that is not a function ``(A, t, s, **options)``.

    A unit solver takes the prepared unit (``A`` (m, n) float inputs, ``t`` (m,) ±1
    targets, ``s`` (m,) non-negative sample weights), its declared options as keywords
    (``params``: name -> :class:`~hardtarget.params.Param`) and the keyword ``budget`` (a
    :class:`~hardtarget.budget.Budget` to check in long loops, or None), and returns a
    :class:`~hardtarget.units.UnitResult` whose ``separable`` is True only when its
    weights separate the unit exactly, False only with a Farkas certificate, else None.

    Parameters
    ----------
    obj : object
        What an entry point of ``hardtarget.unit_solvers`` gave.

    Raises
    ------
    TypeError
        Naming what a unit solver must be.
    """
    if not callable(obj) or isinstance(obj, type):
        raise TypeError(f"a unit solver must be a function (A, t, s, **options), got {obj!r}")
    keywords = signature(obj).parameters
    if "budget" not in keywords and not any(p.kind == p.VAR_KEYWORD for p in keywords.values()):
        raise TypeError(f"unit solver {obj.__name__} must take the keyword argument `budget`")


def get_solver(name: str) -> Callable:
    """The solver function registered under ``name`` (``soft-hinge`` spells ``soft_hinge``).

    Parameters
    ----------
    name : str
        A solver name (:data:`SOLVERS`).

    Returns
    -------
    callable
    """
    return registry.get("unit_solvers", _canonical(name)).obj


def _canonical(name):
    return name.replace("-", "_") if isinstance(name, str) else name


def check_solver_options(name: str, options: dict) -> dict:
    """``options`` of unit solver ``name`` checked against its declarations and converted.

    Parameters
    ----------
    name : str
        A solver name.
    options : dict
        Option values (strings are converted, ``"8"`` -> 8).

    Returns
    -------
    dict

    Raises
    ------
    HardTargetError
        An unknown solver or option, or an invalid value, naming the valid ones.

    Examples
    --------
    >>> check_solver_options("perceptron", {"max_epochs": "50"})
    {'max_epochs': 50}
    """
    return registry.get("unit_solvers", _canonical(name)).check_options(options)


def solve_unit(
    inputs,
    targets,
    solver: str = "auto",
    sample_weight=None,
    cache=None,
    stop=None,
    budget: Budget | None = None,
    **options,
) -> UnitResult:
    """Train one hard-threshold unit on ``inputs`` (m x n) and ±1 ``targets`` (m,).

    ``sample_weight`` (m,) weighs each target (the paper's ``|dL/dh|``); samples with
    weight 0 do not constrain the unit.  Options go to the solver (e.g.
    ``max_epochs`` for perceptron, ``lr``/``l2``/``seed`` for the hinge family,
    ``max_margin`` for lp).  ``cache`` (a :class:`~hardtarget.units.cache.UnitCache`)
    returns a stored result for a subproblem solved before and, for ``auto``, the
    certificates of non-separable units on the same inputs, which refute most of their
    single-flip neighbours without an LP.  ``budget`` (a
    :class:`~hardtarget.budget.Budget`) is checked before the solve, between Newton
    steps, between chunks of perceptron and descent epochs on large units, and inside LP
    and QP solves; when it says stop, its :class:`~hardtarget.errors.StopRequested`
    (``BudgetExhausted`` or ``Interrupted``) is raised.

    Parameters
    ----------
    inputs : array-like of shape (n_samples, n_features)
        The unit's inputs.
    targets : array-like of shape (n_samples,)
        ±1 targets.
    solver : str, default="auto"
        ``auto``, ``lp``, ``perceptron``, ``hinge``, ``saturated_hinge`` or ``soft_hinge``.
    sample_weight : array-like of shape (n_samples,), optional
        Non-negative weight of each target.
    cache : UnitCache, optional
        Results of earlier solves.
    stop : callable, optional
        Deprecated: returns True to stop (use ``budget``).
    budget : Budget, optional
        The deadline and cancellation that the solve obeys.
    **options
        Passed to the solver.

    Returns
    -------
    UnitResult

    Raises
    ------
    StopRequested
        When ``budget`` says stop.

    Examples
    --------

    >>> import numpy as np
    >>> X = np.array([[-1, -1], [-1, 1], [1, -1], [1, 1]])
    >>> solve_unit(X, [-1, 1, 1, -1]).separable  # XOR
    False
    >>> solve_unit(X, [-1, -1, -1, 1]).separable  # AND
    True
    """
    entry = registry.get("unit_solvers", _canonical(solver))
    fn, options = entry.obj, entry.check_options(options)
    budget = legacy_stop(stop, "solve_unit") or budget
    A, t, s = prepare(inputs, targets, sample_weight)
    store = None
    if cache is not None:
        key = cache.key(A, t, s, solver, options)
        hit = cache.get(key)
        if hit is not None:
            return hit
        store = cache.store(key[0], A.shape) if fn is _auto else None
    result = run_solver(fn, solver, A, t, s, options, budget, store)
    if cache is not None:
        cache.put(key, result)
    return result


def run_solver(
    fn: Callable, name: str, A, t, s, options: dict, budget: Budget | None = None, store=None
) -> UnitResult:
    """Call a registered solver on a prepared unit: ``fn(A, t, s, budget=budget, **options)``.

    Every solver takes the keyword ``budget`` (None: never stop) and checks it in its long
    loops.  ``store`` (a CertificateStore of ``A``) goes to ``auto``, the one solver that
    asks it.  The options were checked against the solver's declarations
    (:func:`check_solver_options`) before the run; an error raised inside the solver (a
    ``TypeError`` included) is a bug and propagates.
    """
    if store is not None:
        options = dict(options, certificates=store)
    if budget is not None:
        budget.check()
    return fn(A, t, s, budget=budget, **options)
