"""Issue 22, item 4: one declared training configuration for ``train``, the baselines and the
CLI.  A run from a ``TrainConfig`` equals the same run spelled out by hand with the
documented defaults, bit for bit; renamed names still work and warn."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")  # the suite runs without the torch extra

from hardtarget.cli import main
from hardtarget.torch import TrainConfig, fit, make_model, train
from hardtarget.torch.baselines import CBNet, RealNet, arch_spec, train_cb, train_weight_dist
from hardtarget.torch.data import channel_stats, load_dataset
from hardtarget.torch.evaluation import normalizer
from hardtarget.torch.sources import holdout

from .helpers import same_weights

pytestmark = pytest.mark.usefixtures("one_thread")

SMALL = dict(dataset="digits:0-1", batch_size=32, limit=120, progress=False)


def _by_hand():
    """The data of a SMALL run, set up step by step as the docs describe it."""
    bundle = load_dataset("digits:0-1")
    train_set, val_set = holdout(bundle.train, 0.0, 0, True)
    train_set = train_set.subset(torch.arange(120))
    mean, std = channel_stats(train_set)
    return bundle, train_set, val_set, normalizer((list(mean), list(std)))


def test_an_ftprop_config_trains_the_same_weights_as_fit_spelled_out():
    res = train(TrainConfig(model="mlp", model_options={"hidden": [8]}, epochs=2, **SMALL))
    bundle, tr, val, pre = _by_hand()
    torch.manual_seed(0)
    model = make_model("mlp", "sign", None, True, bundle.in_shape, 2, hidden=[8])
    fit(model, tr, val=val, test=bundle.test, epochs=2, batch_size=32, optimizer="adam",
        lr=1e-3, preprocess=pre, seed=0, progress=False)  # fmt: skip
    assert same_weights(res.model, model) and res.classes == [0, 1]


def test_a_cb_config_trains_the_same_weights_as_train_cb_spelled_out():
    cfg = TrainConfig(method="cb", model="mlp", model_options={"hidden": [8]}, epochs=4, **SMALL)
    res = train(cfg)
    bundle, tr, val, pre = _by_hand()
    torch.manual_seed(0)
    model = CBNet(arch_spec("mlp", hidden=[8]), bundle.in_shape, 2)
    want = train_cb(model, tr, pretrain_epochs=2, stage_epochs=1, lr=1e-3, slope_lr=1e-2,
                    test=bundle.test, val=val, batch_size=32, seed=0, preprocess=pre,
                    progress=False)  # fmt: skip
    assert same_weights(res.model, want.model) and res.stages == want.stages


def test_a_weight_dist_config_trains_the_same_weights_as_train_weight_dist_spelled_out():
    cfg = TrainConfig(
        method="weight-dist", model="mlp", model_options={"hidden": [8]}, epochs=6, **SMALL
    )
    res = train(cfg)
    bundle, tr, val, pre = _by_hand()
    torch.manual_seed(0)
    real = RealNet(arch_spec("mlp", hidden=[8]), bundle.in_shape, 2)
    want = train_weight_dist(real, tr, weights="ternary", real_epochs=3, tanh_epochs=1,
                             sign_epochs=2, test=bundle.test, val=val, batch_size=32, seed=0,
                             preprocess=pre, progress=False)  # fmt: skip
    assert same_weights(res.model, want.model)


def test_final_pt_is_written_while_the_procedure_holds_the_lock(tmp_path, monkeypatch):
    from hardtarget import _io
    from hardtarget.torch.baselines import procedures, runs

    seen = []

    def save_final(out_dir, res, extra):
        seen.append(_io._lock_path(out_dir).exists())
        runs.save_final(out_dir, res, extra)

    monkeypatch.setattr(procedures, "save_final", save_final)
    cfg = TrainConfig(method="cb", model="mlp", model_options={"hidden": [4]}, epochs=3,
                      out_dir=str(tmp_path / "run"), **SMALL)  # fmt: skip
    train(cfg)
    assert seen == [True]
    saved = torch.load(tmp_path / "run" / "final.pt", weights_only=False)
    assert set(saved) == {"model", "norm", "stages"}
    assert not _io._lock_path(tmp_path / "run").exists()  # released after


def test_export_takes_the_classes_from_the_run_without_reloading_the_data(tmp_path, monkeypatch):
    from hardtarget.torch import named_run

    calls = []
    real = named_run.load_dataset

    def counting(*a, **k):
        calls.append(a)
        return real(*a, **k)

    monkeypatch.setattr(named_run, "load_dataset", counting)
    path = tmp_path / "net.npz"
    argv = ["train", "--model", "mlp", "--model-option", "hidden=[4]", "--dataset",
            "digits:0-1", "--limit", "40", "--epochs", "1", "--no-progress", "-q",
            "--export-network", str(path)]  # fmt: skip
    assert main(argv) == 0
    assert len(calls) == 1 and path.exists()


def test_the_help_of_train_comes_from_the_declaration():
    from hardtarget.cli.main import build_parser
    from hardtarget.torch.train_config import declared, flag

    sub = next(a for a in build_parser()._actions if a.dest == "command")
    actions = {a.dest: a for a in sub.choices["train"]._actions}
    for name, spec in declared().items():
        if spec.flag == "":
            assert name not in actions
            continue
        assert actions[name].help.replace("%%", "%") == spec.help
        assert flag(name) in actions[name].option_strings
    assert actions["slope_lr"].help.startswith("cb:")


def test_renamed_names_still_work_with_a_deprecation_warning():
    from hardtarget.torch import fit_loop, named_run
    from hardtarget.torch.baselines import callbacks

    with pytest.warns(DeprecationWarning, match="RefreshBatchNorm"):
        from hardtarget.torch.baselines import DiscreteBN
    assert DiscreteBN is callbacks.RefreshBatchNorm
    with pytest.warns(DeprecationWarning, match="fit_loop"):
        from hardtarget.torch.trainer import fit as old_fit
    with pytest.warns(DeprecationWarning, match="named_run"):
        from hardtarget.torch.training import train as old_train
    assert old_fit is fit_loop.fit and old_train is named_run.train
    with pytest.raises(AttributeError):
        callbacks.NoSuchName  # noqa: B018


@pytest.mark.parametrize(
    "kw,msg",
    [
        ({"method": "cb", "rule": "hinge"}, "--rule only applies to --method ftprop"),
        ({"weights": "ternary"}, "--weights only applies to --method weight-dist"),
        ({"method": "cb", "logit_lr": 0.1}, "--logit-lr only applies"),
        ({"method": "nope"}, "unknown training method 'nope'; valid: ftprop, cb, weight-dist"),
    ],
)
def test_the_api_refuses_what_the_method_ignores(kw, msg):
    from hardtarget.errors import HardTargetError

    with pytest.raises(HardTargetError, match=msg):
        TrainConfig(model="mlp", **kw).resolved()


def test_a_config_of_defaults_gives_no_option(monkeypatch):
    from hardtarget.torch.train_config import given_options

    assert given_options(TrainConfig()) == []
    assert given_options(TrainConfig(lr=0.5, stratify=False)) == ["stratify", "lr"]
    assert np.isclose(TrainConfig(lr=0.5).resolved().lr, 0.5)


def test_ctrl_c_cancels_the_budget_and_the_run_returns_what_it_trained(
    tmp_path, monkeypatch, capsys
):
    import signal

    from hardtarget.torch import named_run

    real_fit, batches = named_run.fit, [0]

    class CtrlC:
        def on_batch_end(self, state):
            batches[0] += 1
            if batches[0] == 2:
                signal.raise_signal(signal.SIGINT)  # as the user's Ctrl-C

    def fit_with_ctrl_c(*a, callbacks=(), **k):
        return real_fit(*a, callbacks=[*callbacks, CtrlC()], **k)

    monkeypatch.setattr(named_run, "fit", fit_with_ctrl_c)
    before = signal.getsignal(signal.SIGINT)  # SIG_IGN when the suite runs in the background
    out = tmp_path / "run"
    argv = ["train", "--model", "mlp", "--model-option", "hidden=[4]", "--dataset",
            "digits:0-1", "--limit", "40", "--epochs", "5", "--no-progress", "-q", "--json",
            "--out", str(out)]  # fmt: skip
    assert main(argv) == 130
    captured = capsys.readouterr()
    assert "interrupted" in captured.err and "last.pt holds the last finished epoch" in captured.err
    import json

    report = json.loads(captured.out)
    assert report["status"] == "interrupted" and len(report["history"]) == 2  # 1 batch an epoch
    assert len(torch.load(out / "last.pt", weights_only=False)["history"]) == 2
    assert signal.getsignal(signal.SIGINT) is before  # restored


def test_a_time_limit_ends_the_run_through_the_budget(monkeypatch):
    from hardtarget.budget import Budget
    from hardtarget.torch import named_run

    now, real_fit = [0.0], named_run.fit

    class Tick:
        def on_batch_end(self, state):
            now[0] += 1.0

    def ticking(*a, callbacks=(), **k):
        return real_fit(*a, callbacks=[*callbacks, Tick()], **k)

    monkeypatch.setattr(named_run, "fit", ticking)
    cfg = TrainConfig(model="mlp", model_options={"hidden": [4]}, epochs=9, time_limit=5.5, **SMALL)
    res = train(cfg, budget=Budget(clock=lambda: now[0]))
    # 120 samples in batches of 32: 4 batches an epoch; after batch 6 the clock reads 6 > 5.5
    assert res.status == "time_limit" and len(res.history) == 1


def test_the_guide_table_of_method_options_is_the_declaration():
    """docs/guide/budgets-at-scale.md lists, per method, the options it refuses: the same
    table as the declaration (a new method-specific option must be added there too)."""
    import re
    from pathlib import Path

    from hardtarget.torch.train_config import declared, flag, method_options

    page = Path(__file__).resolve().parents[2] / "docs" / "guide" / "budgets-at-scale.md"
    rows = re.findall(r"^\| (`--.*?) \| (.*?) \| (.*?) \| (.*?) \|$", page.read_text(), re.M)
    methods = ("ftprop", "cb", "weight-dist")
    table = {}
    for flags, *cells in rows:
        acting = tuple(m for m, c in zip(methods, cells) if c.strip() == "yes")
        for f in re.findall(r"`(--[a-z-]+)`", flags):
            table[f] = acting
    want = {flag(k): v for k, v in method_options().items() if declared()[k].flag != ""}
    assert table == want


@pytest.mark.parametrize("value", ["0", "-1", "nan"])
def test_a_time_limit_that_is_no_time_is_refused_before_any_data_is_read(value, capsys):
    argv = ["train", "--model", "mlp", "--dataset", "digits:0-1", "--time-limit", value]
    assert main(argv) == 2
    assert "time_limit must be a number of seconds > 0" in capsys.readouterr().err
