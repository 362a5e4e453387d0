"""Unit checks of the validation helpers: RLE unpacking, the image pixel cap, flags, paths."""

from __future__ import annotations

import struct
import zlib

import numpy as np
import pytest
from PIL import Image
from pycocotools import mask as mask_utils

from segtutor.data import DatasetFormatError
from segtutor.data.coco_json import parse_flag
from segtutor.data.coco_masks import rle_string_to_counts
from segtutor.data.file_names import resolve_inside
from segtutor.data.image_io import read_label_png, read_rgb


def _runs(mask: np.ndarray) -> list[int]:
    flat = mask.flatten(order="F").astype(np.int8)
    bounds = np.concatenate([[0], np.flatnonzero(np.diff(flat)) + 1, [flat.size]])
    runs = np.diff(bounds).tolist()
    return [0, *runs] if flat[0] else runs


@pytest.mark.parametrize("seed", range(5))
def test_rle_strings_unpack_to_the_runs_pycocotools_packed(seed):
    rng = np.random.default_rng(seed)
    for _ in range(20):
        h, w = rng.integers(1, 70, 2)
        mask = rng.random((h, w)) < rng.random()
        packed = mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))["counts"].decode("ascii")
        assert rle_string_to_counts(packed) == _runs(mask)


@pytest.mark.parametrize(("text", "problem"), [("P", "truncated"), ("0~", "not an RLE character")])
def test_broken_rle_strings_are_refused(text, problem):
    with pytest.raises(ValueError, match=problem):
        rle_string_to_counts(text)


def _png(path, size=(32, 32)):
    Image.fromarray(np.zeros((size[1], size[0], 3), np.uint8)).save(path)
    return path


def test_pixel_cap_names_the_file_and_the_way_to_raise_it(tmp_path, monkeypatch):
    path = _png(tmp_path / "photo.png")
    monkeypatch.setenv("SEGTUTOR_MAX_IMAGE_PIXELS", "1000")
    with pytest.raises(DatasetFormatError) as info:
        read_rgb(path)
    assert info.value.file == str(path) and info.value.field == "size"
    assert "1,024 pixels" in info.value.problem and "SEGTUTOR_MAX_IMAGE_PIXELS" in info.value.fix
    monkeypatch.setenv("SEGTUTOR_MAX_IMAGE_PIXELS", "1024")
    assert read_rgb(path).shape == (32, 32, 3)


def test_raising_the_cap_also_lifts_pillows_own_limit(tmp_path, monkeypatch):
    path = tmp_path / "big.png"  # declares 200 M pixels (over Pillow's 179 M) and holds no pixel data
    pillow_limit = Image.MAX_IMAGE_PIXELS
    ihdr = b"IHDR" + struct.pack(">IIBBBBB", 20000, 10000, 8, 2, 0, 0, 0)
    iend = struct.pack(">I", 0) + b"IEND" + struct.pack(">I", zlib.crc32(b"IEND"))
    signature = b"\x89PNG\r\n\x1a\n"
    path.write_bytes(signature + struct.pack(">I", 13) + ihdr + struct.pack(">I", zlib.crc32(ihdr)) + iend)
    with pytest.raises(DatasetFormatError) as info:
        read_rgb(path)
    assert info.value.field == "size"
    monkeypatch.setenv("SEGTUTOR_MAX_IMAGE_PIXELS", "300000000")
    with pytest.raises(DatasetFormatError) as info:  # now it gets as far as decoding, which fails
        read_rgb(path)
    assert info.value.field == "file" and "cannot be decoded" in info.value.problem
    assert Image.MAX_IMAGE_PIXELS == pillow_limit  # Pillow's global is left as it was


def test_a_bad_cap_setting_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("SEGTUTOR_MAX_IMAGE_PIXELS", "lots")
    with pytest.raises(ValueError, match="SEGTUTOR_MAX_IMAGE_PIXELS"):
        read_rgb(_png(tmp_path / "a.png"))


def test_a_jpeg_named_png_is_not_a_label_file(tmp_path):
    path = tmp_path / "label.png"
    Image.fromarray(np.full((8, 8), 3, np.uint8)).save(path, format="JPEG")
    with pytest.raises(DatasetFormatError, match="JPEG file, not a PNG") as info:
        read_label_png(path, allowed_modes=("L",), what="label PNG", fix="-")
    assert info.value.field == "format"
    assert read_rgb(path).shape == (8, 8, 3)  # as a photo it is fine


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (True, True),
        (1, True),
        ("1", True),
        ("true", True),
        (False, False),
        (0, False),
        ("0", False),
        ("false", False),
    ],
)
def test_flags_accept_the_usual_spellings(value, expected):
    assert parse_flag({"isthing": value}, "isthing", "c.json", "categories[0]", None) is expected


@pytest.mark.parametrize("value", [2, -1, 0.5, 1.0, "yes", "", None, [1]])
def test_other_flag_values_are_errors(value):
    with pytest.raises(DatasetFormatError, match=r"categories\[0\]\.isthing"):
        parse_flag({"isthing": value}, "isthing", "c.json", "categories[0]", None)


@pytest.mark.parametrize("name", ["a.png", "sub/a.png", "sub/../a.png", "./a.png"])
def test_names_inside_the_folder_are_kept(tmp_path, name):
    assert resolve_inside(tmp_path, name, "x.json", "images[0].file_name").parent in (
        tmp_path,
        tmp_path / "sub",
    )


@pytest.mark.parametrize("name", ["../a.png", "sub/../../a.png", "/etc/passwd", ".", ""])
def test_names_outside_the_folder_are_refused(tmp_path, name):
    with pytest.raises(DatasetFormatError, match="outside the dataset folder"):
        resolve_inside(tmp_path, name, "x.json", "images[0].file_name")
