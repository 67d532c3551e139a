"""Independent truths for the tests: scipy's LP, brute-force enumeration."""

import numpy as np
from scipy.optimize import linprog


def linprog_separable(A, t) -> bool:
    """Feasibility of t_i (w . x_i + b) >= 1 with scipy's own LP interface."""
    A = np.asarray(A, float)
    t = np.asarray(t, float)
    A1 = np.hstack([A, np.ones((len(A), 1))])
    res = linprog(
        np.zeros(A1.shape[1]),
        A_ub=-(t[:, None] * A1),
        b_ub=-np.ones(len(A)),
        bounds=[(None, None)] * A1.shape[1],
        method="highs",
    )
    assert res.status in (0, 2), res.message
    return res.status == 0


def separates(w, A, t) -> bool:
    """t_i z_i > 0 for all i, z computed in the network's order (features, then bias)."""
    import hardtarget as ht

    net = ht.Network([np.asarray(w, float).reshape(-1, 1)], ["sign"])
    return bool(np.all(net.predict(np.asarray(A, float)) == np.asarray(t)))


def random_inputs(rng, kind: str, m: int, n: int) -> np.ndarray:
    """An (m, n) input matrix of ``kind``: ``pm1`` (±1), ``gauss`` or ``int`` (-3..3)."""
    if kind == "pm1":
        return rng.choice([-1.0, 1.0], size=(m, n))
    if kind == "gauss":
        return rng.normal(size=(m, n))
    return rng.integers(-3, 4, size=(m, n)).astype(float)


class Looks:
    """A clock one second later at every look; ``calls``: the looks after the first (a
    budget's first look is when it is made)."""

    def __init__(self):
        self.calls = -1

    def __call__(self) -> float:
        self.calls += 1
        return float(self.calls)


def counted(after: int | None = None):
    """A budget that runs out at its ``after``-th look (never if None), and its clock."""
    from hardtarget.budget import Budget

    clock = Looks()
    return Budget(time_limit=after or 10**9, clock=clock), clock
