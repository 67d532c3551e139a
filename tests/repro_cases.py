"""Seeded runs of every strategy, unit solver and start, each reduced to a fingerprint.

``python -m tests.repro_cases`` prints one line per case: its name and a SHA-256 of
everything a seed decides (status, loss, counters, the best-so-far history without its
times, the network's weight bytes, the targets' bytes).  ``tests/test_reproducible.py``
runs it under different BLAS kernels, thread counts and numba CPU targets and compares
the lines.  Every budget here is a state or node limit, never a wall-clock one, so the
outcome cannot depend on the machine's speed or load.
"""

from __future__ import annotations

import hashlib
import sys

import numpy as np

import hardtarget as ht
from hardtarget._numeric import matmul
from hardtarget.search import solve
from hardtarget.units import solve_layer


def _update(h, *arrays) -> None:
    for a in arrays:
        a = np.ascontiguousarray(a)
        h.update(f"{a.dtype.str}{a.shape}".encode())
        h.update(a.tobytes())


def result_digest(r) -> str:
    """SHA-256 of what a seeded run decided (wall times and ``info`` left out)."""
    h = hashlib.sha256()
    h.update(
        repr((str(r.status), r.loss, r.states_evaluated, r.unit_solves, r.cache_hits)).encode()
    )
    h.update(repr([(s, loss) for _, s, loss in r.history]).encode())
    if r.network is not None:
        _update(h, *r.network.weights)
    if r.targets is not None:
        _update(h, *r.targets.layers)
    return h.hexdigest()


def _gaussian(m: int, seed: int) -> ht.Problem:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(m, 3))
    return ht.make_problem(X, (X[:, 0] * X[:, 1] + 0.5 * X[:, 2] > 0).astype(int))


def search_cases():
    """(name, problem, hidden, strategy, options): every strategy and start, small budgets."""
    g = _gaussian(40, 7)
    planted = ht.load_problem("planted:4-2-1:40:0")
    xor = ht.load_problem("xor")
    out = []
    for init in ("anneal", "ftprop-mb", "random"):
        out.append((f"hill-{init}", g, (3,), "hill", {"init": init, "max_states": 40}))
    out += [
        ("beam", g, (3,), "beam", {"width": 3, "max_states": 60}),
        ("beam-2layers", g, (3, 2), "beam", {"width": 2, "init": "random", "max_states": 40}),
        ("madaline", g, (3,), "madaline", {"pairs": True, "init": "random", "max_states": 60}),
        ("ftprop", g, (3,), "ftprop", {"budget": 3, "init": "random", "max_states": 60}),
        (
            "ftprop-polish-soft",
            g,
            (3,),
            "ftprop",
            {"budget": 2, "layer_loss": "soft_hinge", "polish": True, "max_states": 25},
        ),
        ("ftprop-mb-start", g, (3,), "ftprop", {"init": "ftprop-mb", "max_states": 30}),
        ("exhaustive-xor", xor, (2,), "exhaustive", {}),
        ("exhaustive-first-pass", planted, (2,), "exhaustive", {"max_states": 50}),
        ("exhaustive-small", _gaussian(9, 3), (2,), "exhaustive", {}),
        ("sat-cpsat", planted, (2,), "sat", {}),
        ("sat-cpsat-model", planted, (2,), "sat", {"first_pass": False}),
        ("sat-pysat", xor, (2,), "sat", {"backend": "pysat"}),
        ("sat-lp", planted, (2,), "sat-lp", {"max_rounds": 30}),
        ("sat-lp-lazy", g, (2,), "sat-lp", {"first_pass": False, "max_rounds": 20}),
        ("sat-lp-cpsat", xor, (2,), "sat-lp", {"backend": "cpsat"}),
    ]
    return out


def run_search(name, problem, hidden, strategy, options) -> str:
    options = dict(options)
    max_states = options.pop("max_states", None)
    r = solve(problem, hidden, strategy, seed=3, max_states=max_states, progress=False, **options)
    return result_digest(r)


def unit_digest() -> str:
    """Every unit solver on one layer (Newton, perceptron, the descents, the LP)."""
    rng = np.random.default_rng(11)
    A = rng.normal(size=(60, 5))
    T = np.where(rng.normal(size=(60, 4)) + A[:, :1] > 0, 1, -1)
    w = np.array([[1.0], [-2.0], [0.5], [0.0], [1.0]])
    T[:, 0] = np.where(matmul(A, w)[:, 0] > 0.1, 1, -1)  # separable
    h = hashlib.sha256()
    for solver in ("auto", "perceptron", "hinge", "saturated_hinge", "soft_hinge", "lp"):
        for r in solve_layer(A, T, solver):
            h.update(repr((solver, r.separable, r.errors, r.iterations)).encode())
            _update(h, r.weights)
    return h.hexdigest()


def planted_digest() -> str:
    """The planted problems' data and networks."""
    h = hashlib.sha256()
    for spec in ("planted:6-4-1:200:3", "planted:8-5-3-1:150:1"):
        p = ht.load_problem(spec)
        _update(h, p.X, p.t, *p.planted["network"].weights)
    return h.hexdigest()


def main(argv: list) -> None:
    names = set(argv)
    for case in search_cases():
        if not names or case[0] in names:
            print(case[0], run_search(*case), flush=True)
    if not names or "units" in names:
        print("units", unit_digest(), flush=True)
    if not names or "planted" in names:
        print("planted", planted_digest(), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
