"""Notebook 03 runs headless with papermill and non-default parameters, and really uses them."""

from __future__ import annotations

import pytest

from segtutor.models import bundled_checkpoint
from segtutor.paths import repo_root

NOTEBOOK = repo_root() / "notebooks" / "03_finetuning.ipynb"


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
def test_short_semantic_run_uses_the_parameters(tmp_path):
    import papermill

    parameters = {
        "checkpoint_source": "bundled",
        "dataset_format": "semantic",
        "n_train": 8,
        "n_val": 4,
        "image_size": 64,
        "steps": 4,
        "batch_size": 2,
        "seed": 1,
        "browse_index": 0,
        "show_index": 2,
    }
    executed = papermill.execute_notebook(
        str(NOTEBOOK),
        str(tmp_path / NOTEBOOK.name),
        parameters=parameters,
        cwd=str(NOTEBOOK.parent),
        kernel_name="python3",
        progress_bar=False,
    )
    text = _stdout(executed)
    assert "semantic format: 8 training and 4 validation images" in text
    assert "bundled TOY checkpoint" in text
    assert "trained rows reused for: sky, grass, circle, square, triangle" in text
    assert "new classes, starting from random rows: star" in text
    assert "4 steps of 2 images" in text
    # eval_every = steps // 2: validation mIoU (the semantic format's metric) at steps 2 and 4
    assert "step    2: val mIoU" in text and "step    4: val mIoU" in text
    assert "| mIoU |" in text and "| PQ |" not in text  # semantic PNGs give mIoU, never PQ
    assert "identical outputs after reloading: True" in text
    assert "Not uploading: push_to_hub is False" in text
    assert text.count("not answered yet") == 4
