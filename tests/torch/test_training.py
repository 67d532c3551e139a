"""Training: API and CLI per model, digits 0-vs-1, resume, torchrun, bad input."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")  # the suite runs without the torch extra

from hardtarget.cli import main
from hardtarget.errors import HardTargetError
from hardtarget.torch.callbacks import Callback
from hardtarget.torch.named_run import PRESETS, TrainConfig, evaluate, load_checkpoint, train

from .test_data import write_folder

REPO = Path(__file__).resolve().parents[2]
# one torch thread here and in the children that train (OMP_NUM_THREADS=1): tiny models, and
# two threads on two loaded cores are many times slower (tests/torch/conftest.py)
pytestmark = pytest.mark.usefixtures("one_thread")

SMOKE = {  # model: (dataset, model options)
    "mlp": ("synthetic:40", {"hidden": [16]}),
    "convnet4": ("synthetic:40", {"width": 16}),
    "convnet8": ("synthetic:40", {"width_mult": 0.125}),
    "alexnet": ("imagefolder", {"width": 32, "width_mult": 0.1}),
    "resnet18": ("synthetic:40", {"width": 4}),
    "resnet18-cifar": ("synthetic:40", {"width": 4}),
}


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    root = tmp_path_factory.mktemp("imgs")
    write_folder(root, size=64, per=4)
    return str(root)


def _weights(model):
    return {k: v.clone() for k, v in model.state_dict().items()}


@pytest.mark.parametrize("name", list(SMOKE))
def test_every_model_trains_from_the_api(name, folder, tmp_path):
    dataset, opts = SMOKE[name]
    cfg = TrainConfig(
        model=name,
        activation="qrelu3",
        rule="soft-hinge",
        dataset=dataset,
        data_dir=folder,
        image_size=64,
        model_options=opts,
        epochs=1,
        batch_size=8,
        augment=True,
        out_dir=str(tmp_path),
    )
    torch.manual_seed(0)
    before = _weights(
        train(TrainConfig(**{**cfg.__dict__, "epochs": 1, "lr": 0.0, "out_dir": None})).model
    )
    res = train(cfg)
    after = res.model.state_dict()
    assert any(not torch.equal(before[k], after[k]) for k in before if after[k].is_floating_point())
    row = res.history[-1]
    assert row["epoch"] == 1 and 0 <= row["test_top1"] <= row["test_top5"] <= 100
    assert (tmp_path / "last.pt").is_file() and (tmp_path / "best.pt").is_file()
    assert (
        (tmp_path / "log.csv")
        .read_text()
        .splitlines()[0]
        .startswith("epoch,lr,train_loss,train_top1")
    )


@pytest.mark.parametrize("name", list(SMOKE))
def test_every_model_trains_from_the_cli(name, folder, tmp_path, capsys):
    dataset, opts = SMOKE[name]
    argv = [
        "train",
        "--model",
        name,
        "--activation",
        "sign",
        "--rule",
        "sste",
        "--dataset",
        dataset,
        "--epochs",
        "1",
        "--batch-size",
        "8",
        "--out",
        str(tmp_path),
        "--json",
        "--no-progress",
    ]
    if dataset == "imagefolder":  # the on-disk options act only there (else refused)
        argv += ["--data-dir", folder, "--image-size", "64"]
    for k, v in opts.items():
        argv += ["--model-option", f"{k}={json.dumps(v)}"]
    assert main(argv) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["history"][0]["epoch"] == 1
    assert json.loads((tmp_path / "log.json").read_text())[0]["epoch"] == 1


def test_mlp_digits_0_vs_1_reaches_100_percent_with_sign_ftp_sh():
    res = train(
        TrainConfig(
            model="mlp",
            activation="sign",
            rule="soft-hinge",
            dataset="digits:0-1",
            model_options={"hidden": [32]},
            epochs=8,
            lr=1e-2,
            batch_size=32,
            seed=0,
        )
    )
    from hardtarget.torch.data import load_dataset

    b = load_dataset("digits:0-1")
    assert evaluate(res.model, b.train, res.norm)["top1"] == 100.0
    acts = [m for m in res.model.modules() if m.__class__.__name__ == "HardActivation"]
    assert acts and all(a.rule.name == "soft_hinge" and a.rule.kind == "sign" for a in acts)


RESUME = dict(
    model="mlp",
    activation="sign",
    rule="soft-hinge",
    dataset="digits",
    epochs=5,
    lr=3e-3,
    batch_size=64,
    model_options={"hidden": [48]},
    augment=True,
    val_split=0.1,
    seed=4,
    milestones=[3],
    optimizer="sgd",
    momentum=0.9,
    limit=512,  # 8 batches an epoch: resuming is the same at any size
)


def test_interrupt_and_resume_equals_uninterrupted(tmp_path):
    full = train(TrainConfig(**RESUME, out_dir=str(tmp_path / "a")))

    class Stop(Callback):
        def on_epoch_end(self, state):
            if state.epoch == 2:
                raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        train(TrainConfig(**RESUME, out_dir=str(tmp_path / "b")), callbacks=[Stop()])
    assert load_checkpoint(tmp_path / "b" / "last.pt")["epoch"] == 1  # 0-based: two epochs done
    res = train(TrainConfig(**RESUME, out_dir=str(tmp_path / "b"), resume=True))
    for k, v in full.model.state_dict().items():
        assert torch.equal(v, res.model.state_dict()[k]), k

    def strip(rows):
        return [{k: v for k, v in r.items() if not k.endswith("seconds")} for r in rows]

    assert strip(res.history) == strip(full.history)
    assert res.history[-1]["lr"] == pytest.approx(3e-4)


def test_sigkill_and_resume_equals_uninterrupted(tmp_path):
    args = [
        "--model",
        "mlp",
        "--dataset",
        "digits",
        "--epochs",
        "12",
        "--lr",
        "0.003",
        "--augment",
        "--seed",
        "7",
        "--model-option",
        "hidden=[48]",
        "--limit",
        "512",
        "--no-progress",
    ]
    out = tmp_path / "run"
    # the child says when its third checkpoint is written and waits there to be killed: the
    # kill lands at a known epoch, however loaded the machine (no polling race)
    child = textwrap.dedent(
        """
        import sys, time
        from hardtarget.cli import main
        from hardtarget.torch import callbacks
        written = callbacks.Checkpoint.on_epoch_end
        def held(self, state):
            written(self, state)
            if state.epoch == 3:
                print("checkpoint 3", flush=True)
                time.sleep(600)  # held until the test kills this process
        callbacks.Checkpoint.on_epoch_end = held
        sys.exit(main(sys.argv[1:]))
        """
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", child, "train", *args, "--out", str(out)],
        cwd=REPO,
        env={**os.environ, "OMP_NUM_THREADS": "1"},  # the threads of the resumed run
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    line = proc.stdout.readline()
    os.kill(proc.pid, signal.SIGKILL)
    _, err = proc.communicate()
    assert line.strip() == "checkpoint 3", err[-2000:]
    assert load_checkpoint(out / "last.pt")["epoch"] + 1 == 3
    assert main(["train", *args, "--out", str(out), "--resume"]) == 0
    ref = train(
        TrainConfig(
            model="mlp",
            dataset="digits",
            epochs=12,
            lr=0.003,
            augment=True,
            seed=7,
            model_options={"hidden": [48]},
            limit=512,
        )
    )
    got = load_checkpoint(out / "last.pt")
    assert got["epoch"] == 11
    for k, v in ref.model.state_dict().items():
        assert torch.equal(v, got["model"][k]), k


def test_torchrun_two_ranks_identical_weights(tmp_path):
    script = tmp_path / "ddp.py"
    script.write_text(
        textwrap.dedent(f"""
        import os, torch
        from hardtarget.torch.named_run import TrainConfig, train
        res = train(TrainConfig(model="convnet4", dataset="digits", epochs=1, batch_size=32,
                                limit=256, model_options={{"width": 32}}, augment=True,
                                out_dir={str(tmp_path / "out")!r}))
        rank = int(os.environ["RANK"])
        last = {str(tmp_path / "out" / "last.pt")!r}
        ck = torch.load(last, weights_only=True) if rank == 0 else None
        steps = ck["optimizer"]["state"][0]["step"] if rank == 0 else None
        world = torch.distributed.get_world_size()
        torch.save({{"w": res.model.state_dict(), "world": world, "steps": steps}},
                   {str(tmp_path)!r} + f"/rank{{rank}}.pt")
    """)
    )
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "torch.distributed.run",
            "--standalone",
            "--nproc_per_node",
            "2",
            str(script),
        ],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert r.returncode == 0, r.stderr[-3000:]
    a = torch.load(tmp_path / "rank0.pt", weights_only=True)
    b = torch.load(tmp_path / "rank1.pt", weights_only=True)
    assert a["world"] == b["world"] == 2
    assert int(a["steps"]) == 4  # 256 images / 2 ranks / batch 32: each rank took half the batches
    for k, v in a["w"].items():
        assert torch.equal(v, b["w"][k]), k


def test_nan_loss_stops_and_keeps_last_good_checkpoint(tmp_path):
    class Poison(Callback):
        def on_epoch_end(self, state):
            if state.epoch == 2:
                with torch.no_grad():  # the output bias: logits go NaN
                    list(state.model.parameters())[-1].fill_(float("nan"))

    cfg = TrainConfig(model="mlp", dataset="digits:0-1", epochs=4, out_dir=str(tmp_path))
    with pytest.raises(
        HardTargetError,
        match=r"NaN/inf at epoch 3, batch 1.*last good checkpoint.*last\.pt.*learning rate",
    ):
        train(cfg, callbacks=[Poison()])
    ck = load_checkpoint(tmp_path / "last.pt")
    assert ck["epoch"] == 1  # epoch 2, written before the weights were poisoned
    assert all(torch.isfinite(v).all() for v in ck["model"].values() if v.is_floating_point())


def test_resume_refuses_checkpoint_of_another_model(tmp_path, capsys):
    train(TrainConfig(model="mlp", dataset="digits", epochs=1, out_dir=str(tmp_path)))
    with pytest.raises(HardTargetError, match="from another model.*'model': 'mlp'"):
        train(
            TrainConfig(
                model="convnet4", dataset="digits", epochs=2, out_dir=str(tmp_path), resume=True
            )
        )
    with pytest.raises(HardTargetError, match="another model"):
        train(
            TrainConfig(
                model="mlp",
                activation="qrelu3",
                dataset="digits",
                epochs=2,
                out_dir=str(tmp_path),
                resume=True,
            )
        )
    (tmp_path / "last.pt").write_bytes(b"garbage")
    assert (
        main(["train", "--model", "mlp", "--out", str(tmp_path), "--resume", "--epochs", "2"]) == 2
    )
    assert "not a hardtarget torch checkpoint" in capsys.readouterr().err
    with pytest.raises(HardTargetError, match="does not exist"):
        train(TrainConfig(model="mlp", epochs=1, out_dir=str(tmp_path / "none"), resume=True))


@pytest.mark.parametrize(
    "argv,match",
    [
        (
            ["--model", "vgg"],
            "unknown model 'vgg'; valid: mlp, convnet4, convnet8, alexnet, resnet18",
        ),
        (
            ["--activation", "tanh"],
            "unknown activation 'tanh'; valid: sign, step, qrelu<k>, relu, sat-relu",
        ),
        (
            ["--rule", "nope"],
            "unknown rule 'nope'; valid: soft_hinge, saturated_hinge, hinge, ste, step_hinges",
        ),
        (["--activation", "sign", "--rule", "step-hinges"], "only for qrelu"),
        (["--activation", "relu", "--rule", "soft-hinge"], "continuous"),
        (["--preset", "cifar"], "invalid choice: 'cifar' (choose from 'cifar10-convnet4'"),
        (["--optimizer", "rmsprop"], "invalid choice: 'rmsprop' (choose from 'adam', 'sgd')"),
        (["--dataset", "mnist", "--data-dir", "/nonexistent"], "train-images-idx3-ubyte"),
        (["--device", "tpu"], "invalid choice: 'tpu' (choose from 'cpu', 'cuda')"),
        (["--milestones", "a,b"], "--milestones"),
        (["--resume"], "--resume needs --out DIR"),
        (["--lr", "nan"], "lr must be a finite number >= 0, got nan"),
    ],
)
def test_cli_bad_input(argv, match, capsys):
    assert main(["train", "--epochs", "1", *argv]) == 2
    assert match in capsys.readouterr().err


def test_presets_follow_appendix_b():
    c = TrainConfig(preset="cifar10-convnet4").resolved()
    assert (c.optimizer, c.lr, c.weight_decay, c.epochs, c.milestones) == (
        "adam",
        2.5e-4,
        5e-4,
        300,
        [200, 250],
    )
    assert TrainConfig(preset="cifar10-convnet8", activation="sign").resolved().weight_decay == 1e-7
    assert (
        TrainConfig(preset="cifar10-convnet8", activation="qrelu3").resolved().weight_decay == 5e-4
    )
    a = {
        act: TrainConfig(preset="imagenet-alexnet", activation=act).resolved().weight_decay
        for act in ("sign", "qrelu3", "relu")
    }
    assert a == {"sign": 5e-6, "qrelu3": 5e-5, "relu": 5e-4}
    r = TrainConfig(preset="imagenet-resnet18", activation="qrelu5", lr=0.05).resolved()
    assert (r.optimizer, r.lr, r.momentum, r.weight_decay, r.milestones) == (
        "sgd",
        0.05,
        0.9,
        1e-5,
        [30, 60],
    )
    assert set(PRESETS) == {
        "cifar10-convnet4",
        "cifar10-convnet8",
        "imagenet-alexnet",
        "imagenet-resnet18",
    }


def test_import_hardtarget_does_not_import_torch():
    code = "import sys, hardtarget, hardtarget.cli, hardtarget.torch; print('torch' in sys.modules)"
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert r.stdout.strip() == "False", r.stderr


def test_missing_torch_gives_install_steps(tmp_path):
    # a stub that hides torch from importlib's finder
    (tmp_path / "sitecustomize.py").write_text(
        textwrap.dedent("""
        import importlib.abc, sys
        class _Hide(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path=None, target=None):
                if name == "torch" or name.startswith("torch."):
                    raise ModuleNotFoundError("No module named 'torch'")
                return None
        sys.meta_path.insert(0, _Hide())
    """)
    )
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    r = subprocess.run(
        [sys.executable, "-m", "hardtarget", "train", "--epochs", "1"],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env,
    )
    assert r.returncode == 2
    assert "pip install torch==2.13.0" in r.stderr and "pip install -e .[torch]" in r.stderr


def test_deterministic_mode_is_restored_after_training():
    assert not torch.are_deterministic_algorithms_enabled()
    train(TrainConfig(model="mlp", dataset="digits:0-1", epochs=1, deterministic=True))
    assert not torch.are_deterministic_algorithms_enabled()


def test_log_layers_records_layer_losses_and_targets(tmp_path, capsys):
    argv = [
        "train",
        "--model",
        "convnet4",
        "--dataset",
        "digits",
        "--limit",
        "128",
        "--epochs",
        "1",
        "--model-option",
        "width=16",
        "--log-layers",
        "--json",
        "--out",
        str(tmp_path),
        "--rule",
        "sste",
    ]
    assert main(argv) == 0
    row = json.loads(capsys.readouterr().out)["history"][0]
    assert [k for k in row if k.startswith("layer")] == [
        "layer1_loss",
        "layer1_targets_pos",
        "layer2_loss",
        "layer2_targets_pos",
        "layer3_loss",
        "layer3_targets_pos",
    ]
    assert all(row[f"layer{i}_loss"] > 0 for i in (1, 2, 3))
    assert all(0 < row[f"layer{i}_targets_pos"] < 1 for i in (1, 2, 3))
    assert "layer1_loss" in (tmp_path / "log.csv").read_text().splitlines()[0]


def test_resume_accepts_aliases_of_the_same_model(tmp_path):
    train(
        TrainConfig(
            model="mlp",
            activation="sign",
            rule=None,
            dataset="digits:0-1",
            epochs=1,
            out_dir=str(tmp_path),
        )
    )
    res = train(
        TrainConfig(
            model="MLP",
            activation="Sign",
            rule="ftp-sh",
            dataset="digits:0-1",
            epochs=2,
            out_dir=str(tmp_path),
            resume=True,
        )
    )
    assert [r["epoch"] for r in res.history] == [1, 2]


def test_progress_bar_only_when_asked_or_on_a_terminal(capsys):
    train(TrainConfig(model="mlp", dataset="digits:0-1", epochs=1, progress=True))
    assert "epoch 1/1" in capsys.readouterr().err
    train(TrainConfig(model="mlp", dataset="digits:0-1", epochs=1))  # pytest's stderr is not a TTY
    assert "epoch 1/1" not in capsys.readouterr().err


def test_resume_without_out_dir_is_refused():
    with pytest.raises(HardTargetError, match="resuming needs the output directory"):
        train(TrainConfig(model="mlp", dataset="digits:0-1", epochs=1, resume=True))


def test_cli_logs_one_line_per_epoch_unless_quiet(capsys):
    argv = ["train", "--model", "mlp", "--dataset", "digits:0-1", "--epochs", "2", "--no-progress"]
    assert main(argv) == 0
    err = capsys.readouterr().err  # not a terminal: one line per finished epoch
    assert "epoch 1/2: lr=" in err and "epoch 2/2: lr=" in err and "train_seconds=" in err
    assert main([*argv, "-q"]) == 0
    assert "epoch 1/2" not in capsys.readouterr().err


def test_sigint_exits_130_and_names_the_kept_checkpoint(tmp_path):
    out = tmp_path / "run"
    argv = ["--model", "mlp", "--dataset", "digits", "--epochs", "500", "--out", str(out), "-q"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "hardtarget", "train", *argv],
        cwd=REPO,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.time() + 120
    while not (out / "log.json").exists() and time.time() < deadline and proc.poll() is None:
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert f"interrupted; {out}/last.pt holds the last finished epoch" in err
    assert load_checkpoint(out / "last.pt")["epoch"] >= 0
    assert not (out / ".hardtarget.lock").exists()  # released


@pytest.mark.parametrize(
    "flags",
    [
        ["--precision", "bf16", "--channels-last"],
        ["--precision", "fp16", "--val-split", "0.25", "--early-stop", "1"],
        ["--compile", "aot_eager", "--decay-biases-and-norms", "--weight-decay", "1e-4"],
    ],
)
def test_cli_gpu_switches_and_split_run_on_the_cpu(flags, tmp_path, capsys):
    argv = [
        "train",
        "--model",
        "convnet4",
        "--model-option",
        "width=16",
        "--dataset",
        "digits",
        "--limit",
        "96",
        "--epochs",
        "2",
        "--json",
        "--out",
        str(tmp_path),
        *flags,
    ]
    assert main(argv) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["status"] in ("completed", "stopped") and out["history"]
    config = load_checkpoint(tmp_path / "last.pt")["config"]
    assert config["precision"] == (flags[1] if flags[0] == "--precision" else "fp32")
    if "--val-split" in flags:
        assert "val_top1" in out["history"][0] and out["best"]["monitor"] == "val_top1"
