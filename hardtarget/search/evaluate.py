"""State evaluation: train every unit given a target setting, then score the network.

A *state* is a hidden target setting.  Evaluating it solves each unit's perceptron
subproblem (inputs ``g(T_{d-1})``, targets ``T_d``; ``T_0 = X``) with a unit solver,
reusing cached solves, assembles the network from the unit weights and computes the
output loss of its real forward pass (so an infeasible state is scored by what the
network actually does, not by what its targets wish).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..activations import get_activation
from ..budget import Budget
from ..errors import HardTargetError
from ..network import Network, hidden_widths
from ..problem import Problem
from ..targets import TargetSetting, digest
from ..units import (
    LAYER_LOSSES,
    UnitCache,
    error_count,
    get_solver,
    layer_loss,
    polish_unit,
    solve_layer,
)
from ..units.objectives import _normalized, _radius
from .init import row_blocks
from .memory import check_memory

__all__ = ["LOSSES", "OBJECTIVES", "Evaluator", "State", "check_objective"]

LOSSES = ("errors", *LAYER_LOSSES)
OBJECTIVES = ("errors", "margin", "sparsity")


def check_objective(objective) -> str:
    """``objective`` if it is one of :data:`OBJECTIVES`, else a HardTargetError."""
    if objective not in OBJECTIVES:
        raise HardTargetError(
            f"unknown objective {objective!r}; valid: {', '.join(OBJECTIVES)} "
            "(see docs/guide/objectives.md)"
        )
    return objective


@dataclass
class State:
    """An evaluated target setting."""

    targets: TargetSetting
    loss: float
    errors: int
    network: Network
    unit_errors: int  # units whose trained weights miss some of their targets
    score: tuple = ()  # the objective's preference after the loss (larger is better)
    units: list | None = None  # per unit: (layer, unit, normalized margin, nonzero weights)

    @property
    def feasible(self) -> bool:
        return self.unit_errors == 0

    @property
    def rank(self) -> tuple:
        """Sort key, smaller is better: the loss, then the objective's score (negated)."""
        return (self.loss, *(-x for x in self.score))


def objective_score(objective: str, units: list) -> tuple:
    """The score of a state's units under ``objective`` (larger is better; ``()`` for errors).

    ``margin``: the smallest normalized margin over the units, then their mean (a constant
    unit counts as 1, the most a non-constant unit can have); ``sparsity``: minus the
    nonzero input weights of all units, then the smallest normalized margin.
    """
    if objective == "errors" or not units:
        return ()
    margins = [min(u[2], 1.0) for u in units]
    if objective == "margin":
        return (min(margins), math.fsum(margins) / len(margins))
    return (-float(sum(u[3] for u in units)), min(margins))


def output_loss(loss: str, z: np.ndarray, t: np.ndarray, errors: int, sample_weight=None) -> float:
    """The output loss of pre-activations ``z`` (m x k) against ±1 targets ``t``; with
    ``sample_weight`` (m,) each sample's part weighed (``errors``: the weight of the
    samples with some output wrong)."""
    if sample_weight is None:
        if loss == "errors":
            return float(errors)
        return float(layer_loss(loss, z * t).sum())
    if loss == "errors":
        wrong = np.any((z > 0) != (t > 0), axis=1)
        return float(np.sum(sample_weight[wrong]))
    return float(np.sum(sample_weight[:, None] * layer_loss(loss, z * t)))


def _weights(sample_weight, m: int) -> np.ndarray | None:
    if sample_weight is None:
        return None
    w = np.asarray(sample_weight, dtype=np.float64)
    if w.shape != (m,) or not np.all(np.isfinite(w)) or np.any(w < 0) or not np.any(w > 0):
        raise HardTargetError(
            f"sample_weight must be {m} finite non-negative numbers, not all 0 "
            f"(got shape {w.shape})"
        )
    return w


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
    solver_options : dict, optional
        Options for every unit solve.
    sample_weight : (m,) non-negative weights, or None: unit solves and the output loss
        weigh each sample; a sample of weight 0 constrains nothing and is not counted.
    objective : ``errors`` (default: any separating weights), ``margin`` (every separable
        unit gets its maximum-margin weights; states with equal loss rank by their
        units' normalized margins) or ``sparsity`` (the fewest nonzero weights; states
        rank by the total), see :mod:`hardtarget.units.objectives`.
    """

    def __init__(
        self,
        problem: Problem,
        hidden=(),
        activation="sign",
        solver: str = "auto",
        loss: str = "errors",
        cache: UnitCache | None = None,
        solver_options: dict | None = None,
        refine: bool = True,
        sample_weight=None,
        objective: str = "errors",
    ):
        self.problem = problem
        self.sample_weight = _weights(sample_weight, problem.n_samples)
        self.objective = check_objective(objective)
        self.hidden = hidden_widths(hidden)
        check_memory(problem.n_samples, problem.n_features, self.hidden, problem.T_out.shape[1])
        self.activation = get_activation(activation)
        if not self.activation.binary:
            raise HardTargetError(
                "target search needs a binary activation (sign or step), "
                f"got {self.activation.name!r}"
            )
        self.solver_name = solver
        get_solver(solver)  # an unknown name fails here, not at the first state
        loss = loss.replace("-", "_") if isinstance(loss, str) else loss
        if loss not in LOSSES:
            raise HardTargetError(f"unknown loss {loss!r}; valid: {', '.join(LOSSES)}")
        self.loss = loss
        self.cache = cache if cache is not None else UnitCache()
        self.solver_options = dict(solver_options or {})
        self.refine = bool(refine)
        self.t_out = problem.T_out
        self._x_key = digest(problem.X)
        self.states_evaluated = 0

    @property
    def unit_solves(self) -> int:
        return self.cache.misses

    def check(self, targets) -> TargetSetting:
        """Validate a target setting against this architecture.

        Parameters
        ----------
        targets : TargetSetting
            Hidden targets.

        Raises
        ------
        HardTargetError
            Wrong number of layers, widths or rows.
        """
        from ..targets import as_target_setting

        ts = as_target_setting(targets, self.problem.n_samples)
        if ts.widths != self.hidden:
            raise HardTargetError(
                f"target setting has hidden widths {ts.widths} "
                f"but the architecture has {self.hidden}; "
                "give one (n_samples, width) array per hidden layer"
            )
        return ts

    def train_layer(
        self,
        inputs: np.ndarray,
        T: np.ndarray,
        input_key: bytes | None = None,
        budget: Budget | None = None,
    ) -> tuple:
        """Weights ``(n_in + 1, k)`` and per-unit separability for one layer.

        Units come from :func:`~hardtarget.units.solve_layer` with this evaluator's cache
        and the caller's ``budget``; ``input_key`` is a digest of ``inputs`` computed before.

        Parameters
        ----------
        inputs : numpy.ndarray
            The layer's inputs ``(n_samples, n_in)``.
        T : numpy.ndarray
            Its targets ``(n_samples, k)``.
        input_key : bytes, optional
            Digest of ``inputs``.
        budget : Budget, optional
            Checked by the unit solves (None: never stop).

        Returns
        -------
        tuple
            The weights and a boolean array of separable units.
        """
        results = solve_layer(
            inputs,
            T,
            self.solver_name,
            cache=self.cache,
            budget=budget,
            refine=self.refine,
            input_key=input_key,
            sample_weight=self.sample_weight,
            **self.solver_options,
        )
        weights = [r.weights for r in results]
        if self.objective != "errors":
            T = np.asarray(T).reshape(len(inputs), -1)
            for j, r in enumerate(results):
                if r.separable:
                    weights[j] = self._polish(inputs, T[:, j], input_key, budget)
        return np.column_stack(weights), [r.errors == 0 for r in results]

    def _polish(
        self, inputs: np.ndarray, t: np.ndarray, input_key: bytes | None, budget: Budget | None
    ) -> np.ndarray:
        """The objective's weights for a separable unit (cached like a unit solve)."""
        A = np.ascontiguousarray(inputs, dtype=np.float64)
        t = np.ascontiguousarray(t, dtype=np.int8)
        ones = np.ones(A.shape[0])
        key = self.cache.key(A, t, ones, f"objective:{self.objective}", {}, input_key)
        hit = self.cache.get(key)
        if hit is not None:
            return hit.weights
        if budget is not None:
            budget.check()
        r = polish_unit(self.objective, A, t, budget=budget)
        if not r.verified:  # keep the solver's weights (no exact check passed)
            r.weights = solve_layer(A, t.reshape(-1, 1), self.solver_name, cache=self.cache)[
                0
            ].weights
        # an objective's key holds its ObjectiveResult (only the weights are read back): the
        # unit cache is typed for the solvers' UnitResult
        self.cache.put(key, r)  # type: ignore[arg-type]
        return r.weights

    def unit_report(self, network: Network, targets: TargetSetting) -> list:
        """Per unit ``(layer, unit, normalized margin, nonzero input weights)`` of
        ``network`` on its targets (layers from 1; the output layer last).

        Parameters
        ----------
        network : Network
            The network whose units are reported.
        targets : TargetSetting
            Its hidden targets (the output targets are the problem's).

        Returns
        -------
        list of tuple
        """
        act = self.activation
        out, inputs = [], self.problem.X
        layers = [*targets.layers, self.t_out]
        for d, (W, T) in enumerate(zip(network.weights, layers), start=1):
            ones = np.ones(inputs.shape[0])
            A = np.ascontiguousarray(inputs, dtype=np.float64)
            R = _radius(A, ones)
            for j in range(W.shape[1]):
                w = np.ascontiguousarray(W[:, j])
                t = np.ascontiguousarray(T[:, j], dtype=np.int8)
                mg = _normalized(A, t, ones, w, R)
                out.append((d, j, mg, int(np.count_nonzero(w[:-1]))))
            inputs = act.from_targets(T)
        return out

    def evaluate(
        self,
        targets: TargetSetting,
        output_targets: np.ndarray | None = None,
        budget: Budget | None = None,
    ) -> State:
        """Train all units for ``targets`` and score the assembled network.

        ``output_targets`` (m x k, ±1) trains the output units on other targets than
        the labels (exhaustive search uses the best separable relabelling); the loss
        is always measured against the labels.  ``budget`` is checked between the
        layers and by the unit solves, and counts the state (:meth:`Budget.spend`).

        Parameters
        ----------
        targets : TargetSetting
            Hidden targets.
        output_targets : numpy.ndarray, optional
            ``(n_samples, k)`` ±1 targets of the output units.
        budget : Budget, optional
            The run's budget (None: never stop).

        Returns
        -------
        Evaluation
        """
        act = self.activation
        weights, bad = [], 0
        inputs = self.problem.X
        key: bytes | None = self._x_key  # the inputs' digest (hidden layers: none)
        for T in targets.layers:
            _check(budget)  # each step takes seconds at large sizes (hashes, copies)
            W, sep = self.train_layer(inputs, T, key, budget)
            weights.append(W)
            bad += sep.count(False)
            _check(budget)
            inputs, key = act.from_targets(T), None
        T_out = self.t_out if output_targets is None else output_targets
        _check(budget)
        W, sep = self.train_layer(inputs, T_out, key, budget)
        weights.append(W)
        bad += sep.count(False)
        _check(budget)
        net = Network(weights, [act] * len(weights), classes=self.problem.classes)
        z = net.decision_function(self.problem.X).reshape(self.t_out.shape)
        sw = self.sample_weight
        counted = slice(None) if sw is None else sw > 0
        errors = error_count(z[counted], self.t_out[counted])
        self.states_evaluated += 1
        if budget is not None:
            budget.spend()
        loss = output_loss(self.loss, z, self.t_out, errors, sw)
        if self.objective == "errors":
            return State(targets, loss, errors, net, bad)
        if errors == 0 and bad and output_targets is None:
            # a fit whose units miss some targets: score the network's own activations
            # (every unit reproduces them, so each gets the objective's weights)
            Zs = net.preactivations(self.problem.X)[:-1]
            realized = TargetSetting([np.where(Z > 0, 1, -1).astype(np.int8) for Z in Zs])
            state = self.evaluate(realized, budget=budget)
            if state.errors == 0 and state.unit_errors == 0:
                self.states_evaluated -= 1  # one state, evaluated twice
                if budget is not None:
                    budget.spend(-1)
                return state
        units = self.unit_report(net, targets)
        return State(targets, loss, errors, net, bad, objective_score(self.objective, units), units)

    def network_state(self, targets: TargetSetting, weights: list) -> State:
        """Score a network whose hidden units produce ``targets`` (a start network) as a
        state, without unit solves; it does not count as an evaluated state.

        Only the output layer runs (on the last hidden targets), unless that finds zero
        errors: then the whole network runs on the inputs, so that a fit is the
        network's own.

        Parameters
        ----------
        targets : the hidden outputs of the network on the problem's inputs.
        weights : its weight matrices ``(n_in + 1, n_out)``, one per layer.

        Returns
        -------
        State (``unit_errors`` counts the output units that miss some label).
        """
        act = self.activation
        weights = [np.asarray(W, dtype=np.float64) for W in weights]
        net = Network(weights, [act] * len(weights), classes=self.problem.classes)
        out, k = Network(weights[-1:], [act]), self.t_out.shape[1]
        H = targets.layers[-1] if targets.layers else self.problem.X
        z = np.vstack(  # block by block: no float64 copy of all the hidden targets
            [
                out.decision_function(
                    act.from_targets(H[rows]) if targets.layers else H[rows]
                ).reshape(-1, k)
                for rows in row_blocks(H.shape[0], [H.shape[1], k])
            ]
        )
        errors = error_count(z, self.t_out)
        if errors == 0:
            z = net.decision_function(self.problem.X).reshape(self.t_out.shape)
            errors = error_count(z, self.t_out)
        missed = int(np.count_nonzero(np.any((z > 0) != (self.t_out > 0), axis=0)))
        # a search objective ranks it below any scored state of the same loss
        score = () if self.objective == "errors" else (-math.inf, -math.inf)
        loss = output_loss(self.loss, z, self.t_out, errors, self.sample_weight)
        return State(targets, loss, errors, net, missed, score)


def _check(budget: Budget | None) -> None:
    if budget is not None:
        budget.check()
