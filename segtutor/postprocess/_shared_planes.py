"""Upsample -> argmax for many maps at once, resizing a few shared planes instead of every map.

Post-processing resizes many score maps (one per query or class) to the output size only to take,
at each pixel, the best one (and, for panoptic, to count where each map reaches a threshold). Most
maps matter in a small part of the image only, so:

1. bounds: bilinear resizing mixes a 2x2 block of neighbouring source pixels with non-negative
   weights, so a resized value lies between the block's minimum and maximum;
2. a map *matters* in a block if its maximum there could still beat the best minimum (it could win)
   or reach the threshold (it could be counted); elsewhere it can be ignored;
3. maps that never matter near each other share a plane, which holds at each source pixel the
   value of the one map that matters there;
4. resizing a plane (the same ``interpolate`` call) gives, wherever a map matters, exactly the value
   that resizing the map alone would give: same source pixels, same weights, same arithmetic;
5. the argmax and the counts are then taken over the few planes.

The result is identical to ``resize(maps, size) * weights`` followed by ``argmax`` (first maximum on
ties) and ``>= threshold`` counts; a small relative margin keeps rounding on the safe side.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from segtutor.postprocess._inputs import Size
from segtutor.postprocess._steps import resize

_MARGIN = 1e-5  # relative; bilinear resizing and one product round by a few 1e-7 at most

# For small outputs (height + width <= 128 on torch 2.x) torch's CPU kernel loops across the maps, and
# a map's rounding then depends on its position in the batch. Such outputs are cheap: resize all the
# maps in one call, exactly as transformers does.
_SMALL_OUTPUT = 256


def is_small(size: Size) -> bool:
    """Whether ``size`` is small enough to resize every map in one call (see ``_SMALL_OUTPUT``)."""
    return size[0] + size[1] <= _SMALL_OUTPUT


def resized_argmax(
    maps: torch.Tensor,
    size: Size,
    *,
    weights: torch.Tensor | None = None,
    threshold: float | None = None,
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Best map per pixel after resizing, and how often each resized map reaches ``threshold``.

    Parameters
    ----------
    maps : torch.Tensor
        ``(n, h, w)`` non-negative float32 maps, ``n >= 1``.
    size : (int, int)
        Output size ``(H, W)``.
    weights : torch.Tensor, optional
        ``(n,)`` non-negative factors applied after resizing (``None``: no weighting).
    threshold : float, optional
        Count, per map, the output pixels whose weighted value is at least this.

    Returns
    -------
    owner : torch.Tensor
        ``(H, W)`` int64 index of the best map, the lowest index on ties.
    counts : torch.Tensor or None
        ``(n,)`` int64 counts, or ``None`` without ``threshold``.
    """
    if is_small(size):
        values = resize(maps, size) if weights is None else resize(maps, size) * weights.view(-1, 1, 1)
        counts = None if threshold is None else (values >= threshold).flatten(1).sum(dim=1)
        return values.argmax(dim=0), counts
    count, height, width = maps.shape
    scale = maps.new_ones(count) if weights is None else weights
    planes, plane_owners = _share_planes(maps, _where_maps_matter(maps, scale, threshold))
    # each output pixel reads the 2x2 source block that starts at this flat index
    rows = _first_source_index(height, size[0], maps.device)
    cols = _first_source_index(width, size[1], maps.device)
    block = rows.view(-1, 1) * width + cols.view(1, -1)
    factor = torch.cat([scale, scale.new_zeros(1)])  # label `count` (no map) -> 0, below any real value
    best = owner = None
    counts = torch.zeros(count + 1, dtype=torch.long, device=maps.device)
    for plane, owners in zip(planes, plane_owners, strict=True):
        # which map each output pixel of this plane shows, and that map's exact resized value
        labels = owners.take(block)
        values = resize(plane.unsqueeze(0), size)[0].mul_(factor[labels])
        if threshold is not None:
            counts += torch.bincount(
                torch.where(values >= threshold, labels, count).flatten(), minlength=count + 1
            )
        if best is None:
            best, owner = values, labels
        else:  # a higher value wins; on a tie the lower map index, as argmax would choose
            wins = (values > best) | ((values == best) & (labels < owner))
            owner = torch.where(wins, labels, owner)
            torch.maximum(best, values, out=best)
    return owner.long(), counts[:count] if threshold is not None else None


def resize_then_argmax(scores: torch.Tensor, size: Size) -> torch.Tensor:
    """Index of the best class per pixel after a bilinear resize of ``scores (C, h, w)`` to ``size``.

    Equals ``resize(scores, size).argmax(0)`` (int64, ``(H, W)``), first maximum on ties.
    """
    if is_small(size):
        return resize(scores, size).argmax(dim=0)
    contenders = _classes_that_can_win(scores)
    owner, _ = resized_argmax(scores[contenders], size)
    return contenders[owner]


def _classes_that_can_win(scores: torch.Tensor) -> torch.Tensor:
    """Classes whose resized score can be the highest somewhere, ``(n,)`` int64, ascending.

    A resized pixel mixes a 2x2 block of neighbouring source pixels with non-negative weights, so it
    lies between the block's minimum and maximum. If, in every block, some class stays above a
    ``floor``, a class whose maximum over the whole map is below that floor never wins. The floor is
    computed from the classes that score high somewhere (a relative margin covers rounding).
    """
    highest = scores.flatten(1).amax(dim=1)  # (C,) each class's best score anywhere
    top = highest.max()
    blocks = scores[highest >= top - 0.9 * top.abs()]  # the strong classes (at least 10% of the top)
    if blocks.shape[-2] == 1 or blocks.shape[-1] == 1:
        blocks = F.pad(blocks, (0, 1, 0, 1), mode="replicate")
    block_minimum = torch.minimum(
        torch.minimum(blocks[:, :-1, :-1], blocks[:, 1:, :-1]),
        torch.minimum(blocks[:, :-1, 1:], blocks[:, 1:, 1:]),
    )
    floor = block_minimum.amax(dim=0).amin()  # in every block, some strong class reaches the floor
    margin = 1e-5 * (highest.abs() + floor.abs()) + 1e-30
    return (highest >= floor - margin).nonzero()[:, 0]


def _where_maps_matter(maps: torch.Tensor, scale: torch.Tensor, threshold: float | None) -> torch.Tensor:
    """``(n, h, w)`` bool: block (i, j) (source rows i, i+1 and columns j, j+1) where each map matters."""
    low, high = _block_bounds(maps)
    low.mul_(scale.view(-1, 1, 1))
    high.mul_(scale.view(-1, 1, 1))
    level = low.amax(dim=0)  # the winner reaches at least this
    if threshold is not None:
        level = level.clamp(max=threshold)
    margin = _MARGIN * float(high.amax().abs()) + 1e-30  # values are non-negative and at most this
    return high >= level - margin


def _block_bounds(maps: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Minimum and maximum over each 2x2 block (the last row and column repeat themselves)."""
    padded = F.pad(maps, (0, 1, 0, 1), mode="replicate")
    corners = (padded[:, :-1, :-1], padded[:, 1:, :-1], padded[:, :-1, 1:], padded[:, 1:, 1:])
    low, high = torch.minimum(corners[0], corners[1]), torch.maximum(corners[0], corners[1])
    for corner in corners[2:]:
        torch.minimum(low, corner, out=low)
        torch.maximum(high, corner, out=high)
    return low, high


def _share_planes(maps: torch.Tensor, matters: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Pack the maps into few planes ``(p, h, w)``; say which map owns each block, ``(p, h * w)`` int32.

    A map needs its own values on the source pixels of the blocks where it matters (its footprint);
    maps whose footprints overlap get different planes (greedy colouring, in map order). A block that
    no map of a plane owns gets the label ``n`` (the number of maps).
    """
    footprint = matters.clone()
    footprint[:, 1:, :] |= matters[:, :-1, :]
    footprint[:, :, 1:] |= matters[:, :, :-1]
    footprint[:, 1:, 1:] |= matters[:, :-1, :-1]
    flat = footprint.flatten(1).float()
    overlaps = ((flat @ flat.T) > 0).tolist()
    plane_of: list[int] = []
    for i in range(len(overlaps)):  # a loop over maps on a small (n, n) table, not on pixels
        taken = {plane_of[j] for j in range(i) if overlaps[i][j]}
        plane_of.append(min(set(range(len(taken) + 1)) - taken))
    index = torch.tensor(plane_of, device=maps.device)
    count, height, width = maps.shape
    planes = maps.new_zeros(max(plane_of) + 1, height * width)
    planes.index_add_(0, index, torch.where(footprint, maps, 0.0).flatten(1))  # footprints never overlap
    ids = torch.arange(1, count + 1, dtype=torch.int32, device=maps.device).view(-1, 1)
    owner = torch.zeros(len(planes), height * width, dtype=torch.int32, device=maps.device)
    owner.index_add_(0, index, torch.where(matters.flatten(1), ids, 0))
    return planes.view(-1, height, width), torch.where(owner > 0, owner - 1, count)


def _first_source_index(source: int, size: int, device: torch.device) -> torch.Tensor:
    """For each output row (or column), the first source row that bilinear resizing reads, int64.

    Asked from torch itself: resizing one-hot rows shows which source rows each output row mixes.
    """
    one_hot = torch.eye(source, device=device).view(source, source, 1)
    mixes = resize(one_hot, (size, 1))[:, :, 0] != 0  # (source, size)
    return mixes.to(torch.uint8).argmax(dim=0)
