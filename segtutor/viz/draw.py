"""Matplotlib drawings of one segmentation: semantic, instance or panoptic, over its image.

Every function takes an optional ``ax=`` (to compose figures) and returns the Axes it drew on. Without
``ax`` a new figure is made with ``matplotlib.pyplot`` (so a notebook shows it; end the line with ``;`` or
assign the result to avoid a text echo of the Axes).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from matplotlib.axes import Axes
from matplotlib.patches import Patch

from segtutor.categories import Category
from segtutor.data.targets import Sample
from segtutor.viz.figures import notebook_figure
from segtutor.viz.labels import add_segment_labels
from segtutor.viz.overlay import Rendering, render
from segtutor.viz.void import mark_void, void_handle

__all__ = [
    "draw_instances",
    "draw_panoptic",
    "draw_rendering",
    "draw_segmentation",
    "draw_semantic",
    "has_void",
    "legend_handles",
]

_TITLES = {"semantic": "Semantic segmentation", "instance": "Instance segmentation",
           "panoptic": "Panoptic segmentation"}


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
    show_void: bool = True,
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
    show_void : bool
        Show pixels that no segment covers as striped grey, listed in the legend as "no segment (void)"
        (see :func:`~segtutor.viz.void.mark_void`); ``False`` leaves the photo there.

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
        show_scores=show_scores, min_label_area=min_label_area, show_void=show_void,
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
    show_void: bool = True,
) -> Axes:
    """Show a :class:`~segtutor.viz.overlay.Rendering` on ``ax`` with title, labels and legend.

    The drawing half of :func:`draw_segmentation` (same options), for figures that reuse a rendering.
    Labels are placed when the figure is drawn, inside their segment and never on top of each other
    (see :mod:`segtutor.viz.labels`).
    """
    void = has_void(rendering) and show_void
    ax.imshow(mark_void(rendering.rgb, rendering.index == 0) if void else rendering.rgb,
              interpolation="antialiased")
    ax.set_axis_off()
    present = rendering.present_categories()
    ax.set_title((title or _TITLES[rendering.kind]) + ("" if present else " (no segments)"), fontsize=10)
    if labels if labels is not None else rendering.kind != "semantic":
        add_segment_labels(ax, rendering, show_scores=show_scores, min_label_area=min_label_area)
    if legend and (present or void):
        handles = legend_handles(present, rendering.kind) + ([void_handle()] if void else [])
        ax.legend(
            handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0),
            fontsize=8, frameon=False, borderaxespad=0.0, handlelength=1.2,
        )
    return ax


def has_void(rendering: Rendering) -> bool:
    """``True`` when some pixel of ``rendering`` is covered by no segment."""
    return bool(rendering.index.size) and not rendering.index.all()


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
