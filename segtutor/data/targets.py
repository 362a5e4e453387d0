"""One data type for one image's ground truth, whatever format it was read from.

Every reader (COCO panoptic, COCO instances, semantic PNGs) returns a :class:`Sample`; the loaders, the
drawing functions and the metrics consume it. A sample's ground truth is a *set of binary masks* with one
category id each, which is exactly how MaskFormer and Mask2Former see a target ("mask classification"):

* panoptic: one mask per segment (things and stuff), masks never overlap;
* instances: one mask per object (things only), masks may overlap;
* semantic: one mask per class present, masks never overlap.

Pixels in ``ignore`` are unlabelled ("void") and must not count in a loss or a metric.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from segtutor.categories import Category

__all__ = ["Sample", "SegmentInfo", "masks_to_panoptic"]

Kind = Literal["panoptic", "instance", "semantic"]


@dataclass(frozen=True)
class SegmentInfo:
    """One segment of a panoptic annotation (COCO ``segments_info`` entry)."""

    id: int
    category_id: int
    area: int
    bbox: tuple[int, int, int, int]  # x, y, width, height in pixels (COCO convention)
    iscrowd: bool = False

    def to_coco(self) -> dict:
        return {
            "id": int(self.id),
            "category_id": int(self.category_id),
            "area": int(self.area),
            "bbox": [int(v) for v in self.bbox],
            "iscrowd": int(self.iscrowd),
        }


@dataclass
class Sample:
    """One image and its ground truth as binary masks.

    Attributes
    ----------
    image : ndarray, shape (H, W, 3), uint8
        RGB image.
    masks : ndarray, shape (N, H, W), bool
        One binary mask per segment / instance / class present. ``N`` may be 0 (an image with no objects).
    category_ids : ndarray, shape (N,), int64
        Category id of each mask.
    ignore : ndarray, shape (H, W), bool
        Pixels without a label (void / crowd / 255 in semantic PNGs).
    kind : {"panoptic", "instance", "semantic"}
        Which annotation format the masks came from.
    categories : list of Category
        The dataset's categories (all of them, not only those present).
    file_name : str
        Image file name relative to the split's image folder.
    image_id : int or str
        The id the annotation file uses for this image.
    segment_ids : ndarray, shape (N,), int64, optional
        Panoptic segment ids, aligned with ``masks`` (panoptic samples only).
    iscrowd : ndarray, shape (N,), bool
        COCO ``iscrowd`` flag per mask.
    """

    image: np.ndarray
    masks: np.ndarray
    category_ids: np.ndarray
    ignore: np.ndarray
    kind: Kind
    categories: list[Category]
    file_name: str = ""
    image_id: int | str = 0
    segment_ids: np.ndarray | None = None
    iscrowd: np.ndarray = field(default=None)  # type: ignore[assignment]

    def __post_init__(self) -> None:
        h, w = self.image.shape[:2]
        if self.image.ndim != 3 or self.image.shape[2] != 3 or self.image.dtype != np.uint8:
            raise ValueError(
                f"Sample {self.file_name!r}: image must be (H, W, 3) uint8 RGB, "
                f"got shape {self.image.shape} dtype {self.image.dtype}."
            )
        if self.masks.ndim != 3 or self.masks.shape[1:] != (h, w):
            raise ValueError(
                f"Sample {self.file_name!r}: masks must be (N, {h}, {w}) to match the image, "
                f"got {self.masks.shape}."
            )
        if self.category_ids.shape != (self.masks.shape[0],):
            raise ValueError(
                f"Sample {self.file_name!r}: need one category id per mask: "
                f"{self.masks.shape[0]} masks, {self.category_ids.shape} ids."
            )
        if self.ignore.shape != (h, w):
            raise ValueError(
                f"Sample {self.file_name!r}: ignore must be ({h}, {w}), got {self.ignore.shape}."
            )
        if self.iscrowd is None:
            self.iscrowd = np.zeros(self.masks.shape[0], dtype=bool)

    @property
    def height(self) -> int:
        return int(self.image.shape[0])

    @property
    def width(self) -> int:
        return int(self.image.shape[1])

    @property
    def category_by_id(self) -> dict[int, Category]:
        return {c.id: c for c in self.categories}

    def semantic_map(self, ignore_index: int = 255) -> np.ndarray:
        """Return the (H, W) class map: category id per pixel, ``ignore_index`` where unlabelled.

        Where instance masks overlap, the later mask wins (the drawing order).
        """
        out = np.full((self.height, self.width), ignore_index, dtype=np.int64)
        for mask, cid in zip(self.masks, self.category_ids, strict=True):
            out[mask] = cid
        out[self.ignore] = ignore_index
        return out

    def panoptic_map(self) -> tuple[np.ndarray, list[SegmentInfo]]:
        """Return a (H, W) int64 segment-id map (0 = void) and its segments, as in COCO panoptic.

        For panoptic samples the stored segment ids are kept; otherwise ids 1..N are assigned in mask order.
        """
        ids = self.segment_ids if self.segment_ids is not None else np.arange(1, len(self.masks) + 1)
        return masks_to_panoptic(self.masks, self.category_ids, ids, self.iscrowd)


def masks_to_panoptic(
    masks: np.ndarray,
    category_ids: np.ndarray,
    segment_ids: np.ndarray,
    iscrowd: np.ndarray | None = None,
) -> tuple[np.ndarray, list[SegmentInfo]]:
    """Paint binary masks into a segment-id map and describe each segment (area and bbox).

    Later masks win where masks overlap; a segment left with no pixels is omitted from the list.
    """
    n, h, w = masks.shape
    seg = np.zeros((h, w), dtype=np.int64)
    for mask, sid in zip(masks, segment_ids, strict=True):
        seg[mask] = sid
    crowd = np.zeros(n, dtype=bool) if iscrowd is None else iscrowd
    infos = []
    for sid, cid, crowd_flag in zip(segment_ids, category_ids, crowd, strict=True):
        m = seg == sid
        area = int(m.sum())
        if area == 0:
            continue
        ys, xs = np.nonzero(m)
        x0, y0 = int(xs.min()), int(ys.min())
        bbox = (x0, y0, int(xs.max()) - x0 + 1, int(ys.max()) - y0 + 1)
        infos.append(SegmentInfo(int(sid), int(cid), area, bbox, bool(crowd_flag)))
    return seg, infos
