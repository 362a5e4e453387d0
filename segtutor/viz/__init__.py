"""Visualization: one consistent, legible way to draw semantic, instance and panoptic segmentations.

* colours: one fixed colour per category; instances are shades of their class colour; things outlined,
  stuff flat (:mod:`~segtutor.viz.colors`);
* inputs: images, results and categories in the forms notebooks have them (:mod:`~segtutor.viz.inputs`,
  :mod:`~segtutor.viz.segments`);
* :func:`overlay`: the blended RGB array (pure NumPy, vectorised);
* matplotlib figures: :func:`draw_semantic`, :func:`draw_instances`, :func:`draw_panoptic`,
  :func:`draw_segmentation_types`, :func:`draw_comparison`, :func:`draw_query_grid`,
  :func:`draw_detr_masks`;
* :class:`LiveCurves`: training curves that update live in a notebook.
"""

from __future__ import annotations

from segtutor.viz.colors import instance_color, text_color
from segtutor.viz.compare import draw_comparison, draw_segmentation_types
from segtutor.viz.curves import LiveCurves, in_notebook
from segtutor.viz.detr_masks import draw_detr_masks
from segtutor.viz.draw import (
    draw_instances,
    draw_panoptic,
    draw_rendering,
    draw_segmentation,
    draw_semantic,
    legend_handles,
)
from segtutor.viz.figures import FIGURE_DPI, figure_to_png, notebook_figure, offscreen_figure
from segtutor.viz.inputs import as_categories, as_rgb_image
from segtutor.viz.notebook_display import show
from segtutor.viz.overlay import Rendering, overlay, render
from segtutor.viz.queries import draw_query_grid, query_table
from segtutor.viz.segments import Segment, SegmentMap, as_segment_map

__all__ = [
    "FIGURE_DPI",
    "LiveCurves",
    "Rendering",
    "Segment",
    "SegmentMap",
    "as_categories",
    "as_rgb_image",
    "as_segment_map",
    "draw_comparison",
    "draw_detr_masks",
    "draw_instances",
    "draw_panoptic",
    "draw_query_grid",
    "draw_rendering",
    "draw_segmentation",
    "draw_segmentation_types",
    "draw_semantic",
    "figure_to_png",
    "in_notebook",
    "instance_color",
    "legend_handles",
    "notebook_figure",
    "offscreen_figure",
    "overlay",
    "query_table",
    "render",
    "show",
    "text_color",
]
