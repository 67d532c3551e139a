"""Feasibility of a target setting (paper, Definition 2 and Proposition 1).

A setting ``T_1 ... T_{L-1}`` is feasible when every unit of every layer, given its
inputs ``T_{d-1}`` (``T_0 = X``) and its targets ``T_d``, has a linearly separable
problem.  :func:`verify_targets` checks each unit exactly and, when all are separable,
assembles the network from the unit weights and checks that it reproduces every
hidden target and classifies every training point (Proposition 1).

Not to be confused with :func:`hardtarget.verify_export` (an exported file against its
network); ``verify`` is the deprecated name of :func:`verify_targets`.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np

from .activations import get_activation
from .network import Network
from .problem import Problem
from .status import Status
from .targets import as_target_setting
from .units import polish_unit, solve_layer
from .units.objectives import _normalized

__all__ = ["FeasibilityReport", "layer_problems", "verify_targets", "polish"]


@dataclass
class UnitReport:
    """One unit's verdict: weights and margin when separable, a certificate when not.

    ``margin`` is the geometric margin ``min t*z / ||w[:-1]||_2`` of ``weights``,
    ``normalized_margin`` the same divided by the largest input norm of the unit's
    layer (comparable across layers, see :mod:`hardtarget.units.objectives`),
    ``nonzero_weights`` the nonzero input weights (bias not counted).
    """

    layer: int
    unit: int
    separable: bool | None
    margin: float
    errors: int
    weights: np.ndarray
    certificate: np.ndarray | None
    normalized_margin: float = float("nan")
    nonzero_weights: int = 0

    def to_dict(self) -> dict:
        d = {
            "layer": self.layer,
            "unit": self.unit,
            "separable": self.separable,
            "margin": _num(self.margin),
            "normalized_margin": _num(self.normalized_margin),
            "nonzero_weights": self.nonzero_weights,
            "errors": self.errors,
            "weights": self.weights.tolist(),
        }
        if self.certificate is not None:
            support = np.flatnonzero(self.certificate > 0)
            d["certificate"] = {
                "support": support.tolist(),
                "lambda": self.certificate[support].tolist(),
            }
        return d


def _num(x: float):
    return x if np.isfinite(x) else str(x)


@dataclass
class FeasibilityReport:
    """Result of :func:`verify_targets`.

    ``feasible`` is True when every unit is separable, False when some unit has a
    certificate of non-separability, None if a verdict is unknown.  When feasible,
    ``network`` is the assembled network, ``reproduces_targets`` says whether its
    forward pass gives every hidden target, ``train_accuracy`` its accuracy.

    Parameters
    ----------
    feasible : bool or None
        The verdict.
    units : list of list of UnitReport
        Per layer, per unit: verdict, margin, errors, weights or certificate.
    network : Network or None
        The assembled network, when feasible.
    reproduces_targets : bool or None
        Whether the network's forward pass gives every hidden target.
    train_accuracy : float or None
        The network's training accuracy.
    problem : str
        The problem's name.

    Examples
    --------
    >>> import hardtarget as ht
    >>> xor = ht.load_problem("xor")
    >>> report = ht.verify_targets(xor, [xor.t.reshape(-1, 1)])  # the hidden unit gets XOR itself
    >>> report.feasible, [u.unit for u in report.infeasible_units()]
    (False, [0])
    """

    feasible: bool | None
    units: list = field(default_factory=list)
    network: Network | None = None
    reproduces_targets: bool | None = None
    train_accuracy: float | None = None
    problem: str = ""

    @property
    def status(self) -> Status:
        """The verdict as a :class:`~hardtarget.Status`: ``feasible``, ``infeasible`` (a
        certificate proves a unit non-separable) or ``unknown``."""
        if self.feasible is None:
            return Status.UNKNOWN
        return Status.FEASIBLE if self.feasible else Status.INFEASIBLE

    def infeasible_units(self) -> list:
        """The unit reports proven non-separable (with their certificates)."""
        return [u for layer in self.units for u in layer if u.separable is False]

    def to_dict(self) -> dict:
        """The report as strict-JSON data (weights and certificates as lists)."""
        return {
            "problem": self.problem,
            "feasible": self.feasible,
            "widths": [len(layer) for layer in self.units],
            "reproduces_targets": self.reproduces_targets,
            "train_accuracy": self.train_accuracy,
            "units": [u.to_dict() for layer in self.units for u in layer],
        }

    def summary(self) -> str:
        """A few lines of text: the verdict and one line per unit."""
        lines = [f"problem {self.problem}: {self.status.value.upper()}"]
        for layer in self.units:
            for u in layer:
                if u.separable:
                    lines.append(
                        f"  layer {u.layer} unit {u.unit}: separable, margin {u.margin:.4g} "
                        f"(normalized {u.normalized_margin:.4g}), "
                        f"{u.nonzero_weights} nonzero weights"
                    )
                elif u.separable is False:
                    k = int(np.count_nonzero(u.certificate))
                    lines.append(
                        f"  layer {u.layer} unit {u.unit}: NOT separable "
                        f"(certificate on {k} points)"
                    )
                else:
                    lines.append(f"  layer {u.layer} unit {u.unit}: unknown")
        if self.feasible:
            lines.append(
                f"  assembled network reproduces targets: {self.reproduces_targets}; "
                f"train accuracy {self.train_accuracy:.4f}"
            )
        return "\n".join(lines)


def layer_problems(problem: Problem, targets, activation="sign") -> list:
    """The unit subproblems of a target setting, one ``(inputs, targets)`` pair per layer.

    Layer ``d`` sees ``g(T_{d-1})`` (``T_0 = X``) and must produce ``T_d``; the last layer
    must produce the problem's output targets, one column per output unit (several for a
    one-vs-rest problem).  :func:`verify_targets` and :func:`~hardtarget.search.sat_verify`
    both
    check exactly these pairs.

    >>> import hardtarget as ht
    >>> [(A.shape, T.shape) for A, T in layer_problems(ht.load_problem("iris:all"), [])]
    [((150, 4), (150, 3))]
    """
    act = get_activation(activation)
    ts = as_target_setting(targets, problem.n_samples)
    inputs = [problem.X] + [act.from_targets(T) for T in ts.layers]
    return list(zip(inputs, ts.layers + [problem.T_out]))


def verify_targets(
    problem: Problem,
    targets,
    activation: str = "sign",
    solver: str = "lp",
    objective: str | None = None,
) -> FeasibilityReport:
    """Check a hidden target setting for feasibility, unit by unit (``hardtarget verify``).

    Exactly the paper's Definition 2: every unit's subproblem is linearly separable.  A
    SAT encoding of the same check is :func:`~hardtarget.search.sat_verify`; an exported
    file is checked by :func:`~hardtarget.verify_export`.

    Parameters
    ----------
    problem : Problem
    targets : TargetSetting or list of ``(n_samples, n_units)`` ±1 arrays, one per
        hidden layer (an empty list checks a single perceptron).
    activation : ``"sign"`` or ``"step"`` (the value a hidden unit feeds forward).
    solver : unit solver; ``"lp"`` (default) gives maximum-margin weights and
        certificates, ``"auto"`` is faster with the same verdicts.
    objective : None (the solver's weights), ``"margin"`` (every separable unit's
        maximum-margin weights, :func:`hardtarget.units.max_margin`) or ``"sparsity"``
        (the fewest nonzero weights, :func:`hardtarget.units.sparse_weights`); the
        weights are checked exactly either way.

    Examples
    --------
    >>> import hardtarget as ht
    >>> p = ht.load_problem("xor")
    >>> ht.verify_targets(p, []).feasible          # no hidden layer: XOR is not separable
    False
    >>> T1 = np.stack([p.X[:, 0] > 0, p.X[:, 1] > 0], axis=1) * 2 - 1  # copies the inputs
    >>> ht.verify_targets(p, [T1]).feasible        # the output unit still faces XOR
    False
    """
    act = get_activation(activation)
    ts = as_target_setting(targets, problem.n_samples)
    units = []
    for d, (A, T) in enumerate(layer_problems(problem, ts, act), start=1):
        results = solve_layer(A, T, solver=solver)
        layer = []
        for j, r in enumerate(results):
            w, margin = r.weights, r.margin
            if objective not in (None, "errors") and r.separable:
                p = polish_unit(objective, A, T[:, j])
                if p.verified:
                    w, margin = p.weights, p.margin
            t = np.ascontiguousarray(T[:, j], dtype=np.int8)
            Af = np.ascontiguousarray(A, dtype=np.float64)
            norm = _normalized(Af, t, np.ones(len(t)), w)
            nz = int(np.count_nonzero(w[:-1]))
            layer.append(
                UnitReport(d, j, r.separable, margin, r.errors, w, r.certificate, norm, nz)
            )
        units.append(layer)
    verdicts = [u.separable for layer in units for u in layer]
    feasible = False if False in verdicts else (None if None in verdicts else True)
    report = FeasibilityReport(feasible, units, problem=problem.name)
    if feasible:
        net = Network(
            [np.column_stack([u.weights for u in layer]) for layer in units],
            [act] * len(units),
            classes=problem.classes,
        )
        outs = net.forward(problem.X)
        report.network = net
        report.reproduces_targets = all(
            np.array_equal(H, act.from_targets(T)) for H, T in zip(outs[:-1], ts.layers)
        )
        predicted = np.where(outs[-1] == act.levels[-1], 1, -1)
        report.train_accuracy = float(np.mean(np.all(predicted == problem.T_out, axis=1)))
    return report


def verify(*args, **kwargs) -> FeasibilityReport:
    """Deprecated name of :func:`verify_targets` (it says what is verified)."""
    warnings.warn(
        "hardtarget.verify is renamed hardtarget.verify_targets (a target setting's "
        "feasibility; hardtarget.verify_export checks an exported file)",
        DeprecationWarning,
        stacklevel=2,
    )
    return verify_targets(*args, **kwargs)


def polish(network: Network, X, objective: str = "margin") -> tuple[Network, list]:
    """The same network with every unit's weights chosen by ``objective``, targets unchanged.

    Each unit keeps the outputs it has on ``X`` (its own activations become its targets,
    the output layer's included), so the polished network makes the same predictions on
    ``X``; its weights are the maximum-margin (``"margin"``) or sparsest (``"sparsity"``)
    ones that reproduce them, checked exactly.  A unit whose new weights do not verify
    keeps its old ones.

    Parameters
    ----------
    network : Network with sign or step units
    X : array of shape (n_samples, n_features)
    objective : ``"margin"`` (default) or ``"sparsity"``

    Returns
    -------
    (Network, list of ObjectiveResult)
        The polished network and, per unit (layer by layer), what the objective found.

    Examples
    --------
    >>> import hardtarget as ht
    >>> p = ht.load_problem("xor")
    >>> net = ht.solve(p, (2,), "exhaustive").network
    >>> wide, units = polish(net, p.X)
    >>> bool((wide.predict(p.X) == net.predict(p.X)).all()), all(u.verified for u in units)
    (True, True)
    """
    from .errors import HardTargetError
    from .problem import check_inputs

    if not all(a.binary for a in network.activations):
        raise HardTargetError("polish needs sign or step units (a binary activation)")
    inputs = check_inputs(X)
    weights, found = [], []
    for W, Z, act in zip(network.weights, network.preactivations(inputs), network.activations):
        T = np.where(Z > 0, 1, -1).astype(np.int8)
        cols = []
        for j in range(W.shape[1]):
            r = polish_unit(objective, inputs, T[:, j])
            found.append(r)
            cols.append(r.weights if r.verified else W[:, j])
        weights.append(np.column_stack(cols))
        inputs = act.from_targets(T)
    return Network(weights, list(network.activations), classes=network.classes), found
