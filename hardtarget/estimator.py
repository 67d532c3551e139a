"""``HardThresholdClassifier``: a scikit-learn estimator that trains by target search.

Defaults (measured in ``benchmarks/bench_generalization.py``; see
``docs/guide/estimator.md``): inputs on different scales standardized inside ``fit``
(folded into the first layer's weights afterwards), one exact member per pair of
classes (``multiclass="auto"``: one-vs-one), each member the smallest network of one
hidden layer that fits its data exactly (``hidden="auto"``,
:mod:`hardtarget.search.auto`), its units then replaced by their maximum-margin
separators with the hidden targets unchanged, all within ``time_limit`` seconds.
"""

from __future__ import annotations

import logging
import time

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted

from .ensemble import ovo_network, ovo_pairs, ovr_network
from .errors import HardTargetError
from .export._plan import input_domain
from .feasibility import polish
from .network import Network
from .problem import make_problem
from .search.auto import MIN_SHARE

try:
    from sklearn.utils.validation import validate_data as _sk_validate
except ImportError:  # scikit-learn < 1.6

    def _sk_validate(estimator, *args, **kwargs):
        return estimator._validate_data(*args, **kwargs)


__all__ = ["HardThresholdClassifier", "MULTICLASS", "SCALE_RATIO", "needs_scaling"]

log = logging.getLogger("hardtarget.estimator")

MULTICLASS = ("auto", "ovo", "ovr", "shared")


def _validate_data(estimator, *args, **kwargs):
    """scikit-learn's input validation, its ValueErrors raised as HardTargetError."""
    try:
        return _sk_validate(estimator, *args, dtype=np.float64, **kwargs)
    except HardTargetError:
        raise
    except ValueError as exc:
        raise HardTargetError(str(exc)) from None


def _sample_weight(sample_weight, n: int) -> np.ndarray | None:
    """Validated non-negative weights (None when absent or all equal and positive)."""
    if sample_weight is None:
        return None
    try:
        w = np.asarray(sample_weight, dtype=np.float64)
    except (TypeError, ValueError):
        raise HardTargetError("sample_weight must be numbers, one per sample") from None
    if w.ndim == 0:
        w = np.full(n, float(w))
    if w.shape != (n,):
        raise HardTargetError(f"sample_weight has shape {w.shape}; expected ({n},)")
    if not np.all(np.isfinite(w)) or np.any(w < 0):
        raise HardTargetError("sample_weight must be finite and >= 0 (0 drops a sample)")
    if not np.any(w > 0):
        raise HardTargetError(
            "sample_weight is zero for every sample; at least one sample must count"
        )
    return None if np.all(w == w[0]) else w


SCALE_RATIO = 100.0  # scale="auto" standardizes when feature ranges differ more than this


def needs_scaling(X: np.ndarray) -> bool:
    """``scale="auto"``'s rule: the widest feature range is more than ``SCALE_RATIO``
    times the narrowest non-zero one (features on different scales, where a margin would
    be dominated by the widest ones).

    >>> needs_scaling(np.array([[0.0, 1.0], [1.0, 1000.0]]))
    True
    """
    ranges = np.ptp(X, axis=0)
    ranges = ranges[ranges > 0]
    return ranges.size > 0 and float(ranges.max()) > SCALE_RATIO * float(ranges.min())


def _standardize(X: np.ndarray, w: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """Per-feature (weighted) mean and standard deviation (1 where it is 0)."""
    mean = np.average(X, axis=0, weights=w)
    scale = np.sqrt(np.average((X - mean) ** 2, axis=0, weights=w))
    return mean, np.where(scale > 0, scale, 1.0)


def _fold_scaling(net: Network, mean, scale, X_raw, X_scaled) -> Network:
    """``net`` (trained on standardized inputs) with the scaling folded into its first layer.

    A first-layer unit whose folded weights do not give the same outputs on the training
    inputs (rounding at a tie) is re-solved exactly on the raw inputs with those outputs
    as targets (they are separable: an affine map of separable points)."""
    from .units import solve_unit

    W = net.weights[0]
    F = np.vstack([W[:-1] / scale[:, None], W[-1] - (mean / scale) @ W[:-1]])
    target = Network([W], [net.activations[0]]).preactivations(X_scaled)[0] > 0
    got = Network([F], [net.activations[0]]).preactivations(X_raw)[0] > 0
    for j in np.flatnonzero(np.any(target != got, axis=0)):
        r = solve_unit(X_raw, np.where(target[:, j], 1, -1), "lp")
        if not r.separable:
            raise HardTargetError("internal: a standardized unit did not fold back exactly")
        F[:, j] = r.weights
    return Network([F, *net.weights[1:]], net.activations, net.classes)


class HardThresholdClassifier(ClassifierMixin, BaseEstimator):
    """A hard-threshold network classifier, trained by searching its hidden targets.

    Parameters
    ----------
    hidden : "auto", int or tuple of int, default="auto"
        Hidden-layer widths; ``()`` for a single layer of perceptrons.  ``"auto"``: the
        smallest single hidden layer (of 0, 1, 2, 4, ..., 64 units) that fits each
        member's data exactly (see :mod:`hardtarget.search.auto`).
    activation : {"sign", "step"}, default="sign"
    strategy : str, default="auto"
        A strategy name (see ``hardtarget strategies``), e.g. ``"exhaustive"``, ``"ftprop"``;
        ``"auto"``: exhaustive where its state bound is small, else ftprop from a
        FTPROP-MB start with the relaxation polish.
    strategy_options : dict, optional
        Options of the strategy, e.g. ``{"width": 8}`` for beam.
    multiclass : {"auto", "ovo", "ovr", "shared"}, default="auto"
        More than two classes: ``"ovo"`` one exact member per pair of classes and a
        voting output layer; ``"ovr"`` one exact member per class, the largest output
        wins; ``"shared"`` one network with one output unit per class (strategies that
        handle several outputs: beam, hill, ftprop, madaline).  ``"auto"`` is ``"ovo"``.
    scale : "auto" or bool, default="auto"
        Measure the first layer's margins on standardized inputs (mean 0, variance 1 per
        feature) rather than on the inputs as given.  The search itself always runs on
        standardized inputs; the scaling is folded into the first layer, so
        ``network_`` takes raw inputs.  ``"auto"``: standardized when the feature ranges
        differ by more than ``SCALE_RATIO`` (100) times (:func:`needs_scaling`); inputs
        already on one scale (pixels, ±1 codes) keep their geometry, as standardizing
        a few samples blows up rare features.
    objective : None or str, default=None
        ``None``: search for the first exact fit (training errors only), then replace
        every unit's weights by its maximum-margin separator of the targets the found
        network produces (:func:`hardtarget.polish`: hidden targets and training
        predictions unchanged).  A name
        (``"errors"``, ``"margin"``, ``"sparsity"``; see ``docs/guide/objectives.md``)
        goes to :func:`hardtarget.solve`; only ``"margin"`` is followed by the
        maximum-margin weights (``"errors"`` keeps the search's weights, ``"sparsity"``
        its sparse ones).
    time_limit : float or None, default=30.0
        Seconds for the whole fit (shared by the members; each stops at its first exact
        fit, what one does not use passes to the next).
    max_states : int or None, default=None
        Target settings evaluated per search; with ``time_limit=None`` fits are
        reproducible to the bit.
    random_state : int, RandomState or None, default=None
    verbose : int, default=0
        1: a progress bar over the members (on a terminal) and one log line per member
        (logger ``hardtarget.estimator``, level INFO).

    Attributes
    ----------
    classes_ : the labels, sorted.
    network_ : the trained :class:`~hardtarget.Network` (its ``classes`` are ``classes_``).
    results_ : list of :class:`~hardtarget.SearchResult`, one per member (on the
        standardized inputs when ``scale``).
    members_ : list of tuples of the class indices each member separates: ``(i, j)`` for
        one-vs-one (+1 means class ``i``), ``(c,)`` for one-vs-rest, ``()`` for one net.
    multiclass_ : the mode used: ``"binary"``, ``"ovo"``, ``"ovr"`` or ``"shared"``.
    scaled_ : whether the margins were measured on standardized inputs.
    exact_ : True when ``network_`` predicts every training sample (of weight > 0) right,
        checked on ``network_`` itself after the fit.
    n_features_in_ : number of features seen in ``fit``.
    input_domain_ : ``"sign"`` (every training input -1 or +1), ``"binary"`` (0 or 1) or
        ``"real"``; an export for ±1 or 0/1 inputs is refused when it differs.

    Notes
    -----
    There is no ``predict_proba``: a hard-threshold network outputs a class, not a
    score with a probabilistic reading, and an exact fit has no training errors from
    which to calibrate one.  Use :meth:`decision_function` for a ranking.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[-1, -1], [-1, 1], [1, -1], [1, 1]])
    >>> clf = HardThresholdClassifier(hidden=(2,), strategy="exhaustive")
    >>> clf.fit(X, ["no", "yes", "yes", "no"]).predict(X).tolist()
    ['no', 'yes', 'yes', 'no']
    """

    def __init__(
        self,
        hidden="auto",
        activation="sign",
        strategy="auto",
        strategy_options=None,
        multiclass="auto",
        scale="auto",
        objective=None,
        time_limit=30.0,
        max_states=None,
        random_state=None,
        verbose=0,
    ):
        self.hidden = hidden
        self.activation = activation
        self.strategy = strategy
        self.strategy_options = strategy_options
        self.multiclass = multiclass
        self.scale = scale
        self.objective = objective
        self.time_limit = time_limit
        self.max_states = max_states
        self.random_state = random_state
        self.verbose = verbose

    # -- configuration ----------------------------------------------------------
    def _mode(self, k: int) -> str:
        from .search.api import STRATEGIES

        if self.multiclass not in MULTICLASS:
            raise HardTargetError(
                f"unknown multiclass {self.multiclass!r}; valid: {', '.join(MULTICLASS)}"
            )
        if not isinstance(self.strategy, str) or (
            self.strategy != "auto" and self.strategy not in STRATEGIES
        ):
            raise HardTargetError(
                f"unknown strategy {self.strategy!r}; valid: auto, {', '.join(sorted(STRATEGIES))}"
            )
        if k == 2:
            return "binary"
        mode = "ovo" if self.multiclass == "auto" else self.multiclass
        if (
            mode == "shared"
            and self.strategy != "auto"
            and not STRATEGIES[self.strategy].multi_output
        ):
            raise HardTargetError(
                f"strategy {self.strategy!r} trains one output unit; multiclass='shared' needs "
                "beam, hill, ftprop or madaline (or use multiclass='ovo' or 'ovr')"
            )
        return mode

    def _jobs(self, y, mode: str, k: int) -> list:
        """(member classes, rows, labels) of every member."""
        if mode == "binary":
            return [((), slice(None), y)]
        if mode == "shared":
            return [((), slice(None), y)]
        if mode == "ovr":
            return [((c,), slice(None), np.where(y == c, 1, -1)) for c in range(k)]
        jobs = []
        for i, j in ovo_pairs(k):
            rows = np.flatnonzero((y == i) | (y == j))
            jobs.append(((i, j), rows, np.where(y[rows] == i, 1, -1)))
        return jobs

    # -- fitting ----------------------------------------------------------------
    def _search(self, X, labels, mode, seed, time_limit, sample_weight):
        from .search import solve

        problem = make_problem(X, labels, multiclass="ovr" if mode == "shared" else None)
        options = dict(self.strategy_options or {})
        if sample_weight is not None:
            options["sample_weight"] = sample_weight
        if self.objective is not None:
            options["objective"] = self.objective
        common = dict(
            activation=self.activation,
            time_limit=time_limit,
            max_states=self.max_states,
            seed=seed,
            progress=False,
            **options,
        )
        return solve(problem, hidden=self.hidden, strategy=self.strategy, **common)

    def fit(self, X, y, sample_weight=None):
        """Search an exact network (or ensemble) for ``(X, y)``; returns ``self``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Inputs, one row per sample.
        y : array-like of shape (n_samples,)
            Labels: any two or more distinct values.
        sample_weight : array-like of shape (n_samples,), optional
            Non-negative weights: a sample of weight 0 is left out; the others weigh its
            errors when no exact fit is found (local strategies; see the guide).

        Returns
        -------
        HardThresholdClassifier
            ``self``, fitted.
        """
        X, y = _validate_data(self, X, y)
        try:
            check_classification_targets(y)
        except ValueError as exc:
            raise HardTargetError(f"{exc}; a classifier needs discrete labels") from None
        classes, yi = np.unique(y, return_inverse=True)
        if classes.size < 2:
            raise HardTargetError(
                f"y has 1 class ({classes[0]!r}); a classifier needs at least 2 classes"
            )
        mode = self._mode(classes.size)
        sw = _sample_weight(sample_weight, X.shape[0])
        keep = np.ones(X.shape[0], bool) if sw is None else sw > 0
        if self.scale not in ("auto", True, False):
            raise HardTargetError(f"scale must be 'auto', True or False, got {self.scale!r}")
        scaled = needs_scaling(X[keep]) if self.scale == "auto" else bool(self.scale)
        mean, scale = _standardize(X[keep], None if sw is None else sw[keep])
        Xs = (X - mean) / scale  # the search always runs on standardized inputs
        seed = int(check_random_state(self.random_state).randint(2**31 - 1))
        jobs = self._jobs(yi, mode, classes.size)
        self.results_, self.members_, nets = [], [], []
        start = time.monotonic()
        for n, (members, rows, labels) in enumerate(self._progress(jobs)):
            idx = np.flatnonzero(keep) if isinstance(rows, slice) else rows[keep[rows]]
            lab = labels[keep] if isinstance(rows, slice) else labels[keep[rows]]
            share = None
            if self.time_limit is not None:
                left = self.time_limit - (time.monotonic() - start)
                share = max(left, MIN_SHARE) / (len(jobs) - n)
            w = None if sw is None else sw[idx]
            r = self._search(Xs[idx], lab, mode, seed, share, w)
            if r.network is None:
                raise HardTargetError(
                    f"the search stopped before evaluating any network ({r.message}); "
                    "raise time_limit or max_states"
                )
            log.info("member %s: hidden %s, %s (%.2f s)", members, r.hidden, r.status, r.wall_time)
            net = r.network
            margin = self.objective in (None, "margin")
            if margin and scaled:
                net = polish(net, Xs[idx], "margin")[0]
            net = _fold_scaling(net, mean, scale, X[idx], Xs[idx])
            if margin and not scaled:
                net = polish(net, X[idx], "margin")[0]
            self.results_.append(r)
            self.members_.append(members)
            nets.append(net)
        if mode == "ovo":
            net = ovo_network(nets, classes)
        elif mode == "ovr":
            net = ovr_network(nets, classes)
        else:
            net = nets[0]
        self.network_ = Network(net.weights, net.activations, classes)
        self.classes_ = classes
        self.multiclass_ = mode
        self.scaled_ = scaled
        self.exact_ = bool(np.array_equal(self.predict(X[keep]), y[keep]))
        self.input_domain_ = input_domain(X)
        return self

    def _progress(self, jobs):
        if not self.verbose or len(jobs) < 2:
            return jobs
        from tqdm.auto import tqdm

        return tqdm(jobs, desc="members", unit="member", leave=False)

    # -- prediction -------------------------------------------------------------
    def decision_function(self, X):
        """The output layer's pre-activations.

        Two classes: shape ``(n_samples,)``, ``> 0`` means ``classes_[1]``.  More: shape
        ``(n_samples, n_classes)`` and the prediction is the first largest column; for
        one-vs-one that is twice the votes of each class (sign units; the votes for step
        units), for one-vs-rest and ``shared`` each class's output unit.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Inputs, one row per sample.

        Returns
        -------
        numpy.ndarray
        """
        check_is_fitted(self)
        X = _validate_data(self, X, reset=False)
        return self.network_.decision_function(X)

    def predict(self, X):
        """Predicted labels (elements of ``classes_``).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Inputs, one row per sample.

        Returns
        -------
        numpy.ndarray of shape (n_samples,)
        """
        from .labels import output_index

        check_is_fitted(self)
        X = _validate_data(self, X, reset=False)
        return self.classes_[output_index(self.network_, X)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = self.time_limit is not None
        return tags
