"""Segment labels ("square 0.95") that sit inside their segment and never cover each other.

Steps, for each segment large enough to be labelled:

1. candidates: the segment's pixels, deepest first (distance to the segment's border, on a map downsampled
   to at most ~160 pixels a side); the first one is the segment's "pole of inaccessibility";
2. when the figure is drawn (so the final size of the axes is known), labels are placed one at a time,
   things before stuff and larger segments first, each at its first candidate whose text box does not
   overlap a label already placed and stays inside the image;
3. a label that finds no free place inside its segment is put at the nearest free place outside it, with a
   thin line to its segment's pole; one with no free place at all is hidden.

Placement happens at drawing time (in :class:`LabelPlacer`), because a figure's layout (legends, titles,
neighbouring panels) decides how large a label is compared with the image only then.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.text import Annotation, Text
from scipy import ndimage

from segtutor.viz.colors import text_color
from segtutor.viz.overlay import Rendering

__all__ = ["LabelPlacer", "add_segment_labels"]

_LABEL_GRID = 160  # candidates are searched on a map at most this many pixels wide / high
_MAX_CANDIDATES = 1500  # per label, inside its segment (the deepest ones) and outside it (the nearest ones)
_FONT_SIZE = 7
_PAD = 0.2  # box padding, in units of the font size (matplotlib's "round,pad=0.2")


def _hex(color: tuple[int, int, int]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*(int(c) for c in color))


@dataclass
class _Label:
    annotation: Annotation
    inside: np.ndarray  # (n, 2) candidate (x, y) in data coordinates, best first
    pole: tuple[float, float]


def _candidates(rendering: Rendering, min_area: float) -> dict[int, tuple[np.ndarray, tuple[float, float]]]:
    """``{segment number: (candidates (n, 2) as (x, y), pole)}`` for segments of at least ``min_area`` px."""
    index = rendering.index
    step = max(1, int(np.ceil(max(index.shape) / _LABEL_GRID)))
    small = index[step // 2 :: step, step // 2 :: step]
    boxes = ndimage.find_objects(small)
    out: dict[int, tuple[np.ndarray, tuple[float, float]]] = {}
    for k in np.flatnonzero(rendering.areas >= max(min_area, 1)) + 1:
        box = boxes[k - 1] if k - 1 < len(boxes) else None
        if box is None:  # lost by downsampling: its pixel nearest its centroid
            ys, xs = np.nonzero(index == k)
            nearest = int(np.argmin((ys - ys.mean()) ** 2 + (xs - xs.mean()) ** 2))
            point = (float(xs[nearest]), float(ys[nearest]))
            out[int(k)] = (np.array([point]), point)
            continue
        mask = np.pad(small[box] == k, 1)
        depth = ndimage.distance_transform_edt(mask)[1:-1, 1:-1]
        ys, xs = np.nonzero(small[box] == k)
        order = np.argsort(-depth[ys, xs], kind="stable")[:_MAX_CANDIDATES]
        points = np.stack(
            [(xs[order] + box[1].start) * step + step // 2, (ys[order] + box[0].start) * step + step // 2],
            axis=1,
        ).astype(float)
        out[int(k)] = (points, (float(points[0, 0]), float(points[0, 1])))
    return out


def _free(centres: np.ndarray, half: np.ndarray, placed: list[np.ndarray], limits: np.ndarray) -> np.ndarray:
    """Which display-space boxes (``centres`` +- ``half``) overlap no ``placed`` box and lie in ``limits``."""
    lo, hi = centres - half, centres + half
    ok = (lo >= limits[:2]).all(axis=1) & (hi <= limits[2:]).all(axis=1)
    if placed:
        boxes = np.array(placed)  # (m, 4): x0, y0, x1, y1
        apart = (hi[:, None, :] <= boxes[None, :, :2]) | (lo[:, None, :] >= boxes[None, :, 2:])
        ok &= apart.any(axis=2).all(axis=1)  # apart along x or y from every placed box
    return ok


class LabelPlacer(Artist):
    """An invisible artist that moves its axes' segment labels apart each time the figure is drawn.

    It draws just before the labels (a lower z-order), reads their sizes from the renderer and the final
    data-to-pixel scale of the axes, and sets each label's position, leader line and visibility.

    Attributes
    ----------
    outside, hidden : list of str
        After a drawing: the labels put outside their segment (with a leader line), and those hidden.
    """

    zorder = 2.99  # labels are Text artists (z-order 3): this runs first

    def __init__(self, labels: list[_Label], shape: tuple[int, int]) -> None:
        super().__init__()
        self._labels = labels
        self._shape = shape
        self.outside: list[str] = []
        self.hidden: list[str] = []

    def _half_size(self, text: Annotation, renderer: Any) -> np.ndarray:
        box = Text.get_window_extent(text, renderer)  # the text only, not its leader line
        pad = renderer.points_to_pixels(_PAD * text.get_fontsize()) + 1.0  # the box's padding, 1 px air
        return np.array([box.width / 2 + pad, box.height / 2 + pad])

    def draw(self, renderer: Any) -> None:
        if not self.get_visible():  # labels stay at their segments' poles
            return
        transform = self.axes.transData.transform
        h, w = self._shape
        corners = transform([(-0.5, -0.5), (w - 0.5, h - 0.5)])
        limits = np.concatenate([corners.min(axis=0), corners.max(axis=0)])
        placed: list[np.ndarray] = []
        self.outside, self.hidden = [], []
        everywhere = None
        for label in self._labels:
            text = label.annotation
            text.xyann = label.pole
            half = self._half_size(text, renderer)
            points, leader = label.inside, False
            free = _free(transform(points), half, placed, limits)
            if not free.any():  # no room inside the segment: the nearest free place outside it
                everywhere = _grid(self._shape) if everywhere is None else everywhere
                distance = np.hypot(*(everywhere - np.array(label.pole)).T)
                points, leader = everywhere[np.argsort(distance, kind="stable")[:_MAX_CANDIDATES]], True
                free = _free(transform(points), half, placed, limits)
            text.set_visible(bool(free.any()))
            text.arrow_patch.set_visible(leader and bool(free.any()))
            if not free.any():
                self.hidden.append(text.get_text())
                continue
            i = int(np.argmax(free))
            text.xyann = (float(points[i, 0]), float(points[i, 1]))
            if leader:
                self.outside.append(text.get_text())
            centre = transform(points[i : i + 1])[0]
            placed.append(np.concatenate([centre - half, centre + half]))


def _grid(shape: tuple[int, int]) -> np.ndarray:
    """Points ``(x, y)`` on a grid over the whole image (at most ~160 a side): places for outside labels."""
    h, w = shape
    step = max(1, int(np.ceil(max(shape) / _LABEL_GRID)))
    ys, xs = np.mgrid[step // 2 : h : step, step // 2 : w : step]
    return np.stack([xs.ravel(), ys.ravel()], axis=1).astype(float)


def add_segment_labels(
    ax: Axes, rendering: Rendering, *, show_scores: bool = True, min_label_area: float = 0.001
) -> LabelPlacer:
    """Write each segment's class name (and score) on ``ax``, placed so that no two labels overlap.

    Parameters
    ----------
    ax : matplotlib Axes
        Showing ``rendering.rgb`` with ``imshow`` (data coordinates are pixels).
    rendering : Rendering
        What was drawn.
    show_scores : bool
        Append the segment's score when it has one.
    min_label_area : float
        Segments smaller than this fraction of the image get no label.

    Returns
    -------
    LabelPlacer
        The artist that places the labels when the figure is drawn; after a drawing, its ``outside`` and
        ``hidden`` list the labels put outside their segment (with a leader line) or hidden.
    """
    h, w = rendering.index.shape
    found = _candidates(rendering, min_label_area * h * w)
    cats = rendering.categories

    def priority(k: int) -> tuple[int, int, int]:
        segment = rendering.segments[k - 1]
        is_thing = rendering.kind != "semantic" and cats[segment.label_id].isthing
        return (0 if is_thing else 1, -int(rendering.areas[k - 1]), k)

    labels = []
    for k in sorted(found, key=priority):
        inside, pole = found[k]
        segment = rendering.segments[k - 1]
        text = cats[segment.label_id].name
        if show_scores and segment.score is not None:
            text += f" {segment.score:.2f}"
        color = rendering.colors[k - 1]
        annotation = ax.annotate(
            text, xy=pole, xytext=pole, ha="center", va="center", fontsize=_FONT_SIZE,
            color=text_color(color), annotation_clip=False,
            bbox={"boxstyle": f"round,pad={_PAD}", "facecolor": _hex(color), "edgecolor": "none",
              "alpha": 0.85},
            arrowprops={"arrowstyle": "-", "color": _hex(color), "linewidth": 1.0, "shrinkB": 0},
        )
        annotation.arrow_patch.set_visible(False)
        labels.append(_Label(annotation, inside, pole))
    placer = LabelPlacer(labels, (h, w))
    ax.add_artist(placer)
    return placer
