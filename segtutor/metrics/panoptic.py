"""Panoptic Quality (PQ = SQ × RQ) of panoptic predictions against :class:`~segtutor.data.targets.Sample`.

PQ matches each predicted segment to the ground-truth segment of the same category that it overlaps with
IoU > 0.5 (such a match is unique). Matched pairs are true positives (TP), unmatched predictions false
positives (FP), unmatched ground truth false negatives (FN). Per category::

    SQ = (sum of IoU over TP) / TP                  segmentation quality: how well matched masks fit
    RQ = TP / (TP + FP / 2 + FN / 2)                recognition quality: an F1 score of the matching
    PQ = SQ × RQ

and PQ / SQ / RQ are averaged over the categories that occur (TP + FP + FN > 0), for all categories, things
only and stuff only. The counting is done by ``torchmetrics.detection.PanopticQuality``; this module converts
segtutor's data types into the ``(category_id, instance_id)`` pixel pairs torchmetrics wants.

Void pixels (``Sample.ignore``, crowd regions and pixels without a ground-truth segment) follow the COCO
panoptic rules: they do not count in a segment's IoU, and a predicted segment lying more than half on void is
ignored instead of counted as FP. Pixels the prediction leaves unassigned (``-1``) are *not* void: a ground
truth segment they cover still counts against the prediction, as in the reference implementation
(``panopticapi``). torchmetrics would treat prediction-void like target-void, so unassigned pixels are given a
reserved extra category that is scored but left out of every average.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import torch
from torchmetrics.detection import PanopticQuality

from segtutor.categories import Category
from segtutor.data.targets import Sample
from segtutor.metrics._convert import to_numpy

__all__ = ["PanopticScorer", "panoptic_pairs", "panoptic_quality", "target_pairs"]

#: Keys of the PQ results: all categories, things (``_th``) and stuff (``_st``), as in the papers.
PQ_KEYS = ("PQ", "SQ", "RQ", "PQ_th", "SQ_th", "RQ_th", "PQ_st", "SQ_st", "RQ_st")


def panoptic_pairs(prediction: Mapping[str, Any], *, unassigned_id: int) -> np.ndarray:
    """Convert one transformers-style panoptic prediction to per-pixel ``(category_id, instance_id)`` pairs.

    Parameters
    ----------
    prediction : mapping
        ``{"segmentation": (H, W) int tensor or array, "segments_info": [{"id", "label_id", ...}, ...]}``
        as returned by ``post_process_panoptic_segmentation``. Pixels whose id has no entry in
        ``segments_info`` belong to no segment: transformers marks them ``0`` (segment ids start at 1) or,
        when nothing was found at all, ``-1``.
    unassigned_id : int
        Category given to pixels that belong to no predicted segment.

    Returns
    -------
    ndarray, shape (H, W, 2), int64
        Channel 0: the segment's ``label_id`` (``unassigned_id`` for "no segment"); channel 1: the segment id
        plus one (0 for unassigned pixels), so every segment has its own pair.
    """
    segmentation = to_numpy(prediction["segmentation"]).astype(np.int64)
    if segmentation.ndim != 2:
        raise ValueError(
            f"prediction['segmentation'] must be a (H, W) segment-id map, got shape {segmentation.shape}. "
            "Use the panoptic post-processing output of one image."
        )
    out = np.zeros((*segmentation.shape, 2), dtype=np.int64)
    out[..., 0] = unassigned_id
    described = {int(s["id"]): int(s["label_id"]) for s in prediction.get("segments_info", [])}
    for segment_id, label_id in described.items():
        where = segmentation == segment_id
        out[where, 0] = label_id
        out[where, 1] = segment_id + 1
    return out


def target_pairs(sample: Sample, *, void_id: int) -> np.ndarray:
    """Convert a panoptic :class:`Sample` to per-pixel ``(category_id, instance_id)`` pairs.

    Pixels in ``sample.ignore``, in crowd segments or in no segment get ``(void_id, 0)``.

    Returns
    -------
    ndarray, shape (H, W, 2), int64
    """
    if sample.kind != "panoptic":
        raise ValueError(
            f"Sample {sample.file_name!r}: PQ needs panoptic ground truth (every thing and stuff segment), "
            f"got kind={sample.kind!r}. Read the dataset with format='panoptic'."
        )
    out = np.zeros((sample.height, sample.width, 2), dtype=np.int64)
    out[..., 0] = void_id
    ids = sample.segment_ids if sample.segment_ids is not None else np.arange(1, len(sample.masks) + 1)
    for mask, category_id, segment_id, crowd in zip(
        sample.masks, sample.category_ids, ids, sample.iscrowd, strict=True
    ):
        if crowd:
            out[mask] = (void_id, 0)
            continue
        out[mask, 0] = int(category_id)
        out[mask, 1] = int(segment_id)
    out[sample.ignore] = (void_id, 0)
    return out


class PanopticScorer:
    """Accumulate PQ / SQ / RQ over images, one ``update`` per image.

    Parameters
    ----------
    categories : sequence of Category
        The dataset's categories; ``isthing`` decides the things / stuff split.

    Examples
    --------
    >>> scorer = PanopticScorer(samples[0].categories)            # doctest: +SKIP
    >>> for prediction, sample in zip(predictions, samples):      # doctest: +SKIP
    ...     scorer.update(prediction, sample)
    >>> scorer.compute()["PQ"]                                    # doctest: +SKIP
    """

    def __init__(self, categories: Sequence[Category]) -> None:
        if not categories:
            raise ValueError("PanopticScorer needs the dataset's categories, got an empty list.")
        self.categories = sorted(categories, key=lambda c: c.id)
        self.things = sorted(c.id for c in self.categories if c.isthing)
        self.stuff = sorted(c.id for c in self.categories if not c.isthing)
        top = max(c.id for c in self.categories)
        self.unassigned_id = top + 1  # scored like a stuff class, left out of all averages
        self.void_id = top + 2  # unknown to torchmetrics: mapped to its void colour
        self._metric = PanopticQuality(
            things=set(self.things),
            stuffs={*self.stuff, self.unassigned_id},
            return_sq_and_rq=True,
            return_per_class=True,
        )
        # torchmetrics stores classes things first, then stuff, each sorted by id.
        self._order = [*self.things, *sorted({*self.stuff, self.unassigned_id})]
        self.num_images = 0

    def update(self, prediction: Mapping[str, Any], sample: Sample) -> None:
        """Add one image: ``prediction`` is a panoptic post-processing result resized to the sample's size."""
        known = {c.id for c in self.categories}
        labels = {int(s["label_id"]) for s in prediction.get("segments_info", [])}
        if labels - known:
            raise ValueError(
                f"Sample {sample.file_name!r}: predicted label ids {sorted(labels - known)} are not "
                f"categories of the dataset (ids {sorted(known)}). Evaluate a model trained on this "
                "dataset's classes, or remap its labels first."
            )
        preds = panoptic_pairs(prediction, unassigned_id=self.unassigned_id)
        target = target_pairs(sample, void_id=self.void_id)
        if preds.shape != target.shape:
            raise ValueError(
                f"Sample {sample.file_name!r}: prediction is {preds.shape[:2]} pixels but the ground truth "
                f"is {target.shape[:2]}. Post-process with target_sizes=[(height, width)] of the original "
                "image."
            )
        self._metric.update(torch.from_numpy(preds)[None], torch.from_numpy(target)[None])
        self.num_images += 1

    def per_class(self) -> list[dict[str, Any]]:
        """Return one row per dataset category: id, name, isthing, PQ, SQ, RQ, TP, FP, FN (nan if absent)."""
        # One row per class (things, then stuff), columns PQ, SQ, RQ. (torchmetrics' docstring says (3, C);
        # its code stacks on the last dimension, so index by shape to be safe across versions.)
        per_class = self._metric.compute()
        if per_class.shape[0] == 3 and per_class.shape[-1] != 3:
            per_class = per_class.T
        tp = self._metric.true_positives.tolist()
        fp = self._metric.false_positives.tolist()
        fn = self._metric.false_negatives.tolist()
        by_id = {c.id: c for c in self.categories}
        rows = []
        for index, category_id in enumerate(self._order):
            if category_id == self.unassigned_id:
                continue
            seen = tp[index] + fp[index] + fn[index] > 0
            values = [float(per_class[index, k]) if seen else math.nan for k in range(3)]
            category = by_id[category_id]
            rows.append(
                {
                    "id": category_id,
                    "name": category.name,
                    "isthing": category.isthing,
                    "PQ": values[0],
                    "SQ": values[1],
                    "RQ": values[2],
                    "TP": tp[index],
                    "FP": fp[index],
                    "FN": fn[index],
                }
            )
        return rows

    def compute(self) -> dict[str, float]:
        """Return PQ, SQ, RQ for all categories, things (``_th``) and stuff (``_st``), as fractions in [0, 1].

        A group with no category present (no TP, FP or FN) gets ``nan``.
        """
        rows = self.per_class()
        groups = {
            "": rows,
            "_th": [r for r in rows if r["isthing"]],
            "_st": [r for r in rows if not r["isthing"]],
        }
        out: dict[str, float] = {}
        for suffix, group in groups.items():
            present = [r for r in group if not math.isnan(r["PQ"])]
            for key in ("PQ", "SQ", "RQ"):
                out[key + suffix] = float(np.mean([r[key] for r in present])) if present else math.nan
        return out


def panoptic_quality(
    predictions: Iterable[Mapping[str, Any]],
    samples: Iterable[Sample],
    *,
    categories: Sequence[Category] | None = None,
) -> dict[str, float]:
    """Score panoptic predictions against panoptic samples: PQ / SQ / RQ for all, things and stuff.

    Parameters
    ----------
    predictions : iterable of mapping
        One ``{"segmentation": (H, W), "segments_info": [...]}`` per image (transformers format, ``-1`` = no
        segment), at the size of the matching sample.
    samples : iterable of Sample
        Panoptic ground truth, in the same order.
    categories : sequence of Category, optional
        Defaults to the first sample's categories.

    Returns
    -------
    dict of str to float
        Keys ``PQ, SQ, RQ, PQ_th, SQ_th, RQ_th, PQ_st, SQ_st, RQ_st``; fractions in [0, 1] (``nan`` for a
        group with no category present).
    """
    scorer: PanopticScorer | None = None
    for prediction, sample in zip(predictions, samples, strict=True):
        if scorer is None:
            scorer = PanopticScorer(categories if categories is not None else sample.categories)
        scorer.update(prediction, sample)
    if scorer is None:
        raise ValueError("panoptic_quality needs at least one (prediction, sample) pair, got none.")
    return scorer.compute()
