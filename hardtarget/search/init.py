"""Initial target settings for local search.

``random``: the hidden outputs of a random network (Algorithm 1, lines 1-2).
``ftprop-mb``: the hidden outputs of a network first trained for a few hundred
full-batch steps of FTPROP-MB (Algorithm 2) with soft-hinge layer losses, the target
heuristic and ``|dL/dh|`` weighting (the backward pass ``g * sech^2(z)``), with Adam.
``anneal``: the hidden outputs of a network trained with ``tanh(beta * z)`` units
whose slope ``beta`` grows from 1 to 50 (a continuation towards ``sign``), output
hinge loss, Adam; the sign network with the fewest errors along the way is kept.
Every hidden target column is the output of a real unit, hence feasible.
``polish_weights`` restarts that relaxation from a trained sign network (a search's best
so far) at a fixed slope: all units move at once (``ftprop``'s ``polish`` option).  A
:class:`~hardtarget.budget.Budget`, asked before every epoch through an
:class:`~hardtarget.budget.EpochGuard` (never starting an epoch that would end past its
deadline), ends the training early with the best weights so far.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .._numeric import column_norms, column_sums, matmul, matmul_tn, preactivations, sech2, tanh
from ..budget import Budget, EpochGuard
from ..errors import HardTargetError
from ..units import error_count, layer_loss_grad

__all__ = ["initial_targets", "start_network", "polish_weights", "hidden_targets", "INITS"]

INITS = ("random", "ftprop-mb", "anneal")


def _random_weights(rng: np.random.Generator, widths: list) -> list:
    return [
        np.vstack([rng.standard_normal((a, b)) / np.sqrt(a), np.zeros((1, b))])
        for a, b in zip(widths[:-1], widths[1:])
    ]


def _forward(X, Ws, act):
    Hs, Zs, H = [X], [], X
    off = -1.0 if act.kind == "sign" else 0.0  # act.from_targets(-1), without int64 temporaries
    for W in Ws:
        Z = preactivations(H, W)
        Zs.append(Z)
        H = np.where(Z > 0, 1.0, off)
        Hs.append(H)
    return Hs, Zs


class _Adam:
    """Adam on a list of weight matrices, updated in place one layer at a time.

    Elementwise basic operations only; the bias corrections' powers ``0.9**ep`` are running
    products (a libm ``pow`` may differ between machines in the last bit)."""

    def __init__(self, Ws: list, lr: float):
        self.Ws, self.lr = Ws, lr
        self.m = [np.zeros_like(W) for W in Ws]
        self.v = [np.zeros_like(W) for W in Ws]
        self.p1, self.p2, self.ep = 1.0, 1.0, 0  # 0.9**ep, 0.999**ep

    def step(self, d: int, grad: np.ndarray, ep: int) -> None:
        while self.ep < ep:
            self.p1, self.p2, self.ep = self.p1 * 0.9, self.p2 * 0.999, self.ep + 1
        self.m[d] = 0.9 * self.m[d] + 0.1 * grad
        self.v[d] = 0.999 * self.v[d] + 0.001 * (grad * grad)
        self.Ws[d] -= (
            self.lr * (self.m[d] / (1 - self.p1)) / (np.sqrt(self.v[d] / (1 - self.p2)) + 1e-8)
        )


_CHECK_EVERY = 10  # epochs between looks at the hard network's errors


def _over(guard: EpochGuard | None) -> bool:
    """Whether the training must end now (never without a guard)."""
    return guard is not None and guard.over()


# float64 entries (rows x (inputs + units of every layer)) above which an epoch runs over row
# blocks of about this size, with the budget asked between blocks: on 10^5 rows and
# 1,000 units one full-batch epoch takes seconds and gigabytes; smaller problems run whole
_BLOCK_ENTRIES = 1 << 21


def row_blocks(m: int, widths: list) -> list:
    """Row slices of about ``_BLOCK_ENTRIES`` entries for a network of layer ``widths``
    (inputs first) on ``m`` rows; one slice of every row when it fits."""
    rows = max(1, _BLOCK_ENTRIES // max(1, sum(widths)))
    if m <= rows:
        return [slice(None)]
    return [slice(a, a + rows) for a in range(0, m, rows)]


def _summed(blocks: list, fn: Callable, guard: EpochGuard | None):
    """``fn(rows)`` (a tuple of arrays or numbers) summed over the row ``blocks``, with
    ``guard`` asked between blocks; None when it says stop."""
    total = None
    for k, rows in enumerate(blocks):
        if k and _over(guard):
            return None
        part = fn(rows)
        total = part if total is None else [a + b for a, b in zip(total, part)]
    return total


def _widths(X, Ws) -> list:
    return [X.shape[1], *(W.shape[1] for W in Ws)]


def ftprop_mb_weights(
    X, t, hidden, act, rng, epochs: int = 1000, lr: float = 0.01, budget: Budget | None = None
) -> list:
    """Full-batch FTPROP-MB with soft-hinge layer losses (FTP-SH); the best weights."""
    return _ftprop_mb(X, t, hidden, act, rng, epochs, lr, _guard(budget))[0]


def _guard(budget: Budget | None) -> EpochGuard | None:
    return None if budget is None else EpochGuard(budget)


def _ftprop_mb(X, t, hidden, act, rng, epochs, lr, guard: EpochGuard | None) -> tuple:
    """:func:`ftprop_mb_weights`, and the hidden targets of the best weights."""
    widths = [X.shape[1], *hidden, t.shape[1]]
    Ws = _random_weights(rng, widths)
    opt = _Adam(Ws, lr)
    best, best_err, best_T = [W.copy() for W in Ws], np.inf, None
    scale = 0.5 if act.kind == "step" else 1.0  # dh/dT for step units
    blocks = row_blocks(X.shape[0], widths)
    T: list = []

    def part(rows) -> list:  # [errors, gradient of layer 0, 1, ...] on these rows
        Hs, Zs = _forward(X[rows], Ws, act)
        for Tl, Z in zip(T, Zs[:-1]):
            Tl[rows] = np.where(Z > 0, _ONE, _MINUS_ONE)
        tr = t[rows]
        grads: list[np.ndarray | None] = [None] * len(Ws)
        g = tr * layer_loss_grad("soft_hinge", tr * Zs[-1])  # output soft hinge
        for d in range(len(Ws) - 1, -1, -1):
            grads[d] = np.vstack([matmul_tn(Hs[d], g), column_sums(g)])
            if d > 0:
                gh = matmul(g, Ws[d][:-1].T) * scale  # dL_{d+1}/dh; target sign(-gh), weight |gh|
                g = gh * sech2(Zs[d - 1])
        return [error_count(Zs[-1], tr), *grads]

    for ep in range(1, epochs + 1):
        if ep > 1 and _over(guard):  # an epoch can take seconds on a large problem: ask before each
            break
        T[:] = _target_arrays(X.shape[0], Ws)
        out = _summed(blocks, part, guard if best_T is not None else None)
        if out is None:
            break
        err, grads = out[0], out[1:]
        if err < best_err:
            best, best_err, best_T = [W.copy() for W in Ws], err, list(T)
            if err == 0:
                break
        for d in range(len(Ws) - 1, -1, -1):
            opt.step(d, grads[d], ep)
    return best, best_T


_ONE, _MINUS_ONE = np.int8(1), np.int8(-1)


def _target_arrays(m: int, Ws: list) -> list:
    return [np.empty((m, W.shape[1]), dtype=np.int8) for W in Ws[:-1]]


def _score(X, t, Ws, act, blocks, guard: EpochGuard | None) -> tuple | None:
    """Training errors of the sign network ``Ws`` and its hidden targets (int8), block
    by block with ``guard`` asked in between; None when it says stop."""
    T = _target_arrays(X.shape[0], Ws)
    err = 0
    for k, rows in enumerate(blocks):
        if k and _over(guard):
            return None
        _, Zs = _forward(X[rows], Ws, act)
        err += error_count(Zs[-1], t[rows])
        for Tl, Z in zip(T, Zs[:-1]):
            Tl[rows] = np.where(Z > 0, _ONE, _MINUS_ONE)
    return err, T


def anneal_weights(
    X,
    t,
    hidden,
    act,
    rng,
    epochs: int = 6000,
    lr: float = 0.01,
    beta_max: float = 50.0,
    budget: Budget | None = None,
) -> list:
    """Train a tanh network whose slope is annealed towards sign; return the best sign weights."""
    return _anneal(X, t, hidden, act, rng, epochs, lr, beta_max, _guard(budget))[0]


def _anneal(X, t, hidden, act, rng, epochs=6000, lr=0.01, beta_max=50.0, guard=None) -> tuple:
    """:func:`anneal_weights`, and the hidden targets of the best weights."""
    widths = [X.shape[1], *hidden, t.shape[1]]
    Ws = _random_weights(rng, widths)
    return _relax(X, t, Ws, act, epochs, lr, lambda ep: 1.0 + (beta_max - 1.0) * ep / epochs, guard)


def polish_weights(
    X,
    t,
    start: list,
    act,
    rng,
    beta: float = 5.0,
    epochs: int = 1500,
    lr: float = 0.01,
    noise: float = 0.05,
    budget: Budget | None = None,
) -> list:
    """Continue from a sign network's weights ``start``: every unit scaled to unit norm (so
    that ``beta`` is the slope of ``tanh(beta * z)``), a little Gaussian noise on the hidden
    units (none on the output layer), then the relaxation of :func:`anneal_weights`
    at a fixed slope; the best sign weights."""
    Ws = []
    for d, W in enumerate(start):
        norms = column_norms(W[:-1])
        W = W / np.where(norms > 0, norms, 1.0)
        Ws.append(W + noise * rng.standard_normal(W.shape) if d < len(start) - 1 else W)
    return _relax(X, t, Ws, act, epochs, lr, lambda ep: beta, _guard(budget))[0]


def _relax(
    X, t, Ws, act, epochs, lr, beta_at: Callable[[int], float], guard: EpochGuard | None
) -> tuple:
    """Adam on ``tanh(beta * z)`` units with an output hinge loss, from ``Ws`` (changed in
    place); the sign network with the fewest errors along the way, and its hidden targets
    (the first scoring pass is never cut: it gives the start its targets)."""
    opt = _Adam(Ws, lr)
    best, best_err, best_T = [W.copy() for W in Ws], np.inf, None
    blocks = row_blocks(X.shape[0], _widths(X, Ws))
    beta = 1.0

    def gradients(rows) -> list:
        Hs, Ts = [X[rows]], []
        for W in Ws[:-1]:
            T = tanh(beta * preactivations(Hs[-1], W))
            Ts.append(T)
            Hs.append(T if act.kind == "sign" else (T + 1) / 2)
        z = preactivations(Hs[-1], Ws[-1])
        tr = t[rows]
        g = tr * layer_loss_grad("hinge", tr * z)  # output hinge
        grads: list[np.ndarray | None] = [None] * len(Ws)
        for d in range(len(Ws) - 1, -1, -1):
            grads[d] = np.vstack([matmul_tn(Hs[d], g), column_sums(g)])
            if d > 0:
                g = (
                    matmul(g, Ws[d][:-1].T)
                    * (1 if act.kind == "sign" else 0.5)
                    * beta
                    * (1 - Ts[d - 1] ** 2)
                )
        return grads

    for ep in range(1, epochs + 1):
        beta = beta_at(ep)
        if ep > 1 and _over(guard):  # an epoch can take seconds on a large problem: ask before each
            break
        if ep % _CHECK_EVERY == 1:  # score the hard network now and then
            out = _score(X, t, Ws, act, blocks, guard if best_T is not None else None)
            if out is None:
                break
            if out[0] < best_err:
                best, best_err, best_T = [W.copy() for W in Ws], out[0], out[1]
                if out[0] == 0:
                    break
        grads = _summed(blocks, gradients, guard)
        if grads is None:
            break
        for d in range(len(Ws) - 1, -1, -1):
            opt.step(d, grads[d], ep)
    return best, best_T


def hidden_targets(X, Ws: list, act) -> list:
    """The hidden targets (int8 ±1) that weights ``Ws`` produce on ``X``."""
    blocks = row_blocks(X.shape[0], _widths(X, Ws))
    if len(blocks) == 1:
        _, Zs = _forward(X, Ws, act)
        return [np.where(Z > 0, 1, -1).astype(np.int8) for Z in Zs[:-1]]
    out = [np.empty((X.shape[0], W.shape[1]), dtype=np.int8) for W in Ws[:-1]]
    for rows in blocks:  # block by block: the float64 activations never all at once
        _, Zs = _forward(X[rows], Ws, act)
        for T, Z in zip(out, Zs[:-1]):
            T[rows] = np.where(Z > 0, 1, -1)
    return out


def initial_targets(
    problem,
    hidden: tuple,
    act,
    rng: np.random.Generator,
    method: str = "random",
    budget: Budget | None = None,
    **training,
) -> list:
    """Hidden target arrays (int8 ±1) for the start of a local search.

    ``budget`` (asked before every epoch) ends ``ftprop-mb``/``anneal`` training early;
    ``training`` (``epochs``, ``lr``) goes to their training loop.
    """
    return start_network(problem, hidden, act, rng, method, budget, **training)[1]


def start_network(
    problem,
    hidden: tuple,
    act,
    rng: np.random.Generator,
    method: str = "random",
    budget: Budget | None = None,
    **training,
) -> tuple[list, list]:
    """The start network of a local search and the hidden targets it produces.

    Parameters
    ----------
    problem : Problem
    hidden : hidden-layer widths.
    act : the hidden activation (sign or step).
    rng : numpy Generator.
    method : one of :data:`INITS`.
    budget : Budget, optional
        Asked before every training epoch (and between row blocks of an epoch on a
        large problem) through an :class:`~hardtarget.budget.EpochGuard`: the training
        ends with the best weights so far rather than start an epoch that would end
        past the deadline.
    **training : ``epochs``, ``lr`` for ``ftprop-mb`` and ``anneal``.

    Returns
    -------
    weights : list of arrays ``(n_in + 1, n_out)``, one per layer (bias in the last row).
    targets : list of int8 ±1 arrays ``(n_samples, width)``, one per hidden layer.
    """
    if method not in INITS:
        raise HardTargetError(f"unknown init {method!r}; valid: {', '.join(INITS)}")
    X = problem.X
    t = problem.T_out.astype(np.float64)
    guard = _guard(budget)
    if method == "random":
        Ws = _random_weights(rng, [X.shape[1], *hidden, t.shape[1]])
        if len(row_blocks(X.shape[0], _widths(X, Ws))) > 1:
            return Ws, _balanced_blocks(X, Ws, act, guard)
        # balanced units: threshold each hidden unit at its median pre-activation
        H, targets = X, []
        for W in Ws[:-1]:
            W[-1] = -np.median(matmul(H, W[:-1]), axis=0)
            T = np.where(preactivations(H, W) > 0, 1, -1)
            targets.append(T.astype(np.int8))
            H = act.from_targets(T)
        return Ws, targets
    if method == "ftprop-mb":
        Ws, targets = _ftprop_mb(X, t, hidden, act, rng, guard=guard, **_defaults(1000, training))
    else:
        Ws, targets = _anneal(X, t, hidden, act, rng, guard=guard, **training)
    if targets is None:  # no epoch ran
        targets = hidden_targets(X, Ws, act)
    return Ws, targets


def _balanced_blocks(X, Ws: list, act, guard: EpochGuard | None = None) -> list:
    """The ``random`` start's median thresholds and hidden targets on a large problem: the
    pre-activations a few units at a time (each unit's median needs all its rows), the
    targets a block of rows at a time (no float64 copy of a whole layer).  When ``guard``
    says stop, the units not reached keep threshold 0 (still a random network)."""
    m, H, targets = X.shape[0], X, []
    stopped = False
    for W in Ws[:-1]:
        step = max(1, _BLOCK_ENTRIES // m)
        for a in range(0, W.shape[1], step):
            stopped = stopped or (a > 0 and _over(guard))
            if stopped:
                break
            Zt = np.ascontiguousarray(matmul(H, W[:-1, a : a + step]).T)  # a row per unit
            W[-1, a : a + step] = -np.median(Zt, axis=1)
        T = np.empty((m, W.shape[1]), dtype=np.int8)
        for rows in row_blocks(m, [H.shape[1], W.shape[1]]):
            T[rows] = np.where(preactivations(H[rows], W) > 0, _ONE, _MINUS_ONE)
        targets.append(T)
        H = T if len(targets) == len(Ws) - 1 else act.from_targets(T)
    return targets


def _defaults(epochs: int, training: dict) -> dict:
    return {"epochs": epochs, "lr": 0.01, **training}
