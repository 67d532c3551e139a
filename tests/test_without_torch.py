"""The suite runs without the ``torch`` extra: every torch test skips, none errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# torch made unimportable in a child (as if not installed: an import hook refuses it), then
# pytest on every test that needs it: the torch modules skip at import, the torch cases of
# the other modules skip too, and the package's doctests are collected without
# hardtarget/torch (see conftest.py)
CHILD = """
import importlib.abc, sys

class NoTorch(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "torch" or name.startswith("torch."):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

sys.meta_path.insert(0, NoTorch())
import pytest
sys.exit(pytest.main(["-q", "-rs", "-p", "no:cacheprovider", "tests/torch", "hardtarget",
                      "tests/test_export.py::test_torch_mlp_exports_once_converted",
                      "tests/test_docs.py", "-k", "torch"]))
"""


@pytest.mark.slow  # a child pytest run
def test_torch_tests_skip_cleanly_without_torch():
    out = subprocess.run(
        [sys.executable, "-c", CHILD], cwd=ROOT, capture_output=True, text=True, timeout=600
    )
    text = out.stdout + out.stderr
    assert out.returncode == 0, text[-3000:]  # 0: no error, no failure
    assert " error" not in text.split("short test summary")[-1], text[-3000:]
    skipped = [line for line in text.splitlines() if line.startswith("SKIPPED")]
    modules = sorted((ROOT / "tests" / "torch").glob("test_*.py"))
    for path in modules:  # every torch module skipped as a whole, at its import
        assert any(f"tests/torch/{path.name}:" in line for line in skipped), (path.name, text)
    assert any("test_export.py" in line for line in skipped), text[-3000:]
