"""Turn one image and its binary masks into the training inputs of MaskFormer, Mask2Former or DETR.

What each model's ``forward`` takes for training (after :func:`collate_fn` batches the examples):

* Mask2Former / MaskFormer / EoMT: ``pixel_values`` (B, 3, H, W) float32, ``pixel_mask`` (B, H, W) int64
  (1 = real pixel, 0 = padding; EoMT's ``forward`` ignores it), ``mask_labels``: list of (N_i, H, W) float32
  binary masks, ``class_labels``: list of (N_i,) int64 label ids.
* DETR (segmentation): ``pixel_values``, ``pixel_mask`` and ``labels``: list of dicts with ``class_labels``
  (N_i,) int64, ``boxes`` (N_i, 4) float32 normalised (centre x, centre y, width, height) in [0, 1] and
  ``masks`` (N_i, H, W) bool.

Two paths give the same tensors: the *processor path* calls the transformers image processor (resize,
rescale, normalise; for Mask2Former / MaskFormer also the masks); the *fast path* does the same resize and
normalisation directly with torch, which is several times faster on small images. Masks are always resized
with nearest-neighbour interpolation, so labels stay exact; a mask left empty by resizing is dropped.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import torch
from torchvision.transforms.v2 import functional as tvF

__all__ = ["ARCHITECTURES", "architecture_of", "collate_fn", "encode_example"]

Arch = Literal["mask2former", "maskformer", "detr", "eomt"]
ARCHITECTURES: tuple[str, ...] = ("mask2former", "maskformer", "detr", "eomt")


def architecture_of(processor: Any) -> Arch:
    """Guess the architecture from an image processor's class name (``Mask2FormerImageProcessor`` -> ...)."""
    name = type(processor).__name__.lower()
    for arch in ARCHITECTURES:
        if name.startswith(arch):
            return arch  # type: ignore[return-value]
    raise ValueError(
        f"cannot tell the architecture of a {type(processor).__name__}: expected a Mask2Former, MaskFormer, "
        "DETR or EoMT image processor; pass arch='mask2former' | 'maskformer' | 'detr' | 'eomt' explicitly."
    )


def _index_map(masks: np.ndarray) -> np.ndarray:
    """(N, H, W) bool -> (H, W) int32 with k + 1 where mask k is (later masks win), 0 elsewhere."""
    out = np.zeros(masks.shape[1:], dtype=np.int32)
    for k, mask in enumerate(masks):
        out[mask] = k + 1
    return out


_OUTPUT_SIZE_CACHE: dict[tuple, tuple[tuple[int, int], tuple[int, int]]] = {}


def _output_size(processor: Any, height: int, width: int) -> tuple[tuple[int, int], tuple[int, int]]:
    """(resized size, padded size) the processor gives a ``height`` x ``width`` image; asked once per
    processor settings and input size, then cached. The padded size differs only with ``pad_size``."""
    settings = ("size", "size_divisor", "do_resize", "pad_size", "do_pad")
    key = (type(processor).__name__, *(repr(getattr(processor, k, None)) for k in settings), height, width)
    if key not in _OUTPUT_SIZE_CACHE:
        image = [np.zeros((height, width, 3), dtype=np.uint8)]
        probe = processor(images=image, return_tensors="pt")
        if "pixel_mask" in probe:
            valid = probe["pixel_mask"][0]
            resized = (int(valid[:, 0].sum()), int(valid[0].sum()))
        elif getattr(processor, "do_pad", False):  # EoMT pads without a pixel_mask: ask for the unpadded size
            unpadded = processor(images=image, do_pad=False, return_tensors="pt")["pixel_values"]
            resized = tuple(unpadded.shape[-2:])
        else:
            resized = tuple(probe["pixel_values"].shape[-2:])
        _OUTPUT_SIZE_CACHE[key] = (resized, tuple(probe["pixel_values"].shape[-2:]))
    return _OUTPUT_SIZE_CACHE[key]


def _fast_pixel_values(processor: Any, image: np.ndarray, out_hw: tuple[int, int]) -> torch.Tensor:
    """Resize (bilinear, antialiased), rescale and normalise like a transformers torchvision processor."""
    pixels = torch.from_numpy(np.ascontiguousarray(image)).permute(2, 0, 1)
    if getattr(processor, "do_resize", True) and tuple(pixels.shape[-2:]) != out_hw:
        pixels = tvF.resize(
            pixels, list(out_hw), interpolation=tvF.InterpolationMode.BILINEAR, antialias=True
        )
    pixels = pixels.to(torch.float32)
    scale = processor.rescale_factor if processor.do_rescale else 1.0
    if processor.do_normalize:
        mean = torch.tensor(processor.image_mean, dtype=torch.float32) * (1.0 / scale)
        std = torch.tensor(processor.image_std, dtype=torch.float32) * (1.0 / scale)
        return tvF.normalize(pixels, mean.tolist(), std.tolist())
    return pixels * scale


def _resize_index_map(index: np.ndarray, out_hw: tuple[int, int]) -> torch.Tensor:
    labels = torch.from_numpy(index)[None]
    if tuple(labels.shape[-2:]) != out_hw:
        labels = tvF.resize(labels, list(out_hw), interpolation=tvF.InterpolationMode.NEAREST_EXACT)
    return labels[0]


def _masks_from_index(index: torch.Tensor, class_labels: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
    """Binary masks (M, H, W) and labels (M,) of the ids still present, in id order."""
    counts = torch.bincount(index.flatten(), minlength=len(class_labels) + 1)
    ids = torch.nonzero(counts[1:]).flatten() + 1
    masks = index[None] == ids[:, None, None]
    labels = torch.as_tensor(class_labels, dtype=torch.int64)[(ids - 1).long()]
    return masks, labels


def _boxes_cxcywh(masks: torch.Tensor) -> torch.Tensor:
    """Normalised (cx, cy, w, h) boxes around the pixels of each mask (pixel edges, so a 1-pixel mask has
    width 1 / W)."""
    n, h, w = masks.shape
    if n == 0:
        return torch.zeros((0, 4), dtype=torch.float32)
    rows, cols = masks.any(dim=2), masks.any(dim=1)
    ar_h, ar_w = torch.arange(h), torch.arange(w)
    y0 = torch.where(rows, ar_h, h).min(dim=1).values
    y1 = torch.where(rows, ar_h, -1).max(dim=1).values + 1
    x0 = torch.where(cols, ar_w, w).min(dim=1).values
    x1 = torch.where(cols, ar_w, -1).max(dim=1).values + 1
    boxes = torch.stack([(x0 + x1) / 2 / w, (y0 + y1) / 2 / h, (x1 - x0) / w, (y1 - y0) / h], dim=1)
    return boxes.to(torch.float32)


def encode_example(
    image: np.ndarray,
    masks: np.ndarray,
    class_labels: np.ndarray,
    processor: Any,
    arch: Arch,
    *,
    fast: bool = True,
) -> dict[str, Any]:
    """Encode one training example for ``arch``.

    Parameters
    ----------
    image : ndarray, shape (H, W, 3), uint8
        RGB image.
    masks : ndarray, shape (N, H, W), bool
        Binary masks (``N`` may be 0). Where masks overlap, the later one wins.
    class_labels : ndarray, shape (N,), int64
        Model label id of each mask.
    processor : transformers image processor
        ``Mask2FormerImageProcessor``, ``MaskFormerImageProcessor``, ``DetrImageProcessor`` or
        ``EomtImageProcessor``.
    arch : {"mask2former", "maskformer", "detr", "eomt"}
        Which model the inputs are for.
    fast : bool
        Use the torch fast path instead of calling the processor (same tensors).

    Returns
    -------
    dict
        ``pixel_values`` (3, H', W') float32 and ``pixel_mask`` (H', W') int64, plus ``mask_labels``
        (M, H', W') float32 and ``class_labels`` (M,) int64 (mask classification) or ``labels`` (dict with
        ``class_labels``, ``boxes``, ``masks``, ``size``) for DETR. ``M <= N``: masks emptied by resizing are
        dropped.
    """
    if arch not in ARCHITECTURES:
        raise ValueError(f"arch must be one of {ARCHITECTURES}, got {arch!r}.")
    h, w = image.shape[:2]
    resized_hw, padded_hw = _output_size(processor, h, w)
    index = _index_map(masks)
    if not fast and arch != "detr":
        mapping = {k + 1: int(c) for k, c in enumerate(class_labels)}
        encoded = processor(
            images=[image],
            segmentation_maps=[index],
            instance_id_to_semantic_id=mapping,
            ignore_index=0,
            do_reduce_labels=False,
            return_tensors="pt",
        )
        pixel_values = encoded["pixel_values"][0]
        if "pixel_mask" in encoded:
            pixel_mask = encoded["pixel_mask"][0].to(torch.int64)
        else:  # EoMT: the image is the resized region, the rest is padding
            pixel_mask = _pad(torch.ones(resized_hw, dtype=torch.int64), padded_hw)
        return {
            "pixel_values": pixel_values,
            "pixel_mask": pixel_mask,
            "mask_labels": encoded["mask_labels"][0].to(torch.float32),
            "class_labels": encoded["class_labels"][0].to(torch.int64),
        }
    if fast:
        pixel_values = _pad(_fast_pixel_values(processor, image, resized_hw), padded_hw)
        pixel_mask = _pad(torch.ones(resized_hw, dtype=torch.int64), padded_hw)
    else:  # DETR's processor takes masks only from files, so it handles the image and we the masks
        encoded = processor(images=[image], return_tensors="pt")
        pixel_values = encoded["pixel_values"][0]
        pixel_mask = encoded["pixel_mask"][0].to(torch.int64)
    binary, labels = _masks_from_index(_resize_index_map(index, resized_hw), class_labels)
    binary = _pad(binary, padded_hw)
    if arch == "detr":
        target = {
            "class_labels": labels,
            "boxes": _boxes_cxcywh(binary),
            "masks": binary,
            "size": torch.tensor(padded_hw, dtype=torch.int64),
        }
        return {"pixel_values": pixel_values, "pixel_mask": pixel_mask, "labels": target}
    return {
        "pixel_values": pixel_values,
        "pixel_mask": pixel_mask,
        "mask_labels": binary.to(torch.float32),
        "class_labels": labels,
    }


def _pad(tensor: torch.Tensor, hw: tuple[int, int]) -> torch.Tensor:
    dh, dw = hw[0] - tensor.shape[-2], hw[1] - tensor.shape[-1]
    return tensor if dh == dw == 0 else torch.nn.functional.pad(tensor, (0, dw, 0, dh))


def collate_fn(batch: list[dict[str, Any]]) -> dict[str, Any]:
    """Batch encoded examples: pad images (and masks) bottom-right to the largest size, with ``pixel_mask``.

    Parameters
    ----------
    batch : list of dict
        Outputs of :func:`encode_example` (or ``TrainingDataset[i]``), all for the same architecture.

    Returns
    -------
    dict
        ``pixel_values`` (B, 3, H, W) float32, ``pixel_mask`` (B, H, W) int64 and either ``mask_labels`` /
        ``class_labels`` (lists, Mask2Former / MaskFormer) or ``labels`` (list of dicts, DETR), ready for
        ``model(**batch)``. DETR boxes are rescaled to the padded size.
    """
    if not batch:
        raise ValueError("collate_fn got an empty batch; a DataLoader batch has at least one example.")
    hw = (max(x["pixel_values"].shape[-2] for x in batch), max(x["pixel_values"].shape[-1] for x in batch))
    out: dict[str, Any] = {
        "pixel_values": torch.stack([_pad(x["pixel_values"], hw) for x in batch]),
        "pixel_mask": torch.stack([_pad(x["pixel_mask"], hw) for x in batch]),
    }
    if "labels" in batch[0]:
        labels = []
        for x in batch:
            target = dict(x["labels"])
            h, w = x["pixel_values"].shape[-2:]
            scale = torch.tensor([w / hw[1], h / hw[0], w / hw[1], h / hw[0]], dtype=torch.float32)
            target["boxes"] = target["boxes"] * scale
            target["masks"] = _pad(target["masks"], hw)
            labels.append(target)
        out["labels"] = labels
    else:
        out["mask_labels"] = [_pad(x["mask_labels"], hw) for x in batch]
        out["class_labels"] = [x["class_labels"] for x in batch]
    return out
