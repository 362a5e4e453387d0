from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from segtutor import colab
from segtutor.paths import repo_root

NOTEBOOKS = sorted((repo_root() / "notebooks").glob("*.ipynb"))


def _write_notebook(path: Path, cells: list[dict]) -> None:
    path.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))


def test_repository_is_one_owner_name_constant():
    assert colab.REPOSITORY.count("/") == 1


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.name)
def test_every_notebook_has_its_own_badge_and_install_cell(notebook):
    assert colab.check_notebook(notebook, repo_root()) == []


def test_there_are_notebooks_to_check():
    assert len(NOTEBOOKS) >= 1


def test_write_header_inserts_badge_for_the_notebooks_own_path(tmp_path):
    (tmp_path / "notebooks").mkdir()
    nb = tmp_path / "notebooks" / "07_demo.ipynb"
    _write_notebook(nb, [{"cell_type": "markdown", "metadata": {}, "source": "# Demo"}])
    assert colab.check_notebook(nb, tmp_path)  # missing header is reported
    assert colab.write_header(nb, tmp_path) is True
    assert colab.check_notebook(nb, tmp_path) == []
    cells = json.loads(nb.read_text())["cells"]
    assert "blob/main/notebooks/07_demo.ipynb" in cells[0]["source"]
    assert cells[2]["source"] == "# Demo"  # the lesson itself is kept, after the header


def test_write_header_is_idempotent(tmp_path):
    nb = tmp_path / "a.ipynb"
    _write_notebook(nb, [])
    colab.write_header(nb, tmp_path)
    first = nb.read_text()
    assert colab.write_header(nb, tmp_path) is False
    assert nb.read_text() == first


def test_badge_pointing_at_another_notebook_fails_the_check(tmp_path):
    nb = tmp_path / "b.ipynb"
    _write_notebook(
        nb,
        [
            {"cell_type": "markdown", "metadata": {}, "source": colab.badge_markdown("a.ipynb")},
            {
                "cell_type": "code",
                "metadata": {},
                "source": colab.install_source(),
                "outputs": [],
                "execution_count": None,
            },
        ],
    )
    problems = colab.check_notebook(nb, tmp_path)
    assert len(problems) == 1 and "b.ipynb" in problems[0]


def test_install_cell_does_nothing_outside_colab(tmp_path, monkeypatch):
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    monkeypatch.chdir(tmp_path)
    before = dict(os.environ)
    target = tmp_path / "segtutor"
    exec(compile(colab.install_source(target=str(target)), "install-cell", "exec"), {})
    assert Path.cwd() == tmp_path and not target.exists() and dict(os.environ) == before


def test_install_cell_is_plain_python_pointing_at_the_repository():
    source = colab.install_source()
    compile(source, "install-cell", "exec")  # no IPython magics: it is plain Python
    assert f"REPOSITORY = 'https://github.com/{colab.REPOSITORY}'" in source
    assert not any(line.lstrip().startswith(("!", "%")) for line in source.splitlines())


def test_write_header_refreshes_only_the_sources_of_existing_header_cells(tmp_path):
    nb = tmp_path / "a.ipynb"
    colab.write_header(nb if nb.exists() else _new(nb), tmp_path)
    data = json.loads(nb.read_text())
    data["cells"][1]["source"] = ["print('old cell')\n"]
    data["cells"][1]["metadata"]["execution"] = {"shell.execute_reply": "kept"}
    data["cells"][1]["execution_count"] = 7
    nb.write_text(json.dumps(data))
    assert colab.write_header(nb, tmp_path)
    cell = json.loads(nb.read_text())["cells"][1]
    assert "".join(cell["source"]) == colab.install_source()
    assert cell["metadata"]["execution"] == {"shell.execute_reply": "kept"} and cell["execution_count"] == 7


def _new(path: Path) -> Path:
    _write_notebook(path, [{"cell_type": "markdown", "metadata": {}, "source": "# lesson", "id": "x"}])
    return path
