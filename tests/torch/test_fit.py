"""fit(): any data form, a plain PyTorch loop reproduced bit for bit, splits, decay, hooks."""

from __future__ import annotations

import errno
import os

import numpy as np
import pytest

torch = pytest.importorskip("torch")  # the suite runs without the torch extra
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, IterableDataset, TensorDataset

from hardtarget._io import exclusive_lock
from hardtarget.cli import main
from hardtarget.errors import HardTargetError
from hardtarget.torch import Callback, Checkpoint, EarlyStopping, fit, load_checkpoint, make_model
from hardtarget.torch.named_run import TrainConfig, train
from hardtarget.torch.sources import ArrayData, holdout

from .helpers import same_weights


def _data(n=96, d=12, classes=3, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d)).astype(np.float32)
    y = np.argmax(X[:, :classes], axis=1)
    return X, y


def _net(d=12, classes=3, seed=0):
    torch.manual_seed(seed)
    return make_model(
        "mlp", "sign", "soft_hinge", in_shape=(1, 1, d), num_classes=classes, hidden=(16,)
    )


def test_arrays_and_dataset_give_the_same_run():
    X, y = _data()
    a = fit(_net(), (X, y), epochs=3, batch_size=16, seed=3)
    b = fit(
        _net(),
        TensorDataset(torch.from_numpy(X), torch.from_numpy(y)),
        epochs=3,
        batch_size=16,
        seed=3,
    )
    assert same_weights(a.model, b.model)
    assert [r["train_loss"] for r in a.history] == [r["train_loss"] for r in b.history]
    assert a.status == b.status == "completed"


def test_fit_reproduces_a_plain_pytorch_loop_bit_for_bit():
    X, y = _data(seed=1)
    ds = TensorDataset(torch.from_numpy(X), torch.from_numpy(y))
    test_ds = TensorDataset(torch.from_numpy(X[:40]), torch.from_numpy(y[:40]))

    torch.manual_seed(5)  # the plain protocol: global RNG, DataLoader shuffling, Adam, mean CE
    model = _net(seed=11)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    loader, test_loader = DataLoader(ds, 16, shuffle=True), DataLoader(test_ds, 64)
    for _ in range(3):
        model.train()
        for xb, yb in loader:
            opt.zero_grad()
            F.cross_entropy(model(xb), yb).backward()
            opt.step()
        model.eval()
        with torch.no_grad():
            for xb, _yb in test_loader:
                model(xb)

    torch.manual_seed(5)
    ours = _net(seed=11)
    fit(
        ours,
        DataLoader(ds, 16, shuffle=True),
        test=DataLoader(test_ds, 64),
        epochs=3,
        lr=3e-3,
        seed=None,
    )
    assert same_weights(model, ours)


def test_stratified_split_holds_out_the_same_fraction_of_every_class():
    y = np.repeat([0, 1, 2], [50, 30, 20])
    data = ArrayData(torch.zeros(100, 2), torch.from_numpy(y))
    tr, va = holdout(data, 0.2, seed=4)
    assert sorted(np.bincount(va.y.numpy()).tolist()) == [4, 6, 10]
    assert len(tr) + len(va) == 100
    tr2, va2 = holdout(data, 0.2, seed=4)
    assert torch.equal(va.y, va2.y) and torch.equal(va.x, va2.x)
    _, va3 = holdout(data, 0.2, seed=5, stratify=False)
    assert len(va3) == 20
    ds = TensorDataset(torch.arange(100.0)[:, None], torch.from_numpy(y))
    tr4, va4 = holdout(ds, 0.2, seed=4)
    assert sorted(set(tr4.indices) | set(va4.indices)) == list(range(100))
    assert not set(tr4.indices) & set(va4.indices)


def test_val_split_adds_val_metrics_and_selects_on_them():
    X, y = _data()
    res = fit(_net(), (X, y), test=(X[:10], y[:10]), val_split=0.25, epochs=2, batch_size=16)
    assert {"val_loss", "val_top1", "test_top1", "train_seconds", "eval_seconds"} <= set(
        res.history[0]
    )
    assert res.best["monitor"] == "val_top1"
    assert res.best["metric"] == max(r["val_top1"] for r in res.history)


@pytest.mark.parametrize("decay_all", [False, True])
def test_weight_decay_on_biases_is_selectable(decay_all):
    net = _net()
    before = {k: v.clone() for k, v in net.named_parameters()}
    X, y = _data(n=8)
    lr, wd = 0.5, 0.1  # zero loss gradient: plain SGD then shrinks decayed params by (1 - lr wd)
    fit(
        net,
        (X, y),
        epochs=1,
        batch_size=8,
        optimizer="sgd",
        momentum=0.0,
        lr=lr,
        weight_decay=wd,
        decay_biases_and_norms=decay_all,
        loss_fn=lambda out, t: 0.0 * out.sum(),
    )
    for k, p in net.named_parameters():
        decayed = p.ndim > 1 or decay_all
        expect = before[k] * (1 - lr * wd) if decayed else before[k]
        torch.testing.assert_close(p.detach(), expect, rtol=0, atol=1e-7), k


def test_model_regularization_is_added_to_the_loss():
    class Reg(nn.Module):
        def __init__(self):
            super().__init__()
            self.w = nn.Parameter(torch.tensor([2.0, -1.0]))

        def forward(self, x):
            return x[:, :2] * 0 + self.w * 0

        def regularization(self):
            return 0.25 * (self.w**2).sum()

    m = Reg()
    fit(
        m,
        (np.zeros((4, 2), np.float32), np.zeros(4, np.int64)),
        epochs=1,
        batch_size=4,
        optimizer="sgd",
        momentum=0.0,
        lr=0.1,
    )
    torch.testing.assert_close(m.w.detach(), torch.tensor([2.0, -1.0]) * (1 - 0.1 * 0.5))


def test_callbacks_freeze_layers_and_stop_early():
    class FreezeFirst(Callback):
        def on_epoch_start(self, state):
            first = state.model.net[1]
            first.weight.requires_grad_(state.epoch > 2)
            first.bias.requires_grad_(state.epoch > 2)

    class Snap(Callback):
        def __init__(self):
            self.w = []

        def on_epoch_end(self, state):
            self.w.append(state.model.net[1].weight.detach().clone())

    X, y = _data()
    net, snap = _net(), Snap()
    w0 = net.net[1].weight.detach().clone()
    res = fit(
        net,
        (X, y),
        epochs=6,
        batch_size=16,
        lr=1e-2,
        callbacks=[FreezeFirst(), snap, EarlyStopping("lr", patience=3)],
    )
    assert torch.equal(snap.w[0], w0) and torch.equal(snap.w[1], w0)  # frozen in epochs 1-2
    assert not torch.equal(snap.w[2], w0)
    assert res.status == "stopped" and len(res.history) == 4  # lr never improves


def test_a_cancelled_budget_interrupts_between_batches(cancel_after):
    X, y = _data()
    budget, cb = cancel_after(3)
    seen = []
    res = fit(_net(), (X, y), epochs=5, batch_size=16, budget=budget, callbacks=[cb, _Count(seen)])
    assert res.status == "interrupted" and res.history == [] and len(seen) == 3


def test_an_expired_budget_ends_the_run_as_time_limit():
    from hardtarget.budget import Budget

    X, y = _data()
    now = [0.0]
    budget = Budget(time_limit=10.0, clock=lambda: now[0])

    class Tick:
        def on_batch_end(self, state):
            now[0] += 4.0  # three batches pass the 10 s deadline

    res = fit(_net(), (X, y), epochs=5, batch_size=16, budget=budget, callbacks=[Tick()])
    assert res.status == "time_limit" and res.history == []


def test_the_stop_callable_still_works_and_is_deprecated():
    X, y = _data()
    calls = []

    def stop():
        calls.append(1)
        return len(calls) > 3

    with pytest.warns(DeprecationWarning, match="budget"):
        res = fit(_net(), (X, y), epochs=5, batch_size=16, stop=stop)
    assert res.status == "interrupted" and res.history == []


class _Count:
    def __init__(self, seen):
        self.seen = seen

    def on_batch_end(self, state):
        self.seen.append(state.batch_size)


def test_iterable_dataset_and_dataloader_are_accepted():
    X, y = _data()

    class Stream(IterableDataset):
        def __iter__(self):
            return iter(zip(torch.from_numpy(X), torch.from_numpy(y), strict=True))

    res = fit(_net(), Stream(), epochs=1, batch_size=32)
    assert res.history[0]["train_top1"] >= 0
    res = fit(
        _net(),
        DataLoader(TensorDataset(torch.from_numpy(X), torch.from_numpy(y)), 32),
        test=(X, y),
        epochs=1,
    )
    assert 0 <= res.history[0]["test_top1"] <= 100


@pytest.mark.parametrize(
    "kwargs,match",
    [
        (dict(lr=float("nan")), "lr must be a finite number >= 0, got nan"),
        (dict(lr=-1.0), "lr must be a finite number >= 0"),
        (dict(weight_decay=float("inf")), "weight_decay must be a finite"),
        (dict(momentum=-0.5), "momentum must be"),
        (dict(epochs=0), "epochs must be an integer >= 1"),
        (dict(batch_size=0), "batch_size must be an integer >= 1"),
        (dict(val_split=1.0), r"validation fraction must be in \[0, 1\)"),
        (dict(optimizer="rmsprop"), "unknown optimizer 'rmsprop'; valid: adam, sgd"),
        (dict(precision="fp8"), "unknown precision 'fp8'; valid: fp32, bf16, fp16"),
        (dict(device="tpu"), "unknown device 'tpu'; valid: cpu, cuda"),
    ],
)
def test_bad_hyperparameters_are_refused(kwargs, match):
    X, y = _data()
    with pytest.raises(HardTargetError, match=match):
        fit(_net(), (X, y), **kwargs)


def test_bad_data_is_refused():
    X, y = _data()
    with pytest.raises(HardTargetError, match="same number of samples"):
        fit(_net(), (X, y[:-1]))
    with pytest.raises(HardTargetError, match="y holds real numbers.*pass integer labels"):
        fit(_net(), (X, y + 0.5))
    with pytest.raises(HardTargetError, match="NaN or infinite"):
        fit(_net(), (np.full_like(X, np.nan), y))
    with pytest.raises(HardTargetError, match=r"\(X, y\) arrays, a torch Dataset or a DataLoader"):
        fit(_net(), 42)
    with pytest.raises(HardTargetError, match="not a DataLoader"):
        fit(
            _net(),
            DataLoader(TensorDataset(torch.from_numpy(X), torch.from_numpy(y))),
            val_split=0.1,
        )


@pytest.mark.parametrize(
    "flag,value",
    [
        ("--lr", "nan"),
        ("--lr", "-1"),
        ("--momentum", "inf"),
        ("--weight-decay", "-0.1"),
        ("--val-split", "1.5"),
        ("--gamma", "nan"),
    ],
)
def test_cli_refuses_non_finite_or_negative_hyperparameters(flag, value, capsys):
    assert main(["train", "--model", "mlp", "--epochs", "1", flag, value]) == 2
    err = capsys.readouterr().err
    assert "must be" in err and value in err


def test_a_locked_output_directory_is_refused_naming_the_holder(tmp_path, capsys):
    with exclusive_lock(tmp_path):
        argv = [
            "train",
            "--model",
            "mlp",
            "--dataset",
            "digits:0-1",
            "--epochs",
            "1",
            "--out",
            str(tmp_path),
        ]
        assert main(argv) == 2
    err = capsys.readouterr().err
    assert f"pid {os.getpid()}" in err
    assert not (tmp_path / "last.pt").exists()
    assert main(argv) == 0  # released: the run goes ahead


def test_a_failing_callback_start_still_releases_the_output_lock(tmp_path):
    class Broken(Callback):
        def on_fit_start(self, state):
            raise HardTargetError("broken callback")

    X, y = _data()
    with pytest.raises(HardTargetError, match="broken callback"):
        fit(_net(), (X, y), epochs=1, callbacks=[Checkpoint(tmp_path), Broken()])
    with exclusive_lock(tmp_path):  # released by Checkpoint.on_fit_end
        pass


def test_a_refused_resume_releases_the_lock(tmp_path):
    from hardtarget.torch.fit_loop import TrainerState

    state = TrainerState(None, None, None, None, None, 1, torch.device("cpu"))
    ck = Checkpoint(tmp_path, resume=True)
    with pytest.raises(HardTargetError, match="does not exist"):
        ck.on_fit_start(state)  # no last.pt; the object stays referenced here
    with exclusive_lock(tmp_path):  # free again
        pass


def test_two_runs_on_a_new_directory_take_the_same_lock(tmp_path):
    from hardtarget.torch.fit_loop import TrainerState

    state = TrainerState(None, None, None, None, None, 1, torch.device("cpu"))
    first = Checkpoint(tmp_path / "new" / "run")
    first.on_fit_start(state)
    (tmp_path / "new" / "run").mkdir(parents=True, exist_ok=True)  # as the first run's writes do
    try:
        with pytest.raises(HardTargetError, match=f"pid {os.getpid()}"):
            Checkpoint(tmp_path / "new" / "run").on_fit_start(state)
    finally:
        first.on_fit_end(state)


def test_full_disk_names_the_surviving_checkpoint(tmp_path, monkeypatch):
    import hardtarget.torch.callbacks as cb

    real = cb.torch.save
    calls = []

    def save(obj, fh):
        calls.append(obj["epoch"])
        if obj["epoch"] == 1:
            raise OSError(errno.ENOSPC, "No space left on device")
        real(obj, fh)

    monkeypatch.setattr(cb.torch, "save", save)
    cfg = TrainConfig(model="mlp", dataset="digits:0-1", epochs=3, out_dir=str(tmp_path))
    with pytest.raises(
        HardTargetError,
        match=r"after epoch 2: the disk is full; the previous "
        r"checkpoint .*last\.pt is intact",
    ):
        train(cfg)
    monkeypatch.setattr(cb.torch, "save", real)
    assert load_checkpoint(tmp_path / "last.pt")["epoch"] == 0
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_output_files_keep_the_umask(tmp_path):
    old = os.umask(0o027)
    try:
        X, y = _data()
        fit(_net(), (X, y), epochs=1, callbacks=[Checkpoint(tmp_path)])
    finally:
        os.umask(old)
    for name in ("last.pt", "best.pt", "log.csv", "log.json"):
        assert (tmp_path / name).stat().st_mode & 0o777 == 0o640, name
