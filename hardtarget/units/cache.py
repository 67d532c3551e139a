"""Memo of unit solves keyed by (digest of inputs, target column, weights, solver).

Target search revisits the same perceptron subproblems over and over (a unit whose
inputs and targets did not change between two states); this saves the re-solve.  For
the neighbours it has not seen, the cache also keeps a
:class:`~hardtarget.units.certificates.CertificateStore` per input matrix, which
``auto`` asks before its LP.
"""

from __future__ import annotations

from collections import OrderedDict

import numpy as np

from ..targets import digest
from .base import UnitResult
from .certificates import CertificateStore

__all__ = ["UnitCache"]


class UnitCache:
    """A bounded LRU cache of :class:`UnitResult` objects.

    Parameters
    ----------
    maxsize : int
        Results kept (least recently used first out).
    certificates : int
        Input matrices whose certificate stores are kept.

    Examples
    --------

    >>> import numpy as np
    >>> from hardtarget import solve_unit
    >>> cache = UnitCache()
    >>> X = np.array([[0.0], [1.0]])
    >>> _ = solve_unit(X, [-1, 1], cache=cache); _ = solve_unit(X, [-1, 1], cache=cache)
    >>> cache.hits, cache.misses
    (1, 1)

    ``certificates`` bounds the input matrices whose certificate stores are kept
    (least recently used first out; 0 keeps none).
    """

    def __init__(self, maxsize: int = 100_000, certificates: int = 64):
        self.maxsize = int(maxsize)
        self.certificates = int(certificates)
        self._data: OrderedDict[tuple, UnitResult] = OrderedDict()
        self._stores: OrderedDict[bytes, CertificateStore] = OrderedDict()
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
        """The cache key; pass ``input_key`` (a digest of A) to avoid rehashing shared inputs.

        Parameters
        ----------
        A : numpy.ndarray
            Inputs ``(n_samples, n_features)``.
        t : numpy.ndarray
            ±1 targets.
        s : numpy.ndarray or None
            Sample weights.
        solver : str
            Solver name.
        options : dict
            Solver options.
        input_key : bytes, optional
            A digest of ``A`` computed before.

        Returns
        -------
        bytes
        """
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
        """The keys of the units ``Tt`` (one target row per unit) on shared inputs ``A``.

        Parameters
        ----------
        A : numpy.ndarray
            Shared inputs ``(n_samples, n_features)``.
        Tt : numpy.ndarray
            ``(n_units, n_samples)`` targets.
        s : numpy.ndarray or None
            Sample weights.
        solver : str
            Solver name.
        options : dict
            Solver options.
        input_key : bytes, optional
            A digest of ``A`` computed before.

        Returns
        -------
        list of bytes
        """
        shared = (
            input_key or digest(A),
            b"" if bool((s == 1.0).all()) else digest(s),
            solver,
            tuple(sorted(options.items())),
        )
        return [(shared[0], digest(t), *shared[1:]) for t in Tt]

    def get(self, key: tuple) -> UnitResult | None:
        """The result stored under ``key``, or None (counts a hit or a miss).

        Parameters
        ----------
        key : bytes
            From :meth:`key`.
        """
        r = self._data.get(key)
        if r is None:
            self.misses += 1
            return None
        self.hits += 1
        self._data.move_to_end(key)
        return r

    def put(self, key: tuple, result: UnitResult) -> None:
        """Store ``result`` under ``key`` (the least recently used one goes when full).

        Parameters
        ----------
        key : bytes
            From :meth:`key`.
        result : UnitResult
            The result to keep.
        """
        self._data[key] = result
        if len(self._data) > self.maxsize:
            self._data.popitem(last=False)

    def store(self, input_key: bytes, shape: tuple) -> CertificateStore | None:
        """The certificate store of the inputs with digest ``input_key`` (None if kept off).

        Parameters
        ----------
        input_key : bytes
            Digest of the input matrix.
        shape : tuple of int
            Its shape ``(n_samples, n_features)``.

        Returns
        -------
        CertificateStore or None
        """
        if self.certificates <= 0:
            return None
        st = self._stores.get(input_key)
        if st is None:
            st = self._stores[input_key] = CertificateStore(*shape)
            if len(self._stores) > self.certificates:
                self._stores.popitem(last=False)
        else:
            self._stores.move_to_end(input_key)
        return st

    def certificate_stats(self) -> dict:
        """Lookups in the certificate stores kept now: refuted (hits) and not (misses)."""
        st = self._stores.values()
        return {"hits": sum(x.hits for x in st), "misses": sum(x.misses for x in st)}

    def clear(self) -> None:
        """Forget every result and certificate store, and reset the counters."""
        self._data.clear()
        self._stores.clear()
        self.hits = self.misses = 0
