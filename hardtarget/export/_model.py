"""Whatever a user calls a model, as a :class:`~hardtarget.Network`.

The labels its outputs stand for are :mod:`hardtarget.labels`'s."""

from __future__ import annotations

import os
import sys

from ..errors import HardTargetError
from ..network import Network

__all__ = ["as_network", "check_trained_inputs"]


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
