"""diagnose_detr and draw_detr_masks: per-query facts of the bundled toy DETR, consistent with its outputs."""

from __future__ import annotations

import matplotlib
import numpy as np
import pytest
import torch

from segtutor.comparison.detr_diagnosis import DetrDiagnosis, diagnose_detr
from segtutor.examples import example_images
from segtutor.metrics.table import Table
from segtutor.models import load_model
from segtutor.viz.detr_masks import draw_detr_masks

matplotlib.use("Agg")


@pytest.fixture(scope="module")
def detr():
    return load_model("detr", "panoptic", source="bundled", device="cpu")


@pytest.fixture(scope="module")
def image():
    return example_images(online=False, count=1, indices=[11]).images[0]


@pytest.fixture(scope="module")
def diagnosis(detr, image):
    return diagnose_detr(detr, image=image)


@pytest.fixture(scope="module")
def outputs(detr, image):
    inputs = detr.processor(images=image, return_tensors="pt")
    with torch.no_grad():
        return detr.model(**inputs)


def test_per_query_facts_match_the_probability_maps(diagnosis):
    masks = diagnosis.mask_probabilities
    assert len(diagnosis.queries) == masks.shape[0] == diagnosis.class_probabilities.shape[0]
    for row in diagnosis.queries:
        q = row["query"]
        assert row["pixels_above_0.5"] == int((masks[q] > 0.5).sum())
        assert row["max_mask_probability"] == pytest.approx(float(masks[q].max()))
        expected = float(diagnosis.class_probabilities[q, row["label_id"]])
        assert row["class_probability"] == pytest.approx(expected)
        assert row["peak_weighted"] == pytest.approx(row["class_probability"] * row["max_mask_probability"])
    scores = [r["class_probability"] for r in diagnosis.queries]
    assert scores == sorted(scores, reverse=True)
    assert sorted(r["query"] for r in diagnosis.queries) == list(range(masks.shape[0]))


def test_facts_match_the_model_outputs(outputs, diagnosis):
    expected = outputs.pred_masks[0].sigmoid().numpy()
    np.testing.assert_allclose(diagnosis.mask_probabilities, expected, atol=1e-6)
    assert diagnosis.mask_size == tuple(outputs.pred_masks.shape[-2:])


@pytest.mark.parametrize("threshold", [0.5, 0.2, 0.05])
def test_kept_queries_and_segments_agree_with_transformers(detr, image, outputs, diagnosis, threshold):
    scores, labels = outputs.logits[0].softmax(-1).max(-1)
    kept = int(((labels != outputs.logits.shape[-1] - 1) & (scores > threshold)).sum())
    summary = diagnosis.summary(threshold)
    assert summary["confident"] == kept
    result = detr.processor.post_process_panoptic_segmentation(
        outputs, threshold=threshold, target_sizes=[image.shape[:2]]
    )[0]
    assert len(result["segments_info"]) <= summary["segments_possible"]


def test_explanation_states_the_computed_numbers(diagnosis):
    s = diagnosis.summary()
    text = diagnosis.explanation()
    assert f"{s['confident']} of {s['queries']} queries" in text
    assert f"{s['max_mask_probability']:.3f}" in text
    assert f"{s['pixels_above_0.5']} of {s['mask_pixels']} mask pixels" in text


def _fake(class_probability: float, mask_value: float) -> DetrDiagnosis:
    masks = np.full((1, 4, 4), mask_value, dtype=np.float32)
    row = {"query": 0, "class": "sky", "label_id": 0, "class_probability": class_probability,
           "no_object_probability": 1 - class_probability, "kept": True, "max_mask_probability": mask_value,
           "pixels_above_0.5": int((masks[0] > 0.5).sum()), "peak_weighted": class_probability * mask_value}
    probs = np.array([[class_probability, 1 - class_probability]], dtype=np.float32)
    return DetrDiagnosis(Table([row]), masks, probs, (16, 16))


@pytest.mark.parametrize(("mask_value", "possible", "phrase"),
                         [(0.9, 1, "at most 1 of the kept"), (0.52, 0, "whatever `threshold` is")])
def test_segments_possible_follows_the_weighted_mask(mask_value, possible, phrase):
    fake = _fake(0.9, mask_value)
    assert fake.summary()["segments_possible"] == possible
    assert phrase in fake.explanation()


def test_figure_has_one_panel_per_query_on_a_shared_0_to_1_scale(diagnosis):
    figure = draw_detr_masks(diagnosis, top_k=4)
    panels = [ax for ax in figure.axes if ax.images]
    assert len(panels) == 4
    for ax, row in zip(panels, diagnosis.queries, strict=False):
        assert ax.images[0].get_clim() == (0.0, 1.0)
        np.testing.assert_array_equal(ax.images[0].get_array(), diagnosis.mask_probabilities[row["query"]])
        assert f"query {row['query']}" in ax.get_title()
    colorbars = [ax for ax in figure.axes if ax.get_ylabel().startswith("mask probability")]
    assert len(colorbars) == 1
    assert figure.legends and "0.5" in figure.legends[0].get_texts()[0].get_text()
    assert "DETR" in figure.get_suptitle()
    matplotlib.pyplot.close(figure)


def test_grey_image_is_refused_with_the_fix(detr):
    with pytest.raises(ValueError, match="as_rgb_image"):
        diagnose_detr(detr, image=np.zeros((8, 8), np.uint8))
