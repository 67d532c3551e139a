"""Whatever a user calls a model, as a :class:`~hardtarget.Network` with its labels."""

from __future__ import annotations

import os
import sys

import numpy as np

from ..errors import HardTargetError
from ..network import Network

__all__ = ["as_network", "check_classes", "class_labels", "output_index", "check_trained_inputs"]

_LABEL_KINDS = "biufU"


def as_network(model) -> Network:
    """A Network from a Network, a fitted estimator, a search result, a torch MLP or a file.

    Examples
    --------
    >>> import numpy as np, hardtarget as ht
    >>> as_network(ht.Network([np.ones((3, 1))], ["sign"])).widths
    (1,)
    """
    if isinstance(model, Network):
        return model
    if type(model).__name__ == "Pipeline" and hasattr(model, "steps"):
        model = model.steps[-1][1]  # the network; see _pipeline for the steps before it
    if isinstance(model, (str, os.PathLike)):
        from .jsonfile import load

        return load(model)
    net = getattr(model, "network_", None)  # a fitted HardThresholdClassifier
    if net is None and hasattr(model, "fit") and hasattr(model, "get_params"):
        raise HardTargetError(
            f"this {type(model).__name__} is not fitted yet; call fit(X, y) first"
        )
    if net is None and type(model).__name__ == "SearchResult":
        net = model.network
    if net is None and "torch" in sys.modules:
        import torch

        if isinstance(model, torch.nn.Module):
            from ..torch.convert import from_torch

            net = from_torch(model)
    if not isinstance(net, Network):
        raise HardTargetError(
            f"cannot export a {type(model).__name__}; give a hardtarget Network, a fitted "
            "HardThresholdClassifier, a SearchResult, a hardtarget.torch MLP or a model file"
        )
    return net


def check_classes(classes, n_outputs: int, source: str = "the network") -> np.ndarray:
    """``classes`` as a 1-D array of distinct numbers or strings, one per output unit
    (two for one unit); anything else raises :class:`HardTargetError` naming the problem.

    The one rule for the writers (model file, ONNX, C, summary) and the model-file reader,
    so that nothing is written that the reader would refuse.
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
    """The labels the network's outputs stand for (defaults when it stores none)."""
    k = net.widths[-1]
    if net.classes is not None:
        return check_classes(net.classes, k)
    if k > 1:
        return np.arange(k)
    levels = net.activations[-1].levels
    return np.array([levels[0], levels[-1]])


def output_index(net: Network, X) -> np.ndarray:
    """Index into :func:`class_labels` of each row's prediction (``Network`` semantics)."""
    if net.widths[-1] > 1:
        return np.argmax(np.atleast_2d(net.decision_function(X)), axis=1)
    hi = net.activations[-1].levels[-1]
    return (net.predict(X) == hi).astype(np.int64)


def check_trained_inputs(model, inputs: str) -> None:
    """Refuse an export for ``sign`` or ``binary`` inputs of a model known (a fitted
    estimator's ``input_domain_``) to have been trained on other values."""
    trained = getattr(model, "input_domain_", None)
    if inputs == "real" or trained is None or trained == inputs:
        return
    seen = {"sign": "all -1 or +1", "binary": "all 0 or 1", "real": "not all -1/+1 or 0/1"}
    raise HardTargetError(
        f"inputs={inputs!r} declares every input {seen[inputs]}, but this model was trained "
        f"on inputs that are {seen[trained]}; export it with inputs={trained!r}"
        + (" or inputs='real'" if trained != "real" else "")
    )
