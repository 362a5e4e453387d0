"""choose_trainable_parts and set_class_loss_weight: the fine-tuning recipe's two knobs."""

from __future__ import annotations

import pytest
import torch

from segtutor.models import build_tiny_model, choose_trainable_parts, set_class_loss_weight
from segtutor.training import make_optimizer

ID2LABEL = {0: "sky", 1: "grass", 2: "circle"}


@pytest.fixture(scope="module")
def mask2former():
    return build_tiny_model("mask2former", ID2LABEL, image_size=64)


def test_decoder_freezes_backbone_and_pixel_decoder_only(mask2former):
    counts = choose_trainable_parts(mask2former, "decoder")
    for name, parameter in mask2former.named_parameters():
        assert parameter.requires_grad == (not name.startswith("model.pixel_level_module.")), name
    assert counts["frozen"] == sum(
        p.numel() for n, p in mask2former.named_parameters() if n.startswith("model.pixel_level_module.")
    )
    assert counts["trainable"] + counts["frozen"] == mask2former.num_parameters()
    groups = make_optimizer(mask2former, 1e-3, 0.0).param_groups
    optimised = {id(p) for group in groups for p in group["params"]}
    assert optimised == {id(p) for p in mask2former.parameters() if p.requires_grad}


def test_all_makes_every_parameter_trainable_again(mask2former):
    choose_trainable_parts(mask2former, "decoder")
    counts = choose_trainable_parts(mask2former, "all")
    assert counts == {"trainable": mask2former.num_parameters(), "frozen": 0}
    assert all(p.requires_grad for p in mask2former.parameters())


def test_unknown_parts_and_models_without_them_are_refused(mask2former):
    with pytest.raises(ValueError, match="train must be one of"):
        choose_trainable_parts(mask2former, "heads")
    with pytest.raises(ValueError, match="use train='all'"):
        choose_trainable_parts(torch.nn.Linear(2, 2), "decoder")


def test_class_loss_weight_scales_the_class_term_of_the_loss():
    model = build_tiny_model("mask2former", ID2LABEL, image_size=64)
    previous = set_class_loss_weight(model, 10.0)
    assert previous == pytest.approx(2.0)  # Mask2Former's default
    assert model.weight_dict["loss_cross_entropy"] == 10.0 and model.config.class_weight == 10.0
    assert model.weight_dict["loss_mask"] == pytest.approx(5.0)  # the mask terms are left alone


@pytest.mark.parametrize("weight", [0.0, -1.0])
def test_a_class_loss_weight_that_is_not_positive_is_refused(weight):
    model = build_tiny_model("mask2former", ID2LABEL, image_size=64)
    with pytest.raises(ValueError, match="must be > 0"):
        set_class_loss_weight(model, weight)
