"""The metric functions against a tiny example computed by hand: two 4×4 images.

Categories: 0 sky (stuff), 1 grass (stuff), 2 circle (thing), 3 square (thing, never present).

Image A, ground truth (segment ids)      prediction (segment id → label)
    1 1 1 1    1 = sky                       0 0 0 0    0 → sky
    1 1 1 1    2 = circle                    0 0 0 1    1 → circle
    2 2 3 3    3 = grass                     1 1 1 2    2 → grass
    2 2 3 3                                  1 1 2 2

Image B, ground truth                    prediction
    1 1 1 1    1 = sky                       0 0 0 0    0 → sky
    1 1 1 V    2 = circle                    0 0 0 0    1 → circle
    2 2 1 1    V = void (ignore)             1 1 0 0    . = no segment (-1)
    2 2 1 1                                  . . 0 0
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
import torch

from segtutor.categories import Category
from segtutor.data.targets import Sample
from segtutor.metrics import (
    InstanceScorer,
    PanopticScorer,
    SemanticScorer,
    mask_map,
    mean_iou,
    panoptic_quality,
)

CATEGORIES = [
    Category(0, "sky", False, (0, 0, 255)),
    Category(1, "grass", False, (0, 255, 0)),
    Category(2, "circle", True, (255, 0, 0)),
    Category(3, "square", True, (255, 255, 0)),
]


def _sample(
    segments: list[list[int]], category_of: dict[int, int], ignore: np.ndarray | None = None
) -> Sample:
    seg = np.array(segments)
    ids = sorted(category_of)
    return Sample(
        image=np.zeros((4, 4, 3), np.uint8),
        masks=np.stack([seg == i for i in ids]),
        category_ids=np.array([category_of[i] for i in ids]),
        ignore=np.zeros((4, 4), bool) if ignore is None else ignore,
        kind="panoptic",
        categories=CATEGORIES,
        segment_ids=np.array(ids),
    )


def _void_at(row: int, col: int) -> np.ndarray:
    ignore = np.zeros((4, 4), bool)
    ignore[row, col] = True
    return ignore


SAMPLE_A = _sample([[1, 1, 1, 1], [1, 1, 1, 1], [2, 2, 3, 3], [2, 2, 3, 3]], {1: 0, 2: 2, 3: 1})
SAMPLE_B = _sample([[1, 1, 1, 1], [1, 1, 1, 1], [2, 2, 1, 1], [2, 2, 1, 1]], {1: 0, 2: 2}, _void_at(1, 3))

PANOPTIC_A = {
    "segmentation": torch.tensor([[0, 0, 0, 0], [0, 0, 0, 1], [1, 1, 1, 2], [1, 1, 2, 2]]),
    "segments_info": [{"id": 0, "label_id": 0}, {"id": 1, "label_id": 2}, {"id": 2, "label_id": 1}],
}
PANOPTIC_B = {
    "segmentation": torch.tensor([[0, 0, 0, 0], [0, 0, 0, 0], [1, 1, 0, 0], [-1, -1, 0, 0]]),
    "segments_info": [{"id": 0, "label_id": 0}, {"id": 1, "label_id": 2}],
}
# The same predictions as class maps (-1 = no class).
SEMANTIC_A = np.array([[0, 0, 0, 0], [0, 0, 0, 2], [2, 2, 2, 1], [2, 2, 1, 1]])
SEMANTIC_B = np.array([[0, 0, 0, 0], [0, 0, 0, 0], [2, 2, 0, 0], [-1, -1, 0, 0]])


def _close(value: float, expected: Fraction) -> None:
    assert value == pytest.approx(float(expected), abs=1e-6)


# --- PQ -----------------------------------------------------------------------------------------------------
# Image A: sky    pred 7 px, gt 8, overlap 7 → IoU 7/8   (match, > 1/2)
#          circle pred 6 px, gt 4, overlap 4 → IoU 4/6   (match)
#          grass  pred 3 px, gt 4, overlap 3 → IoU 3/4   (match)
# Image B: sky    pred 12 px of which 1 on void → 11; gt 11; overlap 11 → IoU 11/11 = 1 (void is not counted)
#          circle pred 2 px, gt 4, overlap 2 → IoU 2/4 = 1/2, not > 1/2 → 1 FP and 1 FN. The two unassigned
#          pixels still count in the union (COCO rule); were they treated as void, IoU would be 2/2 = 1.
# sky:    TP 2, SQ = (7/8 + 1)/2 = 15/16, RQ = 1,                      PQ = 15/16
# grass:  TP 1, SQ = 3/4,               RQ = 1,                      PQ = 3/4
# circle: TP 1, FP 1, FN 1: SQ = 2/3,   RQ = 1 / (1 + 1/2 + 1/2) = 1/2, PQ = 1/3
# square: never present → left out of every average.
SKY, GRASS, CIRCLE = Fraction(15, 16), Fraction(3, 4), Fraction(1, 3)
EXPECTED_PQ = {
    "PQ": (SKY + GRASS + CIRCLE) / 3,  # = 97/144
    "SQ": (Fraction(15, 16) + Fraction(3, 4) + Fraction(2, 3)) / 3,  # = 113/144
    "RQ": (1 + 1 + Fraction(1, 2)) / 3,  # = 5/6
    "PQ_th": CIRCLE,
    "SQ_th": Fraction(2, 3),
    "RQ_th": Fraction(1, 2),
    "PQ_st": (SKY + GRASS) / 2,  # = 27/32
    "SQ_st": (Fraction(15, 16) + Fraction(3, 4)) / 2,
    "RQ_st": Fraction(1),
}


@pytest.mark.parametrize("key", sorted(EXPECTED_PQ))
def test_panoptic_quality_matches_hand_computation(key: str) -> None:
    result = panoptic_quality([PANOPTIC_A, PANOPTIC_B], [SAMPLE_A, SAMPLE_B])
    _close(result[key], EXPECTED_PQ[key])


def test_panoptic_per_class_counts_and_absent_class() -> None:
    scorer = PanopticScorer(CATEGORIES)
    scorer.update(PANOPTIC_A, SAMPLE_A)
    scorer.update(PANOPTIC_B, SAMPLE_B)
    rows = {r["name"]: r for r in scorer.per_class()}
    assert (rows["circle"]["TP"], rows["circle"]["FP"], rows["circle"]["FN"]) == (1, 1, 1)
    assert (rows["sky"]["TP"], rows["sky"]["FP"], rows["sky"]["FN"]) == (2, 0, 0)
    _close(rows["sky"]["SQ"], Fraction(15, 16))
    assert math.isnan(rows["square"]["PQ"])


def test_prediction_mostly_on_void_is_not_a_false_positive() -> None:
    # A circle predicted only on the void pixel of image B: ignored (COCO rule), not an FP.
    segmentation = PANOPTIC_B["segmentation"].clone()
    segmentation[1, 3] = 2
    prediction = {
        "segmentation": segmentation,
        "segments_info": [*PANOPTIC_B["segments_info"], {"id": 2, "label_id": 2}],
    }
    scorer = PanopticScorer(CATEGORIES)
    scorer.update(prediction, SAMPLE_B)
    circle = next(r for r in scorer.per_class() if r["name"] == "circle")
    assert circle["FP"] == 1  # only the unmatched 2-pixel circle, as before


def test_perfect_prediction_scores_one() -> None:
    segmentation = torch.tensor([[1, 1, 1, 1], [1, 1, 1, 1], [2, 2, 3, 3], [2, 2, 3, 3]])
    infos = [{"id": 1, "label_id": 0}, {"id": 2, "label_id": 2}, {"id": 3, "label_id": 1}]
    result = panoptic_quality([{"segmentation": segmentation, "segments_info": infos}], [SAMPLE_A])
    assert result["PQ"] == pytest.approx(1.0)
    assert mean_iou([SAMPLE_A.semantic_map()], [SAMPLE_A])["mIoU"] == pytest.approx(1.0)


# --- mIoU ---------------------------------------------------------------------------------------------------
# Pixels of both images pooled, the void pixel of B ignored:
# sky:    A: gt 8, pred 7, overlap 7; B: gt 11, pred 11, overlap 11 → IoU = 18 / (19 + 18 - 18) = 18/19
# grass:  A: gt 4, pred 3, overlap 3                                  → IoU = 3 / (4 + 3 - 3)   = 3/4
# circle: A: gt 4, pred 6, overlap 4; B: gt 4, pred 2, overlap 2       → IoU = 6 / (8 + 8 - 6)   = 3/5
#         (the two "-1" pixels of B are wrong for their true class, circle)
# square: absent from both → left out.
EXPECTED_MIOU = (Fraction(18, 19) + Fraction(3, 4) + Fraction(3, 5)) / 3  # = 291/380


def test_mean_iou_matches_hand_computation() -> None:
    _close(mean_iou([SEMANTIC_A, SEMANTIC_B], [SAMPLE_A, SAMPLE_B])["mIoU"], EXPECTED_MIOU)


def test_mean_iou_per_class() -> None:
    scorer = SemanticScorer(CATEGORIES)
    scorer.update(torch.from_numpy(SEMANTIC_A), SAMPLE_A)
    scorer.update(SEMANTIC_B, SAMPLE_B)
    iou = {r["name"]: r["IoU"] for r in scorer.per_class()}
    _close(iou["sky"], Fraction(18, 19))
    _close(iou["circle"], Fraction(3, 5))
    assert math.isnan(iou["square"])


# --- mask mAP -----------------------------------------------------------------------------------------------
# Circle predictions: A (score 0.9, IoU 4/6 with A's circle), B (score 0.8, IoU 2/4 with B's circle).
# A sky prediction (stuff: not scored) and a square prediction (no square ground truth: category left out)
# must not change anything. Two circles in the ground truth.
# IoU threshold 0.50: both match → precision 1 at recall 1 → AP = 1.
# 0.55, 0.60, 0.65: only A matches → precision 1 up to recall 1/2, then nothing: 51 of the 101 recall
#                   points (0, 0.01, ..., 0.50) have precision 1 → AP = 51/101.
# 0.70 ... 0.95 (6 thresholds): no match → AP = 0.
# mAP = (1 + 3 · 51/101 + 6 · 0) / 10 = 127/505; AP50 = 1; AP75 = 0.
INSTANCES_A = {"masks": np.array([SEMANTIC_A == 2]), "labels": np.array([2]), "scores": np.array([0.9])}
INSTANCES_B = {
    "masks": np.stack([SEMANTIC_B == 2, SEMANTIC_B == 0, np.eye(4, dtype=bool)]),
    "labels": np.array([2, 0, 3]),
    "scores": np.array([0.8, 0.95, 0.7]),
}


def test_mask_map_matches_hand_computation() -> None:
    result = mask_map([INSTANCES_A, INSTANCES_B], [SAMPLE_A, SAMPLE_B])
    _close(result["mAP"], Fraction(127, 505))
    _close(result["mAP_50"], Fraction(1))
    _close(result["mAP_75"], Fraction(0))


def test_false_positive_on_image_without_ground_truth_counts() -> None:
    # Image C: sky only. A confident circle there ranks first and is wrong. At IoU 0.50 the ranking is
    # FP, TP, TP → precision 1/2 at recall 1/2 and 2/3 at recall 1 → interpolated 2/3 everywhere → AP50 = 2/3.
    sample_c = _sample([[1] * 4] * 4, {1: 0})
    instances_c = {"masks": np.eye(4, dtype=bool)[None], "labels": np.array([2]), "scores": np.array([0.99])}
    result = mask_map([INSTANCES_A, INSTANCES_B, instances_c], [SAMPLE_A, SAMPLE_B, sample_c])
    _close(result["mAP_50"], Fraction(2, 3))


def test_no_prediction_at_all_scores_zero() -> None:
    empty = {"masks": np.zeros((0, 4, 4), bool), "labels": np.zeros(0, int), "scores": np.zeros(0)}
    assert mask_map([empty, empty], [SAMPLE_A, SAMPLE_B]) == {"mAP": 0.0, "mAP_50": 0.0, "mAP_75": 0.0}


def test_transformers_instance_format_gives_the_same_score() -> None:
    # The same circle predictions as a segment-id map with segments_info.
    def as_map(mask: np.ndarray, score: float) -> dict:
        return {
            "segmentation": torch.where(torch.from_numpy(mask), 5, -1),
            "segments_info": [{"id": 5, "label_id": 2, "score": score}],
        }

    result = mask_map([as_map(SEMANTIC_A == 2, 0.9), as_map(SEMANTIC_B == 2, 0.8)], [SAMPLE_A, SAMPLE_B])
    _close(result["mAP"], Fraction(127, 505))


def test_instance_scorer_leaves_the_prediction_untouched() -> None:
    masks = np.ones((1, 4, 4), bool)  # covers B's void pixel, which the scorer removes internally
    scorer = InstanceScorer(CATEGORIES)
    scorer.update({"masks": masks, "labels": np.array([2]), "scores": np.array([0.5])}, SAMPLE_B)
    assert masks.all()


# --- errors that teach ---------------------------------------------------------------------------------
def test_unknown_label_id_is_explained() -> None:
    bad = {"segmentation": torch.zeros(4, 4, dtype=torch.long), "segments_info": [{"id": 0, "label_id": 7}]}
    with pytest.raises(ValueError, match=r"label ids \[7\] are not"):
        panoptic_quality([bad], [SAMPLE_A])


def test_wrong_prediction_size_is_explained() -> None:
    with pytest.raises(ValueError, match="target_sizes"):
        mean_iou([np.zeros((2, 2), int)], [SAMPLE_A])


def test_pq_needs_panoptic_ground_truth() -> None:
    semantic = Sample(
        image=SAMPLE_A.image, masks=SAMPLE_A.masks, category_ids=SAMPLE_A.category_ids,
        ignore=SAMPLE_A.ignore, kind="semantic", categories=CATEGORIES,
    )  # fmt: skip
    with pytest.raises(ValueError, match="panoptic ground truth"):
        panoptic_quality([PANOPTIC_A], [semantic])


def test_ids_without_segments_info_are_unassigned() -> None:
    # transformers' panoptic maps use 0 for "no segment" (ids start at 1): the same prediction as image B's,
    # written that way, must score the same.
    segmentation = PANOPTIC_B["segmentation"] + 1  # ids 1 (sky), 2 (circle); unassigned pixels become 0
    infos = [{"id": 1, "label_id": 0}, {"id": 2, "label_id": 2}]
    shifted = panoptic_quality(
        [PANOPTIC_A, {"segmentation": segmentation, "segments_info": infos}], [SAMPLE_A, SAMPLE_B]
    )
    assert shifted == panoptic_quality([PANOPTIC_A, PANOPTIC_B], [SAMPLE_A, SAMPLE_B])
