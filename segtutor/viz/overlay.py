"""Pure NumPy overlays: paint a segmentation over an image in one vectorised pass.

Each segment gets one colour (see :mod:`segtutor.viz.colors`). The colours, opacities and "outline or not"
flags of all segments go into small lookup tables indexed by segment number, so painting costs a handful of
whole-image array operations whatever the number of segments (no Python loop over segments).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from segtutor.categories import Category, fallback_color
from segtutor.data.targets import Sample
from segtutor.viz.colors import instance_color
from segtutor.viz.inputs import as_categories, as_rgb_image
from segtutor.viz.segments import Segment, SegmentMap, as_segment_map

__all__ = ["Rendering", "overlay", "render", "unknown_category"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Rendering:
    """An overlay and what is needed to annotate it (legend, labels).

    Attributes
    ----------
    rgb : ndarray, shape (H, W, 3), uint8
        The blended image.
    index : ndarray, shape (H, W), int32
        ``k + 1`` where segment ``segments[k]`` is painted, ``0`` where nothing is.
    segments : tuple of Segment
        The segments drawn, in the order of ``colors`` and ``areas``.
    colors : tuple of RGB tuples
        Fill colour of each segment.
    areas : ndarray, shape (K,), int64
        Painted pixels per segment (0 for a segment hidden by others).
    categories : dict of int to Category
    kind : str
    """

    rgb: np.ndarray
    index: np.ndarray
    segments: tuple[Segment, ...]
    colors: tuple[tuple[int, int, int], ...]
    areas: np.ndarray
    categories: Mapping[int, Category]
    kind: str

    def present_categories(self) -> list[Category]:
        """Categories with at least one painted pixel, sorted by id (what a legend should list)."""
        ids = {s.label_id for s, a in zip(self.segments, self.areas, strict=True) if a > 0}
        return [self.categories[i] for i in sorted(ids)]


def _check(image: np.ndarray, smap: SegmentMap) -> None:
    if smap.shape != image.shape[:2]:
        raise ValueError(
            f"segmentation is {smap.shape[0]}x{smap.shape[1]} (H x W) but the image is "
            f"{image.shape[0]}x{image.shape[1]}. Post-process with target_sizes=[(height, width)] of the "
            "image, or draw on the image the model saw."
        )


def unknown_category(label_id: int) -> Category:
    """The category drawn for a label id that the categories do not list: ``"unknown id N"``.

    Models can return such ids: DETR's COCO checkpoints keep "N/A" placeholder classes (ids such as 183)
    that :func:`~segtutor.models.model_categories` leaves out. They are drawn as things, in a fixed colour.
    """
    return Category(int(label_id), f"unknown id {int(label_id)}", True, fallback_color(int(label_id)))


def _with_unknown(smap: SegmentMap, categories: Mapping[int, Category]) -> Mapping[int, Category]:
    """``categories``, plus an ``"unknown id N"`` category for every label id of ``smap`` it lacks."""
    unknown = sorted({s.label_id for s in smap.segments} - set(categories))
    if not unknown:
        return categories
    log.info("drawing label id(s) %s as 'unknown id N': they are not in the categories", unknown)
    return {**categories, **{i: unknown_category(i) for i in unknown}}


def _colors(smap: SegmentMap, categories: Mapping[int, Category]) -> list[tuple[int, int, int]]:
    seen: dict[int, int] = {}
    per_class: dict[int, int] = {}  # stuff split into several segments (no fusion) is shaded like things
    for segment in smap.segments:
        per_class[segment.label_id] = per_class.get(segment.label_id, 0) + 1
    out = []
    for segment in smap.segments:
        category = categories[segment.label_id]
        if smap.kind == "semantic" or (not category.isthing and per_class[segment.label_id] == 1):
            out.append(tuple(category.color))
            continue
        k = seen.get(segment.label_id, 0)
        seen[segment.label_id] = k + 1
        out.append(instance_color(category.color, k))
    return out


def _index_map(ids: np.ndarray, segment_ids: np.ndarray) -> np.ndarray:
    """Return an ``int32`` map: ``k + 1`` where ``ids == segment_ids[k]``, ``0`` elsewhere.

    Uses a lookup table over the id range (one gather), or a binary search when ids are very sparse.
    The first of duplicated ids wins.
    """
    h, w = ids.shape
    if segment_ids.size == 0 or ids.size == 0:
        return np.zeros((h, w), dtype=np.int32)
    lo = min(int(ids.min()), int(segment_ids.min()))
    hi = max(int(ids.max()), int(segment_ids.max()))
    if hi - lo < (1 << 24):
        lut = np.zeros(hi - lo + 1, dtype=np.int32)
        numbers = np.arange(1, segment_ids.size + 1, dtype=np.int32)
        lut[segment_ids[::-1] - lo] = numbers[::-1]  # reversed so the first duplicate wins
        return np.take(lut, ids - lo if lo else ids)
    order = np.argsort(segment_ids, kind="stable")
    sorted_ids = segment_ids[order]
    pos = np.clip(np.searchsorted(sorted_ids, ids), 0, sorted_ids.size - 1)
    return np.where(sorted_ids[pos] == ids, order[pos] + 1, 0).astype(np.int32)


def _edges(index: np.ndarray, width: int) -> np.ndarray:
    """Pixels within ``width`` pixels of a change of segment (both sides of every boundary)."""
    edge = np.zeros(index.shape, dtype=bool)
    d = index[:, 1:] != index[:, :-1]
    edge[:, 1:] |= d
    edge[:, :-1] |= d
    d = index[1:] != index[:-1]
    edge[1:] |= d
    edge[:-1] |= d
    # Square dilation by width - 1 pixels, in steps of 1, 2, 4, ... (log2(width) rounds, not width).
    remaining, step = width - 1, 1
    while remaining > 0:
        s = min(step, remaining)
        grown = edge.copy()
        grown[:, s:] |= edge[:, :-s]
        grown[:, :-s] |= edge[:, s:]
        edge = grown.copy()
        edge[s:] |= grown[:-s]
        edge[:-s] |= grown[s:]
        remaining, step = remaining - s, step * 2
    return edge


def default_contour_width(shape: tuple[int, ...]) -> int:
    """Outline width in pixels for an image of ``shape``: ``max(2, round(longer side / 256))``."""
    return max(2, round(max(shape[:2]) / 256))


def render(
    image: Any,
    segmentation: Any,
    categories: Any = None,
    *,
    kind: str | None = None,
    alpha: float = 0.6,
    stuff_alpha: float | None = None,
    contour_width: int | None = None,
    ignore_index: int | None = 255,
) -> Rendering:
    """Paint ``segmentation`` over ``image`` and keep what a figure needs to annotate it.

    Same parameters as :func:`overlay`; returns a :class:`Rendering` instead of the bare array.
    """
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"alpha must be in 0..1, got {alpha}.")
    rgb = as_rgb_image(image, copy=False)
    smap = as_segment_map(segmentation, kind, shape=rgb.shape[:2], ignore_index=ignore_index)
    if categories is None:
        categories = next((x for x in (segmentation, image) if isinstance(x, Sample)), None)
    _check(rgb, smap)
    cats = _with_unknown(smap, as_categories(categories))
    colors = _colors(smap, cats)
    k = len(smap.segments)
    seg_ids = np.array([s.id for s in smap.segments], dtype=np.int64)
    index = _index_map(smap.ids, seg_ids)
    areas = np.bincount(index.ravel(), minlength=k + 1)[1:]
    if k == 0:
        return Rendering(rgb.copy(), index, smap.segments, (), areas, cats, smap.kind)

    stuff_alpha = alpha * 0.8 if stuff_alpha is None else stuff_alpha
    outlined = np.zeros(k + 1, dtype=bool)
    color_lut = np.zeros((k + 1, 3), dtype=np.uint16)
    alpha_lut = np.zeros(k + 1, dtype=np.uint16)
    for i, (segment, color) in enumerate(zip(smap.segments, colors, strict=True), start=1):
        thing = smap.kind != "semantic" and cats[segment.label_id].isthing
        outlined[i] = thing
        color_lut[i] = color
        alpha_lut[i] = round(256 * (alpha if thing or smap.kind == "semantic" else stuff_alpha))

    # Integer blend per colour plane: out = (grey * (256 - a) + colour * a + 128) >> 8, where the opacity
    # a is 0 outside every segment (the photo is restored there) and 256 on outlines. Colours and opacities
    # come from (K + 1)-entry lookup tables gathered with np.take: a few whole-image operations, no
    # per-segment pass.
    a = np.take(alpha_lut, index)
    if outlined.any():
        width = default_contour_width(rgb.shape) if contour_width is None else int(contour_width)
        if width > 0:
            contour = _edges(index, width)
            contour &= np.take(outlined, index)
            a[contour] = 256
    # Under a segment the photo is shown in grey (its luminance), so the class colour is not mixed with the
    # photo's own colours and stays recognisable on any image; elsewhere the photo is untouched.
    grey = rgb[..., 0] * np.uint16(77)
    grey += rgb[..., 1] * np.uint16(150)
    grey += rgb[..., 2] * np.uint16(29)
    grey += 128
    grey >>= 8
    grey *= 256 - a
    grey += 128
    unpainted = a == 0
    result = np.empty(rgb.shape, dtype=np.uint8)
    for c in range(3):
        plane = np.take(color_lut[:, c], index)
        plane *= a
        plane += grey
        plane >>= 8
        np.copyto(plane, rgb[..., c], where=unpainted)
        result[..., c] = plane
    return Rendering(result, index, smap.segments, tuple(colors), areas, cats, smap.kind)


def overlay(
    image: Any,
    segmentation: Any,
    categories: Any = None,
    *,
    kind: str | None = None,
    alpha: float = 0.6,
    stuff_alpha: float | None = None,
    contour_width: int | None = None,
    ignore_index: int | None = 255,
) -> np.ndarray:
    """Blend a semantic, instance or panoptic segmentation over an image (pure NumPy).

    Parameters
    ----------
    image : PIL.Image, ndarray, tensor or Sample
        Anything :func:`~segtutor.viz.as_rgb_image` accepts; ``(H, W, 3)`` once converted.
    segmentation : ndarray, tensor, dict, (map, segments_info) pair, Sample or SegmentMap
        Anything :func:`~segtutor.viz.as_segment_map` accepts, ``(H, W)`` like the image.
    categories : list of Category, id2label mapping or model config, optional
        Required unless ``segmentation`` is a Sample.
    kind : {"semantic", "instance", "panoptic"}, optional
        How to draw. ``None``: semantic for a bare map, panoptic for a result with ``segments_info``.
    alpha : float
        Opacity of the fill in 0..1 (things, and every class in semantic drawings).
    stuff_alpha : float, optional
        Opacity of stuff in instance / panoptic drawings; default ``0.8 * alpha`` (stuff is the backdrop).
    contour_width : int, optional
        Outline width of things in pixels (drawn inside each thing); ``None`` scales with the image
        (``max(2, round(longer side / 256))``). ``0`` draws no outline.
    ignore_index : int or None
        Class id of unlabelled pixels in semantic maps (left unpainted).

    Returns
    -------
    ndarray, shape (H, W, 3), uint8
        A new array. Unpainted pixels (``-1``, ids not in ``segments_info``, ``ignore_index``) keep the
        image's values exactly. Under a segment the photo is shown in grey, so colours stay recognisable
        on any photo: a painted pixel is ``(grey * (256 - a) + colour * a + 128) >> 8`` per channel, with
        ``grey = (77 R + 150 G + 29 B + 128) >> 8`` and ``a = round(256 * alpha)``; outline pixels are the
        segment's colour.

    Raises
    ------
    ValueError
        When the segmentation and image sizes differ. A label id that ``categories`` lacks is drawn as the
        thing ``"unknown id N"`` (see :func:`unknown_category`), never an error.
    """
    return render(
        image, segmentation, categories, kind=kind, alpha=alpha, stuff_alpha=stuff_alpha,
        contour_width=contour_width, ignore_index=ignore_index,
    ).rgb
