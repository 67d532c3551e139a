"""Recursive feasible target propagation (paper, Algorithm 1).

``FTPROP(d)`` trains layer ``d`` on its inputs ``T_{d-1}`` and targets ``T_d``; if the
layer reproduces its targets the targets are feasible.  Otherwise, within a budget,
it proposes new targets for layer ``d - 1`` with the heuristic of equation (2),
``r(h) = sign(-dL_d/dh)``, flipping the entries where ``r(h)`` disagrees with the
current target, most confident first, and recurses to check that layer ``d - 1`` can
produce them.  When it cannot, layer ``d`` adopts what layer ``d - 1`` does produce
("based on the new outputs of layer d-1") and proposes again.
"""

from __future__ import annotations

import math

import numpy as np

from .._numeric import column_norms, matmul, preactivations
from ..network import Network
from ..status import Status
from ..targets import TargetSetting
from ..units import LAYER_LOSSES, layer_loss_grad
from .base import SearchContext, Strategy
from .init import INITS, hidden_targets, polish_weights
from .params import Param

__all__ = ["FTProp"]


class FTProp(Strategy):
    """Algorithm 1 with the target heuristic of equation (2).

    Parameters
    ----------
    budget : proposals per layer and call (the "computational budget of this layer").
    layer_loss : ``hinge``, ``saturated_hinge`` or ``soft_hinge``; its gradient sets targets.
    flip_fraction : share of the disagreeing targets flipped per proposal (at least one).
    restarts : new random initial targets after a failed top-level call.
    init : initial targets, ``anneal`` (default), ``ftprop-mb`` or ``random`` (see :mod:`.init`).
    polish : after each failed call, restart the continuous relaxation from the best
        network (slopes ``POLISH_BETAS``, all units move at once; see
        :func:`~hardtarget.search.init.polish_weights`), walking sideways through networks
        with as few errors and with more noise after each round without a new best, until
        ``POLISH_PATIENCE`` rounds in a row bring no fewer errors; then the next restart.
        Each sign network is evaluated exactly.
    seed : int or None, default=None
        Seed of the strategy's random choices (``solve(seed=...)`` sets it).
    """

    name = "ftprop"
    multi_output = True
    weighted = True
    params = {
        "budget": Param("int", "proposals per layer and call", low=0),
        "layer_loss": Param("str", "layer loss whose gradient sets targets", choices=LAYER_LOSSES),
        "flip_fraction": Param(
            "float", "share of disagreeing targets flipped per proposal", low=1e-9, high=1.0
        ),
        "restarts": Param("int", "new initial targets after a failed top-level call", low=0),
        "init": Param("str", "initial targets (see hardtarget.search.init)", choices=INITS),
        "polish": Param("bool", "relax the best network again after each failed call"),
    }

    def __init__(
        self,
        seed: int = 0,
        budget: int = 20,
        layer_loss: str = "hinge",
        flip_fraction: float = 0.1,
        restarts: int = 10,
        init: str = "anneal",
        polish: bool = False,
    ):
        self.seed = seed
        self.budget = budget
        self.layer_loss = layer_loss
        self.flip_fraction = flip_fraction
        self.restarts = restarts
        self.init = init
        self.polish = polish

    def run(self, ctx: SearchContext):
        for _ in range(self.restarts + 1):
            _Run(self, ctx).ftprop()
            if ctx.incumbent.errors == 0:
                return Status.FEASIBLE, "zero training errors"
            if self.polish and _polish(ctx):
                return Status.FEASIBLE, "zero training errors"
        return (
            Status.LOCAL_OPTIMUM,
            f"budget of every layer spent (best loss {ctx.incumbent.loss:g})",
        )


POLISH_BETAS = (2.0, 5.0, 10.0)
POLISH_PATIENCE = 8
POLISH_NOISE = 0.05


def _polish(ctx: SearchContext) -> bool:
    """Relax again at each slope of ``POLISH_BETAS`` from the current network (the best so
    far, then each relaxed network with no more errors than it) until ``POLISH_PATIENCE``
    rounds bring no fewer errors; the noise grows with each such round.  True at zero errors."""
    ev = ctx.evaluator
    X, t = ev.problem.X, ev.t_out.astype(np.float64)
    cur, stale = ctx.incumbent, 0
    while stale < POLISH_PATIENCE:
        before = ctx.incumbent.errors
        for beta in POLISH_BETAS:
            Ws = polish_weights(
                X,
                t,
                cur.network.weights,
                ev.activation,
                ctx.rng,
                beta,
                noise=POLISH_NOISE * (1 + stale),
                budget=ctx.budget,
            )
            state = ctx.evaluate(TargetSetting(hidden_targets(X, Ws, ev.activation)))
            if state.errors == 0:
                return True
            if state.errors <= cur.errors:
                cur = state  # a sideways step on the plateau
        stale = stale + 1 if ctx.incumbent.errors >= before else 0
    return False


class _Run:
    """One top-level FTPROP call: the targets ``T`` and weights ``W`` it works on."""

    def __init__(self, cfg: FTProp, ctx: SearchContext):
        ev = ctx.evaluator
        self.cfg, self.ctx = cfg, ctx
        self.L = len(ev.hidden) + 1
        start = ctx.start_state(cfg.init).targets
        self.T = [T.copy() for T in start.layers] + [ev.t_out]
        self.W: list = [None] * self.L

    def ftprop(self) -> bool:
        return self._ftprop(self.L)

    def _inputs(self, d: int) -> np.ndarray:
        ev = self.ctx.evaluator
        return ev.problem.X if d == 1 else ev.activation.from_targets(self.T[d - 2])

    def _train(self, d: int) -> bool:
        """Optimize W_d on (T_{d-1}, T_d); True when its activations equal its targets."""
        ev = self.ctx.evaluator
        self.ctx.budget.check()
        W, _ = ev.train_layer(self._inputs(d), self.T[d - 1], budget=self.ctx.budget)
        self.W[d - 1] = W
        self.ctx.evaluate(
            TargetSetting(self.T[:-1])
        )  # track the real network's loss, check budgets
        return bool(np.array_equal(self._outputs(d), self.T[d - 1]))

    def _outputs(self, d: int) -> np.ndarray:
        act = self.ctx.evaluator.activation
        Z = Network([self.W[d - 1]], [act]).preactivations(self._inputs(d))[0]
        return np.where(Z > 0, 1, -1).astype(np.int8)

    def _propose(self, d: int) -> bool:
        """Set T_{d-1} to reduce L_d (equation 2); False when nothing is left to flip."""
        W = self.W[d - 1]
        A = self._inputs(d)
        norms = column_norms(W[:-1])
        Wn = W / np.where(norms > 0, norms, 1.0)
        t = self.T[d - 1].astype(np.float64)
        z = preactivations(A, Wn)
        g = matmul(layer_loss_grad(self.cfg.layer_loss, t * z) * t, Wn[:-1].T)  # dL_d / dh_{d-1}
        cur = self.T[d - 2]
        r = np.where(g < 0, 1, -1)
        cand = np.flatnonzero(((r != cur) & (g != 0)).ravel())
        if cand.size == 0:
            return False
        k = max(1, math.ceil(self.cfg.flip_fraction * cand.size))
        pick = cand[np.argsort(-np.abs(g.ravel()[cand]), kind="stable")[:k]]
        flat = cur.ravel().copy()
        flat[pick] = -flat[pick]
        self.T[d - 2] = flat.reshape(cur.shape)
        return True

    def _ftprop(self, d: int) -> bool:
        if self._train(d):
            return True
        if d == 1:
            return False
        for _ in range(self.cfg.budget):
            if not self._propose(d):
                return False
            if not self._ftprop(d - 1):
                self.T[d - 2] = self._outputs(d - 1)  # adopt what layer d-1 can produce
            if self._train(d):
                return True
        return False
