"""Notebook 04 runs headless with papermill and non-default parameters, and really uses them."""

from __future__ import annotations

import base64
import io

import pytest
from PIL import Image

from segtutor.comparison import checkpoint_dirs
from segtutor.paths import data_dir, repo_root

NOTEBOOK = repo_root() / "notebooks" / "04_detr_maskformer_mask2former.ipynb"
SOLVED = {f"Exercise {n}": "correct" for n in (1, 2, 3, 4, 5)}


def _ready() -> bool:
    return len(checkpoint_dirs()) == 4 and (data_dir() / "comparison" / "convergence.json").is_file()


def _pngs(notebook) -> list[Image.Image]:
    return [
        Image.open(io.BytesIO(base64.b64decode(output["data"]["image/png"])))
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
        if "image/png" in output.get("data", {})
    ]


def _texts(notebook) -> str:
    parts = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []) if cell.cell_type == "code" else []:
            parts.append(output.get("text", ""))
            for mime in ("text/plain", "text/markdown"):
                parts.append("".join(output.get("data", {}).get(mime, "")))
    return "\n".join(parts)


@pytest.mark.slow
@pytest.mark.skipif(not _ready(), reason="needs the bundled checkpoints and data/comparison/convergence.json")
def test_one_image_and_a_smaller_latency_input(run_notebook):
    parameters = {
        "checkpoint_source": "bundled",
        "image_indices": [3],
        "latency_size": 64,
        "latency_repeats": 2,
        "threshold": 0.3,
        "seed": 1,
    }
    executed = run_notebook(NOTEBOOK, parameters, solved=True)
    text = _texts(executed.notebook)
    assert "Using 1 ToyShapes validation image (" in text
    assert "val_00003.png" in text
    # the live latency table: one row per toy model, but the toy EoMT's ViT only takes 128 px
    assert text.count("| 1×3×64×64 |") == 3
    predictions = _pngs(executed.notebook)[-1]  # one row of four panels (DETR, MaskFormer, Mask2Former, EoMT)
    assert predictions.width > 3 * predictions.height
    assert text.count("bundled TOY checkpoint") == 4
    assert executed.feedback == SOLVED  # the worked solutions pass the self-check with these parameters
