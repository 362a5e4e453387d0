"""Mark the pixels no segment covers, so that "no prediction" never looks like a class.

An overlay leaves such pixels (panoptic ``-1`` or void ``0``, pixels outside every instance mask, the
semantic ``ignore_index``) as the photo. On a photo of a lawn that reads as "grass". Figures therefore show
them as a washed-out grey photo with dark diagonal stripes, a pattern no class colour has, and their legend
lists it as :data:`VOID_LABEL`.
"""

from __future__ import annotations

import numpy as np
from matplotlib.patches import Patch

__all__ = ["VOID_LABEL", "mark_void", "void_handle"]

#: Legend text of the unpainted pixels.
VOID_LABEL = "no segment (void)"
#: Grey of the stripes; the photo underneath is mapped to 96..223, so the stripes are always darker.
STRIPE_GREY = 64
_BASE = 96
_PERIOD = 4  # one stripe every 4 stripe widths


def stripe_width(shape: tuple[int, ...]) -> int:
    """Stripe width in pixels for an image of ``shape``: ``max(1, round(longer side / 128))``."""
    return max(1, round(max(shape[:2]) / 128))


def mark_void(rgb: np.ndarray, void: np.ndarray) -> np.ndarray:
    """Return a copy of ``rgb`` whose ``void`` pixels are striped grey.

    Parameters
    ----------
    rgb : ndarray, shape (H, W, 3), uint8
        Usually an overlay (:attr:`~segtutor.viz.Rendering.rgb`).
    void : ndarray, shape (H, W), bool
        The pixels no segment covers (``Rendering.index == 0``).

    Returns
    -------
    ndarray, shape (H, W, 3), uint8
        A new array, equal to ``rgb`` outside ``void``. Inside, every channel is
        ``96 + luminance // 2`` (luminance ``(77 R + 150 G + 29 B + 128) >> 8``, so the photo stays readable,
        without colour), except on diagonal stripes (``(x + y) // width % 4 == 0``, ``width`` from
        :func:`stripe_width`) where it is :data:`STRIPE_GREY`.

    Raises
    ------
    ValueError
        If the shapes do not match or ``rgb`` is not ``uint8`` RGB.
    """
    if rgb.ndim != 3 or rgb.shape[-1] != 3 or rgb.dtype != np.uint8:
        raise ValueError(f"rgb: expected an (H, W, 3) uint8 array, got shape {rgb.shape} dtype {rgb.dtype}.")
    if void.shape != rgb.shape[:2]:
        raise ValueError(f"void: expected shape {rgb.shape[:2]} (the image's), got {void.shape}.")
    out = rgb.copy()
    if not void.any():
        return out
    ys, xs = np.nonzero(void)
    pixels = rgb[ys, xs].astype(np.uint16)
    luminance = (pixels[:, 0] * 77 + pixels[:, 1] * 150 + pixels[:, 2] * 29 + 128) >> 8
    grey = (_BASE + (luminance >> 1)).astype(np.uint8)
    stripe = (xs + ys) // stripe_width(rgb.shape) % _PERIOD == 0
    grey[stripe] = STRIPE_GREY
    out[ys, xs] = grey[:, None]
    return out


def void_handle() -> Patch:
    """The legend entry of void pixels: a striped grey swatch labelled :data:`VOID_LABEL`."""
    return Patch(facecolor="#b4b4b4", edgecolor="#404040", hatch="////", linewidth=0.5, label=VOID_LABEL)
