"""Notebook 02 runs headless with papermill and non-default parameters, and really uses them."""

from __future__ import annotations

import pytest

from segtutor.models import bundled_checkpoint
from segtutor.paths import repo_root

NOTEBOOK = repo_root() / "notebooks" / "02_inference_mask2former.ipynb"


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
def test_runs_on_other_images_with_fewer_repeats(tmp_path):
    import papermill

    executed = papermill.execute_notebook(
        str(NOTEBOOK),
        str(tmp_path / NOTEBOOK.name),
        parameters={
            "image_indices": [3, 7],
            "checkpoint_source": "bundled",
            "top_k_queries": 4,
            "timing_repeats": 1,
            "seed": 1,
        },
        cwd=str(NOTEBOOK.parent),
        kernel_name="python3",
        progress_bar=False,
    )
    text = _stdout(executed)
    assert "val_00003.png: 128 × 128 pixels" in text and "val_00007.png: 128 × 128 pixels" in text
    assert "(median of 1)" in text and "(median of 5)" not in text
    for task in ("semantic: identical maps: True", "instance: identical", "panoptic: identical"):
        assert task in text
    assert "identical maps and segments_info: False" not in text
    assert "96 real rows, 32 padded rows" in text  # the second image lost its bottom quarter
    assert text.count("not answered yet") == 4
