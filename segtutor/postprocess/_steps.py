"""Small steps shared by `semantic`, `instance` and `panoptic`, each named after what it does."""

from __future__ import annotations

import itertools

import numpy as np
import torch
import torch.nn.functional as F

from segtutor.postprocess._inputs import TRANSFORMERS_MASK2FORMER_SIZE, Size

_CHUNK_BYTES = 64 * 2**20  # resize at most this many bytes of float planes at once


def resize(planes: torch.Tensor, size: Size) -> torch.Tensor:
    """Bilinear resize of ``(N, h, w)`` float planes to ``(N, *size)``, as transformers calls it."""
    if planes.shape[0] == 0:  # interpolate refuses empty batches
        return planes.new_empty((0, *size))
    return F.interpolate(planes.unsqueeze(0), size=size, mode="bilinear", align_corners=False)[0]


def resize_above(planes: torch.Tensor, size: Size, threshold: float) -> torch.Tensor:
    """``resize(planes, size) > threshold`` as ``(N, *size)`` bool, a few planes at a time (less memory)."""
    step = max(1, _CHUNK_BYTES // (4 * size[0] * size[1]))
    chunks = [resize(chunk, size) > threshold for chunk in planes.split(step)]
    return torch.cat(chunks) if chunks else planes.new_zeros((0, *size), dtype=torch.bool)


def resized_argmax(
    planes: torch.Tensor, size: Size, weights: torch.Tensor | None = None, threshold: float | None = None
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Best plane per pixel after ``resize`` (times ``weights``), and per plane the pixels >= ``threshold``.

    transformers' values, ``argmax(0)`` of them (the first on ties), a few planes at a time so that the
    whole stack is never held. Small outputs are resized in one call: there torch's kernel loops across
    the planes and rounds a plane depending on its place in the batch.
    """
    step = len(planes) if size[0] + size[1] <= 256 else max(1, _CHUNK_BYTES // (4 * size[0] * size[1]))
    best = owner = None
    counts = []
    for start in range(0, len(planes), step):
        chunk = planes[start : start + step]
        values = resize(chunk, size) if chunk.shape[-2:] != size else chunk.clone()
        if weights is not None:
            values.mul_(weights[start : start + step].view(-1, 1, 1))
        if threshold is not None:
            counts.append((values >= threshold).flatten(1).sum(dim=1))
        value, index = values.max(dim=0)  # the first of the best, as argmax (and faster)
        if best is None:
            best, owner = value, index
        else:  # strictly better only: on a tie the earlier plane keeps the pixel
            better = value > best
            best, owner = torch.where(better, value, best), torch.where(better, index + start, owner)
    return owner, torch.cat(counts) if counts else None


def resize_like_transformers_mask2former(mask_logits: torch.Tensor) -> torch.Tensor:
    """transformers' Mask2Former processor resizes mask logits to 384x384 first, whatever the image."""
    return resize(mask_logits, TRANSFORMERS_MASK2FORMER_SIZE)


def nearest_source_indices(
    source: Size, size: Size, device: torch.device
) -> tuple[torch.Tensor, torch.Tensor]:
    """Source row and column that ``interpolate(mode="nearest")`` copies into each output row and column.

    Asking torch itself (by resizing a ramp of indices) guarantees the same choice as transformers.
    """
    rows = torch.arange(source[0], dtype=torch.float32, device=device).view(1, 1, -1, 1)
    cols = torch.arange(source[1], dtype=torch.float32, device=device).view(1, 1, 1, -1)
    rows = F.interpolate(rows, size=(size[0], 1), mode="nearest").view(-1).long()
    cols = F.interpolate(cols, size=(1, size[1]), mode="nearest").view(-1).long()
    return rows, cols


def exceeds(values: torch.Tensor, threshold: float, *, strict: bool) -> torch.Tensor:
    """``value > threshold`` (``strict``) or ``value >= threshold`` per element, as Python decides it.

    transformers compares ``value.item()`` with the float ``threshold``; torch would round the threshold
    to float32. The nearest float32 on the correct side of the threshold gives Python's answer.
    """
    bound = np.float32(threshold)
    if strict and float(bound) > threshold:  # largest float32 <= threshold
        bound = np.nextafter(bound, np.float32(-np.inf))
    elif not strict and float(bound) < threshold:  # smallest float32 >= threshold
        bound = np.nextafter(bound, np.float32(np.inf))
    values = values.float()
    return values > float(bound) if strict else values >= float(bound)


def row_sums(values: torch.Tensor, batch_rows: int) -> torch.Tensor:
    """Sum each row of ``values (n, N)`` exactly as torch sums it inside a batch of ``batch_rows`` rows.

    torch splits a lone row between threads but sums each row of a batch in one thread, which rounds
    differently; a copy of the row makes a batch of two again.
    """
    if values.shape[0] == 1 and batch_rows > 1:
        return values.repeat(2, 1).sum(dim=1)[:1]
    return values.sum(dim=1)


def last_mask_index(masks: torch.Tensor) -> torch.Tensor:
    """Index of the last of ``masks (n, h, w)`` (bool) covering each pixel, -1 where none does (int64)."""
    order = torch.arange(1, masks.shape[0] + 1, dtype=torch.int32, device=masks.device).view(-1, 1, 1)
    if masks.shape[0] == 0:
        return torch.full(masks.shape[1:], -1, dtype=torch.long, device=masks.device)
    return (masks * order).amax(dim=0).long() - 1  # mask i votes i + 1 where it is on


def run_length_encode(segmentation: torch.Tensor) -> list[list[int]]:
    """transformers' RLE of a map: per segment id (ascending), ``[start_1, length_1, start_2, ...]``.

    Starts are 1-based positions in the row-major flattened map, as in transformers'
    ``convert_segmentation_to_rle`` (which is not COCO's alternating zeros/ones counts).
    """
    flat = segmentation.flatten()
    if flat.numel() == 0:
        return []
    starts = torch.cat([flat.new_zeros(1, dtype=torch.long), (flat[1:] != flat[:-1]).nonzero()[:, 0] + 1])
    lengths = torch.diff(starts, append=starts.new_tensor([flat.numel()]))
    values = flat[starts]
    order = torch.sort(values, stable=True).indices
    runs = zip(values[order].tolist(), (starts[order] + 1).tolist(), lengths[order].tolist(), strict=True)
    return [
        [number for _, start, length in group for number in (start, length)]
        for _, group in itertools.groupby(runs, key=lambda run: run[0])
    ]
