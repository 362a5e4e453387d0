"""Matplotlib drawings of one segmentation: semantic, instance or panoptic, over its image.

Every function takes an optional ``ax=`` (to compose figures) and returns the Axes it drew on. Without
``ax`` a new figure is made with ``matplotlib.pyplot`` (so a notebook shows it; end the line with ``;`` or
assign the result to avoid a text echo of the Axes).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.patches import Patch
from scipy import ndimage

from segtutor.categories import Category
from segtutor.data.targets import Sample
from segtutor.viz.colors import text_color
from segtutor.viz.figures import notebook_figure
from segtutor.viz.overlay import Rendering, render

__all__ = [
    "draw_instances",
    "draw_panoptic",
    "draw_rendering",
    "draw_segmentation",
    "draw_semantic",
    "legend_handles",
]

_TITLES = {"semantic": "Semantic segmentation", "instance": "Instance segmentation",
           "panoptic": "Panoptic segmentation"}
_LABEL_GRID = 160  # label positions are searched on a map at most this many pixels wide / high


def _hex(color: Iterable[int]) -> str:
    r, g, b = (int(c) for c in color)
    return f"#{r:02x}{g:02x}{b:02x}"


def _new_axes(ax: Axes | None, figsize: tuple[float, float]) -> Axes:
    """Return ``ax``, or the Axes of a new pyplot figure of ``figsize`` inches."""
    return ax if ax is not None else notebook_figure(figsize).subplots()


def legend_handles(categories: Iterable[Category], kind: str) -> list[Patch]:
    """Legend entries for ``categories``: things outlined, stuff flat (instance / panoptic drawings).

    Parameters
    ----------
    categories : iterable of Category
        Usually :meth:`Rendering.present_categories`: exactly the classes visible in the drawing.
    kind : {"semantic", "instance", "panoptic"}
        Semantic legends show plain colour swatches; the others mark things and stuff.
    """
    handles = []
    for c in categories:
        color = _hex(c.color)
        if kind == "semantic":
            handles.append(Patch(facecolor=color, edgecolor="none", label=c.name))
        elif c.isthing:
            handles.append(
                Patch(facecolor=color + "99", edgecolor=color, linewidth=2.0, label=f"{c.name} (thing)")
            )
        else:
            handles.append(Patch(facecolor=color, edgecolor="none", label=f"{c.name} (stuff)"))
    return handles


def _label_points(rendering: Rendering, min_area: float = 0.0) -> dict[int, tuple[float, float]]:
    """Return ``{segment number: (x, y)}``: a point deep inside each segment of at least ``min_area`` pixels.

    The point is the pixel farthest from the segment's border (on a map downsampled to at most
    ~160 pixels a side, so it stays fast); segments lost by downsampling fall back to their pixel nearest
    their centroid.
    """
    index = rendering.index
    step = max(1, int(np.ceil(max(index.shape) / _LABEL_GRID)))
    small = index[step // 2 :: step, step // 2 :: step]
    boxes = ndimage.find_objects(small)
    points: dict[int, tuple[float, float]] = {}
    for k in np.flatnonzero(rendering.areas >= max(min_area, 1)) + 1:
        box = boxes[k - 1] if k - 1 < len(boxes) else None
        if box is not None:
            mask = np.pad(small[box] == k, 1)
            distance = ndimage.distance_transform_edt(mask)
            y, x = np.unravel_index(int(np.argmax(distance)), mask.shape)
            y0, x0 = box[0].start + y - 1, box[1].start + x - 1  # -1: the padding
            points[int(k)] = (x0 * step + step // 2, y0 * step + step // 2)
        else:
            ys, xs = np.nonzero(index == k)
            nearest = int(np.argmin((ys - ys.mean()) ** 2 + (xs - xs.mean()) ** 2))
            points[int(k)] = (float(xs[nearest]), float(ys[nearest]))
    return points


def _annotate(ax: Axes, rendering: Rendering, *, show_scores: bool, min_label_area: float) -> None:
    h, w = rendering.index.shape
    for k, (x, y) in _label_points(rendering, min_label_area * h * w).items():
        segment = rendering.segments[k - 1]
        text = rendering.categories[segment.label_id].name
        if show_scores and segment.score is not None:
            text += f" {segment.score:.2f}"
        color = rendering.colors[k - 1]
        ax.text(
            x, y, text, ha="center", va="center", fontsize=7, color=text_color(color),
            bbox={"boxstyle": "round,pad=0.2", "facecolor": _hex(color), "edgecolor": "none", "alpha": 0.85},
        )


def draw_segmentation(
    image: Any,
    segmentation: Any = None,
    categories: Any = None,
    *,
    kind: str | None = None,
    ax: Axes | None = None,
    title: str | None = None,
    alpha: float = 0.6,
    legend: bool = True,
    labels: bool | None = None,
    show_scores: bool = True,
    min_label_area: float = 0.001,
    ignore_index: int | None = 255,
) -> Axes:
    """Draw a semantic, instance or panoptic segmentation over its image, with a legend and labels.

    Parameters
    ----------
    image : PIL.Image, ndarray, tensor or Sample
        The image, ``(H, W, 3)`` once converted (see :func:`~segtutor.viz.as_rgb_image`). A Sample also
        provides the segmentation (its ground truth) and the categories when they are not given.
    segmentation : result dict, (map, segments_info) pair, (H, W) map, Sample, optional
        See :func:`~segtutor.viz.as_segment_map`; must match the image size.
    categories : list of Category, id2label mapping or model config, optional
        Required unless a Sample is given.
    kind : {"semantic", "instance", "panoptic"}, optional
        How to draw; see :func:`~segtutor.viz.overlay`.
    ax : matplotlib Axes, optional
        Draw here; default: a new figure.
    title : str, optional
        Default: the kind, e.g. "Panoptic segmentation".
    alpha : float
        Fill opacity in 0..1.
    legend : bool
        Add a legend listing exactly the classes visible, outside the image on the right.
    labels : bool, optional
        Write class names (and scores) at segment centres; default: yes for instance and panoptic.
    show_scores : bool
        Add the score to labels when the result has one.
    min_label_area : float
        Segments smaller than this fraction of the image get no text label (they keep their colour).
    ignore_index : int or None
        Unlabelled class id in semantic maps.

    Returns
    -------
    matplotlib.axes.Axes
    """
    if segmentation is None:
        if not isinstance(image, Sample):
            raise ValueError("segmentation: none given. Pass a post-processing result, a map, or a Sample.")
        segmentation = image
    rendering = render(image, segmentation, categories, kind=kind, alpha=alpha, ignore_index=ignore_index)
    return draw_rendering(
        _new_axes(ax, (5.0, 3.6)), rendering, title=title, legend=legend, labels=labels,
        show_scores=show_scores, min_label_area=min_label_area,
    )


def draw_rendering(
    ax: Axes,
    rendering: Rendering,
    *,
    title: str | None = None,
    legend: bool = True,
    labels: bool | None = None,
    show_scores: bool = True,
    min_label_area: float = 0.001,
) -> Axes:
    """Show a :class:`~segtutor.viz.overlay.Rendering` on ``ax`` with title, labels and legend.

    The drawing half of :func:`draw_segmentation` (same options), for figures that reuse a rendering.
    """
    ax.imshow(rendering.rgb, interpolation="antialiased")
    ax.set_axis_off()
    present = rendering.present_categories()
    ax.set_title((title or _TITLES[rendering.kind]) + ("" if present else " (no segments)"), fontsize=10)
    if labels if labels is not None else rendering.kind != "semantic":
        _annotate(ax, rendering, show_scores=show_scores, min_label_area=min_label_area)
    if legend and present:
        ax.legend(
            handles=legend_handles(present, rendering.kind), loc="upper left", bbox_to_anchor=(1.01, 1.0),
            fontsize=8, frameon=False, borderaxespad=0.0, handlelength=1.2,
        )
    return ax


def draw_semantic(image: Any, segmentation: Any = None, categories: Any = None, **kwargs: Any) -> Axes:
    """Draw a semantic map (one colour per class, legend of the classes present).

    Same parameters as :func:`draw_segmentation` with ``kind="semantic"``.
    """
    return draw_segmentation(image, segmentation, categories, kind="semantic", **kwargs)


def draw_instances(image: Any, segmentation: Any = None, categories: Any = None, **kwargs: Any) -> Axes:
    """Draw instance masks: a shade of the class colour per instance, outline, class name and score.

    Same parameters as :func:`draw_segmentation` with ``kind="instance"``. Accepts
    ``post_process_instance_segmentation`` results with a segment map or with ``return_binary_maps=True``.
    """
    return draw_segmentation(image, segmentation, categories, kind="instance", **kwargs)


def draw_panoptic(image: Any, segmentation: Any = None, categories: Any = None, **kwargs: Any) -> Axes:
    """Draw a panoptic map: things shaded per instance and outlined, stuff flat, labels at segment centres.

    Same parameters as :func:`draw_segmentation` with ``kind="panoptic"``.
    """
    return draw_segmentation(image, segmentation, categories, kind="panoptic", **kwargs)
