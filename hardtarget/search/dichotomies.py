"""Enumerate the linearly separable dichotomies of a point set.

In the dual space of weights ``w~ = (w, b)`` each point ``x~_i = [x_i, 1]`` is a
hyperplane through the origin; the separable dichotomies are the cells of that central
arrangement.  For distinct points two cells sharing a facet differ in exactly one
point, and the cell graph is connected, so a walk over single-point flips that keeps
to separable labelings, started from the all -1 labeling, visits every separable
dichotomy while testing only ``(number of dichotomies) x (number of points)`` labelings
instead of all ``2^m``.
"""

from __future__ import annotations

from collections import deque
from math import comb

import numpy as np

from ..errors import HardTargetError
from ..units import get_solver

__all__ = ["separable_dichotomies", "cover_count", "distinct_rows"]


def cover_count(m: int, d: int) -> int:
    """Cover's bound: at most ``2 * sum_{k<=d} C(m-1, k)`` dichotomies of m points in R^d."""
    return 2 * sum(comb(m - 1, k) for k in range(min(d, m - 1) + 1)) if m > 0 else 1


def distinct_rows(H: np.ndarray) -> tuple:
    """(distinct rows U, inverse index so that ``U[inverse] == H``)."""
    U, inv = np.unique(H, axis=0, return_inverse=True)
    return U, inv.ravel()


def separable_dichotomies(U: np.ndarray, limit: int = 2_000_000, tick=None) -> np.ndarray:
    """All separable ±1 labelings of the distinct rows of ``U`` (k x u int8).

    Raises HardTargetError when more than ``limit`` exist.  ``tick()`` is called once
    per visited labeling (a budget check may raise from it).
    """
    U = np.ascontiguousarray(U, dtype=np.float64)
    u = U.shape[0]
    solve = get_solver("auto")
    ones = np.ones(u)
    start = -np.ones(u, dtype=np.int8)
    seen = {start.tobytes()}
    out = [start]
    queue = deque([start])
    while queue:
        lab = queue.popleft()
        if tick is not None:
            tick()
        for i in range(u):
            nb = lab.copy()
            nb[i] = -nb[i]
            key = nb.tobytes()
            if key in seen:
                continue
            if solve(U, nb, ones).separable:
                seen.add(key)
                out.append(nb)
                queue.append(nb)
                if len(out) > limit:
                    raise HardTargetError(
                        f"more than {limit} separable dichotomies of {u} points; the space is too big to enumerate"
                    )
    return np.array(out, dtype=np.int8)
