"""Write one API page per public module, listing every name of its ``__all__``.

The lists come from the code, so a new public name appears in the reference without
anyone editing the docs.  Names a subpackage shares with the top level (the same
object) are documented once, at the top level.
"""

from __future__ import annotations

import importlib
import inspect
from pathlib import Path

# (module, title, what it is for)
MODULES = [
    (
        "hardtarget",
        "hardtarget (top level)",
        "The names most work needs: ``import hardtarget as ht``.",
    ),
    (
        "hardtarget.budget",
        "hardtarget.budget",
        "One deadline and cancel object for every layer: search, unit solvers, SAT "
        "watchdogs, portfolio members, torch training, signals.",
    ),
    (
        "hardtarget.labels",
        "hardtarget.labels",
        "Which class label each output stands for, and which one a prediction picks.",
    ),
    (
        "hardtarget.search",
        "hardtarget.search",
        "The combinatorial half: strategies, budgets, the search engine and its result.",
    ),
    (
        "hardtarget.units",
        "hardtarget.units",
        "The convex half: one unit (a perceptron) at a time, exact LP verdicts and proofs.",
    ),
    (
        "hardtarget.export",
        "hardtarget.export",
        "Using a trained network elsewhere: the model file, ONNX, C, their check, a summary.",
    ),
    (
        "hardtarget.registry",
        "hardtarget.registry",
        "One registry of every kind of component, backed by entry points (see the plugins guide).",
    ),
    (
        "hardtarget.params",
        "hardtarget.params",
        "Declared options of a component: type, range or choices, default, help.",
    ),
    (
        "hardtarget.torch",
        "hardtarget.torch",
        "Mini-batch feasible target propagation (FTPROP-MB) in torch "
        "(``pip install hardtarget[torch]``).",
    ),
    (
        "hardtarget.torch.baselines",
        "hardtarget.torch.baselines",
        "Continuous binarization and discrete weight distributions, trained by the same ``fit``.",
    ),
]


def public_names(module: str) -> list[str]:
    """``module.__all__`` without dunders, in a stable order."""
    mod = importlib.import_module(module)
    return [n for n in mod.__all__ if not n.startswith("__")]


def _resolve(mod, name: str):
    """The public object; for a callable module (``hardtarget.export``), its function."""
    obj = getattr(mod, name)
    return getattr(obj, name) if inspect.ismodule(obj) else obj


def _kind(obj) -> str:
    if isinstance(obj, type):
        return "classes"
    if callable(obj):
        return "functions"
    return "data"


def write_api_pages(out: Path) -> list[str]:
    """Write ``out/<module>.rst`` for every module of :data:`MODULES`; return their names."""
    top = importlib.import_module("hardtarget")
    top_objects = {id(_resolve(top, n)) for n in public_names("hardtarget")}
    written = []
    for module, title, blurb in MODULES:
        mod = importlib.import_module(module)
        groups: dict[str, list[str]] = {"classes": [], "functions": [], "data": []}
        shared = []
        for name in sorted(public_names(module), key=str.lower):
            obj = _resolve(mod, name)
            if module != "hardtarget" and id(obj) in top_objects:
                shared.append(name)
                continue
            if inspect.ismodule(getattr(mod, name)):  # a callable module: document its function
                name = f"~{obj.__module__.removeprefix(module + '.')}.{name}"
            groups[_kind(obj)].append(name)
        lines = [title, "=" * len(title), "", blurb, "", f".. module:: {module}", ""]
        if shared:
            refs = ", ".join(f":obj:`hardtarget.{n}`" for n in shared)
            lines += [f"Also here, documented at the top level: {refs}.", ""]
        for kind, names in groups.items():
            if not names:
                continue
            heading = {"classes": "Classes", "functions": "Functions", "data": "Constants"}[kind]
            lines += [heading, "-" * len(heading), "", ".. autosummary::", "   :toctree: generated"]
            if kind == "data":
                lines += ["   :template: data.rst"]
            lines += [""] + [f"   {n}" for n in names] + [""]
        text = "\n".join(lines)
        path = out / f"{module}.rst"
        if not path.exists() or path.read_text() != text:
            path.write_text(text)
        written.append(module)
    return written
