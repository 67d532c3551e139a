"""Memo of unit solves keyed by (digest of inputs, target column, weights, solver).

Target search revisits the same perceptron subproblems over and over (a unit whose
inputs and targets did not change between two states); this saves the re-solve.
"""

from __future__ import annotations

from collections import OrderedDict

import numpy as np

from ..targets import digest
from .base import UnitResult

__all__ = ["UnitCache"]


class UnitCache:
    """A bounded LRU cache of :class:`UnitResult` objects.

    >>> import numpy as np
    >>> from hardtarget import solve_unit
    >>> cache = UnitCache()
    >>> X = np.array([[0.0], [1.0]])
    >>> _ = solve_unit(X, [-1, 1], cache=cache); _ = solve_unit(X, [-1, 1], cache=cache)
    >>> cache.hits, cache.misses
    (1, 1)
    """

    def __init__(self, maxsize: int = 100_000):
        self.maxsize = int(maxsize)
        self._data: OrderedDict[tuple, UnitResult] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._data)

    @staticmethod
    def key(
        A: np.ndarray,
        t: np.ndarray,
        s: np.ndarray,
        solver: str,
        options: dict,
        input_key: bytes | None = None,
    ) -> tuple:
        """The cache key; pass ``input_key`` (a digest of A) to avoid rehashing shared inputs."""
        return UnitCache.keys(A, t.reshape(1, -1), s, solver, options, input_key)[0]

    @staticmethod
    def keys(
        A: np.ndarray,
        Tt: np.ndarray,
        s: np.ndarray,
        solver: str,
        options: dict,
        input_key: bytes | None = None,
    ) -> list:
        """The keys of the units ``Tt`` (one target row per unit) on shared inputs ``A``."""
        shared = (
            input_key or digest(A),
            b"" if bool((s == 1.0).all()) else digest(s),
            solver,
            tuple(sorted(options.items())),
        )
        return [(shared[0], digest(t), *shared[1:]) for t in Tt]

    def get(self, key: tuple) -> UnitResult | None:
        r = self._data.get(key)
        if r is None:
            self.misses += 1
            return None
        self.hits += 1
        self._data.move_to_end(key)
        return r

    def put(self, key: tuple, result: UnitResult) -> None:
        self._data[key] = result
        if len(self._data) > self.maxsize:
            self._data.popitem(last=False)

    def clear(self) -> None:
        self._data.clear()
        self.hits = self.misses = 0
