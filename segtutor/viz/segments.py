"""One type for "what to draw": a map of segment ids plus, per segment, its class and score.

Every drawing function accepts the results as they come and turns them into a :class:`SegmentMap` here:

* a semantic map ``(H, W)`` of class ids (a tensor from ``post_process_semantic_segmentation``, a PNG);
* a transformers result ``{"segmentation": (H, W), "segments_info": [{"id", "label_id", "score", ...}]}``
  (``-1``, or any id not listed in ``segments_info``, means "no segment": left unpainted);
* the same with ``return_binary_maps=True``: ``segmentation`` is ``(N, H, W)`` binary maps, one per entry
  of ``segments_info``;
* a ``(segment map, segments_info)`` pair, e.g. ``Sample.panoptic_map()``;
* a :class:`~segtutor.data.targets.Sample` (viewed as semantic, instance or panoptic ground truth).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from segtutor.data.targets import Sample, SegmentInfo
from segtutor.viz.inputs import to_numpy

__all__ = ["KINDS", "Segment", "SegmentMap", "as_segment_map"]

Kind = Literal["semantic", "instance", "panoptic"]
KINDS: tuple[str, ...] = ("semantic", "instance", "panoptic")


@dataclass(frozen=True)
class Segment:
    """One segment to draw.

    Attributes
    ----------
    id : int
        The value of this segment's pixels in :attr:`SegmentMap.ids` (the class id for semantic maps).
    label_id : int
        Its category id.
    score : float or None
        Prediction score in 0..1; ``None`` for ground truth.
    was_fused : bool
        ``True`` when post-processing fused several instances of a stuff class into this one segment.
    """

    id: int
    label_id: int
    score: float | None = None
    was_fused: bool = False


@dataclass(frozen=True)
class SegmentMap:
    """A segmentation ready to draw.

    Attributes
    ----------
    ids : ndarray, shape (H, W), integer
        Segment id per pixel. Pixels whose value is not the ``id`` of a listed segment are not painted
        (``-1`` "no segment", ``0`` void in panoptic maps, ``ignore_index`` in semantic maps).
    segments : tuple of Segment
        The segments, in drawing order.
    kind : {"semantic", "instance", "panoptic"}
    """

    ids: np.ndarray
    segments: tuple[Segment, ...]
    kind: str

    @property
    def shape(self) -> tuple[int, int]:
        return (int(self.ids.shape[0]), int(self.ids.shape[1]))


def as_segment_map(
    segmentation: Any,
    kind: str | None = None,
    *,
    shape: tuple[int, int] | None = None,
    ignore_index: int | None = 255,
) -> SegmentMap:
    """Normalise any supported segmentation result into a :class:`SegmentMap`.

    Parameters
    ----------
    segmentation : SegmentMap, Sample, mapping, (map, segments_info) pair, ndarray or tensor
        See the module docstring for the accepted forms. A list holding one result (what the
        ``post_process_*`` methods return for a batch of one) is unwrapped.
    kind : {"semantic", "instance", "panoptic"}, optional
        How to read / view it. ``None``: a bare map is semantic, a result with ``segments_info`` is panoptic,
        a Sample uses its own ``kind``.
    shape : tuple of int, optional
        ``(H, W)`` to use when a result has ``segmentation=None`` (transformers' "nothing found").
    ignore_index : int or None
        Value of unlabelled pixels in semantic maps (left unpainted). ``None`` if every value is a class.

    Returns
    -------
    SegmentMap
        Shares memory with the input where possible; never modifies it.

    Raises
    ------
    ValueError
        For an unknown kind, a bare map asked to be drawn as instances / panoptic, or binary maps whose count
        does not match ``segments_info``.
    """
    if kind is not None and kind not in KINDS:
        raise ValueError(f"kind: expected one of {KINDS}, got {kind!r}.")
    if isinstance(segmentation, SegmentMap):
        return segmentation
    if isinstance(segmentation, Sample):
        return _from_sample(segmentation, kind or segmentation.kind)
    if isinstance(segmentation, list) and len(segmentation) == 1:
        segmentation = segmentation[0]
    if isinstance(segmentation, list) and segmentation and isinstance(segmentation[0], Mapping):
        raise ValueError(
            f"segmentation: got a list of {len(segmentation)} results (one per image); pass one image's "
            "result, e.g. results[0]."
        )
    if isinstance(segmentation, Mapping):
        if "segmentation" not in segmentation:
            raise ValueError(
                f"segmentation: a result dict needs a 'segmentation' key, got keys {sorted(segmentation)}."
            )
        if "segments_info" not in segmentation:  # semantic result with scores
            return _semantic(segmentation["segmentation"], kind, ignore_index)
        return _from_info(segmentation["segmentation"], segmentation["segments_info"], kind, shape)
    if isinstance(segmentation, tuple) and len(segmentation) == 2:
        return _from_info(segmentation[0], segmentation[1], kind, shape)
    return _semantic(segmentation, kind, ignore_index)


def _present_values(ids: np.ndarray) -> np.ndarray:
    """Return the sorted distinct values of an integer map (bincount when the range is small: fast)."""
    if ids.size == 0:
        return np.zeros(0, dtype=np.int64)
    lo, hi = int(ids.min()), int(ids.max())
    if hi - lo < (1 << 22):
        counts = np.bincount((ids.ravel() - lo) if lo else ids.ravel(), minlength=hi - lo + 1)
        return np.flatnonzero(counts) + lo
    return np.unique(ids)


def _semantic(value: Any, kind: str | None, ignore_index: int | None) -> SegmentMap:
    if kind not in (None, "semantic"):
        raise ValueError(
            f"segmentation: a bare (H, W) map can only be drawn as semantic, not {kind!r}: instance and "
            "panoptic drawings need segments_info. Pass the whole post-processing result "
            "({'segmentation': ..., 'segments_info': ...}) or a Sample."
        )
    ids = to_numpy(value)
    if ids.ndim == 3 and ids.shape[0] == 1:
        ids = ids[0]
    if ids.ndim != 2 or not (np.issubdtype(ids.dtype, np.integer) or ids.dtype == np.bool_):
        raise ValueError(
            f"segmentation: expected an (H, W) integer map of class ids, got shape {ids.shape} dtype "
            f"{ids.dtype}. For model outputs run post-processing first (segtutor.postprocess.semantic)."
        )
    if ids.dtype == np.bool_:
        ids = ids.astype(np.int64)
    values = [int(v) for v in _present_values(ids) if v >= 0 and v != ignore_index]
    return SegmentMap(ids, tuple(Segment(v, v) for v in values), "semantic")


def _info_fields(info: Any, position: int) -> Segment:
    if isinstance(info, SegmentInfo):
        return Segment(int(info.id), int(info.category_id))
    if isinstance(info, Segment):
        return info
    if not isinstance(info, Mapping) or "id" not in info or not ({"label_id", "category_id"} & set(info)):
        raise ValueError(
            f"segments_info[{position}]: expected a dict with 'id' and 'label_id' (transformers) or "
            f"'category_id' (COCO), got {info!r}."
        )
    label = info["label_id"] if "label_id" in info else info["category_id"]
    score = info.get("score")
    return Segment(int(info["id"]), int(label), None if score is None else float(score),
                   bool(info.get("was_fused", False)))


def _from_info(seg: Any, infos: Sequence[Any], kind: str | None, shape: tuple[int, int] | None) -> SegmentMap:
    listed = [_info_fields(info, i) for i, info in enumerate(infos)]
    by_id: dict[int, Segment] = {}
    for segment in listed:  # panoptic post-processing repeats the id of a fused stuff segment
        by_id.setdefault(segment.id, segment)
    segments = tuple(by_id.values())
    kind = kind or "panoptic"
    if kind == "semantic":
        raise ValueError("segmentation: a result with segments_info is instance or panoptic, not semantic.")
    if seg is None:
        if shape is None:
            raise ValueError("segmentation is None (nothing found): pass the image so its size is known.")
        return SegmentMap(np.full(shape, -1, dtype=np.int64), (), kind)
    arr = to_numpy(seg)
    if arr.ndim == 3 and arr.shape[0] == len(listed) and len(listed) > 0:  # return_binary_maps=True
        ids = np.full(arr.shape[1:], -1, dtype=np.int64)
        for mask, segment in zip(arr, listed, strict=True):
            ids[mask > 0.5] = segment.id
        return SegmentMap(ids, segments, kind)
    if arr.ndim == 3:
        raise ValueError(
            f"segmentation: got {arr.shape[0]} binary maps but {len(listed)} segments_info entries; "
            "expected one map per entry (post_process_instance_segmentation(..., return_binary_maps=True))."
        )
    if arr.ndim != 2:
        raise ValueError(f"segmentation: expected an (H, W) segment-id map, got shape {arr.shape}.")
    if not np.issubdtype(arr.dtype, np.integer):  # transformers' instance maps are float (-1 = nothing)
        arr = arr.astype(np.int64)
    return SegmentMap(arr, segments, kind)


def _from_sample(sample: Sample, kind: str) -> SegmentMap:
    if kind == "semantic":
        return _semantic(sample.semantic_map(ignore_index=-1), "semantic", None)
    if kind == "panoptic":
        ids, infos = sample.panoptic_map()
        ids[sample.ignore] = 0  # a new array: the sample is untouched
        return SegmentMap(ids, tuple(Segment(i.id, i.category_id) for i in infos), "panoptic")
    things = {c.id for c in sample.categories if c.isthing}
    keep = [i for i, cid in enumerate(sample.category_ids) if int(cid) in things]
    ids = np.full((sample.height, sample.width), -1, dtype=np.int64)
    segments = []
    for number, i in enumerate(keep, start=1):
        ids[sample.masks[i]] = number
        segments.append(Segment(number, int(sample.category_ids[i])))
    ids[sample.ignore] = -1
    return SegmentMap(ids, tuple(segments), "instance")
