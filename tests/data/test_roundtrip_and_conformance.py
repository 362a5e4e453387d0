"""generate -> write -> read gives back the same masks; the files conform to the formats, checked without
segtutor's readers (pycocotools and plain PIL decoding)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image
from pycocotools import mask as mask_utils
from pycocotools.coco import COCO

from segtutor.data import open_dataset
from segtutor.data.layout import DatasetLayout

# pycocotools 2.0.x under NumPy 2 warns inside its own decode; not ours to fix.
pytestmark = pytest.mark.filterwarnings("ignore:.*__array__ implementation:DeprecationWarning")


def test_panoptic_round_trip_is_exact(toy_root, toy_generated):
    read = open_dataset(toy_root, "train", "panoptic")
    assert len(read) == len(toy_generated)
    for got, want in zip(read, toy_generated, strict=True):
        assert np.array_equal(got.image, want.image)
        assert np.array_equal(got.masks, want.masks)
        assert np.array_equal(got.category_ids, want.category_ids)
        assert np.array_equal(got.segment_ids, want.segment_ids)
        assert got.file_name == want.file_name and not got.ignore.any()


def test_instance_round_trip_keeps_the_things(toy_root, toy_generated):
    read = open_dataset(toy_root, "train", "instance")
    for got, want in zip(read, toy_generated, strict=True):
        things = want.category_ids >= 2
        assert np.array_equal(got.masks, want.masks[things])
        assert np.array_equal(got.category_ids, want.category_ids[things])
    assert [len(s.masks) for s in read][2:4] == [0, 0]  # images without things are kept, with N = 0


def test_semantic_round_trip_gives_the_class_map(toy_root, toy_generated):
    read = open_dataset(toy_root, "train", "semantic")
    assert [c.name for c in read.categories] == ["sky", "grass", "circle", "square", "triangle"]
    for got, want in zip(read, toy_generated, strict=True):
        assert np.array_equal(got.semantic_map(), want.semantic_map())


def test_pycocotools_loads_the_instance_json_and_decodes_every_rle(toy_root):
    layout = DatasetLayout(toy_root, "train")
    coco = COCO(str(layout.instances_json))
    assert sorted(coco.getCatIds()) == [0, 1, 2, 3, 4]
    panoptic = json.loads(layout.panoptic_json.read_text())
    n_things = sum(s["category_id"] >= 2 for a in panoptic["annotations"] for s in a["segments_info"])
    assert len(coco.getAnnIds()) == n_things > 0
    for ann in coco.loadAnns(coco.getAnnIds()):
        image = coco.loadImgs(ann["image_id"])[0]
        mask = coco.annToMask(ann).astype(bool)
        assert mask.shape == (image["height"], image["width"])
        assert mask.sum() == ann["area"] == mask_utils.area(ann["segmentation"])
        x, y, w, h = ann["bbox"]
        ys, xs = np.nonzero(mask)
        assert (x, y, w, h) == (xs.min(), ys.min(), xs.max() - xs.min() + 1, ys.max() - ys.min() + 1)


def test_every_panoptic_png_holds_exactly_its_segments(toy_root):
    layout = DatasetLayout(toy_root, "train")
    data = json.loads(layout.panoptic_json.read_text())
    assert {c["id"]: bool(c["isthing"]) for c in data["categories"]} == {
        0: False,
        1: False,
        2: True,
        3: True,
        4: True,
    }
    assert all(len(c["color"]) == 3 for c in data["categories"])
    for ann in data["annotations"]:
        rgb = np.asarray(Image.open(layout.panoptic_dir / ann["file_name"]), dtype=np.int64)
        ids = rgb[..., 0] + 256 * rgb[..., 1] + 256 * 256 * rgb[..., 2]
        assert sorted(set(np.unique(ids).tolist()) - {0}) == sorted(s["id"] for s in ann["segments_info"])
        for seg in ann["segments_info"]:
            mask = ids == seg["id"]
            ys, xs = np.nonzero(mask)
            assert seg["area"] == mask.sum()
            assert seg["bbox"] == [xs.min(), ys.min(), xs.max() - xs.min() + 1, ys.max() - ys.min() + 1]
            assert seg["iscrowd"] == 0


def test_semantic_pngs_are_8_bit_class_maps_that_match_the_panoptic_pngs(toy_root):
    layout = DatasetLayout(toy_root, "val")
    data = json.loads(layout.panoptic_json.read_text())
    for ann in data["annotations"]:
        semantic = Image.open(layout.semantic_dir / ann["file_name"])
        assert semantic.mode == "L"
        classes = np.asarray(semantic)
        rgb = np.asarray(Image.open(layout.panoptic_dir / ann["file_name"]), dtype=np.int64)
        ids = rgb[..., 0] + 256 * rgb[..., 1] + 256 * 256 * rgb[..., 2]
        for seg in ann["segments_info"]:
            assert (classes[ids == seg["id"]] == seg["category_id"]).all()
