"""Execute every notebook here with a real Jupyter kernel and save it with its outputs.

The one command that refreshes the committed notebooks::

    .venv/bin/python notebooks/run_all.py              # all of them, in place
    .venv/bin/python notebooks/run_all.py tour.ipynb   # just one

Each notebook runs with this folder as its working directory; it writes its own files
under a temporary directory.  ``tests/test_docs.py`` executes them the same way.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def execute(path: Path, cwd: Path | None = None, timeout: int = 600):
    """Run ``path`` top to bottom in a fresh ``python3`` kernel; return the executed notebook."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(cwd or path.parent)}},
    ).execute()
    return nb


def main(argv: list[str] | None = None) -> int:
    import nbformat

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("notebooks", nargs="*", help="notebook files (default: every *.ipynb here)")
    args = ap.parse_args(argv)
    paths = [Path(p).resolve() if Path(p).exists() else HERE / p for p in args.notebooks]
    for path in paths or sorted(HERE.glob("*.ipynb")):
        start = time.perf_counter()
        nb = execute(path)
        tmp = path.with_suffix(".ipynb.tmp")
        nbformat.write(nb, tmp)
        tmp.replace(path)  # atomic: a failed run leaves the committed notebook as it was
        print(f"{path.name}: {time.perf_counter() - start:.1f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
