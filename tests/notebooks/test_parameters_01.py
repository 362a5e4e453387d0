"""Notebook 01 runs headless with papermill and non-default parameters, and really uses them."""

from __future__ import annotations

import pytest

from segtutor.data import open_dataset
from segtutor.models import bundled_checkpoint
from segtutor.paths import data_dir, repo_root

NOTEBOOK = repo_root() / "notebooks" / "01_segmentation_types.ipynb"


def _has_bundled_checkpoint() -> bool:
    try:
        bundled_checkpoint("mask2former")
    except FileNotFoundError:
        return False
    return True


def _stdout(notebook) -> str:
    return "".join(
        output.get("text", "")
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
        if output.get("output_type") == "stream" and output.get("name") == "stdout"
    )


@pytest.mark.slow
@pytest.mark.skipif(not _has_bundled_checkpoint(), reason="needs data/checkpoints/toy-mask2former-panoptic")
def test_runs_with_another_image_and_studies_that_image(tmp_path):
    import papermill

    image_index = 8
    executed = papermill.execute_notebook(
        str(NOTEBOOK),
        str(tmp_path / NOTEBOOK.name),
        parameters={"image_index": image_index, "checkpoint_source": "bundled", "seed": 1},
        cwd=str(NOTEBOOK.parent),
        kernel_name="python3",
        progress_bar=False,
    )
    text = _stdout(executed)
    expected = open_dataset(data_dir() / "toy-shapes", "val", "instance")[image_index]
    assert f"Studying {expected.file_name}" in text
    assert f"Predicting {expected.file_name}" in text
    assert f"{len(expected.masks)} objects -> masks of shape ({len(expected.masks)}, 128, 128)" in text
    assert "bundled TOY checkpoint" in text
    assert text.count("not answered yet") == 4
