"""hardtarget: learn hard-threshold networks by searching their hidden targets.

The paper's decomposition (Friesen & Domingos, ICLR 2018): choose discrete hidden
targets (combinatorial), then every unit is an independent perceptron (convex).

Public names are imported on first use (module ``__getattr__``), so ``import
hardtarget`` and ``hardtarget --version`` load neither numba nor torch.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .errors import HardTargetError

# public name -> the module that defines it
_EXPORTS = {
    "Activation": ".activations",
    "get_activation": ".activations",
    "Budget": ".budget",
    "list_problems": ".datasets",
    "load_data": ".datasets",
    "load_problem": ".datasets",
    "FeasibilityReport": ".feasibility",
    "verify_targets": ".feasibility",
    "polish": ".feasibility",
    "Network": ".network",
    "Problem": ".problem",
    "make_problem": ".problem",
    "SearchResult": ".search",
    "min_width": ".search",
    "separable_dichotomies": ".search.dichotomies",
    "solve": ".search",
    "Status": ".status",
    "TargetSetting": ".targets",
    "load_targets": ".targets",
    "UnitCache": ".units",
    "UnitResult": ".units",
    "check_certificate": ".units",
    "check_certificate_support": ".units",
    "exact_certificate": ".units",
    "solve_unit": ".units",
    "solve_layer": ".units",
    "HardThresholdClassifier": ".estimator",
    "export": ".export",
    "load": ".export",
    "summary": ".export",
    "verify_export": ".export",
}

# deprecated names, kept working (each warns when called): old name -> defining module
_DEPRECATED = {"verify": ".feasibility"}

# subpackages reachable as attributes (``ht.search.strategy_params``), imported on first use
_SUBPACKAGES = ("budget", "datasets", "errors", "estimator", "export", "search", "torch", "units")

__all__ = sorted([*_EXPORTS, "HardTargetError", "__version__"])


def _package_version() -> str:
    # read on first use: importlib.metadata takes a while, and the command line should
    # be in charge of Ctrl-C (exit 130, no traceback) as early as possible
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("hardtarget")
    except PackageNotFoundError:  # running from a source tree without installing
        return "0+unknown"


def __getattr__(name: str) -> Any:
    if name == "__version__":
        globals()[name] = value = _package_version()
        return value
    if name in _SUBPACKAGES:
        return importlib.import_module(f".{name}", __name__)
    module = _EXPORTS.get(name) or _DEPRECATED.get(name)
    if module is None:
        raise AttributeError(f"module 'hardtarget' has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS) | set(_SUBPACKAGES))


if TYPE_CHECKING:
    from .activations import Activation, get_activation
    from .budget import Budget
    from .datasets import list_problems, load_data, load_problem
    from .estimator import HardThresholdClassifier
    from .export import export, load, verify_export
    from .export.summary import summary  # (the function: .export also has a module of that name)
    from .feasibility import FeasibilityReport, polish, verify_targets
    from .network import Network
    from .problem import Problem, make_problem
    from .search import SearchResult, min_width, solve
    from .search.dichotomies import separable_dichotomies
    from .targets import TargetSetting, load_targets
    from .units import (
        UnitCache,
        UnitResult,
        check_certificate,
        check_certificate_support,
        exact_certificate,
        solve_layer,
        solve_unit,
    )
