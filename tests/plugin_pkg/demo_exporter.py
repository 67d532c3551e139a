"""An export format: the weights as exact hexadecimal floats in a text file."""

from __future__ import annotations

from pathlib import Path

import numpy as np

import hardtarget as ht
from hardtarget.export import Exporter


class HexText(Exporter):
    """Text: one block per layer, the activation then its weights as hex floats (exact)."""

    name = "demo"
    suffixes = (".demo",)
    pipelines = False

    def write(self, net, path: Path, *, inputs: str, steps: list, **options) -> list[Path]:
        lines = []
        for W, act in zip(net.weights, net.activations):
            lines.append(f"{act.name} {W.shape[0]} {W.shape[1]}")
            lines += [" ".join(float(v).hex() for v in row) for row in W]
        path.write_text("\n".join(lines) + "\n")
        return [path]

    def open(self, path: Path, **runtime):
        return _Runner(path)


class _Runner:
    def __init__(self, path: Path):
        lines = Path(path).read_text().splitlines()
        weights, acts = [], []
        while lines:
            act, rows, cols = lines.pop(0).split()
            W = [[float.fromhex(v) for v in lines.pop(0).split()] for _ in range(int(rows))]
            weights.append(np.array(W).reshape(int(rows), int(cols)))
            acts.append(act)
        self.net = ht.Network(weights, acts)
        self.n_features, self.n_outputs = self.net.n_features, self.net.widths[-1]
        self.inputs = "real"

    def decision(self, X) -> np.ndarray:
        return np.asarray(self.net.decision_function(X)).reshape(len(X), -1)

    def index(self, X) -> np.ndarray:
        z = self.decision(X)
        return np.argmax(z, axis=1) if z.shape[1] > 1 else (z[:, 0] > 0).astype(np.int64)
