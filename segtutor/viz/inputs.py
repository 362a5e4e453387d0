"""Inputs without ceremony: turn whatever a notebook holds into an RGB image and a category table.

Images may be PIL images, NumPy arrays (HWC or CHW, uint8 or float), torch tensors (CHW, with or without a
batch of one) or normalised ``pixel_values`` from an image processor. Categories may be a list of
:class:`~segtutor.categories.Category`, an ``id2label`` mapping (keys may be strings, as in JSON configs), a
model or a config that has ``id2label``, or a list of names.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import PIL.Image

from segtutor.categories import Category, categories_from_id2label, fallback_color
from segtutor.data.targets import Sample

__all__ = ["as_categories", "as_rgb_image", "to_numpy"]

#: PIL modes whose pixels are numbers wider than 8 bits (16-bit PNGs open as "I;16" or "I").
_PIL_NUMBER_MODES = frozenset({"I", "I;16", "I;16B", "I;16L", "I;16N", "F"})


def to_numpy(x: Any) -> np.ndarray:
    """Return ``x`` as a NumPy array without copying when possible (torch tensors are detached, moved to CPU).

    The result may share memory with ``x``: callers in segtutor never write into it.
    """
    if type(x).__module__.split(".")[0] == "torch":
        x = x.detach()
        if str(x.dtype) in ("torch.bfloat16", "torch.float16"):
            x = x.float()
        return x.cpu().numpy()
    return np.asarray(x)


def _processor_stats(processor: Any) -> tuple[Any, Any, float]:
    mean = getattr(processor, "image_mean", None)
    std = getattr(processor, "image_std", None)
    if mean is None or std is None:
        raise ValueError(
            f"processor {type(processor).__name__} has no image_mean / image_std: pass image_mean= and "
            "image_std= yourself (the values used to normalise pixel_values)."
        )
    scale = getattr(processor, "rescale_factor", 1 / 255)
    return mean, std, float(scale if getattr(processor, "do_rescale", True) else 1.0)


def as_rgb_image(
    image: Any,
    *,
    image_mean: Sequence[float] | None = None,
    image_std: Sequence[float] | None = None,
    processor: Any = None,
    pixel_mask: Any = None,
    copy: bool = True,
) -> np.ndarray:
    """Return ``image`` as an RGB ``uint8`` array of shape ``(H, W, 3)``; the input is never modified.

    Parameters
    ----------
    image : PIL.Image, ndarray, torch.Tensor or Sample
        * PIL image in any mode: grey (``L``), palette (``P``), ``RGBA``, ``LA``, ``CMYK`` ... are converted
          to RGB (transparency is dropped); 16-bit grey (``I;16``) is scaled to 8 bits;
        * array ``(H, W)`` or ``(H, W, 1)`` (grey, repeated to three channels), ``(H, W, 2)`` (grey + alpha),
          ``(H, W, 3)``, ``(H, W, 4)`` (RGBA: alpha dropped) or ``(C, H, W)``: ``uint8`` or other integers
          in 0..255, ``uint16`` (divided by 256), or float in 0..1 (values up to 255 are read as 0..255);
        * torch tensor ``(3, H, W)`` or ``(1, 3, H, W)``, e.g. ``inputs["pixel_values"]``;
        * a :class:`~segtutor.data.targets.Sample` (its image).
    image_mean, image_std : sequence of 3 float, optional
        The normalisation an image processor applied (``x = (rescale * pixel - mean) / std``): given, the
        image is de-normalised first. Needed for ``pixel_values``.
    processor : image processor, optional
        Read ``image_mean``, ``image_std`` and ``rescale_factor`` from it instead.
    pixel_mask : array or tensor ``(H, W)`` or ``(1, H, W)``, optional
        The processor's padding mask; the padded border (``0``) is cropped away.
    copy : bool
        ``False`` lets an ``(H, W, 3) uint8`` input through without a copy (for read-only use).

    Returns
    -------
    ndarray, shape (H, W, 3), uint8
        A new array unless ``copy=False`` and no conversion was needed.

    Raises
    ------
    ValueError
        For an unsupported shape, integers outside 0..255 (other than ``uint16``), or float values that
        look normalised while no mean / std was given; the message says how to convert the image.

    Examples
    --------
    Call it before an image processor, which cannot read grey or RGBA arrays::

        inputs = processor(images=as_rgb_image(image), return_tensors="pt")
    """
    if isinstance(image, Sample):
        return image.image.copy() if copy else image.image
    if isinstance(image, PIL.Image.Image):
        if image.mode in _PIL_NUMBER_MODES:  # 16-bit / 32-bit / float pixels: PIL's convert would clip them
            return as_rgb_image(np.array(image), copy=False)
        return np.array(image.convert("RGB"))  # L, LA, P, RGBA, CMYK, ... (transparency is dropped)
    scale = 1 / 255
    if processor is not None:
        image_mean, image_std, scale = _processor_stats(processor)
    arr = to_numpy(image)
    if arr.ndim == 4 and arr.shape[0] == 1:
        arr = arr[0]
    if arr.ndim == 3 and arr.shape[0] in (1, 2, 3, 4) and arr.shape[-1] not in (1, 2, 3, 4):
        arr = np.moveaxis(arr, 0, -1)  # CHW -> HWC
    if arr.ndim == 3 and arr.shape[-1] in (1, 2):  # grey, or grey + alpha (LA): drop the alpha
        arr = arr[..., 0]
    if arr.ndim == 2:
        arr = np.stack([arr] * 3, axis=-1)
    if arr.ndim != 3 or arr.shape[-1] not in (3, 4):
        raise ValueError(
            f"image: expected (H, W, 3) RGB, (H, W, 4) RGBA, (H, W) or (H, W, 1) grey, or (3, H, W) CHW "
            f"(optionally a batch of one), got shape {arr.shape}. Pass a single image, e.g. "
            "pixel_values[0], or a PIL image converted with image.convert('RGB')."
        )
    arr = arr[..., :3]  # RGBA: the alpha channel is dropped, as PIL's convert("RGB") does
    if image_mean is not None or image_std is not None:
        if image_mean is None or image_std is None:
            raise ValueError("image: pass both image_mean and image_std (or processor=), not only one.")
        mean = np.asarray(image_mean, dtype=np.float32).reshape(1, 1, -1)
        std = np.asarray(image_std, dtype=np.float32).reshape(1, 1, -1)
        arr = (arr.astype(np.float32) * std + mean) / scale
        arr = np.clip(np.rint(arr), 0, 255).astype(np.uint8)
    elif arr.dtype == np.uint8:
        arr = arr.copy() if copy else arr
    elif arr.dtype == np.bool_:
        arr = arr.astype(np.uint8) * 255
    elif np.issubdtype(arr.dtype, np.integer):
        arr = _int_to_uint8(arr)
    else:
        arr = _float_to_uint8(arr)
    if pixel_mask is not None:
        arr = _crop_to_mask(arr, pixel_mask)
    return arr


def _int_to_uint8(arr: np.ndarray) -> np.ndarray:
    """Integer pixels: 0..255 as they are, ``uint16`` (16-bit PNGs) scaled down by 256, else refused."""
    if arr.dtype == np.uint16:
        return (arr >> 8).astype(np.uint8)
    lo, hi = (int(arr.min()), int(arr.max())) if arr.size else (0, 0)
    if lo < 0 or hi > 255:
        raise ValueError(
            f"image: integer pixel values in [{lo}, {hi}] ({arr.dtype}) are not 8-bit (0..255). Scale them "
            "to 0..255 yourself, e.g. (arr / arr.max() * 255).astype(np.uint8), or pass uint16 for 16-bit."
        )
    return arr.astype(np.uint8)


def _float_to_uint8(arr: np.ndarray) -> np.ndarray:
    lo, hi = (float(arr.min()), float(arr.max())) if arr.size else (0.0, 1.0)
    if lo < 0.0 or hi > 255.0:
        raise ValueError(
            f"image: float values in [{lo:.2f}, {hi:.2f}] look normalised (expected 0..1 or 0..255). "
            "Pass image_mean= and image_std= (or processor=) to de-normalise pixel_values."
        )
    if hi <= 1.0:
        arr = arr * 255.0
    return np.clip(np.rint(arr), 0, 255).astype(np.uint8)


def _crop_to_mask(arr: np.ndarray, pixel_mask: Any) -> np.ndarray:
    mask = to_numpy(pixel_mask)
    mask = mask.reshape(mask.shape[-2:]) if mask.ndim == 3 and mask.shape[0] == 1 else mask
    if mask.shape != arr.shape[:2]:
        raise ValueError(
            f"pixel_mask: expected shape {arr.shape[:2]} (the image's height, width), got {mask.shape}. "
            "Pass the pixel_mask of the same image, e.g. inputs['pixel_mask'][0]."
        )
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    if rows.size == 0:
        return arr
    return arr[: rows[-1] + 1, : cols[-1] + 1].copy()


def as_categories(labels: Any, thing_ids: Sequence[int] | None = None) -> dict[int, Category]:
    """Return a ``{label id: Category}`` table from any usual description of the classes.

    Parameters
    ----------
    labels : list of Category, mapping, model / config with ``id2label``, Sample, or list of str
        * list of :class:`~segtutor.categories.Category` (keeps their colours and thing / stuff flags);
        * ``id2label`` mapping, ``{0: "sky", ...}`` or ``{"0": "sky", ...}`` as stored in ``config.json``;
        * a transformers model or config (its ``id2label`` is used);
        * a :class:`~segtutor.data.targets.Sample` (its ``categories``);
        * a list of names (ids 0, 1, 2, ...).
    thing_ids : sequence of int, optional
        For mappings and names only: which ids are things. ``None`` makes every class a thing.

    Returns
    -------
    dict of int to Category

    Raises
    ------
    ValueError
        If ``labels`` is missing or a key is not an integer.
    TypeError
        If ``labels`` is none of the accepted types.
    """
    if labels is None:
        raise ValueError(
            "categories: none given. Pass the dataset categories (sample.categories) or the model's "
            "id2label (model.config.id2label)."
        )
    if isinstance(labels, Sample):
        return {c.id: c for c in labels.categories}
    config = getattr(labels, "config", labels)
    if hasattr(config, "id2label") and not isinstance(labels, Mapping):
        labels = config.id2label
    if isinstance(labels, Mapping):
        values = list(labels.values())
        if values and all(isinstance(v, Category) for v in values):
            return {c.id: c for c in values}
        for key in labels:
            if not str(key).lstrip("-").isdigit():
                raise ValueError(
                    f"categories: id2label keys must be integers (or digit strings), got {key!r}. "
                    "Pass model.config.id2label or a list of Category."
                )
        return {c.id: c for c in categories_from_id2label(labels, thing_ids)}
    if not isinstance(labels, Iterable) or isinstance(labels, str):
        raise TypeError(
            f"categories: expected a list of Category, an id2label mapping or a model config, got "
            f"{type(labels).__name__}."
        )
    items = list(labels)
    if items and all(isinstance(c, Category) for c in items):
        return {c.id: c for c in items}
    if all(isinstance(c, str) for c in items):
        things = None if thing_ids is None else {int(i) for i in thing_ids}
        return {
            i: Category(i, name, True if things is None else i in things, fallback_color(i))
            for i, name in enumerate(items)
        }
    raise TypeError(
        "categories: expected a list of Category or of names, got a list of "
        f"{sorted({type(c).__name__ for c in items})}."
    )
