"""Example images for the lessons: real photos online, ToyShapes images offline.

Online (the Hub is reachable, e.g. on Colab) the lessons use the COCO 2017 validation photos that the
Hugging Face documentation uses; offline they use images from segtutor's bundled ToyShapes validation split.

The photos are downloaded from ``http://images.cocodataset.org/val2017``. Set the environment variable
``SEGTUTOR_EXAMPLE_IMAGES_URL`` to another folder URL holding the same file names (a mirror, a ``file://``
folder, or the test suite's local server) to fetch them from there instead.
"""

from __future__ import annotations

import io
import logging
import os
import urllib.request
from dataclasses import dataclass

import numpy as np
from PIL import Image

__all__ = [
    "COCO_EXAMPLE_URLS",
    "EXAMPLE_IMAGES_URL_ENV",
    "ExampleImages",
    "example_image_urls",
    "example_images",
]

log = logging.getLogger(__name__)

COCO_EXAMPLE_URLS = (
    "http://images.cocodataset.org/val2017/000000039769.jpg",  # two cats on a sofa
    "http://images.cocodataset.org/val2017/000000000139.jpg",  # a living room
    "http://images.cocodataset.org/val2017/000000000632.jpg",  # a bedroom
)
#: Environment variable naming another folder URL for the example photos (same file names).
EXAMPLE_IMAGES_URL_ENV = "SEGTUTOR_EXAMPLE_IMAGES_URL"


def example_image_urls() -> tuple[str, ...]:
    """Return the URLs of the example photos: :data:`COCO_EXAMPLE_URLS`, or the same file names under the
    folder URL in ``SEGTUTOR_EXAMPLE_IMAGES_URL`` when it is set."""
    base = os.environ.get(EXAMPLE_IMAGES_URL_ENV, "").strip()
    if not base:
        return COCO_EXAMPLE_URLS
    return tuple(f"{base.rstrip('/')}/{url.rsplit('/', 1)[-1]}" for url in COCO_EXAMPLE_URLS)


@dataclass
class ExampleImages:
    """Images for a lesson and where they came from.

    Attributes
    ----------
    images : list of ndarray
        RGB ``uint8`` arrays of shape (H, W, 3).
    names : list of str
        A short name per image.
    source : str
        ``"coco"`` (real photos) or ``"toy-shapes"``.
    message : str
        One sentence for the notebook saying which images are used and why.
    """

    images: list[np.ndarray]
    names: list[str]
    source: str
    message: str


def _download(url: str, timeout: float) -> np.ndarray:
    with urllib.request.urlopen(url, timeout=timeout) as response:
        # np.array copies: np.asarray of a PIL image is read-only, and torch warns about such arrays.
        return np.array(Image.open(io.BytesIO(response.read())).convert("RGB"))


def example_images(
    online: bool, count: int = 2, indices: list[int] | None = None, timeout: float = 10.0
) -> ExampleImages:
    """Return ``count`` example images: COCO photos when ``online``, else ToyShapes validation images.

    Parameters
    ----------
    online : bool
        Use real photos (needs the internet); when downloading fails the offline images are used instead,
        and the message says so.
    count : int
        How many images.
    indices : list of int, optional
        Which ToyShapes validation images (default: the first ``count``).
    timeout : float
        Seconds per download.
    """
    if online:
        try:
            urls = example_image_urls()[:count]
            images = [_download(url, timeout) for url in urls]
            return ExampleImages(
                images,
                [url.rsplit("/", 1)[-1] for url in urls],
                "coco",
                f"Using {len(images)} real photo{'s' if len(images) != 1 else ''} "
                "from the COCO 2017 validation set.",
            )
        except OSError as err:
            log.warning("Could not download the COCO example photos (%s); using ToyShapes images.", err)
            reason = "the COCO photos could not be downloaded"
    else:
        reason = "offline mode"
    from segtutor.data import open_dataset
    from segtutor.paths import data_dir

    val = open_dataset(data_dir() / "toy-shapes", "val", "panoptic")
    chosen = list(indices) if indices is not None else list(range(count))
    samples = [val[i] for i in chosen]
    return ExampleImages(
        [s.image for s in samples],
        [s.file_name for s in samples],
        "toy-shapes",
        f"Using {len(samples)} ToyShapes validation image{'s' if len(samples) != 1 else ''} ({reason}).",
    )
