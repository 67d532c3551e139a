"""Checking a Farkas certificate of non-separability: its numbers, or its support.

A certificate for targets ``t`` on inputs ``A`` is ``lambda >= 0``, ``lambda != 0``
with ``sum_i lambda_i t_i [x_i, 1] = 0``: then no weights separate ``t`` (Gordan's
alternative).  :func:`check_certificate` checks the given numbers in exact rational
arithmetic; :func:`check_certificate_support` asks only whether an exact certificate
exists on the same support (what a float solver's rounded ``lambda`` can prove);
:func:`exact_certificate` turns a rounded one into exact rationals that pass the first.
"""

from __future__ import annotations

import numbers
from fractions import Fraction

import numpy as np

from .exact import _null_point, _reduce, _support_matrix, certificate_holds

__all__ = ["check_certificate", "check_certificate_support", "exact_certificate"]


def _fraction(v) -> Fraction | None:
    """An exact rational from a number or a text such as ``"3/8"``; None if it is not one."""
    if isinstance(v, (bool, np.bool_)):
        return None
    if isinstance(v, str):
        try:
            return Fraction(v.strip())
        except (ValueError, ZeroDivisionError):
            return None
    if isinstance(v, numbers.Rational):
        return Fraction(int(v.numerator), int(v.denominator))
    if isinstance(v, numbers.Real):
        v = float(v)
        return Fraction(v) if np.isfinite(v) else None
    return None


def _inputs(A, t) -> tuple[np.ndarray, np.ndarray] | None:
    A = np.asarray(A, dtype=np.float64)
    t = np.asarray(t, dtype=np.float64)
    if A.ndim != 2 or t.shape != (A.shape[0],):
        return None
    if not (np.all(np.isfinite(A)) and np.all(np.abs(t) == 1)):
        return None
    return A, t


def check_certificate(A, t, lam) -> bool:
    """Exact check of the certificate ``lam`` itself: ``lam >= 0``, ``lam != 0`` and
    ``sum_i lam_i t_i [x_i, 1] = 0``, every number taken as the exact rational it is.

    ``lam`` holds floats, integers, :class:`fractions.Fraction` or texts such as
    ``"1/3"`` (how proof files store exact certificates).  A float solver's rounded
    ``lambda`` usually fails this check: :func:`check_certificate_support` checks what
    it proves, :func:`exact_certificate` makes it exact.

    Parameters
    ----------
    A : array-like of shape (n_samples, n_features)
        The unit's inputs.
    t : array-like of shape (n_samples,)
        Its ±1 targets.
    lam : array-like of shape (n_samples,)
        The certificate.

    Returns
    -------
    bool

    Examples
    --------

    >>> import numpy as np
    >>> X = np.array([[-1.0, -1], [-1, 1], [1, -1], [1, 1]])
    >>> check_certificate(X, [-1, 1, 1, -1], np.full(4, 0.25))  # XOR
    True
    >>> check_certificate(X, [-1, 1, 1, -1], [1, 1000, 1e-5, 3])  # right support, wrong numbers
    False
    >>> check_certificate(X, [-1, -1, -1, 1], np.full(4, 0.25))  # AND is separable
    False
    """
    checked = _inputs(A, t)
    values = list(np.asarray(lam, dtype=object).ravel()) if np.ndim(lam) == 1 else None
    if checked is None or values is None or len(values) != checked[0].shape[0]:
        return False
    A, t = checked
    fr = [_fraction(v) for v in values]
    if any(v is None or v < 0 for v in fr) or not any(fr):
        return False
    n = A.shape[1]
    total = [Fraction(0)] * (n + 1)
    for i, v in enumerate(fr):
        if v:
            tv = v if t[i] > 0 else -v
            for f in range(n):
                if A[i, f]:
                    total[f] += tv * Fraction(float(A[i, f]))
            total[n] += tv
    return not any(total)


def check_certificate_support(A, t, lam) -> bool:
    """True when an exact certificate exists on the support of ``lam`` (``lam > 0``).

    Sound for the question "is ``t`` non-separable?": what a float LP solver's rounded
    ``lambda`` proves.  The numbers of ``lam`` matter only where its support leaves a
    choice; use :func:`check_certificate` to check them, :func:`exact_certificate` to
    get exact ones.

    Parameters
    ----------
    A : array-like of shape (n_samples, n_features)
        The unit's inputs.
    t : array-like of shape (n_samples,)
        Its ±1 targets.
    lam : array-like of shape (n_samples,)
        The certificate.

    Returns
    -------
    bool

    Examples
    --------

    >>> import numpy as np
    >>> X = np.array([[-1.0, -1], [-1, 1], [1, -1], [1, 1]])
    >>> check_certificate_support(X, [-1, 1, 1, -1], [1, 1000, 1e-5, 3])
    True
    """
    checked = _inputs(A, t)
    try:
        lam = np.asarray(lam, dtype=np.float64)
    except (TypeError, ValueError):
        return False
    if checked is None or lam.shape != checked[1].shape:
        return False
    if not np.all(np.isfinite(lam)) or np.any(lam < 0):
        return False
    return certificate_holds(checked[0], checked[1], lam)


def exact_certificate(A, t, lam) -> list[Fraction] | None:
    """An exact certificate (rationals summing to 1) on the support of ``lam``, or None
    when none exists there; it passes :func:`check_certificate`.

    Parameters
    ----------
    A : array-like of shape (n_samples, n_features)
        The unit's inputs.
    t : array-like of shape (n_samples,)
        Its ±1 targets.
    lam : array-like of shape (n_samples,)
        The certificate.

    Returns
    -------
    list of Fraction or None

    Examples
    --------

    >>> import numpy as np
    >>> X = np.array([[-1.0, -1], [-1, 1], [1, -1], [1, 1]])
    >>> [str(v) for v in exact_certificate(X, [-1, 1, 1, -1], [0.3, 0.2, 0.2, 0.3])]
    ['1/4', '1/4', '1/4', '1/4']
    """
    checked = _inputs(A, t)
    if checked is None or not check_certificate_support(A, t, lam):
        return None
    A, t = checked
    lam = np.asarray(lam, dtype=np.float64)
    S = np.flatnonzero(lam > 0)
    R, piv = _reduce(_support_matrix(A, t, S))
    free = [j for j in range(S.size) if j not in set(piv)]
    if not piv:  # every support column is zero: any nonnegative lambda
        x = [Fraction(float(v)) for v in lam[S]]
    else:
        vals = [Fraction(1)] if len(free) == 1 else [Fraction(float(lam[S][f])) for f in free]
        x = _null_point(R, piv, free, vals)
    total = sum(x)
    out = [Fraction(0)] * len(lam)
    for j, i in enumerate(S.tolist()):
        out[i] = x[j] / total
    return out if check_certificate(A, t, out) else None
