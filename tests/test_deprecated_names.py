"""Renamed public names keep working, with a DeprecationWarning naming the new one."""

from __future__ import annotations

import importlib

import numpy as np
import pytest

import hardtarget as ht


def test_verify_is_verify_targets_with_a_warning():
    p = ht.load_problem("xor")
    T1 = np.stack([p.X[:, 0] > 0, p.X[:, 1] > 0], axis=1) * 2 - 1
    want = ht.verify_targets(p, [T1])
    with pytest.warns(DeprecationWarning, match="verify_targets"):
        got = ht.verify(p, [T1])
    assert (got.feasible, got.summary()) == (want.feasible, want.summary())
    assert "verify" not in ht.__all__ and "verify_targets" in ht.__all__


def test_bench_module_is_compare_with_a_warning():
    bench = importlib.import_module("hardtarget.bench")
    from hardtarget import compare

    with pytest.warns(DeprecationWarning, match="hardtarget.compare"):
        assert bench.run_suite is compare.run_suite
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        bench.nothing  # noqa: B018
