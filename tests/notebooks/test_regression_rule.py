"""The notebooks follow the regression rule of docs/ARCHITECTURE.md ("What nbval compares").

nbval compares exactly only outputs that are the same on every machine. Cells whose output comes from
training or timing are tagged ``nbval-ignore-output``; the lesson's claims about such values are printed
by a separate, compared cell as checks any correct run meets. These tests keep that honest: most
text-printing cells stay compared, and every ignored cell says why in its first line.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from segtutor.paths import repo_root

NOTEBOOKS = sorted((repo_root() / "notebooks").glob("*.ipynb"))
IGNORE_TAG = "nbval-ignore-output"
IGNORE_COMMENT = "# NBVAL_IGNORE_OUTPUT"


def _code_cells(path: Path) -> list[dict]:
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return [cell for cell in cells if cell["cell_type"] == "code"]


def _prints_text(cell: dict) -> bool:
    for output in cell.get("outputs", []):
        if output["output_type"] == "stream":
            return True
        data = output.get("data", {})
        if "text/markdown" in data or ("text/plain" in data and "image/png" not in data):
            return True
    return False


def _ignored(cell: dict) -> bool:
    source = "".join(cell["source"])
    return IGNORE_TAG in cell.get("metadata", {}).get("tags", []) or source.startswith(IGNORE_COMMENT)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_at_least_half_of_the_text_printing_cells_are_compared(path):
    printing = [cell for cell in _code_cells(path) if _prints_text(cell)]
    compared = [cell for cell in printing if not _ignored(cell)]
    assert printing, f"{path.name} has no executed output: run `make execute-notebooks`"
    assert len(compared) * 2 >= len(printing), (
        f"{path.name}: only {len(compared)} of {len(printing)} text-printing cells are compared by nbval"
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_ignored_cell_says_why_in_its_first_line(path):
    for cell in _code_cells(path):
        if _ignored(cell):
            first = "".join(cell["source"]).splitlines()[0]
            assert first.startswith("#") and len(first) > 20, (
                f"{path.name}: a cell whose output nbval ignores must start with a comment saying why "
                f"(e.g. '# values from training: they differ in the last digits from CPU to CPU'); "
                f"got {first!r}"
            )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_ignored_cells_use_the_tag_not_the_comment(path):
    for cell in _code_cells(path):
        assert not "".join(cell["source"]).startswith(IGNORE_COMMENT), (
            f"{path.name}: mark ignored cells with the cell tag {IGNORE_TAG!r} (invisible to learners) "
            f"instead of the {IGNORE_COMMENT!r} comment"
        )
