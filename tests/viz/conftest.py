"""Tiny synthetic scenes for the drawing tests: a 24 x 32 image with sky, grass, two circles and a square."""

from __future__ import annotations

import matplotlib
import numpy as np
import pytest
import torch

from segtutor.categories import Category
from segtutor.data.targets import Sample

matplotlib.use("Agg")

H, W = 24, 32
CATEGORIES = [
    Category(0, "sky", False, (110, 170, 230)),
    Category(1, "grass", False, (70, 150, 60)),
    Category(2, "circle", True, (230, 60, 60)),
    Category(3, "square", True, (240, 200, 40)),
    Category(4, "triangle", True, (150, 70, 200)),  # never present in the scene
]


def make_sample(seed: int = 0) -> Sample:
    """Sky (rows 0-11), grass (rows 12-23), circle A at rows 2-7 x cols 2-9, circle B at rows 14-19 x
    cols 4-11, a square at rows 14-21 x cols 20-27; the last column is unlabelled (ignore)."""
    rng = np.random.default_rng(seed)
    image = rng.integers(0, 256, size=(H, W, 3), dtype=np.uint8)
    masks = np.zeros((5, H, W), dtype=bool)
    masks[0, :12] = True
    masks[1, 12:] = True
    masks[2, 2:8, 2:10] = True
    masks[3, 14:20, 4:12] = True
    masks[4, 14:22, 20:28] = True
    masks[0, :, -1] = masks[1, :, -1] = False
    masks[0][masks[2]] = False
    masks[1][masks[3] | masks[4]] = False
    ignore = np.zeros((H, W), dtype=bool)
    ignore[:, -1] = True
    return Sample(
        image=image, masks=masks, category_ids=np.array([0, 1, 2, 2, 3]), ignore=ignore, kind="panoptic",
        categories=list(CATEGORIES), file_name=f"scene_{seed}.png", image_id=seed,
        segment_ids=np.array([10, 11, 12, 13, 14]),
    )


@pytest.fixture
def sample() -> Sample:
    return make_sample(0)


@pytest.fixture
def categories() -> list[Category]:
    return list(CATEGORIES)


@pytest.fixture
def panoptic_result(sample):
    """A transformers-style panoptic result for ``sample``: ids 1..5, 0 where nothing was found."""
    seg = np.zeros((H, W), dtype=np.int32)
    for i, mask in enumerate(sample.masks, start=1):
        seg[mask] = i
    seg[:, -1] = 0
    info = [
        {"id": i, "label_id": int(c), "was_fused": c < 2, "score": round(0.95 - 0.1 * i, 2)}
        for i, c in enumerate(sample.category_ids, start=1)
    ]
    return {"segmentation": seg, "segments_info": info}


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


@pytest.fixture
def scene_factory():
    """``make_sample(seed)``: more scenes like ``sample`` (same layout, other pixels)."""
    return make_sample


@pytest.fixture
def model_outputs(sample):
    """Mask2Former-like outputs for ``sample`` (batch of one, 8 queries, masks at half resolution).

    Queries 0-4 predict the sample's five segments (sky, grass, circle, circle, square) with class
    probabilities of about 0.98, 0.9, 0.8, 0.7 and 0.55, except that query 0 covers only the left half of
    the sky; query 5 predicts the right half of the sky (probability 0.9); queries 6 and 7 predict
    "no object".
    """
    from transformers.models.mask2former.modeling_mask2former import (
        Mask2FormerForUniversalSegmentationOutput,
    )

    no_object = len(CATEGORIES)
    logits = torch.full((8, no_object + 1), -9.0)
    logits[:, no_object] = 6.0
    masks = torch.full((8, H // 2, W // 2), -8.0)
    small = torch.from_numpy(sample.masks[:, ::2, ::2].copy())
    left = torch.arange(W // 2) < W // 4
    layout = [(0, small[0] & left, 0.98), (1, small[1], 0.9), (2, small[2], 0.8), (2, small[3], 0.7),
              (3, small[4], 0.55), (0, small[0] & ~left, 0.9)]
    for q, (cid, mask, p) in enumerate(layout):
        logits[q, cid] = 0.0
        logits[q, no_object] = float(np.log((1 - p) / p))  # softmax over {class, no object} gives ~p
        masks[q][mask] = 8.0
    return Mask2FormerForUniversalSegmentationOutput(class_queries_logits=logits[None],
                                                     masks_queries_logits=masks[None])


@pytest.fixture(scope="session")
def tiny_mask2former():
    """A tiny random Mask2Former run on ``make_sample(0)``: (sample, model, processor, inputs, outputs)."""
    from segtutor.models.tiny import build_tiny_model, make_image_processor

    scene = make_sample(0)
    model = build_tiny_model("mask2former", {c.id: c.name for c in CATEGORIES}, image_size=64).eval()
    processor = make_image_processor("mask2former", image_size=64)
    inputs = processor(images=scene.image, return_tensors="pt")
    with torch.no_grad():
        outputs = model(pixel_values=inputs["pixel_values"])
    return scene, model, processor, inputs, outputs
