"""Real photographs for the example-image URLs: matplotlib's sample photo at the COCO photos' sizes."""

from __future__ import annotations

import io

import matplotlib
from PIL import Image

from segtutor.examples import COCO_EXAMPLE_URLS

# (width, height) of the three COCO validation photos the lessons use
SIZES = ((640, 480), (640, 426), (640, 483))


def example_photos() -> dict[str, bytes]:
    """``{file name: JPEG bytes}`` for the names in :data:`segtutor.examples.COCO_EXAMPLE_URLS`."""
    source = Image.open(matplotlib.get_data_path() + "/sample_data/grace_hopper.jpg").convert("RGB")
    photos = {}
    for k, (url, (width, height)) in enumerate(zip(COCO_EXAMPLE_URLS, SIZES, strict=True)):
        top = 40 * k  # a different crop per photo
        crop = source.crop((0, top, source.width, top + source.width * height // width))
        buffer = io.BytesIO()
        crop.resize((width, height), Image.BILINEAR).save(buffer, format="JPEG", quality=90)
        photos[url.rsplit("/", 1)[-1]] = buffer.getvalue()
    return photos
