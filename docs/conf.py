"""Sphinx configuration for the hardtarget documentation.

Build (warnings are errors, as in CI)::

    sphinx-build -W --keep-going -b html docs docs/_build/html
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(DOCS / "_ext"))

from api_pages import write_api_pages  # noqa: E402

import hardtarget  # noqa: E402

project = "hardtarget"
author = "the hardtarget developers"
copyright = "2026, the hardtarget developers"
release = version = hardtarget.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "myst_nb",  # MyST Markdown pages (myst-parser) and the notebooks
    "sphinx_gallery.gen_gallery",
    "ht_cli",  # the CLI reference, from the argparse parsers
    "ht_bench",  # the benchmarks page, from docs/benchmarks/*.json
    "ht_registry",  # the component tables, from hardtarget.registry
]

exclude_patterns = ["_build", "**.ipynb_checkpoints", "auto_examples/*.ipynb", "auto_examples/*.py"]
templates_path = ["_templates"]
html_static_path = ["_static"]
html_css_files = ["custom.css"]
html_theme = "furo"
html_title = f"hardtarget {release}"
html_theme_options = {"navigation_with_keys": True}

# --- MyST and notebooks ------------------------------------------------------------
myst_enable_extensions = ["colon_fence", "deflist", "dollarmath"]
myst_heading_anchors = 3
nb_execution_mode = "off"  # notebooks are saved with their outputs (notebooks/run_all.py)
source_suffix = {".rst": "restructuredtext", ".md": "myst-nb", ".ipynb": "myst-nb"}

# The notebooks live in notebooks/ (tests run them); the site shows copies.
_NB_OUT = DOCS / "notebooks"
_NB_OUT.mkdir(exist_ok=True)
for _nb in sorted((ROOT / "notebooks").glob("*.ipynb")):
    _dest = _NB_OUT / _nb.name
    if not _dest.exists() or _dest.read_bytes() != _nb.read_bytes():
        shutil.copyfile(_nb, _dest)

# --- API reference -------------------------------------------------------------------
write_api_pages(DOCS / "api")
autosummary_generate = True
autodoc_typehints = "none"  # numpydoc's Parameters sections say the types
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

# --- executed examples ---------------------------------------------------------------
sphinx_gallery_conf = {
    "examples_dirs": str(ROOT / "examples"),
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/[a-z].*\.py$",  # run every example
    "ignore_pattern": r"__init__\.py",
    "download_all_examples": False,
    "remove_config_comments": True,
    "show_memory": False,
    "min_reported_time": 0,
    "abort_on_example_error": True,
    "reset_modules": (),
    "run_stale_examples": False,
}
os.environ.setdefault("MPLBACKEND", "Agg")
# the examples print what they show; the search's progress lines stay out of the build log
logging.getLogger("hardtarget").setLevel(logging.WARNING)


def _skip_foreign_members(app, what, name, obj, skip, options):
    """Leave out members a class gets from another library (scikit-learn's request setters)."""
    module = getattr(obj, "__module__", None) or ""
    if what == "class" and callable(obj) and not module.startswith("hardtarget"):
        return True
    return None


def setup(app):
    app.connect("autodoc-skip-member", _skip_foreign_members)
