"""EoMT outputs: compatible mode is EomtImageProcessor's post-processing; default mode crops its canvas.

Compatible mode calls the processor's own methods: these tests check that every option reaches them.
"""

from __future__ import annotations

import pytest
import torch
from transformers import EomtImageProcessor

from segtutor.postprocess import instance, panoptic, semantic

SIZE = {"shortest_edge": 128, "longest_edge": 128}  # the canvas: 128 x 128, as the bundled toy's processor
# square, wide (padded below) and tall (padded right) originals, two per batch
TARGETS = [[(128, 128), (64, 64)], [(90, 128), (200, 120)], [(128, 60), (33, 47)]]


def _processor() -> EomtImageProcessor:
    return EomtImageProcessor(size=SIZE, do_pad=True)


@pytest.mark.parametrize("targets", TARGETS)
@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("stuff", [None, [0, 1]])
def test_panoptic_equals_transformers_in_compatible_mode(synthetic, targets, seed, stuff):
    outputs = synthetic("eomt", seed=seed, batch=2, classes=5, mask_size=(32, 32))
    expected = _processor().post_process_panoptic_segmentation(
        outputs, target_sizes=targets, threshold=0.8, stuff_classes=stuff
    )
    got = panoptic(
        outputs, target_sizes=targets, size=SIZE, threshold=0.8, label_ids_to_fuse=stuff, compatible=True
    )
    for ours, theirs in zip(got, expected, strict=True):
        assert ours["segments_info"] == theirs["segments_info"]
        assert ours["segmentation"].dtype == theirs["segmentation"].dtype
        assert torch.equal(ours["segmentation"], theirs["segmentation"])


def test_panoptic_with_no_confident_query_is_a_float_map_of_minus_one_like_transformers(synthetic):
    outputs = synthetic("eomt", seed=0, batch=1, classes=5, mask_size=(32, 32), confident=0)
    expected = _processor().post_process_panoptic_segmentation(outputs, target_sizes=[(50, 60)])
    got = panoptic(outputs, target_sizes=[(50, 60)], size=SIZE, threshold=0.8, compatible=True)
    assert got[0]["segments_info"] == expected[0]["segments_info"] == []
    assert torch.equal(got[0]["segmentation"], expected[0]["segmentation"])


@pytest.mark.parametrize("targets", TARGETS)
@pytest.mark.parametrize("seed", [0, 3])
def test_instance_equals_transformers_in_compatible_mode(synthetic, targets, seed):
    outputs = synthetic("eomt", seed=seed, batch=2, classes=5, mask_size=(32, 32))
    expected = _processor().post_process_instance_segmentation(outputs, target_sizes=targets, threshold=0.5)
    got = instance(outputs, target_sizes=targets, size=SIZE, threshold=0.5, compatible=True)
    for ours, theirs in zip(got, expected, strict=True):
        assert ours["segments_info"] == theirs["segments_info"]
        assert torch.equal(ours["segmentation"], theirs["segmentation"])


@pytest.mark.parametrize("targets", TARGETS)
def test_semantic_equals_transformers_in_compatible_mode(synthetic, targets):
    outputs = synthetic("eomt", seed=4, batch=2, classes=5, mask_size=(32, 32))
    expected = _processor().post_process_semantic_segmentation(outputs, target_sizes=targets)
    got = semantic(outputs, target_sizes=targets, size=SIZE, compatible=True)
    for ours, theirs in zip(got, expected, strict=True):
        assert torch.equal(ours, theirs)


def test_semantic_scores_in_compatible_mode_are_the_processors(synthetic):
    outputs = synthetic("eomt", seed=4, batch=1, classes=5, mask_size=(32, 32))
    expected = _processor().post_process_semantic_segmentation(
        outputs, target_sizes=[(90, 128)], return_segmentation_scores=True
    )[0]
    got = semantic(
        outputs, target_sizes=[(90, 128)], size=SIZE, return_segmentation_scores=True, compatible=True
    )
    assert torch.equal(got[0]["segmentation_scores"], expected["segmentation_scores"])


def test_compatible_mode_needs_the_processor_size(synthetic):
    outputs = synthetic("eomt", seed=0, mask_size=(32, 32))
    with pytest.raises(ValueError, match=r"size=processor\.size"):
        panoptic(outputs, target_sizes=[(64, 64)], compatible=True)


def test_default_mode_crops_the_canvas_padding_from_the_processor_size(synthetic):
    # a 64 x 128 image fills the top half of the 128 x 128 canvas: with size=, the bottom half is ignored
    outputs = synthetic("eomt", seed=5, batch=1, classes=5, mask_size=(32, 32))
    top = outputs.masks_queries_logits[:, :, :16].clone()
    outputs.masks_queries_logits[:, :, 16:] = torch.flip(top, dims=[2])  # something else below the image
    cropped = semantic(outputs, target_sizes=[(64, 128)], size=SIZE)[0]
    outputs.masks_queries_logits[:, :, 16:] = -outputs.masks_queries_logits[:, :, 16:]
    again = semantic(outputs, target_sizes=[(64, 128)], size=SIZE)[0]
    assert cropped.shape == (64, 128) and torch.equal(cropped, again)  # the padding never mattered


def test_default_mode_treats_eomt_like_mask2former_on_an_unpadded_canvas(synthetic):
    eomt = synthetic("eomt", seed=6, batch=1, classes=5, mask_size=(32, 32))
    m2f = synthetic("mask2former", seed=6, batch=1, classes=5, mask_size=(32, 32))
    ours = panoptic(eomt, target_sizes=[(128, 128)], size=SIZE)[0]
    same = panoptic(m2f, target_sizes=[(128, 128)])[0]
    assert ours["segments_info"] == same["segments_info"]
    assert torch.equal(ours["segmentation"], same["segmentation"])
