"""State evaluation: train every unit given a target setting, then score the network.

A *state* is a hidden target setting.  Evaluating it solves each unit's perceptron
subproblem (inputs ``g(T_{d-1})``, targets ``T_d``; ``T_0 = X``) with a unit solver,
reusing cached solves, assembles the network from the unit weights and computes the
output loss of its real forward pass (so an infeasible state is scored by what the
network actually does, not by what its targets wish).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..activations import get_activation
from ..errors import HardTargetError, StopRequested
from ..network import Network
from ..problem import Problem
from ..targets import TargetSetting, digest
from ..units import UnitCache, get_solver

__all__ = ["Evaluator", "State", "LOSSES"]

LOSSES = ("errors", "hinge", "saturated_hinge", "soft_hinge")


@dataclass
class State:
    """An evaluated target setting."""

    targets: TargetSetting
    loss: float
    errors: int
    network: Network
    unit_errors: int  # units whose trained weights miss some of their targets

    @property
    def feasible(self) -> bool:
        return self.unit_errors == 0


def output_loss(loss: str, z: np.ndarray, t: np.ndarray, errors: int) -> float:
    """The output loss of pre-activations ``z`` (m x k) against ±1 targets ``t``."""
    if loss == "errors":
        return float(errors)
    u = z * t
    if loss == "hinge":
        return float(np.maximum(0.0, 1.0 - u).sum())
    if loss == "saturated_hinge":
        return float(np.maximum(0.0, 1.0 - np.maximum(u, -1.0)).sum())
    return float((np.tanh(-u) + 1.0).sum())


class Evaluator:
    """Scores target settings for one problem and architecture.

    Parameters
    ----------
    problem : Problem
    hidden : widths of the hidden layers (``()`` for a single perceptron).
    activation : ``"sign"`` or ``"step"``.
    solver : unit solver name (default ``"auto"``).
    loss : ``"errors"`` (training errors, default) or a hinge-family output loss.
    cache : a UnitCache, or None to create one.
    refine : for a unit that cannot reach its targets, also try the hinge solver and
        keep the weights with fewer errors.
    """

    def __init__(self, problem: Problem, hidden=(), activation="sign", solver: str = "auto",
                 loss: str = "errors", cache: "UnitCache | None" = None, solver_options: "dict | None" = None,
                 refine: bool = True):
        self.problem = problem
        self.hidden = tuple(int(h) for h in hidden)
        if any(h < 1 for h in self.hidden):
            raise HardTargetError(f"hidden widths must be >= 1, got {self.hidden}; use hidden=() for no hidden layer")
        self.activation = get_activation(activation)
        if not self.activation.binary:
            raise HardTargetError(f"target search needs a binary activation (sign or step), got {self.activation.name!r}")
        self.solver_name = solver
        self.solver = get_solver(solver)
        if loss not in LOSSES:
            raise HardTargetError(f"unknown loss {loss!r}; valid: {', '.join(LOSSES)}")
        self.loss = loss
        self.cache = cache if cache is not None else UnitCache()
        self.solver_options = dict(solver_options or {})
        self.refine = bool(refine)
        self._hinge = get_solver("hinge")
        self.t_out = problem.T_out
        self._x_key = digest(problem.X)
        self._ones = np.ones(problem.n_samples)
        self.states_evaluated = 0
        self.stop = None  # zero-argument callable, True when the search must stop (set by the engine)

    @property
    def unit_solves(self) -> int:
        return self.cache.misses

    def check(self, targets) -> TargetSetting:
        """Validate a target setting against this architecture."""
        from ..targets import as_target_setting

        ts = as_target_setting(targets, self.problem.n_samples)
        if ts.widths != self.hidden:
            raise HardTargetError(
                f"target setting has hidden widths {ts.widths} but the architecture has {self.hidden}; "
                "give one (n_samples, width) array per hidden layer"
            )
        return ts

    def train_layer(self, inputs: np.ndarray, T: np.ndarray, input_key: "bytes | None" = None) -> tuple:
        """Weights ``(n_in + 1, k)`` and per-unit separability for one layer."""
        key_in = input_key or digest(inputs)
        cols, sep = [], []
        for j in range(T.shape[1]):
            if self.stop is not None and self.stop():
                raise StopRequested("stopped between unit solves")
            t = np.ascontiguousarray(T[:, j])
            key = self.cache.key(inputs, t, self._ones, self.solver_name, self.solver_options, key_in)
            r = self.cache.get(key)
            if r is None:
                r = self.solver(inputs, t, self._ones, **self.solver_options)
                if r.errors and self.refine:  # not separable: a hinge solve often errs less than the pocket
                    h = self._hinge(inputs, t, self._ones, max_epochs=50)
                    if h.errors < r.errors:
                        r = h
                self.cache.put(key, r)
            cols.append(r.weights)
            sep.append(r.errors == 0)
        return np.column_stack(cols), sep

    def evaluate(self, targets: TargetSetting, output_targets: "np.ndarray | None" = None) -> State:
        """Train all units for ``targets`` and score the assembled network.

        ``output_targets`` (m x k, ±1) trains the output units on other targets than
        the labels (exhaustive search uses the best separable relabelling); the loss
        is always measured against the labels.
        """
        act = self.activation
        weights, bad = [], 0
        inputs, key = self.problem.X, self._x_key
        for T in targets.layers:
            W, sep = self.train_layer(inputs, T, key)
            weights.append(W)
            bad += sep.count(False)
            inputs, key = act.from_targets(T), None
        T_out = self.t_out if output_targets is None else output_targets
        W, sep = self.train_layer(inputs, T_out, key)
        weights.append(W)
        bad += sep.count(False)
        net = Network(weights, [act] * len(weights), classes=self.problem.classes)
        z = net.decision_function(self.problem.X).reshape(self.t_out.shape)
        errors = int(np.count_nonzero(np.any((z > 0) != (self.t_out > 0), axis=1)))
        self.states_evaluated += 1
        return State(targets, output_loss(self.loss, z, self.t_out, errors), errors, net, bad)

    def initial_targets(self, rng: np.random.Generator, method: str = "random") -> TargetSetting:
        """Starting targets for local search (see :mod:`hardtarget.search.init`)."""
        from .init import initial_targets

        return TargetSetting(initial_targets(self.problem, self.hidden, self.activation, rng, method))
