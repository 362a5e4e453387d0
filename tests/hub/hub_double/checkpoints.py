"""Stand-ins for the official checkpoints: the registry's Hub ids, real families and label maps, tiny sizes.

Each repository is a dict ``{file name: bytes}``: ``config.json``, ``preprocessor_config.json`` and
``model.safetensors``, written by ``save_pretrained``. The weights are random but seeded, and the class head
is scaled so that some queries are confident: post-processing then keeps segments and the drawing code runs
on 133 COCO classes (random weights test code paths, never prediction quality).

``size="tiny"`` (the test suite) shrinks every width and depth; ``size="real"`` keeps the families' real
sizes (Swin-Tiny, ResNet-50, EoMT's ViT-L/16; slow, for ``make test-hub-real``).
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

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
    SwinConfig,
)
from transformers.utils import logging as hf_logging

from segtutor.models.registry import CHECKPOINTS

from . import label_maps

STAGES = ["stage1", "stage2", "stage3", "stage4"]
IMAGENET_MEAN = [0.485, 0.456, 0.406]
IMAGENET_STD = [0.229, 0.224, 0.225]
QUERY_STD = 5.0  # learned query embeddings ~ N(0, 5²): queries differ from each other from the start
ATTENTION_SCALE = 30.0  # sharper cross-attention in DETR-style decoders: queries look at different places
LOGIT_STD = 4.0  # spread of the class logits: some random queries are confident


def _labels(architecture: str, dataset: str) -> dict[int, str]:
    if dataset == "ADE20K":
        return label_maps.ade20k()
    if dataset == "COCO instances":
        return label_maps.coco_instances()
    return label_maps.detr_panoptic() if architecture == "detr" else label_maps.coco_panoptic()


def _swin(size: str) -> SwinConfig:
    if size == "real":  # Swin-Tiny
        return SwinConfig(embed_dim=96, depths=[2, 2, 6, 2], num_heads=[3, 6, 12, 24], window_size=7,
                          out_features=STAGES)
    return SwinConfig(embed_dim=16, depths=[1, 1, 1, 1], num_heads=[1, 2, 4, 8], window_size=7,
                      mlp_ratio=2.0, out_features=STAGES)


def _config(architecture: str, labels: dict[int, str], size: str):
    label2id = {v: k for k, v in labels.items()}
    common = {"id2label": labels, "label2id": label2id}
    tiny = size != "real"
    if architecture == "mask2former":
        sizes = (
            {"feature_size": 32, "mask_feature_size": 32, "hidden_dim": 32, "encoder_feedforward_dim": 64,
             "encoder_layers": 1, "decoder_layers": 2, "num_attention_heads": 4, "dim_feedforward": 64}
            if tiny else {}
        )
        verbosity = hf_logging.get_verbosity()
        hf_logging.set_verbosity_error()
        try:
            return Mask2FormerConfig(backbone_config=_swin(size), num_queries=100, **sizes, **common)
        finally:
            hf_logging.set_verbosity(verbosity)
    if architecture == "maskformer":
        decoder = DetrConfig(d_model=32, encoder_layers=0, decoder_layers=2, decoder_attention_heads=4,
                             decoder_ffn_dim=64, num_queries=100) if tiny else DetrConfig(num_queries=100)
        sizes = {"fpn_feature_size": 32, "mask_feature_size": 32} if tiny else {}
        return MaskFormerConfig(backbone_config=_swin(size), decoder_config=decoder, **sizes, **common)
    if architecture == "detr":
        # The official DETR builds its ResNet-50 with timm: so does the stand-in (timm's tiny test ResNet).
        sizes = (
            {"d_model": 32, "encoder_layers": 1, "decoder_layers": 2, "encoder_attention_heads": 8,
             "decoder_attention_heads": 8, "encoder_ffn_dim": 64, "decoder_ffn_dim": 64}
            if tiny else {}
        )
        return DetrConfig(use_timm_backbone=True, backbone="test_resnet" if tiny else "resnet50",
                          num_queries=100, **sizes, **common)
    if architecture == "eomt":
        # EoMT-L: DINOv2 ViT-L/16 with 4 register tokens, queries in the last 4 of 24 blocks, 200 queries
        sizes = (
            {"hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 2, "num_blocks": 1,
             "num_queries": 100}
            if tiny else {"num_queries": 200}
        )
        return EomtConfig(image_size=_eomt_size(labels, size), patch_size=16, **sizes, **common)
    raise ValueError(f"unknown architecture {architecture!r}")


def _eomt_size(labels: dict[int, str], size: str) -> int:
    """The square input of an EoMT stand-in: 640 px (ADE20K semantic: 512), 128 px at tiny size."""
    if size != "real":
        return 128
    return 512 if len(labels) == 150 else 640


_MODELS = {
    "mask2former": Mask2FormerForUniversalSegmentation,
    "maskformer": MaskFormerForInstanceSegmentation,
    "detr": DetrForSegmentation,
    "eomt": EomtForUniversalSegmentation,
}


def _preprocessor(architecture: str, size: str, num_labels: int, image_size: int | None = None) -> dict:
    tiny = size != "real"
    common = {"do_resize": True, "do_rescale": True, "rescale_factor": 1 / 255, "do_normalize": True,
              "image_mean": IMAGENET_MEAN, "image_std": IMAGENET_STD, "resample": 2}
    if architecture == "eomt":  # as the official EoMT processors: resize the longest side, pad to a square
        return {"image_processor_type": "EomtImageProcessor", "do_pad": True, "do_split_image": False,
                "size": {"shortest_edge": image_size, "longest_edge": image_size}, **common}
    if architecture == "detr":
        edges = {"shortest_edge": 96, "longest_edge": 160} if tiny else {"shortest_edge": 800,
                                                                         "longest_edge": 1333}
        return {"image_processor_type": "DetrImageProcessor", "format": "coco_panoptic", "size": edges,
                "do_pad": True, **common}
    edges = {"shortest_edge": 96, "longest_edge": 160} if tiny else {"shortest_edge": 384,
                                                                     "longest_edge": 1333}
    name = "Mask2FormerImageProcessor" if architecture == "mask2former" else "MaskFormerImageProcessor"
    return {"image_processor_type": name, "size": edges, "size_divisor": 32, "ignore_index": 255,
            "do_reduce_labels": False, "num_labels": num_labels, **common}


def _class_head(model) -> torch.nn.Linear:
    return model.detr.class_labels_classifier if hasattr(model, "detr") else model.class_predictor


@torch.no_grad()
def _spread_queries(model) -> None:
    """Random queries start almost identical; make them differ so they predict different classes."""
    for module in model.modules():
        if isinstance(module, torch.nn.Embedding) and module.num_embeddings == 100:  # the learned queries
            module.weight.normal_(0.0, QUERY_STD)
        if hasattr(module, "encoder_attn"):  # a DETR-style decoder layer: cross-attention to the image
            module.encoder_attn.q_proj.weight.mul_(ATTENTION_SCALE)
            module.encoder_attn.k_proj.weight.mul_(ATTENTION_SCALE)


@torch.no_grad()
def _sharpen_class_head(model) -> None:
    """Class head weights that read what differs between queries, scaled so that some are confident.

    Random decoder outputs share a large common part; a random head would give every query the same class.
    The head's rows are made orthogonal to that common part (measured on one seeded random input) and
    scaled so the logits spread by about ``LOGIT_STD``.
    """
    head = _class_head(model)
    seen: list[torch.Tensor] = []
    hook = head.register_forward_hook(
        lambda module, args, output: seen.append(args[0].reshape(-1, args[0].shape[-1]))
    )
    if model.config.model_type == "eomt":  # a ViT of fixed input size, without pixel_mask
        side = model.config.image_size
        model(pixel_values=torch.randn(1, 3, side, side, generator=torch.Generator().manual_seed(1)))
    else:
        pixels = torch.randn(1, 3, 96, 128, generator=torch.Generator().manual_seed(1))
        model(pixel_values=pixels, pixel_mask=torch.ones(1, 96, 128, dtype=torch.long))
    hook.remove()
    hidden = torch.cat(seen)
    common = hidden.mean(0)
    common = common / common.norm()
    weight = torch.randn(head.weight.shape, generator=torch.Generator().manual_seed(2))
    weight -= (weight @ common)[:, None] * common[None, :]
    logits = hidden @ weight.T
    head.weight.copy_(weight * (LOGIT_STD / logits.std()))
    head.bias.zero_()


def build_repository(
    architecture: str, dataset: str, *, size: str = "tiny", seed: int = 0
) -> dict[str, bytes]:
    """Return the files of one stand-in checkpoint repository."""
    labels = _labels(architecture, dataset)
    config = _config(architecture, labels, size)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = _MODELS[architecture](config).eval()
        _spread_queries(model)
        _sharpen_class_head(model)
    with tempfile.TemporaryDirectory() as folder:
        model.save_pretrained(folder)
        files = {p.name: p.read_bytes() for p in Path(folder).iterdir() if p.is_file()}
    image_size = getattr(config, "image_size", None) if architecture == "eomt" else None
    files["preprocessor_config.json"] = json.dumps(
        _preprocessor(architecture, size, len(labels), image_size), indent=2
    ).encode()
    return files


def official_repositories(size: str = "tiny") -> dict[str, dict[str, bytes]]:
    """Every Hub id of the registry, with its stand-in files."""
    repos: dict[str, dict[str, bytes]] = {}
    for entry in CHECKPOINTS:
        if entry.hub_id not in repos:
            repos[entry.hub_id] = build_repository(entry.architecture, entry.dataset, size=size)
    return repos
