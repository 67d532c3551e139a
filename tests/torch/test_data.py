"""Data loaders on tiny files written here, batching and augmentation."""

from __future__ import annotations

import gzip
import pickle

import numpy as np
import pytest

torch = pytest.importorskip("torch")  # the suite runs without the torch extra

from hardtarget.errors import HardTargetError
from hardtarget.torch.data import (
    augment,
    channel_stats,
    index_batches,
    load_dataset,
    read_cifar_batch,
)
from hardtarget.torch.sources import holdout


def write_cifar(root, c100=False, n=6, seed=0):
    rng = np.random.default_rng(seed)
    root.mkdir(parents=True, exist_ok=True)
    names = ["train", "test"] if c100 else [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]
    key = b"fine_labels" if c100 else b"labels"
    k = 100 if c100 else 10
    for name in names:
        d = {
            b"data": rng.integers(0, 256, (n, 3072), dtype=np.uint8),
            key: rng.integers(0, k, n).tolist(),
        }
        with open(root / name, "wb") as fh:
            pickle.dump(d, fh)
    return names


def _idx(path, arr, magic, gz=False):
    header = magic.to_bytes(4, "big") + b"".join(int(s).to_bytes(4, "big") for s in arr.shape)
    raw = header + arr.astype(np.uint8).tobytes()
    with (gzip.open if gz else open)(path, "wb") as fh:  # closed: Python 3.12 reads it back whole
        fh.write(raw)


def write_mnist(root, gz=False, n=5):
    root.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    ext = ".gz" if gz else ""
    for split, m in (("train", n), ("t10k", 3)):
        _idx(root / f"{split}-images-idx3-ubyte{ext}", rng.integers(0, 256, (m, 28, 28)), 2051, gz)
        _idx(root / f"{split}-labels-idx1-ubyte{ext}", rng.integers(0, 10, m), 2049, gz)


def write_folder(root, size=20, classes=("cat", "dog"), per=3):
    from PIL import Image

    rng = np.random.default_rng(0)
    for split in ("train", "val"):
        for c in classes:
            d = root / split / c
            d.mkdir(parents=True, exist_ok=True)
            for i in range(per):
                arr = rng.integers(0, 256, (size, size + 3, 3), dtype=np.uint8)
                Image.fromarray(arr).save(d / f"{i}.png")


def test_cifar10_batches(tmp_path):
    write_cifar(tmp_path / "cifar-10-batches-py")
    b = load_dataset("cifar10", str(tmp_path))
    assert (len(b.train), len(b.test), b.num_classes, b.in_shape) == (30, 6, 10, (3, 32, 32))
    x, y = b.train.batch(torch.arange(4))
    with open(tmp_path / "cifar-10-batches-py" / "data_batch_1", "rb") as fh:
        raw = pickle.load(fh, encoding="bytes")
    np.testing.assert_array_equal(
        (x * 255).round().to(torch.uint8).reshape(4, -1).numpy(), raw[b"data"][:4]
    )
    assert y.tolist() == raw[b"labels"][:4]


def test_cifar100(tmp_path):
    write_cifar(tmp_path, c100=True)
    b = load_dataset("cifar100", str(tmp_path))
    assert (len(b.train), b.num_classes) == (6, 100)


def test_cifar_missing_lists_expected_files(tmp_path):
    with pytest.raises(HardTargetError, match=r"data_batch_1.*test_batch.*data directory"):
        load_dataset("cifar10", str(tmp_path))
    with pytest.raises(HardTargetError, match="no data directory given"):
        load_dataset("cifar10")


def test_cifar_wrong_format(tmp_path):
    names = write_cifar(tmp_path)
    (tmp_path / names[0]).write_bytes(b"not a pickle at all")
    with pytest.raises(HardTargetError, match="not a CIFAR python batch"):
        load_dataset("cifar10", str(tmp_path))


@pytest.mark.parametrize("protocol", [2, 4, 5])
def test_cifar_batches_of_every_pickle_protocol_load(tmp_path, protocol):
    rng = np.random.default_rng(protocol)
    d = {
        b"batch_label": b"training batch 1 of 5",
        b"labels": [3, 1, 4],
        b"data": rng.integers(0, 256, (3, 3072), dtype=np.uint8),
        b"filenames": [b"a.png", b"b.png", b"c.png"],
        b"scale": 1.5,
        b"shape": (32, 32),
    }
    with open(tmp_path / "b", "wb") as fh:
        pickle.dump(d, fh, protocol=protocol)
    got = read_cifar_batch(tmp_path / "b")
    np.testing.assert_array_equal(got[b"data"], d[b"data"])
    assert {k: v for k, v in got.items() if k != b"data"} == {
        k: v for k, v in d.items() if k != b"data"
    }


class _Evil:
    def __init__(self, path):
        self.path = path

    def __reduce__(self):  # unpickling would create a file
        return (open, (self.path, "w"))


def test_a_malicious_cifar_pickle_is_refused_unrun(tmp_path):
    names = write_cifar(tmp_path)
    target = tmp_path / "pwned"
    with open(tmp_path / names[0], "wb") as fh:
        pickle.dump({b"data": _Evil(str(target)), b"labels": []}, fh)
    with pytest.raises(
        HardTargetError,
        match=r"references (builtins|io)\.open.*only containers, strings, "
        r"bytes, numbers and numpy arrays",
    ):
        load_dataset("cifar10", str(tmp_path))
    assert not target.exists()
    with open(tmp_path / "os", "wb") as fh:
        pickle.dump([__import__("os").getcwd], fh)
    with pytest.raises(HardTargetError, match=r"references posix\.getcwd"):
        read_cifar_batch(tmp_path / "os")


@pytest.mark.parametrize("gz", [False, True])
def test_mnist_idx(tmp_path, gz):
    write_mnist(tmp_path, gz)
    b = load_dataset("mnist", str(tmp_path))
    assert (len(b.train), len(b.test), b.in_shape) == (5, 3, (1, 28, 28))
    assert b.train.x.dtype == torch.uint8


def test_mnist_bad_magic_and_missing(tmp_path):
    with pytest.raises(HardTargetError, match="train-images-idx3-ubyte.*t10k-labels-idx1-ubyte"):
        load_dataset("mnist", str(tmp_path))
    write_mnist(tmp_path)
    _idx(tmp_path / "train-images-idx3-ubyte", np.zeros((5, 28, 28)), 2049)
    with pytest.raises(HardTargetError, match="not an MNIST IDX file"):
        load_dataset("mnist", str(tmp_path))


def test_image_folder(tmp_path):
    write_folder(tmp_path)
    b = load_dataset("imagefolder", str(tmp_path), image_size=16)
    assert (len(b.train), len(b.test), b.num_classes, b.classes) == (6, 6, 2, ["cat", "dog"])
    x, y = b.train.batch(torch.tensor([0, 5]))
    assert x.shape == (2, 3, 16, 16) and y.tolist() == [0, 1]
    assert 0.0 <= float(x.min()) and float(x.max()) <= 1.0


def test_image_folder_wrong_layout(tmp_path):
    (tmp_path / "train").mkdir()
    with pytest.raises(HardTargetError, match=r"train/.*val/.*<class>"):
        load_dataset("imagefolder", str(tmp_path))
    (tmp_path / "val").mkdir()
    with pytest.raises(HardTargetError, match="no class subdirectories"):
        load_dataset("imagefolder", str(tmp_path))


def test_builtin_digits_and_synthetic():
    b = load_dataset("digits")
    assert (len(b.train) + len(b.test), b.in_shape, b.num_classes) == (1797, (1, 8, 8), 10)
    x, _ = b.train.batch(torch.arange(len(b.train)))
    assert float(x.max()) == 1.0 and float(x.min()) == 0.0
    b2 = load_dataset("digits:0-1")
    assert (
        b2.num_classes == 2
        and set(b2.train.y.tolist()) == {0, 1}
        and len(b2.train) + len(b2.test) == 360
    )
    s = load_dataset("synthetic:100")
    assert s.in_shape == (3, 32, 32) and len(s.train) + len(s.test) == 100
    assert torch.equal(load_dataset("synthetic:100").train.x, s.train.x)


@pytest.mark.parametrize("spec", ["digits:3", "digits:1-1", "digits:a-b", "synthetic:x", "svhn"])
def test_bad_dataset_specs(spec):
    with pytest.raises(HardTargetError, match="digits|synthetic|unknown dataset 'svhn'; valid"):
        load_dataset(spec)


def test_validation_split_disjoint_and_seeded():
    b = load_dataset("digits")
    tr, va = holdout(b.train, 0.2, seed=3)
    assert len(tr) + len(va) == len(b.train) and abs(len(va) - 0.2 * len(b.train)) <= 5  # per class
    tr2, va2 = holdout(b.train, 0.2, seed=3)
    assert torch.equal(va.x, va2.x)
    rows = {tuple(r) for r in tr.x.reshape(len(tr), -1).tolist()}
    assert sum(tuple(r) in rows for r in va.x.reshape(len(va), -1).tolist()) < len(va) // 10
    with pytest.raises(HardTargetError, match="fraction"):
        holdout(b.train, 1.0, 0)


def test_channel_stats_normalize():
    b = load_dataset("synthetic:60")
    mean, std = channel_stats(b.train)
    x, _ = b.train.batch(torch.arange(len(b.train)))
    torch.testing.assert_close(x.mean((0, 2, 3)).double(), torch.tensor(mean, dtype=torch.float64))
    torch.testing.assert_close(
        x.std((0, 2, 3), unbiased=False).double(),
        torch.tensor(std, dtype=torch.float64),
        rtol=1e-4,
        atol=1e-5,
    )


def test_index_batches_shards_cover_everything():
    full = torch.cat(list(index_batches(11, 4, True, seed=5)))
    assert sorted(full.tolist()) == list(range(11))
    a = torch.cat(list(index_batches(11, 4, True, 5, rank=0, world=2)))
    b = torch.cat(list(index_batches(11, 4, True, 5, rank=1, world=2)))
    assert len(a) == len(b) == 6 and set(a.tolist()) | set(b.tolist()) == set(range(11))
    assert not torch.equal(full, torch.cat(list(index_batches(11, 4, True, seed=6))))


def test_augment_crops_and_flips():
    x = torch.arange(2 * 3 * 6 * 6, dtype=torch.float32).reshape(2, 3, 6, 6) + 1
    out = augment(x, torch.Generator().manual_seed(0), pad=4)
    assert out.shape == x.shape
    assert torch.equal(out, augment(x, torch.Generator().manual_seed(0), pad=4))
    outs = [augment(x, torch.Generator().manual_seed(s), pad=2) for s in range(20)]
    assert any(not torch.equal(o, x) for o in outs)
    for o in outs:  # every output is a flipped or unflipped window of the padded image
        for i in range(2):
            xp = torch.nn.functional.pad(x[i], (2, 2, 2, 2))
            wins = [xp[:, r : r + 6, c : c + 6] for r in range(5) for c in range(5)]
            assert any(torch.equal(o[i], w) or torch.equal(o[i], w.flip(2)) for w in wins)
    flips = augment(x, torch.Generator().manual_seed(1), pad=0, flip=True)
    assert all(torch.equal(flips[i], x[i]) or torch.equal(flips[i], x[i].flip(2)) for i in range(2))


def test_channel_stats_of_an_empty_dataset_is_a_clear_error():
    """No items: a HardTargetError saying so (the statistics were NaN, from 0 / 0)."""

    class Empty:
        def __len__(self) -> int:
            return 0

        def batch(self, idx):
            return torch.zeros((len(idx), 3, 4, 4), dtype=torch.uint8), torch.zeros(len(idx))

    with pytest.raises(HardTargetError, match="non-empty dataset"):
        channel_stats(Empty())
