"""Catalogue cases for COCO instances (one JSON, RLE or polygon masks): broken fields and valid variants."""

from __future__ import annotations

import copy

import numpy as np
from catalogue_tools import Case, del_json, edit_json, png_header_only, resave, set_json, truncate
from PIL import Image
from pycocotools import mask as mask_utils

JSON = "annotations/instances_train.json"
IMG0 = "images/train/train_00000.png"
SEG0 = "annotations[0].segmentation"
RECT = [2.0, 2.0, 20.0, 2.0, 20.0, 12.0, 2.0, 12.0]


def _i(name, edit, error=None, **kw) -> Case:
    return Case(f"instance-{name}", "instance", edit, error, **kw)


def _j(name, keys, value, field) -> Case:
    return _i(name, lambda L: set_json(L.instances_json, keys, value), (JSON, field))


def _seg(name, value, field=SEG0) -> Case:
    return _j(name, ("annotations", 0, "segmentation"), value, field)


def _runs(mask: np.ndarray) -> list[int]:
    """Uncompressed COCO counts of a mask (column-major, starting with a run of zeros)."""
    flat = mask.flatten(order="F").astype(np.int8)
    edges = np.flatnonzero(np.diff(flat)) + 1
    bounds = np.concatenate([[0], edges, [flat.size]])
    runs = np.diff(bounds).tolist()
    return [0, *runs] if flat[0] else runs


def _rle(L, change) -> None:
    """Apply ``change(rle, mask)`` to annotation 0's RLE (``mask`` is its decoded mask)."""

    def edit(data):
        seg = data["annotations"][0]["segmentation"]
        mask = mask_utils.decode({"size": seg["size"], "counts": seg["counts"].encode()})
        change(seg, mask)

    edit_json(L.instances_json, edit)


def _uncompressed(L) -> None:
    def edit(data):
        for ann in data["annotations"]:
            seg = ann["segmentation"]
            mask = mask_utils.decode({"size": seg["size"], "counts": seg["counts"].encode()})
            seg["counts"] = _runs(mask)

    edit_json(L.instances_json, edit)


def _polygon_mask(polygons: list[list[float]], h: int, w: int) -> np.ndarray:
    """The reference: pycocotools' own decoding of (valid) polygons."""
    return mask_utils.decode(mask_utils.merge(mask_utils.frPyObjects(polygons, h, w))).astype(bool)


def _with_polygons(polygons):
    def edit(L):
        set_json(L.instances_json, ("annotations", 0, "segmentation"), polygons)

    def expect(samples, L):
        samples = copy.deepcopy(samples)
        h, w = samples[0].image.shape[:2]
        samples[0].masks[0] = _polygon_mask(polygons, h, w) if polygons else np.zeros((h, w), bool)
        return samples

    return edit, expect


def _valid_polygon(name, polygons) -> Case:
    edit, expect = _with_polygons(polygons)
    return _i(name, edit, expect=expect)


def _crowd(value):
    def edit(L):
        set_json(L.instances_json, ("annotations", 0, "iscrowd"), value)

    def expect(samples, L):
        samples = copy.deepcopy(samples)
        samples[0].iscrowd[0] = True
        return samples

    return edit, expect


def _no_annotations(samples, L):
    samples = copy.deepcopy(samples)
    for s in samples:
        h, w = s.image.shape[:2]
        s.masks, s.category_ids, s.iscrowd = (
            np.zeros((0, h, w), bool),
            np.zeros(0, np.int64),
            np.zeros(0, bool),
        )
    return samples


def _string_ids(L) -> None:
    def edit(data):
        for entry in data["images"]:
            entry["id"] = f"img-{entry['id']}"
        for ann in data["annotations"]:
            ann["image_id"] = f"img-{ann['image_id']}"

    edit_json(L.instances_json, edit)


def _string_ids_expect(samples, L):
    samples = copy.deepcopy(samples)
    for s in samples:
        s.image_id = f"img-{s.image_id}"
    return samples


def _downscaled(update_json: bool, polygons: bool):
    def edit(L):
        resave(L.image_dir / "train_00000.png", lambda im: im.resize((16, 16), Image.NEAREST))

        def change(data):
            if update_json:
                data["images"][0].update(width=16, height=16)
            if polygons:
                for ann in data["annotations"]:
                    if ann["image_id"] == 0:
                        ann["segmentation"] = [[2.0, 2.0, 30.0, 2.0, 30.0, 30.0, 2.0, 30.0]]

        edit_json(L.instances_json, change)

    return edit


def _bom(L):
    L.instances_json.write_bytes(b"\xef\xbb\xbf" + L.instances_json.read_bytes())


_crowd_true, _crowd_expect = _crowd(True)
_crowd_one, _ = _crowd("1")

CASES = [
    # the file and its top level
    _i("json-not-json", lambda L: L.instances_json.write_text("[1, 2"), (JSON, "file")),
    _i("json-missing", lambda L: L.instances_json.unlink(), (JSON, "file")),
    _j("images-null", ("images",), None, "images"),
    _j("annotations-string", ("annotations",), "none", "annotations"),
    _j("categories-null", ("categories",), None, "categories"),
    _j("annotation-entry-list", ("annotations", 0), [1, 2], "annotations[0]"),
    _j("image-id-duplicate", ("images", 1, "id"), 0, "images[1].id"),
    _i(
        "category-name-missing",
        lambda L: del_json(L.instances_json, ("categories", 0, "name")),
        (JSON, "categories[0].name"),
    ),
    _j("category-isthing-word", ("categories", 2, "isthing"), "no", "categories[2].isthing"),
    # annotation fields
    _i(
        "image-id-missing",
        lambda L: del_json(L.instances_json, ("annotations", 0, "image_id")),
        (JSON, "annotations[0].image_id"),
    ),
    _j("image-id-unknown", ("annotations", 0, "image_id"), 42, "annotations[0].image_id"),
    _j("category-id-unknown", ("annotations", 0, "category_id"), 9, "annotations[0].category_id"),
    _j("category-id-string", ("annotations", 0, "category_id"), "2", "annotations[0].category_id"),
    _j("annotation-id-duplicate", ("annotations", 1, "id"), 1, "annotations[1].id"),
    _j("annotation-id-float", ("annotations", 0, "id"), 1.5, "annotations[0].id"),
    _j("iscrowd-word", ("annotations", 0, "iscrowd"), "yes", "annotations[0].iscrowd"),
    _j("iscrowd-null", ("annotations", 0, "iscrowd"), None, "annotations[0].iscrowd"),
    _i(
        "segmentation-missing",
        lambda L: del_json(L.instances_json, ("annotations", 0, "segmentation")),
        (JSON, SEG0),
    ),
    _seg("segmentation-string", "polygon"),
    _seg("segmentation-null", None),
    # polygons
    _seg("polygon-huge-coordinates", [[1e9, 1e9, 2e9, 1e9, 2e9, 2e9]], SEG0 + "[0]"),
    _seg("polygon-nan", [[2.0, 2.0, float("nan"), 5.0, 9.0, 9.0]], SEG0 + "[0]"),
    _seg("polygon-infinity", [[2.0, 2.0, float("inf"), 5.0, 9.0, 9.0]], SEG0 + "[0]"),
    _seg("polygon-odd-count", [[2.0, 2.0, 20.0, 2.0, 20.0, 12.0, 2.0]], SEG0 + "[0]"),
    _seg("polygon-one-point", [[5.0, 5.0]], SEG0 + "[0]"),
    _seg("polygon-two-points", [[5.0, 5.0, 9.0, 9.0]], SEG0 + "[0]"),
    _seg("polygon-empty-inner-list", [[]], SEG0 + "[0]"),
    _seg("polygon-not-nested", RECT, SEG0 + "[0]"),
    _seg("polygon-string-coordinates", [["2", "2", "20", "2", "20", "12"]], SEG0 + "[0]"),
    _seg("polygon-bool-coordinate", [[True, 2.0, 20.0, 2.0, 20.0, 12.0]], SEG0 + "[0]"),
    _seg("polygon-far-left", [[-50.0, 2.0, 20.0, 2.0, 20.0, 12.0]], SEG0 + "[0]"),
    _seg("polygon-far-below", [[2.0, 2.0, 20.0, 2.0, 20.0, 40.0]], SEG0 + "[0]"),
    _seg("polygon-second-bad", [RECT, [1.0, 1.0, 3.0]], SEG0 + "[1]"),
    # RLE
    _i("rle-size-missing", lambda L: _rle(L, lambda s, m: s.pop("size")), (JSON, SEG0)),
    _i("rle-counts-missing", lambda L: _rle(L, lambda s, m: s.pop("counts")), (JSON, SEG0)),
    _i("rle-size-wrong", lambda L: _rle(L, lambda s, m: s.update(size=[16, 32])), (JSON, SEG0 + ".size")),
    _i("rle-size-string", lambda L: _rle(L, lambda s, m: s.update(size="32x32")), (JSON, SEG0 + ".size")),
    _i(
        "rle-size-three-numbers",
        lambda L: _rle(L, lambda s, m: s.update(size=[32, 32, 1])),
        (JSON, SEG0 + ".size"),
    ),
    _i(
        "rle-size-floats", lambda L: _rle(L, lambda s, m: s.update(size=[32.0, 32.0])), (JSON, SEG0 + ".size")
    ),
    _i(
        "rle-string-truncated",
        lambda L: _rle(L, lambda s, m: s.update(counts=s["counts"][: len(s["counts"]) // 2])),
        (JSON, SEG0 + ".counts"),
    ),
    _i(
        "rle-string-extended",
        lambda L: _rle(L, lambda s, m: s.update(counts=s["counts"] + "5")),
        (JSON, SEG0 + ".counts"),
    ),
    _i(
        "rle-string-bad-character",
        lambda L: _rle(L, lambda s, m: s.update(counts=s["counts"] + "~")),
        (JSON, SEG0 + ".counts"),
    ),
    _i(
        "rle-string-ends-mid-run",
        lambda L: _rle(L, lambda s, m: s.update(counts=s["counts"] + "P")),
        (JSON, SEG0 + ".counts"),
    ),
    _i("rle-string-empty", lambda L: _rle(L, lambda s, m: s.update(counts="")), (JSON, SEG0 + ".counts")),
    _i(
        "rle-list-short",
        lambda L: _rle(L, lambda s, m: s.update(counts=_runs(m)[:-1])),
        (JSON, SEG0 + ".counts"),
    ),
    _i(
        "rle-list-long",
        lambda L: _rle(L, lambda s, m: s.update(counts=[*_runs(m), 5])),
        (JSON, SEG0 + ".counts"),
    ),
    _i(
        "rle-list-negative",
        lambda L: _rle(L, lambda s, m: s.update(counts=[*_runs(m)[:-1], _runs(m)[-1] + 3, -3])),
        (JSON, SEG0 + ".counts"),
    ),
    _i(
        "rle-list-floats",
        lambda L: _rle(L, lambda s, m: s.update(counts=[float(v) for v in _runs(m)])),
        (JSON, SEG0 + ".counts"),
    ),
    _i("rle-counts-null", lambda L: _rle(L, lambda s, m: s.update(counts=None)), (JSON, SEG0 + ".counts")),
    # images and sizes
    _j("image-width-wrong", ("images", 0, "width"), 64, "images[0].width"),
    _j("image-height-negative", ("images", 1, "height"), -32, "images[1].height"),
    _i("image-downscaled-json-unchanged", _downscaled(False, False), (JSON, "images[0].width")),
    _i("image-downscaled-rle-unchanged", _downscaled(True, False), (JSON, SEG0 + ".size")),
    _i("image-downscaled-polygons-unchanged", _downscaled(True, True), (JSON, SEG0 + "[0]")),
    _j(
        "image-path-dotdot",
        ("images", 0, "file_name"),
        "../../annotations/panoptic_train/train_00000.png",
        "images[0].file_name",
    ),
    _j("image-path-absolute", ("images", 0, "file_name"), "/etc/hostname", "images[0].file_name"),
    _i("image-file-missing", lambda L: (L.image_dir / "train_00000.png").unlink(), (IMG0, "file")),
    _i(
        "image-bomb",
        lambda L: png_header_only(L.image_dir / "train_00000.png", 100000, 100000),
        (IMG0, "size"),
    ),
    _i("image-file-truncated", lambda L: truncate(L.image_dir / "train_00000.png"), (IMG0, "file")),
    # valid inputs, read exactly
    _i("valid-utf8-bom", _bom),
    _i("valid-uncompressed-rle", _uncompressed),
    _valid_polygon("valid-polygon", [RECT]),
    _valid_polygon("valid-polygons-two-parts", [RECT, [22.0, 20.0, 30.0, 20.0, 26.0, 28.0]]),
    _valid_polygon("valid-polygon-on-the-border", [[-1.0, -1.0, 33.0, -1.0, 33.0, 10.0]]),
    _valid_polygon("valid-polygon-integers", [[3, 4, 15, 4, 15, 20, 3, 20]]),
    _valid_polygon("valid-polygon-empty-list", []),
    _i("valid-iscrowd-true", _crowd_true, expect=_crowd_expect),
    _i("valid-iscrowd-string-one", _crowd_one, expect=_crowd_expect),
    _i("valid-iscrowd-string-zero", lambda L: set_json(L.instances_json, ("annotations", 0, "iscrowd"), "0")),
    _i(
        "valid-no-annotation-ids",
        lambda L: edit_json(L.instances_json, lambda d: [a.pop("id") for a in d["annotations"]] and None),
    ),
    _i(
        "valid-no-annotations",
        lambda L: set_json(L.instances_json, ("annotations",), []),
        expect=_no_annotations,
    ),
    _i("valid-string-image-ids", _string_ids, expect=_string_ids_expect),
    _i(
        "valid-extra-keys",
        lambda L: edit_json(L.instances_json, lambda d: d.update(licenses=[], info={"year": 2026})),
    ),
    _i(
        "valid-photo-as-jpeg",
        lambda L: resave(L.image_dir / "train_00001.png", lambda im: im, "JPEG", quality=90),
        compare_image=False,
    ),
]
