"""Backbone pretraining: per-pixel targets, which weights it trains, and the CLI option."""

from __future__ import annotations

import json

import pytest
import torch

from segtutor.data import ToyShapesConfig, TrainingDataset, collate_fn, open_dataset, write_toyshapes
from segtutor.models.tiny import build_tiny_model, make_image_processor
from segtutor.training.backbone_pretraining import IGNORE, find_backbone, pretrain_backbone, semantic_targets
from segtutor.training.cli import main

LABELS = {0: "sky", 1: "grass", 2: "circle", 3: "square", 4: "triangle"}


@pytest.fixture(scope="module")
def toy_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("toy") / "plain"
    write_toyshapes(root, n_train=8, n_val=2, config=ToyShapesConfig(size=64))
    return root


def test_semantic_targets_paint_each_mask_with_its_class_for_both_batch_layouts():
    masks = torch.zeros(2, 4, 4)
    masks[0, :2] = 1.0  # top half: class 3
    masks[1, :, :1] = 1.0  # left column: class 1, painted last
    expected = torch.full((1, 4, 4), IGNORE, dtype=torch.long)
    expected[0, :2] = 3
    expected[0, :, 0] = 1
    pixels = torch.zeros(1, 3, 4, 4)
    mask_style = {"pixel_values": pixels, "mask_labels": [masks], "class_labels": [torch.tensor([3, 1])]}
    detr_style = {"pixel_values": pixels, "labels": [{"masks": masks, "class_labels": torch.tensor([3, 1])}]}
    assert torch.equal(semantic_targets(mask_style), expected)
    assert torch.equal(semantic_targets(detr_style), expected)


def test_find_backbone_names_the_fix_when_there_is_none():
    with pytest.raises(ValueError, match="no transformers backbone"):
        find_backbone(torch.nn.Linear(2, 2))


@pytest.mark.parametrize("architecture", ["mask2former", "detr", "eomt"])
def test_pretraining_lowers_the_pixel_loss_and_changes_only_the_backbone(toy_root, architecture):
    model = build_tiny_model(architecture, LABELS, image_size=64)
    before = {name: p.detach().clone() for name, p in model.named_parameters()}
    dataset = TrainingDataset(open_dataset(toy_root, "train", "panoptic"),
                              make_image_processor(architecture, image_size=64))
    history = pretrain_backbone(model, dataset, collate_fn, num_labels=5, steps=100, batch_size=4,
                                progress=False)
    assert history[-1]["loss"] < 0.7 * history[0]["loss"]
    backbone = {id(p) for p in find_backbone(model).parameters()}
    changed = {name for name, p in model.named_parameters() if not torch.equal(p, before[name])}
    assert changed, "pretraining changed no weight"
    assert all(id(dict(model.named_parameters())[name]) in backbone for name in changed)
    if architecture == "eomt":  # the whole ViT is its backbone; queries and heads wait for the real training
        assert any(name.startswith("layers.") for name in changed)
        assert not any(name.startswith(("query.", "class_predictor.", "mask_head.")) for name in changed)


def test_cli_records_the_pretraining_in_the_training_log(toy_root, tmp_path):
    out = tmp_path / "run"
    argv = ["--architecture", "mask2former", "--data", str(toy_root), "--output-dir", str(out),
            "--steps", "2", "--batch-size", "2", "--image-size", "64", "--val-split", "",
            "--warmup-steps", "1", "--device", "cpu", "--no-progress", "--pretrain-backbone-steps", "5"]
    assert main(argv) == 0
    log = json.loads((out / "training_log.json").read_text())
    assert log["backbone_pretraining"]["steps"] == 5
    assert [h["step"] for h in log["backbone_pretraining"]["history"]] == [5]
    assert log["total_seconds"] >= log["seconds"] + log["backbone_pretraining"]["seconds"] - 1
