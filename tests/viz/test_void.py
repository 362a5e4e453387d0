"""Void pixels (no segment) are striped grey in every drawing and listed in the legend."""

from __future__ import annotations

import numpy as np
import pytest

from segtutor.viz import draw_comparison, draw_instances, draw_panoptic, draw_segmentation_types, render
from segtutor.viz.void import STRIPE_GREY, VOID_LABEL, mark_void, stripe_width


@pytest.fixture
def rgb():
    return np.random.default_rng(3).integers(0, 256, size=(24, 32, 3), dtype=np.uint8)


def test_void_pixels_become_grey_with_dark_stripes(rgb):
    void = np.zeros(rgb.shape[:2], dtype=bool)
    void[:, :10] = True
    out = mark_void(rgb, void)
    np.testing.assert_array_equal(out[~void], rgb[~void])  # painted pixels untouched
    marked = out[void]
    assert (marked[:, 0] == marked[:, 1]).all() and (marked[:, 1] == marked[:, 2]).all()  # neutral grey
    ys, xs = np.nonzero(void)
    stripe = (xs + ys) // stripe_width(rgb.shape) % 4 == 0
    assert (marked[stripe, 0] == STRIPE_GREY).all()
    assert (marked[~stripe, 0] >= 96).all() and (marked[~stripe, 0] <= 223).all()
    assert stripe.any() and (~stripe).any()


def test_grey_follows_the_photo_luminance(rgb):
    photo = np.zeros((4, 4, 3), dtype=np.uint8)
    photo[:, 2:] = 255
    out = mark_void(photo, np.ones((4, 4), dtype=bool))
    assert out[1, 0, 0] == 96 and out[1, 2, 0] == 96 + 255 // 2  # black and white stay apart


def test_mark_void_leaves_its_inputs_alone(rgb):
    void = np.ones(rgb.shape[:2], dtype=bool)
    before = rgb.copy()
    out = mark_void(rgb, void)
    assert not np.shares_memory(out, rgb)
    np.testing.assert_array_equal(rgb, before)


def test_mark_void_refuses_mismatched_shapes(rgb):
    with pytest.raises(ValueError, match=r"void: expected shape \(24, 32\)"):
        mark_void(rgb, np.zeros((3, 3), dtype=bool))


def _legend(artist):
    legend = artist.get_legend() if hasattr(artist, "get_legend") else artist.legends[0]
    return [t.get_text() for t in legend.get_texts()]


def test_panoptic_minus_one_pixels_are_marked(sample, categories, panoptic_result):
    seg = panoptic_result["segmentation"].copy()
    seg[seg == 5] = -1  # nothing predicted where the square is
    result = {"segmentation": seg, "segments_info": panoptic_result["segments_info"]}
    ax = draw_panoptic(sample.image, result, categories)
    drawn = ax.images[0].get_array()
    rendering = render(sample.image, result, categories)
    np.testing.assert_array_equal(drawn, mark_void(rendering.rgb, seg < 1))
    assert (drawn[seg == -1, 0] == drawn[seg == -1, 2]).all()
    assert VOID_LABEL in _legend(ax)


def test_instance_pixels_outside_every_mask_are_marked(sample, categories, panoptic_result):
    seg = np.where(panoptic_result["segmentation"] >= 3, panoptic_result["segmentation"] - 3, -1)
    info = [dict(s, id=s["id"] - 3) for s in panoptic_result["segments_info"][2:]]
    ax = draw_instances(sample.image, {"segmentation": seg, "segments_info": info}, categories)
    drawn = ax.images[0].get_array()
    background = seg < 0
    assert (drawn[background, 0] == drawn[background, 1]).all()
    assert (drawn[background, 0] == STRIPE_GREY).any()


def test_full_coverage_has_no_void_entry(sample, categories, panoptic_result):
    seg = panoptic_result["segmentation"].copy()
    seg[seg == 0] = 1
    ax = draw_panoptic(sample.image, {"segmentation": seg, "segments_info": panoptic_result["segments_info"]},
                       categories)
    assert VOID_LABEL not in _legend(ax)
    np.testing.assert_array_equal(ax.images[0].get_array(), render(sample.image, {
        "segmentation": seg, "segments_info": panoptic_result["segments_info"]}, categories).rgb)


def test_shared_legends_list_void_once(sample, panoptic_result):
    for figure in (draw_segmentation_types(sample), draw_comparison(sample, prediction=panoptic_result)):
        assert _legend(figure).count(VOID_LABEL) == 1


def test_drawing_void_leaves_the_result_alone(sample, categories, panoptic_result):
    before = panoptic_result["segmentation"].copy()
    image = sample.image.copy()
    draw_panoptic(sample.image, panoptic_result, categories)
    np.testing.assert_array_equal(panoptic_result["segmentation"], before)
    np.testing.assert_array_equal(sample.image, image)
