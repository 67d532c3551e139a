"""Exact proofs at any scale (issue 9, item 1).

The truths here are independent of :mod:`hardtarget.units.exact`: ``fractions`` for
separating weights, sympy's exact null space and exact simplex for certificates,
scipy's LP for verdicts.
"""

from fractions import Fraction

import numpy as np
import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st
from sympy.solvers.simplex import InfeasibleLPError, lpmin

import hardtarget as ht
from hardtarget.units import exact

from .helpers import linprog_separable, separates


def fraction_separates(A, t, w) -> bool:
    """``t_i (w . x_i + b) > 0`` for every row, in rational arithmetic."""
    W = [Fraction(float(v)) for v in w]
    return all(
        int(ti) * (sum(Fraction(float(a)) * wf for a, wf in zip(x, W[:-1])) + W[-1]) > 0
        for x, ti in zip(A, t)
    )


def sympy_certificate(A, t, lam) -> bool:
    """An exact ``lambda >= 0``, ``sum = 1``, on ``lam``'s support with
    ``sum lambda_i t_i [x_i, 1] = 0``."""
    S = np.flatnonzero(np.asarray(lam) > 0)
    if S.size == 0:
        return False
    cols = [[sympy.Rational(*float(t[i] * v).as_integer_ratio()) for v in [*A[i], 1.0]] for i in S]
    basis = sympy.Matrix(cols).T.nullspace()
    if not basis:
        return False
    if len(basis) == 1:  # a line: some direction must be >= 0 (it is nonzero)
        return all(v >= 0 for v in basis[0]) or all(v <= 0 for v in basis[0])
    c = sympy.symbols(f"c0:{len(basis)}")
    lam_x = sum((b * ci for b, ci in zip(basis, c)), sympy.zeros(S.size, 1))
    try:
        lpmin(0, [e >= 0 for e in lam_x] + [sum(lam_x) >= 1])
    except InfeasibleLPError:
        return False
    return True


def check_proof(A, t, r) -> None:
    if r.separable:
        assert fraction_separates(A, t, r.weights) and separates(r.weights, A, t)
    elif r.separable is False:
        assert sympy_certificate(A, t, r.certificate)
        assert ht.check_certificate_support(A, t, r.certificate)


def _dyadic_problem(seed):
    """Data with at most 12 significant bits, so that scaling by a 30-bit factor is exact."""
    rng = np.random.default_rng(seed)
    m, n = int(rng.integers(3, 13)), int(rng.integers(1, 4))
    kind = seed % 3
    if kind == 0:
        A = rng.choice([-1.0, 1.0], size=(m, n))
    elif kind == 1:
        A = rng.integers(-3, 4, size=(m, n)).astype(float)
    else:
        A = np.round(rng.normal(size=(m, n)) * 256) / 256
    if rng.random() < 0.5:
        w = rng.normal(size=n + 1)
        t = np.where(A @ w[:-1] + w[-1] > 0, 1, -1)
    else:
        t = rng.choice([-1, 1], size=m)
    return A, t, rng


def _power_of_ten(k: int) -> float:
    """``10^k`` rounded to 30 significant bits."""
    fr, ex = np.frexp(10.0**k)
    return float(np.ldexp(np.round(fr * 2.0**30), ex - 30))


UNKNOWN = {"cases": 0, "unknown": 0}


@pytest.mark.parametrize("k", range(-12, 13))
def test_verdicts_do_not_depend_on_scale(k):
    """Scaling a column by a positive factor keeps separability; every proof checks exactly."""
    for seed in range(5 * (k + 12), 5 * (k + 13)):
        A, t, rng = _dyadic_problem(seed)
        truth = linprog_separable(A, t)
        overall = A * _power_of_ten(k)
        per_axis = A * np.array(
            [_power_of_ten(int(rng.integers(-12, 13))) for _ in range(A.shape[1])]
        )
        for B in (overall, per_axis):
            for solver in ("lp", "auto"):
                r = ht.solve_unit(B, t, solver=solver)
                UNKNOWN["cases"] += 1
                UNKNOWN["unknown"] += r.separable is None
                assert r.separable in (truth, None), (seed, solver)
                check_proof(B, t, r)
            # the batched path (lock-step perceptron, one proof check per layer); -t is
            # separable exactly when t is
            for u, r in zip((t, -t), ht.solve_layer(B, np.stack([t, -t], axis=1))):
                assert r.separable in (truth, None), (seed, "layer")
                check_proof(B, u, r)
    # unknowns are allowed by the contract but must stay rare (none seen when this was written)
    assert UNKNOWN["unknown"] <= 0.02 * UNKNOWN["cases"], UNKNOWN


@pytest.mark.parametrize("scale", [1e-8, 1e-10, 1e-12, 1e20, 1e-300, 1e300])
@pytest.mark.parametrize("solver", ["lp", "auto"])
def test_scaled_gaussian_hyperplane_is_separable(scale, solver):
    """The issue's case: 40 Gaussian points in 3-D labelled by a hyperplane, then scaled."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3))
    t = np.where(X @ rng.normal(size=3) + 0.1 > 0, 1, -1)
    r = ht.solve_unit(X * scale, t, solver=solver)
    assert r.separable is True and r.errors == 0
    check_proof(X * scale, t, r)


def test_tiny_column_data_is_feasible_through_verify():
    """The issue's 4-point CSV: one column of ±1e-12 / ±2e-12, labelled by its sign."""
    X = np.array([[1e-12, 0.3], [2e-12, -0.5], [-1e-12, 0.7], [-2e-12, -0.2]])
    p = ht.make_problem(X, np.where(X[:, 0] > 0, 1, 0))
    report = ht.verify_targets(p, [])
    assert report.feasible is True and report.train_accuracy == 1.0
    # the old relative tolerance accepted this non-certificate: the residual is 1.5e-12, not 0
    assert not ht.check_certificate(X, p.t, np.full(4, 0.25))


def test_certificate_check_is_exact():
    X = np.array([[-1.0, -1], [-1, 1], [1, -1], [1, 1]])
    xor = np.array([-1, 1, 1, -1])
    assert ht.check_certificate(X, xor, np.full(4, 0.25))
    # the numbers are checked, not only the support: 0.3 - 0.2 - 0.2 + 0.3 != 0 per input
    assert not ht.check_certificate(X, xor, np.array([0.3, 0.2, 0.2, 0.3]))
    assert ht.check_certificate_support(X, xor, np.array([0.3, 0.2, 0.2, 0.3]))
    assert not ht.check_certificate(X, xor, np.array([0.25, 0.25, -0.25, 0.25]))
    assert not ht.check_certificate(X, xor, np.zeros(4))
    assert not ht.check_certificate(X, xor, np.array([np.nan, 0.25, 0.25, 0.25]))
    assert not ht.check_certificate(
        X, xor, np.array([0.5, 0.5, 0, 0])
    )  # no certificate on 2 points
    assert not ht.check_certificate(X, xor, np.full(3, 1 / 3))  # wrong length
    # three collinear points labelled +, -, +: not separable; lifting the middle one by 2^-40
    # makes a (separable) triangle, which a tolerance on the residual would not notice
    line = np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 2.0]])
    bent = line + np.array([[0.0, 0.0], [0.0, 2.0**-40], [0.0, 0.0]])
    lam = np.array([1, 2, 1]) / 4
    assert ht.check_certificate(line, [1, -1, 1], lam)
    assert not ht.check_certificate(bent, [1, -1, 1], lam)
    assert ht.solve_unit(bent, [1, -1, 1], solver="lp").separable is True


def test_nonseparable_proofs_at_every_size_check_exactly():
    """Gaussian supports are square (verified floats), ±1 ones often not (int64), big integers
    need Python integers: all three paths give certificates sympy confirms."""
    rng = np.random.default_rng(3)
    for n, m, kind in [
        (3, 30, "gauss"),
        (8, 64, "gauss"),
        (8, 64, "pm1"),
        (5, 40, "big"),
    ]:
        for _ in range(3):
            if kind == "gauss":
                A = rng.normal(size=(m, n))
            elif kind == "pm1":
                A = rng.choice([-1.0, 1.0], size=(m, n))
            else:
                A = rng.integers(-(2**50), 2**50, size=(m, n)).astype(float)
            t = rng.choice([-1, 1], size=m)
            if linprog_separable(A, t):
                continue
            r = ht.solve_unit(A, t, solver="lp")
            assert r.separable is False
            check_proof(A, t, r)


def test_integer_elimination_paths_agree():
    rng = np.random.default_rng(5)
    for _ in range(30):
        r, k = int(rng.integers(1, 6)), int(rng.integers(2, 7))
        N = rng.integers(-3, 4, size=(r, k))
        ok, R, piv, rank = exact._bareiss_int64(N)
        R2, piv2 = exact._bareiss_python(N.tolist())
        assert ok and piv[:rank].tolist() == piv2 and R.tolist() == R2
        assert rank == sympy.Matrix(N.tolist()).rank()


@st.composite
def cancelling_units(draw):
    """Weights whose pre-activations nearly cancel, so float rounding decides the sign."""
    rng = np.random.default_rng(draw(st.integers(0, 2**31 - 1)))
    m, n = draw(st.integers(1, 6)), draw(st.integers(1, 4))
    A = rng.normal(size=(m, n)) * 2.0 ** rng.integers(-60, 60, size=(m, n))
    w = rng.normal(size=n + 1) * 2.0 ** rng.integers(-30, 30, size=n + 1)
    w[-1] = -float(A[0] @ w[:-1]) * (1 + draw(st.sampled_from([0.0, 2.0**-52, -(2.0**-52), 1e-3])))
    z = A @ w[:-1] + w[-1]
    t = np.where(z > 0, 1, -1) * draw(st.sampled_from([1, -1]))
    return A, t.astype(np.int8), w


@settings(max_examples=200)
@given(cancelling_units())
def test_separates_exactly_matches_fractions_and_network_order(case):
    A, t, w = case
    z = ht.Network([w.reshape(-1, 1)], ["sign"]).decision_function(A)  # float, network order
    truth = fraction_separates(A, t, w) and bool(np.all(t * z > 0))
    assert exact.separates_exactly(A, t, np.ones(len(A)), w) == truth


def test_verified_square_solve_matches_sympy():
    """The float-verified path: its sign verdict is the exact solution's, or 'undecided'."""
    rng = np.random.default_rng(11)
    decided = 0
    for trial in range(40):
        n = int(rng.integers(1, 6))
        M = rng.normal(size=(n, n + 1))
        if trial % 4 == 0:  # nearly dependent columns: the bounds may not decide
            M[:, 1 % n] = M[:, 0] * (1 + 1e-15)
        f = int(rng.integers(0, n + 1))
        got = exact._verified_square(M, f)
        B = sympy.Matrix([[sympy.Rational(*float(v).as_integer_ratio()) for v in row] for row in M])
        if B[:, [j for j in range(n + 1) if j != f]].det() == 0:
            assert got == 0
            continue
        mu = B[:, [j for j in range(n + 1) if j != f]].LUsolve(-B[:, f])
        want = 1 if all(v > 0 for v in mu) else (-1 if any(v < 0 for v in mu) else 0)
        assert got in (want, 0)
        decided += got != 0
    assert decided >= 25


def test_verify_cli_on_the_tiny_column_csv(tmp_path, capsys):
    """``hardtarget verify`` on the issue's CSV said INFEASIBLE with a 2-point 'certificate'."""
    from hardtarget.cli.main import main

    path = tmp_path / "tiny.csv"
    path.write_text("a,b,y\n1e-12,0.3,1\n2e-12,-0.5,1\n-1e-12,0.7,0\n-2e-12,-0.2,0\n")
    assert main(["verify", "--data", str(path)]) == 0
    out = capsys.readouterr().out
    assert "FEASIBLE" in out and "INFEASIBLE" not in out


def test_certificate_paths_for_degenerate_supports(monkeypatch):
    """Supports whose equations are not a square system: int64 elimination for small
    integers, Python integers for large ones, the float lambda for a plane of solutions."""
    calls = []
    real = exact._bareiss_python
    monkeypatch.setattr(exact, "_bareiss_python", lambda rows: calls.append(1) or real(rows))
    big = float(2**45 + 1)
    A = np.array([[big, 3.0], [big, 3.0], [5.0, 7.0]])
    assert ht.check_certificate_support(A, [1, -1, 1], np.array([0.5, 0.5, 0.0]))
    assert not ht.check_certificate_support(A, [1, -1, 1], np.array([0.5, 0.0, 0.5]))
    assert not ht.check_certificate_support(A, [1, 1, 1], np.array([0.5, 0.5, 0.0]))
    assert len(calls) == 3  # too large for the int64 path
    # two opposite pairs: the null space is a plane; the float lambda picks a point in it
    X = np.array([[0.0], [0.0], [1.0], [1.0]])
    t = np.array([1, -1, 1, -1])
    assert ht.check_certificate_support(X, t, np.array([0.1, 0.2, 0.3, 0.4]))
    assert sympy_certificate(X, t, np.array([0.1, 0.2, 0.3, 0.4]))
    assert len(calls) == 3  # small integers: int64
