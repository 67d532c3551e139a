"""The certificate store: verdicts along single-flip walks against scipy's LP."""

import pickle

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import hardtarget as ht
from hardtarget.targets import digest
from hardtarget.units import CertificateStore, UnitCache, solve_layer

from .helpers import linprog_separable, random_inputs, separates


@st.composite
def flip_walks(draw):
    """A unit (±1, Gaussian or small integers), a walk of single flips, maybe sample weights."""
    n = draw(st.integers(1, 5))
    m = draw(st.integers(n + 3, 40))
    rng = np.random.default_rng(draw(st.integers(0, 2**31 - 1)))
    kind = draw(st.sampled_from(["pm1", "gauss", "int"]))
    A = random_inputs(rng, kind, m, n)
    t = rng.choice(np.array([-1, 1], dtype=np.int8), size=m)
    flips = rng.integers(0, m, size=draw(st.integers(5, 25)))
    s = None
    if draw(st.booleans()):  # zero weights, also on rows of stored supports
        s = np.where(rng.random(m) < 0.25, 0.0, rng.uniform(0.5, 2.0, m))
    return A, t, flips, s


def _walk(A, t, flips):
    t = t.copy()
    yield t.copy()
    for i in flips:
        t[i] = -t[i]
        yield t.copy()


@settings(max_examples=40, deadline=None)
@given(flip_walks())
def test_store_verdicts_along_a_flip_walk_agree_with_scipy_linprog(walk):
    A, t0, flips, s = walk
    keep = np.ones(len(A), bool) if s is None else s > 0
    cache = UnitCache()
    for t in _walk(A, t0, flips):
        r = ht.solve_unit(A, t, sample_weight=s, cache=cache)
        truth = linprog_separable(A[keep], t[keep]) if keep.any() else True
        assert r.separable is truth
        if truth:
            assert separates(r.weights, A[keep], t[keep]) and r.errors == 0
        else:  # also a certificate found by lookup: checked exactly for this column
            assert ht.check_certificate_support(A, t, r.certificate)
            assert not r.certificate[~keep].any()  # only rows that count
        cold = ht.solve_unit(A, t, sample_weight=s)  # the store changes no weights or errors
        assert np.array_equal(r.weights, cold.weights) and r.errors == cold.errors


def test_a_walk_on_a_non_separable_unit_is_mostly_refuted_by_lookup():
    rng = np.random.default_rng(0)
    A = rng.normal(size=(40, 3))
    t = rng.choice(np.array([-1, 1], dtype=np.int8), size=40)
    cache = UnitCache()
    for u in _walk(A, t, rng.integers(0, 40, size=30)):
        r = ht.solve_unit(A, u, cache=cache)
        assert r.separable is linprog_separable(A, u)
        if r.separable is False:
            assert ht.check_certificate_support(A, u, r.certificate)
    stats = cache.certificate_stats()
    assert stats["hits"] >= 15, stats
    store = cache.store(digest(A), A.shape)
    assert store.nearest_basis(u) is not None  # for the next miss
    copy = pickle.loads(pickle.dumps(cache))  # a cache still travels to worker processes
    assert len(copy.store(digest(A), A.shape)) == len(store) > 0


def test_a_zero_weight_on_a_support_row_voids_the_stored_certificate():
    A = np.array([[-1.0, -1], [-1, 1], [1, -1], [1, 1], [3.0, 3]])
    t = np.array([-1, 1, 1, -1, -1], dtype=np.int8)  # XOR on the first four points
    store = CertificateStore(5, 2)
    assert store.add(t, np.array([0.25, 0.25, 0.25, 0.25, 0.0]))
    s = np.array([1.0, 0.0, 1.0, 1.0, 1.0])
    assert (
        store.refute(t, s) is None
        and not linprog_separable(A, t)
        and linprog_separable(A[s > 0], t[s > 0])
    )
    cache = UnitCache()
    assert ht.solve_unit(A, t, cache=cache).separable is False
    r = ht.solve_unit(A, -t, sample_weight=s, cache=cache)  # same support, one row ignored
    assert r.separable is True and separates(r.weights, A[s > 0], -t[s > 0])


def test_store_refutes_both_signs_and_nothing_that_differs_on_the_support():
    A = np.array([[-1.0, -1], [-1, 1], [1, -1], [1, 1], [3.0, 3]])
    t = np.array([-1, 1, 1, -1, -1], dtype=np.int8)
    store = CertificateStore(5, 2, capacity=1)
    assert not store.add(t, np.full(5, 0.2)) and len(store) == 0  # support wider than n + 2
    assert store.add(t, np.array([0.25, 0.25, 0.25, 0.25, 0.0]))
    for u in (t, -t, t * np.array([1, 1, 1, 1, -1], np.int8)):
        lam = store.refute(u.astype(np.int8), np.ones(5))
        assert lam is not None and ht.check_certificate_support(A, u, lam)
    u = t * np.array([1, -1, 1, 1, 1], np.int8)  # flipped on the support
    assert store.refute(u, np.ones(5)) is None and linprog_separable(A, u)
    assert store.hits == 3 and store.misses == 1


def test_layer_path_uses_the_store_and_agrees_with_scipy_linprog():
    rng = np.random.default_rng(2)
    A = rng.choice([-1.0, 1.0], size=(24, 4)) + rng.normal(scale=0.1, size=(24, 4))
    t = rng.choice(np.array([-1, 1], dtype=np.int8), size=24)
    T = np.stack([t] + [t * np.where(np.arange(24) == i, -1, 1) for i in range(24)], axis=1)
    cache = UnitCache()
    for j, r in enumerate(solve_layer(A, T, cache=cache, refine=True)):
        assert r.separable is linprog_separable(A, T[:, j])
        if r.separable is False:
            assert ht.check_certificate_support(A, T[:, j], r.certificate)
    assert cache.certificate_stats()["hits"] > 0


@pytest.mark.parametrize("spec, hidden", [("parity:5", (5,)), ("parity:4", (3,))])
def test_search_returns_the_same_result_with_and_without_the_store(spec, hidden):
    p = ht.load_problem(spec)
    runs = []
    for cache in (UnitCache(certificates=0), UnitCache()):
        r = ht.solve(p, hidden, strategy="hill", seed=0, cache=cache, max_states=300)
        runs.append((r, cache.certificate_stats()))
    (a, off), (b, on) = runs
    assert off == {"hits": 0, "misses": 0} and on["hits"] > 0
    assert a.status == b.status and a.loss == b.loss
    for x, y in zip(a.targets.layers, b.targets.layers):
        assert np.array_equal(x, y)
    for x, y in zip(a.network.weights, b.network.weights):
        assert np.array_equal(x, y)
