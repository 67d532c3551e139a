"""Ensembles of exact networks assembled into one hard-threshold network.

``ovo`` (one-vs-one): one member per pair of classes ``(i, j)``, ``i < j``, trained on
the samples of those two classes only (+1 for class ``i``).  The members run side by
side (block-diagonal weights) and an extra output layer counts their votes: output unit
``c`` has the pre-activation ``z_c = sum_{j>c} h_cj - sum_{i<c} h_ic + b_c``: twice the
votes of class ``c`` for sign units (``b_c = k - 1``), the votes for step units
(``b_c = c``); integer weights, so every backend sums them exactly.  The prediction is
the class with the most votes, ties to the lowest class index (``argmax`` takes the
first maximum in numpy, ONNX ``ArgMax`` and the C export).
If every member fits its pair exactly, the ensemble fits every training sample: its
class gets all ``k - 1`` of its votes, any other class at most ``k - 2``.

``ovr`` (one-vs-rest): one member per class ``c`` on all samples (+1 for class ``c``);
the output layer holds the members' output units, the prediction is the largest output
pre-activation (as for a one-output-per-class network).

Members of different depths are padded to the deepest with identity layers (a sign unit
with weight 1 reproduces a ±1 input; a step unit with weight 1 and bias -1/2 a 0/1 one).
"""

from __future__ import annotations

import numpy as np

from .errors import HardTargetError
from .network import Network

__all__ = ["ovo_pairs", "pad_depth", "stack", "vote_layer", "ovo_network", "ovr_network"]


def ovo_pairs(k: int) -> list[tuple[int, int]]:
    """The class pairs ``(i, j)``, ``i < j``, in the order of the ensemble's members.

    >>> ovo_pairs(3)
    [(0, 1), (0, 2), (1, 2)]
    """
    return [(i, j) for i in range(k) for j in range(i + 1, k)]


def _identity(n: int, kind: str) -> np.ndarray:
    bias = np.full((1, n), -0.5 if kind == "step" else 0.0)
    return np.vstack([np.eye(n), bias])


def pad_depth(net: Network, depth: int) -> Network:
    """``net`` with identity layers appended until it has ``depth`` layers (same outputs)."""
    if len(net.weights) > depth:
        raise HardTargetError(f"cannot pad a {len(net.weights)}-layer network to {depth} layers")
    weights, acts = list(net.weights), list(net.activations)
    while len(weights) < depth:
        weights.append(_identity(weights[-1].shape[1], acts[-1].kind))
        acts.append(acts[-1])
    return Network(weights, acts, net.classes)


def stack(nets: list[Network]) -> list[np.ndarray]:
    """Weights of networks side by side: shared inputs, block-diagonal after (same depth)."""
    weights = [np.hstack([n.weights[0] for n in nets])]
    for d in range(1, len(nets[0].weights)):
        blocks = [n.weights[d] for n in nets]
        W = np.zeros((sum(b.shape[0] - 1 for b in blocks) + 1, sum(b.shape[1] for b in blocks)))
        r = c = 0
        for b in blocks:
            W[r : r + b.shape[0] - 1, c : c + b.shape[1]] = b[:-1]
            W[-1, c : c + b.shape[1]] = b[-1]
            r, c = r + b.shape[0] - 1, c + b.shape[1]
        weights.append(W)
    return weights


def vote_layer(k: int, kind: str = "sign") -> np.ndarray:
    """The ``(P + 1, k)`` weights counting the votes of the ``P`` pair members.

    >>> vote_layer(3).astype(int).tolist()
    [[1, -1, 0], [1, 0, -1], [0, 1, -1], [2, 2, 2]]
    """
    pairs = ovo_pairs(k)
    W = np.zeros((len(pairs) + 1, k))
    for p, (i, j) in enumerate(pairs):
        W[p, i], W[p, j] = 1.0, -1.0
    W[-1] = (k - 1) if kind == "sign" else np.arange(k)
    return W


def _common_depth(members: list[Network]) -> list[Network]:
    kinds = {a.name for m in members for a in m.activations}
    if len(kinds) != 1:
        raise HardTargetError(f"ensemble members must share one activation, got {sorted(kinds)}")
    if any(m.widths[-1] != 1 for m in members):
        raise HardTargetError("every ensemble member needs exactly one output unit")
    depth = max(len(m.weights) for m in members)
    return [pad_depth(m, depth) for m in members]


def ovo_network(members: list[Network], classes) -> Network:
    """One network computing the one-vs-one vote of ``members`` (in :func:`ovo_pairs` order)."""
    classes = np.asarray(classes)
    k = len(classes)
    if len(members) != k * (k - 1) // 2:
        raise HardTargetError(f"{k} classes need {k * (k - 1) // 2} one-vs-one members")
    members = _common_depth(members)
    act = members[0].activations[-1]
    weights = [*stack(members), vote_layer(k, act.kind)]
    return Network(weights, [*members[0].activations, act], classes)


def ovr_network(members: list[Network], classes) -> Network:
    """One network whose output ``c`` is member ``c``'s output unit (one-vs-rest)."""
    classes = np.asarray(classes)
    if len(members) != len(classes):
        raise HardTargetError(f"{len(classes)} classes need {len(classes)} one-vs-rest members")
    members = _common_depth(members)
    return Network(stack(members), members[0].activations, classes)
