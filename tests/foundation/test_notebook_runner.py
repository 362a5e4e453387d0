from __future__ import annotations

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from segtutor.notebook_runner import main, run_notebooks


def _notebook(path, *sources, parameters="value = 1"):
    cells = [new_code_cell(parameters, metadata={"tags": ["parameters"]})]
    cells += [new_code_cell(src) for src in sources]
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    return path


@pytest.mark.slow
def test_runs_every_notebook_reports_failures_and_keeps_going(tmp_path, capsys):
    good = _notebook(tmp_path / "good.ipynb", "assert value == 2, value")
    bad = _notebook(tmp_path / "bad.ipynb", "raise RuntimeError('broken on purpose')")
    out = tmp_path / "out"
    results = run_notebooks([bad, good], out, parameters={"value": 2}, cell_timeout=60)
    assert [(r.name, r.ok) for r in results] == [("bad.ipynb", False), ("good.ipynb", True)]
    assert "broken on purpose" in results[0].error
    assert (out / "good.ipynb").exists()
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("bad.ipynb") and "FAILED" in lines[0]
    assert lines[1].startswith("good.ipynb") and lines[1].rstrip().endswith("ok")


@pytest.mark.slow
def test_command_line_exit_code_and_summary(tmp_path, capsys):
    nb = _notebook(tmp_path / "one.ipynb", "print(value)")
    assert main([str(nb), "--output-dir", str(tmp_path / "out"), "-p", "value", "3"]) == 0
    out = capsys.readouterr().out
    assert "1 ok, 0 failed" in out
    executed = nbformat.read(tmp_path / "out" / "one.ipynb", as_version=4)
    printed = [
        o.get("text", "") for c in executed.cells if c.cell_type == "code" for o in c.get("outputs", [])
    ]
    assert "3\n" in printed
