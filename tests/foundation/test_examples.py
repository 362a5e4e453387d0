"""Example photos: downloaded from the folder URL in SEGTUTOR_EXAMPLE_IMAGES_URL, as writable RGB arrays."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from PIL import Image

from segtutor.examples import COCO_EXAMPLE_URLS, EXAMPLE_IMAGES_URL_ENV, example_image_urls, example_images


@pytest.fixture
def photo_folder(tmp_path, monkeypatch):
    """The three example file names as small JPEGs in a file:// folder that the examples point at."""
    rng = np.random.default_rng(0)
    for url in COCO_EXAMPLE_URLS:
        pixels = rng.integers(0, 256, size=(12, 16, 3), dtype=np.uint8)
        Image.fromarray(pixels).save(tmp_path / url.rsplit("/", 1)[-1], quality=95)
    monkeypatch.setenv(EXAMPLE_IMAGES_URL_ENV, tmp_path.as_uri() + "/")
    return tmp_path


def test_urls_default_to_the_coco_server(monkeypatch):
    monkeypatch.delenv(EXAMPLE_IMAGES_URL_ENV, raising=False)
    assert example_image_urls() == COCO_EXAMPLE_URLS


def test_folder_url_keeps_the_file_names(photo_folder):
    urls = example_image_urls()
    assert [u.rsplit("/", 1)[-1] for u in urls] == [u.rsplit("/", 1)[-1] for u in COCO_EXAMPLE_URLS]
    assert all(u.startswith(photo_folder.as_uri()) for u in urls)


def test_downloaded_photos_are_writable_rgb_arrays_torch_takes_without_warning(photo_folder):
    examples = example_images(online=True, count=2)
    assert examples.source == "coco" and len(examples.images) == 2
    for image in examples.images:
        assert image.shape == (12, 16, 3) and image.dtype == np.uint8
        assert image.flags.writeable
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # torch warns "The given NumPy array is not writable"
            torch.from_numpy(image)


def test_unreachable_folder_falls_back_to_toyshapes_and_says_so(tmp_path, monkeypatch):
    monkeypatch.setenv(EXAMPLE_IMAGES_URL_ENV, (tmp_path / "missing").as_uri())
    examples = example_images(online=True, count=1)
    assert examples.source == "toy-shapes"
    assert "could not be downloaded" in examples.message
