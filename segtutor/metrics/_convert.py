"""Small converters shared by the metric modules (tensors ↔ arrays, transformers results → masks)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import torch

__all__ = ["instance_arrays", "to_numpy"]


def to_numpy(value: Any) -> np.ndarray:
    """Return ``value`` (tensor on any device, array or nested list) as a NumPy array, never a view of it."""
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().numpy().copy()
    return np.array(value, copy=True)


def instance_arrays(prediction: Mapping[str, Any], shape: tuple[int, int]) -> tuple[np.ndarray, ...]:
    """Return ``(masks (N, H, W) bool, labels (N,) int64, scores (N,) float64)`` from an instance prediction.

    Accepts either the torchmetrics-style ``{"masks", "labels", "scores"}`` or a transformers instance
    post-processing result ``{"segmentation", "segments_info"}`` where ``segmentation`` is a (H, W) id map
    (``-1`` = background) or, with ``return_binary_maps=True``, an (N, H, W) stack aligned with
    ``segments_info``.
    """
    height, width = shape
    if "masks" in prediction:
        masks = to_numpy(prediction["masks"]).astype(bool)
        labels = to_numpy(prediction["labels"]).astype(np.int64).reshape(-1)
        scores = to_numpy(prediction["scores"]).astype(np.float64).reshape(-1)
        if masks.ndim == 2 and masks.size == 0:
            masks = masks.reshape(0, height, width)
    elif "segmentation" in prediction:
        infos = list(prediction.get("segments_info", []))
        labels = np.array([int(s["label_id"]) for s in infos], dtype=np.int64)
        scores = np.array([float(s.get("score", 1.0)) for s in infos], dtype=np.float64)
        segmentation = prediction["segmentation"]
        seg = np.full((height, width), -1) if segmentation is None else to_numpy(segmentation)
        if seg.ndim == 3:  # return_binary_maps=True: one map per segment, in segments_info order
            masks = seg.astype(bool)
        else:
            masks = (
                np.stack([seg == int(s["id"]) for s in infos]) if infos else np.zeros((0, *seg.shape), bool)
            )
    else:
        raise ValueError(
            "An instance prediction needs either 'masks', 'labels' and 'scores' or transformers' "
            f"'segmentation' and 'segments_info'; got keys {sorted(prediction)}."
        )
    if masks.shape[1:] != (height, width) or not (len(masks) == len(labels) == len(scores)):
        raise ValueError(
            f"Instance prediction does not fit a {height}×{width} image: masks {masks.shape}, "
            f"{len(labels)} labels, {len(scores)} scores. Post-process with "
            f"target_sizes=[({height}, {width})] and keep one label and score per mask."
        )
    return masks, labels, scores
