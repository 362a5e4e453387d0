"""Correct mode (the default): results, conventions, edge cases and errors."""

from __future__ import annotations

import types

import pytest
import torch
from transformers.models.maskformer.modeling_maskformer import MaskFormerForInstanceSegmentationOutput

from segtutor.postprocess import instance, panoptic, semantic


def _outputs(class_logits, mask_logits, cls=MaskFormerForInstanceSegmentationOutput):
    return cls(class_queries_logits=class_logits, masks_queries_logits=mask_logits)


def _stripes(labels: list[int], width: int = 4, height: int = 6):
    """One confident query per vertical stripe, with the given class ids (5 classes + "no object")."""
    queries = len(labels)
    class_logits = torch.full((1, queries, 6), -5.0)
    mask_logits = torch.full((1, queries, height, width * queries), -8.0)
    for q, label in enumerate(labels):
        class_logits[0, q, label] = 8.0
        mask_logits[0, q, :, q * width : (q + 1) * width] = 8.0
    return _outputs(class_logits, mask_logits)


def test_fused_class_gets_one_id_and_one_entry():
    outputs = _stripes([0, 1, 0, 2])
    result = panoptic(outputs, label_ids_to_fuse={0})[0]
    ids = [s["id"] for s in result["segments_info"]]
    assert ids == [1, 2, 3]
    assert [s["label_id"] for s in result["segments_info"]] == [0, 1, 2]
    assert result["segments_info"][0]["was_fused"] is True
    assert torch.equal(result["segmentation"][0, ::4], torch.tensor([1, 2, 1, 3]))


def test_transformers_reuses_an_id_after_a_fused_class_reappears():
    """The transformers behaviour compatible mode keeps: stripes 2 and 4 share id 2."""
    result = panoptic(_stripes([0, 1, 0, 2]), label_ids_to_fuse={0}, compatible=True)[0]
    assert [s["id"] for s in result["segments_info"]] == [1, 2, 1, 2]
    assert torch.equal(result["segmentation"][0, ::4], torch.tensor([1, 2, 1, 2], dtype=torch.int32))


def test_pixels_of_a_rejected_segment_are_minus_one():
    """Query 1 claims the whole image but wins only a third of it: it is rejected."""
    class_logits = torch.tensor([[[8.0, -5, -5], [-5, 8.0, -5]]])
    mask_logits = torch.full((1, 2, 6, 9), 3.0)
    mask_logits[0, 0, :, :6] = 9.0
    mask_logits[0, 0, :, 6:] = -9.0
    result = panoptic(_outputs(class_logits, mask_logits))[0]
    segmentation = result["segmentation"]
    assert segmentation.dtype == torch.int64
    assert (segmentation[:, :6] == 1).all() and (segmentation[:, 6:] == -1).all()
    assert [s["label_id"] for s in result["segments_info"]] == [0]
    legacy = panoptic(_outputs(class_logits, mask_logits), compatible=True)[0]["segmentation"]
    assert (legacy[:, 6:] == 0).all()


def test_correct_mode_matches_transformers_maskformer_when_nothing_is_padded(synthetic):
    outputs = synthetic("maskformer", seed=11, batch=2)
    sizes = [(150, 170), (31, 20)]
    for ours, theirs in zip(
        semantic(outputs, target_sizes=sizes),
        semantic(outputs, target_sizes=sizes, compatible=True),
        strict=True,
    ):
        assert torch.equal(ours, theirs)
    ours = panoptic(outputs, target_sizes=sizes, threshold=0.3)
    theirs = panoptic(outputs, target_sizes=sizes, threshold=0.3, compatible=True)
    for a, b in zip(ours, theirs, strict=True):
        assert torch.equal(
            a["segmentation"], torch.where(b["segmentation"] == 0, -1, b["segmentation"]).long()
        )
        assert a["segments_info"] == b["segments_info"]


@pytest.mark.parametrize("task", [semantic, instance, panoptic])
def test_correct_mode_has_no_384_detour(synthetic, task):
    """Mask2Former and MaskFormer outputs with the same tensors give the same result."""
    m2f = synthetic("mask2former", seed=5)
    mf = _outputs(m2f.class_queries_logits, m2f.masks_queries_logits)
    a, b = task(m2f, target_sizes=[(45, 61)])[0], task(mf, target_sizes=[(45, 61)])[0]
    if isinstance(a, dict):
        assert a["segments_info"] == b["segments_info"]
        a, b = a["segmentation"], b["segmentation"]
    assert torch.equal(a, b)


def test_instance_mask_threshold_shrinks_masks_only_in_correct_mode(synthetic):
    outputs = synthetic("maskformer", seed=2)
    areas = []
    for mask_threshold in (0.3, 0.5, 0.8):
        result = instance(outputs, mask_threshold=mask_threshold, threshold=0.2, return_binary_maps=True)[0]
        areas.append(result["segmentation"].sum().item())
    assert areas[0] > areas[1] > areas[2]
    low = instance(outputs, mask_threshold=0.3, compatible=True)[0]["segmentation"]
    high = instance(outputs, mask_threshold=0.8, compatible=True)[0]["segmentation"]
    assert torch.equal(low, high)  # transformers ignores mask_threshold


@pytest.mark.parametrize("task", [semantic, instance, panoptic])
def test_output_size_is_the_target_or_the_mask_grid(synthetic, task):
    outputs = synthetic("mask2former", seed=3, batch=2, mask_size=(24, 32))
    for result, size in zip(task(outputs, target_sizes=[(37, 50), (8, 9)]), [(37, 50), (8, 9)], strict=True):
        segmentation = result if isinstance(result, torch.Tensor) else result["segmentation"]
        assert tuple(segmentation.shape) == size
    result = task(outputs)[0]
    segmentation = result if isinstance(result, torch.Tensor) else result["segmentation"]
    assert tuple(segmentation.shape) == (24, 32)


@pytest.mark.parametrize("task", [semantic, instance, panoptic])
def test_a_batch_gives_the_same_results_as_images_one_by_one(synthetic, task):
    outputs = synthetic("mask2former", seed=4, batch=3)
    sizes = [(30, 40), (25, 25), (40, 30)]
    together = task(outputs, target_sizes=sizes)
    for i, size in enumerate(sizes):
        alone = _outputs(outputs.class_queries_logits[i : i + 1], outputs.masks_queries_logits[i : i + 1])
        a, b = task(alone, target_sizes=[size])[0], together[i]
        if isinstance(a, dict):
            assert a["segments_info"] == b["segments_info"]
            a, b = a["segmentation"], b["segmentation"]
        assert torch.equal(a, b)


@pytest.mark.parametrize("compatible", [False, True])
def test_inputs_are_left_untouched(synthetic, compatible):
    outputs = synthetic("mask2former", seed=6)
    before = (outputs.class_queries_logits.clone(), outputs.masks_queries_logits.clone())
    semantic(outputs, target_sizes=[(30, 30)], compatible=compatible)
    instance(outputs, target_sizes=[(30, 30)], threshold=0.1, compatible=compatible)
    panoptic(outputs, target_sizes=[(30, 30)], threshold=0.1, compatible=compatible)
    assert torch.equal(outputs.class_queries_logits, before[0])
    assert torch.equal(outputs.masks_queries_logits, before[1])


def test_nothing_detected_gives_empty_results(synthetic):
    outputs = synthetic("maskformer", seed=8, confident=0)
    result = panoptic(outputs, target_sizes=[(7, 9)])[0]
    assert result["segments_info"] == []
    assert torch.equal(result["segmentation"], torch.full((7, 9), -1))
    result = instance(outputs, target_sizes=[(7, 9)], threshold=0.9)[0]
    assert result["segments_info"] == [] and torch.equal(result["segmentation"], torch.full((7, 9), -1))
    binary = instance(outputs, target_sizes=[(7, 9)], threshold=0.9, return_binary_maps=True)[0]
    assert binary["segmentation"].shape == (0, 7, 9)


def test_single_query_model():
    class_logits = torch.tensor([[[5.0, -5.0]]])
    mask_logits = torch.full((1, 1, 4, 4), -5.0)
    mask_logits[0, 0, 1:3, 1:3] = 5.0
    outputs = _outputs(class_logits, mask_logits)
    assert torch.equal(semantic(outputs)[0], torch.zeros(4, 4, dtype=torch.long))
    inst = instance(outputs)[0]
    assert [s["id"] for s in inst["segments_info"]] == [0]
    assert inst["segmentation"].eq(0).sum() == 4
    pan = panoptic(outputs)[0]
    assert [s["id"] for s in pan["segments_info"]] == [1]
    assert pan["segmentation"].eq(1).all()  # as in transformers, the only kept query owns every pixel


def test_coco_annotation_runs_rebuild_the_map(synthetic):
    outputs = synthetic("maskformer", seed=9)
    plain = instance(outputs, threshold=0.3, target_sizes=[(20, 25)])[0]["segmentation"]
    runs = instance(outputs, threshold=0.3, target_sizes=[(20, 25)], return_coco_annotation=True)[0][
        "segmentation"
    ]
    rebuilt = torch.full((20 * 25,), -2)
    for segment_id, rle in zip(plain.unique().tolist(), runs, strict=True):
        for start, length in zip(rle[::2], rle[1::2], strict=True):
            rebuilt[start - 1 : start - 1 + length] = segment_id
    assert torch.equal(rebuilt.view(20, 25), plain)


def test_segmentation_scores_are_the_resized_class_scores(synthetic):
    outputs = synthetic("mask2former", seed=10, classes=7)
    result = semantic(outputs, target_sizes=[(33, 44)], return_segmentation_scores=True)[0]
    assert result.segmentation_scores.shape == (7, 33, 44)
    assert torch.equal(result.segmentation, result.segmentation_scores.argmax(0))
    assert torch.equal(result.segmentation, semantic(outputs, target_sizes=[(33, 44)])[0])


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda o: semantic(object()), TypeError, "class_queries_logits"),
        (
            lambda o: semantic(o, target_sizes=[(5, 5), (6, 6)]),
            ValueError,
            "one \\(height, width\\) per image",
        ),
        (lambda o: semantic(o, target_sizes=[(0, 5)]), ValueError, "positive integers"),
        (
            lambda o: panoptic(o, pixel_mask=torch.ones(1, 8, 8), compatible=True),
            ValueError,
            "ignores padding",
        ),
        (lambda o: panoptic(o, pixel_mask=torch.ones(2, 8, 8)), ValueError, "pixel_mask must have shape"),
        (lambda o: panoptic(o, pixel_mask=torch.zeros(1, 8, 8)), ValueError, "non-empty"),
        (
            lambda o: instance(o, return_binary_maps=True, return_coco_annotation=True),
            ValueError,
            "choose one",
        ),
        (
            lambda o: semantic(types.SimpleNamespace(**o), compatible=True),
            TypeError,
            "which transformers processor",
        ),
        (
            lambda o: semantic(
                types.SimpleNamespace(
                    class_queries_logits=o.class_queries_logits,
                    masks_queries_logits=o.masks_queries_logits[:, :2],
                )
            ),
            ValueError,
            "same batch",
        ),
        (
            lambda o: panoptic(
                types.SimpleNamespace(
                    class_queries_logits=o.class_queries_logits,
                    masks_queries_logits=o.masks_queries_logits.index_fill(2, torch.tensor([1]), torch.nan),
                ),
                target_sizes=[(40, 60)],
            ),
            ValueError,
            "masks_queries_logits holds .* NaN or infinite values .* float32",
        ),
        (
            lambda o: semantic(
                types.SimpleNamespace(
                    class_queries_logits=o.class_queries_logits.clone().fill_(torch.inf),
                    masks_queries_logits=o.masks_queries_logits,
                )
            ),
            ValueError,
            "class_queries_logits holds",
        ),
    ],
)
def test_bad_inputs_raise_helpful_errors(synthetic, call, error, message):
    outputs = synthetic("mask2former", seed=0)
    with pytest.raises(error, match=message):
        call(outputs)
