"""Pixel-level checks of the NumPy overlay."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch

from segtutor.viz import instance_color, overlay, render

ALPHA = 0.6


def grey(pixel: np.ndarray) -> int:
    r, g, b = (int(v) for v in pixel)
    return (77 * r + 150 * g + 29 * b + 128) >> 8


def blended(pixel: np.ndarray, color: tuple[int, int, int], alpha: float) -> np.ndarray:
    """The documented blend of one pixel: grey photo under the colour."""
    a = round(256 * alpha)
    return np.array([(grey(pixel) * (256 - a) + c * a + 128) >> 8 for c in color], dtype=np.uint8)


def test_semantic_pixels_have_the_class_colour_blended_over_grey(sample, categories):
    out = overlay(sample.image, sample.semantic_map(), categories, alpha=ALPHA)
    for (y, x), cid in [((0, 0), 0), ((23, 0), 1), ((4, 5), 2), ((16, 6), 2), ((15, 22), 3)]:
        expected = blended(sample.image[y, x], categories[cid].color, ALPHA)
        np.testing.assert_array_equal(out[y, x], expected)
        # and it is close to the textbook alpha blend
        textbook = ALPHA * np.array(categories[cid].color) + (1 - ALPHA) * grey(sample.image[y, x])
        assert np.abs(out[y, x].astype(float) - textbook).max() <= 1.5


def test_ignore_pixels_are_left_untouched(sample, categories):
    out = overlay(sample.image, sample.semantic_map(ignore_index=255), categories)
    np.testing.assert_array_equal(out[:, -1], sample.image[:, -1])
    assert not np.array_equal(out[:, 0], sample.image[:, 0])


@pytest.mark.parametrize("no_segment", [-1, 0, 99])
def test_pixels_of_no_listed_segment_are_left_untouched(sample, categories, panoptic_result, no_segment):
    seg = panoptic_result["segmentation"].copy()
    seg[:, -1] = no_segment
    out = overlay(sample.image, {"segmentation": seg, "segments_info": panoptic_result["segments_info"]},
                  categories)
    np.testing.assert_array_equal(out[:, -1], sample.image[:, -1])


def test_things_are_outlined_and_stuff_is_flat(sample, categories, panoptic_result):
    out = overlay(sample.image, panoptic_result, categories, alpha=ALPHA, contour_width=1)
    circle = categories[2].color
    # circle A spans rows 2-7, cols 2-9: its border pixels are opaque circle colour, its inside is blended
    np.testing.assert_array_equal(out[2, 5], circle)
    np.testing.assert_array_equal(out[4, 2], circle)
    np.testing.assert_array_equal(out[4, 5], blended(sample.image[4, 5], circle, ALPHA))
    # the sky next to it is stuff: blended (at 0.8 alpha), never opaque
    np.testing.assert_array_equal(out[1, 5], blended(sample.image[1, 5], categories[0].color, 0.8 * ALPHA))


def test_contour_width_is_measured_inside_the_thing(sample, categories, panoptic_result):
    out = overlay(sample.image, panoptic_result, categories, contour_width=2)
    square = instance_color(categories[3].color, 0)
    np.testing.assert_array_equal(out[14:16, 24], [square, square])  # rows 14 and 15 of the square
    assert not np.array_equal(out[16, 24], square)
    assert not np.array_equal(out[13, 24], square)  # grass above is not outlined


def test_instances_of_one_class_get_different_shades(sample, categories, panoptic_result):
    rendering = render(sample.image, panoptic_result, categories)
    shades = {rendering.segments[i].id: rendering.colors[i] for i in range(len(rendering.segments))}
    assert shades[3] == categories[2].color  # first circle: the class colour itself
    assert shades[4] == instance_color(categories[2].color, 1)
    assert shades[3] != shades[4]


def test_instance_view_of_a_sample_paints_no_stuff(sample):
    out = overlay(sample, sample, kind="instance")
    np.testing.assert_array_equal(out[0, 20], sample.image[0, 20])  # sky
    np.testing.assert_array_equal(out[23, 15], sample.image[23, 15])  # grass
    assert not np.array_equal(out[4, 5], sample.image[4, 5])  # circle


def test_inputs_are_never_modified(sample, categories, panoptic_result):
    image, seg = sample.image.copy(), panoptic_result["segmentation"].copy()
    info = copy.deepcopy(panoptic_result["segments_info"])
    out = overlay(sample.image, panoptic_result, categories)
    np.testing.assert_array_equal(sample.image, image)
    np.testing.assert_array_equal(panoptic_result["segmentation"], seg)
    assert panoptic_result["segments_info"] == info
    assert not np.shares_memory(out, sample.image)


def test_empty_result_returns_a_copy_of_the_image(sample, categories):
    out = overlay(sample.image, {"segmentation": None, "segments_info": []}, categories)
    np.testing.assert_array_equal(out, sample.image)
    assert not np.shares_memory(out, sample.image)


def test_torch_and_numpy_inputs_give_the_same_overlay(sample, categories, panoptic_result):
    as_torch = {
        "segmentation": torch.from_numpy(panoptic_result["segmentation"]),
        "segments_info": panoptic_result["segments_info"],
    }
    image_chw = torch.from_numpy(sample.image).permute(2, 0, 1)
    np.testing.assert_array_equal(overlay(image_chw, as_torch, categories),
                                  overlay(sample.image, panoptic_result, categories))


def test_sparse_huge_segment_ids_match_small_ids(sample, categories, panoptic_result):
    big = panoptic_result["segmentation"].astype(np.int64) * (1 << 30)
    info = [dict(s, id=s["id"] * (1 << 30)) for s in panoptic_result["segments_info"]]
    sparse = overlay(sample.image, {"segmentation": big, "segments_info": info}, categories)
    np.testing.assert_array_equal(sparse, overlay(sample.image, panoptic_result, categories))


def test_shape_mismatch_names_both_sizes_and_the_fix(sample, categories, panoptic_result):
    small = {"segmentation": panoptic_result["segmentation"][:20], "segments_info": []}
    with pytest.raises(ValueError, match=r"20x32.*24x32.*target_sizes"):
        overlay(sample.image, small, categories)


@pytest.mark.parametrize("label_id", [7, 183])  # 183: one of DETR's "N/A" COCO ids
def test_label_id_outside_the_categories_is_drawn_as_unknown(sample, categories, panoptic_result, label_id):
    info = [dict(s) for s in panoptic_result["segments_info"]]
    info[0]["label_id"] = label_id
    result = {"segmentation": panoptic_result["segmentation"], "segments_info": info}
    rendering = render(sample.image, result, categories)
    unknown = rendering.categories[label_id]
    assert unknown.name == f"unknown id {label_id}" and unknown.isthing
    assert unknown in rendering.present_categories()
    painted = rendering.index == 1  # the first segment, now of the unknown class
    assert painted.any()
    assert not np.array_equal(rendering.rgb[painted], sample.image[painted])
    assert rendering.colors[0] == unknown.color
    assert label_id not in categories  # the caller's categories are left alone


def test_semantic_map_with_a_class_outside_the_categories_paints_it_as_unknown(sample, categories):
    sem = sample.semantic_map()
    sem[0, 0] = 9
    rendering = render(sample.image, sem, categories)
    assert rendering.categories[9].name == "unknown id 9"
    assert not np.array_equal(rendering.rgb[0, 0], sample.image[0, 0])
