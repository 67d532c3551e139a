"""The baselines train through ``fit`` on small data, and their final networks convert to
hardtarget Networks that predict bit for bit what the torch networks do."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")  # the suite runs without the torch extra
from sklearn.datasets import load_digits

import hardtarget as ht
from hardtarget.errors import HardTargetError
from hardtarget.torch import fit
from hardtarget.torch.baselines import (
    CBNet,
    CBStages,
    DiscreteNet,
    RealNet,
    RefreshBatchNorm,
    WeightDistNet,
    arch_spec,
    train_cb,
    train_weight_dist,
)
from hardtarget.torch.convert import from_torch, predict_exact

pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def digits():
    d = load_digits()
    X = (d.images / 16.0).astype(np.float32)[:, None]
    y = d.target.astype(np.int64)
    test = np.arange(len(y)) % 5 == 0
    return X[~test][:600], y[~test][:600], X[test], y[test]


def _labels(module, X):
    with torch.no_grad():
        return module.eval()(torch.as_tensor(X)).argmax(1).numpy()


def _check_network(mlp, X, want):
    """The Network from ``mlp`` equals it bit for bit and predicts the labels ``want``."""
    net = from_torch(mlp)
    flat = X.reshape(len(X), -1).astype(np.float64)
    np.testing.assert_array_equal(net.predict(flat), predict_exact(mlp, flat).numpy())
    got = np.argmax(net.decision_function(flat), axis=1)
    np.testing.assert_array_equal(got, _labels(mlp, flat))
    assert np.mean(got == want) >= 0.995  # vs the float32 torch model (rounding at near-ties)
    return net, got


def test_cb_trains_and_its_sign_network_converts(digits, tmp_path):
    X, y, Xt, yt = digits
    torch.manual_seed(0)
    model = CBNet(arch_spec("mlp", hidden=(48, 32)), (1, 8, 8), 10)
    res = train_cb(
        model,
        (X, y),
        test=(Xt, yt),
        pretrain_epochs=6,
        stage_epochs=2,
        batch_size=32,
        progress=False,
    )
    assert res.status == "completed" and len(res.history) == 6 + 3 * 2
    assert [r["cb_stage"] for r in res.history[-3:]] == [2, 3, 3]
    assert all(bool(a.binary) for a in model.acts)
    assert res.history[-1]["test_top1"] > 70  # 10 classes: chance is 10 %
    want = _labels(model, Xt)
    net, got = _check_network(res.network, Xt, want)
    assert 100 * np.mean(got == yt) == pytest.approx(res.history[-1]["test_top1"], abs=1.0)
    net.classes = np.arange(10)
    path = tmp_path / "cb.json"
    ht.export(net, path)
    assert ht.verify_export(net, path, n_random=200).ok


def test_weight_dist_two_stages_end_in_an_integer_sign_network(digits, tmp_path):
    X, y, Xt, yt = digits
    torch.manual_seed(1)
    real = RealNet(arch_spec("mlp", hidden=(48,)), (1, 8, 8), 10)
    res = train_weight_dist(
        real,
        (X, y),
        test=(Xt, yt),
        weights="quinary",
        real_epochs=5,
        tanh_epochs=2,
        sign_epochs=3,
        batch_size=32,
        progress=False,
    )
    assert [r["phase"] for r in res.history] == ["real"] * 5 + ["tanh"] * 2 + ["sign"] * 3
    final = res.model
    assert final.activation == "sign" and final.int_weight(0).dtype == torch.int8
    assert set(torch.unique(final.int_weight(0)).tolist()) <= {-2, -1, 0, 1, 2}
    assert res.history[-1]["test_top1"] > 60
    net, _got = _check_network(res.network, Xt, _labels(final, Xt))
    for W in net.weights:  # integer weights, real thresholds
        np.testing.assert_array_equal(W[:-1], np.round(W[:-1]))
    assert np.abs(net.weights[0][:-1]).max() <= 2
    path = tmp_path / "wd.json"
    ht.export(net, path)
    assert ht.verify_export(net, path, n_random=200).ok


@pytest.mark.parametrize("weights", ["ternary", "quaternary"])
def test_conv_nets_train_through_fit_with_the_callbacks(digits, weights):
    X, y, Xt, yt = digits
    spec = arch_spec("cnn", channels=(4, 6), kernel=3, fc=(16,))
    torch.manual_seed(2)
    cb = CBNet(spec, (1, 8, 8), 10, lam={"fc": 1e-3, "conv": 1e-2, "pool": 1e-1})
    sched = CBStages(pretrain=1, per_stage=1)
    res = fit(
        cb,
        (X[:200], y[:200]),
        test=(Xt, yt),
        epochs=sched.total(cb.n_stages),
        callbacks=[sched],
        progress=False,
    )
    assert res.status == "completed" and all(bool(a.binary) for a in cb.acts)
    wd = WeightDistNet.from_real(RealNet(spec, (1, 8, 8), 10), weights)
    res = fit(
        wd,
        (X[:200], y[:200]),
        test=(Xt, yt),
        epochs=2,
        lr=1e-2,
        callbacks=[RefreshBatchNorm((X[:200], y[:200]))],
        progress=False,
    )
    assert all(np.isfinite(r["test_loss"]) for r in res.history)
    assert bool(wd.stats_fresh) and wd.bn_batches is None
    with pytest.raises(HardTargetError, match="fully connected"):
        wd.to_discrete().to_sign_mlp()


def test_procedures_refuse_what_they_set(digits):
    X, y, _, _ = digits
    with pytest.raises(HardTargetError, match="set by the procedure"):
        train_cb(CBNet([("fc", 4)], (1, 8, 8), 10), (X, y), epochs=3)
    with pytest.raises(HardTargetError, match="needs a RealNet"):
        train_weight_dist(CBNet([("fc", 4)], (1, 8, 8), 10), (X, y))


def test_guide_baselines_example_runs():
    guide = Path(__file__).resolve().parents[2] / "docs" / "guide" / "torch-bridge.md"
    section = guide.read_text().split("## The baselines: continuous binarization", 1)[1]
    ns: dict = {}
    block = re.findall(r"```python\n(.*?)```", section, flags=re.DOTALL)[0]
    exec(compile(block, "torch-bridge.md", "exec"), ns)  # noqa: S102  (the guide's own example)
    assert ns["res"].history[-1]["test_top1"] > 80
    assert ns["net"].widths == (100, 100, 10)
    assert ns["final"].int_weight(0).dtype == torch.int8
    assert all(bool(a.binary) for a in ns["cb"].acts)


def test_interrupted_procedures_return_the_network_so_far(digits, cancel_after):
    X, y, Xt, yt = digits
    budget, cancel = cancel_after(10)
    res = train_cb(
        CBNet([("fc", 8)], (1, 8, 8), 10),
        (X, y),
        pretrain_epochs=3,
        stage_epochs=1,
        budget=budget,
        callbacks=[cancel],
        progress=False,
    )
    assert res.status == "interrupted" and res.network is not None
    assert all(bool(a.binary) for a in res.model.acts)
    budget, cancel = cancel_after(10)
    res = train_weight_dist(
        RealNet([("fc", 8)], (1, 8, 8), 10),
        (X, y),
        real_epochs=1,
        tanh_epochs=2,
        sign_epochs=2,
        budget=budget,
        callbacks=[cancel],
        progress=False,
    )
    assert res.status == "interrupted" and [r["phase"] for r in res.history] == ["real"]
    assert res.model.activation == "tanh"  # the discrete net of the stage that was running
    assert _labels(res.model, Xt).shape == yt.shape


def test_a_cb_schedule_cut_by_its_time_limit_binarizes(digits):
    """CBStages ends a run cut by its time limit as it ends one cut by Ctrl-C: binarized."""
    from hardtarget.budget import Budget

    X, y, _, _ = digits
    now = [0.0]
    budget = Budget(time_limit=1.0, clock=lambda: now[0])

    class TenBatchesASecond:
        def on_batch_end(self, state):
            now[0] += 0.1

    model = CBNet([("fc", 8)], (1, 8, 8), 10)
    res = fit(
        model,
        (X, y),
        epochs=6,
        callbacks=[CBStages(pretrain=2, per_stage=2), TenBatchesASecond()],
        budget=budget,
        progress=False,
    )
    assert res.status == "time_limit"
    assert all(bool(a.binary) for a in model.acts)


def test_discrete_sign_of_zero_is_minus_one():
    ints = [torch.tensor([[1, -1]], dtype=torch.int8), torch.tensor([[1], [-1]], dtype=torch.int8)]
    net = DiscreteNet([("fc", 1)], (1, 1, 2), 2, ints, 1)
    assert net._act(torch.tensor([0.0, 1e-30, -1e-30])).tolist() == [-1.0, 1.0, -1.0]
