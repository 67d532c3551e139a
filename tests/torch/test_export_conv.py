"""A torch conv net leaves as ONNX and predicts what the torch model predicts."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits

import hardtarget as ht
from hardtarget.torch.models import ConvNet4

pytest.importorskip("onnxruntime")


def _digits():
    X, y = load_digits(return_X_y=True)
    X = (X / 16.0).astype(np.float32).reshape(-1, 1, 8, 8)
    return X[:1400], y[:1400], X[1400:], y[1400:]


def _train(model, X, y, epochs=2, seed=0):
    torch.manual_seed(seed)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
    for _ in range(epochs):
        for i in torch.randperm(len(X)).split(64):
            opt.zero_grad()
            torch.nn.functional.cross_entropy(model(Xt[i]), yt[i]).backward()
            opt.step()
    return model.eval()


def _small_convnet(activation):
    from hardtarget.torch.functional import make_activation

    return torch.nn.Sequential(
        torch.nn.Conv2d(1, 8, 3, padding=1),
        torch.nn.MaxPool2d(2),
        make_activation(activation),
        torch.nn.Conv2d(8, 16, 3, padding=1),
        torch.nn.MaxPool2d(2),
        make_activation(activation),
        torch.nn.Flatten(),
        torch.nn.Linear(64, 10),
    )


def test_a_conv_net_trained_on_digits_exports_and_verifies(tmp_path):
    activation = "sign"
    Xtr, ytr, Xte, yte = _digits()
    torch.manual_seed(0)
    net = _train(_small_convnet(activation), Xtr[:600], ytr[:600])
    path = tmp_path / "conv.onnx"
    assert ht.export(net, path) == [path]
    check = ht.verify_export(net, path, X=Xte)
    t = check.torch
    assert check.ok, str(check)
    assert t["label_mismatches"] == 0 and t["ties"] < len(Xte) // 4  # most rows are checked
    # independent of verify_export: the file's labels against the torch model's own
    import onnxruntime as ort

    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (index,) = sess.run(["index"], {"X": Xte})
    with torch.no_grad():
        want = net(torch.from_numpy(Xte)).argmax(1).numpy()
    assert (index == want).mean() >= 0.99
    assert (want == yte).mean() > 0.2  # it learned something (chance: 0.1)


def test_convnet4_of_the_bridge_exports_and_verifies_on_digits(tmp_path):
    _, _, Xte, _ = _digits()
    torch.manual_seed(0)
    net = ConvNet4("sign", "soft_hinge", in_shape=(1, 8, 8), num_classes=10, width=32).eval()
    ht.export(net, tmp_path / "c4.onnx")
    check = ht.verify_export(net, tmp_path / "c4.onnx", X=Xte)
    assert check.ok and check.torch["label_mismatches"] == 0, str(check)


def test_batch_norm_and_other_modules_in_a_sequential(tmp_path):
    from hardtarget.torch.functional import make_activation

    torch.manual_seed(1)
    seq = torch.nn.Sequential(
        torch.nn.Conv2d(1, 4, 3, padding=1, bias=False),
        torch.nn.BatchNorm2d(4),
        torch.nn.AvgPool2d(2),
        make_activation("step"),
        torch.nn.Conv2d(4, 4, 1),
        make_activation("qrelu3"),
        torch.nn.Flatten(),
        torch.nn.Linear(64, 8),
        torch.nn.BatchNorm1d(8),
        torch.nn.ReLU(),
        torch.nn.Linear(8, 3),
    )
    with torch.no_grad():  # non-trivial running statistics
        for bn in (m for m in seq if "BatchNorm" in type(m).__name__):
            bn.running_mean.uniform_(-0.5, 0.5)
            bn.running_var.uniform_(0.5, 2.0)
    seq.eval()
    X = np.random.default_rng(0).normal(size=(300, 1, 8, 8)).astype(np.float32)
    ht.export(seq, tmp_path / "s.onnx")
    check = ht.verify_export(seq, tmp_path / "s.onnx", X=X)
    assert check.ok, str(check)


def test_unsupported_torch_exports_are_refused(tmp_path):
    from hardtarget.torch.models import ResNet18

    net = ConvNet4("sign", "soft_hinge", in_shape=(1, 8, 8), num_classes=10, width=8)
    with pytest.raises(ht.HardTargetError, match="ONNX only"):
        ht.export(net, tmp_path / "m.c")
    res = ResNet18("sign", "soft_hinge", in_shape=(3, 32, 32), num_classes=3)
    with pytest.raises(ht.HardTargetError, match="skip connections"):
        ht.export(res, tmp_path / "r.onnx")
    with pytest.raises(ht.HardTargetError, match="give X="):
        ht.export(net, tmp_path / "m.onnx")
        ht.verify_export(net, tmp_path / "m.onnx")
