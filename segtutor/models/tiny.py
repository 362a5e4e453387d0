"""Tiny configurations of DETR, MaskFormer, Mask2Former and EoMT that train on a laptop CPU in minutes.

Each tiny model keeps the *shape* of its family (backbone → pixel decoder / transformer encoder →
transformer decoder with learned queries → class + mask heads; for EoMT a plain ViT whose last blocks
also carry the queries → class + mask heads) and shrinks every width and depth. The
backbones are transformers-native (:class:`~transformers.ResNetConfig` or :class:`~transformers.SwinConfig`),
so nothing has to be downloaded and ``timm`` is never needed.

Why ResNet: on ToyShapes (128×128 px, from scratch) a tiny Swin and a tiny ResNet of similar size did
about equally well (Swin slightly better per step, ResNet slightly faster per step: see the model cards
in ``data/checkpoints``); what limited both was memorising the 400 training images. ResNet is the backbone
all three papers report and the only one DETR supports, so the bundled models share the deeper ResNet
(``"resnet-deep"``), pretrained on pixel classes (``segtutor.training.backbone_pretraining``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

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
    PreTrainedModel,
    ResNetConfig,
    SwinConfig,
)
from transformers.image_processing_utils import BaseImageProcessor
from transformers.utils import logging as hf_logging

from segtutor.models.registry import ARCHITECTURES

__all__ = ["build_tiny_model", "default_backbone", "make_image_processor", "tiny_config"]

Architecture = Literal["mask2former", "maskformer", "detr", "eomt"]
Backbone = Literal["resnet", "resnet-deep", "swin", "vit"]
BACKBONES: tuple[str, ...] = ("resnet", "resnet-deep", "swin", "vit")


_STAGES = ["stage1", "stage2", "stage3", "stage4"]

# One place for the sizes so the three families stay comparable.
_HIDDEN = 64  # transformer width (d_model) of every tiny model
_QUERIES = 20  # object queries: ToyShapes images hold at most ~8 segments


# The tiny EoMT: a plain ViT (patch 8, so a 128 px image is a 16 x 16 grid of tokens), 8 blocks of width
# 64 (the others' transformer width); the queries join the last 3 blocks (EoMT-L: the last 4 of 24).
_EOMT_SIZES: dict = {
    "hidden_size": _HIDDEN,
    "num_hidden_layers": 8,
    "num_blocks": 3,
    "num_attention_heads": 4,
    "mlp_ratio": 4,
    "patch_size": 8,
    "num_register_tokens": 4,
    "num_upscale_blocks": 2,  # masks at 1/2 of the input (64 x 64 at 128 px); EoMT-L: patch 16, so 1/4
}


def default_backbone(architecture: str) -> str:
    """The backbone of a tiny model of ``architecture`` by default: ``"vit"`` for EoMT, else ``"resnet"``."""
    return "vit" if architecture == "eomt" else "resnet"


# ResNet widths and blocks per stage (basic blocks, as in ResNet-18/34)
_RESNET_SIZES: dict[str, dict] = {
    "resnet": {"embedding_size": 16, "hidden_sizes": [16, 32, 64, 128], "depths": [1, 1, 1, 1]},
    "resnet-deep": {"embedding_size": 32, "hidden_sizes": [32, 64, 128, 128], "depths": [2, 2, 2, 1]},
}


def _backbone_config(backbone: Backbone, image_size: int) -> ResNetConfig | SwinConfig:
    """A small backbone with four stages at strides 4, 8, 16 and 32.

    ``resnet``: 16-128 channels, one block per stage (0.3M parameters), for tests and quick trials.
    ``resnet-deep``: 32-128 channels, two blocks in the first three stages (about 1M parameters), the bundled
    models' backbone: telling circles from squares and triangles needs the extra depth (model cards).
    """
    if backbone in _RESNET_SIZES:
        return ResNetConfig(**_RESNET_SIZES[backbone], layer_type="basic", out_features=list(_STAGES))
    if backbone == "vit":
        raise ValueError("the 'vit' backbone belongs to EoMT (architecture='eomt'): its ViT is the model.")
    if backbone == "swin":
        return SwinConfig(
            image_size=image_size,
            patch_size=4,
            embed_dim=16,
            depths=[1, 1, 1, 1],
            num_heads=[1, 2, 4, 8],
            window_size=4,
            mlp_ratio=2.0,
            out_features=list(_STAGES),
        )
    raise ValueError(f"backbone must be one of {BACKBONES}, got {backbone!r}.")


def _check_labels(id2label: Mapping[int, str]) -> dict[int, str]:
    labels = {int(k): str(v) for k, v in id2label.items()}
    if sorted(labels) != list(range(len(labels))):
        raise ValueError(
            f"id2label keys must be contiguous ids 0..N-1 (the model's class indices), got {sorted(labels)}. "
            "Remap the dataset's category ids to 0..N-1 first."
        )
    return labels


def tiny_config(
    architecture: Architecture,
    id2label: Mapping[int, str],
    *,
    backbone: Backbone | None = None,
    image_size: int = 128,
) -> Mask2FormerConfig | MaskFormerConfig | DetrConfig | EomtConfig:
    """Return the configuration of a tiny model of ``architecture`` for the classes in ``id2label``.

    Parameters
    ----------
    architecture : {"mask2former", "maskformer", "detr", "eomt"}
        Model family.
    id2label : mapping of int to str
        Class names by contiguous id ``0..N-1`` (no "no object" class: every family adds its own).
    backbone : {"resnet", "resnet-deep", "swin", "vit"}, optional
        Transformers-native backbone (default: :func:`default_backbone`). DETR supports the ResNets only (as
        in the paper); EoMT is a ViT and takes only ``"vit"``.
    image_size : int
        Training image side in pixels (used by the Swin backbone's position bookkeeping, and EoMT's fixed
        grid of position embeddings: an EoMT model takes images of exactly this size).

    Returns
    -------
    PretrainedConfig
        A config for :func:`build_tiny_model` or ``from_config``; ``id2label`` / ``label2id`` are set.
    """
    labels = _check_labels(id2label)
    label2id = {v: k for k, v in labels.items()}
    backbone = backbone or default_backbone(architecture)
    if architecture == "eomt":
        if backbone != "vit":
            raise ValueError(
                f"EoMT is a plain ViT, no separate backbone: pass backbone='vit' (or None), got {backbone!r}."
            )
        return EomtConfig(
            **_EOMT_SIZES,
            image_size=image_size,
            num_queries=_QUERIES,
            train_num_points=1024,  # as the tiny Mask2Former
            id2label=labels,
            label2id=label2id,
        )
    bb = _backbone_config(backbone, image_size)
    if architecture == "mask2former":
        return _quietly(
            Mask2FormerConfig,
            backbone_config=bb,
            feature_size=_HIDDEN,
            mask_feature_size=_HIDDEN,
            hidden_dim=_HIDDEN,
            encoder_feedforward_dim=128,
            encoder_layers=2,
            decoder_layers=4,  # 1 + 3 masked-attention layers, each with an auxiliary loss
            num_attention_heads=4,
            dim_feedforward=128,
            num_queries=_QUERIES,
            train_num_points=1024,  # masks are predicted at 1/4 resolution: 32×32 points at 128 px
            id2label=labels,
            label2id=label2id,
        )
    if architecture == "maskformer":
        decoder = DetrConfig(
            backbone_config=ResNetConfig(out_features=["stage4"]),  # unused: MaskFormer keeps its own
            d_model=_HIDDEN,
            encoder_layers=0,
            decoder_layers=3,
            decoder_attention_heads=4,
            decoder_ffn_dim=128,
            num_queries=_QUERIES,
            dropout=0.0,
        )
        return MaskFormerConfig(
            backbone_config=bb,
            decoder_config=decoder,
            fpn_feature_size=_HIDDEN,
            mask_feature_size=_HIDDEN,
            # Deep supervision off, as in the official checkpoints: in transformers 5.x MaskFormer's auxiliary
            # loss also needs ``output_hidden_states=True`` on every call, which would break plain inference.
            use_auxiliary_loss=False,
            id2label=labels,
            label2id=label2id,
        )
    if architecture == "detr":
        if backbone == "swin":
            raise ValueError(f"DETR's tiny config supports the ResNet backbones only, got {backbone!r}.")
        return DetrConfig(
            backbone_config=bb,
            d_model=_HIDDEN,
            encoder_layers=2,
            decoder_layers=3,
            encoder_attention_heads=8,
            decoder_attention_heads=8,  # the mask head needs d_model + heads divisible by 8
            encoder_ffn_dim=128,
            decoder_ffn_dim=128,
            num_queries=_QUERIES,
            dropout=0.0,
            auxiliary_loss=True,
            id2label=labels,
            label2id=label2id,
        )
    raise ValueError(f"architecture must be one of {ARCHITECTURES}, got {architecture!r}.")


def _quietly(factory, **kwargs):
    """Call ``factory(**kwargs)`` with transformers' warnings silenced.

    Mask2FormerConfig warns that only Swin backbones were tested; a ResNet backbone works (the paper
    reports ResNet-50 results too), so the warning would only confuse a learner.
    """
    verbosity = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()
    try:
        return factory(**kwargs)
    finally:
        hf_logging.set_verbosity(verbosity)


_MODEL_CLASSES: dict[str, type[PreTrainedModel]] = {
    "mask2former": Mask2FormerForUniversalSegmentation,
    "maskformer": MaskFormerForInstanceSegmentation,
    "detr": DetrForSegmentation,
    "eomt": EomtForUniversalSegmentation,
}


def build_tiny_model(
    architecture: Architecture,
    id2label: Mapping[int, str],
    *,
    backbone: Backbone | None = None,
    image_size: int = 128,
    seed: int = 0,
) -> PreTrainedModel:
    """Build a randomly initialised tiny model (seeded, so two calls give the same weights).

    DETR freezes its backbone's stem and first stage (they are meant to come pretrained); a from-scratch
    tiny backbone has nothing worth freezing, so every parameter is made trainable here.

    Returns
    -------
    PreTrainedModel
        ``Mask2FormerForUniversalSegmentation``, ``MaskFormerForInstanceSegmentation``,
        ``DetrForSegmentation`` or ``EomtForUniversalSegmentation`` in training mode on the CPU. EoMT's
        ``attn_mask_probs`` start at 1 (masked attention on); the training loop anneals them to 0
        (``segtutor.training.mask_annealing``).
    """
    config = tiny_config(architecture, id2label, backbone=backbone, image_size=image_size)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = _MODEL_CLASSES[architecture](config)
    for parameter in model.parameters():
        parameter.requires_grad_(True)
    return model.train()


def make_image_processor(architecture: Architecture, *, image_size: int = 128) -> BaseImageProcessor:
    """Return the family's image processor, resizing to ``image_size`` × ``image_size`` pixels.

    Built from the model type without any download (``AutoImageProcessor.for_model`` style); it picks the
    torchvision backend when torchvision is installed and the PIL one otherwise. EoMT's processor uses its
    own conventions, as in the official checkpoints: ``size={"shortest_edge": s, "longest_edge": s}``
    (resize keeping the aspect ratio, longest side at most ``s``) and ``do_pad=True`` (pad bottom-right to
    ``s`` × ``s``; it returns no ``pixel_mask``).
    """
    if architecture not in _MODEL_CLASSES:
        raise ValueError(f"architecture must be one of {ARCHITECTURES}, got {architecture!r}.")
    if architecture == "eomt":
        return _processor_class(architecture)(
            size={"shortest_edge": image_size, "longest_edge": image_size}, do_pad=True
        )
    size = {"height": image_size, "width": image_size}
    kwargs: dict = {"size": size, "do_pad": False}
    if architecture in ("mask2former", "maskformer"):
        kwargs.update(ignore_index=255, do_reduce_labels=False, size_divisor=32)
    return _processor_class(architecture)(**kwargs)


def _processor_class(architecture: str) -> type[BaseImageProcessor]:
    from transformers.models.auto.image_processing_auto import get_image_processor_class_from_name

    names = {
        "mask2former": "Mask2FormerImageProcessor",
        "maskformer": "MaskFormerImageProcessor",
        "detr": "DetrImageProcessor",
        "eomt": "EomtImageProcessor",
    }
    cls = get_image_processor_class_from_name(names[architecture])
    if cls is None or getattr(cls, "is_dummy", False):  # no torchvision: use the PIL implementation
        cls = get_image_processor_class_from_name(names[architecture] + "Pil")
    return cls

