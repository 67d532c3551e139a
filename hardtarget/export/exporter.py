"""What an export format is: the :class:`Exporter` interface and the lookup by name or suffix.

Every format, the built-in ``json``, ``onnx`` and ``c`` (:mod:`.formats`) as a plugin's,
is an :class:`Exporter` subclass registered in the entry-point group
``hardtarget.exporters`` (see :mod:`hardtarget.registry`).  :func:`~hardtarget.export`
writes with it, :func:`~hardtarget.verify_export` runs what it wrote and compares it,
bit for bit, with the network.
"""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any, ClassVar

from .. import registry
from ..errors import HardTargetError
from ..params import Param

__all__ = ["Exporter", "check_exporter", "get_exporter", "format_of"]


class Exporter(ABC):
    """An export format: writes a network to a file and runs that file again.

    Subclasses set ``name`` (the format, as registered), ``suffixes`` (the file
    suffixes that imply the format; the first is the one it writes), ``pipelines``
    (whether the file can hold a scikit-learn pipeline's preprocessing) and, for
    options of :meth:`write` besides ``inputs`` and ``steps``, ``params``.
    """

    name: ClassVar[str] = ""
    suffixes: ClassVar[tuple[str, ...]] = ()
    pipelines: ClassVar[bool] = True
    params: ClassVar[dict[str, Param]] = {}
    result_type: ClassVar[type] = list  # write() returns the paths written

    def outputs(self, path: Path) -> list[Path]:
        """Every file :meth:`write` writes for ``path`` (a C export: the ``.c`` and its ``.h``).

        Parameters
        ----------
        path : Path
            The output path given.

        Returns
        -------
        list of Path
        """
        return [path]

    @abstractmethod
    def write(self, net: Any, path: Path, *, inputs: str, steps: list, **options) -> list[Path]:
        """Write ``net`` to ``path`` (atomically); return the paths written.

        Parameters
        ----------
        net : Network
            The network to export.
        path : Path
            The output path.
        inputs : {"real", "sign", "binary"}
            What the inputs are (see :func:`~hardtarget.export`).
        steps : list
            A pipeline's preprocessing steps (empty for a plain network).
        **options
            The declared options (``params``) that were given.

        Returns
        -------
        list of Path
        """

    @abstractmethod
    def open(self, path: Path, **runtime) -> Any:
        """An object running the file at ``path``.

        It has ``decision(X)`` (the output units' pre-activations, (n, k) floats),
        ``index(X)`` (the predicted class index per row, -1 for a refused row),
        ``n_features``, ``n_outputs``, ``inputs`` (what the file was exported for) and,
        optionally, ``labels(X)``.

        Parameters
        ----------
        path : Path
            The exported file.
        **runtime
            ``cc`` and ``cflags`` for a format that compiles (None: the default);
            other formats ignore them.

        Returns
        -------
        object
        """


def check_exporter(obj) -> None:
    """Refuse a registered exporter that is not a named :class:`Exporter` subclass.

    Parameters
    ----------
    obj : object
        What an entry point of ``hardtarget.exporters`` gave.

    Raises
    ------
    TypeError
        Naming what an exporter must be.
    """
    if not (isinstance(obj, type) and issubclass(obj, Exporter)):
        raise TypeError(
            f"an exporter must be a subclass of hardtarget.export.Exporter, got {obj!r}"
        )
    if not obj.suffixes or not all(str(x).startswith(".") for x in obj.suffixes):
        raise TypeError(f"{obj.__name__} needs `suffixes`, e.g. ('.json',)")


def get_exporter(format: str) -> Exporter:
    """The exporter registered as ``format``; HardTargetError lists the valid ones.

    Parameters
    ----------
    format : str
        A registered format name.

    Returns
    -------
    Exporter
    """
    return registry.get("exporters", format).obj()


def format_of(path: str | os.PathLike[str], format: str | None = None) -> str:
    """The export format named, or implied by the file suffix.

    Parameters
    ----------
    path : str or path-like
        The file.
    format : str, optional
        A registered format (then the suffix does not matter).

    Returns
    -------
    str

    Examples
    --------
    >>> format_of("model.onnx"), format_of("net.h"), format_of("x.bin", "json")
    ('onnx', 'c', 'json')
    """
    if format is not None:
        if format not in registry.names("exporters"):
            raise HardTargetError(_unknown(repr(format)))
        return format
    suffix = Path(path).suffix.lower()
    for comp in registry.components("exporters"):
        if suffix in comp.obj.suffixes:
            return comp.name
    raise HardTargetError(_unknown(repr(Path(path).suffix)))


def _unknown(what: str) -> str:
    comps = registry.components("exporters")
    written = ", ".join(c.obj.suffixes[0] for c in comps)
    return (
        f"unknown export format {what}; valid: {', '.join(c.name for c in comps)} "
        f"(or a path ending in {written})"
    )
