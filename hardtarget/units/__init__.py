"""Per-unit solvers: the convex half of the paper's decomposition."""

from __future__ import annotations

from .base import UnitResult
from .cache import UnitCache
from .certificates import CertificateStore
from .farkas import check_certificate, check_certificate_support, exact_certificate
from .layer import solve_layer
from .losses import LAYER_LOSSES, error_count, layer_loss, layer_loss_grad
from .objectives import (
    UNIT_OBJECTIVES,
    ObjectiveResult,
    max_margin,
    nonzero_weights,
    normalized_margin,
    polish_unit,
    sparse_weights,
)
from .solvers import SOLVERS, get_solver, solve_unit

__all__ = [
    "CertificateStore",
    "LAYER_LOSSES",
    "ObjectiveResult",
    "SOLVERS",
    "UNIT_OBJECTIVES",
    "UnitCache",
    "UnitResult",
    "check_certificate",
    "check_certificate_support",
    "exact_certificate",
    "error_count",
    "get_solver",
    "layer_loss",
    "layer_loss_grad",
    "max_margin",
    "nonzero_weights",
    "normalized_margin",
    "polish_unit",
    "solve_layer",
    "solve_unit",
    "sparse_weights",
]
