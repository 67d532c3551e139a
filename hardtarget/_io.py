"""Safe output: atomic writes with the user's umask, exclusive locks, strict JSON.

A crash or Ctrl-C never leaves a half-written file, and two runs never write the same
output at once.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from .errors import HardTargetError

__all__ = [
    "atomic_open",
    "exclusive_lock",
    "json_safe",
    "dumps_json",
    "write_file_set",
    "recover_file_set",
]


def _umask() -> int:
    """The process umask, read without changing it where the OS allows (Linux)."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)  # elsewhere: set and restore (not atomic across threads)
    os.umask(mask)
    return mask


@contextmanager
def atomic_open(path: str | os.PathLike[str], mode: str = "wb") -> Iterator[IO]:
    """Open a temporary file beside ``path``; rename it over ``path`` on success.

    The file gets the mode a plain ``open`` would give it (``0o666 & ~umask``);
    ``tempfile.mkstemp`` alone would leave it ``0o600``.
    """
    path = Path(path)
    if path.is_dir():
        raise HardTargetError(f"{path} is a directory; give the path of a file to write")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, 0o666 & ~_umask())
        with os.fdopen(fd, mode) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _journal(first: str | os.PathLike[str]) -> Path:
    first = Path(first)
    return first.with_name(f".{first.name}.set")


def write_file_set(files: Sequence[tuple[str | os.PathLike[str], str | bytes]]) -> None:
    """Write several files as one set: after a crash at any point, all new or all old.

    Each file goes to a temporary file beside it first.  When all are complete and on
    disk, a journal ``.NAME.set`` (``NAME`` the first file) listing the renames still
    to do is written atomically: that is the commit point.  Then the files are renamed
    over their targets and the journal removed.  A crash before the commit leaves the
    old set (and stray temporary files); a crash after it leaves the journal, and
    :func:`recover_file_set`, which every writer and hardtarget reader of the set calls
    first, finishes the renames.

    Parameters
    ----------
    files : ``(path, content)`` pairs; ``str`` content is written as UTF-8 text.
    """
    paths = [Path(p) for p, _ in files]
    recover_file_set(paths[0])
    done: list[tuple[str, str]] = []
    try:
        for path, content in zip(paths, (c for _, c in files)):
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
            done.append((tmp, str(path)))
            os.fchmod(fd, 0o666 & ~_umask())
            with os.fdopen(fd, "wb") as fh:
                fh.write(content.encode() if isinstance(content, str) else content)
                fh.flush()
                os.fsync(fh.fileno())
        with atomic_open(_journal(paths[0]), "w") as fh:
            json.dump({"renames": done}, fh)
    except BaseException:
        for tmp, _ in done:
            try:
                os.unlink(tmp)
            except FileNotFoundError:
                pass
        raise
    recover_file_set(paths[0])


def recover_file_set(first: str | os.PathLike[str]) -> bool:
    """Finish a file set whose writer stopped after its commit point (see
    :func:`write_file_set`); return True when there was one to finish.

    ``first`` is the set's first file (the ``.c`` of a C export, the DRAT file of a
    proof).  Idempotent: a rename already done is skipped.
    """
    journal = _journal(first)
    try:
        renames = json.loads(journal.read_text())["renames"]
    except FileNotFoundError:
        return False
    except (OSError, ValueError, KeyError, TypeError):
        # atomic_open writes the journal whole or not at all: this is not ours
        raise HardTargetError(
            f"{journal} is not a file-set journal of hardtarget; remove it and write again"
        ) from None
    for tmp, path in renames:
        if os.path.exists(tmp):
            os.replace(tmp, path)
    _fsync_dir(journal.parent)
    journal.unlink(missing_ok=True)
    _fsync_dir(journal.parent)
    return True


def _lock_path(path: Path) -> Path:
    # beside the output, never inside: the same lock whether a folder exists yet or not
    path = path.resolve()
    return path.with_name(f".{path.name}.lock") if path.name else path / ".hardtarget.lock"


@contextmanager
def exclusive_lock(path: str | os.PathLike[str]) -> Iterator[None]:
    """Hold an exclusive ``flock`` on an output file or directory while writing it.

    A second holder is refused with a :class:`HardTargetError` naming the pid that
    holds the lock.  The lock file, ``.NAME.lock`` beside the file or directory (so a
    directory that does not exist yet is locked the same way), records that pid and
    is removed on release.
    """
    import fcntl

    path = Path(path)
    lock = _lock_path(path)
    lock.parent.mkdir(parents=True, exist_ok=True)
    while True:
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o666 & ~_umask())
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 32).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise HardTargetError(
                f"{path} is being written by another hardtarget run (pid {holder}); wait for it "
                f"to finish or choose another output path (lock file {lock})"
            ) from None
        try:  # the previous holder may have removed the file between our open and flock
            same = os.stat(lock).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)
    try:
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        yield
    finally:
        try:
            os.unlink(lock)
        except FileNotFoundError:
            pass
        os.close(fd)


def json_safe(obj: Any) -> Any:
    """A copy of ``obj`` that strict JSON accepts: NaN and infinities become ``None``.

    Numpy scalars and arrays become Python numbers and lists; tuples become lists.
    """
    if isinstance(obj, dict):
        return {str(k): json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [json_safe(v) for v in obj]
    if hasattr(obj, "tolist") and not isinstance(obj, (str, bytes)):
        return json_safe(obj.tolist())
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    return obj


def dumps_json(obj: Any, indent: int | None = 2) -> str:
    """Strict JSON text (no ``Infinity``/``NaN``) of ``obj``, via :func:`json_safe`."""
    return json.dumps(json_safe(obj), indent=indent, allow_nan=False)
