"""One grammar for ``KEY=VALUE`` options (``-o`` for strategies, model options).

A value is read as, in order: ``none``/``null`` -> None; ``true``/``false`` (also
yes/no, on/off) -> bool; an integer; a finite number; a comma-separated list
(``64,32`` or ``[64,32]``, items read by the same rules); otherwise the text itself.
Strategy options are then checked against the strategy's declared parameters
(type, range, choices), so ``-o width=abc`` names the option and its valid values.
"""

from __future__ import annotations

import math
from typing import Any

from ..errors import HardTargetError

__all__ = ["split_options", "parse_value", "parse_model_options", "strategy_options"]

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
            raise HardTargetError(f"{flag} takes KEY=VALUE with KEY a name, e.g. {flag} width=8; "
                                  f"got {item!r}")
        if key in out:
            raise HardTargetError(f"{flag} {key}= given twice ({out[key]!r} and {value!r}); give it once")
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
    """``-o`` options checked against the declared parameters of a registered strategy.

    Unknown keys and invalid values raise :class:`HardTargetError` naming the valid
    keys or values.  An unknown strategy name is left for the search to report.
    """
    from ..search import STRATEGIES

    texts = split_options(items)
    cls = STRATEGIES.get(strategy)
    if cls is None or not texts:
        return {k: parse_value(v) for k, v in texts.items()}
    declared = getattr(cls, "params", None)
    names = sorted(declared) if isinstance(declared, dict) else cls.option_names()
    out: dict[str, Any] = {}
    for key, text in texts.items():
        if key not in names:
            raise HardTargetError(
                f"strategy {strategy!r} has no option {key!r}; its options are "
                f"{', '.join(names) or 'none'} (see `hardtarget strategies`)"
            )
        if isinstance(declared, dict):
            out[key] = declared[key].convert(strategy, key, text)
        else:
            out[key] = _like_default(cls, strategy, key, text)
    return out


def _like_default(cls: type, strategy: str, key: str, text: str) -> Any:
    """Read ``text`` as the type of the parameter's default (for undeclared parameters)."""
    import inspect

    value = parse_value(text)
    default = inspect.signature(cls.__init__).parameters[key].default
    for kind, word in ((bool, "true or false"), (int, "an integer"), (float, "a number")):
        if isinstance(default, kind):
            ok = isinstance(value, kind) and not (kind is not bool and isinstance(value, bool))
            if kind is float and isinstance(value, int) and not isinstance(value, bool):
                value, ok = float(value), True
            if not ok:
                raise HardTargetError(f"strategy {strategy!r} option {key} must be {word}, got {text!r}")
            return value
    return value


def describe_options() -> str:
    """Every registered strategy's options with their valid values, for help text."""
    from ..search import STRATEGIES

    lines = []
    for name in sorted(STRATEGIES):
        cls = STRATEGIES[name]
        declared = getattr(cls, "params", None)
        lines.append(f"{name}:")
        if isinstance(declared, dict):
            for key in sorted(declared):
                p = declared[key]
                lines.append(f"  {key:16s} {p.describe()}; {p.help}")
        else:
            lines.extend(f"  {key}" for key in cls.option_names())
    return "\n".join(lines)
