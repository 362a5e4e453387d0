"""Fixtures for the post-processing tests: synthetic outputs and tiny models with random weights."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import transformers
from transformers import (
    Mask2FormerConfig,
    Mask2FormerForUniversalSegmentation,
    Mask2FormerImageProcessor,
    MaskFormerConfig,
    MaskFormerForInstanceSegmentation,
    MaskFormerImageProcessor,
    ResNetConfig,
)
from transformers.models.detr.configuration_detr import DetrConfig
from transformers.models.eomt.modeling_eomt import EomtForUniversalSegmentationOutput
from transformers.models.mask2former.modeling_mask2former import Mask2FormerForUniversalSegmentationOutput
from transformers.models.maskformer.modeling_maskformer import MaskFormerForInstanceSegmentationOutput

OUTPUT_CLASSES = {
    "mask2former": Mask2FormerForUniversalSegmentationOutput,
    "maskformer": MaskFormerForInstanceSegmentationOutput,
    "eomt": EomtForUniversalSegmentationOutput,
}
PROCESSOR_CLASSES = {"mask2former": Mask2FormerImageProcessor, "maskformer": MaskFormerImageProcessor}


@pytest.fixture(autouse=True)
def _quiet_transformers():
    """transformers warns when label_ids_to_fuse is unset; keep test logs readable."""
    verbosity = transformers.logging.get_verbosity()
    transformers.logging.set_verbosity_error()
    yield
    transformers.logging.set_verbosity(verbosity)


@pytest.fixture
def synthetic():
    """The `synthetic_outputs` factory."""
    return synthetic_outputs


def synthetic_outputs(
    architecture: str,
    *,
    seed: int,
    batch: int = 1,
    queries: int = 20,
    classes: int = 7,
    mask_size: tuple[int, int] = (24, 32),
    confident: int = 6,
):
    """Model-like outputs: ``confident`` queries own Voronoi cells with a clear class.

    The other queries favour "no object" (the last class) and have negative mask logits.
    """
    g = torch.Generator().manual_seed(seed)
    height, width = mask_size
    class_logits = torch.randn(batch, queries, classes + 1, generator=g)
    class_logits[..., classes] += 3.0
    mask_logits = torch.randn(batch, queries, height, width, generator=g) - 4.0
    ys = torch.arange(height, dtype=torch.float32).view(height, 1)
    xs = torch.arange(width, dtype=torch.float32).view(1, width)
    confident = min(confident, queries)
    for b in range(batch):
        owners = torch.randperm(queries, generator=g)[:confident]
        labels = torch.randint(0, classes, (confident,), generator=g)
        class_logits[b, owners, labels] += 6.0
        class_logits[b, owners, classes] -= 4.0
        cy = torch.rand(confident, 1, 1, generator=g) * height
        cx = torch.rand(confident, 1, 1, generator=g) * width
        distance = ((ys - cy) ** 2 + (xs - cx) ** 2).sqrt()
        if confident > 1:
            two = distance.topk(2, dim=0, largest=False).values
            nearest_other = torch.where(distance == two[0], two[1], two[0])
        else:
            nearest_other = distance + 8.0
        mask_logits[b, owners] = 0.7 * (nearest_other - distance) + torch.randn(
            confident, height, width, generator=g
        )
    return OUTPUT_CLASSES[architecture](class_queries_logits=class_logits, masks_queries_logits=mask_logits)


def _tiny_config(architecture: str, num_labels: int):
    backbone = ResNetConfig(
        embedding_size=8,
        hidden_sizes=[8, 16, 16, 32],
        depths=[1, 1, 1, 1],
        layer_type="basic",
        out_features=["stage1", "stage2", "stage3", "stage4"],
    )
    id2label = {i: f"class{i}" for i in range(num_labels)}
    if architecture == "mask2former":
        return Mask2FormerConfig(
            backbone_config=backbone,
            feature_size=32,
            mask_feature_size=32,
            hidden_dim=32,
            encoder_feedforward_dim=32,
            encoder_layers=1,
            decoder_layers=2,
            num_attention_heads=2,
            dim_feedforward=32,
            num_queries=12,
            id2label=id2label,
        )
    decoder = DetrConfig(
        backbone_config=ResNetConfig(out_features=["stage4"]),
        d_model=32,
        encoder_layers=0,
        decoder_layers=1,
        decoder_attention_heads=2,
        decoder_ffn_dim=32,
        num_queries=12,
        dropout=0.0,
    )
    return MaskFormerConfig(
        backbone_config=backbone,
        decoder_config=decoder,
        fpn_feature_size=32,
        mask_feature_size=32,
        use_auxiliary_loss=False,
        id2label=id2label,
    )


def images(seed: int, sizes: list[tuple[int, int]]) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.integers(0, 256, size=(h, w, 3), dtype=np.uint8) for h, w in sizes]


@pytest.fixture(scope="session")
def tiny_model_outputs():
    return run_tiny_models()


def run_tiny_models():
    """Real outputs of tiny random-weight models: ``{(architecture, seed): (outputs, pixel_mask, sizes)}``.

    Two images of different sizes per batch, so the processor pads one of them.
    """
    results = {}
    sizes = [(48, 80), (72, 56)]
    for architecture, model_class in [
        ("mask2former", Mask2FormerForUniversalSegmentation),
        ("maskformer", MaskFormerForInstanceSegmentation),
    ]:
        processor = PROCESSOR_CLASSES[architecture](size={"shortest_edge": 64, "longest_edge": 96})
        for seed in (0, 1):
            torch.manual_seed(seed)
            model = model_class(_tiny_config(architecture, num_labels=5)).eval()
            inputs = processor(images=images(seed, sizes), return_tensors="pt")
            with torch.no_grad():
                outputs = model(pixel_values=inputs["pixel_values"], pixel_mask=inputs["pixel_mask"])
            results[(architecture, seed)] = (outputs, inputs["pixel_mask"], sizes)
    return results
