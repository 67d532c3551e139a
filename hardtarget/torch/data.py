"""Image data for the torch bridge: on-disk formats, built-in sets, batching, augmentation.

On disk (nothing is downloaded):

- ``cifar10`` / ``cifar100``: the python pickle batches (``data_batch_1..5`` and
  ``test_batch``; ``train`` and ``test``), in ``DIR`` or ``DIR/cifar-10-batches-py``.
  They are pickles, read by a restricted unpickler (:func:`read_cifar_batch`) that
  builds only builtin containers, strings, bytes, numbers and numpy arrays, so a
  crafted file cannot run code.
- ``mnist``: IDX files ``train-images-idx3-ubyte`` ... (optionally ``.gz``).
- ``imagefolder``: ``DIR/train/<class>/*.png|jpg`` and ``DIR/val/<class>/...`` (Pillow),
  resized to ``image_size`` square.

Built in: ``digits`` (scikit-learn's 8x8 digits as 1x8x8 images; ``digits:0-1`` keeps
classes 0 and 1) and ``synthetic`` (CIFAR-shaped 3x32x32, 10 classes, learnable).
"""

from __future__ import annotations

import gzip
import pickle
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from ..errors import HardTargetError

__all__ = [
    "ImageData",
    "FolderData",
    "DataBundle",
    "load_dataset",
    "DATASETS",
    "augment",
    "index_batches",
    "channel_stats",
    "read_cifar_batch",
]

DATASETS = ("digits", "digits:A-B", "synthetic", "cifar10", "cifar100", "mnist", "imagefolder")
_IMG_EXT = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".ppm", ".webp")


@dataclass
class ImageData:
    """Images held in memory: ``x`` is ``(N, C, H, W)``; ``x * scale`` lies in [0, 1]."""

    x: torch.Tensor
    y: torch.Tensor
    scale: float = 1.0 / 255

    def __len__(self) -> int:
        return int(self.y.shape[0])

    def batch(self, idx: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.x[idx].to(torch.float32) * self.scale, self.y[idx]

    def subset(self, idx: torch.Tensor) -> ImageData:
        return ImageData(self.x[idx], self.y[idx], self.scale)


@dataclass
class FolderData:
    """Images read from files on demand (Pillow), resized to ``size x size``."""

    paths: list
    y: torch.Tensor
    size: int = 224

    def __len__(self) -> int:
        return len(self.paths)

    def _load(self, path: Path) -> torch.Tensor:
        from PIL import Image

        try:
            with Image.open(path) as im:
                arr = np.asarray(
                    im.convert("RGB").resize((self.size, self.size), Image.Resampling.BILINEAR)
                )
        except OSError as exc:
            raise HardTargetError(
                f"cannot read image {path}: {exc}; remove or replace the file"
            ) from None
        return torch.from_numpy(arr.copy()).permute(2, 0, 1)

    def batch(self, idx: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = torch.stack([self._load(self.paths[int(i)]) for i in idx]).to(torch.float32) / 255
        return x, self.y[idx]

    def subset(self, idx: torch.Tensor) -> FolderData:
        return FolderData([self.paths[int(i)] for i in idx], self.y[idx], self.size)


@dataclass
class DataBundle:
    """Train and test sets with their shape and class count."""

    name: str
    train: ImageData | FolderData
    test: ImageData | FolderData
    num_classes: int
    in_shape: tuple
    classes: list = field(default_factory=list)


def _missing(
    name: str, root: str | None, expected: Sequence[str], layout: str = ""
) -> HardTargetError:
    where = f"in {root}" if root else "(no data directory given)"
    return HardTargetError(
        f"dataset {name!r} not found {where}: expected the files {', '.join(expected)}{layout}. "
        "Nothing is downloaded; copy the files into a directory and give it as the data directory"
    )


def _digits(spec: str) -> DataBundle:
    from sklearn.datasets import load_digits

    d = load_digits()
    x = torch.from_numpy(d.images.astype(np.uint8)).unsqueeze(1)  # values 0..16
    y = torch.from_numpy(d.target.astype(np.int64))
    classes = list(range(10))
    if ":" in spec:
        arg = spec.split(":", 1)[1]
        try:
            classes = [int(c) for c in arg.split("-")]
        except ValueError:
            classes = []
        if (
            len(classes) < 2
            or len(set(classes)) != len(classes)
            or not all(0 <= c <= 9 for c in classes)
        ):
            raise HardTargetError(
                f"bad digits spec {spec!r}: write digits:A-B(-C...) with distinct digits 0-9"
            )
        keep = torch.isin(y, torch.tensor(classes))
        x, y = x[keep], y[keep]
        y = torch.tensor([classes.index(int(v)) for v in y], dtype=torch.int64)
    test = torch.zeros(len(y), dtype=torch.bool)
    test[::5] = True  # fixed split: every 5th image is a test image
    data = ImageData(x, y, 1.0 / 16)
    return DataBundle(spec, data.subset(~test), data.subset(test), len(classes), (1, 8, 8), classes)


def _synthetic(spec: str, n: int = 2048, seed: int = 0) -> DataBundle:
    if ":" in spec:
        arg = spec.split(":", 1)[1]
        if not arg.isdigit() or int(arg) < 10:
            raise HardTargetError(
                f"bad synthetic spec {spec!r}: write synthetic:N with N >= 10 images"
            )
        n = int(arg)
    g = torch.Generator().manual_seed(seed)
    protos = torch.rand(10, 3, 8, 8, generator=g)
    y = torch.arange(n) % 10
    base = torch.nn.functional.interpolate(
        protos, size=(32, 32), mode="bilinear", align_corners=False
    )[y]
    x = (0.6 * base + 0.4 * torch.rand(n, 3, 32, 32, generator=g)).mul(255).round().to(torch.uint8)
    k = max(1, n // 5)
    return DataBundle(
        spec, ImageData(x[k:], y[k:]), ImageData(x[:k], y[:k]), 10, (3, 32, 32), list(range(10))
    )


# What a CIFAR batch may reference: numpy arrays and dtypes (numpy 1 and 2 module paths,
# protocol 2 to 5) and Python 2 str -> bytes.  Builtin containers, strings, bytes and
# numbers need no global at all.
_CIFAR_GLOBALS = {
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.numeric", "_frombuffer"),
    ("numpy._core.numeric", "_frombuffer"),
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
    ("_codecs", "encode"),
}


class _CifarUnpickler(pickle.Unpickler):
    """Refuses every global outside :data:`_CIFAR_GLOBALS` (so no code can run)."""

    def find_class(self, module: str, name: str):
        if (module, name) not in _CIFAR_GLOBALS:
            raise pickle.UnpicklingError(
                f"it references {module}.{name}, which a CIFAR batch never holds (only "
                "containers, strings, bytes, numbers and numpy arrays are allowed); the file "
                "was refused unread. Replace it with the original CIFAR download"
            )
        return super().find_class(module, name)


def read_cifar_batch(path: str | Path) -> dict:
    """One CIFAR python batch, through the restricted unpickler; refuses anything else."""
    path = Path(path)
    try:
        with open(path, "rb") as fh:
            d = _CifarUnpickler(fh, encoding="bytes").load()
    except Exception as exc:  # truncated, not a pickle, a forbidden global, ...
        raise HardTargetError(
            f"{path} is not a CIFAR python batch ({type(exc).__name__}: {exc})"
        ) from None
    if not isinstance(d, dict) or b"data" not in d:
        raise HardTargetError(f"{path} is not a CIFAR python batch (no 'data' entry)")
    return d


def _cifar_part(files: Sequence[Path], label_key: bytes) -> ImageData:
    xs, ys = [], []
    for f in files:
        d = read_cifar_batch(f)
        data, labels = d[b"data"], _cifar_labels(f, d.get(label_key), label_key)
        if not isinstance(data, np.ndarray) or data.dtype != np.uint8:
            got = type(data).__name__ if not isinstance(data, np.ndarray) else f"{data.dtype}"
            raise HardTargetError(
                f"{f} is not a CIFAR python batch: its data must be a numpy uint8 array of "
                f"shape (N, 3072), got {got}. Replace it with the original CIFAR download"
            )
        if data.ndim != 2 or data.shape[1] != 3072 or labels is None or len(labels) != len(data):
            raise HardTargetError(
                f"{f} is not a CIFAR python batch: need data (N, 3072) uint8 and "
                f"{label_key.decode()}"
            )
        xs.append(data.reshape(-1, 3, 32, 32))
        ys.append(labels)
    return ImageData(torch.from_numpy(np.concatenate(xs)), torch.from_numpy(np.concatenate(ys)))


def _cifar_labels(f: Path, labels, key: bytes) -> np.ndarray | None:
    """The batch's labels as int64, or a HardTargetError naming the file and the type."""
    if labels is None:
        return None
    why = ""
    try:
        arr = np.asarray(labels)
    except (TypeError, ValueError) as exc:
        arr, why = None, str(exc)
    if arr is None or arr.ndim != 1 or arr.dtype.kind not in "iu":
        what = why if arr is None else f"dtype {arr.dtype}, shape {arr.shape}"
        raise HardTargetError(
            f"{f} is not a CIFAR python batch: its {key.decode()} must be a list of integers, "
            f"got {what}. Replace it with the original CIFAR download"
        )
    return arr.astype(np.int64)


def _cifar(name: str, root: str | None) -> DataBundle:
    c100 = name == "cifar100"
    names = ["train", "test"] if c100 else [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]
    sub = "cifar-100-python" if c100 else "cifar-10-batches-py"
    if root is None:
        raise _missing(name, root, names)
    base = Path(root)
    for cand in (base, base / sub):
        if all((cand / n).is_file() for n in names):
            base = cand
            break
    else:
        raise _missing(name, root, names, f" (directly in the directory or in {sub}/)")
    key = b"fine_labels" if c100 else b"labels"
    train = _cifar_part([base / n for n in names[:-1]], key)
    test = _cifar_part([base / names[-1]], key)
    k = 100 if c100 else 10
    if int(train.y.max()) >= k or int(train.y.min()) < 0:
        raise HardTargetError(f"{base} holds labels outside 0..{k - 1}; is this {name}?")
    return DataBundle(name, train, test, k, (3, 32, 32), list(range(k)))


def _read_idx(path: Path, magic: int) -> np.ndarray:
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as fh:
            raw = fh.read()
    except OSError as exc:
        raise HardTargetError(f"cannot read {path}: {exc}") from None
    if len(raw) < 8 or int.from_bytes(raw[:4], "big") != magic:
        raise HardTargetError(f"{path} is not an MNIST IDX file (magic number should be {magic})")
    ndim = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim)]
    body = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    if body.size != int(np.prod(dims)):
        raise HardTargetError(f"{path} is truncated: header says {dims}, found {body.size} bytes")
    return body.reshape(dims)


def _mnist(root: str | None) -> DataBundle:
    stems = [
        "train-images-idx3-ubyte",
        "train-labels-idx1-ubyte",
        "t10k-images-idx3-ubyte",
        "t10k-labels-idx1-ubyte",
    ]
    if root is None:
        raise _missing("mnist", root, stems)
    found = []
    for s in stems:
        cands = [Path(root) / d / (s + ext) for d in ("", "raw") for ext in ("", ".gz")]
        hit = next((c for c in cands if c.is_file()), None)
        if hit is None:
            raise _missing(
                "mnist", root, stems, " (optionally .gz, directly in the directory or in raw/)"
            )
        found.append(hit)
    parts = []
    for img, lab in ((found[0], found[1]), (found[2], found[3])):
        x, y = _read_idx(img, 2051), _read_idx(lab, 2049)
        if len(x) != len(y):
            raise HardTargetError(f"{img} has {len(x)} images but {lab} has {len(y)} labels")
        parts.append(
            ImageData(torch.from_numpy(x.copy()).unsqueeze(1), torch.from_numpy(y.astype(np.int64)))
        )
    h, w = parts[0].x.shape[2:]
    return DataBundle("mnist", parts[0], parts[1], 10, (1, int(h), int(w)), list(range(10)))


def _folder(root: str | None, size: int) -> DataBundle:
    layout = " (DIR/train/<class>/*.png|jpg and DIR/val/<class>/*.png|jpg)"
    if root is None or not (Path(root) / "train").is_dir() or not (Path(root) / "val").is_dir():
        raise _missing("imagefolder", root, ["train/", "val/"], layout)
    classes = sorted(p.name for p in (Path(root) / "train").iterdir() if p.is_dir())
    if not classes:
        raise HardTargetError(f"{root}/train has no class subdirectories{layout}")
    parts = []
    for split in ("train", "val"):
        paths, ys = [], []
        for i, c in enumerate(classes):
            d = Path(root) / split / c
            files = (
                sorted(p for p in d.iterdir() if p.suffix.lower() in _IMG_EXT) if d.is_dir() else []
            )
            paths += files
            ys += [i] * len(files)
        if not paths:
            raise HardTargetError(f"{root}/{split} holds no images ({', '.join(_IMG_EXT)}){layout}")
        parts.append(FolderData(paths, torch.tensor(ys, dtype=torch.int64), size))
    return DataBundle("imagefolder", parts[0], parts[1], len(classes), (3, size, size), classes)


def load_dataset(name: str, root: str | None = None, image_size: int = 224) -> DataBundle:
    """Load a dataset by name (see :data:`DATASETS`).

    Parameters
    ----------
    name : str
        A data set name (:data:`DATASETS`), e.g. ``digits:0-1`` or ``cifar10``.
    root : str, optional
        Directory of the files (``cifar10``, ``mnist``, ``imagefolder``).
    image_size : int, default=224
        Side of ``imagefolder`` images.

    Returns
    -------
    DataBundle
        ``train`` and ``test`` sets, ``num_classes``, ``in_shape``.

    Examples
    --------

    >>> load_dataset("digits:0-1").num_classes  # doctest: +SKIP
    2
    """
    key = str(name).strip().lower()
    base = key.split(":", 1)[0]
    if base == "digits":
        return _digits(key)
    if base == "synthetic":
        return _synthetic(key)
    if key in ("cifar10", "cifar100"):
        return _cifar(key, root)
    if key == "mnist":
        return _mnist(root)
    if key in ("imagefolder", "imagenet"):
        return _folder(root, image_size)
    raise HardTargetError(f"unknown dataset {name!r}; valid: {', '.join(DATASETS)}")


def channel_stats(data, max_items: int = 10000) -> tuple[list, list]:
    """Per-channel mean and std of (up to ``max_items`` of) a dataset, in [0, 1] units."""
    idx = torch.arange(min(len(data), max_items))
    n, tot, sq = 0, None, None
    for chunk in idx.split(512):
        x, _ = data.batch(chunk)
        x = x.to(torch.float64)
        tot = x.sum((0, 2, 3)) if tot is None else tot + x.sum((0, 2, 3))
        sq = (x * x).sum((0, 2, 3)) if sq is None else sq + (x * x).sum((0, 2, 3))
        n += x.shape[0] * x.shape[2] * x.shape[3]
    if n == 0 or tot is None or sq is None:
        raise HardTargetError("channel statistics need a non-empty dataset; it has no items")
    mean = tot / n
    std = (sq / n - mean**2).clamp_min(1e-12).sqrt()
    return mean.tolist(), std.clamp_min(1e-3).tolist()


def index_batches(
    n: int, batch_size: int, shuffle: bool, seed: int = 0, rank: int = 0, world: int = 1
) -> Iterator[torch.Tensor]:
    """Index batches of one epoch; with ``world > 1`` each rank gets an equal share."""
    order = (
        torch.randperm(n, generator=torch.Generator().manual_seed(seed))
        if shuffle
        else torch.arange(n)
    )
    if world > 1:
        per = -(-n // world)
        order = torch.cat([order, order[: per * world - n]])[rank::world]
    yield from order.split(batch_size)


def augment(x: torch.Tensor, gen: torch.Generator, pad: int = 4, flip: bool = True) -> torch.Tensor:
    """Random crops of the zero-padded images (``pad`` pixels) and random horizontal flips."""
    n, c, h, w = x.shape
    if pad > 0:
        xp = torch.nn.functional.pad(x, (pad, pad, pad, pad))
        oy = torch.randint(0, 2 * pad + 1, (n,), generator=gen)
        ox = torch.randint(0, 2 * pad + 1, (n,), generator=gen)
        rows = (oy[:, None] + torch.arange(h))[:, None, :, None]
        cols = (ox[:, None] + torch.arange(w))[:, None, None, :]
        x = xp[
            torch.arange(n)[:, None, None, None], torch.arange(c)[None, :, None, None], rows, cols
        ]
    if flip:
        f = torch.rand(n, generator=gen) < 0.5
        x = torch.where(f[:, None, None, None], x.flip(3), x)
    return x
