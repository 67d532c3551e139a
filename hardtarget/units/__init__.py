"""Per-unit solvers: the convex half of the paper's decomposition."""

from __future__ import annotations

from .base import UnitResult
from .cache import UnitCache
from .lp import check_certificate
from .solvers import SOLVERS, get_solver, solve_unit, solve_units

__all__ = ["UnitResult", "UnitCache", "SOLVERS", "solve_unit", "solve_units", "get_solver", "check_certificate"]
