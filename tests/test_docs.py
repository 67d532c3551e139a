"""The README and the user guide run as written and print what they show; the notebooks run
in a real kernel and are saved run."""

import contextlib
import io
import re
import shutil
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
DOCS = README.parent / "docs"
# pages whose python blocks run in one session, each followed by the output it prints
# (torch pages: tests/torch/test_guide_examples.py)
RUN_AS_WRITTEN = [
    "quickstart.md",
    "guide/exact-solving.md",
    "guide/strategies.md",
    "guide/verifying.md",
    "guide/dask.md",
    "guide/budgets.md",
]


def test_readme_quick_tour_runs(tmp_path, monkeypatch):
    text = README.read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    assert blocks, "README has no python example"
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(compile(blocks[0], "README.md", "exec"), namespace)
    assert namespace["r"].network is not None
    assert namespace["report"].feasible is True
    assert (tmp_path / "planted.npz").exists()


def test_readme_opens_with_the_two_commands():
    lines = README.read_text().splitlines()
    assert lines[3].startswith("# 1. set up and run the main job")
    assert lines[5].startswith("# 2. set up and run the tests") and "pytest" in lines[6]


def test_readme_export_section_runs(tmp_path, monkeypatch):
    text = README.read_text()
    section = text[text.index("## Using trained networks elsewhere") :]
    block = re.findall(r"```python\n(.*?)```", section, flags=re.S)[0]
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(compile(block, "README.md", "exec"), namespace)
    clf, net = namespace["clf"], namespace["net"]
    assert clf.predict(namespace["X"][:4]).tolist() == ["same", "differ", "differ", "same"]
    assert net.predict(namespace["X"][:4]).tolist() == [1.0, -1.0, -1.0, 1.0]
    assert {p.name for p in tmp_path.iterdir()} >= {"xor.c", "xor.h", "xor.onnx", "xor.json"}


NOTEBOOKS = sorted((README.parent / "notebooks").glob("*.ipynb"))


def _needs_torch(path: Path) -> bool:
    return "import torch" in path.read_text() or "hardtarget.torch" in path.read_text()


def _torch_installed() -> bool:
    import importlib.util

    try:
        return importlib.util.find_spec("torch") is not None
    except ImportError:  # an import hook that refuses it (tests/test_without_torch.py)
        return False


@pytest.fixture(scope="module")
def executed_notebooks(request, tmp_path_factory) -> dict:
    """Every selected notebook run top to bottom in its own kernel, all at the same time
    (as `notebooks/run_all.py` runs each): much of their time is waiting on time limits and
    kernels, and there are two cores.  Maps each path to its notebook or its exception."""
    import importlib.util
    from concurrent.futures import ThreadPoolExecutor

    spec = importlib.util.spec_from_file_location(
        "run_all", README.parent / "notebooks" / "run_all.py"
    )
    run_all = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(run_all)
    selected = {  # the session's other items include doctests (no originalname)
        item.callspec.params["path"]
        for item in request.session.items
        if getattr(item, "originalname", None) == "test_notebook_runs_in_a_jupyter_kernel"
    }
    torch = _torch_installed()  # else the torch notebooks' tests skip
    paths = [p for p in NOTEBOOKS if p in selected and (torch or not _needs_torch(p))]

    def run(path: Path):
        try:  # raises CellExecutionError on failure
            return run_all.execute(path, cwd=tmp_path_factory.mktemp(path.stem), timeout=300)
        except Exception as exc:  # reported by the notebook's own test
            return exc

    with ThreadPoolExecutor(max_workers=len(paths) or 1) as pool:
        return dict(zip(paths, pool.map(run, paths)))


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs_in_a_jupyter_kernel(path, executed_notebooks):
    """Each notebook runs top to bottom in a real kernel (as `notebooks/run_all.py` does)."""
    if _needs_torch(path):
        pytest.importorskip("torch")
    nb = executed_notebooks[path]
    if isinstance(nb, Exception):
        raise nb
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebooks_are_committed_with_their_outputs(path):
    import json

    cells = [c for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "code"]
    assert cells and all(c["execution_count"] for c in cells), (
        f"{path.name} is saved unexecuted; refresh it with `python notebooks/run_all.py`"
    )
    assert any(c["outputs"] for c in cells)


def test_readme_is_a_short_front_page():
    text = README.read_text()
    assert len(text.splitlines()) <= 250
    assert not re.search(r"\bissue \d", text, flags=re.I)
    assert (README.parent / "CHANGELOG.md").exists()


@pytest.mark.slow
@pytest.mark.parametrize("page", RUN_AS_WRITTEN)
def test_guide_page_runs_and_prints_what_it_shows(page, tmp_path, monkeypatch):
    """Each ```python block runs; the ```text block right after it is exactly its output."""
    text = (DOCS / page).read_text()
    pairs = re.findall(r"```python\n(.*?)```\s*(?:```text\n(.*?)```)?", text, flags=re.S)
    assert pairs, f"{page} has no python example"
    shutil.copytree(README.parent / "examples" / "data", tmp_path / "examples" / "data")
    monkeypatch.chdir(tmp_path)
    namespace: dict = {"__name__": "__docs__"}
    for code, shown in pairs:
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(compile(code, page, "exec"), namespace)
        assert shown, f"{page}: a python block prints nothing shown after it:\n{code}"
        assert out.getvalue() == shown, f"{page}:\n{code}"
