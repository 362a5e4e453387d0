"""Where the parameters of DETR, MaskFormer, Mask2Former and EoMT live: counts per component.

The four models share one layout, which the course draws as four boxes:

* **backbone**: the image feature extractor (ResNet, Swin; EoMT: the whole plain ViT, patch embedding and
  every block, the last ones included, where the queries join the patch tokens);
* **pixel decoder / encoder**: what turns backbone features into per-pixel features (DETR: input projection +
  Transformer encoder; MaskFormer: FPN; Mask2Former: multi-scale deformable-attention encoder + FPN; EoMT:
  none, 0 parameters);
* **transformer decoder**: learned queries attending to image features (EoMT: only the query embeddings,
  since the ViT's own last blocks do the decoding);
* **heads**: per-query class predictor and mask (and, for DETR, box) prediction. DETR's mask head, an
  FPN-style convolutional upsampler run once *per query*, is counted here, as is EoMT's mask module (an MLP
  per query and two transposed-convolution blocks that upsample the patch tokens once per image).

The real-size models can be built on PyTorch's ``meta`` device: parameters get shapes but no memory, so
counting the 40-50M parameters of each model takes a fraction of a second and no RAM.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
from transformers import (
    DetrConfig,
    DetrForSegmentation,
    EomtConfig,
    EomtForUniversalSegmentation,
    Mask2FormerConfig,
    Mask2FormerForUniversalSegmentation,
    MaskFormerConfig,
    MaskFormerForInstanceSegmentation,
    PretrainedConfig,
    PreTrainedModel,
    ResNetConfig,
    SwinConfig,
)

from segtutor.metrics.table import Table

__all__ = [
    "COMPONENTS",
    "EOMT_SIZES",
    "build_model",
    "component_parameters",
    "parameter_table",
    "real_size_config",
]

#: Display order of the components.
COMPONENTS: tuple[str, ...] = ("backbone", "pixel decoder / encoder", "transformer decoder", "heads")

# Parameter-name prefixes of each component; the longest matching prefix wins.
_PREFIXES: dict[str, dict[str, tuple[str, ...]]] = {
    "mask2former": {
        "backbone": ("model.pixel_level_module.encoder.",),
        "pixel decoder / encoder": ("model.pixel_level_module.decoder.",),
        "transformer decoder": ("model.transformer_module.",),
        "heads": ("class_predictor.", "model.transformer_module.decoder.mask_predictor."),
    },
    "maskformer": {
        "backbone": ("model.pixel_level_module.encoder.",),
        "pixel decoder / encoder": ("model.pixel_level_module.decoder.",),
        "transformer decoder": ("model.transformer_module.",),
        "heads": ("class_predictor.", "mask_embedder."),
    },
    "detr": {
        "backbone": ("detr.model.backbone.",),
        "pixel decoder / encoder": ("detr.model.input_projection.", "detr.model.encoder."),
        "transformer decoder": ("detr.model.decoder.", "detr.model.query_position_embeddings."),
        "heads": ("detr.class_labels_classifier.", "detr.bbox_predictor.", "mask_head.", "bbox_attention."),
    },
    "eomt": {
        "backbone": ("embeddings.", "layers.", "layernorm."),
        "pixel decoder / encoder": (),
        "transformer decoder": ("query.",),
        "heads": ("class_predictor.", "mask_head.", "upscale_block."),
    },
}

#: EoMT's ViT sizes (DINOv2 ViT-S/14, B/14, L/14 with registers, used at patch 16 as in the official
#: checkpoints): hidden width, blocks, attention heads.
EOMT_SIZES: dict[str, tuple[int, int, int]] = {
    "small": (384, 12, 6),
    "base": (768, 12, 12),
    "large": (1024, 24, 16),
}

_MODEL_CLASSES: dict[str, type[PreTrainedModel]] = {
    "mask2former": Mask2FormerForUniversalSegmentation,
    "maskformer": MaskFormerForInstanceSegmentation,
    "detr": DetrForSegmentation,
    "eomt": EomtForUniversalSegmentation,
}

_STAGES = ["stage1", "stage2", "stage3", "stage4"]


def _architecture(model_or_config: Any) -> str:
    config = getattr(model_or_config, "config", model_or_config)
    model_type = getattr(config, "model_type", None)
    if model_type not in _PREFIXES:
        raise TypeError(
            "Expected a DETR, MaskFormer, Mask2Former or EoMT model or config, got model_type "
            f"{model_type!r} "
            f"({type(model_or_config).__name__})."
        )
    return model_type


def component_parameters(model: torch.nn.Module) -> dict[str, int]:
    """Count the parameters of each component of a DETR, MaskFormer, Mask2Former or EoMT model.

    Parameters
    ----------
    model : DetrForSegmentation, MaskFormerForInstanceSegmentation, Mask2FormerForUniversalSegmentation or
        EomtForUniversalSegmentation
        On any device, ``meta`` included. Shared (tied) parameters are counted once.

    Returns
    -------
    dict of str to int
        Counts for :data:`COMPONENTS`, plus ``"other"`` if a parameter matches no component (never for the
        supported models in transformers 5.x). The values sum to the model's total parameter count.
        Frozen BatchNorm statistics of DETR's backbone are buffers, not parameters, and are not counted.
    """
    prefixes = _PREFIXES[_architecture(model)]
    counts = dict.fromkeys(COMPONENTS, 0)
    for name, parameter in model.named_parameters():
        best, best_length = "other", 0
        for component, starts in prefixes.items():
            for start in starts:
                if name.startswith(start) and len(start) > best_length:
                    best, best_length = component, len(start)
        counts[best] = counts.get(best, 0) + parameter.numel()
    if counts.get("other") == 0:
        counts.pop("other", None)
    return counts


def parameter_table(
    models: Mapping[str, torch.nn.Module], *, title: str = "Parameters per component"
) -> Table:
    """Return a :class:`Table` with one row per model: parameters per component and in total, in millions.

    Parameters
    ----------
    models : mapping of str to model
        Display name → model, e.g. ``{"DETR R50": detr, "Mask2Former Swin-T": m2f}``.
    """
    rows = []
    for name, model in models.items():
        counts = component_parameters(model)
        row: dict[str, Any] = {"model": name}
        row.update({component: counts.get(component, 0) / 1e6 for component in COMPONENTS})
        row["total"] = sum(counts.values()) / 1e6
        rows.append(row)
    formats = dict.fromkeys([*COMPONENTS, "total"], ".2f")
    return Table(rows, columns=["model", *COMPONENTS, "total"], title=f"{title} (millions)", formats=formats)


def real_size_config(
    architecture: str, *, num_labels: int | None = None, variant: str = "large", image_size: int = 640
) -> PretrainedConfig:
    """Return the configuration of the paper-sized model, built offline from transformers' defaults.

    * ``"mask2former"``: Swin-T backbone (embed dim 96, depths 2-2-6-2, heads 3-6-12-24, window 7), COCO
      panoptic head (133 classes), 100 queries; as ``facebook/mask2former-swin-tiny-coco-panoptic``.
    * ``"maskformer"``: the same Swin-T backbone, 133 classes, 100 queries, DETR-style 6-layer decoder; as
      ``facebook/maskformer-swin-tiny-coco``.
    * ``"detr"``: ResNet-50 from transformers (``use_timm_backbone=False``, no pretrained weights), 6 + 6
      Transformer layers, 100 queries, 250 label slots (the COCO panoptic ids go up to 200); as
      ``facebook/detr-resnet-50-panoptic``. That checkpoint uses timm's ``resnet50``; transformers' ResNet-50
      has the same layers and exactly the same parameter count (23,454,912 with frozen BatchNorm), only the
      parameter names differ, so its weights would need renaming.
    * ``"eomt"``: a plain ViT/16 of :data:`EOMT_SIZES` ``variant`` (``"large"``: as
      ``tue-mps/coco_panoptic_eomt_large_640``; ``"small"``, ``"base"``: as ``..._small_640_2x`` and
      ``..._base_640_2x``), 4 register tokens, the queries (200) in the last 4 blocks, 133 classes, input
      ``image_size`` × ``image_size`` (its position embeddings are made for one input size; the count of
      parameters depends on it only through them).

    Parameters
    ----------
    architecture : {"mask2former", "maskformer", "detr", "eomt"}
    num_labels : int, optional
        Override the number of classes (default 133 for MaskFormer / Mask2Former / EoMT, 250 for DETR).
    variant : {"small", "base", "large"}
        EoMT only: the ViT size.
    image_size : int
        EoMT only: the square input side in pixels (official COCO checkpoints: 640).
    """
    if architecture == "eomt":
        if variant not in EOMT_SIZES:
            raise ValueError(f"variant must be one of {tuple(EOMT_SIZES)}, got {variant!r}.")
        hidden, layers, heads = EOMT_SIZES[variant]
        return EomtConfig(hidden_size=hidden, num_hidden_layers=layers, num_attention_heads=heads,
                          image_size=image_size, patch_size=16, num_blocks=4, num_queries=200,
                          num_register_tokens=4, num_labels=num_labels or 133)
    if architecture in ("mask2former", "maskformer"):
        swin_tiny = SwinConfig(
            embed_dim=96,
            depths=[2, 2, 6, 2],
            num_heads=[3, 6, 12, 24],
            window_size=7,
            drop_path_rate=0.3,
            out_features=list(_STAGES),
        )
        config_class = Mask2FormerConfig if architecture == "mask2former" else MaskFormerConfig
        return config_class(backbone_config=swin_tiny, num_labels=num_labels or 133)
    if architecture == "detr":
        return DetrConfig(
            use_timm_backbone=False,
            backbone_config=ResNetConfig(out_features=list(_STAGES)),  # ResNet-50 shape by default
            use_pretrained_backbone=False,
            num_labels=num_labels or 250,
        )
    raise ValueError(
        f"architecture must be 'mask2former', 'maskformer', 'detr' or 'eomt', got {architecture!r}."
    )


def build_model(
    config: PretrainedConfig, *, device: str | torch.device = "meta", seed: int = 0
) -> PreTrainedModel:
    """Build a randomly initialised segmentation model from ``config`` (no download).

    Parameters
    ----------
    config : DetrConfig, MaskFormerConfig, Mask2FormerConfig or EomtConfig
    device : str or torch.device
        ``"meta"`` (default) allocates nothing: enough for counting parameters. Use ``"cpu"`` to run it.
    seed : int
        Seed of the random initialisation (restored afterwards).
    """
    model_class = _MODEL_CLASSES[_architecture(config)]
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        with torch.device(device):
            model = model_class(config)
    return model.eval()
