"""compatible=True gives exactly transformers' results: same maps, dtypes, segments_info and order."""

from __future__ import annotations

from collections.abc import Mapping

import pytest
import torch
from transformers import Mask2FormerImageProcessor, MaskFormerImageProcessor
from transformers.models.mask2former.modeling_mask2former import Mask2FormerForUniversalSegmentationOutput
from transformers.models.maskformer.modeling_maskformer import MaskFormerForInstanceSegmentationOutput

from segtutor.postprocess import instance, panoptic, semantic

OUTPUT_CLASSES = {
    "mask2former": Mask2FormerForUniversalSegmentationOutput,
    "maskformer": MaskFormerForInstanceSegmentationOutput,
}
PROCESSOR_CLASSES = {"mask2former": Mask2FormerImageProcessor, "maskformer": MaskFormerImageProcessor}

TASKS = {
    "semantic": (semantic, "post_process_semantic_segmentation"),
    "instance": (instance, "post_process_instance_segmentation"),
    "panoptic": (panoptic, "post_process_panoptic_segmentation"),
}
OPTIONS = {
    "semantic": [{}, {"return_segmentation_scores": True}],
    "instance": [
        {},
        {"threshold": 0.05, "return_binary_maps": True},
        {"threshold": 0.3, "return_coco_annotation": True},
    ],
    "panoptic": [
        {},
        {"threshold": 0.2, "label_ids_to_fuse": {0, 1, 2}},
        {
            "threshold": 0.1,
            "mask_threshold": 0.3,
            "overlap_mask_area_threshold": 0.4,
            "label_ids_to_fuse": {4},
        },
    ],
}


def assert_identical(ours, theirs, where="result"):
    """Same types, dtypes, shapes and values all the way down (``torch.equal`` for tensors)."""
    assert type(ours) is type(theirs), f"{where}: {type(ours).__name__} vs {type(theirs).__name__}"
    if isinstance(theirs, torch.Tensor):
        assert ours.dtype == theirs.dtype, f"{where}: dtype {ours.dtype} vs {theirs.dtype}"
        assert ours.shape == theirs.shape, f"{where}: shape {tuple(ours.shape)} vs {tuple(theirs.shape)}"
        assert torch.equal(ours, theirs), f"{where}: {(ours != theirs).sum()} values differ"
    elif isinstance(theirs, Mapping):
        assert list(ours) == list(theirs), f"{where}: keys {list(ours)} vs {list(theirs)}"
        for key in theirs:
            assert_identical(ours[key], theirs[key], f"{where}[{key!r}]")
    elif isinstance(theirs, list | tuple):
        assert len(ours) == len(theirs), f"{where}: length {len(ours)} vs {len(theirs)}"
        for i, (a, b) in enumerate(zip(ours, theirs, strict=True)):
            assert_identical(a, b, f"{where}[{i}]")
    else:
        assert ours == theirs, f"{where}: {ours!r} vs {theirs!r}"


def check_task(task, outputs, architecture, target_sizes):
    ours, method = TASKS[task]
    processor = PROCESSOR_CLASSES[architecture]()
    for options in OPTIONS[task]:
        expected = getattr(processor, method)(outputs, target_sizes=target_sizes, **options)
        got = ours(outputs, target_sizes=target_sizes, compatible=True, **options)
        assert_identical(got, expected, f"{task} {options}")


SYNTHETIC_CASES = [
    # seed, batch, queries, classes, mask grid, confident queries, target sizes per image (None = no resize)
    (0, 1, 20, 7, (24, 32), 6, [(97, 130)]),
    (1, 2, 20, 7, (24, 32), 6, [(40, 60), (13, 9)]),
    (2, 1, 30, 12, (40, 30), 10, None),
    (3, 3, 8, 3, (16, 16), 3, [(16, 16), (33, 17), (64, 64)]),
    (4, 1, 1, 3, (8, 8), 1, [(20, 30)]),
    (5, 1, 30, 4, (12, 20), 0, [(30, 50)]),  # nothing confident
    # outputs large enough for the shared-planes resizing (height + width > 256)
    (6, 2, 16, 5, (24, 32), 5, [(150, 200), (300, 100)]),
    (7, 1, 24, 9, (30, 40), 10, [(240, 320)]),
]


@pytest.mark.parametrize("architecture", ["mask2former", "maskformer"])
@pytest.mark.parametrize("task", list(TASKS))
@pytest.mark.parametrize("case", SYNTHETIC_CASES, ids=[f"seed{c[0]}" for c in SYNTHETIC_CASES])
def test_synthetic_outputs_match_transformers(synthetic, architecture, task, case):
    seed, batch, queries, classes, grid, confident, target_sizes = case
    outputs = synthetic(
        architecture,
        seed=seed,
        batch=batch,
        queries=queries,
        classes=classes,
        mask_size=grid,
        confident=confident,
    )
    check_task(task, outputs, architecture, target_sizes)


@pytest.mark.parametrize("architecture", ["mask2former", "maskformer"])
@pytest.mark.parametrize("task", list(TASKS))
@pytest.mark.parametrize(
    ("seed", "confidence", "resize"),
    [(0, 1.0, True), (1, 8.0, True), (1, 8.0, False)],
    ids=["raw", "sharp", "sharp-grid"],
)
def test_tiny_model_outputs_match_transformers(
    tiny_model_outputs, architecture, task, seed, confidence, resize
):
    outputs, _, sizes = tiny_model_outputs[(architecture, seed)]
    # random weights give near-uniform classes; sharpening the logits makes some queries confident
    outputs = OUTPUT_CLASSES[architecture](
        class_queries_logits=outputs.class_queries_logits * confidence,
        masks_queries_logits=outputs.masks_queries_logits,
    )
    check_task(task, outputs, architecture, sizes if resize else None)


@pytest.mark.parametrize("architecture", ["mask2former", "maskformer"])
def test_no_kept_query_matches_transformers(synthetic, architecture):
    outputs = synthetic(architecture, seed=7, confident=4)
    processor = PROCESSOR_CLASSES[architecture]()
    for options in [{"threshold": 1.0}, {"threshold": 1.0, "return_binary_maps": True}]:
        expected = processor.post_process_instance_segmentation(outputs, target_sizes=[(30, 20)], **options)
        assert_identical(instance(outputs, target_sizes=[(30, 20)], compatible=True, **options), expected)
    expected = processor.post_process_panoptic_segmentation(outputs, threshold=1.0)
    assert_identical(panoptic(outputs, threshold=1.0, compatible=True), expected)
    assert expected[0]["segments_info"] == []


def test_mask_hidden_by_nearest_downsampling_is_dropped_like_transformers():
    """A one-pixel mask can vanish when the map is made smaller; transformers then drops the object."""
    class_logits = torch.tensor([[[9.0, 0.0, 0.0], [0.0, 9.0, 0.0]]])
    mask_logits = torch.full((1, 2, 16, 16), -5.0)
    mask_logits[0, 0, 4:12, 4:12] = 5.0
    mask_logits[0, 1, 1, 1] = 5.0  # only a source pixel that nearest downsampling skips
    outputs = OUTPUT_CLASSES["maskformer"](
        class_queries_logits=class_logits, masks_queries_logits=mask_logits
    )
    expected = PROCESSOR_CLASSES["maskformer"]().post_process_instance_segmentation(
        outputs, threshold=0.1, target_sizes=[(4, 4)]
    )
    got = instance(outputs, threshold=0.1, target_sizes=[(4, 4)], compatible=True)
    assert_identical(got, expected)
    assert [s["label_id"] for s in got[0]["segments_info"]] == [0]
