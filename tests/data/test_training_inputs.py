"""TrainingDataset + collate_fn: the tensors each model takes, the same on the fast and processor paths."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image
from transformers import DetrImageProcessor, Mask2FormerImageProcessor, MaskFormerImageProcessor

from segtutor.categories import Category
from segtutor.data import (
    Sample,
    TrainingDataset,
    collate_fn,
    open_dataset,
    read_coco_instances,
    read_semantic_pngs,
    write_coco_instances,
)

PROCESSORS = {
    "mask2former": Mask2FormerImageProcessor,
    "maskformer": MaskFormerImageProcessor,
    "detr": DetrImageProcessor,
}
SETTINGS = [
    {"size": {"height": 64, "width": 64}},
    {"size": {"height": 48, "width": 80}},
    {"size": {"shortest_edge": 40, "longest_edge": 90}},
    {"size": {"height": 64, "width": 64}, "pad_size": {"height": 96, "width": 80}},
]


@pytest.mark.parametrize("settings", SETTINGS)
@pytest.mark.parametrize("arch", sorted(PROCESSORS))
def test_fast_path_gives_the_processor_tensors(toy_root, arch, settings):
    processor = PROCESSORS[arch](**settings)
    source = open_dataset(toy_root, "train", "panoptic")
    fast = TrainingDataset(source, processor, fast=True)
    slow = TrainingDataset(source, processor, fast=False)
    for i in range(len(source)):
        a, b = fast[i], slow[i]
        assert a["pixel_values"].shape == b["pixel_values"].shape
        torch.testing.assert_close(a["pixel_values"], b["pixel_values"], atol=1e-5, rtol=0)
        assert torch.equal(a["pixel_mask"], b["pixel_mask"])
        if arch != "detr":  # DETR's processor has no in-memory mask input: both paths share the mask code
            assert torch.equal(a["mask_labels"], b["mask_labels"])
            assert torch.equal(a["class_labels"], b["class_labels"])


@pytest.mark.parametrize("fmt", ["panoptic", "instance", "semantic"])
def test_mask_classification_batch_matches_the_ground_truth(toy_root, fmt):
    source = open_dataset(toy_root, "train", fmt)
    dataset = TrainingDataset(source, Mask2FormerImageProcessor(size={"height": 64, "width": 64}))
    batch = collate_fn([dataset[i] for i in range(len(dataset))])
    assert batch["pixel_values"].shape == (6, 3, 64, 64) and batch["pixel_values"].dtype == torch.float32
    assert batch["pixel_mask"].dtype == torch.int64 and bool(batch["pixel_mask"].all())
    for i, sample in enumerate(source):
        masks, labels = batch["mask_labels"][i], batch["class_labels"][i]
        assert masks.dtype == torch.float32 and labels.dtype == torch.int64
        assert masks.shape == (len(sample.masks), 64, 64)
        assert np.array_equal(masks.numpy().astype(bool), sample.masks)
        assert labels.tolist() == sample.category_ids.tolist()  # ToyShapes: label id == category id
    if fmt == "instance":
        assert [len(m) for m in batch["mask_labels"]][2:4] == [0, 0]  # no-object images: N = 0


def test_detr_labels_are_normalised_boxes_classes_and_masks(toy_root):
    source = open_dataset(toy_root, "val", "panoptic")
    dataset = TrainingDataset(source, DetrImageProcessor(size={"height": 64, "width": 64}))
    batch = collate_fn([dataset[0], dataset[1]])
    for target, sample in zip(batch["labels"], source, strict=True):
        assert target["class_labels"].tolist() == sample.category_ids.tolist()
        assert np.array_equal(target["masks"].numpy(), sample.masks)
        boxes = target["boxes"]
        assert boxes.dtype == torch.float32 and boxes.min() >= 0 and boxes.max() <= 1
        ys, xs = np.nonzero(sample.masks[-1])
        x0, x1, y0, y1 = xs.min(), xs.max() + 1, ys.min(), ys.max() + 1
        want = [(x0 + x1) / 128, (y0 + y1) / 128, (x1 - x0) / 64, (y1 - y0) / 64]
        torch.testing.assert_close(boxes[-1], torch.tensor(want, dtype=torch.float32))


def test_flip_moves_image_and_masks_together_and_is_seeded(toy_root):
    source = open_dataset(toy_root, "train", "panoptic")
    processor = MaskFormerImageProcessor(size={"height": 64, "width": 64})
    plain = TrainingDataset(source, processor)
    flips = []
    for seed in (0, 1):
        augmented = TrainingDataset(source, processor, augment=True, seed=seed)
        row = []
        for i in range(len(source)):
            a, p = augmented[i], plain[i]
            flipped = not torch.equal(a["pixel_values"], p["pixel_values"])
            if flipped:
                assert torch.equal(a["pixel_values"], p["pixel_values"].flip(-1))
                assert torch.equal(a["mask_labels"], p["mask_labels"].flip(-1))
            else:
                assert torch.equal(a["mask_labels"], p["mask_labels"])
            assert torch.equal(augmented[i]["pixel_values"], a["pixel_values"])  # same draw every time
            row.append(flipped)
        flips.append(row)
    assert any(flips[0]) and not all(flips[0]) and flips[0] != flips[1]
    assert np.array_equal(source[0].image, plain.samples[0].image)  # raw samples stay untouched


def _sample(image_hw, masks, category_ids, categories, name, ignore=None, iscrowd=None):
    h, w = image_hw
    return Sample(
        np.full((h, w, 3), 90, np.uint8),
        np.array(masks, bool).reshape(-1, h, w),
        np.array(category_ids, np.int64),
        np.zeros((h, w), bool) if ignore is None else ignore,
        "instance",
        categories,
        name,
        len(name),
        iscrowd=iscrowd,
    )


def test_non_contiguous_coco_ids_get_a_contiguous_label_map(tmp_path):
    categories = [
        Category(1, "person", True, (1, 2, 3)),
        Category(5, "bus", True, (4, 5, 6)),
        Category(90, "toothbrush", True, (7, 8, 9)),
    ]
    mask_a = np.zeros((8, 8), bool)
    mask_a[1:4, 1:4] = True
    mask_b = np.zeros((8, 8), bool)
    mask_b[5:7, 2:8] = True
    crowd = np.zeros((8, 8), bool)
    crowd[0, :] = True
    sample = _sample(
        (8, 8),
        [mask_a, mask_b, crowd],
        [90, 1, 5],
        categories,
        "a.png",
        iscrowd=np.array([False, False, True]),
    )
    write_coco_instances([sample], tmp_path / "instances.json", categories, image_dir=tmp_path / "images")
    source = read_coco_instances(tmp_path / "instances.json", tmp_path / "images")
    dataset = TrainingDataset(
        source, MaskFormerImageProcessor(size={"height": 8, "width": 8}, size_divisor=0)
    )
    assert dataset.id2label == {0: "person", 1: "bus", 2: "toothbrush"}
    assert dataset.label2id["toothbrush"] == 2
    example = dataset[0]
    assert example["class_labels"].tolist() == [2, 0]  # the crowd region is not a target
    assert example["mask_labels"].sum().item() == mask_a.sum() + mask_b.sum()


def test_ignored_pixels_are_in_no_mask(tmp_path):
    (tmp_path / "images").mkdir()
    (tmp_path / "labels").mkdir()
    Image.fromarray(np.zeros((16, 16, 3), np.uint8)).save(tmp_path / "images" / "a.png")
    labels = np.zeros((16, 16), np.uint8)
    labels[8:] = 1
    labels[:, :3] = 255
    Image.fromarray(labels).save(tmp_path / "labels" / "a.png")
    source = read_semantic_pngs(tmp_path / "images", tmp_path / "labels", {0: "sky", 1: "grass"})
    for arch, cls in PROCESSORS.items():
        example = TrainingDataset(
            source,
            cls(size={"height": 16, "width": 16}, size_divisor=0)
            if arch != "detr"
            else cls(size={"height": 16, "width": 16}),
        )[0]
        masks = example["mask_labels"].bool() if arch != "detr" else example["labels"]["masks"]
        assert not masks[:, :, :3].any() and masks[:, :, 3:].sum(dim=0).eq(1).all()


@pytest.mark.parametrize("arch", sorted(PROCESSORS))
def test_collate_pads_different_sizes_and_marks_the_padding(tmp_path, arch):
    (tmp_path / "images").mkdir()
    (tmp_path / "labels").mkdir()
    for name, (h, w) in {"a.png": (20, 30), "b.png": (26, 12)}.items():
        Image.fromarray(np.full((h, w, 3), 200, np.uint8)).save(tmp_path / "images" / name)
        labels = np.zeros((h, w), np.uint8)
        labels[h // 2 :, w // 3 :] = 1
        Image.fromarray(labels).save(tmp_path / "labels" / name)
    source = read_semantic_pngs(tmp_path / "images", tmp_path / "labels", {0: "sky", 1: "grass"})
    dataset = TrainingDataset(source, PROCESSORS[arch](do_resize=False))
    batch = collate_fn([dataset[0], dataset[1]])
    assert batch["pixel_values"].shape == (2, 3, 26, 30)
    assert batch["pixel_mask"][0].sum() == 20 * 30 and batch["pixel_mask"][1].sum() == 26 * 12
    assert batch["pixel_values"][0, :, 20:].abs().sum() == 0
    if arch == "detr":
        target = batch["labels"][1]
        assert target["masks"].shape == (2, 26, 30)
        ys, xs = np.nonzero(target["masks"][1].numpy())  # grass box, normalised by the padded size
        want = [
            (xs.min() + xs.max() + 1) / 60,
            (ys.min() + ys.max() + 1) / 52,
            (xs.max() + 1 - xs.min()) / 30,
            (ys.max() + 1 - ys.min()) / 26,
        ]
        torch.testing.assert_close(target["boxes"][1], torch.tensor(want, dtype=torch.float32))
    else:
        assert batch["mask_labels"][1].shape == (2, 26, 30) and batch["mask_labels"][1][:, :, 12:].sum() == 0


def test_errors_for_unknown_processor_and_plain_lists(toy_root):
    source = open_dataset(toy_root, "val", "panoptic")
    with pytest.raises(ValueError, match="pass arch="):
        TrainingDataset(source, object())
    with pytest.raises(TypeError, match="categories"):
        TrainingDataset(list(source), DetrImageProcessor())
    with pytest.raises(ValueError, match="no label id"):
        TrainingDataset(source, DetrImageProcessor(), label_map={0: 0})
    with pytest.raises(ValueError, match="empty batch"):
        collate_fn([])
