"""``KEY=VALUE`` options on the command line: ``-o`` for strategies, ``--model-option``.

Both read by the one grammar of :mod:`hardtarget._keyvalue`; strategy options are then
checked against the strategy's declared parameters (type, range, choices), so
``-o width=abc`` names the option and its valid values.
"""

from __future__ import annotations

from typing import Any

from .._keyvalue import parse_value, split_options

__all__ = [
    "split_options",
    "parse_value",
    "parse_model_options",
    "strategy_options",
    "strategy_arg",
]


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
    each goes where it belongs; otherwise (and for ``auto``, which picks its strategy
    later) the name and options as they are.
    """
    import inspect

    from ..search import get_strategy, solve

    if strategy == "auto" or not set(options) & set(inspect.signature(solve).parameters):
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
