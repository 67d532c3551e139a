"""scikit-learn preprocessing in front of a network, as the float operations it performs.

A :class:`sklearn.pipeline.Pipeline` whose last step is the model and whose other steps
are supported transformers becomes a list of :class:`Step` operations applied feature by
feature, each one IEEE operation in float64 exactly as scikit-learn's ``transform``
writes it (read from its source):

* ``StandardScaler``: ``X -= mean_`` (``with_mean``), then ``X /= scale_`` (``with_std``);
* ``RobustScaler``: ``X -= center_``, then ``X /= scale_``;
* ``MinMaxScaler``: ``X *= scale_``, then ``X += min_``, then ``clip`` to
  ``feature_range`` when ``clip=True`` (NaN stays NaN);
* ``MaxAbsScaler``: ``X /= scale_``, then ``clip`` to [-1, 1] when ``clip=True``;
* ``Binarizer``: ``1.0 if X > threshold else 0.0`` (NaN gives 0);
* ``FunctionTransformer()`` without a function, and ``"passthrough"``: nothing.

The ONNX and C exports emit the same operations in the same order; a network after a
``Binarizer`` reads 0/1 inputs, so its first layer may run on integers or bits.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import HardTargetError

__all__ = ["Step", "split_pipeline", "is_pipeline", "raw_rows", "SUPPORTED"]

SUPPORTED = (
    "StandardScaler",
    "RobustScaler",
    "MinMaxScaler",
    "MaxAbsScaler",
    "Binarizer",
    "FunctionTransformer (no func)",
    "passthrough",
)


@dataclass(frozen=True)
class Step:
    """One float64 operation on every feature: ``op`` is ``sub``, ``div``, ``mul``,
    ``add`` (by ``value``, one per feature), ``clip`` (to ``value`` = ``(lo, hi)``) or
    ``binarize`` (``x > value``)."""

    op: str
    value: np.ndarray | tuple | float

    @property
    def floats(self) -> list[float]:
        """``value`` as floats: one per feature, ``[lo, hi]`` (clip) or ``[value]`` (binarize)."""
        return [float(v) for v in np.ravel(self.value)]


def is_pipeline(model) -> bool:
    """True for a scikit-learn ``Pipeline`` (without importing scikit-learn)."""
    return type(model).__name__ == "Pipeline" and hasattr(model, "steps")


def _vector(values, n: int | None) -> np.ndarray:
    v = np.asarray(values, dtype=np.float64).ravel()
    if n is not None and v.shape != (n,):
        raise HardTargetError(f"a preprocessing step has {v.size} values for {n} features")
    return v


def _steps_of(name: str, t, n: int | None) -> list[Step]:
    kind = type(t).__name__
    if t is None or (isinstance(t, str) and t == "passthrough"):
        return []
    if kind == "FunctionTransformer" and t.func is None:
        return []
    if not hasattr(t, "n_features_in_") and kind != "FunctionTransformer":
        raise HardTargetError(f"pipeline step {name!r} is not fitted yet; call fit(X, y) first")
    if kind in ("StandardScaler", "RobustScaler"):
        standard = kind == "StandardScaler"
        out = []
        if t.with_mean if standard else t.with_centering:
            out.append(Step("sub", _vector(t.mean_ if standard else t.center_, n)))
        if (t.with_std if standard else t.with_scaling) and t.scale_ is not None:
            out.append(Step("div", _vector(t.scale_, n)))
        return out
    if kind == "MinMaxScaler":
        out = [Step("mul", _vector(t.scale_, n)), Step("add", _vector(t.min_, n))]
        if t.clip:
            out.append(Step("clip", tuple(float(v) for v in t.feature_range)))
        return out
    if kind == "MaxAbsScaler":
        return [Step("div", _vector(t.scale_, n))] + ([Step("clip", (-1.0, 1.0))] if t.clip else [])
    if kind == "Binarizer":
        return [Step("binarize", float(t.threshold))]
    raise HardTargetError(
        f"cannot export pipeline step {name!r} ({kind}"
        + (f" with func={t.func!r}" if kind == "FunctionTransformer" else "")
        + f"); supported: {', '.join(SUPPORTED)}; apply other steps before the export"
    )


def split_pipeline(model) -> tuple[list[Step], object]:
    """``(steps, final model)`` of a Pipeline, or ``([], model)`` for anything else.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from hardtarget import HardThresholdClassifier
    >>> X = np.array([[0.0, 1.0], [2.0, 3.0], [4.0, 1.0], [6.0, 3.0]])
    >>> pipe = make_pipeline(StandardScaler(), HardThresholdClassifier(hidden=()))
    >>> steps, clf = split_pipeline(pipe.fit(X, [0, 0, 1, 1]))
    >>> [s.op for s in steps], type(clf).__name__
    (['sub', 'div'], 'HardThresholdClassifier')
    """
    if not is_pipeline(model):
        return [], model
    final = model.steps[-1][1]
    n = getattr(final, "n_features_in_", None)
    steps: list[Step] = []
    for name, t in model.steps[:-1]:
        steps += _steps_of(name, t, n)
    return steps, final


def raw_rows(steps: list[Step], Z: np.ndarray, rng) -> np.ndarray:
    """Inputs that the steps map to about ``Z`` (exactly onto a binarizer's threshold for
    some): test rows in the raw space from test rows in the network's."""
    X = np.array(Z, dtype=np.float64)
    for s in reversed(steps):
        if s.op == "sub":
            X = X + s.value
        elif s.op == "add":
            X = X - s.value
        elif s.op == "div":
            X = X * s.value
        elif s.op == "mul":
            with np.errstate(divide="ignore", invalid="ignore"):
                X = np.where(s.value != 0, X / np.where(s.value != 0, s.value, 1.0), X)
        elif s.op == "binarize":  # 1: above the threshold; 0: at it or below
            gap = np.abs(rng.normal(size=X.shape)) * (rng.random(X.shape) < 0.7)
            X = np.where(X > 0.5, s.value + gap + np.spacing(s.value), s.value - gap)
    return X
