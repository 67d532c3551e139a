"""Farkas certificates kept per input matrix: a flipped target re-proved by lookup.

A certificate ``lambda`` with support ``S`` proves that no weights separate the targets
``t`` of inputs ``A``: ``sum_{i in S} lambda_i t_i [x_i, 1] = 0`` (exactly, see
:mod:`hardtarget.units.exact`).  It involves the targets only on ``S`` and only up to a
common sign, so it also refutes every column ``t'`` with ``t'_S = t_S`` or
``t'_S = -t_S``, for any sample weights that are positive on ``S``.  A target search
flips one target at a time: most neighbours of a non-separable unit differ from it
outside the support (at most ``n + 2`` rows of a vertex of the LP), and a lookup
replaces their LP.  The store also keeps the simplex bases of the last few LPs on
its inputs: the LP of a column it cannot refute starts from the basis of the nearest
one (fewest differing targets).
"""

from __future__ import annotations

import numba
import numpy as np

__all__ = ["CertificateStore"]


@numba.njit(cache=True)
def _refuting(rows, signs, size, t, s):
    """The first slot whose signs match ``t`` (up to a common sign) on a support with s > 0."""
    for c in range(size.shape[0]):
        k = size[c]
        if k == 0:
            continue
        g = signs[c, 0] * t[rows[c, 0]]
        for j in range(k):
            i = rows[c, j]
            if signs[c, j] * t[i] != g or not s[i] > 0:
                break
        else:
            return c
    return -1


class CertificateStore:
    """Recent certificates of non-separability for units on one input matrix (m x n).

    Parameters
    ----------
    n_samples, n_features : the shape of the shared inputs.
    capacity : certificates kept; the least recently used one makes room for a new one.

    Examples
    --------
    >>> import numpy as np
    >>> from hardtarget import check_certificate
    >>> X = np.array([[-1.0, -1], [-1, 1], [1, -1], [1, 1], [0, 3]])
    >>> t = np.array([-1, 1, 1, -1, 1], np.int8)  # XOR on the first four points
    >>> lam = np.array([0.25, 0.25, 0.25, 0.25, 0.0])
    >>> store = CertificateStore(5, 2)
    >>> check_certificate(X, t, lam) and store.add(t, lam)
    True
    >>> flipped = np.array([1, -1, -1, 1, -1], np.int8)  # -XOR, and the fifth point flipped
    >>> check_certificate(X, flipped, store.refute(flipped, np.ones(5)))
    True
    >>> store.refute(flipped, np.array([1.0, 1, 0, 1, 1])) is None  # a support row ignored
    True
    """

    def __init__(self, n_samples: int, n_features: int, capacity: int = 256):
        self.n_samples = int(n_samples)
        width = int(n_features) + 2  # the largest support of a vertex of the LP
        self._rows = np.zeros((capacity, width), dtype=np.int64)
        self._signs = np.zeros((capacity, width), dtype=np.int8)
        self._lams = np.zeros((capacity, width))
        self._size = np.zeros(capacity, dtype=np.int64)  # support size, 0 for an empty slot
        self._used = np.zeros(capacity, dtype=np.int64)  # clock of the last add or hit
        self._clock = 0
        self._filled = 0
        self.hits = 0
        self.misses = 0
        self._bases: list = []  # (targets, HiGHS basis) of the last LPs, oldest first

    def __len__(self) -> int:
        return self._filled

    def add(self, t, lam) -> bool:
        """Keep the certificate ``lam`` (length m, checked before) of targets ``t``.

        Returns False (nothing kept) when its support is wider than ``n_features + 2``.

        Parameters
        ----------
        t : numpy.ndarray
            int8 ±1 targets.
        lam : numpy.ndarray
            The certificate, length ``n_samples``.

        Returns
        -------
        bool
        """
        lam = np.asarray(lam, dtype=np.float64)
        S = np.flatnonzero(lam > 0)
        width = self._rows.shape[1]
        if S.size == 0 or S.size > width:
            return False
        if self._filled < self._size.shape[0]:
            c = self._filled
            self._filled += 1
        else:
            c = int(np.argmin(self._used))
        k = S.size
        self._rows[c, :k] = S
        self._signs[c, :k] = np.asarray(t)[S]
        self._lams[c, :k] = lam[S]
        self._size[c] = k
        self._tick(c)
        return True

    def refute(self, t: np.ndarray, s: np.ndarray) -> np.ndarray | None:
        """A stored certificate that also refutes int8 targets ``t`` under weights ``s``.

        Returns it as a length-m ``lambda`` (summing to 1), or None when none applies.

        Parameters
        ----------
        t : numpy.ndarray
            int8 ±1 targets.
        s : numpy.ndarray or None
            Sample weights.

        Returns
        -------
        numpy.ndarray or None
        """
        n = self._filled
        c = _refuting(self._rows[:n], self._signs[:n], self._size[:n], t, s)
        if c < 0:
            self.misses += 1
            return None
        self.hits += 1
        self._tick(c)
        k = self._size[c]
        lam = np.zeros(self.n_samples)
        lam[self._rows[c, :k]] = self._lams[c, :k]
        return lam

    def __getstate__(self) -> dict:
        return {**self.__dict__, "_bases": []}  # HiGHS bases do not pickle (a speed hint only)

    def nearest_basis(self, t: np.ndarray):
        """The kept simplex basis whose column differs least from ``t`` (None if none kept).

        Parameters
        ----------
        t : numpy.ndarray
            int8 ±1 targets.

        Returns
        -------
        object or None
        """
        if not self._bases:
            return None
        d = [np.count_nonzero(u != t) for u, _ in self._bases]
        return self._bases[int(np.argmin(d))][1]

    def keep_basis(self, t: np.ndarray, basis) -> None:
        """Keep the final basis of the LP of column ``t`` (the oldest of 8 makes room).

        Parameters
        ----------
        t : numpy.ndarray
            int8 ±1 targets.
        basis : object
            The HiGHS basis.
        """
        self._bases.append((np.array(t, dtype=np.int8), basis))
        if len(self._bases) > 8:
            self._bases.pop(0)

    def _tick(self, c: int) -> None:
        self._clock += 1
        self._used[c] = self._clock
