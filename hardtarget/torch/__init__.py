"""The mini-batch bridge: FTPROP-MB (paper, Algorithm 2) for large networks, in torch.

Torch is imported only by the modules of this package, and only when one of its
names is first used, so ``import hardtarget`` (and ``import hardtarget.torch``) never
pulls it in.  Install it with ``pip install torch==2.13.0`` then
``pip install -e .[torch]``.

Each hard-threshold layer takes targets from the layer above with the heuristic
``t = sign(-dL/dh)`` (equation 2) and steps on its own layer loss weighted by
``|dL/dh|`` (equation 3); the autograd backward of :func:`hard_activation` returns
the gradient of that layer loss with respect to the pre-activation, so standard
optimizers carry out Algorithm 2.

:func:`fit` (:mod:`.fit_loop`) trains any model on any data (arrays, Datasets,
DataLoaders); :func:`train` (:mod:`.named_run`) builds a named model and data set and runs
a training method (the ``hardtarget train`` command) from a :class:`TrainConfig`, whose
fields (:mod:`.train_config`) declare every training option once.  Rules
(:mod:`.rules`), models and training methods are found through the entry-point groups
``hardtarget.torch_rules``, ``hardtarget.models`` and ``hardtarget.training_methods``.

Examples
--------
>>> from hardtarget.torch import make_model          # doctest: +SKIP
>>> net = make_model("convnet4", activation="sign", rule="soft_hinge")  # doctest: +SKIP
"""

from __future__ import annotations

__all__ = [
    "HardActivation",
    "hard_activation",
    "make_activation",
    "ACTIVATIONS",
    "RULES",
    "get_rule",
    "make_model",
    "MODELS",
    "MLP",
    "fit",
    "FitResult",
    "TrainerState",
    "evaluate",
    "Callback",
    "EarlyStopping",
    "LogEpochs",
    "Checkpoint",
    "LayerStats",
    "load_checkpoint",
    "TrainConfig",
    "TrainResult",
    "train",
    "PRESETS",
    "load_dataset",
    "DATASETS",
    "to_torch",
    "from_torch",
]

_WHERE = {
    "HardActivation": "functional",
    "hard_activation": "functional",
    "make_activation": "functional",
    "ACTIVATIONS": "functional",
    "RULES": "losses",
    "get_rule": "losses",
    "make_model": "models",
    "MODELS": "models",
    "MLP": "models",
    "fit": "fit_loop",
    "FitResult": "fit_loop",
    "TrainerState": "fit_loop",
    "evaluate": "evaluation",
    "Callback": "callbacks",
    "EarlyStopping": "callbacks",
    "LogEpochs": "callbacks",
    "Checkpoint": "callbacks",
    "LayerStats": "callbacks",
    "load_checkpoint": "callbacks",
    "TrainConfig": "train_config",
    "TrainResult": "named_run",
    "train": "named_run",
    "PRESETS": "train_config",
    "load_dataset": "data",
    "DATASETS": "data",
    "to_torch": "convert",
    "from_torch": "convert",
}


def __getattr__(name: str):
    from ._require import lazy_attribute

    return lazy_attribute(__name__, _WHERE, name)
