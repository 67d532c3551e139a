"""Baselines for hard-threshold networks, trained by the same ``fit`` as FTPROP-MB.

- Continuous binarization (Sakr et al.): :class:`CBNet` with parametrized clipping
  activations, binarized one layer at a time (:mod:`.cb`, :func:`train_cb`).
- Discrete weight distributions with sign activations (Roth et al.):
  :class:`WeightDistNet`, initialized from a pre-trained :class:`RealNet`, ending in a
  :class:`DiscreteNet` with small-integer weights (:mod:`.weight_dist`,
  :func:`train_weight_dist`).

Architectures (``mlp``, ``cnn``, ``vgg``, ``spec``) are layer specs with their sizes as
parameters (:mod:`.arch`).  Names load lazily; :mod:`.from_config` runs them from a
:class:`~hardtarget.torch.TrainConfig` (``method="cb"`` or ``"weight-dist"``).

Examples
--------
>>> from hardtarget.torch.baselines import CBNet, arch_spec, train_cb      # doctest: +SKIP
>>> res = train_cb(CBNet(arch_spec("mlp", hidden=(64,)), (1, 8, 8), 10), (X, y))  # doctest: +SKIP
"""

from __future__ import annotations

__all__ = [
    "ARCHS",
    "PCF",
    "WEIGHT_SETS",
    "BaselineResult",
    "CBNet",
    "CBStages",
    "DiscreteNet",
    "RealNet",
    "RefreshBatchNorm",
    "WeightDistNet",
    "arch_spec",
    "init_logits",
    "parse_spec",
    "train_cb",
    "train_weight_dist",
]

_WHERE = {
    "ARCHS": "arch",
    "arch_spec": "arch",
    "parse_spec": "arch",
    "CBStages": "cb_stages",
    "RefreshBatchNorm": "callbacks",
    "DiscreteBN": "callbacks",  # the old name of RefreshBatchNorm (DeprecationWarning)
    "PCF": "cb",
    "CBNet": "cb",
    "DiscreteNet": "plain",
    "RealNet": "plain",
    "BaselineResult": "procedures",
    "train_cb": "procedures",
    "train_weight_dist": "procedures",
    "WEIGHT_SETS": "weight_dist",
    "WeightDistNet": "weight_dist",
    "init_logits": "weight_dist",
}


def __getattr__(name: str):
    from .._require import lazy_attribute

    return lazy_attribute(__name__, _WHERE, name)


def __dir__() -> list:
    return sorted(__all__)
