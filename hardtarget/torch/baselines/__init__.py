"""Baselines for hard-threshold networks, trained by the same ``fit`` as FTPROP-MB.

- Continuous binarization (Sakr et al.): :class:`CBNet` with parametrized clipping
  activations, binarized one layer at a time (:mod:`.cb`).
- Discrete weight distributions with sign activations (Roth et al.):
  :class:`WeightDistNet`, initialized from a pre-trained :class:`RealNet`, ending in a
  :class:`DiscreteNet` with small-integer weights (:mod:`.weight_dist`).

Architectures (``mlp``, ``cnn``, ``vgg``) are layer specs with their sizes as
parameters (:mod:`.arch`).
"""

from __future__ import annotations

from .arch import ARCHS, arch_spec, parse_spec
from .callbacks import CBStages, DiscreteBN
from .cb import PCF, CBNet
from .plain import DiscreteNet, RealNet
from .procedures import BaselineResult, train_cb, train_weight_dist
from .weight_dist import WEIGHT_SETS, WeightDistNet, init_logits

__all__ = ["ARCHS", "arch_spec", "parse_spec", "CBStages", "DiscreteBN", "PCF", "CBNet",
           "DiscreteNet", "RealNet", "BaselineResult", "train_cb", "train_weight_dist",
           "WEIGHT_SETS", "WeightDistNet", "init_logits"]
