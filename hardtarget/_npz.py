"""Read an ``.npz`` archive safely: no pickles, every failure a clear HardTargetError."""

from __future__ import annotations

import os
import zipfile
import zlib
from pathlib import Path

import numpy as np

from .errors import HardTargetError

__all__ = ["read_npz", "check_readable"]


def check_readable(path: str | os.PathLike[str], what: str) -> Path:
    """``path`` as a Path if it is an existing readable file; else HardTargetError."""
    path = Path(path)
    if not path.exists():
        raise HardTargetError(f"{what} {path} does not exist; check the path")
    if path.is_dir():
        raise HardTargetError(f"{what} {path} is a directory; give the path of a file inside it")
    if not os.access(path, os.R_OK):
        raise HardTargetError(
            f"{what} {path} cannot be read (permission denied); "
            "fix its permissions (chmod u+r) or copy it somewhere readable"
        )
    return path


def read_npz(path: str | os.PathLike[str], what: str = "file") -> dict[str, np.ndarray]:
    """Every array of an ``.npz`` archive, loaded without pickles.

    Object arrays, pickles, single ``.npy`` arrays, truncated or foreign files
    raise :class:`HardTargetError` naming the file and what to write instead.
    """
    path = check_readable(path, what)
    hint = "write it with numpy.savez (numeric or string arrays only)"
    with open(path, "rb") as fh:
        magic = fh.read(6)
    if magic == b"\x93NUMPY":
        raise HardTargetError(f"{what} {path} is a single .npy array, not an .npz archive; {hint}")
    if magic[:4] not in (b"PK\x03\x04", b"PK\x05\x06"):
        raise HardTargetError(
            f"{what} {path} is not an .npz archive (it is not a zip file); {hint}"
        )
    try:
        with np.load(path, allow_pickle=False) as f:
            return {k: f[k] for k in f.files}
    except ValueError as exc:
        if "pickle" in str(exc).lower() or "object arrays" in str(exc).lower():
            raise HardTargetError(
                f"{what} {path} holds object arrays, which hardtarget never loads "
                f"(unpickling them can run code); {hint}"
            ) from None
        raise HardTargetError(
            f"{what} {path} is not a valid .npz archive ({exc}); {hint}"
        ) from None
    except (
        OSError,
        EOFError,
        zipfile.BadZipFile,
        zlib.error,
        KeyError,
        TypeError,
        AttributeError,
        NotImplementedError,
        RuntimeError,
        UnicodeDecodeError,
        SyntaxError,
        OverflowError,
        MemoryError,
    ) as exc:
        raise HardTargetError(
            f"{what} {path} is not a valid .npz archive ({type(exc).__name__}: {exc}); {hint}"
        ) from None
