"""Widgets driven from code: setting a control's value re-renders, and a static PNG is always there."""

from __future__ import annotations

import base64

import numpy as np
import pytest

from segtutor.viz import overlay
from segtutor.widgets import DatasetBrowser, PostprocessExplorer, SegmentationTypesExplorer

PNG = b"\x89PNG\r\n\x1a\n"


def segment_labels(result) -> list[int]:
    return sorted(s["label_id"] for s in result["segments_info"])


# --- segmentation types explorer ------------------------------------------------------------------------


def test_types_explorer_switches_task(sample):
    explorer = SegmentationTypesExplorer(sample)
    assert explorer.render_count == 1
    np.testing.assert_array_equal(explorer.last_rgb, overlay(sample, sample, kind="panoptic"))
    explorer.kind.value = "semantic"
    assert explorer.render_count == 2
    np.testing.assert_array_equal(explorer.last_rgb, overlay(sample, sample, kind="semantic"))
    assert explorer.last_figure.axes[0].get_title() == "Semantic segmentation (ground truth)"


def test_types_explorer_shows_the_prediction(sample, panoptic_result):
    explorer = SegmentationTypesExplorer(sample, prediction={"panoptic": panoptic_result})
    assert list(explorer.source.options) == ["ground truth", "prediction"]
    explorer.source.value = "prediction"
    np.testing.assert_array_equal(explorer.last_rgb, overlay(sample, panoptic_result, sample.categories))
    explorer.kind.value = "instance"  # not given for the prediction
    assert explorer.last_rgb is None
    assert explorer.last_figure.axes[0].get_title().endswith("not available")


def test_types_explorer_rejects_unknown_kinds(sample):
    with pytest.raises(ValueError, match="keys must be among"):
        SegmentationTypesExplorer(sample, prediction={"panoptc": {}})


def test_displayed_bundle_has_the_widget_and_a_static_png(sample):
    bundle = SegmentationTypesExplorer(sample)._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert base64.b64decode(bundle["image/png"]).startswith(PNG)


# --- dataset browser -------------------------------------------------------------------------------------


def test_dataset_browser_index_slider_changes_the_sample(scene_factory):
    samples = [scene_factory(0), scene_factory(1)]
    browser = DatasetBrowser(samples)
    first = browser.last_png
    browser.index.value = 1
    assert browser.render_count == 2
    np.testing.assert_array_equal(browser.last_rgb, overlay(samples[1], samples[1]))
    assert browser.last_png != first
    assert "scene_1.png" in browser.last_figure.axes[0].get_title()


@pytest.mark.parametrize(("kind", "names"), [("semantic", ["sky", "grass", "circle", "square"]),
                                              ("instance", ["circle", "circle", "square"])])
def test_dataset_browser_masks_view_shows_one_panel_per_target_mask(sample, kind, names):
    browser = DatasetBrowser([sample], kind=kind)
    browser.view.value = "masks"
    titled = [ax.get_title() for ax in browser.last_figure.axes if ax.images]
    assert [t.split(": ")[1] for t in titled] == names
    assert browser.last_rgb is None


def test_dataset_browser_refuses_an_empty_dataset():
    with pytest.raises(ValueError, match="at least one Sample"):
        DatasetBrowser([])


# --- post-processing explorer ----------------------------------------------------------------------------


def test_threshold_slider_reruns_postprocessing(sample, model_outputs):
    explorer = PostprocessExplorer(sample, model_outputs, sample.categories, threshold=0.6)
    assert segment_labels(explorer.last_result) == [0, 1, 2, 2]  # the square (0.55) is below 0.6
    before = explorer.last_rgb.copy()
    explorer.threshold.value = 0.5
    assert explorer.render_count == 2
    assert segment_labels(explorer.last_result) == [0, 1, 2, 2, 3]
    assert not np.array_equal(explorer.last_rgb, before)
    explorer.threshold.value = 0.85
    assert segment_labels(explorer.last_result) == [0, 1]


def test_fuse_toggle_merges_the_two_sky_halves(sample, model_outputs):
    explorer = PostprocessExplorer(sample, model_outputs, sample.categories, fuse_stuff=True)
    sky_ids = {s["id"] for s in explorer.last_result["segments_info"] if s["label_id"] == 0}
    assert len(sky_ids) == 1
    explorer.fuse_stuff.value = False
    sky_ids = {s["id"] for s in explorer.last_result["segments_info"] if s["label_id"] == 0}
    assert len(sky_ids) == 2


def test_task_switch_to_semantic_disables_the_sliders(sample, model_outputs):
    explorer = PostprocessExplorer(sample, model_outputs, sample.categories)
    explorer.task.value = "semantic"
    assert tuple(explorer.last_result.shape) == (24, 32)
    assert explorer.threshold.disabled and explorer.fuse_stuff.disabled
    explorer.task.value = "instance"
    assert not explorer.threshold.disabled
    assert all(s["label_id"] in (0, 1, 2, 3) for s in explorer.last_result["segments_info"])


def test_model_is_never_called_again(sample, model_outputs):
    calls = []

    class CountingPostprocess:
        def panoptic(self, outputs, **options):
            calls.append(options["threshold"])
            assert outputs is model_outputs
            from segtutor import postprocess

            return postprocess.panoptic(outputs, **options)

    counting = CountingPostprocess()
    explorer = PostprocessExplorer(sample, model_outputs, sample.categories, postprocess=counting)
    explorer.threshold.value = 0.3
    explorer.threshold.value = 0.5  # back to a cached setting: no new call
    assert calls == [0.5, 0.3]
    assert explorer.render_count == 3


def test_a_failing_redraw_shows_the_error_instead_of_raising(sample, model_outputs):
    class Broken:
        def panoptic(self, outputs, **options):
            from segtutor import postprocess

            return postprocess.panoptic(outputs, **options)

        def instance(self, outputs, **options):
            raise RuntimeError("instance post-processing exploded")

    explorer = PostprocessExplorer(sample, model_outputs, sample.categories, postprocess=Broken())
    explorer.task.value = "instance"
    assert isinstance(explorer.last_error, RuntimeError)
    assert explorer.last_rgb is None and explorer.render_count == 2
    assert "exploded" in explorer.last_figure.texts[0].get_text()


def test_large_images_are_postprocessed_at_display_size(model_outputs):
    image = np.zeros((96, 128, 3), np.uint8)
    explorer = PostprocessExplorer(image, model_outputs, ["sky", "grass", "circle", "square", "triangle"],
                                   max_size=64)
    assert tuple(explorer.last_result["segmentation"].shape) == (48, 64)


def test_same_state_gives_identical_png_bytes(sample, model_outputs):
    first = PostprocessExplorer(sample, model_outputs, sample.categories)
    second = PostprocessExplorer(sample, model_outputs, sample.categories)
    second.threshold.value = 0.7
    second.threshold.value = 0.5  # back to the first explorer's state
    assert first.last_png == second.last_png
