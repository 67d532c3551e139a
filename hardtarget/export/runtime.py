"""Run an exported model from Python (:func:`open_export`), and the C compiled by ``cc``."""

from __future__ import annotations

import ctypes
import os
import re
import shlex
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np

from .._io import recover_file_set
from ..errors import HardTargetError
from .exporter import format_of, get_exporter

__all__ = [
    "open_export",
    "CModel",
    "compile_c",
    "find_cc",
    "pack_signs",
]


def find_cc(cc: str | None = None) -> str:
    """The C compiler to use: ``cc``, else ``$CC``, else ``cc``, ``gcc`` or ``clang`` on PATH."""
    cc = cc or os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc")
    cc = cc or shutil.which("clang")
    if not cc:
        raise HardTargetError(
            "running the C export needs a C compiler: install gcc or clang, or set CC"
        )
    if not shutil.which(shlex.split(cc)[0]):
        raise HardTargetError(f"C compiler {cc!r} not found; install it or give another cc=")
    return cc


def compile_c(
    source: str | os.PathLike[str], flags: tuple[str, ...] = ("-O2",), cc: str | None = None
) -> tuple[Path, object]:
    """Compile ``source`` (its header beside it) to a shared library.

    Parameters
    ----------
    source : the ``.c`` file.
    flags : compiler flags (``-O2`` by default; the export needs none of its own).
    cc : the compiler command (default: see :func:`find_cc`).

    Returns
    -------
    The library path and the temporary directory that holds it (keep it alive).
    """
    cc = find_cc(cc)
    source = Path(source)
    if not source.exists():
        raise HardTargetError(
            f"C source {source} does not exist; write it with export(..., format='c')"
        )
    tmp = tempfile.TemporaryDirectory(prefix="hardtarget-c-")
    lib = Path(tmp.name) / f"lib{source.stem}.so"
    cmd = [
        *shlex.split(cc),
        *flags,
        "-shared",
        "-fPIC",
        "-I",
        str(source.parent),
        str(source),
        "-o",
        str(lib),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        tmp.cleanup()
        raise HardTargetError(f"{' '.join(cmd)} failed:\n{proc.stderr.strip()[:2000]}")
    return lib, tmp


class CModel:
    """A compiled C export, called through ctypes; shapes come from its header."""

    def __init__(
        self,
        source: str | os.PathLike[str],
        flags: tuple[str, ...] = ("-O2",),
        cc: str | None = None,
    ):
        source = Path(source)
        recover_file_set(source)  # a C export whose writer was killed mid-switch
        text = source.read_text() if source.exists() else ""
        found = re.search(r"^int (\w+)_predict\(const double \*x\)$", text, re.M)
        include = re.search(r'^#include "([^"]+)"$', text, re.M)
        if not found or not include:
            raise HardTargetError(
                f"{source} is not a C export of hardtarget; write one with export(model, 'NAME.c')"
            )
        self.name = found.group(1)
        header = (source.parent / include.group(1)).read_text()
        shape = {
            k: int(v)
            for k, v in re.findall(
                r"^#define \w+_(N_FEATURES|N_OUTPUTS|SIGN_INPUTS|BINARY_INPUTS) (\d+)", header, re.M
            )
        }
        self.n_features, self.n_outputs = shape["N_FEATURES"], shape["N_OUTPUTS"]
        self.inputs = "sign" if shape.get("SIGN_INPUTS") else "real"
        self.inputs = "binary" if shape.get("BINARY_INPUTS") else self.inputs
        path, self._tmp = compile_c(source, tuple(flags), cc)
        self.lib = ctypes.CDLL(str(path))

    def _fn(self, suffix: str):
        try:
            return getattr(self.lib, f"{self.name}_{suffix}")
        except AttributeError:
            raise HardTargetError(f"the C export has no {self.name}_{suffix}") from None

    def _rows(self, X) -> np.ndarray:
        X = np.ascontiguousarray(X, dtype=np.float64)
        if X.ndim != 2 or X.shape[1] != self.n_features:
            raise HardTargetError(
                f"X must have shape (n_samples, {self.n_features}), got {X.shape}"
            )
        return X

    def decision(self, X) -> np.ndarray:
        X = self._rows(X)
        return self._batch("decision_batch", X, np.empty((X.shape[0], self.n_outputs)))

    def index(self, X) -> np.ndarray:
        X = self._rows(X)
        out = self._batch("predict_batch", X, np.empty(X.shape[0], dtype=np.int32))
        return out.astype(np.int64)

    def index_bits(self, bits: np.ndarray) -> np.ndarray:
        """Predictions from packed rows (``uint32``, ``ceil(n / 32)`` words each)."""
        bits = np.ascontiguousarray(bits, dtype=np.uint32)
        out = self._batch("predict_bits_batch", bits, np.empty(bits.shape[0], dtype=np.int32))
        return out.astype(np.int64)

    def _batch(self, suffix: str, rows: np.ndarray, out: np.ndarray) -> np.ndarray:
        """Run the C function ``NAME_<suffix>(rows, n, out)`` over every row into ``out``."""
        self._fn(suffix)(
            rows.ctypes.data_as(ctypes.c_void_p),
            ctypes.c_int32(rows.shape[0]),
            out.ctypes.data_as(ctypes.c_void_p),
        )
        return out


def pack_signs(X) -> np.ndarray:
    """Rows of ±1 inputs as the C export's packed words (bit ``f % 32`` of word ``f // 32``)."""
    B = (np.asarray(X) > 0).astype(np.uint64)
    n = B.shape[1]
    words = np.zeros((B.shape[0], (n + 31) // 32), dtype=np.uint64)
    for f in range(n):
        words[:, f // 32] |= B[:, f] << np.uint64(f % 32)
    return words.astype(np.uint32)


def open_export(
    path: str | os.PathLike[str],
    format: str | None = None,
    cc: str | None = None,
    cflags: tuple[str, ...] | None = None,
):
    """An object running the exported file: ``decision(X)``, ``index(X)``, ``n_features``,
    ``n_outputs``, ``inputs`` (what it was exported for; and ``labels(X)`` for JSON, ONNX).
    A C export is compiled with ``cc`` and ``cflags`` (default ``-O2``).

    Parameters
    ----------
    path : str or path-like
        The exported file.
    format : str, optional
        A registered format (default: from the suffix of ``path``).
    cc : str, optional
        The C compiler command.
    cflags : tuple of str, optional
        Its flags.

    Returns
    -------
    object
        What the format's :meth:`~hardtarget.export.exporter.Exporter.open` returns.
    """
    fmt = format_of(path, format)
    if not Path(path).exists():
        raise HardTargetError(f"export {path} does not exist; write it with hardtarget.export")
    return get_exporter(fmt).open(Path(path), cc=cc, cflags=cflags)
