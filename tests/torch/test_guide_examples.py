"""The torch-bridge guide's examples run as written (docs/guide/torch-bridge.md)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("torch")  # the suite runs without the torch extra

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "guide" / "torch-bridge.md"


def test_readme_torch_example_runs():
    section = GUIDE.read_text()
    block = re.findall(r"```python\n(.*?)```", section, flags=re.S)[0]
    ns: dict = {}
    exec(compile(block, "torch-bridge.md", "exec"), ns)
    from hardtarget.torch.convert import predict_exact

    X = np.random.default_rng(0).random((50, 64))
    np.testing.assert_array_equal(ns["net"].predict(X), predict_exact(ns["mlp"], X).numpy())
    assert ns["res"].history[-1]["test_top1"] > 90


def test_lazy_names_are_the_functions_even_after_submodule_imports():
    import hardtarget.torch as htt
    import hardtarget.torch.named_run  # noqa: F401  (a submodule import must not shadow `train`)
    from hardtarget.torch import train

    assert callable(train) and train.__name__ == "train"
    assert all(
        callable(getattr(htt, n)) or isinstance(getattr(htt, n), (tuple, dict)) for n in htt.__all__
    )


def test_readme_network_classifies_raw_digits():
    text = GUIDE.read_text()
    ns: dict = {}
    exec(
        compile(re.findall(r"```python\n(.*?)```", text, flags=re.S)[0], "torch-bridge.md", "exec"),
        ns,
    )
    import torch

    from hardtarget.torch.data import load_dataset

    b = load_dataset("digits:0-1")
    x, y = b.test.batch(torch.arange(len(b.test)))
    assert ns["net"].widths[-1] == 1
    assert (
        np.mean(ns["net"].predict_labels(x.reshape(len(x), -1).double().numpy()) == y.numpy())
        > 0.95
    )


def test_readme_fit_example_runs():
    section = GUIDE.read_text()
    block = [b for b in re.findall(r"```python\n(.*?)```", section, flags=re.S) if "fit(" in b][0]
    ns: dict = {}
    exec(compile(block, "torch-bridge.md", "exec"), ns)
    res = ns["res"]
    assert 1 <= len(res.history) <= 5 and res.status in ("completed", "stopped")
    assert res.best["monitor"] == "val_top1" and "val_top1" in res.history[0]
