"""Grey and RGBA images go through the explorers and drawings as RGB uint8 (no error, no pixel dump)."""

from __future__ import annotations

import numpy as np
import PIL.Image
import pytest

from segtutor.viz import draw_panoptic
from segtutor.widgets import PostprocessExplorer, SegmentationTypesExplorer


def _forms(rgb: np.ndarray) -> dict[str, object]:
    grey = rgb[..., 0]
    alpha = np.full((*rgb.shape[:2], 1), 200, np.uint8)
    return {
        "grey_hw": grey,
        "grey_hw1": grey[..., None],
        "rgba": np.concatenate([rgb, alpha], axis=-1),
        "pil_L": PIL.Image.fromarray(grey, mode="L"),
        "pil_P": PIL.Image.fromarray(rgb).convert("P"),
        "pil_RGBA": PIL.Image.fromarray(rgb).convert("RGBA"),
    }


@pytest.mark.parametrize("form", ["grey_hw", "grey_hw1", "rgba", "pil_L", "pil_P", "pil_RGBA"])
def test_explorers_and_drawings_accept_grey_and_rgba(sample, panoptic_result, model_outputs, form):
    image = _forms(sample.image)[form]
    explorer = SegmentationTypesExplorer(image, prediction={"panoptic": panoptic_result},
                                         categories=sample.categories)
    assert explorer.rgb.shape == sample.image.shape and explorer.rgb.dtype == np.uint8
    assert PostprocessExplorer(image, model_outputs, sample.categories).rgb.shape == sample.image.shape
    ax = draw_panoptic(image, panoptic_result, sample.categories)
    assert ax.images[0].get_array().shape == sample.image.shape
