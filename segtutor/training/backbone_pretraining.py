"""Pretrain a tiny model's backbone on per-pixel classes before training the whole model.

DETR, MaskFormer and Mask2Former all start, in their papers, from a backbone pretrained on ImageNet:
the detection / segmentation training then teaches the heads, not what objects look like. The
bundled tiny models have no pretrained backbone to start from (nothing can be downloaded offline),
and trained from scratch they learn *where* the ToyShapes objects are long before *which* shape each
one is. So their recipe pretrains the backbone first, on the same training images: a small head
reads the backbone's four stages and predicts every pixel's class (semantic segmentation), which
forces each stage to tell circles from squares and triangles. The head is then thrown away and the
whole model is trained as usual.

EoMT has no separate backbone: the model *is* a ViT (in the paper a DINOv2-pretrained one). The same idea
applies to the whole ViT: its patch tokens, run through every block without the queries (as the
pretrained ViT saw them), predict each pixel's class (:class:`ViTPatchFeatures`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import Dataset
from tqdm.auto import tqdm
from transformers.backbone_utils import BackboneMixin

from segtutor.training.steps import StepBatchSampler, iterate_batches, make_optimizer, make_scheduler

__all__ = ["ViTPatchFeatures", "find_backbone", "pretrain_backbone", "semantic_targets"]

IGNORE = 255  # pixels that belong to no annotated segment


class ViTPatchFeatures(nn.Module):
    """EoMT's ViT seen as a backbone: patch tokens after every block, without queries, as one feature map.

    ``forward(pixel_values)`` returns an object with ``feature_maps = ((B, hidden, H / patch, W / patch),)``,
    like a transformers backbone with one stage; ``channels = [hidden]``. Its parameters are the model's
    own (embeddings, blocks, final norm), so training this trains the EoMT model in place.
    """

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.embeddings, self.layers, self.layernorm = model.embeddings, model.layers, model.layernorm
        self.grid = tuple(model.grid_size)
        self.prefix = model.embeddings.num_prefix_tokens  # [CLS] and register tokens come first
        self.channels = [model.config.hidden_size]

    def forward(self, pixel_values: torch.Tensor) -> Any:
        from types import SimpleNamespace

        tokens = self.embeddings(pixel_values)
        for layer in self.layers:
            tokens = layer(tokens)
        patches = self.layernorm(tokens)[:, self.prefix :]
        grid = patches.transpose(1, 2).reshape(patches.shape[0], -1, *self.grid)
        return SimpleNamespace(feature_maps=(grid,))


def find_backbone(model: nn.Module) -> nn.Module:
    """The backbone inside a DETR, MaskFormer or Mask2Former model (a transformers ``BackboneMixin``).

    For EoMT, whose ViT is the whole model, a :class:`ViTPatchFeatures` view of it.

    Raises
    ------
    ValueError
        If the model holds no transformers backbone (e.g. a timm backbone).
    """
    if getattr(getattr(model, "config", None), "model_type", None) == "eomt":
        return ViTPatchFeatures(model)
    for module in model.modules():
        if isinstance(module, BackboneMixin):
            return module
    raise ValueError(
        f"{type(model).__name__} holds no transformers backbone to pretrain; build it with a transformers "
        "backbone config (segtutor.models.tiny does) or skip backbone pretraining."
    )


def semantic_targets(batch: dict[str, Any]) -> torch.Tensor:
    """Per-pixel class ids ``(B, H, W)`` int64 from a collated batch (``IGNORE`` where no segment).

    Reads ``mask_labels`` / ``class_labels`` (Mask2Former, MaskFormer) or ``labels[i]["masks"]`` /
    ``["class_labels"]`` (DETR); later masks paint over earlier ones.
    """
    height, width = batch["pixel_values"].shape[-2:]
    if "mask_labels" in batch:
        pairs = zip(batch["mask_labels"], batch["class_labels"], strict=True)
    else:
        pairs = ((target["masks"], target["class_labels"]) for target in batch["labels"])
    maps = []
    for masks, classes in pairs:
        target = torch.full((height, width), IGNORE, dtype=torch.long)
        for mask, label in zip(masks, classes.tolist(), strict=True):
            target[mask[:height, :width] > 0.5] = label
        maps.append(target)
    return torch.stack(maps)


class PixelClassHead(nn.Module):
    """Predicts each pixel's class from all backbone stages (a light FPN-style sum at the finest stage)."""

    def __init__(self, channels: list[int], num_labels: int, width: int = 32) -> None:
        super().__init__()
        self.lateral = nn.ModuleList(nn.Conv2d(c, width, kernel_size=1) for c in channels)
        self.classify = nn.Sequential(nn.ReLU(), nn.Conv2d(width, width, 3, padding=1), nn.ReLU(),
                                      nn.Conv2d(width, num_labels, kernel_size=1))

    def forward(self, feature_maps: tuple[torch.Tensor, ...]) -> torch.Tensor:
        size = feature_maps[0].shape[-2:]
        summed = sum(
            F.interpolate(lateral(f), size=size, mode="bilinear", align_corners=False)
            for lateral, f in zip(self.lateral, feature_maps, strict=True)
        )
        return self.classify(summed)


def pretrain_backbone(
    model: nn.Module,
    dataset: Dataset,
    collate_fn: Callable[[list[Any]], dict[str, Any]],
    *,
    num_labels: int,
    steps: int,
    batch_size: int = 8,
    learning_rate: float = 2e-3,
    seed: int = 0,
    device: torch.device | str = "cpu",
    progress: bool = True,
) -> list[dict[str, float]]:
    """Train ``model``'s backbone (in place) to predict every pixel's class for ``steps`` batches.

    Parameters
    ----------
    model : torch.nn.Module
        A DETR, MaskFormer or Mask2Former model with a transformers backbone, or an EoMT model.
    dataset, collate_fn
        Training examples for the model (``TrainingDataset`` and ``segtutor.data.collate_fn``).
    num_labels : int
        Number of classes (ids ``0..num_labels-1``).
    steps, batch_size, learning_rate, seed
        AdamW with warm-up and cosine decay, seeded batch order.
    device : torch.device or str
        Where to train.
    progress : bool
        Show a tqdm progress bar.

    Returns
    -------
    list of dict
        ``{"step", "loss", "pixel_accuracy", "elapsed_s"}`` every 50 steps and at the end.
    """
    backbone = find_backbone(model)
    channels = list(backbone.channels)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        head = PixelClassHead(channels, num_labels).to(device)
    backbone.train()
    parameters = [p for p in backbone.parameters() if p.requires_grad] + list(head.parameters())
    optimizer = make_optimizer(nn.ModuleList([backbone, head]), learning_rate, weight_decay=1e-4)
    scheduler = make_scheduler(optimizer, warmup_steps=max(1, min(50, steps // 10)), total_steps=steps)
    # a seed of its own, so that the model's training later sees the batches it would see without this
    sampler = StepBatchSampler(len(dataset), batch_size, steps, seed=seed + 1_000_003)
    history, started, running, correct, counted = [], time.perf_counter(), 0.0, 0, 0
    batches: Iterator[dict[str, Any]] = iterate_batches(dataset, collate_fn, sampler)
    for step, batch in enumerate(tqdm(batches, total=steps, desc="backbone", disable=not progress), start=1):
        pixels = batch["pixel_values"].to(device)
        target = semantic_targets(batch).to(device)
        logits = head(backbone(pixels).feature_maps)
        target = F.interpolate(target[:, None].float(), size=logits.shape[-2:], mode="nearest")[:, 0].long()
        loss = F.cross_entropy(logits, target, ignore_index=IGNORE)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(parameters, 1.0)
        optimizer.step()
        scheduler.step()
        running += float(loss.detach())
        valid = target != IGNORE
        correct += int((logits.argmax(1) == target)[valid].sum())
        counted += int(valid.sum())
        if step % 50 == 0 or step == steps:
            since = 50 if step % 50 == 0 else step % 50
            history.append({
                "step": step, "loss": running / since, "pixel_accuracy": correct / max(counted, 1),
                "elapsed_s": round(time.perf_counter() - started, 2),
            })
            running, correct, counted = 0.0, 0, 0
    return history
