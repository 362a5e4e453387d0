"""A ``torch.utils.data.Dataset`` that feeds any segtutor reader to DETR, MaskFormer or Mask2Former.

Label ids: the model predicts ``label_map[category_id]``. For ToyShapes (ids 0..K-1) the map is the identity;
for files with non-contiguous ids, such as COCO (1..90 for things, up to 200 for panoptic), the default map
numbers the categories 0..K-1 in id order, and :attr:`TrainingDataset.id2label` gives the names for the
model config. Crowd regions and ignored pixels are left out of every mask (no query is asked to predict
them). Images without objects give ``N = 0`` masks and train normally.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from torch.utils.data import Dataset

from segtutor.categories import Category
from segtutor.data.model_inputs import Arch, architecture_of, encode_example
from segtutor.data.targets import Sample

__all__ = ["TrainingDataset", "contiguous_label_map"]


def contiguous_label_map(categories: Sequence[Category]) -> dict[int, int]:
    """Map category ids to contiguous label ids 0..K-1 in id order (the identity when they already are)."""
    return {c.id: k for k, c in enumerate(sorted(categories, key=lambda c: c.id))}


class TrainingDataset(Dataset):
    """Training examples for one architecture, read lazily from a segtutor reader.

    Parameters
    ----------
    source : sequence of Sample with ``.categories``
        Any reader: ``open_dataset(...)``, ``read_coco_panoptic(...)``, ``read_coco_instances(...)``,
        ``read_semantic_pngs(...)``.
    processor : transformers image processor
        ``Mask2FormerImageProcessor``, ``MaskFormerImageProcessor`` or ``DetrImageProcessor``; its resize and
        normalisation settings are used. For ToyShapes use e.g. ``size={"height": 128, "width": 128}``.
    augment : bool
        Random horizontal flip (probability 0.5) applied jointly to the image, masks and ignore region.
    seed : int
        Seed of the augmentation; the flip of item ``i`` depends only on ``(seed, epoch, i)``.
    arch : {"mask2former", "maskformer", "detr"}, optional
        Defaults to the processor's architecture.
    label_map : mapping of int to int, optional
        Category id -> model label id; defaults to :func:`contiguous_label_map` of the source's categories.
    fast : bool
        Resize / normalise with torch directly (same tensors as the processor, faster); ``False`` calls
        the processor.

    Attributes
    ----------
    samples : sequence of Sample
        The raw ground truth, e.g. for evaluation: ``dataset.samples[i]``.
    id2label, label2id : dict
        For the model config (label ids to category names and back).
    """

    def __init__(
        self,
        source: Sequence[Sample],
        processor: Any,
        *,
        augment: bool = False,
        seed: int = 0,
        arch: Arch | None = None,
        label_map: Mapping[int, int] | None = None,
        fast: bool = True,
    ) -> None:
        categories = getattr(source, "categories", None)
        if categories is None:
            raise TypeError(
                "source must be a segtutor reader with a .categories attribute, "
                f"got {type(source).__name__}; "
                "open data with segtutor.data.open_dataset(...) or one of the read_* functions."
            )
        self.samples = source
        self.processor = processor
        self.arch: Arch = arch or architecture_of(processor)
        self.augment, self.seed, self.fast = augment, seed, fast
        self.epoch = 0
        self.categories: list[Category] = list(categories)
        self.label_map = dict(label_map) if label_map is not None else contiguous_label_map(self.categories)
        by_id = {c.id: c.name for c in self.categories}
        missing = sorted(set(by_id) - set(self.label_map))
        if missing:
            raise ValueError(
                f"label_map has no label id for categories {missing}; add them or drop those classes."
            )
        self.id2label = {int(self.label_map[cid]): name for cid, name in by_id.items()}
        self.label2id = {name: label for label, name in self.id2label.items()}

    def set_epoch(self, epoch: int) -> None:
        """Change the augmentation draw (call at the start of each epoch for fresh flips)."""
        self.epoch = int(epoch)

    def __len__(self) -> int:
        return len(self.samples)

    def targets(self, index: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Return the (possibly flipped) image (H, W, 3) uint8, masks (N, H, W) bool and labels (N,) int64.

        Crowd masks are dropped and ignored pixels removed from every mask; masks left empty are dropped.
        The sample's own arrays are never modified.
        """
        sample = self.samples[index]
        keep = ~np.asarray(sample.iscrowd, dtype=bool)
        masks = sample.masks[keep] & ~sample.ignore[None]
        labels = np.array([self.label_map[int(c)] for c in sample.category_ids[keep]], dtype=np.int64)
        nonempty = masks.any(axis=(1, 2))
        masks, labels, image = masks[nonempty], labels[nonempty], sample.image
        if self.augment:
            rng = np.random.default_rng([self.seed, self.epoch, index])
            if rng.random() < 0.5:
                image, masks = image[:, ::-1], masks[:, :, ::-1]
        return np.ascontiguousarray(image), np.ascontiguousarray(masks), labels

    def __getitem__(self, index: int) -> dict[str, Any]:
        """Encoded training example (see :func:`segtutor.data.model_inputs.encode_example`)."""
        image, masks, labels = self.targets(index)
        return encode_example(image, masks, labels, self.processor, self.arch, fast=self.fast)
