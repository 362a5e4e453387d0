"""Private steps shared by `semantic`, `instance` and `panoptic`, each named after what it does.

Compatible mode calls ``torch.nn.functional.interpolate`` exactly as transformers does, but often on
fewer masks. For outputs of ordinary size torch resizes every (batch, channel) plane on its own, so a
plane resized alone equals the same plane resized among others (the tests check this on the
installed torch); very small outputs are the exception, handled in ``_shared_planes``. With a single
torch thread (``torch.set_num_threads(1)``) torch's CPU kernel rounds a plane resized among others
differently, depending on the others: transformers' own result then depends on how many masks it
resizes together, and compatible mode can differ from it in the last bit of a score, which changes a
map only at a near-tie (the equivalence tests pass with one thread too).
"""

from __future__ import annotations

import functools
import itertools

import numpy as np
import torch
import torch.nn.functional as F

from segtutor.postprocess._inputs import TRANSFORMERS_MASK2FORMER_SIZE, Size

# Resize at most this many bytes of float planes at once, to keep peak memory low on large images.
_CHUNK_BYTES = 16 * 2**20


def sigmoid_as_in_whole_maps(values: torch.Tensor) -> torch.Tensor:
    """``sigmoid`` of a few gathered values, rounded as when torch computes it on whole maps.

    torch's CPU sigmoid computes vectorised blocks and finishes each thread's share of a tensor with
    scalar code, which can round differently. Whole maps (384x384) split into vectorised blocks only; a
    copy padded to a multiple of 256 values per thread does too. `sigmoid_gathers_like_whole_maps` checks
    this on the installed torch.
    """
    count = values.numel()
    multiple = 256 * torch.get_num_threads()
    padded = torch.cat([values.reshape(-1), values.new_zeros((-count) % multiple)])
    return padded.sigmoid_()[:count].view(values.shape)


@functools.lru_cache(maxsize=8)
def sigmoid_gathers_like_whole_maps(threads: int) -> bool:
    """Whether `sigmoid_as_in_whole_maps` equals ``sigmoid`` on whole maps here, with ``threads`` threads."""
    generator = torch.Generator().manual_seed(0)
    maps = torch.randn(7, 96, 128, generator=generator) * 30  # whole maps, as many as some models keep
    whole = maps.sigmoid()
    for count in (1, 15, 100, 1000, 40_000):
        index = torch.randint(0, maps.numel(), (count,), generator=generator)
        if not torch.equal(sigmoid_as_in_whole_maps(maps.view(-1)[index]), whole.view(-1)[index]):
            return False
    return True


def resize(planes: torch.Tensor, size: Size) -> torch.Tensor:
    """Bilinear resize of ``(N, h, w)`` float planes to ``(N, *size)``, as transformers calls it."""
    if planes.shape[0] == 0:  # interpolate refuses empty batches
        return planes.new_empty((0, *size))
    return F.interpolate(planes.unsqueeze(0), size=size, mode="bilinear", align_corners=False)[0]


def resize_like_transformers_mask2former(mask_logits: torch.Tensor) -> torch.Tensor:
    """transformers' Mask2Former processor resizes mask logits to 384x384 first, whatever the image."""
    return resize(mask_logits, TRANSFORMERS_MASK2FORMER_SIZE)


def mask_grid_size(mask_logits: torch.Tensor, mask2former: bool) -> Size:
    """Size of the maps returned without ``target_sizes`` (384x384 for transformers' Mask2Former)."""
    return TRANSFORMERS_MASK2FORMER_SIZE if mask2former else (mask_logits.shape[-2], mask_logits.shape[-1])


def planes_per_chunk(size: Size) -> int:
    """How many float32 planes of ``size`` fit in the chunk budget (at least one)."""
    return max(1, _CHUNK_BYTES // (4 * size[0] * size[1]))


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

    transformers compares ``value.item()`` with the float ``threshold``; torch would instead round the
    threshold to float32. Comparing with the nearest float32 on the correct side of the threshold gives
    Python's answer without float64 (which MPS lacks).
    """
    bound = np.float32(threshold)
    if strict and float(bound) > threshold:  # largest float32 <= threshold
        bound = np.nextafter(bound, np.float32(-np.inf))
    elif not strict and float(bound) < threshold:  # smallest float32 >= threshold
        bound = np.nextafter(bound, np.float32(np.inf))
    values = values.float()
    return values > float(bound) if strict else values >= float(bound)


def indicator(values: torch.Tensor, threshold: float, *, strict: bool) -> torch.Tensor:
    """float32 1.0 where ``values`` exceed (``strict``) or reach ``threshold``, else 0.0.

    Equals ``(values > threshold).float()``; writing the comparison straight into a float tensor
    avoids torch's slow bool conversions, and float sums of these are exact counts (below 2**24).
    """
    out = torch.empty(values.shape, dtype=torch.float32, device=values.device)
    return torch.gt(values, threshold, out=out) if strict else torch.ge(values, threshold, out=out)


def row_sums(values: torch.Tensor, batch_rows: int) -> torch.Tensor:
    """Sum each row of ``values (n, N)`` exactly as torch sums them inside a batch of ``batch_rows`` rows.

    torch splits a lone row between threads but sums each row of a batch in one thread, which rounds
    differently; a copy of the row makes a batch of two again.
    """
    if values.shape[0] == 1 and batch_rows > 1:
        return values.repeat(2, 1).sum(dim=1)[:1]
    return values.sum(dim=1)


def last_mask_index(masks: torch.Tensor) -> torch.Tensor:
    """Index of the last of ``masks (n, h, w)`` (bool) covering each pixel, -1 where none does (int64).

    Mask ``i`` votes ``i + 1`` where it is on and 0 elsewhere; the highest vote is the last mask.
    """
    last = torch.zeros(masks.shape[1:], dtype=torch.int32, device=masks.device)
    for start in range(0, masks.shape[0], planes_per_chunk(last.shape)):
        chunk = masks[start : start + planes_per_chunk(last.shape)]
        votes = torch.arange(start + 1, start + 1 + len(chunk), dtype=torch.int32, device=masks.device)
        last = torch.maximum(last, (chunk * votes.view(-1, 1, 1)).amax(dim=0))
    return last.long() - 1


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
