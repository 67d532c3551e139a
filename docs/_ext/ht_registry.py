"""``hardtarget-components``: a table of the registered components of one kind, generated
from :mod:`hardtarget.registry` (names, summaries, declared options, result type, entry
point), so the docs list exactly what the code registers.

MyST usage::

    ```{hardtarget-components} strategies
    ```
"""

from __future__ import annotations

import re

from docutils import nodes
from sphinx.util.docutils import SphinxDirective

_SPECIAL = re.compile(r"([\\*`|_])")


def _text(s: str) -> str:
    """Plain text made safe for reStructuredText (no markup, references or roles)."""
    return _SPECIAL.sub(r"\\\1", " ".join(str(s).split()))


def _options(params: dict) -> str:
    if not params:
        return "(none)"
    return "; ".join(
        f"{_text(k)}: {_text(p['valid'])} (default {_text(repr(p['default']))})"
        for k, p in sorted(params.items())
    )


class HardtargetComponents(SphinxDirective):
    """Render the components of the kind given as the argument."""

    required_arguments = 1
    has_content = False

    def run(self) -> list[nodes.Node]:
        from hardtarget import registry

        kind = self.arguments[0]
        lines = [
            ".. list-table::",
            "   :header-rows: 1",
            "   :widths: 12 38 38 12",
            "",
            "   * - name",
            "     - what it is",
            "     - options",
            "     - entry point",
        ]
        for comp in registry.components(kind):
            d = comp.to_dict()
            lines += [
                f"   * - ``{comp.name}``",
                f"     - {_text(d['summary'] or '(no summary)')}",
                f"     - {_options(d['params'])}",
                f"     - ``{d['entry_point'] or '(registered at run time)'}``",
            ]
        result = (
            registry.get(kind, registry.names(kind)[0]).result_type
            if registry.names(kind)
            else None
        )
        if result is not None:
            lines += ["", f"Each returns a ``{result.__module__}.{result.__qualname__}``."]
        return self.parse_text_to_nodes("\n".join(lines))


def setup(app):
    app.add_directive("hardtarget-components", HardtargetComponents)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
