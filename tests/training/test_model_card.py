"""The model card states what the toy model is, how to re-create it and how well it does."""

from __future__ import annotations

from segtutor.training.model_card import render_model_card


def test_model_card_has_command_metrics_and_toy_warning():
    config = {"model_type": "mask2former", "architectures": ["Mask2FormerForUniversalSegmentation"],
              "backbone_config": {"model_type": "resnet"}, "id2label": {"1": "grass", "0": "sky"}}
    log = {"config": {"steps": 10, "batch_size": 2, "learning_rate": 5e-4, "warmup_steps": 1,
                      "max_grad_norm": 1.0, "seed": 7},
           "evaluations": [{"step": 5, "PQ": 0.25}, {"step": 10, "PQ": 0.5}], "seconds": 120}
    evaluation = {"num_images": 3, "metrics": {"PQ": 0.5, "PQ_th": 0.125, "PQ_st": 0.875, "mIoU": 0.6}}
    command = ["--architecture", "mask2former", "--seed", "7", "--output-dir", "/tmp/run",
               "--eval-images", "3"]
    card = render_model_card(config, log, command, evaluation, 1_000_000, "toy-mask2former-panoptic")
    assert "TOY Mask2Former" in card and "not an official checkpoint" in card
    assert "segtutor-train --architecture mask2former --seed 7 --output-dir /tmp/run" in card
    assert "| things | 12.5 |" in card and "| stuff | 87.5 |" in card and "mIoU 60.0" in card
    assert "5: 25.0 · 10: 50.0" in card and "first 3 val images" in card
    assert "0 `sky`, 1 `grass`" in card  # classes sorted by id
    assert "2.0 min" in card
