"""``.. benchmark-tables::``: the benchmarks page, rendered from JSON figure files.

Each ``docs/benchmarks/*.json`` file (and each ``benchmarks/results/*.json`` file in the
same shape, if a local run wrote one) holds one table of current figures::

    {"order": 10, "title": "...", "command": "python benchmarks/...",
     "machine": "...", "load": "...", "measured": "2026-12-07",
     "intro": "reST text", "columns": ["...", ...], "rows": [[...], ...],
     "notes": "reST text"}

so a figure is typed once, with the command that produced it, the machine and the load.
"""

from __future__ import annotations

import json
from pathlib import Path

from docutils import nodes
from sphinx.errors import ExtensionError
from sphinx.util.docutils import SphinxDirective

REQUIRED = ("title", "command", "machine", "load", "columns", "rows")


def _cell(value) -> str:
    text = "" if value is None else str(value)
    return text.replace("\n", " ") or " "


def load_tables(*folders: Path) -> list[dict]:
    """Every figure file in ``folders``, checked and sorted by ``order`` then title."""
    tables = []
    for folder in folders:
        for path in sorted(folder.glob("*.json")):
            doc = json.loads(path.read_text())
            if not isinstance(doc, dict) or "columns" not in doc:
                continue  # another kind of result file
            missing = [k for k in REQUIRED if k not in doc]
            if missing:
                raise ExtensionError(f"{path}: benchmark figures need {missing}")
            bad = [i for i, r in enumerate(doc["rows"]) if len(r) != len(doc["columns"])]
            if bad:
                raise ExtensionError(f"{path}: rows {bad} do not have one cell per column")
            doc["_source"] = path
            tables.append(doc)
    return sorted(tables, key=lambda d: (d.get("order", 100), d["title"]))


def render(doc: dict) -> list[str]:
    """The reStructuredText of one figure file."""
    title = doc["title"]
    lines = [title, "-" * len(title), ""]
    if doc.get("intro"):
        lines += [doc["intro"], ""]
    lines += [
        f"- **Command:** ``{doc['command']}``",
        f"- **Machine:** {doc['machine']}",
        f"- **Load:** {doc['load']}",
    ]
    if doc.get("measured"):
        lines.append(f"- **Measured:** {doc['measured']}")
    lines += ["", ".. list-table::", "   :header-rows: 1", ""]
    for row in [doc["columns"], *doc["rows"]]:
        lines.append("   * - " + _cell(row[0]))
        lines += [f"     - {_cell(c)}" for c in row[1:]]
    lines.append("")
    if doc.get("notes"):
        lines += [doc["notes"], ""]
    return lines


class BenchmarkTables(SphinxDirective):
    """Render every figure file, in order."""

    def run(self) -> list[nodes.Node]:
        root = Path(self.env.srcdir)
        folders = [root / "benchmarks", root.parent / "benchmarks" / "results"]
        lines = []
        for doc in load_tables(*folders):
            self.env.note_dependency(str(doc["_source"]))
            lines += render(doc)
        return self.parse_text_to_nodes("\n".join(lines), allow_section_headings=True)


def setup(app):
    app.add_directive("benchmark-tables", BenchmarkTables)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
