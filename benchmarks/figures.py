"""Write a benchmark table as a figure file for the docs' benchmarks page.

The page (``docs/benchmarks.rst``) renders every ``docs/benchmarks/*.json`` file, and
every ``benchmarks/results/*.json`` file a local run wrote in the same shape: a title,
the command that produced the figures, the machine and its load, and the table.  The
machine and load are recorded here, when the figures are written, so nobody types them.
"""

from __future__ import annotations

import datetime
import json
import os
import platform
import shlex
import sys
from pathlib import Path


def machine() -> str:
    """CPU, core count and Python of this machine, in words."""
    cpu = platform.processor() or platform.machine()
    return f"{cpu}, {os.cpu_count()} cores, {platform.system()}, Python {platform.python_version()}"


def load() -> str:
    """The 1-minute load average now (what the 'load' of a figure means)."""
    try:
        one, five, _ = os.getloadavg()
    except OSError:
        return "not available"
    return f"load average {one:.1f} (5 min: {five:.1f}) on {os.cpu_count()} cores"


def write_figures(
    path: str | os.PathLike[str],
    title: str,
    columns: list[str],
    rows: list[list],
    *,
    intro: str = "",
    notes: str = "",
    order: int = 100,
    load_at_start: str | None = None,
) -> Path:
    """Write one table as a figure file; ``command`` is this process's own command line.

    Parameters
    ----------
    path : str or path-like
        The ``.json`` file to write (its folder is created).
    title : str
        The table's heading on the page.
    columns : list of str
        Column headings.
    rows : list of list
        One cell per column in each row.
    intro, notes : str, optional
        reStructuredText before and after the table.
    order : int, default=100
        Position on the page (smaller first).
    load_at_start : str, optional
        :func:`load` taken when the run started; the load now is added to it.

    Returns
    -------
    pathlib.Path
        The file written.
    """
    command = "python " + " ".join(shlex.quote(a) for a in sys.argv)
    now = load()
    doc = {
        "order": order,
        "title": title,
        "command": command,
        "machine": machine(),
        "load": f"{load_at_start} at the start, {now} at the end" if load_at_start else now,
        "measured": datetime.date.today().isoformat(),
        "intro": intro,
        "columns": columns,
        "rows": rows,
        "notes": notes,
    }
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n")
    return path
