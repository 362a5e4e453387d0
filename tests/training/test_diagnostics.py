"""Tests of the step-0 checks: expected class loss and the loss terms of one batch."""

from __future__ import annotations

import math

import pytest
import torch

from segtutor.data import collate_fn
from segtutor.models import build_tiny_model
from segtutor.training.diagnostics import expected_class_loss, loss_terms


@pytest.mark.parametrize("num_labels, expected", [(1, math.log(2)), (6, math.log(7)), (133, math.log(134))])
def test_expected_class_loss_is_log_of_outputs(num_labels, expected):
    assert expected_class_loss(num_labels) == pytest.approx(expected)


@pytest.mark.parametrize("bad", [0, -3, 2.5, True])
def test_expected_class_loss_rejects_non_positive_counts(bad):
    with pytest.raises(ValueError, match="positive int"):
        expected_class_loss(bad)


@pytest.fixture
def mask2former_batch(make_dataset):
    torch.manual_seed(0)
    dataset = make_dataset("mask2former", n=4)
    model = build_tiny_model("mask2former", dataset.id2label)
    return model, collate_fn([dataset[i] for i in range(4)])


def test_new_class_head_starts_near_log_of_outputs(mask2former_batch):
    model, batch = mask2former_batch
    terms = loss_terms(model, batch)
    expected = expected_class_loss(model.config.num_labels)
    assert terms["class"] == pytest.approx(expected, rel=0.1)
    assert 0.0 <= terms["dice"] <= 1.0
    # the total sums every decoder layer's weighted terms, so it exceeds the final layer's raw terms
    assert terms["total"] > terms["class"] + terms["mask"] + terms["dice"]


def test_wrong_labels_raise_the_class_term(mask2former_batch):
    model, batch = mask2former_batch
    # a head that is confident about class 0 while every segment is labelled 1: far worse than a uniform guess
    with torch.no_grad():
        model.class_predictor.bias.zero_()
        model.class_predictor.bias[0] = 8.0
    wrong = dict(batch, class_labels=[torch.full_like(c, 1) for c in batch["class_labels"]])
    assert loss_terms(model, wrong)["class"] > expected_class_loss(model.config.num_labels) + 1.0


def test_model_mode_and_random_state_are_left_alone(mask2former_batch):
    model, batch = mask2former_batch
    model.train()
    running_mean = model.model.pixel_level_module.encoder.embedder.embedder.normalization.running_mean.clone()
    state = torch.random.get_rng_state()
    first = loss_terms(model, batch, seed=3)
    assert model.training
    assert torch.equal(state, torch.random.get_rng_state())
    assert torch.equal(
        running_mean, model.model.pixel_level_module.encoder.embedder.embedder.normalization.running_mean
    )
    assert loss_terms(model, batch, seed=3) == first


def test_maskformer_is_supported(make_dataset):
    torch.manual_seed(0)
    dataset = make_dataset("maskformer", n=2)
    model = build_tiny_model("maskformer", dataset.id2label)
    terms = loss_terms(model, collate_fn([dataset[i] for i in range(2)]))
    assert set(terms) == {"class", "mask", "dice", "total"}
    assert all(math.isfinite(v) for v in terms.values())


def test_detr_is_refused_with_advice(make_dataset):
    dataset = make_dataset("detr", n=2)
    model = build_tiny_model("detr", dataset.id2label)
    with pytest.raises(TypeError, match=r"outputs\.loss"):
        loss_terms(model, collate_fn([dataset[i] for i in range(2)]))


def test_batch_without_labels_is_refused(mask2former_batch):
    model, batch = mask2former_batch
    with pytest.raises(ValueError, match="class_labels"):
        loss_terms(model, {"pixel_values": batch["pixel_values"], "mask_labels": batch["mask_labels"]})
