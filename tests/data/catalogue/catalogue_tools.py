"""Building blocks of the malformed-dataset catalogue: a case type, file edits, and sample comparison.

A case copies a small valid dataset, breaks (or re-encodes) one thing, and says what the readers must do:
raise a ``DatasetFormatError`` naming a file and a field, or read data equal to an expected reading.
"""

from __future__ import annotations

import json
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from segtutor.data.layout import DatasetLayout
from segtutor.data.targets import Sample

Edit = Callable[[DatasetLayout], None]
Expect = Callable[[list[Sample], DatasetLayout], list[Sample]]


@dataclass(frozen=True)
class Case:
    """One catalogue entry.

    ``error`` is ``(file suffix, field prefix)`` of the expected ``DatasetFormatError``; without it the
    input is valid and must read as ``expect(valid samples, layout)`` (default: the valid reading).
    """

    name: str
    fmt: str
    edit: Edit
    error: tuple[str, str] | None = None
    expect: Expect | None = None
    compare_image: bool = True
    reader: str = "open"


def edit_json(path: Path, change: Callable[[Any], Any]) -> None:
    """Load ``path``, let ``change`` edit the data in place (or return a replacement), write it back."""
    data = json.loads(path.read_text(encoding="utf-8"))
    replaced = change(data)
    path.write_text(json.dumps(data if replaced is None else replaced), encoding="utf-8")


def set_json(path: Path, keys: tuple[Any, ...], value: Any) -> None:
    """Set ``data[k0][k1]...`` to ``value``."""

    def change(data: Any) -> None:
        target = data
        for key in keys[:-1]:
            target = target[key]
        target[keys[-1]] = value

    edit_json(path, change)


def del_json(path: Path, keys: tuple[Any, ...]) -> None:
    """Delete ``data[k0][k1]...``."""

    def change(data: Any) -> None:
        target = data
        for key in keys[:-1]:
            target = target[key]
        del target[keys[-1]]

    edit_json(path, change)


def png_header_only(path: Path, width: int, height: int) -> None:
    """Write a PNG that declares ``width`` x ``height`` pixels and holds no data (a decompression bomb)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = b"IHDR" + ihdr
    data = b"\x89PNG\r\n\x1a\n" + struct.pack(">I", len(ihdr)) + chunk + struct.pack(">I", zlib.crc32(chunk))
    iend = b"IEND"
    path.write_bytes(data + struct.pack(">I", 0) + iend + struct.pack(">I", zlib.crc32(iend)))


def truncate(path: Path) -> None:
    """Keep the first half of a file's bytes."""
    raw = path.read_bytes()
    path.write_bytes(raw[: len(raw) // 2])


def resave(
    path: Path, convert: Callable[[Image.Image], Image.Image], fmt: str = "PNG", **options: Any
) -> None:
    """Re-save an image after ``convert`` (e.g. another mode), in format ``fmt`` under the same name."""
    with Image.open(path) as image:
        image.load()
        converted = convert(image)
    converted.save(path, format=fmt, **options)


def samples_equal(got: list[Sample], want: list[Sample], *, compare_image: bool = True) -> str:
    """Return ``""`` if two readings are equal, else the first difference."""
    if len(got) != len(want):
        return f"{len(got)} samples, expected {len(want)}"
    for k, (a, b) in enumerate(zip(got, want, strict=True)):
        for name in ("file_name", "image_id", "kind"):
            if getattr(a, name) != getattr(b, name):
                return f"sample {k}: {name} {getattr(a, name)!r} != {getattr(b, name)!r}"
        pairs = {
            "masks": (a.masks, b.masks),
            "category_ids": (a.category_ids, b.category_ids),
            "ignore": (a.ignore, b.ignore),
            "iscrowd": (a.iscrowd, b.iscrowd),
        }
        if compare_image:
            pairs["image"] = (a.image, b.image)
        elif a.image.shape != b.image.shape:
            return f"sample {k}: image shape {a.image.shape} != {b.image.shape}"
        if (a.segment_ids is None) != (b.segment_ids is None):
            return f"sample {k}: segment_ids {a.segment_ids} != {b.segment_ids}"
        if a.segment_ids is not None:
            pairs["segment_ids"] = (a.segment_ids, b.segment_ids)
        for name, (x, y) in pairs.items():
            if x.shape != y.shape or x.dtype != y.dtype or not np.array_equal(x, y):
                return f"sample {k}: {name} differ ({x.shape} {x.dtype} vs {y.shape} {y.dtype})"
        cats_a = [(c.id, c.name, c.isthing) for c in a.categories]
        cats_b = [(c.id, c.name, c.isthing) for c in b.categories]
        if cats_a != cats_b:
            return f"sample {k}: categories {cats_a} != {cats_b}"
    return ""
