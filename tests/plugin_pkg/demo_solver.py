"""A unit solver: the plain perceptron (with bias) in numpy."""

from __future__ import annotations

import numpy as np

from hardtarget.params import Param, declare
from hardtarget.units import UnitResult


@declare(params={"max_epochs": Param("int", "epochs at most", low=1)})
def perceptron(A, t, s, max_epochs: int = 100, *, budget=None) -> UnitResult:
    """Plain perceptron; separable=True only when its weights separate every weighted row."""
    A1 = np.hstack([A, np.ones((A.shape[0], 1))])
    rows = np.flatnonzero(s > 0)
    w = np.zeros(A1.shape[1])
    epoch = 0
    for epoch in range(1, max_epochs + 1):  # noqa: B007 (the count is reported)
        if budget is not None:
            budget.check()  # raises when the run's time is up or it was cancelled
        mistakes = 0
        for i in rows:
            if t[i] * (A1[i] @ w) <= 0:  # sign(0) = -1: z = 0 is wrong for t = +1
                w += t[i] * A1[i]
                mistakes += 1
        if mistakes == 0:
            break
    z = A1[rows] @ w
    tz = t[rows] * z
    errors = int(np.sum(tz <= 0))
    norm = float(np.linalg.norm(w[:-1]))
    margin = float(tz.min() / norm) if norm > 0 else (np.inf if errors == 0 else -np.inf)
    return UnitResult(True if errors == 0 else None, w, margin, errors, epoch, None, "demo")
