"""Figures that put drawings side by side: the three segmentation types, ground truth vs prediction.

Colours depend only on the category (and instance rank), so the same class has the same colour in every
panel; one legend below the panels lists the classes visible in any of them.
"""

from __future__ import annotations

from typing import Any

from matplotlib.axes import Axes
from matplotlib.figure import Figure

from segtutor.data.targets import Sample
from segtutor.viz.draw import draw_rendering, has_void, legend_handles
from segtutor.viz.figures import notebook_figure
from segtutor.viz.inputs import as_categories, as_rgb_image
from segtutor.viz.overlay import render
from segtutor.viz.segments import KINDS
from segtutor.viz.void import void_handle

__all__ = ["draw_comparison", "draw_segmentation_types"]

_PANEL_INCHES = 2.9


def _new_figure(n_panels: int, figure: Figure | None) -> tuple[Figure, list[Axes]]:
    if figure is None:
        figure = notebook_figure((_PANEL_INCHES * n_panels, _PANEL_INCHES + 0.9))
    axes = figure.subplots(1, n_panels, squeeze=False)[0]
    return figure, list(axes)


def _shared_legend(figure: Figure, renderings: list[Any], kind: str, show_void: bool) -> None:
    present: dict[int, Any] = {}
    for rendering in renderings:
        for category in rendering.present_categories():
            present.setdefault(category.id, category)
    void = show_void and any(has_void(r) for r in renderings)
    if present or void:
        handles = legend_handles([present[i] for i in sorted(present)], kind)
        handles += [void_handle()] if void else []
        figure.legend(handles=handles, loc="outside lower center", ncols=min(len(handles), 6), fontsize=8,
                      frameon=False, handlelength=1.2)


def draw_segmentation_types(
    image: Any,
    semantic: Any = None,
    instance: Any = None,
    panoptic: Any = None,
    categories: Any = None,
    *,
    title: str = "One image, three segmentation tasks",
    figure: Figure | None = None,
    alpha: float = 0.6,
    show_void: bool = True,
) -> Figure:
    """Show an image and its semantic, instance and panoptic segmentations side by side.

    The picture that explains the topic: semantic colours classes, instance separates countable objects
    (and ignores stuff), panoptic does both.

    Parameters
    ----------
    image : PIL.Image, ndarray, tensor or Sample
        A Sample also provides every segmentation not given (its ground truth in the three views) and the
        categories.
    semantic, instance, panoptic : results, optional
        What :func:`~segtutor.viz.as_segment_map` accepts: an ``(H, W)`` class map, and the
        instance / panoptic post-processing results.
    categories : list of Category, id2label mapping or model config, optional
        Required unless ``image`` is a Sample.
    title : str
        Figure title.
    figure : matplotlib Figure, optional
        Draw into this (empty) figure; default: a new pyplot figure.
    alpha : float
        Fill opacity.
    show_void : bool
        Show pixels no segment covers as striped grey, in the legend as "no segment (void)".

    Returns
    -------
    matplotlib.figure.Figure
    """
    given = {"semantic": semantic, "instance": instance, "panoptic": panoptic}
    if isinstance(image, Sample):
        categories = image.categories if categories is None else categories
        given = {k: image if v is None else v for k, v in given.items()}
    missing = [k for k, v in given.items() if v is None]
    if missing:
        raise ValueError(
            f"draw_segmentation_types: missing {missing}. Pass all three results, or a Sample as image."
        )
    rgb = as_rgb_image(image, copy=False)
    cats = as_categories(categories)
    figure, axes = _new_figure(4, figure)
    axes[0].imshow(rgb)
    axes[0].set_title("Image", fontsize=10)
    axes[0].set_axis_off()
    renderings = []
    for ax, kind in zip(axes[1:], KINDS, strict=True):
        renderings.append(render(rgb, given[kind], cats, kind=kind, alpha=alpha))
        draw_rendering(ax, renderings[-1], legend=False, title=kind.capitalize(), show_void=show_void)
    _shared_legend(figure, renderings, "panoptic", show_void)
    figure.suptitle(title, fontsize=11)
    return figure


def draw_comparison(
    image: Any,
    ground_truth: Any = None,
    prediction: Any = None,
    categories: Any = None,
    *,
    kind: str = "panoptic",
    title: str | None = None,
    figure: Figure | None = None,
    alpha: float = 0.6,
    show_void: bool = True,
) -> Figure:
    """Show ground truth and prediction side by side, the same class in the same colour.

    Parameters
    ----------
    image : PIL.Image, ndarray, tensor or Sample
        A Sample also provides the ground truth (when ``ground_truth`` is None) and the categories.
    ground_truth, prediction : results
        What :func:`~segtutor.viz.as_segment_map` accepts (e.g. a Sample and a post-processing result).
    categories : list of Category, id2label mapping or model config, optional
        Required unless a Sample is given.
    kind : {"semantic", "instance", "panoptic"}
        How to draw both.
    title : str, optional
        Default: "<Kind> segmentation: ground truth vs prediction".
    figure : matplotlib Figure, optional
        Draw into this (empty) figure; default: a new pyplot figure.
    alpha : float
        Fill opacity.
    show_void : bool
        Show pixels no segment covers as striped grey, in the legend as "no segment (void)".

    Returns
    -------
    matplotlib.figure.Figure
    """
    if kind not in KINDS:
        raise ValueError(f"kind: expected one of {KINDS}, got {kind!r}.")
    if isinstance(image, Sample):
        categories = image.categories if categories is None else categories
        ground_truth = image if ground_truth is None else ground_truth
    if ground_truth is None or prediction is None:
        raise ValueError("draw_comparison: pass both ground_truth (or a Sample as image) and prediction.")
    rgb = as_rgb_image(image, copy=False)
    cats = as_categories(categories)
    figure, axes = _new_figure(2, figure)
    renderings = []
    panels = (("Ground truth", ground_truth), ("Prediction", prediction))
    for ax, (name, result) in zip(axes, panels, strict=True):
        renderings.append(render(rgb, result, cats, kind=kind, alpha=alpha))
        draw_rendering(ax, renderings[-1], legend=False, title=name, show_void=show_void)
    _shared_legend(figure, renderings, kind, show_void)
    figure.suptitle(title or f"{kind.capitalize()} segmentation: ground truth vs prediction", fontsize=11)
    return figure
