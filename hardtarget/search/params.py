"""Declared strategy parameters: :class:`~hardtarget.params.Param`, one declaration for
every kind of component (see :mod:`hardtarget.params`); kept here for the strategies'
imports."""

from __future__ import annotations

from ..params import TYPES as KINDS
from ..params import Param

__all__ = ["Param", "KINDS"]
