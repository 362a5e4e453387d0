"""What the browser test relies on, checked without a browser: slider layouts and the picture's caption."""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np
import pytest
import torch

from segtutor.categories import Category
from segtutor.data import open_dataset
from segtutor.widgets import DatasetBrowser, PostprocessExplorer, SegmentationTypesExplorer
from segtutor.widgets._base import SLIDER_WIDTH, figure_title

CATEGORIES = [Category(0, "sky", False, (110, 170, 230)), Category(1, "circle", True, (230, 60, 60))]


@pytest.fixture(scope="module")
def samples():
    reader = open_dataset(split="val")
    return [reader[0], reader[1]]


@pytest.fixture
def postprocess_explorer():
    from transformers.models.mask2former.modeling_mask2former import (
        Mask2FormerForUniversalSegmentationOutput,
    )

    generator = torch.Generator().manual_seed(0)
    outputs = Mask2FormerForUniversalSegmentationOutput(
        class_queries_logits=torch.randn(1, 4, 3, generator=generator),
        masks_queries_logits=torch.randn(1, 4, 8, 8, generator=generator),
    )
    return PostprocessExplorer(np.zeros((16, 16, 3), np.uint8), outputs, CATEGORIES)


def sliders(explorer) -> list[widgets.Widget]:
    return [c for c in explorer.controls if isinstance(c, (widgets.FloatSlider, widgets.IntSlider))]


def test_postprocess_sliders_share_one_width_and_one_description_width(postprocess_explorer):
    found = sliders(postprocess_explorer)
    assert len(found) == 3
    assert {s.layout.width for s in found} == {SLIDER_WIDTH}
    assert {s.layout.max_width for s in found} == {"100%"}
    # a fixed description width: the long "overlap_mask_area_threshold" no longer eats its own track
    assert len({s.style.description_width for s in found}) == 1
    assert found[0].style.description_width not in ("", "initial")


def test_dataset_browser_slider_is_as_wide_as_the_others(samples):
    (index,) = sliders(DatasetBrowser(samples))
    assert (index.layout.width, index.layout.max_width) == (SLIDER_WIDTH, "100%")


@pytest.mark.parametrize(("kind", "title"), [("semantic", "Semantic segmentation (ground truth)"),
                                             ("panoptic", "Panoptic segmentation (ground truth)")])
def test_picture_caption_is_the_figure_title(samples, kind, title):
    explorer = SegmentationTypesExplorer(samples[0], kind="instance")
    explorer.kind.value = kind
    assert explorer.caption.value == title == figure_title(explorer.last_figure)


def test_picture_caption_follows_the_sliders(postprocess_explorer):
    postprocess_explorer.overlap_mask_area_threshold.value = 0.35
    assert postprocess_explorer.caption.value.endswith("overlap 0.35")
    assert "\n" not in postprocess_explorer.caption.value


def test_masks_view_caption_is_the_suptitle(samples):
    browser = DatasetBrowser(samples, view="masks")
    browser.index.value = 1
    assert browser.caption.value.startswith("Sample 1: ")
    assert browser.caption.value.endswith("target as binary masks")


def test_caption_is_hidden_and_follows_the_picture(samples):
    explorer = SegmentationTypesExplorer(samples[0])
    assert explorer.caption.layout.display == "none"
    assert explorer.widget.children[-2:] == (explorer.picture, explorer.caption)


def test_a_failed_redraw_is_titled_error(postprocess_explorer, monkeypatch):
    def broken(task):
        raise RuntimeError("boom")

    monkeypatch.setattr(postprocess_explorer, "_run", broken)
    postprocess_explorer.threshold.value = 0.9
    assert postprocess_explorer.caption.value == "Error"
