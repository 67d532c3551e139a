"""A data set: the corners of the cube {-1, +1}^N labelled by x1 + x2 > 0."""

from __future__ import annotations

import itertools

import numpy as np

from hardtarget import HardTargetError, make_problem
from hardtarget.params import declare


@declare(shapes={"demo-cube": (8, 3), "demo-cube:4": (16, 4)})
def cube(spec: str, arg: str):
    """demo-cube:N — the 2^N corners of {-1, +1}^N, label x1 + x2 > 0 (default N=3)."""
    if arg and not (arg.isdigit() and 2 <= int(arg) <= 12):
        raise HardTargetError(f"bad problem {spec!r}: N is an integer from 2 to 12")
    n = int(arg or 3)
    X = np.array(list(itertools.product((-1.0, 1.0), repeat=n)))
    return make_problem(X, np.where(X[:, 0] + X[:, 1] > 0, 1, -1), name=f"demo-cube:{n}")
