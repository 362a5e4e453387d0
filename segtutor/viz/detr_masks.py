"""DETR's per-query mask probabilities on one colour scale, to see whether its masks say anything.

The input is a :class:`~segtutor.comparison.detr_diagnosis.DetrDiagnosis` (``queries`` and
``mask_probabilities``). Every panel uses the same scale, 0 to 1, so a map that stays near 0.5 everywhere
looks flat, and the 0.5 contour marks the pixels that could count as "in the mask".
"""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from segtutor.viz.figures import notebook_figure

__all__ = ["draw_detr_masks"]

_CONTOUR_COLOR = "#ff3030"


def draw_detr_masks(
    diagnosis: Any,
    top_k: int = 6,
    *,
    title: str | None = None,
    figure: Figure | None = None,
    cmap: str = "viridis",
) -> Figure:
    """Show the mask probabilities of the ``top_k`` most confident DETR queries, on one 0-1 colour scale.

    Parameters
    ----------
    diagnosis : DetrDiagnosis
        From :func:`segtutor.comparison.diagnose_detr`.
    top_k : int
        How many queries (most confident class first).
    title : str, optional
        Figure title; default names the mask grid size.
    figure : matplotlib Figure, optional
        Draw into this (empty) figure; default: a new pyplot figure.
    cmap : str
        Matplotlib colour map of the probabilities.

    Returns
    -------
    matplotlib.figure.Figure
        One panel per query (title: query number, class and probability, highest mask probability), a shared
        colour bar "mask probability" from 0 to 1, the 0.5 contour where one exists, and a legend for it.
    """
    if top_k < 1:
        raise ValueError(f"top_k must be >= 1, got {top_k}.")
    rows = list(diagnosis.queries)[:top_k]
    masks = np.asarray(diagnosis.mask_probabilities)
    if not rows:
        raise ValueError("diagnosis: no queries to draw.")
    ncols = min(len(rows), 6)
    nrows = -(-len(rows) // ncols)
    if figure is None:
        figure = notebook_figure((1.9 * ncols + 0.9, 2.1 * nrows + 0.6))
    axes = figure.subplots(nrows, ncols, squeeze=False)
    image = None
    for ax in axes.ravel():
        ax.set_axis_off()
    for ax, row in zip(axes.ravel(), rows, strict=False):
        mask = masks[row["query"]]
        image = ax.imshow(mask, vmin=0.0, vmax=1.0, cmap=cmap, interpolation="nearest")
        if mask.max() > 0.5 > mask.min():
            ax.contour(mask, levels=[0.5], colors=_CONTOUR_COLOR, linewidths=1.0)
        ax.set_title(
            f"query {row['query']}: {row['class']} {row['class_probability']:.2f}\n"
            f"max mask prob. {row['max_mask_probability']:.2f}",
            fontsize=8,
        )
    colorbar = figure.colorbar(image, ax=axes.ravel().tolist(), shrink=0.9, fraction=0.05)
    colorbar.set_label("mask probability (sigmoid of pred_masks)", fontsize=8)
    handle = Line2D([], [], color=_CONTOUR_COLOR, linewidth=1.0, label="probability 0.5 (mask_threshold)")
    figure.legend(handles=[handle], loc="outside lower center", fontsize=8, frameon=False)
    h, w = masks.shape[1:]
    figure.suptitle(
        title or f"DETR: mask probability of the {len(rows)} most confident queries ({h} x {w} mask grid)",
        fontsize=10,
    )
    return figure
