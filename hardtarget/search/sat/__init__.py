"""SAT and CP-SAT encodings of hard-threshold networks (issue 4).

* :class:`SatSearch` (``strategy="sat"``): the whole network as one CP-SAT model
  (bounded integer, binary or ternary weights) or one PySAT formula (binary or
  ternary weights as cardinality constraints).
* :class:`SatLP` (``strategy="sat-lp"``): a Boolean model of the targets only; the
  exact LP unit solver checks each proposal and every non-separable unit's Farkas
  certificate becomes a clause.  Real weights, exact answers.
* :func:`sat_verify`: check a target setting with the encodings, against the LP.

OR-Tools and PySAT are imported only when a model is built.
"""

from __future__ import annotations

from .sat_lp import SatLP
from .strategy import SatSearch
from .verify import SatVerifyReport, sat_verify

__all__ = ["SatSearch", "SatLP", "sat_verify", "SatVerifyReport"]
