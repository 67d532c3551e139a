"""The paper's layer losses and the error count, defined once for numpy and numba.

A layer loss scores a unit's pre-activation ``z`` against its ±1 target ``t`` through
``u = t * z`` (paper, sections 2 and 3.2):

* ``hinge``: ``max(0, 1 - u)``;
* ``saturated_hinge``: ``max(0, 1 - max(u, -1))`` (the hinge, flat below ``u = -1``);
* ``soft_hinge``: ``tanh(-u) + 1``.

The scalar functions :func:`loss_at` and :func:`grad_at` are numba functions that the
kernels call directly; :func:`layer_loss` and :func:`layer_loss_grad` apply them to
arrays.  Names are ``snake_case``; the hyphenated spellings are accepted too.
"""

from __future__ import annotations

import numba
import numpy as np

from ..errors import HardTargetError

__all__ = [
    "LAYER_LOSSES",
    "error_count",
    "grad_at",
    "layer_loss",
    "layer_loss_grad",
    "loss_at",
    "loss_code",
]

LAYER_LOSSES = ("hinge", "saturated_hinge", "soft_hinge")


def loss_code(name: str) -> int:
    """The kernels' integer code of a layer loss (``saturated-hinge`` works too).

    >>> loss_code("soft-hinge")
    2
    """
    key = name.replace("-", "_") if isinstance(name, str) else name
    if key not in LAYER_LOSSES:
        raise HardTargetError(f"unknown layer loss {name!r}; valid: {', '.join(LAYER_LOSSES)}")
    return LAYER_LOSSES.index(key)


@numba.njit(cache=True, inline="always")
def loss_at(code, u):
    """The layer loss ``code`` (see :func:`loss_code`) at ``u = t * z``."""
    if code == 0:
        return max(0.0, 1.0 - u)
    if code == 1:
        return max(0.0, 1.0 - max(u, -1.0))
    return np.tanh(-u) + 1.0


@numba.njit(cache=True, inline="always")
def grad_at(code, u):
    """The derivative of the layer loss ``code`` with respect to ``u = t * z``."""
    if code == 0:
        return -1.0 if u < 1.0 else 0.0
    if code == 1:
        return -1.0 if (u < 1.0 and u >= -1.0) else 0.0
    c = np.cosh(u)
    return -1.0 / (c * c)


@numba.njit(cache=True)
def _apply(code, u, grad):
    out = np.empty_like(u)
    for i in range(u.shape[0]):
        out[i] = grad_at(code, u[i]) if grad else loss_at(code, u[i])
    return out


def layer_loss(name: str, u) -> np.ndarray:
    """Elementwise layer loss of ``u = t * z``.

    Parameters
    ----------
    name : str
        ``hinge``, ``saturated_hinge`` or ``soft_hinge``.
    u : array-like
        ``t * z``.

    Returns
    -------
    numpy.ndarray

    Examples
    --------

    >>> layer_loss("hinge", [-2.0, 0.5, 3.0]).tolist()
    [3.0, 0.5, 0.0]
    """
    u = np.asarray(u, dtype=np.float64)
    return _apply(loss_code(name), np.ascontiguousarray(u).ravel(), False).reshape(u.shape)


def layer_loss_grad(name: str, u) -> np.ndarray:
    """Elementwise derivative of the layer loss with respect to ``u = t * z``.

    Parameters
    ----------
    name : str
        ``hinge``, ``saturated_hinge`` or ``soft_hinge``.
    u : array-like
        ``t * z``.

    Returns
    -------
    numpy.ndarray

    Examples
    --------

    >>> layer_loss_grad("saturated_hinge", [-2.0, 0.5, 3.0]).tolist()
    [0.0, -1.0, 0.0]
    """
    u = np.asarray(u, dtype=np.float64)
    return _apply(loss_code(name), np.ascontiguousarray(u).ravel(), True).reshape(u.shape)


def error_count(Z, T) -> int:
    """Samples (rows) with some output on the wrong side: ``(z > 0) != (t > 0)``, sign(0) = -1.

    Parameters
    ----------
    Z : numpy.ndarray
        Pre-activations ``(n_samples, k)``.
    T : numpy.ndarray
        ±1 targets ``(n_samples, k)``.

    Returns
    -------
    int

    Examples
    --------

    >>> error_count(np.array([[0.5], [0.0], [-1.0]]), np.array([[1], [1], [-1]]))
    1
    """
    Z = np.asarray(Z)
    T = np.asarray(T)
    if Z.ndim == 1:
        Z = Z.reshape(-1, 1)
    if T.ndim == 1:
        T = T.reshape(-1, 1)
    return int(np.count_nonzero(np.any((Z > 0) != (T > 0), axis=1)))
