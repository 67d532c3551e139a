"""``hardtarget train --method cb | weight-dist`` honours --weight-decay and --milestones,
and --resume continues a run to the result an uninterrupted one gives."""

from __future__ import annotations

import json

import pytest

torch = pytest.importorskip("torch")  # the suite runs without the torch extra

from hardtarget.cli import main

pytestmark = pytest.mark.filterwarnings("ignore:continuous binarization forced")


pytestmark = pytest.mark.usefixtures("one_thread")


def _train(method, out, capsys, *extra):
    args = ["train", *method, "--model", "mlp", "--model-option", "hidden=[12]"]
    args += ["--dataset", "digits:0-1", "--batch-size", "32", "--no-progress", "--json"]
    rc = main([*args, "--out", str(out), *extra])
    return rc, capsys.readouterr()


@pytest.mark.parametrize(
    "method, epochs",
    [(["--method", "cb"], "5"), (["--method", "weight-dist", "--weights", "ternary"], "6")],
)
def test_resume_after_the_run_gives_the_same_network(method, epochs, tmp_path, capsys):
    opts = ["--epochs", epochs, "--weight-decay", "1e-3", "--milestones", "3"]
    rc, first = _train(method, tmp_path / "a", capsys, *opts)
    assert rc == 0
    # resuming a finished run trains nothing more and writes the same final network
    rc, again = _train(method, tmp_path / "a", capsys, *opts, "--resume")
    assert rc == 0
    a = torch.load(tmp_path / "a" / "final.pt", weights_only=True)["model"]
    hist = json.loads(first.out)["history"]
    assert json.loads(again.out)["history"][-1]["test_top1"] == hist[-1]["test_top1"]
    if method[1] == "cb":  # one optimizer: the weights' rate steps after epoch 3
        assert [row["lr"] for row in hist][:4] == pytest.approx([1e-3] * 3 + [1e-4], rel=1e-12)
    rc, _ = _train(method, tmp_path / "b", capsys, *opts[:2])  # no weight decay, no steps
    b = torch.load(tmp_path / "b" / "final.pt", weights_only=True)["model"]
    assert any(not torch.equal(a[k], b[k]) for k in a if a[k].is_floating_point())


def test_resume_without_a_checkpoint_is_a_clear_error(tmp_path, capsys):
    rc, err = _train(["--method", "cb"], tmp_path / "none", capsys, "--epochs", "5", "--resume")
    assert rc == 2
    assert "nothing to resume" in err.err
