"""End to end with a real (tiny, randomly initialised) Mask2Former: its inputs and outputs as they come."""

from __future__ import annotations

import numpy as np
import pytest

from segtutor.postprocess import instance, panoptic
from segtutor.viz import as_rgb_image, draw_instances, draw_panoptic, draw_query_grid
from segtutor.widgets import PostprocessExplorer

pytestmark = pytest.mark.slow


def test_pixel_values_are_shown_as_the_resized_image(tiny_mask2former):
    scene, _, processor, inputs, _ = tiny_mask2former
    shown = as_rgb_image(inputs["pixel_values"], processor=processor)
    assert shown.shape == (64, 64, 3)
    # the processor resized 24x32 -> 64x64; the de-normalised picture matches a plain resize closely
    import PIL.Image

    resized = np.asarray(PIL.Image.fromarray(scene.image).resize((64, 64), PIL.Image.Resampling.BILINEAR))
    assert np.abs(shown.astype(int) - resized).mean() < 12


def test_query_grid_from_real_outputs(tiny_mask2former):
    scene, model, _, _, outputs = tiny_mask2former
    fig = draw_query_grid(outputs.class_queries_logits[0], outputs.masks_queries_logits[0], model.config,
                          image=scene, top_k=4)
    assert sum(1 for ax in fig.axes if ax.images) == 4


def test_real_results_draw_at_the_image_size(tiny_mask2former):
    scene, model, _, _, outputs = tiny_mask2former
    size = [scene.image.shape[:2]]
    pan = panoptic(outputs, threshold=0.0, target_sizes=size)[0]
    ins = instance(outputs, threshold=0.0, target_sizes=size, return_binary_maps=True)[0]
    assert draw_panoptic(scene.image, pan, model.config.id2label).images
    assert draw_instances(scene.image, ins, model.config).images


def test_postprocess_explorer_on_real_outputs(tiny_mask2former):
    scene, _, _, _, outputs = tiny_mask2former
    explorer = PostprocessExplorer(scene, outputs, scene.categories, threshold=0.0)
    explorer.task.value = "instance"
    explorer.threshold.value = 0.9
    assert explorer.render_count == 3 and explorer.last_error is None
