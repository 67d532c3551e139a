"""``hardtarget train --method cb | weight-dist``: trains, exports a Network, refuses bad
options."""

from __future__ import annotations

import json

import numpy as np
import pytest

torch = pytest.importorskip("torch")  # the suite runs without the torch extra
from sklearn.datasets import load_digits

import hardtarget as ht
from hardtarget.cli import main

pytestmark = pytest.mark.usefixtures("one_thread")


def _digits01_test():
    d = load_digits()
    keep = d.target <= 1
    X, y = d.images[keep].reshape(-1, 64) / 16.0, d.target[keep]
    return X[::5], y[::5]  # the fixed split of the built-in data set: every 5th image


@pytest.mark.parametrize(
    "method", [["--method", "cb"], ["--method", "weight-dist", "--weights", "quinary"]]
)
def test_train_baseline_exports_a_network_that_scores_as_reported(method, tmp_path, capsys):
    path = tmp_path / "net.npz"
    rc = main(
        [
            "train",
            *method,
            "--model",
            "mlp",
            "--model-option",
            "hidden=[12]",
            "--dataset",
            "digits:0-1",
            "--epochs",
            "6",
            "--batch-size",
            "32",
            "--no-progress",
            "--json",
            "--export-network",
            str(path),
            "--out",
            str(tmp_path / "run"),
        ]
    )
    assert rc == 0
    out = json.loads(capsys.readouterr().out)
    assert out["status"] == "completed"
    net = ht.Network.load(path)
    assert [a.name for a in net.activations] == ["sign", "sign"] and net.widths == (12, 1)
    X, y = _digits01_test()
    acc = 100 * np.mean(net.predict_labels(X) == y)
    assert acc == pytest.approx(
        out["history"][-1]["test_top1"], abs=1.5
    )  # float32 torch vs float64
    assert acc > 90
    assert (tmp_path / "run" / "final.pt").is_file() and (tmp_path / "run" / "log.json").is_file()


@pytest.mark.parametrize(
    "argv,msg",
    [
        (["--method", "cb", "--model", "convnet4"], "--model mlp, cnn, vgg, spec"),
        (["--method", "cb", "--model", "mlp", "--rule", "sste"], "only applies to --method ftprop"),
        (["--method", "cb", "--model", "cnn", "--epochs", "4"], "raise --epochs to 7"),
        (
            [
                "--method",
                "weight-dist",
                "--model",
                "mlp",
                "--epochs",
                "2",
                "--pretrain-epochs",
                "2",
            ],
            "no epoch for",
        ),
        (
            ["--method", "weight-dist", "--model", "cnn", "--export-network", "x.npz"],
            "fully connected",
        ),
    ],
)
def test_train_baseline_bad_options_exit_2(argv, msg, capsys):
    assert main(["train", *argv, "--dataset", "digits:0-1", "--no-progress"]) == 2
    assert msg in capsys.readouterr().err
