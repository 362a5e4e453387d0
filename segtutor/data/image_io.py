"""Reading and writing image files: photos as RGB uint8, label PNGs as integer maps, with clear errors.

Photos in any common PIL mode are converted to RGB ``uint8``: grayscale is repeated on three channels,
the alpha channel of RGBA / LA images is dropped (as COCO tools do), palette images are looked up, and
16-bit images are scaled to 8 bits (``round(v / 257)``) instead of being clipped.

Label PNGs are *not* converted: their pixel values are ids, so a label PNG in the wrong mode is an error.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from segtutor.data.errors import DatasetFormatError

__all__ = [
    "MAX_IMAGE_PIXELS",
    "max_image_pixels",
    "panoptic_id_to_rgb",
    "read_label_png",
    "read_rgb",
    "rgb_to_panoptic_id",
    "write_png",
]

_SIXTEEN_BIT_MODES = ("I;16", "I;16L", "I;16B", "I;16N", "I")

#: Largest image (width x height, pixels) the readers decode: 178,956,970 is Pillow's own hard limit
#: (twice ``PIL.Image.MAX_IMAGE_PIXELS``), about 13,000 x 13,000. A file declaring more is refused before
#: it is decoded (a "decompression bomb": a few bytes can declare 10^10 pixels). To read bigger images set
#: the environment variable ``SEGTUTOR_MAX_IMAGE_PIXELS`` (e.g. ``400000000``) or assign
#: ``segtutor.data.image_io.MAX_IMAGE_PIXELS``.
MAX_IMAGE_PIXELS = 178_956_970

_CAP_FIX = (
    "if the image is real and you have the memory, raise the limit: set the environment variable "
    "SEGTUTOR_MAX_IMAGE_PIXELS (pixels, e.g. 400000000) or segtutor.data.image_io.MAX_IMAGE_PIXELS; "
    "otherwise re-export the image at its real size."
)


# Pillow's own limit (a global) is lifted while a header is read, one thread at a time: the cap below
# replaces it (and Pillow then neither warns nor raises).
_PILLOW_LIMIT_LOCK = threading.Lock()


def max_image_pixels() -> int:
    """The pixel cap in force: ``SEGTUTOR_MAX_IMAGE_PIXELS`` if set, else :data:`MAX_IMAGE_PIXELS`."""
    raw = os.environ.get("SEGTUTOR_MAX_IMAGE_PIXELS")
    if raw is None or not raw.strip():
        return MAX_IMAGE_PIXELS
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1:
        raise ValueError(f"SEGTUTOR_MAX_IMAGE_PIXELS must be a positive integer (pixels), got {raw!r}.")
    return value


def _open(path: Path, what: str, *, png_only: bool = False) -> Image.Image:
    if not path.is_file():
        raise DatasetFormatError(
            path,
            "file",
            f"the {what} file does not exist.",
            f"check the folder passed to the reader and that the {what} was copied or extracted completely.",
        )
    cap = max_image_pixels()
    try:
        with _PILLOW_LIMIT_LOCK:
            limit, Image.MAX_IMAGE_PIXELS = Image.MAX_IMAGE_PIXELS, None
            try:
                image = Image.open(path)  # reads the header only
            finally:
                Image.MAX_IMAGE_PIXELS = limit
        width, height = image.size
        if width * height > cap:
            image.close()
            raise DatasetFormatError(
                path,
                "size",
                f"the {what} declares {width} x {height} = {width * height:,} pixels, more than the "
                f"limit of {cap:,} (a corrupt or malicious file, or a huge image).",
                _CAP_FIX,
            )
        if png_only and image.format != "PNG":
            image.close()
            raise DatasetFormatError(
                path,
                "format",
                f"the {what} is a {image.format or 'non-PNG'} file, not a PNG (label files must be PNGs: "
                "lossy formats such as JPEG change pixel values, which invents labels).",
                f"save the {what} as a real (lossless) PNG from the original label array; renaming a "
                "JPEG to .png does not convert it.",
            )
        image.load()
    except DatasetFormatError:
        raise
    except Image.DecompressionBombError as exc:
        problem = f"the {what} is too large to decode ({exc})."
        raise DatasetFormatError(path, "size", problem, _CAP_FIX) from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as exc:
        raise DatasetFormatError(
            path,
            "file",
            f"the {what} cannot be decoded ({type(exc).__name__}: {exc}).",
            f"re-download or re-export the {what}; a truncated or non-image file cannot be read.",
        ) from exc
    return image


def read_rgb(path: str | Path) -> np.ndarray:
    """Read a photo as an RGB ``uint8`` array, converting any common mode.

    Parameters
    ----------
    path : str or Path
        JPEG, PNG, BMP, ... file.

    Returns
    -------
    ndarray, shape (H, W, 3), uint8

    Raises
    ------
    DatasetFormatError
        If the file is missing, declares more pixels than :func:`max_image_pixels` or cannot be decoded.
    """
    path = Path(path)
    image = _open(path, "image")
    if image.mode in _SIXTEEN_BIT_MODES:
        values = np.asarray(image, dtype=np.float64)
        gray = np.clip(np.rint(values / 257.0), 0, 255).astype(np.uint8)
        return np.repeat(gray[..., None], 3, axis=2)
    if image.mode == "F":
        values = np.asarray(image, dtype=np.float64)
        top = 1.0 if values.max(initial=0.0) <= 1.0 else 255.0
        gray = np.clip(np.rint(values / top * 255.0), 0, 255).astype(np.uint8)
        return np.repeat(gray[..., None], 3, axis=2)
    if image.mode == "P" and "transparency" in image.info:
        image = image.convert("RGBA")
    if image.mode != "RGB":
        image = image.convert("RGB")  # L, LA, RGBA, P, CMYK, YCbCr, 1: alpha dropped, palette looked up
    return np.array(image, dtype=np.uint8)


def read_label_png(path: str | Path, *, allowed_modes: tuple[str, ...], what: str, fix: str) -> np.ndarray:
    """Read a label PNG without converting its values.

    Parameters
    ----------
    path : str or Path
        The PNG file.
    allowed_modes : tuple of str
        PIL modes accepted, e.g. ``("RGB",)`` for COCO panoptic PNGs, ``("L", "P", "I;16", "I")`` for
        semantic PNGs.
    what : str
        Name of the file's role for error messages, e.g. ``"panoptic PNG"``.
    fix : str
        How to fix a file in the wrong mode.

    Returns
    -------
    ndarray
        ``(H, W, 3)`` uint8 for RGB, ``(H, W)`` int64 for single-channel modes.

    Raises
    ------
    DatasetFormatError
        If the file is missing, is not really a PNG (e.g. a JPEG renamed ``.png``), declares more pixels
        than :func:`max_image_pixels`, cannot be decoded or has a mode not in ``allowed_modes``.
    """
    path = Path(path)
    image = _open(path, what, png_only=True)
    if image.mode not in allowed_modes:
        raise DatasetFormatError(
            path,
            "mode",
            f"a {what} must have PIL mode {' or '.join(allowed_modes)}, got {image.mode!r}.",
            fix,
        )
    if image.mode == "RGB":
        return np.array(image, dtype=np.uint8)
    return np.array(image).astype(np.int64)


def rgb_to_panoptic_id(rgb: np.ndarray) -> np.ndarray:
    """Decode a COCO panoptic PNG: ``id = R + 256 * G + 256**2 * B``.

    Parameters
    ----------
    rgb : ndarray, shape (H, W, 3), uint8

    Returns
    -------
    ndarray, shape (H, W), int64
    """
    rgb = np.asarray(rgb, dtype=np.uint8)
    return (
        rgb[..., 0].astype(np.int64)
        | (rgb[..., 1].astype(np.int64) << 8)
        | (rgb[..., 2].astype(np.int64) << 16)
    )


def panoptic_id_to_rgb(ids: np.ndarray) -> np.ndarray:
    """Encode segment ids as a COCO panoptic RGB image (inverse of :func:`rgb_to_panoptic_id`).

    Parameters
    ----------
    ids : ndarray, shape (H, W), integer, values in ``[0, 256**3)``

    Returns
    -------
    ndarray, shape (H, W, 3), uint8
    """
    ids = np.asarray(ids, dtype=np.int64)
    if ids.size and (ids.min() < 0 or ids.max() >= 256**3):
        raise ValueError(f"panoptic ids must be in [0, 256**3), got range [{ids.min()}, {ids.max()}].")
    return np.stack([ids % 256, (ids // 256) % 256, ids // (256 * 256)], axis=-1).astype(np.uint8)


def write_png(path: str | Path, array: np.ndarray) -> None:
    """Write ``array`` as a PNG with deterministic bytes (no timestamps, fixed compression).

    Parameters
    ----------
    path : str or Path
        Destination; parent folders are created.
    array : ndarray
        ``(H, W, 3)`` uint8 (RGB) or ``(H, W)`` uint8 (mode L).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # zlib level 6: within 3% of the smallest file for these images, and 4x faster than level 9.
    Image.fromarray(np.ascontiguousarray(array)).save(path, format="PNG", compress_level=6)
