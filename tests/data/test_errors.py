"""Every kind of bad input raises one DatasetFormatError naming the file, the field and the fix."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from PIL import Image

from segtutor.data import DatasetFormatError, open_dataset, read_semantic_pngs
from segtutor.data.layout import DatasetLayout


@pytest.fixture
def broken(toy_root, tmp_path):
    """A private copy of the tiny dataset to break, and its train layout."""
    root = tmp_path / "toy"
    shutil.copytree(toy_root, root)
    return DatasetLayout(root, "train")


def _edit_json(path, edit):
    data = json.loads(path.read_text())
    edit(data)
    path.write_text(json.dumps(data))


def _raises(dataset_or_call, file, field):
    with pytest.raises(DatasetFormatError) as info:
        dataset_or_call() if callable(dataset_or_call) else dataset_or_call.validate()
    assert info.value.file.endswith(file), info.value.file
    assert info.value.field.startswith(field), info.value.field
    assert "How to fix" in str(info.value) and info.value.fix
    return info.value


@pytest.mark.parametrize("fmt", ["panoptic", "instance", "semantic"])
def test_missing_image(broken, fmt):
    (broken.image_dir / "train_00001.png").unlink()
    if fmt == "semantic":  # images are listed from the folder: the orphan mask is simply not an item
        assert len(open_dataset(broken.root, "train", fmt)) == 5
        return
    _raises(open_dataset(broken.root, "train", fmt), "train_00001.png", "file")


@pytest.mark.parametrize("fmt", ["panoptic", "semantic"])
def test_missing_mask_file(broken, fmt):
    folder = broken.panoptic_dir if fmt == "panoptic" else broken.semantic_dir
    (folder / "train_00004.png").unlink()
    error = _raises(open_dataset(broken.root, "train", fmt), "train_00004.png", "file")
    assert "does not exist" in error.problem


@pytest.mark.parametrize("fmt", ["panoptic", "instance", "semantic"])
def test_corrupt_image(broken, fmt):
    (broken.image_dir / "train_00000.png").write_bytes(b"\x89PNG\r\n\x1a\n not really a png")
    error = _raises(open_dataset(broken.root, "train", fmt), "train_00000.png", "file")
    assert "cannot be decoded" in error.problem


@pytest.mark.parametrize("fmt", ["panoptic", "semantic"])
def test_mask_size_differs_from_image_size(broken, fmt):
    folder = broken.panoptic_dir if fmt == "panoptic" else broken.semantic_dir
    mask = Image.open(folder / "train_00005.png")
    mask.resize((32, 64), Image.NEAREST).save(folder / "train_00005.png")
    error = _raises(open_dataset(broken.root, "train", fmt), "train_00005.png", "size")
    assert "32x64" in error.problem and "64x64" in error.problem


def test_instance_rle_size_differs_from_image_size(broken):
    def shrink(data):
        data["annotations"][0]["segmentation"]["size"] = [32, 64]

    _edit_json(broken.instances_json, shrink)
    _raises(
        open_dataset(broken.root, "train", "instance"), "instances_train.json", "annotations[0].segmentation"
    )


def test_id_in_png_but_not_in_segments_info(broken):
    _edit_json(broken.panoptic_json, lambda d: d["annotations"][0]["segments_info"].pop())
    error = _raises(open_dataset(broken.root, "train", "panoptic"), "train_00000.png", "segments_info")
    assert "missing from" in error.problem


def test_id_in_segments_info_but_not_in_png(broken):
    def add(data):
        data["annotations"][1]["segments_info"].append(
            {"id": 4242, "category_id": 2, "area": 1, "bbox": [0, 0, 1, 1], "iscrowd": 0}
        )

    _edit_json(broken.panoptic_json, add)
    error = _raises(open_dataset(broken.root, "train", "panoptic"), "train_00001.png", "segments_info")
    assert "4242" in error.problem and "no pixel" in error.problem


def test_panoptic_category_not_in_categories(broken):
    _edit_json(broken.panoptic_json, lambda d: d["annotations"][2]["segments_info"][0].update(category_id=77))
    error = _raises(
        lambda: open_dataset(broken.root, "train", "panoptic"),
        "panoptic_train.json",
        "annotations[2].segments_info[0].category_id",
    )
    assert "77" in error.problem


def test_instance_category_not_in_categories(broken):
    _edit_json(broken.instances_json, lambda d: d["annotations"][1].update(category_id=9))
    _raises(
        lambda: open_dataset(broken.root, "train", "instance"),
        "instances_train.json",
        "annotations[1].category_id",
    )


def test_semantic_class_not_in_categories(broken):
    labels = np.asarray(Image.open(broken.semantic_dir / "train_00003.png")).copy()
    labels[:4, :4] = 9
    Image.fromarray(labels).save(broken.semantic_dir / "train_00003.png")
    error = _raises(open_dataset(broken.root, "train", "semantic"), "train_00003.png", "pixel values")
    assert "[9]" in error.problem


def test_duplicate_segment_ids(broken):
    def duplicate(data):
        segments = data["annotations"][0]["segments_info"]
        segments[1]["id"] = segments[0]["id"]

    _edit_json(broken.panoptic_json, duplicate)
    _raises(
        lambda: open_dataset(broken.root, "train", "panoptic"),
        "panoptic_train.json",
        "annotations[0].segments_info[1].id",
    )


def test_duplicate_instance_annotation_ids(broken):
    _edit_json(broken.instances_json, lambda d: d["annotations"][1].update(id=d["annotations"][0]["id"]))
    _raises(
        lambda: open_dataset(broken.root, "train", "instance"), "instances_train.json", "annotations[1].id"
    )


@pytest.mark.parametrize("fmt", ["panoptic", "semantic"])
def test_label_png_in_the_wrong_mode(broken, fmt):
    folder = broken.panoptic_dir if fmt == "panoptic" else broken.semantic_dir
    mask = Image.open(folder / "train_00000.png")
    (mask.convert("L") if fmt == "panoptic" else mask.convert("RGB")).save(folder / "train_00000.png")
    error = _raises(open_dataset(broken.root, "train", fmt), "train_00000.png", "mode")
    assert ("'L'" if fmt == "panoptic" else "'RGB'") in error.problem


def test_missing_annotation_file_and_bad_json(broken):
    broken.instances_json.unlink()
    _raises(lambda: open_dataset(broken.root, "train", "instance"), "instances_train.json", "file")
    broken.panoptic_json.write_text("{not json")
    _raises(lambda: open_dataset(broken.root, "train", "panoptic"), "panoptic_train.json", "file")


def test_missing_required_field(broken):
    _edit_json(broken.panoptic_json, lambda d: d["images"][3].pop("file_name"))
    _raises(
        lambda: open_dataset(broken.root, "train", "panoptic"), "panoptic_train.json", "images[3].file_name"
    )


def test_unlabelled_images_are_valid_and_kept(broken):
    _edit_json(broken.panoptic_json, lambda d: d["annotations"].pop(2))
    _edit_json(broken.instances_json, lambda d: d.update(annotations=[]))
    panoptic = open_dataset(broken.root, "train", "panoptic")
    panoptic.validate()
    assert len(panoptic) == 6 and len(panoptic[2].masks) == 0 and panoptic[2].ignore.all()
    instances = open_dataset(broken.root, "train", "instance")
    instances.validate()
    assert len(instances) == 6 and all(len(s.masks) == 0 and not s.ignore.any() for s in instances)


def test_semantic_reader_needs_reduce_labels_for_ade20k_style_files(tmp_path):
    (tmp_path / "img").mkdir()
    (tmp_path / "ann").mkdir()
    Image.fromarray(np.zeros((4, 4, 3), np.uint8)).save(tmp_path / "img" / "ADE_1.jpg")
    Image.fromarray(np.full((4, 4), 2, np.uint8)).save(tmp_path / "ann" / "ADE_1.png")
    error = _raises(
        read_semantic_pngs(tmp_path / "img", tmp_path / "ann", {0: "wall", 1: "floor"}),
        "ADE_1.png",
        "pixel values",
    )
    assert "reduce_labels=True" in error.problem
