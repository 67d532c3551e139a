"""The one grammar for options given as text: ``KEY=VALUE`` items and their values.

An item is ``KEY=VALUE`` with ``KEY`` a Python name, each key once.  A value is read as,
in order: ``none``/``null`` -> None; ``true``/``false`` (also yes/no, on/off) -> bool;
quoted text (``"8"``) -> that text; a comma-separated list (``64,32`` or ``[64,32]``,
items read by the same rules); an integer; a finite number; otherwise the text itself.

The command line's ``-o`` (strategy options) and ``--model-option`` read their items
with :func:`split_options`; declared parameters (:class:`~hardtarget.params.Param`) and
model options read values with :func:`parse_value`.
"""

from __future__ import annotations

import math
from typing import Any

from .errors import HardTargetError

__all__ = ["split_options", "parse_value", "NONE_WORDS", "TRUE_WORDS", "FALSE_WORDS"]

NONE_WORDS = ("none", "null")
TRUE_WORDS = ("true", "yes", "on")
FALSE_WORDS = ("false", "no", "off")


def split_options(items: list[str] | None, flag: str = "-o") -> dict[str, str]:
    """``["width=8", "init=ftprop-mb"]`` -> ``{"width": "8", "init": "ftprop-mb"}`` (texts)."""
    out: dict[str, str] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or not key.isidentifier():
            raise HardTargetError(
                f"{flag} takes KEY=VALUE with KEY a name, e.g. {flag} width=8; got {item!r}"
            )
        if key in out:
            raise HardTargetError(
                f"{flag} {key}= given twice ({out[key]!r} and {value!r}); give it once"
            )
        out[key] = value.strip()
    return out


def parse_value(text: str) -> Any:
    """Read one option value by the grammar of this module.

    >>> parse_value("8"), parse_value("0.5"), parse_value("off"), parse_value("64,32")
    (8, 0.5, False, [64, 32])
    """
    low = text.strip().lower()
    if low in NONE_WORDS:
        return None
    if low in TRUE_WORDS or low in FALSE_WORDS:
        return low in TRUE_WORDS
    inner = text.strip()
    if len(inner) >= 2 and inner[0] == inner[-1] and inner[0] in "'\"":
        return inner[1:-1]  # quoted: text as is
    if inner.startswith("[") and inner.endswith("]"):
        inner = inner[1:-1]
        return [parse_value(t) for t in inner.split(",") if t.strip()]
    if "," in inner:
        return [parse_value(t) for t in inner.split(",")]
    try:
        return int(inner)
    except ValueError:
        pass
    try:
        x = float(inner)
    except ValueError:
        return inner
    return x if math.isfinite(x) else inner
