"""Notebook 03 runs headless with papermill and non-default parameters, and really uses them."""

from __future__ import annotations

import pytest

from segtutor.paths import repo_root

NOTEBOOK = repo_root() / "notebooks" / "03_finetuning.ipynb"
SOLVED = {f"Exercise {n}": "correct" for n in (1, 2, 3, 4)}


@pytest.mark.slow
def test_short_semantic_run_uses_the_parameters(run_notebook, needs_bundled_mask2former):
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
    executed = run_notebook(NOTEBOOK, parameters, solved=True)
    text = executed.stdout
    assert "semantic format: 8 training and 4 validation images" in text
    assert "bundled TOY checkpoint" in text
    assert "trained rows reused for: sky, grass, circle, square, triangle" in text
    assert "new classes: star, starting from the mean row of circle, square, triangle" in text
    assert "4 steps of 2 images" in text
    # eval_every = steps // 2: validation mIoU (the semantic format's metric) at steps 2 and 4
    assert "step    2: val mIoU" in text and "step    4: val mIoU" in text
    assert "| mIoU |" in text and "| PQ |" not in text  # semantic PNGs give mIoU, never PQ
    assert "identical outputs after reloading: True" in text
    assert "Not uploading: push_to_hub is False" in text
    assert executed.feedback == SOLVED  # the worked solutions pass the self-check with these parameters
    # the computed sentences quote the numbers of the tables printed beside them
    before, after = (_table_value(text, title, "mIoU") for title in ("before fine-tuning", "after 4 steps"))
    assert "After 4 steps, mIoU over all classes" in executed.markdown
    assert f"from {before} % to {after} %" in executed.markdown
    checks = [line for line in text.splitlines() if line[:2] in ("✓ ", "✗ ")]
    assert len(checks) == 3 and checks[2].startswith(("✓ star (new class): IoU", "✗ star (new class): IoU"))


def _table_value(text: str, title: str, metric: str) -> str:
    """The 'all' column of ``metric`` in the printed table whose title starts with ``title``."""
    table = text.split(f"**{title}")[1]
    row = next(line for line in table.splitlines() if line.startswith(f"| {metric} |"))
    return row.split("|")[2].strip()


@pytest.mark.slow
def test_short_panoptic_run_follows_every_validation_star(run_notebook, needs_bundled_mask2former):
    parameters = {"checkpoint_source": "bundled", "n_train": 8, "n_val": 6, "image_size": 64, "steps": 4,
                  "batch_size": 2, "seed": 2, "browse_index": 0, "show_index": 1}
    executed = run_notebook(NOTEBOOK, parameters)
    counts = next(line for line in executed.stdout.splitlines() if line.startswith("val "))
    stars = int(counts.rsplit("star ", 1)[1]) if "star " in counts else 0
    lines = executed.markdown.splitlines()
    reviews = [line for line in lines if line.startswith("In the 6 validation images")]
    assert len(reviews) == 2  # before and after training, each about the stars this run generated
    for review, model in zip(reviews, ("The starting model", "The fine-tuned model"), strict=True):
        verb = "is" if stars == 1 else "are"
        assert review.startswith(f"In the 6 validation images there {verb} {stars} star")
        if stars:
            assert model in review
    before = _table_value(executed.stdout, "before fine-tuning", "PQ")
    assert "After 4 steps, PQ over all classes" in executed.markdown
    assert f"from {before} %" in executed.markdown
