"""Matplotlib drawings: legends, labels, titles, composition and byte-identical output."""

from __future__ import annotations

import io

import matplotlib.pyplot as plt
import numpy as np
import pytest

from segtutor.viz import (
    draw_comparison,
    draw_instances,
    draw_panoptic,
    draw_segmentation_types,
    draw_semantic,
    figure_to_png,
    overlay,
)
from segtutor.viz.void import VOID_LABEL as VOID
from segtutor.viz.void import mark_void


def legend_texts(legend) -> list[str]:
    return [t.get_text() for t in legend.get_texts()]


def png_bytes(figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()


def test_semantic_legend_lists_exactly_the_present_classes(sample, categories):
    ax = draw_semantic(sample.image, sample.semantic_map(), categories)
    # no triangle; the sample's last column is unlabelled
    assert legend_texts(ax.get_legend()) == ["sky", "grass", "circle", "square", VOID]
    assert ax.get_title() == "Semantic segmentation"


def test_legend_drops_a_class_hidden_by_other_segments(sample, categories, panoptic_result):
    seg = panoptic_result["segmentation"].copy()
    seg[seg == 5] = 2  # the square's pixels now belong to grass
    ax = draw_panoptic(sample.image, {"segmentation": seg, "segments_info": panoptic_result["segments_info"]},
                       categories)
    assert legend_texts(ax.get_legend()) == ["sky (stuff)", "grass (stuff)", "circle (thing)", VOID]


def test_instance_labels_show_class_and_score(sample, categories, panoptic_result):
    seg = np.where(panoptic_result["segmentation"] >= 3, panoptic_result["segmentation"] - 3, -1)
    info = [dict(s, id=s["id"] - 3) for s in panoptic_result["segments_info"][2:]]
    ax = draw_instances(sample.image, {"segmentation": seg, "segments_info": info}, categories)
    assert sorted(t.get_text() for t in ax.texts) == ["circle 0.55", "circle 0.65", "square 0.45"]
    assert legend_texts(ax.get_legend()) == ["circle (thing)", "square (thing)", VOID]


def test_panoptic_labels_sit_inside_their_segment(sample, categories, panoptic_result):
    ax = draw_panoptic(sample.image, panoptic_result, categories, show_scores=False)
    seg = panoptic_result["segmentation"]
    names = {1: "sky", 2: "grass", 3: "circle", 4: "circle", 5: "square"}
    for text in ax.texts:
        x, y = text.get_position()
        assert names[int(seg[round(y), round(x)])] == text.get_text()


def test_drawing_into_a_given_axes_returns_it(sample):
    _, axes = plt.subplots(1, 2)
    assert draw_panoptic(sample, ax=axes[1]) is axes[1]
    assert axes[1].get_title() == "Panoptic segmentation"
    assert not axes[0].images


def test_drawn_image_is_the_overlay_with_void_marked(sample, categories):
    ax = draw_semantic(sample.image, sample.semantic_map(), categories)
    expected = overlay(sample.image, sample.semantic_map(), categories)
    np.testing.assert_array_equal(ax.images[0].get_array(), mark_void(expected, sample.ignore))


def test_show_void_false_draws_the_bare_overlay(sample, categories):
    ax = draw_semantic(sample.image, sample.semantic_map(), categories, show_void=False)
    expected = overlay(sample.image, sample.semantic_map(), categories)
    np.testing.assert_array_equal(ax.images[0].get_array(), expected)
    assert VOID not in legend_texts(ax.get_legend())


def test_nothing_found_says_so_in_the_title(sample, categories):
    ax = draw_panoptic(sample.image, {"segmentation": None, "segments_info": []}, categories)
    assert ax.get_title() == "Panoptic segmentation (no segments)"
    assert legend_texts(ax.get_legend()) == [VOID]  # every pixel is "no segment"
    assert draw_panoptic(sample.image, {"segmentation": None, "segments_info": []}, categories,
                         show_void=False).get_legend() is None


def test_same_input_gives_identical_png_bytes(sample, panoptic_result, categories):
    first = png_bytes(draw_panoptic(sample.image, panoptic_result, categories).figure)
    second = png_bytes(draw_panoptic(sample.image, panoptic_result, categories).figure)
    assert first == second
    assert first[:8] == b"\x89PNG\r\n\x1a\n"


def test_segmentation_types_figure_has_four_titled_panels_and_one_legend(sample):
    fig = draw_segmentation_types(sample)
    assert [ax.get_title() for ax in fig.axes] == ["Image", "Semantic", "Instance", "Panoptic"]
    expected = ["sky (stuff)", "grass (stuff)", "circle (thing)", "square (thing)", VOID]
    assert legend_texts(fig.legends[0]) == expected
    assert fig.get_suptitle()


def test_segmentation_types_needs_all_three_without_a_sample(sample, categories):
    with pytest.raises(ValueError, match=r"missing \['instance', 'panoptic'\]"):
        draw_segmentation_types(sample.image, semantic=sample.semantic_map(), categories=categories)


def test_comparison_uses_the_same_colours_for_the_same_classes(sample, categories, panoptic_result):
    fig = draw_comparison(sample, prediction=panoptic_result)
    truth, prediction = (ax.images[0].get_array() for ax in fig.axes)
    np.testing.assert_array_equal(truth, prediction)  # same segments, same classes: same pixels
    assert [ax.get_title() for ax in fig.axes] == ["Ground truth", "Prediction"]


def test_comparison_legend_is_the_union_of_both_panels(sample, categories, panoptic_result):
    seg = panoptic_result["segmentation"].copy()
    seg[seg == 5] = 0  # the prediction missed the square
    prediction = {"segmentation": seg, "segments_info": panoptic_result["segments_info"]}
    fig = draw_comparison(sample, prediction=prediction)
    assert "square (thing)" in legend_texts(fig.legends[0])


def test_figure_to_png_is_deterministic(sample):
    assert figure_to_png(draw_segmentation_types(sample)) == figure_to_png(draw_segmentation_types(sample))


def test_drawing_leaves_the_sample_untouched(sample, panoptic_result):
    before = {name: getattr(sample, name).copy() for name in ("image", "masks", "category_ids", "ignore")}
    draw_segmentation_types(sample)
    draw_comparison(sample, prediction=panoptic_result, kind="instance")
    for name, array in before.items():
        np.testing.assert_array_equal(getattr(sample, name), array)
