"""highspy and ortools each bundle libhighs; the pinned pair must load together, either order."""

import subprocess
import sys

import pytest


@pytest.mark.parametrize(
    "code",
    [
        "import highspy; from ortools.sat.python import cp_model; "
        "from ortools.linear_solver import pywraplp; highspy.Highs(); "
        "pywraplp.Solver.CreateSolver('GLOP')",
        "from ortools.linear_solver import pywraplp; from ortools.sat.python import cp_model; "
        "import highspy; pywraplp.Solver.CreateSolver('GLOP'); import hardtarget as ht; "
        "assert ht.solve_unit([[0.0], [1.0]], [1, -1], solver='lp').separable",
    ],
)
def test_highspy_and_ortools_in_one_process(code):
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr


def test_import_hardtarget_does_not_import_torch():
    r = subprocess.run(
        [sys.executable, "-c", "import sys, hardtarget; print('torch' in sys.modules)"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.stdout.strip() == "False", r.stderr


@pytest.mark.parametrize("argv", [["--version"], ["--help"], []])
def test_version_and_help_import_neither_numba_nor_torch(argv):
    code = (
        "import sys\nfrom hardtarget.cli import main\n"
        f"try:\n    main({argv!r})\nexcept SystemExit:\n    pass\n"
        "heavy = sorted({m.split('.')[0] for m in sys.modules} & {'numba', 'torch', 'scipy'})\n"
        "print(heavy)"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip().splitlines()[-1] == "[]", r.stdout


def test_import_hardtarget_is_lazy_and_names_resolve():
    code = (
        "import sys, hardtarget as ht\n"
        "assert 'numba' not in sys.modules and 'hardtarget.search' not in sys.modules\n"
        "assert all(getattr(ht, n) is not None for n in ht.__all__)\n"
        "assert 'numba' in sys.modules\n"
        "print(sorted(ht.__all__) == sorted(set(dir(ht)) & set(ht.__all__)))"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "True"


def test_engine_never_imports_the_cli():
    """The seam of the layout: only ``__main__`` reaches into ``hardtarget.cli``."""
    import pathlib
    import re

    root = pathlib.Path(__file__).resolve().parents[1] / "hardtarget"
    absolute = re.compile(r"^\s*(from|import)\s+hardtarget\.cli\b", re.M)
    relative = re.compile(r"^\s*from\s+(\.+)cli\b", re.M)
    offenders = []
    for path in root.rglob("*.py"):
        parts = path.relative_to(root.parent).with_suffix("").parts
        if parts[:2] == ("hardtarget", "cli") or path.name == "__main__.py":
            continue
        package = parts[:-1]  # a module's package; an __init__'s is its own folder
        text = path.read_text()
        hits = bool(absolute.search(text)) or any(
            package[: len(package) - (len(dots) - 1)] == ("hardtarget",)
            for dots in relative.findall(text)
        )
        if hits:
            offenders.append(str(path.relative_to(root)))
    assert offenders == []


def test_subpackages_are_lazy_attributes():
    """``ht.search.strategy_params(...)`` works after a bare ``import hardtarget``."""
    code = (
        "import sys, hardtarget as ht\n"
        "assert 'hardtarget.search' not in sys.modules and 'numba' not in sys.modules\n"
        "assert 'search' in dir(ht) and 'units' in dir(ht)\n"
        "params = ht.search.strategy_params('beam')\n"
        "assert 'width' in params, params\n"
        "assert ht.units.solve_unit is ht.solve_unit and callable(ht.export)\n"
        "assert 'torch' not in sys.modules and ht.torch.__name__ == 'hardtarget.torch'\n"
        "assert 'torch' not in sys.modules\n"
        "print('ok')"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "ok"
