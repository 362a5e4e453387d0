"""COCO instance segmentation format: one JSON with an RLE or polygon mask per object (things only).

Layout of COCO 2017 (ToyShapes uses the same)::

    annotations/instances_val2017.json     images, annotations (segmentation, bbox, area, ...), categories
    val2017/*.jpg                          the photos

Masks are checked by :mod:`segtutor.data.coco_masks` and decoded with pycocotools. Instance masks may
overlap (unlike panoptic segments).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
from pycocotools import mask as mask_utils

from segtutor.categories import Category
from segtutor.data.coco_json import (
    dump_json,
    load_json,
    parse_categories,
    parse_flag,
    parse_images,
    require,
)
from segtutor.data.coco_masks import decode_segmentation
from segtutor.data.errors import DatasetFormatError
from segtutor.data.file_names import resolve_inside
from segtutor.data.image_io import read_rgb, write_png
from segtutor.data.reader_base import SampleSequence, check_declared_size
from segtutor.data.targets import Sample

__all__ = [
    "CocoInstancesReader",
    "InstancesWriter",
    "encode_rle",
    "read_coco_instances",
    "write_coco_instances",
]


def encode_rle(mask: np.ndarray) -> dict[str, Any]:
    """Encode a binary mask as a JSON-ready compressed COCO RLE.

    Parameters
    ----------
    mask : ndarray, shape (H, W), bool

    Returns
    -------
    dict
        ``{"size": [H, W], "counts": str}``.
    """
    rle = mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))
    return {"size": [int(v) for v in rle["size"]], "counts": rle["counts"].decode("ascii")}


class CocoInstancesReader(SampleSequence):
    """Lazy COCO instance segmentation dataset; build it with :func:`read_coco_instances`."""

    kind = "instance"

    def __init__(self, annotation_file: Path, image_dir: Path) -> None:
        self.annotation_file, self.image_dir = annotation_file, image_dir
        data = load_json(annotation_file, ("images", "annotations", "categories"))
        categories = parse_categories(data, annotation_file, default_isthing=True)
        images = parse_images(data, annotation_file)
        known = {c.id for c in categories}
        self._by_image: dict[Any, list[tuple[int, dict[str, Any]]]] = {image_id: [] for image_id in images}
        seen: set[Any] = set()
        for k, ann in enumerate(data["annotations"]):
            where = f"annotations[{k}]"
            image_id = require(ann, "image_id", annotation_file, where, (int, str))
            cid = require(ann, "category_id", annotation_file, where, int)
            require(ann, "segmentation", annotation_file, where, (dict, list))
            ann["iscrowd"] = parse_flag(ann, "iscrowd", annotation_file, where, False)
            ann_id = require(ann, "id", annotation_file, where, (int, str)) if "id" in ann else None
            if ann_id is not None and ann_id in seen:
                raise DatasetFormatError(
                    annotation_file,
                    f"{where}.id",
                    f"annotation id {ann_id!r} appears twice.",
                    "give every annotation a unique id.",
                )
            seen.add(ann_id)
            if cid not in known:
                raise DatasetFormatError(
                    annotation_file,
                    f"{where}.category_id",
                    f"category id {cid} is not in 'categories' (known ids: {sorted(known)}).",
                    "add the category to 'categories' or fix the annotation's category_id.",
                )
            if image_id not in images:
                raise DatasetFormatError(
                    annotation_file,
                    f"{where}.image_id",
                    f"image id {image_id!r} is not in 'images'.",
                    "add the image to 'images' or remove the annotation.",
                )
            self._by_image[image_id].append((k, ann))
        self._images = list(images.values())
        super().__init__(categories, [entry["file_name"] for entry in self._images])

    def _load(self, index: int) -> Sample:
        entry = self._images[index]
        where = f"images[{index}]"
        name = entry["file_name"]
        image_path = resolve_inside(self.image_dir, name, self.annotation_file, f"{where}.file_name")
        image = read_rgb(image_path)
        check_declared_size(entry, image, self.annotation_file, where, image_path)
        h, w = image.shape[:2]
        anns = self._by_image[entry["id"]]
        file = self.annotation_file
        masks = [
            decode_segmentation(a["segmentation"], h, w, file, f"annotations[{k}].segmentation")
            for k, a in anns
        ]
        return Sample(
            image=image,
            masks=np.stack(masks) if masks else np.zeros((0, h, w), dtype=bool),
            category_ids=np.array([ann["category_id"] for _, ann in anns], dtype=np.int64),
            ignore=np.zeros((h, w), dtype=bool),
            kind="instance",
            categories=self.categories,
            file_name=entry["file_name"],
            image_id=entry["id"],
            iscrowd=np.array([ann["iscrowd"] for _, ann in anns], dtype=bool),
        )


def read_coco_instances(annotation_file: str | Path, image_dir: str | Path) -> CocoInstancesReader:
    """Open a COCO instance segmentation dataset lazily.

    Parameters
    ----------
    annotation_file : str or Path
        e.g. ``annotations/instances_val2017.json``; masks as RLE (compressed or not) or polygons.
    image_dir : str or Path
        Folder of the photos, e.g. ``val2017/``.

    Returns
    -------
    CocoInstancesReader
        A sequence of instance :class:`Sample`: one (possibly overlapping) mask per object, crowd regions
        flagged in ``iscrowd``. Images without objects are kept with ``N = 0``. Categories without an
        ``isthing`` key are things.

    Raises
    ------
    DatasetFormatError
        At once for a malformed JSON (a field of the wrong type, duplicate ids, unknown image or category
        ids); when an item is read (or by ``validate()``) for a bad file or mask: a missing or undecodable
        image, a size other than the declared one, polygons or RLE that do not fit the image (see
        :mod:`segtutor.data.coco_masks`).
    """
    return CocoInstancesReader(Path(annotation_file), Path(image_dir))


class InstancesWriter:
    """Write the thing masks of samples one at a time as COCO instances (RLE); :meth:`close` writes the JSON.

    Parameters
    ----------
    annotation_file : str or Path
        The JSON to write.
    categories : list of Category
        Written to ``categories`` (with ``isthing`` and ``color``); only masks of thing
        categories are written.
    image_dir : str or Path, optional
        If given, the images are written there as PNG too.
    """

    def __init__(
        self, annotation_file: str | Path, categories: list[Category], image_dir: str | Path | None = None
    ) -> None:
        self.annotation_file = Path(annotation_file)
        self.image_dir = None if image_dir is None else Path(image_dir)
        self.categories = list(categories)
        self._things = {c.id for c in categories if c.isthing}
        self._images: list[dict[str, Any]] = []
        self._annotations: list[dict[str, Any]] = []

    def add(self, sample: Sample) -> None:
        """Encode ``sample``'s thing masks and remember the JSON entries."""
        if self.image_dir is not None:
            write_png(self.image_dir / sample.file_name, sample.image)
        self._images.append(
            {
                "id": sample.image_id,
                "file_name": sample.file_name,
                "height": sample.height,
                "width": sample.width,
            }
        )
        for mask, cid, crowd in zip(sample.masks, sample.category_ids, sample.iscrowd, strict=True):
            if int(cid) not in self._things or not mask.any():
                continue
            ys, xs = np.nonzero(mask)
            x0, y0 = int(xs.min()), int(ys.min())
            self._annotations.append(
                {
                    "id": len(self._annotations) + 1,
                    "image_id": sample.image_id,
                    "category_id": int(cid),
                    "segmentation": encode_rle(mask),
                    "area": int(mask.sum()),
                    "bbox": [x0, y0, int(xs.max()) - x0 + 1, int(ys.max()) - y0 + 1],
                    "iscrowd": int(crowd),
                }
            )

    def close(self) -> None:
        """Write the annotation JSON."""
        dump_json(
            self.annotation_file,
            {
                "info": {"description": "segtutor COCO instances export"},
                "images": self._images,
                "annotations": self._annotations,
                "categories": [c.to_coco() for c in self.categories],
            },
        )

    def __enter__(self) -> InstancesWriter:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()


def write_coco_instances(
    samples: Iterable[Sample],
    annotation_file: str | Path,
    categories: list[Category],
    image_dir: str | Path | None = None,
) -> None:
    """Write samples as a COCO instances JSON with RLE masks (see :class:`InstancesWriter`)."""
    with InstancesWriter(annotation_file, categories, image_dir) as writer:
        for sample in samples:
            writer.add(sample)
