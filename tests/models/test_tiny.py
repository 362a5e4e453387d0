"""Tiny configurations: small, transformers-native backbones, faithful class heads, seeded weights."""

from __future__ import annotations

import pytest
import torch

from segtutor.models import build_tiny_model, make_image_processor, tiny_config

LABELS = {0: "sky", 1: "grass", 2: "circle", 3: "square", 4: "triangle"}


@pytest.mark.parametrize(
    ("architecture", "backbone"),
    [("mask2former", "resnet"), ("mask2former", "swin"), ("maskformer", "resnet"), ("maskformer", "swin"),
     ("detr", "resnet"), ("mask2former", "resnet-deep"), ("maskformer", "resnet-deep"),
     ("detr", "resnet-deep")],
)
def test_tiny_models_are_small_and_native(architecture, backbone):
    model = build_tiny_model(architecture, LABELS, backbone=backbone, image_size=64)
    # three bundled checkpoints must fit in 20 MB of float32 weights together
    assert sum(p.numel() for p in model.parameters()) < 1_600_000
    assert model.config.backbone_config.model_type == backbone.split("-")[0]  # no timm_backbone
    with torch.no_grad():
        out = model.eval()(pixel_values=torch.zeros(1, 3, 64, 64))
    logits = out.logits if architecture == "detr" else out.class_queries_logits
    assert logits.shape[-1] == len(LABELS) + 1  # the classes + "no object"


def test_same_seed_same_weights_other_seed_other_weights():
    a, b, c = (build_tiny_model("maskformer", LABELS, seed=s) for s in (1, 1, 2))
    first = next(iter(a.state_dict()))
    torch.testing.assert_close(a.state_dict()[first], b.state_dict()[first])
    assert not torch.equal(a.state_dict()[first], c.state_dict()[first])


def test_detr_accepts_only_a_resnet_backbone():
    with pytest.raises(ValueError, match="ResNet"):
        tiny_config("detr", LABELS, backbone="swin")


def test_labels_must_be_contiguous():
    with pytest.raises(ValueError, match="contiguous"):
        tiny_config("mask2former", {1: "circle", 3: "square"})


def test_tiny_eomt_is_a_small_vit_that_needs_no_separate_backbone():
    model = build_tiny_model("eomt", LABELS, image_size=64)
    assert sum(p.numel() for p in model.parameters()) < 1_000_000  # ~1.9 MB of float32 weights
    assert model.config.model_type == "eomt" and torch.equal(model.attn_mask_probs, torch.ones(3))
    with torch.no_grad():
        out = model.eval()(pixel_values=torch.zeros(1, 3, 64, 64))
    assert out.class_queries_logits.shape[-1] == len(LABELS) + 1
    assert out.masks_queries_logits.shape[-2:] == (32, 32)  # patch 8, two 2x upscaling blocks
    with pytest.raises(ValueError, match="backbone='vit'"):
        tiny_config("eomt", LABELS, backbone="resnet")


@pytest.mark.parametrize("architecture", ["mask2former", "maskformer", "detr", "eomt"])
def test_image_processor_resizes_to_the_training_size(architecture):
    processor = make_image_processor(architecture, image_size=96)
    image = torch.zeros(3, 50, 70, dtype=torch.uint8).numpy().transpose(1, 2, 0)
    assert processor(images=[image], return_tensors="pt")["pixel_values"].shape[-2:] == (96, 96)
