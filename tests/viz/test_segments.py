"""Post-processing results and samples, normalised into one SegmentMap."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from segtutor.viz import Segment, as_segment_map


def test_transformers_panoptic_result(panoptic_result):
    smap = as_segment_map(panoptic_result)
    assert smap.kind == "panoptic"
    assert [s.id for s in smap.segments] == [1, 2, 3, 4, 5]
    assert smap.segments[0] == Segment(1, 0, 0.85, True)


def test_instance_float_map_with_minus_one_background():
    seg = torch.full((4, 5), -1.0)
    seg[1:3, 1:3] = 0
    smap = as_segment_map({"segmentation": seg, "segments_info": [{"id": 0, "label_id": 2, "score": 0.9}]},
                          "instance")
    assert smap.ids.dtype == np.int64
    assert (smap.ids == 0).sum() == 4


def test_binary_maps_are_painted_in_order():
    maps = torch.zeros(2, 4, 5)
    maps[0, :2] = 1
    maps[1, 1:3] = 1
    info = [{"id": 0, "label_id": 2, "score": 0.9}, {"id": 1, "label_id": 3, "score": 0.8}]
    smap = as_segment_map({"segmentation": maps, "segments_info": info}, "instance")
    np.testing.assert_array_equal(smap.ids[:, 0], [0, 1, 1, -1])


def test_binary_map_count_must_match_segments_info():
    with pytest.raises(ValueError, match="3 binary maps but 1 segments_info"):
        as_segment_map({"segmentation": torch.zeros(3, 4, 5), "segments_info": [{"id": 0, "label_id": 1}]})


def test_nothing_found_needs_the_image_size():
    smap = as_segment_map({"segmentation": None, "segments_info": []}, shape=(3, 4))
    assert smap.shape == (3, 4) and smap.segments == ()
    with pytest.raises(ValueError, match="image"):
        as_segment_map({"segmentation": None, "segments_info": []})


def test_repeated_fused_ids_are_listed_once(panoptic_result):
    info = [*panoptic_result["segments_info"], dict(panoptic_result["segments_info"][0], score=0.1)]
    smap = as_segment_map({"segmentation": panoptic_result["segmentation"], "segments_info": info})
    assert [s.id for s in smap.segments] == [1, 2, 3, 4, 5]
    assert smap.segments[0].score == 0.85


def test_batch_of_one_is_unwrapped_and_a_batch_is_refused(panoptic_result):
    assert as_segment_map([panoptic_result]).shape == (24, 32)
    with pytest.raises(ValueError, match=r"results\[0\]"):
        as_segment_map([panoptic_result, panoptic_result])


def test_a_bare_map_cannot_be_drawn_as_panoptic(sample):
    with pytest.raises(ValueError, match="segments_info"):
        as_segment_map(sample.semantic_map(), "panoptic")


def test_semantic_map_lists_present_classes_without_ignore(sample):
    smap = as_segment_map(sample.semantic_map(ignore_index=255))
    assert [s.label_id for s in smap.segments] == [0, 1, 2, 3]


def test_coco_style_segments_info(sample):
    seg, infos = sample.panoptic_map()
    smap = as_segment_map((seg, [i.to_coco() for i in infos]))
    assert [s.label_id for s in smap.segments] == [0, 1, 2, 2, 3]


@pytest.mark.parametrize(("kind", "labels"), [("semantic", [0, 1, 2, 3]), ("instance", [2, 2, 3]),
                                              ("panoptic", [0, 1, 2, 2, 3])])
def test_sample_views(sample, kind, labels):
    smap = as_segment_map(sample, kind)
    assert [s.label_id for s in smap.segments] == labels
    assert smap.kind == kind
    assert all(s.score is None for s in smap.segments)
