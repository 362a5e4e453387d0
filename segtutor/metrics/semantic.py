"""Mean IoU for semantic maps via ``torchmetrics`` (``MulticlassJaccardIndex`` with an ignore index).

Pixels of all images are pooled into one confusion matrix (dataset-level IoU, as in the semantic segmentation
benchmarks; not a mean of per-image scores). For each category::

    IoU = TP / (TP + FP + FN)      counted over pixels

and mIoU is the mean over the categories that occur in the ground truth or the predictions (union > 0).
Void pixels (``Sample.ignore``, and for instance-only ground truth every pixel outside the instances) are
ignored. A prediction of ``-1`` ("no class") counts as wrong for the pixel's true category.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import torch
from torchmetrics.classification import MulticlassJaccardIndex

from segtutor.categories import Category
from segtutor.data.targets import Sample
from segtutor.metrics._convert import to_numpy

__all__ = ["SemanticScorer", "mean_iou"]


class SemanticScorer:
    """Accumulate a pixel confusion matrix over images and report per-category IoU and mIoU.

    Parameters
    ----------
    categories : sequence of Category
        The dataset's categories (ids are the model's label ids).
    """

    def __init__(self, categories: Sequence[Category]) -> None:
        if not categories:
            raise ValueError("SemanticScorer needs the dataset's categories, got an empty list.")
        self.categories = sorted(categories, key=lambda c: c.id)
        if min(c.id for c in self.categories) < 0:
            raise ValueError(f"Category ids must be >= 0, got {[c.id for c in self.categories]}.")
        self.num_classes = max(c.id for c in self.categories) + 1
        self.no_class = self.num_classes  # predictions of -1 land here: wrong for every true category
        self.ignore_index = self.num_classes + 1
        self._metric = MulticlassJaccardIndex(
            num_classes=self.num_classes + 1,
            ignore_index=self.ignore_index,
            average="none",
            validate_args=False,
        )
        self.num_images = 0

    def update(self, prediction: Any, sample: Sample) -> None:
        """Add one image: ``prediction`` is a (H, W) int class map (tensor or array), ``-1`` = no class."""
        pred = to_numpy(prediction).astype(np.int64)
        if pred.shape != (sample.height, sample.width):
            raise ValueError(
                f"Sample {sample.file_name!r}: semantic prediction has shape {pred.shape}, expected "
                f"({sample.height}, {sample.width}). Post-process with target_sizes=[(height, width)]."
            )
        bad = (pred >= self.num_classes) | (pred < -1)
        if bad.any():
            raise ValueError(
                f"Sample {sample.file_name!r}: predicted class ids {sorted(np.unique(pred[bad]).tolist())} "
                f"are outside 0..{self.num_classes - 1} (the dataset's category ids). Evaluate a model "
                "trained on this dataset's classes, or remap its labels first."
            )
        pred[pred == -1] = self.no_class
        target = sample.semantic_map(ignore_index=self.ignore_index)
        self._metric.update(torch.from_numpy(pred)[None], torch.from_numpy(target)[None])
        self.num_images += 1

    def per_class(self) -> list[dict[str, Any]]:
        """Return one row per category: id, name and IoU (``nan`` if it occurs in neither map)."""
        iou = self._metric.compute().tolist()
        confmat = self._metric.confmat  # rows: target, columns: prediction
        union = (confmat.sum(0) + confmat.sum(1) - torch.diag(confmat)).tolist()
        return [
            {"id": c.id, "name": c.name, "IoU": float(iou[c.id]) if union[c.id] > 0 else math.nan}
            for c in self.categories
        ]

    def compute(self) -> dict[str, float]:
        """Return ``{"mIoU": ...}``, a fraction in [0, 1] (``nan`` if no category occurs)."""
        values = [r["IoU"] for r in self.per_class() if not math.isnan(r["IoU"])]
        return {"mIoU": float(np.mean(values)) if values else math.nan}


def mean_iou(
    predictions: Iterable[Any], samples: Iterable[Sample], *, categories: Sequence[Category] | None = None
) -> dict[str, float]:
    """Score semantic maps against samples: dataset-level mean IoU.

    Parameters
    ----------
    predictions : iterable of (H, W) int tensors or arrays
        One class map per image (``post_process_semantic_segmentation`` output), ``-1`` = no class.
    samples : iterable of Sample
        Ground truth of any kind (its :meth:`~segtutor.data.targets.Sample.semantic_map` is used).
    categories : sequence of Category, optional
        Defaults to the first sample's categories.

    Returns
    -------
    dict of str to float
        ``{"mIoU": value}``, a fraction in [0, 1].
    """
    scorer: SemanticScorer | None = None
    for prediction, sample in zip(predictions, samples, strict=True):
        if scorer is None:
            scorer = SemanticScorer(categories if categories is not None else sample.categories)
        scorer.update(prediction, sample)
    if scorer is None:
        raise ValueError("mean_iou needs at least one (prediction, sample) pair, got none.")
    return scorer.compute()
