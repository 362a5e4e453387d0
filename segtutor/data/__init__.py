"""Datasets: the synthetic ToyShapes dataset, readers and writers for standard formats, training loaders.

Usage::

    from torch.utils.data import DataLoader
    from transformers import Mask2FormerImageProcessor
    from segtutor.data import TrainingDataset, collate_fn, open_dataset

    train = open_dataset("data/toy-shapes", "train", format="panoptic")  # or "instance" / "semantic"
    train.validate()                                   # checks every file, raises DatasetFormatError
    sample = train[0]                                  # Sample: image (H, W, 3), masks (N, H, W), ...
    processor = Mask2FormerImageProcessor(size={"height": 128, "width": 128})
    dataset = TrainingDataset(train, processor, augment=True, seed=0)
    loader = DataLoader(dataset, batch_size=8, shuffle=True, collate_fn=collate_fn)
    batch = next(iter(loader))   # pixel_values, pixel_mask, mask_labels, class_labels -> model(**batch)
    # model config: id2label=dataset.id2label; raw ground truth for evaluation: dataset.samples[i]

Real datasets: ``read_coco_panoptic(json, image_dir)``, ``read_coco_instances(json, image_dir)``,
``read_semantic_pngs(image_dir, mask_dir, id2label, reduce_labels=True)`` (ADE20K). Regenerate ToyShapes
with ``segtutor-toyshapes --out data/toy-shapes`` (see data/toy-shapes/README.md).
"""

from segtutor.data.coco_instances import read_coco_instances, write_coco_instances
from segtutor.data.coco_panoptic import read_coco_panoptic, write_coco_panoptic
from segtutor.data.errors import DatasetFormatError
from segtutor.data.layout import DEFAULT_TOYSHAPES_ROOT, DatasetLayout, open_dataset
from segtutor.data.model_inputs import collate_fn, encode_example
from segtutor.data.reader_base import SampleSequence
from segtutor.data.semantic_png import read_semantic_pngs, write_semantic_pngs
from segtutor.data.targets import Sample, SegmentInfo, masks_to_panoptic
from segtutor.data.toyshapes import (
    TOYSHAPES_CATEGORIES,
    ToyShapesConfig,
    generate_scene,
    generate_split,
    toyshapes_categories,
)
from segtutor.data.toyshapes_export import write_toyshapes
from segtutor.data.training_dataset import TrainingDataset, contiguous_label_map

__all__ = [
    "DEFAULT_TOYSHAPES_ROOT",
    "TOYSHAPES_CATEGORIES",
    "DatasetFormatError",
    "DatasetLayout",
    "Sample",
    "SampleSequence",
    "SegmentInfo",
    "ToyShapesConfig",
    "TrainingDataset",
    "collate_fn",
    "contiguous_label_map",
    "encode_example",
    "generate_scene",
    "generate_split",
    "masks_to_panoptic",
    "open_dataset",
    "read_coco_instances",
    "read_coco_panoptic",
    "read_semantic_pngs",
    "toyshapes_categories",
    "write_coco_instances",
    "write_coco_panoptic",
    "write_semantic_pngs",
    "write_toyshapes",
]
