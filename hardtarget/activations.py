"""Hard-threshold activations: sign, step and quantized ReLU.

One convention everywhere: ``sign(0) = -1`` and ``step(0) = 0`` (paper, section 2:
``sign(x) = 1 if x > 0 and -1 otherwise``).  The quantized ReLU with ``k`` steps is
the normalized sum of step functions of section 3.4,
``qrelu_k(z) = (1/k) * sum_{i=0}^{k-1} step(z - i/(k-1))``, with ``k + 1`` levels
``0, 1/k, ..., 1`` (k = 3: 4 levels, 2 bits).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .errors import HardTargetError

__all__ = ["Activation", "get_activation", "ACTIVATIONS", "sign", "step", "qrelu"]


def sign(z: np.ndarray) -> np.ndarray:
    """+1 where ``z > 0``, -1 elsewhere (zero included)."""
    return np.where(np.asarray(z) > 0, 1.0, -1.0)


def step(z: np.ndarray) -> np.ndarray:
    """1 where ``z > 0``, 0 elsewhere (zero included)."""
    return np.where(np.asarray(z) > 0, 1.0, 0.0)


def qrelu(z: np.ndarray, k: int) -> np.ndarray:
    """Quantized ReLU with ``k`` steps: ``(1/k) * sum_i step(z - i/(k-1))``.

    The count of thresholds ``fl(i / (k-1))`` below ``z`` is found from a guess
    ``floor(z (k-1))`` corrected by exact comparisons with the thresholds next to it (they
    increase with ``i``), so the cost does not grow with ``k`` and the result is the
    sum's, bit for bit (``z - thr > 0`` iff ``z > thr`` in IEEE arithmetic).
    """
    z = np.asarray(z, dtype=np.float64)
    if k == 1:
        return step(z)
    pos = z > 0  # thr_0 = 0: nothing counts at or below 0, nor for NaN
    with np.errstate(over="ignore", invalid="ignore"):
        guess = np.where(pos, np.minimum(z * (k - 1), k), 0.0)
    c = np.floor(guess).astype(np.int64)
    while True:  # c too high: thr_{c-1} is not below z
        down = pos & (c > 0) & ((c - 1) / (k - 1) >= z)
        if not down.any():
            break
        c[down] -= 1
    while True:  # c too low: thr_c is below z
        up = pos & (c < k) & (c / (k - 1) < z)
        if not up.any():
            break
        c[up] += 1
    return c / k


@dataclass(frozen=True)
class Activation:
    """A named hard-threshold activation.

    ``kind`` is ``"sign"``, ``"step"`` or ``"qrelu"``; ``k`` is the number of
    steps of a quantized ReLU (1 otherwise).  ``low``/``high`` are the values a
    binary unit takes for targets -1/+1 (sign: -1/+1, step: 0/1).

    Parameters
    ----------
    kind : {"sign", "step", "qrelu"}
        The kind of threshold.
    k : int, default=1
        Steps of a quantized ReLU (``k + 1`` output levels); 1 for sign and step.

    Examples
    --------
    >>> a = Activation("qrelu", 3)
    >>> a.levels.tolist()
    [0.0, 0.3333333333333333, 0.6666666666666666, 1.0]
    """

    kind: str
    k: int = 1

    @property
    def name(self) -> str:
        return f"qrelu{self.k}" if self.kind == "qrelu" else self.kind

    @property
    def binary(self) -> bool:
        """True when a unit has two output values (targets are then ±1)."""
        return self.kind != "qrelu"

    @property
    def levels(self) -> np.ndarray:
        """Every value the activation can output, ascending."""
        if self.kind == "sign":
            return np.array([-1.0, 1.0])
        if self.kind == "step":
            return np.array([0.0, 1.0])
        return np.arange(self.k + 1) / self.k

    def __call__(self, z: np.ndarray) -> np.ndarray:
        if self.kind == "sign":
            return sign(z)
        if self.kind == "step":
            return step(z)
        return qrelu(z, self.k)

    def from_targets(self, targets: np.ndarray) -> np.ndarray:
        """Values a binary unit outputs for ±1 targets (inputs of the next layer).

        Parameters
        ----------
        targets : array-like of ±1
            Targets of binary units.

        Returns
        -------
        numpy.ndarray
            The unit outputs: the targets for ``sign``, 0/1 for ``step``.
        """
        if not self.binary:
            raise HardTargetError(
                f"activation {self.name!r} is not binary: ±1 targets do not define its "
                "outputs. Use 'sign' or 'step' for target search; qrelu is for "
                "forward passes and torch training."
            )
        t = np.asarray(targets, dtype=np.float64)
        return t if self.kind == "sign" else (t + 1.0) / 2.0


ACTIVATIONS = ("sign", "step", "qrelu<k>")


def get_activation(spec: str | Activation) -> Activation:
    """Resolve ``"sign"``, ``"step"``, ``"qrelu3"`` (or ``"qrelu:3"``) to an Activation.

    Parameters
    ----------
    spec : str or Activation
        A name such as ``"sign"``, ``"step"``, ``"qrelu3"``, or an Activation.

    Returns
    -------
    Activation

    Examples
    --------

    >>> get_activation("qrelu3").levels.size
    4
    """
    if isinstance(spec, Activation):
        return spec
    if not isinstance(spec, str):
        raise HardTargetError(f"activation must be a string, got {type(spec).__name__}")
    s = spec.strip().lower()
    if s in ("sign", "step"):
        return Activation(s)
    if s.startswith("qrelu"):
        digits = s[5:].lstrip(":")
        if digits.isdigit() and int(digits) >= 1:
            return Activation("qrelu", int(digits))
        raise HardTargetError(
            f"bad quantized ReLU {spec!r}: write 'qrelu<k>' with k >= 1 steps, "
            "e.g. 'qrelu3' (4 levels, 2 bits)"
        )
    raise HardTargetError(f"unknown activation {spec!r}; valid: sign, step, qrelu<k> (e.g. qrelu3)")
