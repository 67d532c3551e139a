"""``HardThresholdClassifier``: a scikit-learn estimator that trains by target search.

It wraps :func:`hardtarget.solve`.  Two classes use one output unit; more classes use
one output unit per class (one-vs-rest) when the strategy handles several outputs
(``beam``, ``hill``, ``ftprop``, ``madaline``), else one network per class, searched
separately and stacked side by side into one network (its hidden layers hold every
class's units; the output layer is block-diagonal).
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted

from .errors import HardTargetError
from .export._plan import input_domain
from .network import Network
from .problem import make_problem

try:
    from sklearn.utils.validation import validate_data as _sk_validate
except ImportError:  # scikit-learn < 1.6

    def _sk_validate(estimator, *args, **kwargs):
        return estimator._validate_data(*args, **kwargs)


def _validate_data(estimator, *args, **kwargs):
    """scikit-learn's input validation, its ValueErrors raised as HardTargetError."""
    try:
        return _sk_validate(estimator, *args, dtype=np.float64, **kwargs)
    except HardTargetError:
        raise
    except ValueError as exc:
        raise HardTargetError(str(exc)) from None


__all__ = ["HardThresholdClassifier"]


def _stack(nets: list[Network], classes: np.ndarray) -> Network:
    """Networks with one output each, side by side: shared inputs, block-diagonal after."""
    weights = [np.hstack([n.weights[0] for n in nets])]
    for d in range(1, len(nets[0].weights)):
        blocks = [n.weights[d] for n in nets]
        rows = sum(b.shape[0] - 1 for b in blocks)
        W = np.zeros((rows + 1, sum(b.shape[1] for b in blocks)))
        r = c = 0
        for b in blocks:
            W[r : r + b.shape[0] - 1, c : c + b.shape[1]] = b[:-1]
            W[-1, c : c + b.shape[1]] = b[-1]
            r, c = r + b.shape[0] - 1, c + b.shape[1]
        weights.append(W)
    return Network(weights, nets[0].activations, classes)


class HardThresholdClassifier(ClassifierMixin, BaseEstimator):
    """A hard-threshold network classifier, trained by searching its hidden targets.

    Parameters
    ----------
    hidden : int or tuple of int, default=(4,)
        Hidden-layer widths; ``()`` for a single layer of perceptrons.
    activation : {"sign", "step"}, default="sign"
    strategy : str, default="beam"
        A strategy name (see ``hardtarget strategies``), e.g. ``"exhaustive"``, ``"ftprop"``.
    strategy_options : dict, optional
        Options of the strategy, e.g. ``{"width": 8}`` for beam.
    time_limit : float or None, default=10.0
        Seconds per search (split between classes in one-network-per-class mode); the best
        network found is kept when it runs out.
    max_states : int or None, default=None
        Target settings evaluated per search; with ``time_limit=None`` fits are
        reproducible to the bit.
    random_state : int, RandomState or None, default=None

    Attributes
    ----------
    classes_ : the labels, sorted.
    network_ : the trained :class:`~hardtarget.Network` (its ``classes`` are ``classes_``).
    results_ : list of :class:`~hardtarget.SearchResult`, one per search.
    n_features_in_ : number of features seen in ``fit``.
    input_domain_ : ``"sign"`` (every training input -1 or +1), ``"binary"`` (0 or 1) or
        ``"real"``; an export for ±1 or 0/1 inputs is refused when it differs.

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
        hidden=(4,),
        activation="sign",
        strategy="beam",
        strategy_options=None,
        time_limit=10.0,
        max_states=None,
        random_state=None,
    ):
        self.hidden = hidden
        self.activation = activation
        self.strategy = strategy
        self.strategy_options = strategy_options
        self.time_limit = time_limit
        self.max_states = max_states
        self.random_state = random_state

    def _solve(self, X, y, seed: int, multiclass, time_limit):
        from .search import solve

        problem = make_problem(X, y, multiclass=multiclass)
        return solve(
            problem,
            hidden=self.hidden,
            strategy=self.strategy,
            activation=self.activation,
            time_limit=time_limit,
            max_states=self.max_states,
            seed=seed,
            progress=False,
            **dict(self.strategy_options or {}),
        )

    def fit(self, X, y):
        """Search a network that fits ``(X, y)``; returns ``self``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Inputs, one row per sample.
        y : array-like of shape (n_samples,)
            Labels: any two or more distinct values.

        Returns
        -------
        HardThresholdClassifier
            ``self``, fitted.
        """
        from .search.api import STRATEGIES

        X, y = _validate_data(self, X, y)
        try:
            check_classification_targets(y)
        except ValueError as exc:
            raise HardTargetError(f"{exc}; a classifier needs discrete labels") from None
        classes = np.unique(y)
        if classes.size < 2:
            raise HardTargetError(
                f"y has 1 class ({classes[0]!r}); a classifier needs at least 2 classes"
            )
        if not isinstance(self.strategy, str) or self.strategy not in STRATEGIES:
            raise HardTargetError(
                f"unknown strategy {self.strategy!r}; valid: {', '.join(sorted(STRATEGIES))}"
            )
        seed = int(check_random_state(self.random_state).randint(2**31 - 1))
        if classes.size == 2 or STRATEGIES[self.strategy].multi_output:
            self.results_ = [
                self._solve(X, y, seed, "ovr" if classes.size > 2 else None, self.time_limit)
            ]
            self._networks()
            net = self.results_[0].network
        else:
            share = None if self.time_limit is None else self.time_limit / classes.size
            self.results_ = [
                self._solve(X, np.where(y == c, 1, -1), seed, None, share) for c in classes
            ]
            self._networks()
            net = _stack([r.network for r in self.results_], classes)
        self.network_ = Network(net.weights, net.activations, classes)
        self.classes_ = classes
        self.input_domain_ = input_domain(X)
        return self

    def _networks(self) -> None:
        missing = [r for r in self.results_ if r.network is None]
        if missing:
            raise HardTargetError(
                f"the search stopped before evaluating any network "
                f"({missing[0].message}); raise time_limit or max_states"
            )

    def decision_function(self, X):
        """Output pre-activations: ``(n_samples,)`` for two classes (> 0 means ``classes_[1]``),
        else ``(n_samples, n_classes)``.

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
        from .export._model import output_index

        check_is_fitted(self)
        X = _validate_data(self, X, reset=False)
        return self.classes_[output_index(self.network_, X)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = self.time_limit is not None
        return tags
