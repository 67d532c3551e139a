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
so far) at a fixed slope: all units move at once (``ftprop``'s ``polish`` option).  A ``stop``
callback, looked at every few epochs, ends the training early with the best weights so far.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .._numeric import column_norms, column_sums, matmul, matmul_tn, preactivations, sech2, tanh
from ..errors import HardTargetError
from ..units import error_count, layer_loss_grad

__all__ = ["initial_targets", "polish_weights", "hidden_targets", "INITS"]

INITS = ("random", "ftprop-mb", "anneal")


def _random_weights(rng: np.random.Generator, widths: list) -> list:
    return [
        np.vstack([rng.standard_normal((a, b)) / np.sqrt(a), np.zeros((1, b))])
        for a, b in zip(widths[:-1], widths[1:])
    ]


def _forward(X, Ws, act):
    Hs, Zs, H = [X], [], X
    for W in Ws:
        Z = preactivations(H, W)
        Zs.append(Z)
        H = act.from_targets(np.where(Z > 0, 1, -1))
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


_CHECK_EVERY = 10  # epochs between looks at the stop callback (and at the hard network's errors)


def _never() -> bool:
    return False


def ftprop_mb_weights(
    X, t, hidden, act, rng, epochs: int = 1000, lr: float = 0.01, stop: Callable[[], bool] = _never
) -> list:
    """Full-batch FTPROP-MB with soft-hinge layer losses (FTP-SH); the best weights."""
    widths = [X.shape[1], *hidden, t.shape[1]]
    Ws = _random_weights(rng, widths)
    opt = _Adam(Ws, lr)
    best, best_err = [W.copy() for W in Ws], np.inf
    scale = 0.5 if act.kind == "step" else 1.0  # dh/dT for step units
    for ep in range(1, epochs + 1):
        if ep % _CHECK_EVERY == 0 and stop():
            break
        Hs, Zs = _forward(X, Ws, act)
        err = error_count(Zs[-1], t)
        if err < best_err:
            best, best_err = [W.copy() for W in Ws], err
            if err == 0:
                break
        g = t * layer_loss_grad("soft_hinge", t * Zs[-1])  # output soft hinge
        for d in range(len(Ws) - 1, -1, -1):
            grad = np.vstack([matmul_tn(Hs[d], g), column_sums(g)])
            if d > 0:
                gh = matmul(g, Ws[d][:-1].T) * scale  # dL_{d+1}/dh; target sign(-gh), weight |gh|
                g = gh * sech2(Zs[d - 1])
            opt.step(d, grad, ep)
    return best


def anneal_weights(
    X,
    t,
    hidden,
    act,
    rng,
    epochs: int = 6000,
    lr: float = 0.01,
    beta_max: float = 50.0,
    stop: Callable[[], bool] = _never,
) -> list:
    """Train a tanh network whose slope is annealed towards sign; return the best sign weights."""
    widths = [X.shape[1], *hidden, t.shape[1]]
    Ws = _random_weights(rng, widths)
    return _relax(X, t, Ws, act, epochs, lr, lambda ep: 1.0 + (beta_max - 1.0) * ep / epochs, stop)


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
    stop: Callable[[], bool] = _never,
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
    return _relax(X, t, Ws, act, epochs, lr, lambda ep: beta, stop)


def _relax(X, t, Ws, act, epochs, lr, beta_at: Callable[[int], float], stop) -> list:
    """Adam on ``tanh(beta * z)`` units with an output hinge loss, from ``Ws`` (changed in
    place); the sign network with the fewest errors along the way."""
    opt = _Adam(Ws, lr)
    best, best_err = [W.copy() for W in Ws], np.inf
    for ep in range(1, epochs + 1):
        beta = beta_at(ep)
        if ep % _CHECK_EVERY == 1:  # score the hard network now and then
            if ep > 1 and stop():
                break
            _, Zs = _forward(X, Ws, act)
            err = error_count(Zs[-1], t)
            if err < best_err:
                best, best_err = [W.copy() for W in Ws], err
                if err == 0:
                    break
        Hs, Ts = [X], []
        for W in Ws[:-1]:
            T = tanh(beta * preactivations(Hs[-1], W))
            Ts.append(T)
            Hs.append(T if act.kind == "sign" else (T + 1) / 2)
        z = preactivations(Hs[-1], Ws[-1])
        g = t * layer_loss_grad("hinge", t * z)  # output hinge
        for d in range(len(Ws) - 1, -1, -1):
            grad = np.vstack([matmul_tn(Hs[d], g), column_sums(g)])
            if d > 0:
                g = (
                    matmul(g, Ws[d][:-1].T)
                    * (1 if act.kind == "sign" else 0.5)
                    * beta
                    * (1 - Ts[d - 1] ** 2)
                )
            opt.step(d, grad, ep)
    return best


def hidden_targets(X, Ws: list, act) -> list:
    """The hidden targets (int8 ±1) that weights ``Ws`` produce on ``X``."""
    _, Zs = _forward(X, Ws, act)
    return [np.where(Z > 0, 1, -1).astype(np.int8) for Z in Zs[:-1]]


def initial_targets(
    problem,
    hidden: tuple,
    act,
    rng: np.random.Generator,
    method: str = "random",
    stop: Callable[[], bool] = _never,
    **training,
) -> list:
    """Hidden target arrays (int8 ±1) for the start of a local search.

    ``stop`` (called every few epochs) ends ``ftprop-mb``/``anneal`` training early;
    ``training`` (``epochs``, ``lr``) goes to their training loop.
    """
    if method not in INITS:
        raise HardTargetError(f"unknown init {method!r}; valid: {', '.join(INITS)}")
    X = problem.X
    t = problem.T_out.astype(np.float64)
    if method == "random":
        Ws = _random_weights(rng, [X.shape[1], *hidden, t.shape[1]])
        # balanced units: threshold each hidden unit at its median pre-activation
        H = X
        for W in Ws[:-1]:
            W[-1] = -np.median(matmul(H, W[:-1]), axis=0)
            H = act.from_targets(np.where(preactivations(H, W) > 0, 1, -1))
    elif method == "ftprop-mb":
        Ws = ftprop_mb_weights(X, t, hidden, act, rng, stop=stop, **training)
    else:
        Ws = anneal_weights(X, t, hidden, act, rng, stop=stop, **training)
    return hidden_targets(X, Ws, act)
