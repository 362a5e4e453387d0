"""reuse_class_rows: shared classes and "no object" keep their trained class-head rows."""

from __future__ import annotations

import pytest
import torch

from segtutor.models import build_tiny_model
from segtutor.models.class_head import reuse_class_rows

TOY = {0: "sky", 1: "grass", 2: "circle", 3: "square", 4: "triangle"}
TOY_STAR = {**TOY, 5: "star"}


def _head(model):
    return model.detr.class_labels_classifier if hasattr(model, "detr") else model.class_predictor


@pytest.fixture(scope="module")
def models():
    torch.manual_seed(0)
    source = build_tiny_model("mask2former", TOY)
    torch.manual_seed(1)
    target = build_tiny_model("mask2former", TOY_STAR)
    return source, target


def test_shared_rows_and_no_object_are_copied_new_rows_are_kept(models):
    source, target = models
    star_before = _head(target).weight[5].clone()
    source_weights = {k: v.clone() for k, v in source.state_dict().items()}
    copied = reuse_class_rows(source, target)
    assert copied == ["sky", "grass", "circle", "square", "triangle"]
    old, new = _head(source), _head(target)
    assert torch.equal(new.weight[:5], old.weight[:5]) and torch.equal(new.bias[:5], old.bias[:5])
    assert torch.equal(new.weight[-1], old.weight[-1]) and torch.equal(new.bias[-1], old.bias[-1])
    assert torch.equal(new.weight[5], star_before)
    assert all(torch.equal(v, source_weights[k]) for k, v in source.state_dict().items())


def test_rows_are_matched_by_name_not_by_position():
    torch.manual_seed(0)
    source = build_tiny_model("maskformer", TOY)
    target = build_tiny_model("maskformer", {0: "star", 1: "triangle", 2: "sky"})
    assert reuse_class_rows(source, target) == ["triangle", "sky"]
    assert torch.equal(_head(target).weight[1], _head(source).weight[4])
    assert torch.equal(_head(target).weight[2], _head(source).weight[0])


def test_detr_is_supported_and_no_shared_name_copies_only_no_object():
    torch.manual_seed(0)
    source = build_tiny_model("detr", TOY)
    target = build_tiny_model("detr", {0: "cat", 1: "dog"})
    assert reuse_class_rows(source, target) == []
    assert torch.equal(_head(target).weight[-1], _head(source).weight[-1])


def test_heads_of_different_widths_are_refused():
    source = torch.nn.Module()
    source.class_predictor = torch.nn.Linear(32, 6)
    source.config = type("Config", (), {"id2label": TOY})()
    target = build_tiny_model("mask2former", TOY_STAR)
    with pytest.raises(ValueError, match="different widths: source 32, target 64"):
        reuse_class_rows(source, target)


def test_models_without_a_class_head_are_refused():
    with pytest.raises(TypeError, match="supports DETR, MaskFormer and Mask2Former"):
        reuse_class_rows(torch.nn.Linear(2, 2), build_tiny_model("mask2former", TOY))


def test_new_classes_can_start_from_the_mean_of_known_rows():
    labels = {0: "sky", 1: "circle", 2: "square"}
    source = build_tiny_model("mask2former", labels, image_size=64, seed=0)
    target = build_tiny_model("mask2former", {**labels, 3: "star"}, image_size=64, seed=1)
    reuse_class_rows(source, target, start_new_from=["circle", "square"])
    old, new = source.class_predictor, target.class_predictor
    torch.testing.assert_close(new.weight[3], (old.weight[1] + old.weight[2]) / 2)
    torch.testing.assert_close(new.bias[3], (old.bias[1] + old.bias[2]) / 2)
    assert torch.equal(new.weight[1], old.weight[1])  # known classes are still copied as they are


def test_start_new_from_must_name_known_classes():
    source = build_tiny_model("mask2former", {0: "sky", 1: "circle"}, image_size=64)
    target = build_tiny_model("mask2former", {0: "sky", 1: "circle", 2: "star"}, image_size=64)
    with pytest.raises(ValueError, match="does not know"):
        reuse_class_rows(source, target, start_new_from=["hexagon"])
