"""COCO panoptic format: one JSON plus one PNG per image whose colour encodes the segment id.

Layout of COCO panoptic 2017 (also used by ToyShapes)::

    annotations/panoptic_val2017.json      images, annotations (file_name, segments_info), categories
    annotations/panoptic_val2017/*.png     id = R + 256 * G + 256**2 * B, 0 = void (unlabelled)
    val2017/*.jpg                          the photos

Each ``segments_info`` entry has ``id``, ``category_id``, ``area``, ``bbox`` (x, y, w, h) and ``iscrowd``.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from segtutor.categories import Category
from segtutor.data.coco_json import (
    dump_json,
    load_json,
    parse_categories,
    parse_flag,
    parse_images,
    require,
)
from segtutor.data.errors import DatasetFormatError
from segtutor.data.file_names import resolve_inside
from segtutor.data.image_io import panoptic_id_to_rgb, read_label_png, read_rgb, rgb_to_panoptic_id, write_png
from segtutor.data.reader_base import SampleSequence, check_declared_size, check_same_size
from segtutor.data.targets import Sample

__all__ = ["CocoPanopticReader", "PanopticWriter", "read_coco_panoptic", "write_coco_panoptic"]


class CocoPanopticReader(SampleSequence):
    """Lazy COCO panoptic dataset; build it with :func:`read_coco_panoptic`."""

    kind = "panoptic"

    def __init__(self, annotation_file: Path, image_dir: Path, mask_dir: Path) -> None:
        self.annotation_file, self.image_dir, self.mask_dir = annotation_file, image_dir, mask_dir
        data = load_json(annotation_file, ("images", "annotations", "categories"))
        categories = parse_categories(data, annotation_file, default_isthing=None)
        images = parse_images(data, annotation_file)
        known = {c.id for c in categories}
        self._annotations: dict[Any, dict[str, Any]] = {}
        self._where: dict[Any, str] = {}
        pngs: dict[str, str] = {}
        for k, ann in enumerate(data["annotations"]):
            where = f"annotations[{k}]"
            image_id = require(ann, "image_id", annotation_file, where, (int, str))
            png = require(ann, "file_name", annotation_file, where, str)
            resolve_inside(mask_dir, png, annotation_file, f"{where}.file_name")
            if png in pngs:
                raise DatasetFormatError(
                    annotation_file,
                    f"{where}.file_name",
                    f"{png!r} is already the PNG of {pngs[png]}.",
                    "every image needs its own panoptic PNG; fix the file_name.",
                )
            pngs[png] = where
            if image_id not in images:
                raise DatasetFormatError(
                    annotation_file,
                    f"{where}.image_id",
                    f"image id {image_id!r} is not in 'images'.",
                    "add the image to 'images' or remove the annotation.",
                )
            if image_id in self._annotations:
                raise DatasetFormatError(
                    annotation_file,
                    f"{where}.image_id",
                    f"image {image_id!r} has two panoptic annotations.",
                    "merge them: a panoptic image has exactly one annotation.",
                )
            self._check_segments(ann, where, known)
            self._annotations[image_id] = ann
            self._where[image_id] = where
        self._images = list(images.values())
        super().__init__(categories, [entry["file_name"] for entry in self._images])

    def _check_segments(self, ann: dict[str, Any], where: str, known: set[int]) -> None:
        path = self.annotation_file
        segments = require(ann, "segments_info", path, where, list)
        seen: set[int] = set()
        for j, seg in enumerate(segments):
            field = f"{where}.segments_info[{j}]"
            sid = require(seg, "id", path, field, int)
            cid = require(seg, "category_id", path, field, int)
            seg["iscrowd"] = parse_flag(seg, "iscrowd", path, field, False)
            if not 0 < sid < 256**3:
                problem = (
                    "id 0 is void (unlabelled pixels) and cannot be a segment"
                    if sid == 0
                    else f"id {sid} cannot be painted in an RGB PNG (ids are 1 .. 256**3 - 1)"
                )
                raise DatasetFormatError(
                    path,
                    f"{field}.id",
                    f"{problem}.",
                    "remove this entry if its pixels are void; otherwise give the segment an id from 1 "
                    "(id = R + 256*G + 256^2*B of its colour in the PNG).",
                )
            if cid not in known:
                raise DatasetFormatError(
                    path,
                    f"{field}.category_id",
                    f"category id {cid} is not in 'categories' (known ids: {sorted(known)}).",
                    "add the category to 'categories' or fix the segment's id.",
                )
            if sid in seen:
                raise DatasetFormatError(
                    path,
                    f"{field}.id",
                    f"segment id {sid} appears twice in this image.",
                    "segment ids must be unique within an image.",
                )
            seen.add(sid)

    def _load(self, index: int) -> Sample:
        entry = self._images[index]
        where = f"images[{index}]"
        name = entry["file_name"]
        image_path = resolve_inside(self.image_dir, name, self.annotation_file, f"{where}.file_name")
        image = read_rgb(image_path)
        check_declared_size(entry, image, self.annotation_file, where, image_path)
        h, w = image.shape[:2]
        ann = self._annotations.get(entry["id"])
        if ann is None:  # not annotated: valid, every pixel unlabelled
            return Sample(
                image,
                np.zeros((0, h, w), bool),
                np.zeros(0, np.int64),
                np.ones((h, w), bool),
                "panoptic",
                self.categories,
                entry["file_name"],
                entry["id"],
                np.zeros(0, np.int64),
            )
        mask_path = resolve_inside(
            self.mask_dir, ann["file_name"], self.annotation_file, f"{self._where[entry['id']]}.file_name"
        )
        rgb = read_label_png(
            mask_path,
            allowed_modes=("RGB",),
            what="panoptic PNG",
            fix="save panoptic PNGs as 8-bit RGB (id = R + 256*G + 256^2*B), not as "
            "grayscale, palette or RGBA.",
        )
        check_same_size(image, rgb, mask_path, image_path)
        ids = rgb_to_panoptic_id(rgb)
        segments = ann["segments_info"]
        listed = [int(s["id"]) for s in segments]
        masks = ids[None] == np.array(listed, dtype=np.int64)[:, None, None]
        unlisted = (ids != 0) & ~masks.any(axis=0)
        if unlisted.any():
            raise DatasetFormatError(
                mask_path,
                "segments_info",
                f"ids {np.unique(ids[unlisted]).tolist()} are painted in the PNG but missing from "
                f"segments_info of image {entry['id']!r} in {self.annotation_file.name}.",
                "add a segments_info entry for every id in the PNG, or repaint those pixels as 0 (void).",
            )
        empty = [sid for sid, mask in zip(listed, masks, strict=True) if not mask.any()]
        if empty:
            raise DatasetFormatError(
                mask_path,
                "segments_info",
                f"ids {empty} are listed in segments_info of image {entry['id']!r} "
                f"in {self.annotation_file.name} but have no pixel in the PNG.",
                "remove those segments_info entries, or check that the PNG belongs to this image.",
            )
        return Sample(
            image=image,
            masks=masks,
            category_ids=np.array([s["category_id"] for s in segments], dtype=np.int64),
            ignore=ids == 0,
            kind="panoptic",
            categories=self.categories,
            file_name=entry["file_name"],
            image_id=entry["id"],
            segment_ids=np.array(listed, dtype=np.int64),
            iscrowd=np.array([s["iscrowd"] for s in segments], dtype=bool),
        )


def read_coco_panoptic(
    annotation_file: str | Path, image_dir: str | Path, mask_dir: str | Path | None = None
) -> CocoPanopticReader:
    """Open a COCO panoptic dataset lazily.

    Parameters
    ----------
    annotation_file : str or Path
        e.g. ``annotations/panoptic_val2017.json``.
    image_dir : str or Path
        Folder of the photos, e.g. ``val2017/``.
    mask_dir : str or Path, optional
        Folder of the panoptic PNGs; defaults to the JSON's path without ``.json`` (the COCO layout).

    Returns
    -------
    CocoPanopticReader
        A sequence of panoptic :class:`Sample`: one binary mask per segment, ``ignore`` = void pixels.
        Images without an annotation entry are kept, with no masks and every pixel ignored.

    Raises
    ------
    DatasetFormatError
        At once for a malformed JSON (a field of the wrong type, a category without ``isthing``, segment
        id 0, duplicate ids, a file name outside its folder); when an item is read (or by ``validate()``)
        for a bad file (missing, undecodable, not a real PNG, a size other than the declared one, ids in
        the PNG that ``segments_info`` does not list or the reverse).
    """
    annotation_file = Path(annotation_file)
    mask_dir = annotation_file.with_suffix("") if mask_dir is None else Path(mask_dir)
    return CocoPanopticReader(annotation_file, Path(image_dir), mask_dir)


class PanopticWriter:
    """Write samples one at a time as COCO panoptic; the JSON is written by :meth:`close`.

    Parameters
    ----------
    annotation_file : str or Path
        The JSON to write.
    mask_dir : str or Path
        Folder for the panoptic PNGs (named like the images, with ``.png``).
    categories : list of Category
        Written to ``categories`` with ``isthing`` and ``color``.
    image_dir : str or Path, optional
        If given, the images are written there as PNG too.
    """

    def __init__(
        self,
        annotation_file: str | Path,
        mask_dir: str | Path,
        categories: list[Category],
        image_dir: str | Path | None = None,
    ) -> None:
        self.annotation_file, self.mask_dir = Path(annotation_file), Path(mask_dir)
        self.image_dir = None if image_dir is None else Path(image_dir)
        self.categories = list(categories)
        self._images: list[dict[str, Any]] = []
        self._annotations: list[dict[str, Any]] = []

    def add(self, sample: Sample) -> None:
        """Write ``sample``'s panoptic PNG (and image) and remember its JSON entries."""
        stem = Path(sample.file_name).stem
        seg, infos = sample.panoptic_map()
        seg[sample.ignore] = 0
        infos = [i for i in infos if (seg == i.id).any()]
        write_png(self.mask_dir / f"{stem}.png", panoptic_id_to_rgb(seg))
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
        self._annotations.append(
            {
                "image_id": sample.image_id,
                "file_name": f"{stem}.png",
                "segments_info": [i.to_coco() for i in infos],
            }
        )

    def close(self) -> None:
        """Write the annotation JSON."""
        dump_json(
            self.annotation_file,
            {
                "info": {"description": "segtutor COCO panoptic export"},
                "images": self._images,
                "annotations": self._annotations,
                "categories": [c.to_coco() for c in self.categories],
            },
        )

    def __enter__(self) -> PanopticWriter:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()


def write_coco_panoptic(
    samples: Iterable[Sample],
    annotation_file: str | Path,
    mask_dir: str | Path,
    categories: list[Category],
    image_dir: str | Path | None = None,
) -> None:
    """Write samples as a COCO panoptic JSON plus PNGs (see :class:`PanopticWriter`)."""
    with PanopticWriter(annotation_file, mask_dir, categories, image_dir) as writer:
        for sample in samples:
            writer.add(sample)
