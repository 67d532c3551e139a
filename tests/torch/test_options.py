"""Issue 19, torch side: options acted on or refused, clear errors for bad backends, full
disks and odd CIFAR files, a qReLU with many steps, and the batch order of ``seed=None``."""

from __future__ import annotations

import contextlib
import errno
import pickle
import struct

import numpy as np
import pytest

torch = pytest.importorskip("torch")  # the suite runs without the torch extra
from torch import nn

from hardtarget.cli import main
from hardtarget.cli.train import METHOD_OPTIONS, check_method_options
from hardtarget.errors import HardTargetError
from hardtarget.torch import callbacks as callbacks_mod
from hardtarget.torch import fit
from hardtarget.torch.data import load_dataset
from hardtarget.torch.fit_loop import shuffle_seed
from hardtarget.torch.functional import hard_forward
from hardtarget.torch.named_run import TrainConfig

TINY = ["--model", "mlp", "--dataset", "digits:0-1", "--limit", "40", "--no-progress", "-q"]


pytestmark = pytest.mark.usefixtures("one_thread")


# -- --compile ------------------------------------------------------------------------------
def test_an_unknown_compile_backend_is_refused_before_any_data_is_read(monkeypatch, capsys):
    from hardtarget.torch import named_run as training

    def no_data(*a, **k):
        raise AssertionError("the data set was loaded before the backend was checked")

    monkeypatch.setattr(training, "load_dataset", no_data)
    assert main(["train", *TINY, "--compile", "bogusbackend"]) == 2
    err = capsys.readouterr().err
    assert "unknown torch.compile backend 'bogusbackend'" in err and "inductor" in err


def test_fit_refuses_an_unknown_backend_before_training():
    model = nn.Linear(3, 2)
    before = [p.detach().clone() for p in model.parameters()]
    X, y = torch.randn(8, 3), torch.randint(0, 2, (8,))
    with pytest.raises(HardTargetError, match="valid: .*inductor"):
        fit(model, (X, y), epochs=1, compile="nope")
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters()))
    assert TrainConfig(compile=True).resolved().compile == "inductor"


# -- a full disk ----------------------------------------------------------------------------
def _failing_disk(monkeypatch, room: int = 100):
    """Make every checkpoint file fill the disk after ``room`` bytes (ENOSPC).  Fed to
    ``torch.save`` directly, such a file makes its zip writer raise a RuntimeError
    ("unexpected pos"), which was an internal error (exit 3)."""
    real = callbacks_mod.atomic_open

    class Full:
        def __init__(self, fh):
            self.fh, self.left = fh, room

        def write(self, data):
            n = len(memoryview(data).cast("B"))
            if n > self.left:
                raise OSError(errno.ENOSPC, "No space left on device")
            self.left -= n
            return self.fh.write(data)

        def __getattr__(self, name):
            return getattr(self.fh, name)

    @contextlib.contextmanager
    def atomic_open(path, mode="wb"):
        with real(path, mode) as fh:
            yield Full(fh)

    monkeypatch.setattr(callbacks_mod, "atomic_open", atomic_open)


def test_a_full_disk_at_the_first_checkpoint_is_a_clear_error(tmp_path, monkeypatch, capsys):
    _failing_disk(monkeypatch)
    out = tmp_path / "run"
    assert main(["train", *TINY, "--epochs", "1", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "the disk is full" in err and "no earlier checkpoint exists" in err
    assert not (out / "last.pt").exists()
    assert not [p for p in out.iterdir() if p.name.endswith(".tmp")]  # no partial file left


def test_a_full_disk_on_resume_keeps_the_old_checkpoint(tmp_path, monkeypatch, capsys):
    out = tmp_path / "run"
    assert main(["train", *TINY, "--epochs", "1", "--out", str(out)]) == 0
    old = (out / "last.pt").read_bytes()
    _failing_disk(monkeypatch)
    assert main(["train", *TINY, "--epochs", "2", "--out", str(out), "--resume"]) == 2
    err = capsys.readouterr().err
    assert "the disk is full" in err and "is intact" in err
    assert (out / "last.pt").read_bytes() == old
    assert not [p for p in out.iterdir() if p.name.endswith(".tmp")]


def test_torch_save_never_writes_to_the_file_itself(tmp_path, monkeypatch):
    # torch.save's zip writer turns a failing disk into a RuntimeError: it must only ever
    # see an in-memory buffer, so that the file write is where a full disk shows up
    seen = []
    real = torch.save
    monkeypatch.setattr(torch, "save", lambda obj, f, **k: seen.append(type(f)) or real(obj, f))
    callbacks_mod.save_atomic({"a": torch.ones(2)}, tmp_path / "x.pt")
    assert seen and all(t.__name__ == "BytesIO" for t in seen)
    assert torch.equal(torch.load(tmp_path / "x.pt")["a"], torch.ones(2))


# -- CIFAR batches --------------------------------------------------------------------------
def _cifar_dir(root, data, labels):
    root.mkdir(parents=True, exist_ok=True)
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        with open(root / name, "wb") as fh:
            pickle.dump({b"data": data, b"labels": labels}, fh)
    return root


@pytest.mark.parametrize(
    "data,labels,msg",
    [
        (np.zeros((2, 3072), dtype=object), [0, 1], "must be a numpy uint8 array"),
        (np.zeros((2, 3072), dtype=np.float64), [0, 1], "got float64"),
        (np.zeros((2, 3072), dtype=np.uint8), ["cat", "dog"], "labels must be a list of integers"),
    ],
)
def test_a_cifar_batch_of_the_wrong_type_is_refused_naming_the_file(tmp_path, data, labels, msg):
    root = _cifar_dir(tmp_path / "c", data, labels)
    with pytest.raises(HardTargetError, match=msg) as e:
        load_dataset("cifar10", str(root))
    assert "data_batch_1" in str(e.value)


def test_the_cli_refuses_an_object_cifar_batch_with_exit_2(tmp_path, capsys):
    root = _cifar_dir(tmp_path / "c", np.full((2, 3072), None, dtype=object), [0, 1])
    argv = ["train", "--model", "mlp", "--dataset", "cifar10", "--data-dir", str(root)]
    assert main([*argv, "--epochs", "1", "--no-progress"]) == 2
    assert "uint8" in capsys.readouterr().err


# -- qReLU with many steps ------------------------------------------------------------------
def _f32(x: float) -> float:
    return struct.unpack("f", struct.pack("f", x))[0]


def _plain_qrelu(z: float, k: int) -> float:
    """(1/k) * #{i in 0..k-1 : z > float32(i/(k-1))}; the single step at 0 when k = 1."""
    thresholds = [0.0] if k == 1 else [_f32(i / (k - 1)) for i in range(k)]
    return sum(1 for t in thresholds if z > t) / k


@pytest.mark.parametrize("k", [1, 2, 3, 64, 65, 1000, 20_000])
def test_torch_qrelu_matches_the_plain_definition(k):
    ts = [0.0, 1.0] if k == 1 else [_f32(i / (k - 1)) for i in (0, 1, k // 2, k - 2, k - 1)]
    vals = [-1.0, -0.0, 0.3, 0.5, 1.0, 1.7, float("inf"), float("-inf")]
    for t in ts:  # every threshold, and its float32 neighbours
        vals += [
            t,
            float(np.nextafter(np.float32(t), np.float32(2))),
            float(np.nextafter(np.float32(t), np.float32(-2))),
        ]
    z = torch.tensor(vals, dtype=torch.float32)
    got = hard_forward(z, "qrelu", k)
    want = torch.tensor([_plain_qrelu(v, k) for v in z.tolist()], dtype=torch.float32)
    assert torch.equal(got, want)
    assert float(hard_forward(torch.tensor([float("nan")]), "qrelu", k)) == 0.0


def test_a_million_step_qrelu_is_exact_at_its_thresholds():
    k = 1_000_000
    j = torch.tensor([0, 1, 7, 499_999, 500_000, k - 2, k - 1])
    t = (j.double() / (k - 1)).float()  # the thresholds, as float32 rounds them
    above = torch.nextafter(t, torch.full_like(t, 2.0))
    # at a threshold, the thresholds below it are exceeded; just above, one more
    assert torch.equal(hard_forward(t, "qrelu", k), (j.float() / k))
    assert torch.equal(hard_forward(above, "qrelu", k), ((j + 1).float() / k))


def test_train_with_a_million_step_qrelu_runs(capsys):
    argv = ["train", *TINY, "--epochs", "1", "--activation", "qrelu1000000", "--json"]
    assert main(argv) == 0


# -- every option acts or is refused ----------------------------------------------------------
def _train_parser():
    from hardtarget.cli.main import build_parser

    sub = next(a for a in build_parser()._actions if a.dest == "command")
    return sub.choices["train"]


def test_every_train_option_is_declared_with_the_methods_that_act_on_it():
    """The parser is generated from TrainConfig: each option is a declared field (whose
    declaration must name its methods) or one of the output options."""
    from dataclasses import fields

    from hardtarget.cli.train import CLI_ONLY
    from hardtarget.torch.train_config import TrainConfig, declared

    dests = {a.dest for a in _train_parser()._actions} - {"help", "verbose", "quiet"}
    with_flag = {k for k, o in declared().items() if o.flag != ""}
    assert dests == with_flag | set(CLI_ONLY)
    assert {f.name for f in fields(TrainConfig)} == set(declared())
    every = {k for k, o in declared().items() if o.methods is None}
    assert set(METHOD_OPTIONS) == set(declared()) - every
    assert METHOD_OPTIONS["weights"] == ("weight-dist",)
    assert METHOD_OPTIONS["rule"] == ("ftprop",) and "lr" not in METHOD_OPTIONS


def test_a_foreign_option_is_refused_through_the_api_too():
    with pytest.raises(HardTargetError, match="--slope-lr only applies to --method cb"):
        TrainConfig(method="weight-dist", model="mlp", slope_lr=0.1).resolved()


@pytest.mark.parametrize(
    "method,flags,msg",
    [
        ("ftprop", ["--weights", "ternary"], "--weights only applies to --method weight-dist"),
        ("ftprop", ["--pretrain-epochs", "1"], "only applies to --method cb or --method weight"),
        ("ftprop", ["--slope-lr", "0.1"], "--slope-lr only applies to --method cb"),
        ("cb", ["--logit-lr", "0.1"], "--logit-lr only applies to --method weight-dist"),
        ("cb", ["--weights", "quinary"], "--weights only applies"),
        ("weight-dist", ["--slope-regularizer", "l1"], "only applies to --method cb"),
        ("cb", ["--optimizer", "sgd"], "--optimizer only applies to --method ftprop"),
        ("weight-dist", ["--early-stop", "2", "--log-layers"], "only apply to --method ftprop"),
        ("weight-dist", ["--slope-schedule", "fixed"], "only applies to --method cb"),
        ("cb", ["--gamma", "0.5"], "give --milestones"),
        ("weight-dist", ["--decay-biases-and-norms"], "give --weight-decay"),
        ("ftprop", ["--momentum", "0.5"], "--momentum applies to --optimizer sgd"),
        ("ftprop", ["--gamma", "0.5"], "give --milestones"),
        ("ftprop", ["--decay-biases-and-norms"], "give --weight-decay"),
        ("ftprop", ["--data-dir", "/tmp"], "--data-dir is not read"),
        ("cb", ["--image-size", "32"], "--image-size resizes imagefolder"),
        ("ftprop", ["--no-stratify"], "give --val-split"),
    ],
)
def test_an_option_the_method_ignores_is_refused(method, flags, msg, capsys):
    assert main(["train", "--method", method, *TINY, *flags]) == 2
    assert msg in capsys.readouterr().err


@pytest.mark.parametrize(
    "method,flags",
    [
        ("ftprop", ["--optimizer", "sgd", "--momentum", "0.5"]),
        ("ftprop", ["--milestones", "3", "--gamma", "0.5"]),
        ("ftprop", ["--preset", "imagenet-resnet18", "--momentum", "0.8", "--gamma", "0.2"]),
        ("ftprop", ["--weight-decay", "1e-4", "--decay-biases-and-norms"]),
        ("weight-dist", ["--weights", "ternary", "--logit-lr", "0.1", "--pretrain-epochs", "1"]),
        ("cb", ["--slope-lr", "0.1", "--slope-lambda", "2", "--slope-regularizer", "l1"]),
        ("cb", ["--slope-schedule", "fixed", "--weight-decay", "1e-3", "--milestones", "2"]),
        ("weight-dist", ["--milestones", "2", "--gamma", "0.5", "--compile"]),
    ],
)
def test_options_the_method_uses_pass_the_check(method, flags):
    args = _train_parser().parse_args(["--method", method, *TINY, *flags])
    check_method_options(args)  # no error


# -- fit's batch order with seed=None ----------------------------------------------------------
def _first_epoch_order(model_seed: int) -> list:
    torch.manual_seed(model_seed)
    model = nn.Linear(1, 1)
    seen = []

    def loss_fn(out, y):
        seen.extend(int(v) for v in y)
        return out.float().mean()

    X = torch.zeros(32, 1)
    fit(model, (X, torch.arange(32).float()), epochs=1, batch_size=8, seed=None, loss_fn=loss_fn)
    return seen


def test_seed_none_shuffles_by_the_model_seed():
    a, b, a2 = _first_epoch_order(1), _first_epoch_order(2), _first_epoch_order(1)
    assert sorted(a) == sorted(b) == list(range(32))
    assert a == a2  # the same model seed, the same order
    assert a != b  # another model seed, another order (before: both seed 0's)
    torch.manual_seed(5)
    assert shuffle_seed(None) == 5 and shuffle_seed(3) == 3


def test_seed_none_does_not_draw_from_the_global_rng():
    torch.manual_seed(4)
    state = torch.get_rng_state()
    shuffle_seed(None)
    assert torch.equal(torch.get_rng_state(), state)
