"""Photos in any common mode become RGB uint8 correctly; label PNGs keep their values."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from segtutor.data import read_semantic_pngs
from segtutor.data.image_io import panoptic_id_to_rgb, read_rgb, rgb_to_panoptic_id

RNG = np.random.default_rng(0)
RGB = RNG.integers(0, 256, (5, 7, 3), dtype=np.uint8)
GRAY = RNG.integers(0, 256, (5, 7), dtype=np.uint8)


def _save(tmp_path, image: Image.Image, name: str = "x.png"):
    path = tmp_path / name
    image.save(path)
    return path


def test_gray_is_repeated_on_three_channels(tmp_path):
    got = read_rgb(_save(tmp_path, Image.fromarray(GRAY)))
    assert got.shape == (5, 7, 3) and got.dtype == np.uint8
    assert all(np.array_equal(got[..., c], GRAY) for c in range(3))


@pytest.mark.parametrize("mode", ["RGBA", "LA"])
def test_alpha_is_dropped_not_blended(tmp_path, mode):
    rgba = np.dstack([RGB, np.full((5, 7), 7, np.uint8)])  # nearly transparent everywhere
    image = Image.fromarray(rgba) if mode == "RGBA" else Image.fromarray(np.dstack([GRAY, GRAY]), "LA")
    got = read_rgb(_save(tmp_path, image))
    want = RGB if mode == "RGBA" else np.repeat(GRAY[..., None], 3, axis=2)
    assert np.array_equal(got, want)


@pytest.mark.parametrize("transparency", [False, True])
def test_palette_colours_are_looked_up(tmp_path, transparency):
    palette = RNG.integers(0, 256, (256, 3), dtype=np.uint8)
    image = Image.fromarray(GRAY, "P")
    image.putpalette(palette.flatten().tolist())
    if transparency:
        image.info["transparency"] = 0
    got = read_rgb(_save(tmp_path, image))
    assert np.array_equal(got, palette[GRAY])


def test_sixteen_bit_gray_is_scaled_not_clipped(tmp_path):
    values = np.array([[0, 257, 65535], [32896, 1000, 60000]], dtype=np.uint16)
    image = Image.fromarray(values)
    assert image.mode.startswith("I;16")
    got = read_rgb(_save(tmp_path, image))
    assert got[..., 0].tolist() == [[0, 1, 255], [128, 4, 233]]


def test_jpeg_and_rgb_png_read_as_rgb(tmp_path):
    assert np.array_equal(read_rgb(_save(tmp_path, Image.fromarray(RGB))), RGB)
    jpeg = read_rgb(_save(tmp_path, Image.fromarray(RGB), "x.jpg"))
    assert jpeg.shape == RGB.shape and jpeg.dtype == np.uint8


def test_reader_input_array_is_not_shared_with_the_file_cache(tmp_path):
    path = _save(tmp_path, Image.fromarray(RGB))
    first = read_rgb(path)
    first[:] = 0
    assert np.array_equal(read_rgb(path), RGB)


def test_panoptic_id_encoding_round_trips():
    ids = np.array([[0, 1, 255], [256, 65536, 256**3 - 1]])
    rgb = panoptic_id_to_rgb(ids)
    assert rgb[1, 0].tolist() == [0, 1, 0] and rgb[1, 1].tolist() == [0, 0, 1]
    assert np.array_equal(rgb_to_panoptic_id(rgb), ids)


@pytest.mark.parametrize("label_mode", ["L", "P", "I;16"])
@pytest.mark.parametrize("image_mode", ["L", "RGBA", "P"])
def test_semantic_reader_accepts_any_photo_mode_and_single_channel_labels(tmp_path, label_mode, image_mode):
    (tmp_path / "images").mkdir()
    (tmp_path / "labels").mkdir()
    photo = Image.fromarray(RGB).convert(image_mode)
    photo.save(tmp_path / "images" / "a.png")
    labels = np.zeros((5, 7), np.uint8)
    labels[1:3, 2:5] = 2
    labels[4] = 255
    label_image = (
        Image.fromarray(labels.astype(np.uint16)) if label_mode == "I;16" else Image.fromarray(labels)
    )
    if label_mode == "P":
        label_image = label_image.convert("P")
        label_image.putpalette([0] * 768)
    label_image.save(tmp_path / "labels" / "a.png")
    dataset = read_semantic_pngs(tmp_path / "images", tmp_path / "labels", {0: "bg", 1: "a", 2: "b"})
    sample = dataset[0]
    assert sample.image.shape == (5, 7, 3)
    assert sample.category_ids.tolist() == [0, 2]
    assert np.array_equal(sample.semantic_map(), np.where(labels == 255, 255, labels))
    assert np.array_equal(sample.ignore, labels == 255)


def test_reduce_labels_maps_void_to_ignore_and_shifts_classes(tmp_path):
    (tmp_path / "images").mkdir()
    (tmp_path / "labels").mkdir()
    Image.fromarray(RGB).save(tmp_path / "images" / "ADE_1.jpg")
    raw = np.array([[0, 1, 2, 3, 3, 1, 0]] * 5, dtype=np.uint8)
    Image.fromarray(raw).save(tmp_path / "labels" / "ADE_1.png")
    dataset = read_semantic_pngs(
        tmp_path / "images", tmp_path / "labels", {0: "wall", 1: "floor", 2: "sky"}, reduce_labels=True
    )
    sample = dataset[0]
    assert sample.category_ids.tolist() == [0, 1, 2]
    assert np.array_equal(sample.ignore, raw == 0)
    assert np.array_equal(sample.semantic_map(), np.where(raw == 0, 255, raw.astype(np.int64) - 1))
