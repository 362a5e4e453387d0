"""Catalogue cases for COCO panoptic (JSON + PNGs): every field broken once, and valid re-encodings."""

from __future__ import annotations

import copy
import json
import shutil

import numpy as np
from catalogue_tools import Case, del_json, edit_json, png_header_only, resave, set_json, truncate
from PIL import Image

JSON = "annotations/panoptic_train.json"
IMG0 = "images/train/train_00000.png"
PNG0 = "panoptic_train/train_00000.png"


def _p(name, edit, error=None, **kw) -> Case:
    return Case(f"panoptic-{name}", "panoptic", edit, error, **kw)


def _j(name, keys, value, field) -> Case:
    return _p(name, lambda L: set_json(L.panoptic_json, keys, value), (JSON, field))


def _seg(k: int, key: str) -> tuple:
    return ("annotations", 0, "segments_info", k, key)


def _all_categories(L, change) -> None:
    edit_json(L.panoptic_json, lambda d: [change(c) for c in d["categories"]] and None)


def _isthing_as(values):
    def edit(L):
        _all_categories(L, lambda c: c.update(isthing=values[bool(c["isthing"])]))

    return edit


def _unannotated(samples, L):
    samples = copy.deepcopy(samples)
    s = samples[1]
    h, w = s.image.shape[:2]
    s.masks, s.category_ids = np.zeros((0, h, w), bool), np.zeros(0, np.int64)
    s.ignore, s.segment_ids, s.iscrowd = np.ones((h, w), bool), np.zeros(0, np.int64), np.zeros(0, bool)
    return samples


def _renamed(samples, L):
    samples = copy.deepcopy(samples)
    samples[0].file_name = "sub/train_00000.png"
    return samples


def _move_into_subfolder(L):
    (L.image_dir / "sub").mkdir()
    shutil.move(L.image_dir / "train_00000.png", L.image_dir / "sub" / "train_00000.png")
    set_json(L.panoptic_json, ("images", 0, "file_name"), "sub/train_00000.png")


def _downscale_image(L):
    resave(L.image_dir / "train_00000.png", lambda im: im.resize((16, 16), Image.NEAREST))


def _latin1(L):
    data = json.loads(L.panoptic_json.read_text())
    data["categories"][0]["name"] = "ciel bleu é"
    L.panoptic_json.write_bytes(json.dumps(data, ensure_ascii=False).encode("latin-1"))


def _bom(L):
    L.panoptic_json.write_bytes(b"\xef\xbb\xbf" + L.panoptic_json.read_bytes())


def _utf16(L):
    L.panoptic_json.write_bytes(L.panoptic_json.read_text().encode("utf-16"))


def _reverse_images(samples, L):
    return list(reversed(samples))


CASES = [
    # the file and its top level
    _p("json-missing", lambda L: L.panoptic_json.unlink(), (JSON, "file")),
    _p("json-not-json", lambda L: L.panoptic_json.write_text("{not json"), (JSON, "file")),
    _p("json-truncated", lambda L: truncate(L.panoptic_json), (JSON, "file")),
    _p("json-empty-file", lambda L: L.panoptic_json.write_text(""), (JSON, "file")),
    _p("json-latin1", _latin1, (JSON, "file")),
    _p("json-top-level-list", lambda L: edit_json(L.panoptic_json, lambda d: [d]), (JSON, "(top level)")),
    _j("images-null", ("images",), None, "images"),
    _j("annotations-null", ("annotations",), None, "annotations"),
    _j("categories-object", ("categories",), {"0": "sky"}, "categories"),
    _p("images-key-missing", lambda L: del_json(L.panoptic_json, ("images",)), (JSON, "images")),
    _j("images-entry-string", ("images", 0), "train_00000.png", "images[0]"),
    _j("annotations-entry-null", ("annotations", 1), None, "annotations[1]"),
    # images
    _p("image-id-missing", lambda L: del_json(L.panoptic_json, ("images", 0, "id")), (JSON, "images[0].id")),
    _j("image-id-float", ("images", 0, "id"), 1.5, "images[0].id"),
    _j("image-id-bool", ("images", 0, "id"), True, "images[0].id"),
    _j("image-id-duplicate", ("images", 1, "id"), 0, "images[1].id"),
    _j("image-file-name-int", ("images", 0, "file_name"), 7, "images[0].file_name"),
    _j("image-file-name-empty", ("images", 0, "file_name"), "", "images[0].file_name"),
    _j("image-file-name-duplicate", ("images", 1, "file_name"), "train_00000.png", "images[1].file_name"),
    _j("image-width-string", ("images", 0, "width"), "32", "images[0].width"),
    _j("image-height-zero", ("images", 0, "height"), 0, "images[0].height"),
    _j("image-width-huge", ("images", 0, "width"), 100000, "images[0].width"),
    _j("image-height-wrong", ("images", 2, "height"), 31, "images[2].height"),
    _p("image-downscaled-json-unchanged", _downscale_image, (JSON, "images[0].width")),
    _p(
        "image-path-dotdot",
        lambda L: (
            shutil.copy(L.image_dir / "train_00000.png", L.image_dir.parent / "escape.png"),
            set_json(L.panoptic_json, ("images", 0, "file_name"), "../escape.png"),
        ),
        (JSON, "images[0].file_name"),
    ),
    _p(
        "image-path-absolute",
        lambda L: set_json(L.panoptic_json, ("images", 0, "file_name"), str(L.image_dir / "train_00001.png")),
        (JSON, "images[0].file_name"),
    ),
    # image files
    _p(
        "image-file-missing",
        lambda L: (L.image_dir / "train_00001.png").unlink(),
        (IMG0[:-5] + "1.png", "file"),
    ),
    _p(
        "image-file-corrupt",
        lambda L: (L.image_dir / "train_00000.png").write_bytes(b"\x89PNG junk"),
        (IMG0, "file"),
    ),
    _p("image-file-truncated", lambda L: truncate(L.image_dir / "train_00000.png"), (IMG0, "file")),
    _p("image-file-empty", lambda L: (L.image_dir / "train_00000.png").write_bytes(b""), (IMG0, "file")),
    _p("image-file-text", lambda L: (L.image_dir / "train_00000.png").write_text("hello"), (IMG0, "file")),
    _p(
        "image-bomb",
        lambda L: png_header_only(L.image_dir / "train_00000.png", 100000, 100000),
        (IMG0, "size"),
    ),
    # annotations
    _j("annotation-image-id-unknown", ("annotations", 0, "image_id"), 99, "annotations[0].image_id"),
    _j("annotation-image-id-list", ("annotations", 0, "image_id"), [0], "annotations[0].image_id"),
    _j("annotation-two-for-one-image", ("annotations", 1, "image_id"), 0, "annotations[1].image_id"),
    _j("annotation-file-name-missing", ("annotations", 0, "file_name"), None, "annotations[0].file_name"),
    _j(
        "annotation-png-shared",
        ("annotations", 1, "file_name"),
        "train_00000.png",
        "annotations[1].file_name",
    ),
    _j(
        "annotation-png-outside",
        ("annotations", 0, "file_name"),
        "../panoptic_val/val_00000.png",
        "annotations[0].file_name",
    ),
    _j("segments-info-null", ("annotations", 0, "segments_info"), None, "annotations[0].segments_info"),
    _j("segment-entry-int", ("annotations", 0, "segments_info", 0), 3, "annotations[0].segments_info[0]"),
    _j("segment-id-string", _seg(0, "id"), "1", "annotations[0].segments_info[0].id"),
    _j("segment-id-zero", _seg(0, "id"), 0, "annotations[0].segments_info[0].id"),
    _j("segment-id-negative", _seg(0, "id"), -1, "annotations[0].segments_info[0].id"),
    _j("segment-id-too-big", _seg(0, "id"), 256**3, "annotations[0].segments_info[0].id"),
    _j("segment-id-duplicate", _seg(1, "id"), 1, "annotations[0].segments_info[1].id"),
    _j("segment-category-unknown", _seg(0, "category_id"), 77, "annotations[0].segments_info[0].category_id"),
    _j("segment-category-null", _seg(0, "category_id"), None, "annotations[0].segments_info[0].category_id"),
    _j("segment-iscrowd-word", _seg(0, "iscrowd"), "yes", "annotations[0].segments_info[0].iscrowd"),
    _j("segment-iscrowd-two", _seg(0, "iscrowd"), 2, "annotations[0].segments_info[0].iscrowd"),
    _p(
        "segment-missing-from-json",
        lambda L: edit_json(L.panoptic_json, lambda d: d["annotations"][0]["segments_info"].pop() and None),
        (PNG0, "segments_info"),
    ),
    _p(
        "segment-missing-from-png",
        lambda L: edit_json(
            L.panoptic_json,
            lambda d: d["annotations"][0]["segments_info"].append({"id": 4242, "category_id": 2}),
        ),
        (PNG0, "segments_info"),
    ),
    # categories
    _p(
        "category-isthing-missing",
        lambda L: del_json(L.panoptic_json, ("categories", 0, "isthing")),
        (JSON, "categories[0].isthing"),
    ),
    _j("category-isthing-word", ("categories", 1, "isthing"), "maybe", "categories[1].isthing"),
    _j("category-isthing-two", ("categories", 0, "isthing"), 2, "categories[0].isthing"),
    _j("category-isthing-half", ("categories", 0, "isthing"), 0.5, "categories[0].isthing"),
    _j("category-id-duplicate", ("categories", 1, "id"), 0, "categories[1].id"),
    _j("category-id-string", ("categories", 0, "id"), "0", "categories[0].id"),
    _p(
        "category-name-missing",
        lambda L: del_json(L.panoptic_json, ("categories", 0, "name")),
        (JSON, "categories[0].name"),
    ),
    _j("category-color-out-of-range", ("categories", 0, "color"), [300, 0, 0], "categories[0].color"),
    _j("category-color-word", ("categories", 0, "color"), "red", "categories[0].color"),
    # panoptic PNGs
    _p("png-missing", lambda L: (L.panoptic_dir / "train_00000.png").unlink(), (PNG0, "file")),
    _p(
        "png-corrupt",
        lambda L: (L.panoptic_dir / "train_00000.png").write_bytes(b"\x89PNG\r\n\x1a\nxx"),
        (PNG0, "file"),
    ),
    _p(
        "png-grayscale",
        lambda L: resave(L.panoptic_dir / "train_00000.png", lambda im: im.convert("L")),
        (PNG0, "mode"),
    ),
    _p(
        "png-rgba",
        lambda L: resave(L.panoptic_dir / "train_00000.png", lambda im: im.convert("RGBA")),
        (PNG0, "mode"),
    ),
    _p(
        "png-is-jpeg",
        lambda L: resave(L.panoptic_dir / "train_00000.png", lambda im: im, "JPEG", quality=95),
        (PNG0, "format"),
    ),
    _p(
        "png-other-size",
        lambda L: resave(L.panoptic_dir / "train_00000.png", lambda im: im.resize((16, 32), Image.NEAREST)),
        (PNG0, "size"),
    ),
    _p(
        "png-bomb",
        lambda L: png_header_only(L.panoptic_dir / "train_00000.png", 200000, 100000),
        (PNG0, "size"),
    ),
    # valid inputs, read exactly
    _p("valid-utf8-bom", _bom),
    _p("valid-utf16", _utf16),
    _p("valid-isthing-bool", _isthing_as({True: True, False: False})),
    _p("valid-isthing-string-digits", _isthing_as({True: "1", False: "0"})),
    _p("valid-isthing-string-words", _isthing_as({True: "true", False: "false"})),
    _p(
        "valid-no-area-bbox-iscrowd",
        lambda L: edit_json(
            L.panoptic_json,
            lambda d: (
                [
                    s.pop(k)
                    for a in d["annotations"]
                    for s in a["segments_info"]
                    for k in ("area", "bbox", "iscrowd")
                ]
                and None
            ),
        ),
    ),
    _p("valid-no-colors", lambda L: _all_categories(L, lambda c: c.pop("color"))),
    _p(
        "valid-no-width-height",
        lambda L: edit_json(
            L.panoptic_json, lambda d: [i.pop(k) for i in d["images"] for k in ("width", "height")] and None
        ),
    ),
    _p(
        "valid-extra-keys",
        lambda L: edit_json(L.panoptic_json, lambda d: d.update(licenses=[{"id": 1}], extra={"a": 1})),
    ),
    _p(
        "valid-image-not-annotated",
        lambda L: edit_json(L.panoptic_json, lambda d: d["annotations"].pop(1) and None),
        expect=_unannotated,
    ),
    _p("valid-image-in-subfolder", _move_into_subfolder, expect=_renamed),
    _p(
        "valid-images-listed-backwards",
        lambda L: edit_json(L.panoptic_json, lambda d: d["images"].reverse()),
        expect=_reverse_images,
    ),
    _p(
        "valid-photo-as-jpeg",
        lambda L: resave(L.image_dir / "train_00000.png", lambda im: im, "JPEG", quality=90),
        compare_image=False,
    ),
    _p("valid-photo-rgba", lambda L: resave(L.image_dir / "train_00000.png", lambda im: im.convert("RGBA"))),
]
