"""hardtarget: learn hard-threshold networks by searching their hidden targets.

The paper's decomposition (Friesen & Domingos, ICLR 2018): choose discrete hidden
targets (combinatorial), then every unit is an independent perceptron (convex).
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version as _version

from .activations import Activation, get_activation
from .datasets import list_problems, load_data, load_problem
from .errors import HardTargetError
from .feasibility import FeasibilityReport, verify
from .network import Network
from .problem import Problem, make_problem
from .search import SearchResult, min_width, solve
from .targets import TargetSetting
from .units import UnitCache, UnitResult, check_certificate, solve_unit, solve_units

try:
    __version__ = _version("hardtarget")
except PackageNotFoundError:  # running from a source tree without installing
    __version__ = "0+unknown"

__all__ = [
    "Activation",
    "FeasibilityReport",
    "HardTargetError",
    "Network",
    "Problem",
    "SearchResult",
    "TargetSetting",
    "UnitCache",
    "UnitResult",
    "check_certificate",
    "get_activation",
    "list_problems",
    "load_data",
    "load_problem",
    "make_problem",
    "min_width",
    "solve",
    "solve_unit",
    "solve_units",
    "verify",
    "__version__",
]
