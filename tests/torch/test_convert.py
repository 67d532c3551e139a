"""hardtarget Network <-> torch MLP: bit-exact predictions both ways."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")  # the suite runs without the torch extra

import hardtarget as ht
from hardtarget.errors import HardTargetError
from hardtarget.torch.convert import from_torch, predict_exact, to_torch
from hardtarget.torch.models import MLP, make_model


def _net(rng, sizes, integer=False, act="sign"):
    ws = []
    for a, b in zip(sizes[:-1], sizes[1:], strict=True):
        W = (
            rng.integers(-2, 3, (a + 1, b)).astype(float)
            if integer
            else rng.standard_normal((a + 1, b))
        )
        ws.append(W)
    return ht.Network(ws, [act] * len(ws))


@pytest.mark.parametrize("integer", [False, True])
@pytest.mark.parametrize("act", ["sign", "step", "qrelu3"])
def test_network_to_torch_and_back_bit_exact(integer, act):
    rng = np.random.default_rng(0)
    net = _net(rng, [12, 9, 5, 1], integer, act)
    X = rng.integers(-1, 2, (400, 12)).astype(float) if integer else rng.standard_normal((400, 12))
    mlp = to_torch(net)
    np.testing.assert_array_equal(predict_exact(mlp, X).numpy(), net.predict(X))
    # integer weights and binary units: the fast training forward is exact too
    z = mlp(torch.from_numpy(X)).detach().numpy()[:, 0]
    if integer and act != "qrelu3":
        np.testing.assert_array_equal(z, net.decision_function(X))
        assert np.any(z == 0)  # ties happen and are resolved as sign(0) = -1 on both sides
    back = from_torch(mlp)
    for a, b in zip(back.weights, net.weights, strict=True):
        np.testing.assert_array_equal(a, b)
    assert [a.name for a in back.activations] == [act] * 3


def test_trained_torch_model_exports_bit_exact():
    from hardtarget.torch.named_run import TrainConfig, train

    res = train(
        TrainConfig(
            model="mlp",
            activation="sign",
            dataset="digits:0-1",
            epochs=2,
            lr=1e-2,
            normalize=False,
            model_options={"hidden": [16]},
        )
    )
    mlp = res.model.double()
    net = from_torch(mlp)
    X = np.random.default_rng(1).random((300, 64))
    np.testing.assert_array_equal(net.predict(X), predict_exact(mlp, X).numpy())
    # and the exact engine's network loads back into torch with the same predictions
    again = to_torch(net)
    np.testing.assert_array_equal(predict_exact(again, X).numpy(), net.predict(X))


def test_fine_tune_an_exact_network_in_torch():
    rng = np.random.default_rng(2)
    net = _net(rng, [6, 4, 1])
    mlp = to_torch(net, rule="soft_hinge")
    X = torch.from_numpy(rng.standard_normal((50, 6)))
    loss = torch.nn.functional.softplus(-mlp(X)[:, 0]).mean()
    loss.backward()
    first = next(p for p in mlp.parameters())
    assert float(first.grad.abs().sum()) > 0  # gradients reach through the sign layer


def test_from_torch_refuses_other_modules():
    with pytest.raises(HardTargetError, match="MLP"):
        from_torch(make_model("convnet4", in_shape=(1, 8, 8), num_classes=2, width=8))
    with pytest.raises(HardTargetError, match="only hard-threshold"):
        from_torch(MLP([4, 3, 1], "relu"))
    with pytest.raises(HardTargetError, match="hardtarget Network"):
        to_torch("net.npz")


def test_from_torch_names_the_module_that_is_not_hard():
    """The error names the offending module, not the first activation (a hard one here)."""
    mlp = MLP([4, 3, 3, 1], "sign")
    mlp.net[4] = torch.nn.ReLU()  # Flatten, Linear, sign, Linear, [ReLU], Linear
    with pytest.raises(HardTargetError, match="this one uses ReLU"):
        from_torch(mlp)


@pytest.mark.parametrize("normalize", [False, True])
def test_cli_export_network_for_the_exact_engine(tmp_path, normalize):
    from hardtarget.cli import main
    from hardtarget.torch.data import load_dataset
    from hardtarget.torch.named_run import load_checkpoint

    path = tmp_path / "net.npz"
    argv = [
        "train",
        "--model",
        "mlp",
        "--activation",
        "sign",
        "--dataset",
        "digits:0-1",
        "--epochs",
        "4",
        "--lr",
        "0.01",
        "--model-option",
        "hidden=[12]",
        "--out",
        str(tmp_path),
        "--export-network",
        str(path),
    ]
    assert main(argv + ([] if normalize else ["--no-normalize"])) == 0
    net = ht.Network.load(path)
    assert net.widths == (12, 1) and [a.name for a in net.activations] == ["sign", "sign"]
    ck = load_checkpoint(tmp_path / "last.pt")
    mlp = MLP([64, 12, 2], "sign").double()
    mlp.load_state_dict({k: v.double() for k, v in ck["model"].items()})
    b = load_dataset("digits:0-1")
    x, y = b.test.batch(torch.arange(len(b.test)))
    X = x.reshape(len(x), -1).double().numpy()
    mean, std = ck["norm"]
    logits = mlp(torch.from_numpy((X - mean[0]) / std[0]))
    torch_pred = logits.argmax(1).numpy()
    net_pred = net.predict_labels(X)
    if normalize:
        assert (
            np.mean(net_pred == torch_pred) >= 0.97
        )  # normalization folded in: equal up to rounding
    else:
        np.testing.assert_array_equal(net_pred, torch_pred)
    assert np.mean(net_pred == y.numpy()) > 0.9


def test_export_network_refuses_conv_models(tmp_path, capsys):
    from hardtarget.cli import main

    assert (
        main(
            [
                "train",
                "--model",
                "convnet4",
                "--epochs",
                "1",
                "--export-network",
                str(tmp_path / "n.npz"),
            ]
        )
        == 2
    )
    assert "--export-network needs --model mlp" in capsys.readouterr().err
