"""split_stuff_query: one stuff query split in two, so that label fusion has something to merge."""

from __future__ import annotations

import pytest
import torch

from segtutor import postprocess
from segtutor.examples import example_images
from segtutor.models import load_model, model_categories
from segtutor.models.query_split import split_stuff_query


@pytest.fixture(scope="module")
def toy_outputs():
    loaded = load_model("mask2former", "panoptic", source="bundled", device="cpu")
    image = example_images(online=False, count=1, indices=[5]).images[0]
    inputs = loaded.processor(images=image, return_tensors="pt")
    with torch.no_grad():
        outputs = loaded.model(**inputs)
    stuff = {c.id for c in model_categories(loaded) if not c.isthing}
    return outputs, stuff, [image.shape[:2]]


def _count(outputs, size, fuse, label_id=None):
    infos = postprocess.panoptic(outputs, target_sizes=size, label_ids_to_fuse=fuse)[0]["segments_info"]
    return len(infos) if label_id is None else sum(s["label_id"] == label_id for s in infos)


@pytest.mark.parametrize("label_id", [0, 1], ids=["sky", "grass"])
def test_fusion_merges_the_two_halves_into_one_segment(toy_outputs, label_id):
    outputs, stuff, size = toy_outputs
    split, _ = split_stuff_query(outputs, label_id)
    assert _count(split, size, set()) == _count(split, size, stuff) + 1
    assert _count(split, size, set(), label_id) == 2
    assert _count(split, size, stuff, label_id) == 1


def test_the_spare_query_gets_the_class_and_the_right_part(toy_outputs):
    outputs, _, _ = toy_outputs
    split, (info,) = split_stuff_query(outputs, 1)
    cls, masks = split.class_queries_logits[0], split.masks_queries_logits[0]
    original = outputs.masks_queries_logits[0, info.source]
    torch.testing.assert_close(cls[info.spare], outputs.class_queries_logits[0, info.source])
    torch.testing.assert_close(masks[info.source, :, : info.column], original[:, : info.column])
    torch.testing.assert_close(masks[info.spare, :, info.column :], original[:, info.column :])
    assert (masks[info.source, :, info.column :] < -10).all()
    assert (masks[info.spare, :, : info.column] < -10).all()
    assert (masks[info.source] > 0).any() and (masks[info.spare] > 0).any()
    assert int(outputs.class_queries_logits[0, info.source, :-1].argmax()) == 1


def test_outputs_are_left_untouched(toy_outputs):
    outputs, _, _ = toy_outputs
    before = (outputs.class_queries_logits.clone(), outputs.masks_queries_logits.clone())
    split, _ = split_stuff_query(outputs, 0)
    assert type(split) is type(outputs)
    torch.testing.assert_close(outputs.class_queries_logits, before[0], rtol=0, atol=0)
    torch.testing.assert_close(outputs.masks_queries_logits, before[1], rtol=0, atol=0)


def test_a_class_no_query_predicts_is_refused(toy_outputs):
    outputs, _, _ = toy_outputs
    with pytest.raises(ValueError, match="no query predicts label id 99"):
        split_stuff_query(outputs, 99)


def test_detr_like_outputs_are_refused():
    with pytest.raises(ValueError, match="class_queries_logits and masks_queries_logits"):
        split_stuff_query(object(), 0)
