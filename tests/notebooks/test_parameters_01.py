"""Notebook 01 runs headless with papermill and non-default parameters, and really uses them."""

from __future__ import annotations

import pytest

from segtutor.data import open_dataset
from segtutor.paths import data_dir, repo_root

NOTEBOOK = repo_root() / "notebooks" / "01_segmentation_types.ipynb"
SOLVED = {f"Exercise {n}": "correct" for n in (1, 2, 3, 4)}


@pytest.mark.slow
def test_runs_with_another_image_and_studies_that_image(run_notebook, needs_bundled_mask2former):
    image_index = 8
    parameters = {"image_index": image_index, "checkpoint_source": "bundled", "seed": 1}
    executed = run_notebook(NOTEBOOK, parameters, solved=True)
    text = executed.stdout
    expected = open_dataset(data_dir() / "toy-shapes", "val", "instance")[image_index]
    assert f"Studying {expected.file_name}" in text
    assert f"Predicting {expected.file_name}" in text
    assert f"{len(expected.masks)} objects -> masks of shape ({len(expected.masks)}, 128, 128)" in text
    assert "bundled TOY checkpoint" in text
    assert executed.feedback == SOLVED  # the worked solutions pass the self-check with these parameters
    # the sentences about the prediction are about this image, and count its things
    things = sum(expected.category_by_id[int(c)].isthing for c in expected.category_ids)
    described = executed.markdown
    if things:
        assert f"Of the {things} thing" in described and f"annotation of {expected.file_name}" in described
    else:
        assert f"The annotation of {expected.file_name} has no things." in described
    assert "Semantic and panoptic post-processing of the same outputs" in described
