"""COCO ``segmentation`` fields (polygons, RLE) checked in Python, then decoded with pycocotools.

pycocotools' C decoder trusts its input: a polygon with a coordinate of 1e9 or NaN can crash the
interpreter, an odd number of coordinates silently becomes another shape, a polygon of two points is taken
for a bounding box, and RLE counts that do not add up to ``H * W`` are decoded from uninitialised memory.
So every field is checked here first, against the size of the decoded image:

* polygons: a list of lists of at least 6 finite numbers (3 points), an even count, every point inside
  the image (up to :data:`POLYGON_MARGIN` pixels outside, as real exports have);
* RLE: ``size == [H, W]``, ``counts`` a list of non-negative integers or a compressed string, summing to
  exactly ``H * W``. Compressed strings are unpacked by :func:`rle_string_to_counts` to check the sum.
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path
from typing import Any

import numpy as np
from pycocotools import mask as mask_utils

from segtutor.data.errors import DatasetFormatError

__all__ = ["POLYGON_MARGIN", "decode_segmentation", "rle_string_to_counts"]

#: How far (pixels) a polygon point may lie outside the image: annotation tools let points sit on or just
#: past the border; pycocotools clips them. Points further out mean the annotation does not belong to
#: this image (e.g. the image was downscaled after annotating).
POLYGON_MARGIN = 2.0

_POLY_FIX = "polygons are lists [[x0, y0, x1, y1, x2, y2, ...], ...] of at least 3 points in image pixels."
_RLE_FIX = "re-encode the mask with pycocotools.mask.encode at the image's size (or re-export it)."


def rle_string_to_counts(counts: str) -> list[int]:
    """Unpack a compressed COCO RLE string into its run lengths (the inverse of pycocotools' packing).

    Each run is stored in 5-bit groups, least significant first, as characters ``'0' + group`` with bit 6
    (value 32) meaning "another group follows" and bit 5 of the last group the sign; from the third run
    on, the stored value is the difference to the run two places before.

    Raises
    ------
    ValueError
        If a character is outside ``'0'..'o'`` or the string ends in the middle of a run.
    """
    runs: list[int] = []
    p = 0
    while p < len(counts):
        value, shift, more = 0, 0, True
        while more:
            if p >= len(counts):
                raise ValueError("the string ends in the middle of a run (truncated)")
            c = ord(counts[p]) - 48
            if not 0 <= c < 64:
                raise ValueError(f"character {counts[p]!r} at position {p} is not an RLE character")
            value |= (c & 0x1F) << shift
            more = bool(c & 0x20)
            p += 1
            shift += 5
            if not more and c & 0x10:
                value |= -1 << shift
        if len(runs) > 2:
            value += runs[-2]
        runs.append(value)
    return runs


def _error(file: Path, field: str, problem: str, fix: str = _POLY_FIX) -> DatasetFormatError:
    return DatasetFormatError(file, field, problem, fix)


def _check_polygons(seg: list[Any], h: int, w: int, file: Path, field: str) -> list[list[float]]:
    polygons = []
    for j, poly in enumerate(seg):
        where = f"{field}[{j}]"
        if not isinstance(poly, list):
            hint = " (a flat list of numbers must be wrapped in another list)" if j == 0 else ""
            raise _error(file, where, f"expected a list of coordinates, got {type(poly).__name__}{hint}.")
        if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in poly):
            raise _error(file, where, "every coordinate must be a number.")
        if len(poly) < 6 or len(poly) % 2:
            raise _error(
                file,
                where,
                f"{len(poly)} coordinates: a polygon needs an even number, at least 6 (3 points x, y).",
            )
        if not all(math.isfinite(v) for v in poly):
            raise _error(file, where, "a coordinate is NaN or infinite.")
        xs, ys = poly[0::2], poly[1::2]
        low = -POLYGON_MARGIN
        if min(xs) < low or max(xs) > w + POLYGON_MARGIN or min(ys) < low or max(ys) > h + POLYGON_MARGIN:
            raise _error(
                file,
                where,
                f"points reach x {min(xs):g}..{max(xs):g}, y {min(ys):g}..{max(ys):g}, outside the "
                f"{w}x{h} (WxH) image.",
                "polygons are in pixels of this image: if the image was resized after annotating, scale "
                "the polygons too (or annotate the resized image).",
            )
        polygons.append([float(v) for v in poly])
    return polygons


def _check_rle(seg: dict[str, Any], h: int, w: int, file: Path, field: str) -> dict[str, Any]:
    if "size" not in seg or "counts" not in seg:
        raise _error(file, field, "an RLE needs 'size' and 'counts'.", _RLE_FIX)
    size, counts = seg["size"], seg["counts"]
    if not (
        isinstance(size, list)
        and len(size) == 2
        and all(isinstance(v, int) and not isinstance(v, bool) for v in size)
    ):
        raise _error(file, f"{field}.size", f"expected [height, width] integers, got {size!r}.", _RLE_FIX)
    if size != [h, w]:
        raise _error(
            file,
            f"{field}.size",
            f"RLE size is {size} (H, W) but the image is [{h}, {w}].",
            "re-encode the mask at the image's size (or fix the image's height/width).",
        )
    if isinstance(counts, str):
        try:
            runs = rle_string_to_counts(counts)
        except ValueError as exc:
            problem = f"the compressed RLE string is broken: {exc}."
            raise _error(file, f"{field}.counts", problem, _RLE_FIX) from exc
    elif isinstance(counts, list) and all(isinstance(v, int) and not isinstance(v, bool) for v in counts):
        runs = counts
    else:
        raise _error(
            file,
            f"{field}.counts",
            f"expected a compressed RLE string or a list of integers, got {type(counts).__name__}.",
            _RLE_FIX,
        )
    if any(v < 0 for v in runs):
        raise _error(file, f"{field}.counts", "a run length is negative.", _RLE_FIX)
    if sum(runs) != h * w:
        raise _error(
            file,
            f"{field}.counts",
            f"the runs cover {sum(runs)} pixels but the image has {h} x {w} = {h * w}.",
            _RLE_FIX,
        )
    if isinstance(counts, str):
        return {"size": size, "counts": counts.encode("ascii")}
    return mask_utils.frPyObjects({"size": size, "counts": runs}, h, w)


def decode_segmentation(seg: Any, h: int, w: int, file: Path, field: str) -> np.ndarray:
    """Check a COCO ``segmentation`` against an ``h`` x ``w`` image and decode it to a binary mask.

    Parameters
    ----------
    seg : list or dict
        Polygons ``[[x0, y0, ...], ...]`` (an empty list is an empty mask) or an RLE
        ``{"size": [H, W], "counts": str | list[int]}``.
    h, w : int
        Size of the decoded image.
    file : Path
        The annotation file, for error messages.
    field : str
        Where ``seg`` sits in the file, e.g. ``"annotations[3].segmentation"``.

    Returns
    -------
    ndarray, shape (h, w), bool

    Raises
    ------
    DatasetFormatError
        If the field is malformed or does not fit the image.
    """
    if isinstance(seg, dict):
        rle = _check_rle(seg, h, w, file, field)
    elif isinstance(seg, list):
        if not seg:  # no polygon at all: an empty mask
            return np.zeros((h, w), dtype=bool)
        rle = mask_utils.merge(mask_utils.frPyObjects(_check_polygons(seg, h, w, file, field), h, w))
    else:
        raise _error(
            file, field, f"expected polygons (a list) or an RLE (an object), got {type(seg).__name__}."
        )
    with warnings.catch_warnings():  # pycocotools 2.0.x + NumPy 2 noise, harmless
        warnings.filterwarnings("ignore", message=".*__array__ implementation", category=DeprecationWarning)
        return mask_utils.decode(rle).astype(bool)
