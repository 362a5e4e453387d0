"""``evaluate`` end to end on tiny random models of the four families (fast: 64×64 images, 3 samples)."""

from __future__ import annotations

import json
import math
from collections import Counter
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from segtutor.categories import Category
from segtutor.data.targets import Sample
from segtutor.metrics import EvaluationResult, evaluate
from segtutor.metrics._postprocess import _one_image, _valid_fraction
from segtutor.models.tiny import build_tiny_model, make_image_processor

CATEGORIES = [
    Category(0, "sky", False, (90, 160, 230)),
    Category(1, "grass", False, (60, 160, 60)),
    Category(2, "circle", True, (230, 60, 60)),
    Category(3, "square", True, (240, 200, 40)),
    Category(4, "triangle", True, (150, 60, 200)),
]
ID2LABEL = {c.id: c.name for c in CATEGORIES}


def _scene(seed: int, size: int = 64) -> Sample:
    """Sky above grass with one square, painted in the categories' colours."""
    rng = np.random.default_rng(seed)
    sky = np.zeros((size, size), bool)
    sky[: size // 2] = True
    top, left = 4 * rng.integers(1, size // 8, size=2)  # on the 4-pixel grid of the models' mask logits
    square = np.zeros((size, size), bool)
    square[top : top + 16, left : left + 16] = True
    sky &= ~square
    grass = ~sky & ~square
    masks = np.stack([sky, grass, square])
    image = np.zeros((size, size, 3), np.uint8)
    for mask, category in zip(masks, (CATEGORIES[0], CATEGORIES[1], CATEGORIES[3]), strict=True):
        image[mask] = category.color
    return Sample(
        image=image,
        masks=masks,
        category_ids=np.array([0, 1, 3]),
        ignore=np.zeros((size, size), bool),
        kind="panoptic",
        categories=CATEGORIES,
        segment_ids=np.array([1, 2, 3]),
    )


SAMPLES = [_scene(seed) for seed in range(3)]


@pytest.fixture(scope="module", params=["mask2former", "maskformer", "detr", "eomt"])
def model_and_processor(request):
    model = build_tiny_model(request.param, ID2LABEL, image_size=64, seed=0)
    return model, make_image_processor(request.param, image_size=64)


def test_all_tasks_give_scores_in_range(model_and_processor) -> None:
    model, processor = model_and_processor
    result = evaluate(model, processor, SAMPLES, task="all", batch_size=2)
    assert isinstance(result, EvaluationResult)
    assert result.tasks == ("panoptic", "instance", "semantic")
    assert result.num_images == 3
    expected = {
        "PQ",
        "SQ",
        "RQ",
        "PQ_th",
        "SQ_th",
        "RQ_th",
        "PQ_st",
        "SQ_st",
        "RQ_st",
        "mAP",
        "mAP_50",
        "mIoU",
    }
    assert expected <= set(result.metrics)
    for key, value in result.metrics.items():
        assert math.isnan(value) or 0.0 <= value <= 1.0, (key, value)
    assert [row["id"] for row in result.per_class] == [0, 1, 2, 3, 4]


class _Oracle(torch.nn.Module):
    """Stands in for Mask2Former or DETR: returns, per image, one confident query per ground-truth segment.

    Its mask logits are the ground truth at 1/4 resolution (like the real model's), so every step after the
    forward pass (processor, post-processing, resizing, label ids, scoring) is exercised on known answers.
    """

    def __init__(self, samples: list[Sample], family: str = "mask2former", num_queries: int = 6) -> None:
        super().__init__()
        self.config = SimpleNamespace(model_type=family, id2label=ID2LABEL, name_or_path="oracle")
        self.anchor = torch.nn.Parameter(torch.zeros(1))  # evaluate() reads the device from a parameter
        self._queue = list(samples)
        self._num_queries = num_queries

    def forward(self, pixel_values: torch.Tensor, pixel_mask: torch.Tensor | None = None) -> SimpleNamespace:
        batch, _, height, width = pixel_values.shape
        classes = torch.full((batch, self._num_queries, len(ID2LABEL) + 1), -10.0)
        classes[..., -1] = 10.0  # "no object" for unused queries
        masks = torch.full((batch, self._num_queries, height // 4, width // 4), -20.0)
        for i in range(batch):
            sample = self._queue.pop(0)
            for q, (mask, category_id) in enumerate(zip(sample.masks, sample.category_ids, strict=True)):
                classes[i, q, -1] = -10.0
                classes[i, q, category_id] = 10.0
                small = torch.nn.functional.interpolate(
                    torch.from_numpy(mask)[None, None].float(), size=(height // 4, width // 4), mode="area"
                )
                masks[i, q] = torch.where(small[0, 0] > 0.5, 20.0, -20.0)
        if self.config.model_type == "detr":
            return SimpleNamespace(
                logits=classes, pred_masks=masks, pred_boxes=torch.zeros(batch, masks.shape[1], 4)
            )
        return SimpleNamespace(class_queries_logits=classes, masks_queries_logits=masks)


@pytest.mark.parametrize(
    ("family", "postprocessor"),
    [("mask2former", "segtutor"), ("mask2former", "transformers"), ("detr", "auto")],
)
def test_perfect_predictions_score_one_end_to_end(family: str, postprocessor: str) -> None:
    processor = make_image_processor(family, image_size=64)
    result = evaluate(_Oracle(SAMPLES, family), processor, SAMPLES, task="all", postprocessor=postprocessor,
                      review=True)
    # Exact up to the square's four corner pixels, which bilinear upsampling of the 1/4-resolution logits
    # rounds off (IoU 252/256): every segment matches, and every IoU threshold of mask AP is passed.
    for key in ("RQ", "mAP", "mAP_50", "mAP_75"):
        assert result.metrics[key] == 1.0, key
    for key in ("PQ", "SQ", "PQ_th", "PQ_st", "mIoU"):
        assert result.metrics[key] == pytest.approx(1.0, abs=0.02), key
    # every annotated thing of every image is found, and nothing else is predicted
    annotated = [s.category_by_id[int(c)] for s in SAMPLES for c in s.category_ids]
    things = Counter(category.name for category in annotated if category.isthing)
    assert result.review.found == things and not (result.review.confused or result.review.invented)
    assert evaluate(_Oracle(SAMPLES, family), processor, SAMPLES, task="semantic", review=True).review is None
    assert evaluate(_Oracle(SAMPLES, family), processor, SAMPLES, task="panoptic").review is None  # opt-in


def test_model_mode_is_restored(model_and_processor) -> None:
    model, processor = model_and_processor
    model.train()
    evaluate(model, processor, SAMPLES[:1], task="semantic")
    assert model.training


def test_one_forward_for_all_tasks_equals_separate_runs() -> None:
    model = build_tiny_model("mask2former", ID2LABEL, image_size=64, seed=1)
    processor = make_image_processor("mask2former", image_size=64)
    together = evaluate(model, processor, SAMPLES[:2], task="all", batch_size=2)
    # Exact: the same batches on both sides, so one process runs the same forward on the same tensors and
    # the metrics are bitwise equal. (With batch_size=1 on one side they would not be: a batch of 2 and two
    # batches of 1 give logits that differ by ~5e-7, which can flip a pixel on another CPU.)
    for task in ("panoptic", "instance", "semantic"):
        alone = evaluate(model, processor, SAMPLES[:2], task=task, batch_size=2)
        for key, value in alone.metrics.items():
            assert together.metrics[key] == pytest.approx(value, rel=0, abs=0, nan_ok=True), (task, key)


def test_max_images_limits_the_run() -> None:
    model = build_tiny_model("detr", ID2LABEL, image_size=64)
    result = evaluate(model, make_image_processor("detr", image_size=64), iter(SAMPLES), max_images=2)
    assert result.num_images == 2
    assert result.tasks == ("panoptic",)


def test_result_renders_and_serialises() -> None:
    result = EvaluationResult(
        model="toy",
        tasks=("panoptic", "semantic"),
        num_images=2,
        metrics={"PQ": 0.5, "SQ": 0.8, "RQ": 0.625, "PQ_th": 0.25, "SQ_th": 0.5, "RQ_th": 0.5,
                 "PQ_st": math.nan, "SQ_st": math.nan, "RQ_st": math.nan, "mIoU": 0.75},
        per_class=[{"id": 0, "name": "sky", "isthing": False, "PQ": math.nan, "IoU": 0.75}],
    )  # fmt: skip
    text = result.to_markdown(per_class=True)
    assert "| PQ | 50.0 | 25.0 | – |" in text
    assert "| mIoU | 75.0 | – | – |" in text
    assert "| 0 | sky | False | – | 75.0 |" in text
    assert json.loads(json.dumps(result.as_dict(), allow_nan=False))["PQ_st"] is None
    assert result["PQ"] == 0.5
    with pytest.raises(KeyError, match="mAP"):
        result["mAP"]


@pytest.mark.parametrize(
    ("task", "error"),
    [("depth", "task must be one of"), (["panoptic", "boxes"], "task must be one of")],
)
def test_unknown_task_is_explained(task, error) -> None:
    model = build_tiny_model("detr", ID2LABEL, image_size=64)
    with pytest.raises(ValueError, match=error):
        evaluate(model, make_image_processor("detr", image_size=64), SAMPLES, task=task)


def test_no_samples_is_explained() -> None:
    model = build_tiny_model("detr", ID2LABEL, image_size=64)
    with pytest.raises(ValueError, match="no samples"):
        evaluate(model, make_image_processor("detr", image_size=64), [])


def test_other_models_are_refused() -> None:
    with pytest.raises(TypeError, match="DETR, MaskFormer, Mask2Former and EoMT"):
        evaluate(torch.nn.Linear(2, 2), None, SAMPLES)


def test_label_names_that_differ_from_the_dataset_warn() -> None:
    model = build_tiny_model("detr", {**ID2LABEL, 4: "star"}, image_size=64)
    with pytest.warns(UserWarning, match="star"):
        evaluate(model, make_image_processor("detr", image_size=64), SAMPLES[:1], task="semantic")


def test_padding_is_cropped_before_resizing() -> None:
    # A 2-image batch padded to 8×8: image 1 fills only the left 4 columns. Its mask logits (at 1/2 of the
    # input here) must be cropped to the left half before the post-processing resizes them.
    pixel_mask = torch.ones(2, 8, 8, dtype=torch.long)
    pixel_mask[1, :, 4:] = 0
    outputs = type("Out", (), {})()
    outputs.class_queries_logits = torch.zeros(2, 3, 6)
    outputs.masks_queries_logits = torch.arange(2 * 3 * 4 * 4, dtype=torch.float).reshape(2, 3, 4, 4)
    fields = ("class_queries_logits", "masks_queries_logits")
    assert _valid_fraction(pixel_mask, 1) == (1.0, 0.5)
    cropped = _one_image(outputs, fields, 1, _valid_fraction(pixel_mask, 1))
    assert cropped.masks_queries_logits.shape == (1, 3, 4, 2)
    assert torch.equal(cropped.masks_queries_logits[0], outputs.masks_queries_logits[1, :, :, :2])
    whole = _one_image(outputs, fields, 0, _valid_fraction(pixel_mask, 0))
    assert whole.masks_queries_logits.shape == (1, 3, 4, 4)
