"""The contract every registered component of a kind must keep, checked against
independent truths (a scipy LP, numpy arithmetic, the data's documented shapes).

``check(kind, name, tmp_path)`` runs the checks of one component; ``tests/test_contracts.py``
runs them over every component the registry finds, the built-ins and any installed
plugin alike (``tests/test_plugins.py`` installs one).
"""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
from sklearn.base import clone

import hardtarget as ht
from hardtarget import registry
from hardtarget.budget import Budget
from hardtarget.errors import HardTargetError
from tests.helpers import linprog_separable
from tests.repro_cases import result_digest

__all__ = ["check", "CHECKS"]


def _raises(fn, *args, **kwargs) -> str:
    try:
        fn(*args, **kwargs)
    except HardTargetError as exc:
        return str(exc)
    raise AssertionError(f"{fn.__name__}{args} did not raise HardTargetError")


# -- strategies ------------------------------------------------------------------------------
def _bad_value(param):
    """A value that the declaration ``param`` must refuse, or None when every value is valid."""
    if param.kind == "object":
        return None
    if param.kind == "str":
        return "no-such-choice" if param.choices else None
    return "not-a-value"


def check_strategy(name: str, tmp_path: Path) -> None:
    """Runs on a tiny problem with a seed; same seed, same digest; clone; bad options refused."""
    comp = registry.get("strategies", name)
    xor = ht.load_problem("xor")
    runs = [
        ht.solve(xor, hidden=(2,), strategy=name, seed=3, max_states=50, progress=False)
        for _ in range(2)
    ]
    assert isinstance(runs[0], comp.result_type), type(runs[0])
    assert result_digest(runs[0]) == result_digest(runs[1]), "same seed, different runs"
    if runs[0].network is not None:  # the network it reports is the one it scores
        out = np.asarray(runs[0].network.forward(xor.X)[-1]).reshape(xor.T_out.shape)
        errors = int(np.any(out != xor.T_out, axis=1).sum())
        assert runs[0].train_accuracy == 1 - errors / xor.n_samples
    strategy = ht.search.get_strategy(name, seed=5)
    copy = clone(strategy)
    assert type(copy) is type(strategy) and copy.get_params() == strategy.get_params()
    assert "no option" in _raises(ht.search.get_strategy, name, no_such_option_xyz=1)
    for key, param in comp.params.items():
        bad = _bad_value(param)
        if bad is not None:
            assert key in _raises(ht.search.check_options, name, {key: bad})
    bad = {k: _bad_value(p) for k, p in comp.params.items() if _bad_value(p) is not None}
    for key, value in list(bad.items())[:1]:  # stored as given, refused when a run starts
        strategy = ht.search.get_strategy(name, **{key: value})
        assert key in _raises(ht.solve, xor, (2,), strategy, progress=False)


# -- unit solvers ----------------------------------------------------------------------------
def _cube(n: int) -> np.ndarray:
    return np.array(list(itertools.product((-1.0, 1.0), repeat=n)))


def _units() -> list[tuple[str, np.ndarray, np.ndarray]]:
    """Small separable and non-separable units."""
    rng = np.random.default_rng(0)
    c2, c3 = _cube(2), _cube(3)
    G = rng.normal(size=(24, 3))
    w = np.array([1.0, -2.0, 0.5])
    planted = np.where(G @ w + 0.3 > 0, 1, -1)
    dup = np.vstack([c2, c2[:1]])
    return [
        ("and", c2, np.where(c2.min(axis=1) > 0, 1, -1)),
        ("or3", c3, np.where(c3.max(axis=1) > 0, 1, -1)),
        ("planted", G, planted),
        ("xor", c2, np.where(c2[:, 0] != c2[:, 1], 1, -1)),
        ("parity3", c3, np.where((c3 > 0).sum(axis=1) % 2 == 1, 1, -1)),
        ("random", rng.normal(size=(14, 2)), rng.choice([-1, 1], size=14)),
        ("clash", dup, np.array([1, -1, -1, -1, -1])),
    ]


def check_unit_solver(name: str, tmp_path: Path) -> None:
    """On small units its verdict agrees with an independent LP, and its weights with numpy."""
    comp = registry.get("unit_solvers", name)
    for case, X, t in _units():
        r = ht.solve_unit(X, t, solver=name)
        assert isinstance(r, comp.result_type), (case, type(r))
        truth = linprog_separable(X, t)
        assert r.separable in (True, False, None), (case, r.separable)
        assert r.separable is None or r.separable == truth, (case, r.separable, truth)
        w = np.asarray(r.weights, dtype=np.float64)
        assert w.shape == (X.shape[1] + 1,), (case, w.shape)
        z = X @ w[:-1] + w[-1]
        wrong = t * z <= 0
        near = np.abs(z) < 1e-9 * max(1.0, float(np.abs(w).max()))  # rounding may decide a tie
        assert int(wrong[~near].sum()) <= r.errors <= int((wrong | near).sum()), (case, r.errors)
        if r.separable:
            assert r.errors == 0 and not wrong.any(), case
        if r.separable is False:
            lam = np.asarray(r.certificate, dtype=np.float64)
            A1 = np.hstack([X, np.ones((len(X), 1))])
            assert lam.min() >= 0 and abs(lam.sum() - 1) < 1e-9, case
            assert np.abs(lam @ (t[:, None] * A1)).max() < 1e-9, case
        if case == "and":
            assert r.separable is True, f"{name} does not prove the AND of two inputs separable"
            r = ht.solve_unit(X, t, solver=name, budget=Budget(time_limit=3600))
            assert r.separable is True, f"{name} with a budget"
    assert "no option" in _raises(ht.solve_unit, X, t, solver=name, no_such_option_xyz=1)


# -- exporters -------------------------------------------------------------------------------
def _network() -> ht.Network:
    """Two layers with integer and fractional weights, ties at z = 0 included."""
    W1 = np.array([[1.0, -1.0, 0.5], [1.0, 1.0, -0.25], [0.0, 2.0, 1.0], [0.0, -1.0, 0.0]])
    W2 = np.array([[1.0], [1.0], [-1.0], [1.0]])
    return ht.Network([W1, W2], ["sign", "sign"])


def check_exporter(name: str, tmp_path: Path) -> None:
    """Exports a small network; the file's outputs are bit-exact with the network's."""
    comp = registry.get("exporters", name)
    exporter = comp.obj()
    net = _network()
    path = tmp_path / f"contract{comp.obj.suffixes[0]}"
    written = ht.export(net, path, format=name)
    assert [Path(p) for p in written] == exporter.outputs(path), written
    assert all(Path(p).exists() for p in written)
    assert ht.export.format_of(path) == name  # its suffix implies it
    rng = np.random.default_rng(0)
    X = np.vstack([_cube(3), rng.normal(size=(50, 3)), np.zeros((1, 3)), [[0.5, -0.25, 0.0]]])
    runner = exporter.open(path)
    assert (runner.n_features, runner.n_outputs) == (3, 1)
    got = np.asarray(runner.decision(X), dtype=np.float64).reshape(len(X), -1)
    want = np.asarray(net.decision_function(X), dtype=np.float64).reshape(len(X), -1)
    assert np.array_equal(got, want), np.flatnonzero((got != want).any(axis=1))
    idx = np.asarray(runner.index(X)).astype(np.int64).ravel()
    assert np.array_equal(idx, (want[:, 0] > 0).astype(np.int64))  # sign(0) = -1: class 0
    assert ht.verify_export(net, path, format=name).ok


# -- data sets -------------------------------------------------------------------------------
def check_dataset(name: str, tmp_path: Path) -> None:
    """Every documented example spec loads with its documented shape and ±1/0-1 labels."""
    comp = registry.get("datasets", name)
    assert comp.obj.shapes, f"{name} documents no example shapes"
    for spec, shape in comp.obj.shapes.items():
        assert spec.partition(":")[0] == name, (spec, name)
        p = ht.load_problem(spec)
        assert isinstance(p, comp.result_type), type(p)
        assert p.X.shape == tuple(shape), (spec, p.X.shape, shape)
        assert len(p.t) == shape[0] and np.all(np.isfinite(p.X)), spec
        assert p.T_out.shape[0] == shape[0] and set(np.unique(p.T_out)) <= {-1, 1}, spec
    assert "unknown problem" in _raises(ht.load_problem, f"{name}x-no-such-problem")


CHECKS = {
    "strategies": check_strategy,
    "unit_solvers": check_unit_solver,
    "exporters": check_exporter,
    "datasets": check_dataset,
}


def check(kind: str, name: str, tmp_path: Path) -> None:
    """Run the contract of the component ``name`` of ``kind``.

    Parameters
    ----------
    kind : str
        A kind with a contract (:data:`CHECKS`).
    name : str
        A registered name.
    tmp_path : Path
        A folder for files.
    """
    CHECKS[kind](name, tmp_path)
