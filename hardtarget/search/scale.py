"""Memory a search needs, estimated before it starts, and the refusal of one that cannot fit.

A target search holds its hidden targets (one int8 per sample and hidden unit, in several
copies: the current state, a neighbour, the unit solver's transposed copy), the float64
inputs of one layer's unit solves, and the network's forward pass (float64 activations of
the widest layer, twice).  The exact strategies also build a model of the whole network:
``sat-lp`` one SAT variable per distinct row and hidden unit (with its symmetry clauses),
``sat`` (CP-SAT) linear constraints with one term per row, unit and input.  Those sizes
are estimated from the problem's shape alone; :func:`check_fits` refuses a run whose
estimate exceeds the memory available now, or a SAT encoding past 2^31 - 1 variables.
"""

from __future__ import annotations

import numpy as np

from ..errors import HardTargetError
from .memory import available_memory  # one reading of the memory available

__all__ = [
    "Footprint",
    "available_memory",
    "check_fits",
    "search_bytes",
    "format_bytes",
    "local_footprint",
    "distinct_count",
]

# bytes per (sample, hidden unit): int8 targets in about 4 copies, plus per (sample, unit of
# the widest layer) three float64 arrays (a layer's inputs, its activations, its
# pre-activations)
TARGET_COPIES = 4
WIDEST_FLOATS = 3
# measured: bytes per SAT variable of sat-lp's proposer (a distinct row and hidden unit, with
# its symmetry clauses; PySAT, glucose4) and per constraint term of sat's CP-SAT model
SAT_CELL_BYTES = 500
CP_TERM_BYTES = 120
# a SAT encoding cannot number more variables than a signed 32-bit literal holds
MAX_SAT_VARIABLES = 2**31 - 1


class Footprint:
    """An estimate: ``bytes`` of memory, ``variables`` of an encoding (0 if none), and what
    dominates it (``what``, for the message)."""

    def __init__(self, bytes: int, what: str, variables: int = 0):
        self.bytes = int(bytes)
        self.what = what
        self.variables = int(variables)


def search_bytes(n_samples: int, n_features: int, hidden: tuple, n_outputs: int) -> int:
    """Bytes of a local search's arrays on a problem of this shape (see the module doc).

    Parameters
    ----------
    n_samples, n_features : the shape of ``X``.
    hidden : hidden-layer widths.
    n_outputs : output units.

    Returns
    -------
    int, bytes.
    """
    m = int(n_samples)
    widest = max((int(h) for h in (*hidden, n_outputs)), default=1)
    return (
        8 * m * int(n_features)
        + TARGET_COPIES * m * sum(int(h) for h in hidden)
        + WIDEST_FLOATS * 8 * m * widest
    )


def format_bytes(n: float) -> str:
    """``n`` bytes as a short human-readable size (``1.5 GB``)."""
    for unit in ("B", "KB", "MB", "GB", "TB", "PB"):
        if abs(n) < 1000 or unit == "PB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000.0
    return f"{n:.1f} PB"  # pragma: no cover (the loop returns)


def check_fits(strategy, evaluator, available: int | None = None) -> Footprint:
    """Refuse a search whose estimated memory (``strategy.footprint(evaluator)``) exceeds
    ``available`` bytes (default: :func:`available_memory`), or whose SAT encoding needs
    more than ``MAX_SAT_VARIABLES`` variables.

    Parameters
    ----------
    strategy : a validated Strategy.
    evaluator : the run's Evaluator (problem, hidden widths).
    available : bytes of memory to compare with (None: what the machine has free now).

    Returns
    -------
    Footprint, the estimate (when it fits).

    Raises
    ------
    HardTargetError naming the estimate, what dominates it and what to do.
    """
    fp = strategy.footprint(evaluator)
    p = evaluator.problem
    shape = f"hidden widths {evaluator.hidden} on {p.n_samples:,} samples"
    advice = (
        "use fewer hidden units, train on a sample of the rows, or use a local strategy "
        "(hill, beam, ftprop)"
        if fp.variables
        else "use fewer hidden units or train on a sample of the rows"
    )
    if fp.variables > MAX_SAT_VARIABLES:
        raise HardTargetError(
            f"strategy {strategy.name!r} cannot encode {shape}: it needs about "
            f"{fp.variables:,} variables ({fp.what}), more than a SAT literal can number "
            f"({MAX_SAT_VARIABLES:,}); {advice}"
        )
    if available is None:
        available = available_memory()
    if available is not None and fp.bytes > available:
        widest = max(evaluator.hidden, default=0)
        hint = ""
        if widest and fp.bytes > 0:
            fits = int(widest * available / fp.bytes)
            hint = f" (about {fits:,} units per hidden layer would fit)" if fits >= 1 else ""
        raise HardTargetError(
            f"strategy {strategy.name!r} on {shape} needs about {format_bytes(fp.bytes)} of "
            f"memory ({fp.what}); {format_bytes(available)} is available: {advice}{hint}"
        )
    return fp


def local_footprint(evaluator) -> Footprint:
    """The footprint of a local search (and of the evaluation every strategy does)."""
    p = evaluator.problem
    k = int(np.shape(evaluator.t_out)[1])
    b = search_bytes(p.n_samples, p.n_features, evaluator.hidden, k)
    return Footprint(b, "hidden targets and one forward pass")


def distinct_count(X: np.ndarray) -> int:
    """Distinct rows of ``X`` (what the exact strategies encode)."""
    return int(np.unique(X, axis=0).shape[0])
