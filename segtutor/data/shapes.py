"""Whole-pixel rasterisers for the ToyShapes things: circle, square, triangle and five-pointed star.

A pixel belongs to a shape when its *centre* lies inside the shape: no antialiasing, so a label mask is
exact and every pixel carries exactly one label.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["SHAPE_NAMES", "shape_mask"]

SHAPE_NAMES = ("circle", "square", "triangle", "star")


def _pixel_centres(height: int, width: int) -> tuple[np.ndarray, np.ndarray]:
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float64)
    return xs + 0.5, ys + 0.5


def _convex_polygon(xs: np.ndarray, ys: np.ndarray, vertices: np.ndarray) -> np.ndarray:
    """Pixels whose centres lie inside a convex polygon with counter-clockwise or clockwise vertices."""
    inside_pos = np.ones(xs.shape, dtype=bool)
    inside_neg = np.ones(xs.shape, dtype=bool)
    for (x0, y0), (x1, y1) in zip(vertices, np.roll(vertices, -1, axis=0), strict=True):
        cross = (x1 - x0) * (ys - y0) - (y1 - y0) * (xs - x0)
        inside_pos &= cross >= 0
        inside_neg &= cross <= 0
    return inside_pos | inside_neg


def _regular_polygon(cx: float, cy: float, radius: float, n: int, angle: float) -> np.ndarray:
    theta = angle + 2 * math.pi * np.arange(n) / n
    return np.stack([cx + radius * np.cos(theta), cy + radius * np.sin(theta)], axis=1)


def shape_mask(
    name: str, height: int, width: int, cx: float, cy: float, size: float, angle: float = 0.0
) -> np.ndarray:
    """Rasterise one shape into a boolean mask.

    Parameters
    ----------
    name : {"circle", "square", "triangle", "star"}
        Which shape.
    height, width : int
        Size of the output mask in pixels.
    cx, cy : float
        Centre of the shape in pixel coordinates (x to the right, y down; pixel ``(0, 0)`` covers
        ``[0, 1) x [0, 1)``).
    size : float
        Diameter of the circle, side of the square, side-ish extent of the triangle and star (the
        diameter of their circumscribed circle), in pixels.
    angle : float
        Rotation in radians (ignored for the circle).

    Returns
    -------
    ndarray, shape (height, width), bool
        ``True`` where the pixel centre is inside the shape.
    """
    if name not in SHAPE_NAMES:
        raise ValueError(f"Unknown shape {name!r}: expected one of {SHAPE_NAMES}.")
    mask = np.zeros((height, width), dtype=bool)
    # Only pixels near the shape can be inside it: rasterise a window around it (every shape fits in a
    # circle of radius size / sqrt(2) around its centre).
    reach = 0.75 * size + 1.0
    x_lo, x_hi = max(0, int(np.floor(cx - reach))), min(width, int(np.ceil(cx + reach)))
    y_lo, y_hi = max(0, int(np.floor(cy - reach))), min(height, int(np.ceil(cy + reach)))
    if x_lo >= x_hi or y_lo >= y_hi:
        return mask
    xs, ys = _pixel_centres(y_hi - y_lo, x_hi - x_lo)
    mask[y_lo:y_hi, x_lo:x_hi] = _inside(name, xs + x_lo, ys + y_lo, cx, cy, size, angle)
    return mask


def _inside(
    name: str, xs: np.ndarray, ys: np.ndarray, cx: float, cy: float, size: float, angle: float
) -> np.ndarray:
    """Boolean array: which of the pixel centres ``(xs, ys)`` lie inside the shape."""
    r = size / 2.0
    if name == "circle":
        return (xs - cx) ** 2 + (ys - cy) ** 2 <= r * r
    if name == "square":
        # A square of side `size` has circumradius size / sqrt(2).
        return _convex_polygon(xs, ys, _regular_polygon(cx, cy, r * math.sqrt(2.0), 4, angle + math.pi / 4))
    if name == "triangle":
        return _convex_polygon(xs, ys, _regular_polygon(cx, cy, r, 3, angle - math.pi / 2))
    outer = _regular_polygon(cx, cy, r, 5, angle - math.pi / 2)  # star
    inner = _regular_polygon(cx, cy, r * 0.45, 5, angle - math.pi / 2 + math.pi / 5)
    inside = _convex_polygon(xs, ys, inner)
    for i in range(5):
        spike = np.stack([inner[i - 1], outer[i], inner[i]])
        inside |= _convex_polygon(xs, ys, spike)
    return inside
