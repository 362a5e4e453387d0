"""A batch from each format drives a forward + backward pass of tiny, randomly initialised models."""

from __future__ import annotations

import pytest
import torch
from transformers import (
    DetrConfig,
    DetrForSegmentation,
    DetrImageProcessor,
    Mask2FormerConfig,
    Mask2FormerForUniversalSegmentation,
    Mask2FormerImageProcessor,
    MaskFormerConfig,
    MaskFormerForInstanceSegmentation,
    MaskFormerImageProcessor,
    ResNetConfig,
)

from segtutor.data import TrainingDataset, collate_fn, open_dataset

SIZE = {"height": 64, "width": 64}


def _resnet(out_features: list[str]) -> ResNetConfig:
    return ResNetConfig(
        embedding_size=8,
        hidden_sizes=[8, 16, 16, 32],
        depths=[1, 1, 1, 1],
        layer_type="basic",
        out_features=out_features,
    )


def _mask2former(num_labels: int) -> torch.nn.Module:
    config = Mask2FormerConfig(
        backbone_config=_resnet(["stage1", "stage2", "stage3", "stage4"]),
        num_labels=num_labels,
        feature_size=32,
        mask_feature_size=32,
        hidden_dim=32,
        encoder_feedforward_dim=32,
        dim_feedforward=32,
        encoder_layers=1,
        decoder_layers=2,
        num_attention_heads=2,
        num_queries=10,
        train_num_points=256,
    )
    return Mask2FormerForUniversalSegmentation(config)


def _maskformer(num_labels: int) -> torch.nn.Module:
    config = MaskFormerConfig(
        backbone_config=_resnet(["stage1", "stage2", "stage3", "stage4"]),
        num_labels=num_labels,
        fpn_feature_size=32,
        mask_feature_size=32,
        decoder_config={
            "model_type": "detr",
            "d_model": 32,
            "decoder_layers": 1,
            "encoder_layers": 1,
            "decoder_ffn_dim": 32,
            "encoder_ffn_dim": 32,
            "decoder_attention_heads": 2,
            "encoder_attention_heads": 2,
            "num_queries": 10,
        },
    )
    return MaskFormerForInstanceSegmentation(config)


def _detr(num_labels: int) -> torch.nn.Module:
    config = DetrConfig(
        use_timm_backbone=False,
        use_pretrained_backbone=False,
        backbone_config=_resnet(["stage1", "stage2", "stage3", "stage4"]),
        num_labels=num_labels,
        d_model=32,
        encoder_layers=1,
        decoder_layers=1,
        encoder_ffn_dim=32,
        decoder_ffn_dim=32,
        encoder_attention_heads=8,
        decoder_attention_heads=8,
        num_queries=10,
    )
    return DetrForSegmentation(config)


BUILDERS = {
    "mask2former": (_mask2former, Mask2FormerImageProcessor),
    "maskformer": (_maskformer, MaskFormerImageProcessor),
    "detr": (_detr, DetrImageProcessor),
}


@pytest.mark.slow
@pytest.mark.parametrize("arch", sorted(BUILDERS))
@pytest.mark.parametrize("fmt", ["panoptic", "instance", "semantic"])
def test_batch_drives_forward_and_backward(toy_root, arch, fmt):
    torch.manual_seed(0)
    build, processor_cls = BUILDERS[arch]
    dataset = TrainingDataset(open_dataset(toy_root, "train", fmt), processor_cls(size=SIZE), augment=True)
    model = build(len(dataset.id2label))
    batch = collate_fn([dataset[i] for i in range(len(dataset))])
    targets = batch["class_labels"] if arch != "detr" else [t["class_labels"] for t in batch["labels"]]
    assert (min(len(t) for t in targets) == 0) == (fmt == "instance")  # no-object images train too
    outputs = model(**batch)
    assert torch.isfinite(outputs.loss)
    outputs.loss.backward()
    grads = [p.grad for p in model.parameters() if p.grad is not None]
    assert grads and any(g.abs().sum() > 0 for g in grads)
