"""Notebook 02 runs headless with papermill and non-default parameters, and really uses them."""

from __future__ import annotations

import pytest

from segtutor.paths import repo_root

NOTEBOOK = repo_root() / "notebooks" / "02_inference_mask2former.ipynb"
SOLVED = {f"Exercise {n}": "correct" for n in (1, 2, 3, 4)}


@pytest.mark.slow
def test_runs_on_other_images_with_fewer_repeats(run_notebook, needs_bundled_mask2former):
    parameters = {
        "image_indices": [3, 7],
        "checkpoint_source": "bundled",
        "top_k_queries": 4,
        "timing_repeats": 1,
        "seed": 1,
    }
    executed = run_notebook(NOTEBOOK, parameters, solved=True)
    text = executed.stdout
    assert "val_00003.png: 128 × 128 pixels" in text and "val_00007.png: 128 × 128 pixels" in text
    assert "(median of 1)" in text and "(median of 5)" not in text
    for task in ("semantic: identical maps: True", "instance: identical", "panoptic: identical"):
        assert task in text
    assert "identical maps and segments_info: False" not in text
    assert "96 real rows, 32 padded rows" in text  # the second image lost its bottom quarter
    assert executed.feedback == SOLVED  # the worked solutions pass the self-check with these parameters
