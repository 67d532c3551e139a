"""Every registered strategy, unit solver, exporter and data set keeps its kind's contract.

The cases are generated from the registry, so an installed plugin is covered as soon as
its entry point is found (``tests/test_plugins.py``).
"""

from __future__ import annotations

import pytest

from hardtarget import registry
from tests.contracts import CHECKS, check

CASES = [(kind, name) for kind in CHECKS for name in registry.names(kind)]


@pytest.mark.parametrize("kind, name", CASES)
def test_contract(kind, name, tmp_path):
    check(kind, name, tmp_path)


def test_every_kind_with_a_contract_has_built_ins():
    assert all(registry.names(kind) for kind in CHECKS)
