"""Declared options of a component: type, range or choices, default, help.

A component (a strategy, a unit solver, an exporter, ...; see :mod:`hardtarget.registry`)
lists its options in ``params`` (name -> :class:`Param`).  Values are checked when a run
starts, not when a strategy is built (scikit-learn's rule), and strings are accepted for
numbers and booleans so that a command line can pass ``-o width=8`` as text.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from ._keyvalue import NONE_WORDS, parse_value
from .errors import HardTargetError

__all__ = ["Param", "NO_DEFAULT", "TYPES", "declare", "resolved_value", "check_call"]


class _NoDefault:
    def __repr__(self) -> str:
        return "NO_DEFAULT"


NO_DEFAULT: Any = _NoDefault()
"""A :class:`Param`'s ``default`` when the object's signature gives it (or none exists)."""

TYPES = ("int", "float", "bool", "str", "object")


# -- parameters ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Param:
    """One declared option of a component.

    Parameters
    ----------
    kind : str
        ``int``, ``float``, ``bool``, ``str`` (then ``choices`` lists the valid
        values) or ``object`` (passed through unchecked).
    help : str
        One line for ``--help``, the docs tables and error messages.
    low, high : float or None, default=None
        Inclusive bounds for numbers.
    choices : tuple, default=()
        Valid strings (``str``), or extra literal values a number also accepts
        (``weight_bound`` takes ``"auto"``).
    none : bool, default=False
        Whether ``None`` is valid (spelt ``none`` on a command line).
    default : object, default=NO_DEFAULT
        The default; left out, it is read from the object's signature.

    Examples
    --------
    >>> Param("int", "beam width", low=1).convert("beam", "width", "8")
    8
    """

    kind: str
    help: str
    low: float | None = None
    high: float | None = None
    choices: tuple = ()
    none: bool = False
    default: Any = NO_DEFAULT

    def __post_init__(self) -> None:
        if self.kind not in TYPES:
            raise HardTargetError(
                f"Param kind must be one of {', '.join(TYPES)}, got {self.kind!r}"
            )

    def describe(self) -> str:
        """The valid values in words, e.g. ``an integer >= 1 or None``.

        Returns
        -------
        str
        """
        if self.kind == "str":
            text = "one of " + ", ".join(map(str, self.choices)) if self.choices else "a string"
        elif self.kind == "bool":
            text = "true or false"
        elif self.kind == "object":
            text = "any value"
        else:
            text = "an integer" if self.kind == "int" else "a number"
            if self.low is not None and self.high is not None:
                text += f" in [{self.low:g}, {self.high:g}]"
            elif self.low is not None:
                text += f" >= {self.low:g}"
            elif self.high is not None:
                text += f" <= {self.high:g}"
            if self.choices:
                text += " or " + " or ".join(repr(c) for c in self.choices)
        return text + (" or None" if self.none and self.kind != "object" else "")

    def convert(self, owner: str, name: str, value: Any, noun: str = "strategy") -> Any:
        """``value`` checked and converted to this parameter's type; HardTargetError if invalid.

        Strings are accepted for numbers and booleans, so that a command line can pass
        ``-o width=8`` as text.

        Parameters
        ----------
        owner : str
            The component's name, for messages.
        name : str
            The option's name.
        value : object
            The value given (a string from the command line, or a Python value).
        noun : str, default="strategy"
            What the owner is (``unit solver``, ``exporter``, ...), for messages.

        Returns
        -------
        object
        """
        given = value
        if isinstance(value, str) and self.kind in ("int", "float", "bool"):
            if value not in self.choices:
                value = parse_value(value)  # text: read by the one KEY=VALUE grammar
        if self.none and (
            value is None or (isinstance(value, str) and value.strip().lower() in NONE_WORDS)
        ):
            return None
        if self.kind == "object":
            return value
        out = self._convert(value)
        if out is None:
            raise HardTargetError(
                f"{noun} {owner!r} option {name} must be {self.describe()}, got {given!r}"
            )
        return out

    def _convert(self, value: Any) -> Any:
        if isinstance(value, str) and self.kind != "str" and value in self.choices:
            return value
        if self.kind == "str":
            ok = isinstance(value, str) and (not self.choices or value in self.choices)
            return value if ok else None
        if self.kind == "bool":
            return bool(value) if value in (0, 1) and not isinstance(value, float) else None
        number = _number(value, self.kind == "int")
        if number is None:
            return None
        if (self.low is not None and number < self.low) or (
            self.high is not None and number > self.high
        ):
            return None
        return number

    def to_dict(self, default: Any) -> dict:
        """JSON-friendly description (what :func:`~hardtarget.search.strategy_params` returns).

        Parameters
        ----------
        default : object
            The option's default value.

        Returns
        -------
        dict
        """
        return {
            "type": self.kind,
            "default": default,
            "low": self.low,
            "high": self.high,
            "choices": list(self.choices),
            "none": self.none,
            "help": self.help,
            "valid": self.describe(),
        }


def _number(value: Any, integer: bool) -> int | float | None:
    if isinstance(value, (bool, str)) or value is None:
        return None  # a text was read by the grammar: what is left is not a number
    try:
        x = float(value)
    except (TypeError, ValueError):
        return None
    if not math.isfinite(x):
        return None
    if integer:
        return int(x) if x == int(x) else None
    return x


def declare(
    *,
    params: Mapping[str, Param] | None = None,
    result_type: Any = None,
    summary: str | None = None,
    **attributes: Any,
) -> Callable[[Any], Any]:
    """Decorator: set a component's ``params``, ``result_type`` and ``summary`` attributes.

    A class may set them as class attributes instead; this is for functions.  Other
    keywords set further attributes that a kind asks for (a data set's ``shapes``).

    Parameters
    ----------
    params : mapping of str to Param, optional
        The declared options.
    result_type : type or str, optional
        What the component returns (a type, or ``"module:name"`` resolved on use).
    summary : str, optional
        One line (default: the first paragraph of the docstring).
    **attributes
        Further attributes to set.

    Returns
    -------
    callable
        The decorator; it returns the object it was given.

    Examples
    --------
    >>> @declare(params={"steps": Param("int", "iterations", low=1)})
    ... def my_solver(A, t, s, steps=10):
    ...     '''Does little.'''
    >>> sorted(my_solver.params)
    ['steps']
    """

    def mark(obj: Any) -> Any:
        if params is not None:
            obj.params = dict(params)
        if result_type is not None:
            obj.result_type = result_type
        if summary is not None:
            obj.summary = summary
        for key, value in attributes.items():
            setattr(obj, key, value)
        return obj

    return mark


_T = TypeVar("_T")


def resolved_value(value: _T | None, name: str) -> _T:
    """An option that validation fills (a None default resolved): never None after it.

    Parameters
    ----------
    value : object or None
        The option's value on the validated object.
    name : str
        Its name, for the error (e.g. ``TrainConfig.epochs``).

    Returns
    -------
    object
        ``value``.

    Raises
    ------
    RuntimeError
        When it is None: the object was used before its validation (a bug).
    """
    if value is None:
        raise RuntimeError(f"{name} is None: use the validated (resolved) object")
    return value


def check_call(fn: Callable, what: str, **kwargs: Any) -> None:
    """Refuse arguments ``fn`` does not take, before it runs: a bad option is the caller's
    error (:class:`HardTargetError`), while a ``TypeError`` raised inside ``fn`` stays a bug.

    Parameters
    ----------
    fn : callable
        The builder or function about to be called.
    what : str
        What ``fn`` builds, for the message (e.g. ``"model 'mlp'"``).
    **kwargs
        The keyword arguments it is about to get.

    Raises
    ------
    HardTargetError
        Naming the argument ``fn`` does not take (or the one it misses).
    """
    try:
        inspect.signature(fn).bind(**kwargs)
    except TypeError as exc:
        raise HardTargetError(f"bad option for {what}: {exc}") from None
