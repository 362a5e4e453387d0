"""Catalogue cases for semantic label PNGs (a class id per pixel): broken files and valid re-encodings."""

from __future__ import annotations

import copy
import shutil

import numpy as np
from catalogue_tools import Case, del_json, png_header_only, resave, set_json, truncate
from PIL import Image

LBL0 = "semantic/train/train_00000.png"
IMG0 = "images/train/train_00000.png"
JSON = "annotations/panoptic_train.json"


def _s(name, edit, error=None, **kw) -> Case:
    return Case(f"semantic-{name}", "semantic", edit, error, **kw)


def _label(L):
    return L.semantic_dir / "train_00000.png"


def _paint(value: int):
    def edit(L):
        labels = np.array(Image.open(_label(L)))
        labels[:3, :3] = value
        Image.fromarray(labels).save(_label(L))

    return edit


def _as_mode(mode: str):
    def edit(L):
        for path in L.semantic_dir.glob("*.png"):
            labels = np.array(Image.open(path))
            if mode == "P":
                image = Image.fromarray(labels.astype(np.uint8), mode="L").convert("P")
                image.putpalette([v for k in range(256) for v in (k, 255 - k, (7 * k) % 256)])
                image.putdata(labels.flatten().tolist())
            else:
                image = Image.fromarray(labels.astype(np.uint16))
            assert image.mode == mode, image.mode
            image.save(path)

    return edit


def _ade20k_style(L):
    """Shift every label up by one, 0 = void (ADE20K); read back with reduce_labels=True."""
    for path in L.semantic_dir.glob("*.png"):
        labels = np.array(Image.open(path)).astype(np.int64)
        shifted = np.where(labels == 255, 0, labels + 1).astype(np.uint8)
        Image.fromarray(shifted).save(path)


def _ignored_corner(samples, L):
    """The valid reading with the top-left 3 x 3 pixels of image 0 unlabelled (255)."""
    samples = copy.deepcopy(samples)
    s = samples[0]
    labels = s.semantic_map()
    labels[:3, :3] = 255
    present = np.unique(labels[labels != 255])
    s.masks, s.category_ids = labels[None] == present[:, None, None], present.astype(np.int64)
    s.ignore, s.iscrowd = labels == 255, np.zeros(len(present), bool)
    return samples


def _twin_stem(L):
    shutil.copy(L.image_dir / "train_00000.png", L.image_dir / "train_00000.jpg")


CASES = [
    # label PNGs
    _s("label-is-jpeg", lambda L: resave(_label(L), lambda im: im, "JPEG", quality=95), (LBL0, "format")),
    _s("label-is-bmp", lambda L: resave(_label(L), lambda im: im, "BMP"), (LBL0, "format")),
    _s("label-rgb", lambda L: resave(_label(L), lambda im: im.convert("RGB")), (LBL0, "mode")),
    _s("label-rgba", lambda L: resave(_label(L), lambda im: im.convert("RGBA")), (LBL0, "mode")),
    _s("label-bilevel", lambda L: resave(_label(L), lambda im: im.convert("1")), (LBL0, "mode")),
    _s("label-gray-alpha", lambda L: resave(_label(L), lambda im: im.convert("LA")), (LBL0, "mode")),
    _s("label-missing", lambda L: _label(L).unlink(), (LBL0, "file")),
    _s("label-corrupt", lambda L: _label(L).write_bytes(b"\x89PNG\r\n\x1a\n\x00"), (LBL0, "file")),
    _s("label-truncated", lambda L: truncate(_label(L)), (LBL0, "file")),
    _s("label-text", lambda L: _label(L).write_text("0 0 1 1"), (LBL0, "file")),
    _s(
        "label-other-size",
        lambda L: resave(_label(L), lambda im: im.resize((32, 16), Image.NEAREST)),
        (LBL0, "size"),
    ),
    _s("label-unknown-class", _paint(9), (LBL0, "pixel values")),
    _s("label-bomb", lambda L: png_header_only(_label(L), 100000, 100000), (LBL0, "size")),
    # photos
    _s(
        "image-bomb",
        lambda L: png_header_only(L.image_dir / "train_00000.png", 100000, 100000),
        (IMG0, "size"),
    ),
    _s("image-corrupt", lambda L: (L.image_dir / "train_00000.png").write_bytes(b"GIF89a"), (IMG0, "file")),
    _s("image-twin-stem", _twin_stem, (IMG0, "file name")),
    # categories (from the panoptic JSON)
    _s(
        "categories-isthing-missing",
        lambda L: del_json(L.panoptic_json, ("categories", 3, "isthing")),
        (JSON, "categories[3].isthing"),
    ),
    _s("categories-null", lambda L: set_json(L.panoptic_json, ("categories",), None), (JSON, "categories")),
    _s("categories-json-broken", lambda L: L.panoptic_json.write_text('{"categories": ['), (JSON, "file")),
    # valid inputs, read exactly
    _s("valid-16-bit-labels", _as_mode("I;16")),
    _s("valid-palette-labels", _as_mode("P")),
    _s("valid-ade20k-reduce-labels", _ade20k_style, reader="semantic-reduce"),
    _s(
        "valid-photo-as-jpeg",
        lambda L: resave(L.image_dir / "train_00002.png", lambda im: im, "JPEG"),
        compare_image=False,
    ),
    _s("valid-photo-rgba", lambda L: resave(L.image_dir / "train_00001.png", lambda im: im.convert("RGBA"))),
    _s("valid-ignore-pixels", _paint(255), expect=_ignored_corner),
    _s(
        "valid-other-files-in-folders",
        lambda L: (
            (L.image_dir / "notes.txt").write_text("x"),
            (L.semantic_dir / "orphan.png").write_bytes(b""),
        ),
    ),
    _s(
        "valid-json-bom",
        lambda L: L.panoptic_json.write_bytes(b"\xef\xbb\xbf" + L.panoptic_json.read_bytes()),
    ),
    _s(
        "valid-macos-resource-forks",
        lambda L: (L.image_dir / "._train_00000.png").write_bytes(b"\x00\x05\x16\x07"),
    ),
]
