"""Class labels of a network's outputs, written once for every reader of a prediction.

Which label each output stands for (:func:`class_labels`), which of them a row's
prediction picks (:func:`output_index`), and the one rule a stored label list follows
(:func:`check_classes`).  :meth:`hardtarget.Network.predict_labels`, the
scikit-learn estimator and every export format (model file, ONNX, C, their check and
the summary) use these, so that they agree on every row.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .errors import HardTargetError

if TYPE_CHECKING:
    from .network import Network

__all__ = ["check_classes", "class_labels", "output_index"]

_LABEL_KINDS = "biufU"


def check_classes(classes, n_outputs: int, source: str = "the network") -> np.ndarray:
    """``classes`` as a 1-D array of distinct numbers or strings, one per output unit.

    One output unit takes two labels (for its low and high value).  The one rule for the
    writers (model file, ONNX, C, summary) and the model-file reader, so that nothing is
    written that the reader would refuse.

    Parameters
    ----------
    classes : array-like
        The labels.
    n_outputs : int
        Output units of the network.
    source : str, default="the network"
        What holds the labels, for messages.

    Returns
    -------
    numpy.ndarray
        The labels, numbers or strings (not objects).

    Raises
    ------
    HardTargetError
        A label list of the wrong length, dtype, with NaN or a repeated label.

    Examples
    --------
    >>> check_classes(["no", "yes"], 1).tolist()
    ['no', 'yes']
    """
    want = max(n_outputs, 2)
    c = np.asarray(classes)
    if c.dtype.kind == "O" and all(isinstance(v, str) for v in c.ravel().tolist()):
        c = c.astype(str)
    if c.dtype.kind not in _LABEL_KINDS:
        raise HardTargetError(
            f"{source}: class labels of dtype {c.dtype} cannot be stored; use numbers or strings "
            "(not a mix)"
        )
    if c.shape != (want,):
        raise HardTargetError(
            f"{source} stores {c.size} classes for {n_outputs} output unit(s) (shape {c.shape}); "
            f"give a flat list of {want} labels (one per unit, or two for one unit)"
        )
    if c.dtype.kind == "f" and not np.all(np.isfinite(c)):
        raise HardTargetError(f"{source}: class labels contain NaN or inf; use finite labels")
    if len(set(c.tolist())) != c.size:
        raise HardTargetError(
            f"{source}: class labels {c.tolist()} repeat a label; every output needs its own"
        )
    return c


def class_labels(net: Network) -> np.ndarray:
    """The labels the network's outputs stand for (defaults when it stores none).

    Parameters
    ----------
    net : Network
        The network.

    Returns
    -------
    numpy.ndarray
        ``net.classes`` (checked by :func:`check_classes`) when stored; else ``0 .. k-1``
        for ``k > 1`` output units, or the output activation's two levels for one unit.

    Examples
    --------
    >>> import numpy as np, hardtarget as ht
    >>> class_labels(ht.Network([np.ones((3, 1))], ["sign"])).tolist()
    [-1.0, 1.0]
    """
    k = net.widths[-1]
    if net.classes is not None:
        return check_classes(net.classes, k)
    if k > 1:
        return np.arange(k)
    levels = net.activations[-1].levels
    return np.array([levels[0], levels[-1]])


def output_index(net: Network, X) -> np.ndarray:
    """Index into :func:`class_labels` of each row's prediction.

    One output unit: 1 where it takes its high value, else 0.  Several (one-vs-rest or
    votes): the first largest output pre-activation.

    Parameters
    ----------
    net : Network
        The network.
    X : array-like of shape (n_samples, n_features)
        Inputs, one row per sample.

    Returns
    -------
    numpy.ndarray of shape (n_samples,)
        Integer indices.

    Examples
    --------
    >>> import numpy as np, hardtarget as ht
    >>> net = ht.Network([np.array([[1.0], [0.0]])], ["sign"])
    >>> output_index(net, [[2.0], [-2.0]]).tolist()
    [1, 0]
    """
    if net.widths[-1] > 1:
        return np.argmax(np.atleast_2d(net.decision_function(X)), axis=1)
    hi = net.activations[-1].levels[-1]
    return (net.predict(X) == hi).astype(np.int64)
