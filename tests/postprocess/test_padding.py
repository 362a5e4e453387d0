"""Correct mode crops the batch padding: an image gives the same result alone or in a padded batch."""

from __future__ import annotations

import pytest
import torch
from transformers.models.mask2former.modeling_mask2former import Mask2FormerForUniversalSegmentationOutput

from segtutor.postprocess import instance, panoptic, semantic

STRIDE = 4  # both models predict masks at 1/4 of the padded input resolution
TASKS = {
    "semantic": lambda outputs, **kw: semantic(outputs, **kw),
    "instance": lambda outputs, **kw: instance(outputs, threshold=0.3, **kw),
    "panoptic": lambda outputs, **kw: panoptic(outputs, threshold=0.3, label_ids_to_fuse={0}, **kw),
}


def _maps(results):
    return [r if isinstance(r, torch.Tensor) else r["segmentation"] for r in results]


def _infos(results):
    return [None if isinstance(r, torch.Tensor) else r["segments_info"] for r in results]


def _alone_and_padded(synthetic, seed: int):
    """Image A alone (20x28 mask grid), and A next to a larger image B with junk in A's padding."""
    alone = synthetic("mask2former", seed=seed, mask_size=(20, 28), confident=5)
    other = synthetic("mask2former", seed=seed + 100, mask_size=(32, 24), confident=5)
    queries = alone.class_queries_logits.shape[1]
    class_logits = torch.cat([alone.class_queries_logits, other.class_queries_logits])
    mask_logits = torch.randn(2, queries, 32, 28, generator=torch.Generator().manual_seed(seed)) * 5
    mask_logits[0, :, :20, :28] = alone.masks_queries_logits[0]
    mask_logits[1, :, :32, :24] = other.masks_queries_logits[0]
    pixel_mask = torch.zeros(2, 32 * STRIDE, 28 * STRIDE, dtype=torch.long)
    pixel_mask[0, : 20 * STRIDE, : 28 * STRIDE] = 1
    pixel_mask[1, : 32 * STRIDE, : 24 * STRIDE] = 1
    padded = Mask2FormerForUniversalSegmentationOutput(
        class_queries_logits=class_logits, masks_queries_logits=mask_logits
    )
    return alone, padded, pixel_mask


@pytest.mark.parametrize("task", list(TASKS))
@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("target", [(60, 84), None])
def test_image_alone_equals_image_in_padded_batch(synthetic, task, seed, target):
    alone, padded, pixel_mask = _alone_and_padded(synthetic, seed)
    single = TASKS[task](alone, target_sizes=None if target is None else [target])
    batched = TASKS[task](
        padded, pixel_mask=pixel_mask, target_sizes=None if target is None else [target, (50, 40)]
    )
    assert torch.equal(_maps(single)[0], _maps(batched)[0])
    assert _infos(single)[0] == _infos(batched)[0]


@pytest.mark.parametrize("task", list(TASKS))
def test_processed_sizes_crop_like_pixel_mask(synthetic, task):
    _, padded, pixel_mask = _alone_and_padded(synthetic, 2)
    by_mask = TASKS[task](padded, pixel_mask=pixel_mask, target_sizes=[(60, 84), (64, 48)])
    by_sizes = TASKS[task](
        padded,
        processed_sizes=[(20 * STRIDE, 28 * STRIDE), (32 * STRIDE, 24 * STRIDE)],
        target_sizes=[(60, 84), (64, 48)],
    )
    for a, b in zip(_maps(by_mask), _maps(by_sizes), strict=True):
        assert torch.equal(a, b)


def test_transformers_lets_padding_leak_into_the_map(synthetic):
    """The bug correct mode fixes: compatible (transformers) results change when the image is padded."""
    alone, padded, _ = _alone_and_padded(synthetic, 0)
    single = semantic(alone, target_sizes=[(60, 84)], compatible=True)[0]
    batched = semantic(padded, target_sizes=[(60, 84), (64, 48)], compatible=True)[0]
    assert not torch.equal(single, batched)


def test_crop_follows_the_processors_pixel_mask(tiny_model_outputs):
    """Real processor padding: a 64x96 image padded to 96x96 covers 16x24 of the 24x24 mask grid."""
    outputs, pixel_mask, _ = tiny_model_outputs[("mask2former", 0)]
    valid = pixel_mask.bool()
    rows, cols = valid.any(2).sum(1).tolist(), valid.any(1).sum(1).tolist()
    maps = semantic(outputs, pixel_mask=pixel_mask)
    grid = outputs.masks_queries_logits.shape[-2:]
    for semantic_map, r, c in zip(maps, rows, cols, strict=True):
        expected = (grid[0] * r // pixel_mask.shape[1], grid[1] * c // pixel_mask.shape[2])
        assert tuple(semantic_map.shape) == expected
    assert {tuple(m.shape) for m in maps} == {(16, 24), (24, 16)}


def test_processor_pixel_mask_gives_the_same_result_as_a_batch_of_one(tiny_model_outputs):
    """Processing an image alone (no padding) vs in a batch: same map once padding is cropped.

    Uses the processor's own pixel_mask; the logits of the valid region are copied so that only
    the post-processing is compared (a real model also sees the padding).
    """
    outputs, pixel_mask, sizes = tiny_model_outputs[("maskformer", 1)]
    valid = pixel_mask[0].bool()
    rows, cols = valid.any(1).sum().item() // STRIDE, valid.any(0).sum().item() // STRIDE
    alone = type(outputs)(
        class_queries_logits=outputs.class_queries_logits[:1] * 8,
        masks_queries_logits=outputs.masks_queries_logits[:1, :, :rows, :cols].contiguous(),
    )
    batched = type(outputs)(
        class_queries_logits=outputs.class_queries_logits * 8,
        masks_queries_logits=outputs.masks_queries_logits,
    )
    single = panoptic(alone, threshold=0.2, target_sizes=[sizes[0]])
    together = panoptic(batched, threshold=0.2, pixel_mask=pixel_mask, target_sizes=sizes)
    assert torch.equal(single[0]["segmentation"], together[0]["segmentation"])
    assert single[0]["segments_info"] == together[0]["segments_info"]
