"""The README's quick tour runs as written."""

import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


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


def test_notebooks_run(tmp_path, monkeypatch):
    import json

    monkeypatch.chdir(tmp_path)
    for nb in sorted((README.parent / "notebooks").glob("*.ipynb")):
        cells = json.loads(nb.read_text())["cells"]
        code = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
        exec(compile(code, str(nb), "exec"), {})
