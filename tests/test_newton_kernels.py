"""The finite-Newton kernels' sums against plain-Python references in the same order:
the blocked Gram matrix, the step margins and the filtered line search must give the
same bits as the straightforward loops (a seed's weights do not depend on them)."""

from __future__ import annotations

import numpy as np
import pytest

from hardtarget.units import _newton


def _dot_ref(u, v, k):
    s = [0.0, 0.0, 0.0, 0.0]
    k4 = k - k % 4
    for j in range(k4):
        s[j % 4] += u[j] * v[j]
    acc = (s[0] + s[1]) + (s[2] + s[3])
    for j in range(k4, k):
        acc += u[j] * v[j]
    return acc


@pytest.mark.parametrize("d, k", [(1, 3), (3, 8), (6, 13), (9, 40), (17, 203)])
def test_gram_matches_the_plain_sums_bit_for_bit(d, k):
    YT = np.random.default_rng(d * 100 + k).standard_normal((d + 4, k + 8)).tolist()
    H, g = np.zeros((d, d)), np.zeros(d)
    _newton._gram(np.array(YT), d, k, H, g)
    for p in range(d):
        assert g[p] == _dot_ref(YT[p], YT[d], k)
        for q in range(p + 1):
            assert H[p, q] == _dot_ref(YT[p], YT[q], k)


def test_step_margins_match_the_plain_sums():
    rng = np.random.default_rng(3)
    A, x = rng.standard_normal((19, 5)), rng.standard_normal(6)
    t = rng.choice(np.array([-1, 1], dtype=np.int8), 19)
    b = np.zeros(19)
    _newton._step_margins(A, t, x, b)
    for i in range(19):
        z = x[5]
        for f in range(5):
            z += A[i, f] * x[f]
        assert b[i] == t[i] * z


def _line_search_ref(a, b, s, lam, wd, dd):
    lo, hi, al = 0.0, np.inf, 1.0
    for _ in range(60):
        d1, d2 = lam * (wd + al * dd), lam * dd
        for i in range(len(a)):
            if s[i] > 0:
                r = 1.0 - a[i] - al * b[i]
                if r > 0:
                    d1 -= s[i] * b[i] * r
                    d2 += s[i] * b[i] * b[i]
        if d1 == 0.0 or d2 <= 0.0:
            return al
        lo, hi = (al, hi) if d1 < 0 else (lo, al)
        nal = al - d1 / d2
        if abs(nal - al) <= 1e-12 * al:
            return nal
        if not (lo < nal < hi):
            nal = 0.5 * (lo + hi) if hi < np.inf else 2.0 * al
        al = nal
    return al


@pytest.mark.parametrize("seed", range(6))
def test_filtered_line_search_matches_the_plain_one(seed):
    rng = np.random.default_rng(seed)
    m = 50
    a = rng.uniform(-1, 3, m)  # many rows past the margin (1 - a <= 0)
    a[:5] = 1.0  # exactly on it
    b = rng.standard_normal(m)
    b[5:10] = 0.0
    s = rng.choice([0.0, 0.5, 1.0], m)
    lam, wd, dd = 1e-6, float(rng.standard_normal()), float(rng.uniform(0.1, 2))
    got = _newton._line_search(a, b, s, lam, wd, dd, np.empty((4, m)))
    assert got == _line_search_ref(a.tolist(), b.tolist(), s.tolist(), lam, wd, dd)


@pytest.mark.parametrize("seed", range(8))
def test_separating_steps_are_exactly_the_lengths_that_put_every_sample_right(seed):
    rng = np.random.default_rng(seed)
    m = 30
    a = rng.uniform(-1, 2, m)
    b = rng.standard_normal(m) * rng.choice([0.0, 1.0], m, p=[0.1, 0.9])
    s = rng.choice([0.0, 1.0], m, p=[0.2, 0.8])
    if seed % 2:  # a case with a non-empty interval: every weighted sample right somewhere
        a = np.where(b >= 0, np.abs(a) + 0.1, a)
        a = np.where(b < 0, np.abs(a) + 5.0, a)
    lo, hi = _newton._separating_steps(a, b, s)
    keep = s > 0
    for al in np.r_[np.linspace(1e-6, 8, 400), lo, hi if np.isfinite(hi) else 9.0]:
        right = bool(np.all(a[keep] + al * b[keep] > 0))
        inside = lo < al < hi
        assert right == inside or al in (lo, hi), (al, lo, hi)
    assert (lo < hi) == (seed % 2 == 1)


def test_separating_steps_refuse_a_wrong_sample_that_no_length_moves():
    a = np.array([1.0, -0.5, 2.0])
    for bad in (0.0, np.nan):  # b_i = 0 (or not a number) with a_i <= 0: never right
        lo, hi = _newton._separating_steps(a, np.array([1.0, bad, -1.0]), np.ones(3))
        assert not lo < hi
    lo, hi = _newton._separating_steps(a, np.array([1.0, 0.0, -1.0]), np.array([1.0, 0.0, 1.0]))
    assert (lo, hi) == (0.0, 2.0)  # the same sample with weight 0 does not count


def test_the_start_is_the_class_mean_direction_at_its_best_length():
    rng = np.random.default_rng(5)
    A = rng.standard_normal((40, 3))
    t = np.where(A @ [1.0, -2.0, 0.5] + 0.3 > 0, 1, -1).astype(np.int8)
    s = rng.choice([0.0, 1.0, 2.0], 40)
    w, a, b, x = np.zeros(4), np.zeros(40), np.zeros(40), np.zeros(4)
    _newton._steepest_start(A, t, s, w, a, b, np.empty((4, 40)), x)
    A1 = np.hstack([A, np.ones((40, 1))])
    direction = A1.T @ (s * t)
    assert abs(np.dot(w, direction)) == pytest.approx(np.linalg.norm(w) * np.linalg.norm(direction))
    assert np.allclose(a, t * (A1 @ w))

    def objective(c):
        return 0.5 * np.sum(s * np.maximum(0, 1 - c * t * (A1 @ direction)) ** 2)

    c = np.linalg.norm(w) / np.linalg.norm(direction)
    assert objective(c) <= min(objective(c * f) for f in (0.9, 0.99, 1.01, 1.1)) + 1e-12


@pytest.mark.parametrize("seed", range(6))
def test_the_correction_is_the_least_norm_change_that_fixes_the_wrong_and_holds_the_tight(seed):
    rng = np.random.default_rng(seed)
    m, n = 40, 6
    A = rng.standard_normal((m, n))
    t = rng.choice(np.array([-1, 1], dtype=np.int8), m)
    s = rng.choice([0.0, 1.0, 2.0], m, p=[0.2, 0.5, 0.3])
    a = rng.uniform(0.05, 3.0, m)
    wrong = rng.choice(m, 1 + seed % 5, replace=False)
    a[wrong] = -rng.uniform(0, 1, wrong.size)
    d = n + 1
    x, c, rows = np.zeros(d), np.zeros(d), np.zeros(m, dtype=np.int64)
    G, L = np.zeros((d, d)), np.zeros((d, d))
    assert _newton._correction(A, t, s, a, x, G, c, L, rows)
    # the rows it must use, found independently: the weighted wrong ones, then the right
    # ones of smallest margin, n in all
    live = np.flatnonzero(s > 0)
    bad = [i for i in live if a[i] <= 0][:n]
    good = sorted((i for i in live if a[i] > 0), key=lambda i: a[i])[: n - len(bad)]
    good = good[: _newton.TIGHT]
    V = t[bad + good, None] * np.hstack([A[bad + good], np.ones((len(bad) + len(good), 1))])
    r = np.r_[1.0 - a[bad], np.zeros(len(good))]
    assert np.allclose(V @ x, r, atol=1e-6)
    assert np.allclose(x, np.linalg.pinv(V) @ r, atol=1e-6)  # least norm: in V's row space
