"""One registry for every kind of component, backed by entry points.

Seven kinds, one entry-point group each (``hardtarget.<kind>``):

================  ===============================  =============================================
kind              entry-point group                a component is
================  ===============================  =============================================
strategies        ``hardtarget.strategies``        a :class:`~hardtarget.search.Strategy` class
unit_solvers      ``hardtarget.unit_solvers``      a function ``(A, t, s, *, budget, ...)``
exporters         ``hardtarget.exporters``         an :class:`~hardtarget.export.Exporter` class
torch_rules       ``hardtarget.torch_rules``       a torch forward/backward rule
models            ``hardtarget.models``            a torch model builder
datasets          ``hardtarget.datasets``          a loader ``(spec, arg) -> Problem``
training_methods  ``hardtarget.training_methods``  a torch training method
================  ===============================  =============================================

The built-ins register exactly as a plugin does: a line in the ``[project.entry-points.
"hardtarget.<kind>"]`` table of ``pyproject.toml``, ``name = "package.module:object"``.
A component declares, as attributes of the object, its options (``params``: name ->
:class:`Param`), its result type (``result_type``) and a one-line summary (``summary``,
else the first paragraph of its docstring); :func:`declare` sets them on a function.

Nothing is imported until it is asked for: :func:`names` and :func:`choices` read only
the installed metadata, :func:`get` loads one entry point, :func:`components` the ones of
one kind.  An entry point that fails to load is skipped with a :class:`PluginWarning`
naming its distribution and entry point; asking for it by name raises
:class:`~hardtarget.errors.HardTargetError` with the same facts.

:func:`register` adds a component for this session (it takes precedence over an entry
point of the same name); :func:`unregister` removes it again.

Examples
--------
>>> from hardtarget import registry
>>> registry.get("strategies", "nope")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
hardtarget.errors.HardTargetError: unknown strategy 'nope'; valid: ...
"""

from __future__ import annotations

import importlib
import inspect
import threading
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from .errors import HardTargetError
from .params import NO_DEFAULT, Param, declare

__all__ = [
    "KINDS",
    "Kind",
    "Param",
    "Component",
    "PluginWarning",
    "NO_DEFAULT",
    "declare",
    "components",
    "get",
    "names",
    "choices",
    "Choices",
    "mapping",
    "register",
    "unregister",
    "refresh",
    "group",
]


class PluginWarning(UserWarning):
    """An installed entry point could not be loaded (it is skipped)."""


# -- kinds -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Kind:
    """One kind of component.

    Parameters
    ----------
    name : str
        The kind, e.g. ``strategies``; the entry-point group is ``hardtarget.<name>``.
    noun : str
        One component in words, for messages (``strategy``, ``unit solver``).
    check : str, default=""
        ``"module:function"`` called with each loaded object; it raises TypeError or
        HardTargetError when the object is not a component of this kind.
    result_type : str, default=""
        ``"module:name"``: the result type of a component that does not declare one.
    """

    name: str
    noun: str
    check: str = ""
    result_type: str = ""

    @property
    def group(self) -> str:
        """The entry-point group, ``hardtarget.<name>``."""
        return f"hardtarget.{self.name}"


KINDS: dict[str, Kind] = {
    k.name: k
    for k in (
        Kind(
            "strategies",
            "strategy",
            "hardtarget.search.api:check_strategy_class",
            "hardtarget.search.base:SearchResult",
        ),
        Kind(
            "unit_solvers",
            "unit solver",
            "hardtarget.units.solvers:check_unit_solver",
            "hardtarget.units.base:UnitResult",
        ),
        Kind("exporters", "exporter", "hardtarget.export.exporter:check_exporter"),
        Kind("torch_rules", "torch rule"),
        Kind("models", "model"),
        Kind(
            "datasets",
            "data set",
            "hardtarget.datasets:check_dataset",
            "hardtarget.problem:Problem",
        ),
        Kind("training_methods", "training method"),
    )
}


def _kind(kind: str) -> Kind:
    try:
        return KINDS[kind]
    except (KeyError, TypeError):
        raise HardTargetError(
            f"unknown component kind {kind!r}; valid: {', '.join(KINDS)}"
        ) from None


def group(kind: str) -> str:
    """The entry-point group of ``kind``, e.g. ``hardtarget.strategies``.

    Parameters
    ----------
    kind : str
        A kind of :data:`KINDS`.

    Returns
    -------
    str
    """
    return _kind(kind).group


def _resolve(path: str) -> Any:
    module, _, attr = path.partition(":")
    obj = importlib.import_module(module)
    for part in attr.split(".") if attr else ():
        obj = getattr(obj, part)
    return obj


# -- components ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Component:
    """A registered component: what the registry knows of one name of one kind.

    Parameters
    ----------
    kind : str
        Its kind (:data:`KINDS`).
    name : str
        Its registered name (the entry point's name).
    obj : object
        The loaded object (a class, a function, a module).
    params : mapping of str to Param
        Its declared options.
    summary : str
        One line.
    distribution : str or None
        The installed distribution that provides it; None when added by :func:`register`.
    entry_point : str or None
        ``module:object`` of its entry point; None when added by :func:`register`.
    """

    kind: str
    name: str
    obj: Any
    params: Mapping[str, Param] = field(default_factory=dict)
    summary: str = ""
    distribution: str | None = None
    entry_point: str | None = None

    @property
    def noun(self) -> str:
        """One component of this kind in words (``strategy``, ``unit solver``)."""
        return KINDS[self.kind].noun

    @property
    def result_type(self) -> Any:
        """What the component returns: its ``result_type``, else its kind's (None if neither)."""
        declared = getattr(self.obj, "result_type", None)
        path = declared if declared is not None else KINDS[self.kind].result_type or None
        return _resolve(path) if isinstance(path, str) else path

    def defaults(self) -> dict:
        """``{option: default}`` of every declared option (the signature's when not declared).

        Returns
        -------
        dict
            :data:`NO_DEFAULT` for an option without one.
        """
        sig = _signature_defaults(self.obj)
        return {
            k: p.default if p.default is not NO_DEFAULT else sig.get(k, NO_DEFAULT)
            for k, p in self.params.items()
        }

    def check_options(self, options: Mapping[str, Any]) -> dict:
        """``options`` checked against the declarations and converted (strings allowed).

        Parameters
        ----------
        options : mapping
            Option values by name.

        Returns
        -------
        dict

        Raises
        ------
        HardTargetError
            An undeclared option (listing the valid ones) or an invalid value (saying
            what is valid).
        """
        if not options:
            return {}
        self.check_names(options)
        return {
            k: self.params[k].convert(self.name, k, v, noun=self.noun) for k, v in options.items()
        }

    def check_names(self, options: Mapping[str, Any]) -> None:
        """Refuse option names that are not declared (values are left to a later check).

        Parameters
        ----------
        options : mapping
            Option values by name.

        Raises
        ------
        HardTargetError
            Listing the undeclared names and the valid ones.
        """
        unknown = sorted(set(options) - set(self.params))
        if unknown:
            raise HardTargetError(
                f"{self.noun} {self.name!r} has no option(s) {', '.join(unknown)}; "
                f"valid: {', '.join(sorted(self.params)) or 'none'}"
            )

    def to_dict(self) -> dict:
        """JSON-friendly description, for listings and the docs tables.

        Returns
        -------
        dict
            ``kind``, ``name``, ``summary``, ``distribution``, ``entry_point``,
            ``result_type`` (its qualified name) and ``params`` (:meth:`Param.to_dict`).
        """
        defaults = self.defaults()
        rt = self.result_type
        return {
            "kind": self.kind,
            "name": self.name,
            "summary": self.summary,
            "distribution": self.distribution,
            "entry_point": self.entry_point,
            "result_type": None if rt is None else f"{rt.__module__}.{rt.__qualname__}",
            "params": {
                k: p.to_dict(None if defaults[k] is NO_DEFAULT else defaults[k])
                for k, p in self.params.items()
            },
        }


def _signature_defaults(obj: Any) -> dict:
    try:
        sig = inspect.signature(obj)
    except (TypeError, ValueError):
        return {}
    return {k: p.default for k, p in sig.parameters.items() if p.default is not p.empty}


def _summary(obj: Any) -> str:
    text = getattr(obj, "summary", None)
    if not isinstance(text, str):
        text = (inspect.getdoc(obj) or "").strip().split("\n\n")[0]  # the first paragraph
    return " ".join(text.split())


def _component(kind: Kind, name: str, obj: Any, dist: str | None, value: str | None) -> Component:
    if kind.check:
        _resolve(kind.check)(obj)
    params = getattr(obj, "params", None) or {}
    if not isinstance(params, Mapping) or not all(isinstance(p, Param) for p in params.values()):
        raise TypeError(
            f"`params` must map option names to hardtarget.params.Param, got {params!r}"
        )
    return Component(kind.name, name, obj, dict(params), _summary(obj), dist, value)


# -- the registry ----------------------------------------------------------------------------
_lock = threading.RLock()
_index: dict[str, dict[str, Any]] = {}  # kind -> name -> EntryPoint (metadata only)
_loaded: dict[str, dict[str, Component]] = {}  # kind -> name -> loaded entry point
_failed: dict[str, dict[str, str]] = {}  # kind -> name -> why it did not load
_session: dict[str, dict[str, Component]] = {k: {} for k in KINDS}  # register()
_resolved: dict[tuple[str, str], Component] = {}  # what get() answered; cleared on any change


def _dist_name(ep: Any) -> str:
    dist = getattr(ep, "dist", None)
    return getattr(dist, "name", None) or "an unknown distribution"


def _entry_points(kind: Kind) -> dict[str, Any]:
    """name -> EntryPoint of the kind's group; hardtarget's own win a name clash."""
    with _lock:
        if kind.name in _index:
            return _index[kind.name]
        from importlib.metadata import entry_points

        out: dict[str, Any] = {}
        eps = sorted(entry_points(group=kind.group), key=lambda e: _dist_name(e) != "hardtarget")
        for ep in eps:
            first = out.get(ep.name)
            if first is None:
                out[ep.name] = ep
            elif first.value != ep.value:
                warnings.warn(
                    f"hardtarget: {kind.noun} {ep.name!r} is declared twice in entry-point group "
                    f"{kind.group}: by {_dist_name(first)} ({first.value}) and by "
                    f"{_dist_name(ep)} ({ep.value}); using the first. Rename one of them.",
                    PluginWarning,
                    stacklevel=3,
                )
        _index[kind.name] = out
        _loaded.setdefault(kind.name, {})
        _failed.setdefault(kind.name, {})
        return out


def _load(kind: Kind, name: str, warn: bool = True) -> Component | None:
    """The entry point ``name`` loaded (cached), or None (after a warning) when it fails."""
    eps = _entry_points(kind)
    with _lock:
        if name in _loaded[kind.name]:
            return _loaded[kind.name][name]
        if name in _failed[kind.name]:
            return None
        ep = eps[name]
        try:
            comp = _component(kind, name, ep.load(), _dist_name(ep), ep.value)
        except Exception as exc:  # a third-party plugin may fail in any way: skip it, say why
            why = (
                f"the {kind.noun} {name!r} (entry point {ep.name} = {ep.value!r} in group "
                f"{kind.group}, distribution {_dist_name(ep)}) failed to load: "
                f"{type(exc).__name__}: {exc}. Fix or uninstall {_dist_name(ep)}."
            )
            _failed[kind.name][name] = why
            if warn:  # get() raises with the same facts instead
                warnings.warn(f"hardtarget: {why} It is skipped.", PluginWarning, stacklevel=3)
            return None
        _loaded[kind.name][name] = comp
        return comp


def names(kind: str) -> list[str]:
    """The registered names of ``kind``, sorted, without importing any of them.

    Entry points that already failed to load are left out.

    Parameters
    ----------
    kind : str
        A kind of :data:`KINDS`.

    Returns
    -------
    list of str

    Examples
    --------
    >>> def noop(A, t, s, *, budget=None):
    ...     pass
    >>> register("unit_solvers", noop)  # doctest: +ELLIPSIS
    <function noop at ...>
    >>> "noop" in names("unit_solvers")
    True
    >>> unregister("unit_solvers", "noop")
    """
    k = _kind(kind)
    eps = _entry_points(k)
    with _lock:
        out = set(_session[k.name]) | (set(eps) - set(_failed[k.name]))
    return sorted(out)


def get(kind: str, name: str) -> Component:
    """The component ``name`` of ``kind``, loading its entry point if needed.

    Parameters
    ----------
    kind : str
        A kind of :data:`KINDS`.
    name : str
        A registered name.

    Returns
    -------
    Component

    Raises
    ------
    HardTargetError
        An unknown name (listing the valid ones), or an entry point that fails to load
        (naming its distribution).

    Examples
    --------
    >>> def zero(A, t, s, *, budget=None):
    ...     '''All-zero weights.'''
    >>> register("unit_solvers", zero)  # doctest: +ELLIPSIS
    <function zero at ...>
    >>> get("unit_solvers", "zero").summary
    'All-zero weights.'
    >>> unregister("unit_solvers", "zero")
    """
    comp = _resolved.get((kind, name)) if isinstance(name, str) else None
    if comp is not None:  # the fast path: asked for before
        return comp
    k = _kind(kind)
    if isinstance(name, str):
        with _lock:
            comp = _session[k.name].get(name)
        if comp is None and name in _entry_points(k):
            comp = _load(k, name, warn=False)
            if comp is None:
                raise HardTargetError(_failed[k.name][name])
        if comp is not None:
            with _lock:
                _resolved[(kind, name)] = comp
            return comp
    raise HardTargetError(
        f"unknown {k.noun} {name!r}; valid: {', '.join(names(kind)) or 'none'}{_hint()}"
    )


def _hint() -> str:
    """Why the built-ins may be missing: hardtarget's own entry points were not found."""
    from importlib.metadata import PackageNotFoundError, distribution

    try:
        text = distribution("hardtarget").read_text("entry_points.txt") or ""
    except PackageNotFoundError:
        text = ""
    if "[hardtarget." in text:
        return ""
    return (
        " (hardtarget's own components are registered by the entry points of its installed "
        "metadata, which were not found: install it with `pip install -e .`, or in a source "
        "tree on PYTHONPATH run `python -c 'import setuptools; setuptools.setup()' egg_info`)"
    )


def components(kind: str) -> list[Component]:
    """Every component of ``kind``, loaded, sorted by name (broken entry points skipped).

    Parameters
    ----------
    kind : str
        A kind of :data:`KINDS`.

    Returns
    -------
    list of Component
    """
    k = _kind(kind)
    out = []
    for name in names(kind):
        with _lock:
            comp = _session[k.name].get(name)
        comp = comp if comp is not None else _load(k, name)
        if comp is not None:
            out.append(comp)
    return out


def register(kind: str, obj: Any = None, name: str | None = None) -> Any:
    """Add a component of ``kind`` for this session (it wins over an entry point's name).

    Parameters
    ----------
    kind : str
        A kind of :data:`KINDS`.
    obj : object, optional
        The component; left out, ``register`` returns a decorator.
    name : str, optional
        Its name (default: ``obj.name``, else ``obj.__name__``).

    Returns
    -------
    object
        ``obj`` (or the decorator).

    Raises
    ------
    HardTargetError
        No usable name, or an object that is not a component of this kind.

    Examples
    --------
    >>> @register("unit_solvers", name="my_solver")
    ... def my_solver(A, t, s, *, budget=None):
    ...     '''A unit solver.'''
    >>> "my_solver" in names("unit_solvers")
    True
    >>> unregister("unit_solvers", "my_solver")
    """
    k = _kind(kind)
    if obj is None:
        return lambda o: register(kind, o, name)
    key = name if name is not None else getattr(obj, "name", None) or getattr(obj, "__name__", "")
    if not isinstance(key, str) or not key:
        raise HardTargetError(
            f"{getattr(obj, '__name__', obj)!r} needs a non-empty name to be registered as a "
            f"{k.noun} (a `name` attribute or register(..., name=...))"
        )
    try:
        comp = _component(k, key, obj, None, None)
    except TypeError as exc:
        raise HardTargetError(f"cannot register {key!r} as a {k.noun}: {exc}") from None
    with _lock:
        _session[k.name][key] = comp
        _resolved.clear()
    return obj


def unregister(kind: str, name: str) -> None:
    """Remove a component added by :func:`register` (entry points stay).

    Parameters
    ----------
    kind : str
        A kind of :data:`KINDS`.
    name : str
        The name it was registered under.

    Raises
    ------
    HardTargetError
        When ``name`` was not added by :func:`register`.
    """
    k = _kind(kind)
    with _lock:
        if name not in _session[k.name]:
            raise HardTargetError(
                f"no {k.noun} {name!r} was added by register(); added: "
                f"{', '.join(sorted(_session[k.name])) or 'none'}"
            )
        del _session[k.name][name]
        _resolved.clear()


def refresh() -> None:
    """Forget the entry points read so far (after installing a plugin in this process)."""
    with _lock:
        _index.clear()
        _loaded.clear()
        _failed.clear()
        _resolved.clear()


class Choices:
    """The names of a kind, read when first used: a command-line option's ``choices=``.

    Parameters
    ----------
    kind : str
        A kind of :data:`KINDS`.
    extra : tuple of str, default=()
        Names accepted besides the registered ones (``auto``).
    """

    def __init__(self, kind: str, extra: tuple[str, ...] = ()):
        _kind(kind)
        self.kind = kind
        self.extra = tuple(extra)

    def _items(self) -> list[str]:
        return [*names(self.kind), *(e for e in self.extra if e not in names(self.kind))]

    def __iter__(self) -> Iterator[str]:
        return iter(self._items())

    def __contains__(self, item: object) -> bool:
        return item in self._items()

    def __len__(self) -> int:
        return len(self._items())

    def __repr__(self) -> str:
        return f"Choices({self.kind!r})"


def choices(kind: str, extra: tuple[str, ...] = ()) -> Choices:
    """Lazy command-line choices: the names of ``kind`` (and ``extra``), read on first use.

    Parameters
    ----------
    kind : str
        A kind of :data:`KINDS`.
    extra : tuple of str, default=()
        Further accepted names, e.g. ``("auto",)``.

    Returns
    -------
    Choices

    Examples
    --------
    >>> "auto" in choices("strategies", extra=("auto",))
    True
    """
    return Choices(kind, extra)


class _View(Mapping):
    """A live read-only mapping name -> loaded object of one kind."""

    def __init__(self, kind: str):
        _kind(kind)
        self._kind = kind

    def __getitem__(self, name: str) -> Any:
        if not isinstance(name, str) or name not in names(self._kind):
            raise KeyError(name)
        try:
            return get(self._kind, name).obj
        except HardTargetError:
            raise KeyError(name) from None

    def __iter__(self) -> Iterator[str]:
        return iter([c.name for c in components(self._kind)])

    def __len__(self) -> int:
        return len(components(self._kind))

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name in names(self._kind)

    def __repr__(self) -> str:
        return f"registry.mapping({self._kind!r})"


def mapping(kind: str) -> Mapping[str, Any]:
    """A live read-only mapping ``{name: object}`` of ``kind`` (what ``STRATEGIES`` is).

    Parameters
    ----------
    kind : str
        A kind of :data:`KINDS`.

    Returns
    -------
    Mapping
    """
    return _View(kind)
