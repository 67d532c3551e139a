"""Training data of any form, turned into batches: arrays, Datasets, DataLoaders.

:func:`as_source` accepts

- ``(X, y)``: numpy arrays or tensors (:class:`ArrayData`, batched by indexing);
- a map-style :class:`torch.utils.data.Dataset` returning ``(x, y)`` pairs (collated
  with :func:`~torch.utils.data.default_collate`);
- a :class:`~torch.utils.data.DataLoader`, iterated as it is (its own sampler and RNG);
- an object with ``__len__`` and ``batch(idx) -> (x, y)`` (the built-in image sets).

Shuffling of the first, second and fourth kind is drawn from a generator seeded by
``(seed, epoch)``; the global torch RNG is never touched.
"""

from __future__ import annotations

from collections.abc import Iterator, Sized
from dataclasses import dataclass

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, IterableDataset, Subset, default_collate

from ..errors import HardTargetError
from .data import index_batches

__all__ = ["ArrayData", "Source", "as_source", "holdout", "labels_of"]


@dataclass
class ArrayData:
    """``X`` (samples first) and labels ``y`` in memory; integer labels become int64."""

    x: torch.Tensor
    y: torch.Tensor

    def __len__(self) -> int:
        return int(self.y.shape[0])

    def batch(self, idx: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.x[idx], self.y[idx]

    def subset(self, idx: torch.Tensor) -> ArrayData:
        return ArrayData(self.x[idx], self.y[idx])


def _tensor(a, what: str) -> torch.Tensor:
    if isinstance(a, torch.Tensor):
        t = a
    else:
        arr = np.asarray(a)
        if arr.dtype == object or arr.dtype.kind in "USVc":
            raise HardTargetError(
                f"{what} must be a numeric array, got dtype {arr.dtype}; "
                "convert it to numbers first"
            )
        t = torch.from_numpy(np.ascontiguousarray(arr))
    if t.is_complex():
        raise HardTargetError(f"{what} is complex; pass its real part explicitly")
    return t


def _arrays(X, y) -> ArrayData:
    x, yt = _tensor(X, "X"), _tensor(y, "y")
    if x.ndim < 1 or yt.ndim < 1 or x.shape[0] != yt.shape[0]:
        raise HardTargetError(
            f"X and y must have the same number of samples (first axis); got "
            f"shapes {tuple(x.shape)} and {tuple(yt.shape)}"
        )
    if x.dtype == torch.float64:
        x = x.to(torch.float32)
    elif not x.is_floating_point():
        x = x.to(torch.float32)
    if x.is_floating_point() and not bool(torch.isfinite(x).all()):
        raise HardTargetError(
            "X holds NaN or infinite values; clean or impute them before training"
        )
    if not yt.is_floating_point():
        yt = yt.to(torch.int64)
    return ArrayData(x, yt)


class Source:
    """One epoch of ``(x, y)`` batches from one kind of data (see :func:`as_source`)."""

    def __init__(self, data, batch_size: int, loader: DataLoader | None = None) -> None:
        self.data, self.batch_size, self.loader = data, batch_size, loader

    def size(self) -> int | None:
        """Number of samples, ``None`` when a stream does not say."""
        data = self.loader.dataset if self.loader is not None else self.data
        try:
            return len(data) if isinstance(data, Sized) else None
        except TypeError:
            return None

    def n_batches(self, world: int = 1) -> int | None:
        """Batches per epoch (on one rank), ``None`` when unknown."""
        if self.loader is not None:
            try:
                return len(self.loader)
            except TypeError:
                return None
        return -(-len(self.data) // max(1, self.batch_size * world))

    @property
    def user_loader(self) -> bool:
        """True when the batches come from a user's DataLoader (its own shuffling)."""
        return self.loader is not None

    def batches(self, shuffle: bool, seed: int = 0, rank: int = 0, world: int = 1) -> Iterator:
        """The batches of one epoch; ``seed`` orders them when ``shuffle``."""
        if self.loader is not None:
            yield from (_pair(b) for b in self.loader)
            return
        for idx in index_batches(len(self.data), self.batch_size, shuffle, seed, rank, world):
            if hasattr(self.data, "batch"):
                yield self.data.batch(idx)
            else:
                yield _pair(default_collate([self.data[int(i)] for i in idx]))


def _pair(b) -> tuple:
    if isinstance(b, (tuple, list)) and len(b) == 2:
        return b[0], b[1]
    raise HardTargetError(
        "every batch must be a pair (inputs, labels); make the Dataset's __getitem__ return (x, y)"
    )


def as_source(data, batch_size: int, what: str = "train") -> Source:
    """Wrap ``data`` (see the module docstring) as a :class:`Source`."""
    if isinstance(data, DataLoader):
        return Source(None, batch_size, data)
    if isinstance(data, IterableDataset):
        return Source(None, batch_size, DataLoader(data, batch_size=batch_size))
    if isinstance(data, tuple) and len(data) == 2:
        return Source(_arrays(*data), batch_size)
    if hasattr(data, "batch") and hasattr(data, "__len__"):
        return Source(data, batch_size)
    if isinstance(data, Dataset) or (hasattr(data, "__getitem__") and hasattr(data, "__len__")):
        return Source(data, batch_size)
    raise HardTargetError(
        f"{what} data must be (X, y) arrays, a torch Dataset or a DataLoader; "
        f"got {type(data).__name__}"
    )


def labels_of(data) -> torch.Tensor:
    """The labels of every sample of ``data`` (read from ``.y``/``.targets`` if present)."""
    for attr in ("y", "targets"):
        if hasattr(data, attr):
            return torch.as_tensor(np.asarray(getattr(data, attr)))
    return torch.as_tensor([int(data[i][1]) for i in range(len(data))])


def holdout(data, fraction: float, seed: int, stratify: bool = True) -> tuple:
    """``(train, val)``: a seeded ``fraction`` of ``data`` held out (per class if ``stratify``).

    ``data`` is a :class:`Source`'s data: arrays, an image set or a map-style Dataset.
    ``val`` is ``None`` when the fraction rounds to no sample.
    """
    if not 0.0 <= fraction < 1.0:
        raise HardTargetError(f"the validation fraction must be in [0, 1), got {fraction}")
    if fraction == 0:
        return data, None
    gen = torch.Generator().manual_seed(int(seed) + 7919)
    n = len(data)
    if stratify:
        y = labels_of(data)
        if y.is_floating_point():
            raise HardTargetError(
                "a stratified split needs class labels; these are real numbers: pass stratify=False"
            )
        groups = [torch.nonzero(y == c).flatten() for c in torch.unique(y)]
    else:
        groups = [torch.arange(n)]
    val_parts = []
    for g in groups:
        k = int(round(len(g) * fraction))
        val_parts.append(g[torch.randperm(len(g), generator=gen)[:k]])
    val = torch.cat(val_parts).sort().values if val_parts else torch.zeros(0, dtype=torch.int64)
    if len(val) == 0:
        return data, None
    keep = torch.ones(n, dtype=torch.bool)
    keep[val] = False
    train = torch.nonzero(keep).flatten()
    if hasattr(data, "subset"):
        return data.subset(train), data.subset(val)
    return Subset(data, train.tolist()), Subset(data, val.tolist())
