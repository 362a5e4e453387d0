"""describe_panoptic_prediction: sentences computed from one prediction and its annotation.

An 8×8 scene: sky (top half), grass (bottom half), a 2×2 circle, a 2×2 square and a 2×2 triangle in the
grass. Each test paints a prediction by hand, so the expected sentence follows from the pixels.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from segtutor.categories import Category
from segtutor.data.targets import Sample
from segtutor.metrics.describe import (
    describe_class_review,
    describe_panoptic_prediction,
    review_panoptic_prediction,
)

CATEGORIES = [
    Category(0, "sky", False, (0, 0, 255)),
    Category(1, "grass", False, (0, 255, 0)),
    Category(2, "circle", True, (255, 0, 0)),
    Category(3, "square", True, (255, 255, 0)),
    Category(4, "triangle", True, (255, 0, 255)),
]
BOXES = {2: (4, 0), 3: (4, 3), 4: (6, 6)}  # class id -> top-left corner of its 2x2 object


def _box(top: int, left: int, size: int = 2) -> np.ndarray:
    mask = np.zeros((8, 8), bool)
    mask[top:top + size, left:left + size] = True
    return mask


def _truth() -> Sample:
    sky = np.zeros((8, 8), bool)
    sky[:4] = True
    objects = [_box(*corner) for corner in BOXES.values()]
    grass = ~sky & ~np.any(objects, axis=0)
    return Sample(
        image=np.zeros((8, 8, 3), np.uint8),
        masks=np.stack([sky, grass, *objects]),
        category_ids=np.array([0, 1, *BOXES], np.int64),
        ignore=np.zeros((8, 8), bool),
        kind="panoptic",
        categories=CATEGORIES,
        file_name="scene.png",
    )


def _prediction(segments: list[tuple[int, np.ndarray]]) -> dict:
    segmentation = torch.full((8, 8), -1, dtype=torch.int64)
    for segment_id, (_, mask) in enumerate(segments, start=1):
        segmentation[torch.from_numpy(mask)] = segment_id
    infos = [{"id": i, "label_id": label, "was_fused": False, "score": 0.9}
             for i, (label, _) in enumerate(segments, start=1)]
    return {"segmentation": segmentation, "segments_info": infos}


def _stuff() -> list[tuple[int, np.ndarray]]:
    truth = _truth()
    return [(0, truth.masks[0]), (1, truth.masks[1])]


def test_a_perfect_prediction_finds_every_thing_and_all_stuff():
    truth = _truth()
    prediction = _prediction([(int(c), m) for m, c in zip(truth.masks, truth.category_ids, strict=True)])
    text = describe_panoptic_prediction(truth, prediction, CATEGORIES)
    assert text == (
        "Of the 3 things in the annotation of scene.png, the model finds 3 with the right class and a good "
        "mask (1 circle, 1 square and 1 triangle). Stuff: it finds grass and sky."
    )


def test_confusions_misses_rough_masks_and_inventions_are_named():
    circle_as_triangle = _box(4, 0)
    rough_square = _box(4, 3, size=2) | _box(2, 3, size=2)  # right class, IoU 4 / 8 = 0.5: only roughly
    invented = _box(0, 6)
    prediction = _prediction([*_stuff(), (4, circle_as_triangle), (3, rough_square), (2, invented)])
    text = describe_panoptic_prediction(_truth(), prediction, CATEGORIES, model="the toy model")
    assert "the toy model finds 0 with the right class and a good mask." in text
    assert "It finds 1 square only roughly" in text
    assert "Where the annotation has 1 circle, it predicts a triangle." in text
    assert "It misses 1 triangle." in text
    assert "It also sees 1 circle where the annotation has none." in text


def test_each_segment_is_paired_once_highest_iou_first():
    truth = _truth()
    big_circle = truth.masks[2] | _box(4, 1)  # covers the circle (IoU 4/6) better than anything else
    review = review_panoptic_prediction(truth, _prediction([*_stuff(), (2, big_circle), (2, _box(4, 0))]),
                                        CATEGORIES)
    assert review.found == {"circle": 1} and review.invented == {"circle": 1}
    assert review.missed == {"square": 1, "triangle": 1}


def test_an_image_without_things_says_so():
    truth = _truth()
    only_stuff = Sample(image=truth.image, masks=truth.masks[:2], category_ids=truth.category_ids[:2],
                        ignore=truth.ignore, kind="panoptic", categories=CATEGORIES, file_name="empty.png")
    text = describe_panoptic_prediction(only_stuff, _prediction(_stuff()), CATEGORIES)
    assert text == "The annotation of empty.png has no things. Stuff: it finds grass and sky."


def test_unknown_predicted_ids_are_named_not_crashed_on():
    review = review_panoptic_prediction(_truth(), _prediction([*_stuff(), (183, _box(0, 0))]), CATEGORIES)
    assert sorted(review.stuff_found) == ["grass", "sky"] and sum(review.invented.values()) == 0


def test_a_prediction_at_another_size_is_refused_with_the_fix():
    prediction = {"segmentation": torch.full((4, 4), -1), "segments_info": []}
    with pytest.raises(ValueError, match="target_sizes"):
        review_panoptic_prediction(_truth(), prediction, CATEGORIES)


def test_inputs_are_left_untouched():
    truth = _truth()
    masks = truth.masks.copy()
    prediction = _prediction(_stuff())
    segmentation = prediction["segmentation"].clone()
    describe_panoptic_prediction(truth, prediction, CATEGORIES)
    assert np.array_equal(truth.masks, masks) and torch.equal(prediction["segmentation"], segmentation)


def test_task_agreement_counts_empty_and_disagreeing_pixels():
    from segtutor.metrics.describe import describe_task_agreement

    truth = _truth()
    semantic = torch.from_numpy(np.select(list(truth.masks), list(truth.category_ids), -1))
    things = [(4, _box(4, 0)), (3, _box(4, 3)), (4, _box(6, 6))]  # panoptic calls the circle a triangle
    prediction = _prediction([*_stuff(), *things])
    prediction["segmentation"][0, 0] = -1  # and leaves one pixel without a segment
    text = describe_task_agreement(semantic, prediction, CATEGORIES)
    assert "panoptic leaves 1 of 64 pixels (1.6 %) without a segment" in text
    assert text.endswith("4 pixels get another class: "
                         "4 px circle in the semantic map but triangle in the panoptic one.")


def test_task_agreement_says_when_the_maps_agree():
    from segtutor.metrics.describe import describe_task_agreement

    truth = _truth()
    semantic = torch.from_numpy(np.select(list(truth.masks), list(truth.category_ids), -1))
    prediction = _prediction([(int(c), m) for m, c in zip(truth.masks, truth.category_ids, strict=True)])
    assert describe_task_agreement(semantic, prediction, CATEGORIES).endswith(
        "every other pixel gets the same class in both maps."
    )


def test_a_class_review_adds_up_the_images_and_says_what_became_of_each_thing():
    truth = _truth()
    found = _prediction([*_stuff(), (2, truth.masks[2])])  # the circle found; square and triangle missed
    as_square = _prediction([*_stuff(), (3, truth.masks[2]), (2, truth.masks[3])])  # circle <-> square
    rough = _prediction([*_stuff(), (2, _box(4, 0) | _box(2, 0))])  # the circle at IoU 0.5: only roughly
    reviews = [review_panoptic_prediction(truth, p, CATEGORIES) for p in (found, as_square, rough, found)]
    total = sum(reviews[1:], reviews[0])
    assert total.found == {"circle": 2} and total.rough == {"circle": 1}
    assert total.confused == {("circle", "square"): 1, ("square", "circle"): 1}
    text = describe_class_review(total, "circle", images=4)
    assert text == (
        "In the 4 validation images there are 4 circles. The model finds 2 of them (the right class and a "
        "mask overlapping by more than half), finds 1 only roughly and calls 1 another class (1 square). "
        "It also predicts 1 circle where there is none."  # the square it called a circle
    )


def test_a_class_review_of_a_class_never_predicted():
    review = review_panoptic_prediction(_truth(), _prediction(_stuff()), CATEGORIES)
    text = describe_class_review(review, "triangle", images=1, model="the toy model")
    assert text == (
        "In the 1 validation image there is 1 triangle. The toy model finds 0 of them (the right class and "
        "a mask overlapping by more than half) and misses 1. It predicts no triangle where there is none."
    )
