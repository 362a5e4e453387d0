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

On the CPU, where torch's bilinear arithmetic is reproduced and checked (`_exact_bilinear`),
`resized_argmax` goes further and resizes no plane at all: see `_close_calls`. Shared planes remain
the path for other devices, whose kernels round differently.
"""

from __future__ import annotations

import torch

from segtutor.postprocess._bounds import block_bound
from segtutor.postprocess._close_calls import argmax_with_close_calls
from segtutor.postprocess._exact_bilinear import grid_for
from segtutor.postprocess._inputs import Size
from segtutor.postprocess._sources import maps_source
from segtutor.postprocess._steps import planes_per_chunk, resize

_MARGIN = 1e-5  # relative; bilinear resizing and one product round by a few 1e-7 at most

# For small outputs (height + width <= 128 on torch 2.x) torch's CPU kernel loops across the maps, and
# a map's rounding then depends on its position in the batch. Such outputs are cheap: resize all the
# maps in one call, exactly as transformers does.
_SMALL_OUTPUT = 256


# Sharing planes pays off when the output has many more pixels than the maps; otherwise the maps
# are resized a few at a time.
_ENLARGEMENT = 4


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
    # float32 on the CPU: resize only the close calls, with torch's own arithmetic
    grid = grid_for((height, width), size, maps.device) if maps.dtype == torch.float32 else None
    if grid is not None:
        return argmax_with_close_calls(maps_source(maps), grid, scale.float(), threshold)
    if size[0] * size[1] < _ENLARGEMENT * height * width:
        return _argmax_in_chunks(maps, size, weights, threshold)
    planes, plane_owners = _share_planes(maps, _where_maps_matter(maps, scale, threshold))
    # each output pixel reads the 2x2 source block that starts at (rows[y], cols[x])
    rows = _first_source_index(height, size[0], maps.device)
    cols = _first_source_index(width, size[1], maps.device)
    factor = torch.cat([scale, scale.new_zeros(1)])  # label `count` (no map) -> 0, below any real value
    best = owner = None
    counts = torch.zeros(count + 1, dtype=torch.long, device=maps.device)
    for plane, owners in zip(planes, plane_owners, strict=True):
        # which map each output pixel of this plane shows, and that map's exact resized value
        labels = _enlarge_blocks(owners.view(height, width), rows, cols)
        values = resize(plane.unsqueeze(0), size)[0]
        values.mul_(_enlarge_blocks(factor[owners].view(height, width), rows, cols))
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


def _argmax_in_chunks(
    maps: torch.Tensor, size: Size, weights: torch.Tensor | None, threshold: float | None
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """`resized_argmax` by resizing a few maps at a time and keeping a running best."""
    best = owner = None
    counts = []
    for start in range(0, len(maps), planes_per_chunk(size)):
        values = resize(maps[start : start + planes_per_chunk(size)], size)
        if weights is not None:
            values.mul_(weights[start : start + len(values)].view(-1, 1, 1))
        value, index = values.max(dim=0)  # first maximum, like argmax
        if threshold is not None:
            counts.append(count_at_least_(values, threshold))
        if best is None:
            best, owner = value, index
        else:  # strictly better only: on a tie the earlier map keeps the pixel
            better = value > best
            torch.where(better, value, best, out=best)
            torch.where(better, index.add_(start), owner, out=owner)
    return owner, torch.cat(counts) if threshold is not None else None


def count_at_least_(planes: torch.Tensor, threshold: float) -> torch.Tensor:
    """How many values of each of ``planes (n, H, W)`` (float32) reach ``threshold``, ``(n,)`` int64.

    Overwrites ``planes`` with 1.0 / 0.0: float sums are much faster than bool sums, and exact.
    """
    if planes[0].numel() >= 2**24:  # float32 sums of ones are exact only below 2**24
        return (planes >= threshold).flatten(1).sum(dim=1)
    return torch.ge(planes, threshold, out=planes).flatten(1).sum(dim=1).long()


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
    strong = scores[highest >= top - 0.9 * top.abs()]  # the classes reaching 10% of the top somewhere
    floor = block_bound(strong, torch.minimum).amax(dim=0).amin()  # some strong class, in every block
    margin = 1e-5 * (highest.abs() + floor.abs()) + 1e-30
    return (highest >= floor - margin).nonzero()[:, 0]


def _where_maps_matter(maps: torch.Tensor, scale: torch.Tensor, threshold: float | None) -> torch.Tensor:
    """``(n, h, w)`` bool: block (i, j) (source rows i, i+1 and columns j, j+1) where each map matters."""
    low, high = block_bound(maps, torch.minimum), block_bound(maps, torch.maximum)
    low.mul_(scale.view(-1, 1, 1))
    high.mul_(scale.view(-1, 1, 1))
    level = low.amax(dim=0)  # the winner reaches at least this
    if threshold is not None:
        level = level.clamp(max=threshold)
    margin = _MARGIN * float(high.amax().abs()) + 1e-30  # values are non-negative and at most this
    return high >= level - margin


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
    count, height, width = maps.shape
    # plane c = sum of its maps, each kept on its footprint only: footprints never overlap, so every
    # sum has at most one non-zero term and is exact (1.0 * x + 0.0 * y + ... == x)
    in_plane = torch.zeros(max(plane_of) + 1, count, dtype=maps.dtype, device=maps.device)
    in_plane[plane_of, range(count)] = 1.0
    planes = in_plane @ torch.where(footprint, maps, 0.0).flatten(1)
    ids = torch.arange(1, count + 1, dtype=maps.dtype, device=maps.device).view(-1, 1)  # exact below 2**24
    owner = (in_plane @ torch.where(matters.flatten(1), ids, 0.0)).int()
    return planes.view(-1, height, width), torch.where(owner > 0, owner - 1, count)


def _enlarge_blocks(per_block: torch.Tensor, rows: torch.Tensor, cols: torch.Tensor) -> torch.Tensor:
    """Copy a per-block value ``(h, w)`` to every output pixel reading that block ``(H, W)``."""
    return per_block.index_select(0, rows).index_select(1, cols)


def _first_source_index(source: int, size: int, device: torch.device) -> torch.Tensor:
    """For each output row (or column), the first source row that bilinear resizing reads, int64.

    Asked from torch itself: resizing one-hot rows shows which source rows each output row mixes.
    """
    one_hot = torch.eye(source, device=device).view(source, source, 1)
    mixes = resize(one_hot, (size, 1))[:, :, 0] != 0  # (source, size): does output j read source i?
    source_index = torch.arange(source, device=device).view(-1, 1)
    return torch.where(mixes, source_index, source).amin(dim=0)
