"""One grammar for ``KEY=VALUE`` options (``-o`` for strategies, model options).

A value is read as, in order: ``none``/``null`` -> None; ``true``/``false`` (also
yes/no, on/off) -> bool; quoted text (``"8"``) -> that text; a comma-separated list
(``64,32`` or ``[64,32]``, items read by the same rules); an integer; a finite number;
otherwise the text itself.
Strategy options are then checked against the strategy's declared parameters
(type, range, choices), so ``-o width=abc`` names the option and its valid values.
The grammar reads model options; strategies read their own texts by declaration.
"""

from __future__ import annotations

import math
from typing import Any

from ..errors import HardTargetError

__all__ = [
    "split_options",
    "parse_value",
    "parse_model_options",
    "strategy_options",
    "strategy_arg",
]

_NONE = ("none", "null")
_TRUE = ("true", "yes", "on")
_FALSE = ("false", "no", "off")


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
    """Read one option value by the grammar above.

    >>> parse_value("8"), parse_value("0.5"), parse_value("off"), parse_value("64,32")
    (8, 0.5, False, [64, 32])
    """
    low = text.strip().lower()
    if low in _NONE:
        return None
    if low in _TRUE or low in _FALSE:
        return low in _TRUE
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


def parse_model_options(items: list[str] | None, flag: str = "--model-option") -> dict[str, Any]:
    """Model options ``KEY=VALUE`` read by the one grammar (checked by the model)."""
    return {k: parse_value(v) for k, v in split_options(items, flag).items()}


def strategy_options(strategy: str, items: list[str] | None) -> dict[str, Any]:
    """``-o`` options checked against the declared parameters of strategy ``strategy``.

    Unknown keys and invalid values raise :class:`HardTargetError` naming the valid
    keys or values (:func:`hardtarget.search.check_options`).
    """
    from ..search import check_options

    return check_options(strategy, split_options(items))


def strategy_arg(strategy: str, options: dict, seed: int) -> tuple:
    """``(strategy, options)`` to pass to ``solve``/``min_width``: when a ``-o`` key is
    also one of their own keywords (``-o solver=`` of ``sat``/``sat-lp``, the PySAT
    solver, against ``--solver``, the unit solver), the strategy is built here so that
    each goes where it belongs; otherwise the name and options as they are.
    """
    import inspect

    from ..search import get_strategy, solve

    if not set(options) & set(inspect.signature(solve).parameters):
        return strategy, options
    return get_strategy(strategy, seed=seed, **options), {}


def describe_options(kind: str = "strategies", flag: str = "-o") -> str:
    """Every registered component of ``kind`` with its options and their valid values
    (for ``strategies`` and ``components``); one from another distribution is marked."""
    from .. import registry

    lines = []
    for comp in registry.components(kind):
        where = "" if comp.distribution in (None, "hardtarget") else f" [{comp.distribution}]"
        lines.append(f"{comp.name}:{where} {comp.summary}".rstrip())
        for key, p in sorted(comp.to_dict()["params"].items()):
            lines.append(
                f"  {flag} {key}=...  {p['valid']} (default {p['default']!r}): {p['help']}"
            )
    return "\n".join(lines)
