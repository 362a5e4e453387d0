"""Mask mAP (COCO-style average precision of instance masks) via ``torchmetrics`` + ``pycocotools``.

For each thing category, predictions are ranked by score; a prediction is a true positive at an IoU threshold
if it overlaps a not-yet-matched ground-truth instance of its category by at least that IoU. AP is the area
under the resulting precision/recall curve (101-point interpolation), averaged over the IoU thresholds
0.50:0.05:0.95 (``mAP``) or taken at 0.50 (``mAP_50``) and 0.75 (``mAP_75``), then averaged over categories
that have ground truth.

Void pixels (``Sample.ignore``) are removed from the predicted masks before scoring, so painting over
unlabelled pixels is neither rewarded nor punished. Crowd instances are passed as COCO ``iscrowd`` regions
(matching one is neither a TP nor an FP). Only thing categories are scored, as in COCO instance evaluation.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import torch
from torchmetrics.detection import MeanAveragePrecision

from segtutor.categories import Category
from segtutor.data.targets import Sample
from segtutor.metrics._convert import instance_arrays

__all__ = ["InstanceScorer", "mask_map"]

#: Keys of the mask-AP results.
MAP_KEYS = ("mAP", "mAP_50", "mAP_75")


class InstanceScorer:
    """Accumulate mask AP over images, one ``update`` per image.

    Parameters
    ----------
    categories : sequence of Category
        The dataset's categories; only things (``isthing``) are scored.
    """

    def __init__(self, categories: Sequence[Category]) -> None:
        self.categories = sorted(categories, key=lambda c: c.id)
        self.thing_ids = sorted(c.id for c in self.categories if c.isthing)
        if not self.thing_ids:
            raise ValueError(
                "Mask mAP scores thing categories, but none of the categories is a thing "
                f"({[c.name for c in self.categories]}). Mark countable classes with isthing=True."
            )
        self._metric = MeanAveragePrecision(iou_type="segm", class_metrics=True)
        self._num_predictions = 0
        self._gt_classes: set[int] = set()
        self.num_images = 0

    def update(self, prediction: Mapping[str, Any], sample: Sample) -> None:
        """Add one image.

        ``prediction`` is ``{"masks": (N, H, W) bool, "labels": (N,), "scores": (N,)}`` or a transformers
        instance post-processing result at the sample's size.
        """
        if sample.kind == "semantic":
            raise ValueError(
                f"Sample {sample.file_name!r}: mask mAP needs instance-level ground truth, got "
                "kind='semantic' (one mask per class). Read the dataset with format='panoptic' or "
                "'instance'."
            )
        masks, labels, scores = instance_arrays(prediction, (sample.height, sample.width))
        keep = np.isin(labels, self.thing_ids)
        masks = masks[keep] & ~sample.ignore  # a new array: the caller's masks stay untouched
        target_keep = np.isin(sample.category_ids, self.thing_ids)
        gt_masks = sample.masks[target_keep].astype(bool)
        gt_labels = sample.category_ids[target_keep].astype(np.int64)
        gt_crowd = sample.iscrowd[target_keep].astype(np.int64)
        if len(gt_masks) == 0:
            # torchmetrics 1.9 leaves images without ground-truth masks out of the COCO dataset, and with them
            # their false positives. An empty crowd region keeps the image in: it can neither match a
            # prediction (IoU 0) nor be missed (crowd regions are never false negatives).
            gt_masks = np.zeros((1, sample.height, sample.width), dtype=bool)
            gt_labels = np.array([self.thing_ids[0]], dtype=np.int64)
            gt_crowd = np.ones(1, dtype=np.int64)
        self._num_predictions += int(keep.sum())
        self._gt_classes.update(gt_labels[gt_crowd == 0].tolist())
        self._metric.update(
            [
                {
                    "masks": torch.from_numpy(masks),
                    "labels": torch.from_numpy(labels[keep]),
                    "scores": torch.from_numpy(scores[keep]).float(),
                }
            ],
            [
                {
                    "masks": torch.from_numpy(gt_masks),
                    "labels": torch.from_numpy(gt_labels),
                    "iscrowd": torch.from_numpy(gt_crowd),
                }
            ],
        )
        self.num_images += 1

    def compute(self) -> dict[str, float]:
        """Return ``mAP``, ``mAP_50`` and ``mAP_75`` as fractions in [0, 1] (``nan`` without ground truth)."""
        if self._nothing_predicted():
            return dict.fromkeys(MAP_KEYS, 0.0)
        return _summary(self._metric.compute())

    def per_class(self) -> list[dict[str, Any]]:
        """Return one row per thing category: id, name, AP (IoU 0.50:0.95; ``nan`` without ground truth)."""
        if self._nothing_predicted():
            by_id = {c.id: c for c in self.categories}
            return [
                {"id": cid, "name": by_id[cid].name, "AP": 0.0 if cid in self._gt_classes else math.nan}
                for cid in self.thing_ids
            ]
        return _per_class(self._metric.compute(), self.categories, self.thing_ids)

    def _nothing_predicted(self) -> bool:
        # torchmetrics reports "undefined" (-1) when nothing at all was predicted; COCO's answer is AP = 0
        # for every category that has ground truth.
        return self._num_predictions == 0 and bool(self._gt_classes)


def _nan_if_missing(value: float) -> float:
    """pycocotools reports -1 where a value is undefined (no ground truth); use nan instead."""
    return math.nan if value < 0 else value


def _summary(results: Mapping[str, Any]) -> dict[str, float]:
    return {
        "mAP": _nan_if_missing(float(results["map"])),
        "mAP_50": _nan_if_missing(float(results["map_50"])),
        "mAP_75": _nan_if_missing(float(results["map_75"])),
    }


def _per_class(
    results: Mapping[str, Any], categories: Sequence[Category], thing_ids: Sequence[int]
) -> list[dict[str, Any]]:
    classes = results["classes"].reshape(-1).tolist()
    values = results["map_per_class"].reshape(-1).tolist()
    ap = dict(zip(classes, values, strict=True)) if len(values) == len(classes) else {}
    by_id = {c.id: c for c in categories}
    return [
        {"id": cid, "name": by_id[cid].name, "AP": _nan_if_missing(float(ap.get(cid, -1.0)))}
        for cid in thing_ids
    ]


def mask_map(
    predictions: Iterable[Mapping[str, Any]],
    samples: Iterable[Sample],
    *,
    categories: Sequence[Category] | None = None,
) -> dict[str, float]:
    """Score instance predictions against samples: COCO mask mAP over the thing categories.

    Parameters
    ----------
    predictions : iterable of mapping
        Per image, ``{"masks": (N, H, W) bool, "labels": (N,) int, "scores": (N,) float}`` or a transformers
        instance post-processing result (``{"segmentation", "segments_info"}`` with scores), at the size of
        the matching sample. Masks may overlap.
    samples : iterable of Sample
        Panoptic or instance ground truth, in the same order.
    categories : sequence of Category, optional
        Defaults to the first sample's categories.

    Returns
    -------
    dict of str to float
        ``mAP`` (IoU 0.50:0.95), ``mAP_50`` and ``mAP_75``, fractions in [0, 1].
    """
    scorer: InstanceScorer | None = None
    for prediction, sample in zip(predictions, samples, strict=True):
        if scorer is None:
            scorer = InstanceScorer(categories if categories is not None else sample.categories)
        scorer.update(prediction, sample)
    if scorer is None:
        raise ValueError("mask_map needs at least one (prediction, sample) pair, got none.")
    return scorer.compute()
