"""Colours: one fixed colour per category, lighter / darker shades of it for the instances of that class.

The rules the drawings follow, so a learner can read any segtutor figure the same way:

* a category always has the same colour (its dataset colour, else :func:`segtutor.categories.fallback_color`);
* the k-th instance of a class gets the k-th *shade* of the class colour: the same hue, a different lightness,
  so two circles look different from each other and both still look like "circle";
* things are drawn filled **and outlined**, stuff is drawn **flat** (filled, no outline);
* a stuff class split into several segments (panoptic results without label fusion) is shaded like
  instances, so the segments can be told apart; one segment keeps the class colour.
"""

from __future__ import annotations

import colorsys

__all__ = ["instance_color", "text_color"]

RGB = tuple[int, int, int]

# Lightness offsets of successive instances of one class: 0 first (the class colour itself, as in the legend),
# then alternately lighter and darker, large steps first so the first few instances differ the most.
_LIGHTNESS_STEPS: tuple[float, ...] = (0.0, 0.17, -0.17, 0.30, -0.28, 0.09, -0.09, 0.24, -0.23, 0.04)
_MIN_LIGHTNESS, _MAX_LIGHTNESS = 0.18, 0.86


def instance_color(class_color: RGB, k: int) -> RGB:
    """Return the colour of the ``k``-th instance of a class whose colour is ``class_color``.

    Parameters
    ----------
    class_color : tuple of 3 int
        RGB colour of the class, values in 0..255.
    k : int
        Instance number within the class, from 0. Instance 0 gets ``class_color`` itself.

    Returns
    -------
    tuple of 3 int
        RGB colour in 0..255 with the hue of ``class_color`` and a lightness that depends on ``k`` only
        (deterministic). Beyond ten instances the shades repeat with a slight hue shift.
    """
    if k < 0:
        raise ValueError(f"instance number k must be >= 0, got {k}.")
    if k == 0:
        return (int(class_color[0]), int(class_color[1]), int(class_color[2]))
    r, g, b = (c / 255.0 for c in class_color)
    hue, lightness, saturation = colorsys.rgb_to_hls(r, g, b)
    cycle, step = divmod(k, len(_LIGHTNESS_STEPS))
    lightness = min(max(lightness + _LIGHTNESS_STEPS[step], _MIN_LIGHTNESS), _MAX_LIGHTNESS)
    hue = (hue + 0.035 * cycle * (1 if cycle % 2 else -1)) % 1.0
    r, g, b = colorsys.hls_to_rgb(hue, lightness, saturation)
    return (round(r * 255), round(g * 255), round(b * 255))


def text_color(background: RGB) -> str:
    """Return ``"black"`` or ``"white"``, whichever reads better on ``background`` (RGB 0..255).

    Uses the relative luminance of sRGB (WCAG): dark text on light backgrounds, white text on dark ones.
    """

    def linear(c: float) -> float:
        c = c / 255.0
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(c) for c in background)
    luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b
    return "black" if luminance > 0.22 else "white"
