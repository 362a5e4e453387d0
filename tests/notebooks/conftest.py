"""Fixtures of the notebook parameter tests: run a notebook with papermill and read what it printed.

``run_notebook(..., solved=True)`` first puts the lesson's worked solution (``segtutor.classroom.solutions``)
into its answer cell, so the same run also proves that every solution passes the self-check for these
non-default parameters.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from segtutor.exercises import read_feedback_line
from segtutor.models import bundled_checkpoint


@dataclass(frozen=True)
class ExecutedNotebook:
    """A notebook after papermill ran it (``nbformat`` node)."""

    notebook: object

    @property
    def stdout(self) -> str:
        """Everything the code cells printed to stdout, in order."""
        return "".join(
            output.get("text", "")
            for cell in self.notebook.cells
            if cell.cell_type == "code"
            for output in cell.get("outputs", [])
            if output.get("output_type") == "stream" and output.get("name") == "stdout"
        )

    @property
    def feedback(self) -> dict[str, str]:
        """Question → status of every self-check line printed, e.g. ``{"Exercise 1": "correct"}``."""
        parsed = (read_feedback_line(line) for line in self.stdout.splitlines())
        return dict(found for found in parsed if found is not None)

    @property
    def markdown(self) -> str:
        """Everything the code cells displayed as Markdown (computed sentences), in order."""
        return "\n".join(
            "".join(output["data"]["text/markdown"])
            for cell in self.notebook.cells
            if cell.cell_type == "code"
            for output in cell.get("outputs", [])
            if "text/markdown" in output.get("data", {})
        )


@pytest.fixture
def needs_bundled_mask2former() -> None:
    """Skip the test when the bundled toy Mask2Former checkpoint is missing."""
    try:
        bundled_checkpoint("mask2former")
    except FileNotFoundError:
        pytest.skip("needs data/checkpoints/toy-mask2former-panoptic")


@pytest.fixture
def run_notebook(tmp_path: Path) -> Callable[..., ExecutedNotebook]:
    """Run a notebook headless with papermill parameters; the executed copy goes to ``tmp_path``.

    With ``solved=True`` the notebook's answer cell is replaced by its worked solution first.
    """
    import nbformat
    import papermill

    from segtutor.classroom.solutions import solve_notebook

    def run(notebook: Path, parameters: dict, *, solved: bool = False) -> ExecutedNotebook:
        source = notebook
        if solved:
            source = tmp_path / f"solved_{notebook.name}"
            nbformat.write(solve_notebook(nbformat.read(notebook, as_version=4), notebook.stem), source)
        executed = papermill.execute_notebook(
            str(source),
            str(tmp_path / notebook.name),
            parameters=parameters,
            cwd=str(notebook.parent),
            kernel_name="python3",
            progress_bar=False,
        )
        return ExecutedNotebook(executed)

    return run
