"""A seed gives the same bytes on any machine: seeded runs of every strategy, start and unit
solver (``tests/repro_cases.py``) in subprocesses under other BLAS kernels, thread counts,
numpy SIMD dispatch levels and numba CPU targets, compared by SHA-256 of their networks,
targets and counters.  Budgets are state or node limits, never wall-clock ones."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from hardtarget import _numeric

ROOT = Path(__file__).resolve().parent.parent
THREADS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def _cpu_flags() -> set:
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return set()
    for line in text.splitlines():
        if line.startswith(("flags", "Features")):
            return set(line.split(":", 1)[1].split())
    return set()


def _openblas_cores() -> list:
    """OpenBLAS kernels this CPU can run, oldest first (x86-64 only)."""
    flags = _cpu_flags()
    need = (("Prescott", "pni"), ("Sandybridge", "avx"), ("Haswell", "avx2"))
    return [core for core, flag in need if flag in flags] + (
        ["SkylakeX"] if "avx512f" in flags else []
    )


def _numpy_dispatch_off() -> str:
    """numpy's SIMD dispatch targets present on this CPU, to switch off (baseline only)."""
    try:
        from numpy._core._multiarray_umath import __cpu_dispatch__, __cpu_features__
    except ImportError:
        return ""
    return " ".join(f for f in __cpu_dispatch__ if __cpu_features__.get(f))


def _variants(tmp: Path) -> dict:
    """Environments to compare with the baseline (2 BLAS threads, the default kernel, numba
    code for this CPU from the cache the test process compiled into).

    Two more runs cover every axis: the oldest OpenBLAS kernel with 1 thread, numpy's SIMD
    dispatch off and the same cached numba code; another kernel with numba compiling afresh
    into ``tmp`` for a generic x86-64 (SSE2 only: other vector widths)."""
    cores = _openblas_cores()
    oldest = {"OPENBLAS_CORETYPE": cores[0]} if cores else {}
    other = {"OPENBLAS_CORETYPE": cores[-2]} if len(cores) > 1 else {}
    off = _numpy_dispatch_off()
    return {
        "1 thread, oldest kernel, numpy baseline SIMD, cached numba code": {
            **dict.fromkeys(THREADS, "1"),
            **oldest,
            **({"NPY_DISABLE_CPU_FEATURES": off} if off else {}),
        },
        "numba generic CPU, fresh compile, another kernel": {
            "NUMBA_CPU_NAME": "generic",
            "NUMBA_CACHE_DIR": str(tmp / "numba-generic"),
            **other,
        },
    }


def _start(env_extra: dict) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_CORETYPE", "NUMBA_CPU_NAME")}
    env.update(dict.fromkeys(THREADS, "2"))
    env.update(env_extra)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
    return subprocess.Popen(
        [sys.executable, "-m", "tests.repro_cases"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _lines(proc: subprocess.Popen) -> dict:
    try:
        stdout, stderr = proc.communicate(timeout=900)
    except subprocess.TimeoutExpired:
        proc.kill()
        stdout, stderr = proc.communicate()
    assert proc.returncode == 0, stderr[-3000:]
    lines = dict(line.split() for line in stdout.splitlines() if line.strip())
    assert len(lines) >= 20, stdout
    return lines


@pytest.mark.slow
def test_seeded_runs_are_byte_identical_across_blas_threads_simd_and_numba_targets(tmp_path):
    # Compiling is most of a run's time, so only the generic CPU compiles afresh (into a new
    # cache); the baseline and the 1-thread run load the native code that the suite has
    # already compiled into numba's cache (the baseline compiles what is missing).  Fresh
    # code is still compared with cached code, on another target.  A cache older than an
    # edit of a function that a kernel inlines from another module (numba checks only the
    # kernel's own file) can make this test fail, not pass: delete the __pycache__ folders.
    envs = _variants(tmp_path)
    (cached, cached_env), (fresh, fresh_env) = envs.items()
    procs = [_start({}), _start(fresh_env)]
    try:
        base = _lines(procs[0])
        procs.append(_start(cached_env))
        got = {cached: _lines(procs[2]), fresh: _lines(procs[1])}
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
    for name, lines in got.items():
        differ = sorted(k for k in base if lines.get(k) != base[k])
        assert not differ, f"{name} ({envs[name]}): different results for {differ}"


def _in_order(terms) -> float:
    """Left-to-right float sum from 0.0 (``sum()`` compensates since Python 3.12)."""
    s = 0.0
    for x in terms:
        s += x
    return s


def test_fixed_order_products_equal_an_exact_sum_rounded_term_by_term():
    # an independent truth: plain Python, one rounding per operation, index order
    rng = np.random.default_rng(0)
    A, B = rng.normal(size=(5, 7)), rng.normal(size=(8, 3))
    want = [
        [_in_order(A[i, f] * B[f, j] for f in range(7)) + B[7, j] for j in range(3)]
        for i in range(5)
    ]
    assert _numeric.preactivations(A, B).tolist() == want
    want_tn = [[_in_order(A[i, f] * A[i, g] for i in range(5)) for g in range(7)] for f in range(7)]
    assert _numeric.matmul_tn(A, A).tolist() == want_tn


def test_tanh_and_sech2_are_within_a_few_ulps_of_the_true_values():
    import math

    xs = [0.0, 1e-12, 1e-5, 0.1, 0.5, 1.0, 2.5, 10.0, 19.0, 21.9, 30.0, 400.0]
    for x in xs + [-x for x in xs]:
        t = float(_numeric.tanh([x])[0])
        assert abs(t - math.tanh(x)) <= 4 * math.ulp(math.tanh(x)) + 1e-300
        e = math.exp(-2 * abs(x))
        s, ref = float(_numeric.sech2([x])[0]), 4 * e / (1 + e) ** 2
        assert abs(s - ref) <= 1e-14 * ref + 1e-300
