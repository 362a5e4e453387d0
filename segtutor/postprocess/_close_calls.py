"""Upsample -> argmax that computes resized values only where the decision is close.

Resizing many maps (one per query or class) to a large output only to take, at each pixel, the best
one (and to count where each reaches a threshold) wastes most of the work: far from the borders
between masks, one map wins by a wide margin. So:

1. bounds: an output pixel mixes a 2x2 block of source pixels with non-negative weights, so its
   resized value lies between the block's minimum and maximum (a relative margin covers rounding);
2. a block is *decided* when only one map can reach the best minimum there: every output pixel of
   the block goes to that map, and a map whose block minimum reaches the threshold counts all of
   the block's output pixels (one whose maximum stays below it counts none);
3. only the remaining (map, block) pairs, the close calls, are resized, pixel by pixel, with the
   very arithmetic of torch's kernel (`_exact_bilinear`), and decided as argmax would decide.

The result equals ``resize(maps) * weights`` followed by ``argmax(0)`` (first maximum on ties) and
``>= threshold`` counts, bit for bit.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from segtutor.postprocess._exact_bilinear import Grid

_MARGIN = 1e-5  # relative to the largest value; resizing and one product round by a few 1e-7 at most


def argmax_with_close_calls(
    maps: torch.Tensor, grid: Grid, scale: torch.Tensor, threshold: float | None
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """`resized_argmax` on the CPU: ``(H, W)`` int64 best map and ``(n,)`` int64 counts (or ``None``).

    Parameters
    ----------
    maps : torch.Tensor
        ``(n, h, w)`` non-negative float32 maps on ``grid.source``.
    grid : Grid
        The checked geometry of the resize.
    scale : torch.Tensor
        ``(n,)`` non-negative float32 factors applied after resizing.
    threshold : float, optional
        Count, per map, the output pixels whose scaled value is at least this.
    """
    count = maps.shape[0]
    height, width = grid.size
    low = block_bound(maps, torch.minimum).mul_(scale.view(-1, 1, 1))
    high = block_bound(maps, torch.maximum).mul_(scale.view(-1, 1, 1))
    margin = _MARGIN * float(high.amax()) + 1e-30
    # contenders could be the best somewhere in the block: reach the best minimum there (1.0 / 0.0)
    contender = torch.ge(high, low.amax(dim=0) - margin, out=torch.empty_like(high))
    # per block, how many contenders and the sum of their indices: the owner when there is only one
    ones_and_indices = torch.stack([maps.new_ones(count), torch.arange(count, dtype=maps.dtype)])
    tally = ones_and_indices @ contender.view(count, -1)
    decided = (tally[0] == 1).view(1, *maps.shape[1:])
    block_owner = tally[1].round().long().clamp_(max=count - 1).view(maps.shape[1:])
    # every output pixel starts reading its block at (first row, first column)
    owner = block_owner.index_select(0, grid.rows.first).index_select(1, grid.cols.first)
    close = contender.bool() & ~decided  # (map, block) pairs whose pixels must be resized to decide
    counts = None
    if threshold is not None:
        reached = torch.ge(low, threshold + margin, out=torch.empty_like(low))  # every pixel counts
        pixels = grid.rows.pixels_per_source.view(-1, 1) * grid.cols.pixels_per_source.view(1, -1)
        exact = torch.float64 if height * width >= 2**24 else torch.float32  # float sums of counts
        counts = (reached.view(count, -1).to(exact) @ pixels.flatten().to(exact)).round().long()
        unsure = (high >= threshold - margin) & ~reached.bool()
        todo = close | unsure
    else:
        unsure, todo = None, close
    which, block_row, block_col = todo.nonzero(as_tuple=True)
    if len(which) == 0:
        return owner, counts
    pair, ys, xs = _pixels_of_blocks(block_row, block_col, grid)
    which = which[pair]
    values = grid.values(maps, which, ys, xs).mul_(scale[which])
    if unsure is not None:
        counted = unsure[which, block_row[pair], block_col[pair]] & (values >= threshold)
        counts += torch.bincount(which[counted], minlength=count)
    competing = close[which, block_row[pair], block_col[pair]]
    _decide(owner.view(-1), which[competing], (ys * width + xs)[competing], values[competing], height * width)
    return owner, counts


def _decide(
    owner: torch.Tensor, which: torch.Tensor, pixel: torch.Tensor, values: torch.Tensor, size: int
) -> None:
    """Give each close-call pixel to its best map, the lowest index on ties, in ``owner`` (flat, in place)."""
    if len(which) == 0:
        return
    best = torch.full((size,), -torch.inf, dtype=values.dtype)
    best.scatter_reduce_(0, pixel, values, reduce="amax")
    wins = values == best[pixel]
    first = torch.full((size,), torch.iinfo(torch.int64).max, dtype=torch.int64)
    first.scatter_reduce_(0, pixel[wins], which[wins], reduce="amin")
    decided_pixels = pixel[wins]
    owner[decided_pixels] = first[decided_pixels].to(owner.dtype)


def _pixels_of_blocks(
    block_row: torch.Tensor, block_col: torch.Tensor, grid: Grid
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Every output pixel of each listed block: ``(pair index, row, column)``, int64 each.

    Output rows of a block are consecutive (torch's source index never decreases), so each block
    is a small rectangle of output pixels.
    """
    rows_per_block, cols_per_block = grid.rows.pixels_per_source, grid.cols.pixels_per_source
    first_row = torch.cumsum(rows_per_block, 0) - rows_per_block
    first_col = torch.cumsum(cols_per_block, 0) - cols_per_block
    n_rows, n_cols = rows_per_block[block_row], cols_per_block[block_col]
    sizes = n_rows * n_cols
    pair = torch.repeat_interleave(torch.arange(len(sizes)), sizes)
    local = torch.arange(len(pair)) - (torch.cumsum(sizes, 0) - sizes)[pair]
    cols_here = n_cols[pair]
    ys = first_row[block_row][pair] + torch.div(local, cols_here, rounding_mode="floor")
    xs = first_col[block_col][pair] + local % cols_here
    return pair, ys, xs


def block_bound(maps: torch.Tensor, combine: Callable[..., torch.Tensor]) -> torch.Tensor:
    """Minimum (or maximum) over each 2x2 block; blocks of the last row and column are narrower."""
    return _with_next(_with_next(maps, combine, dim=-1), combine, dim=-2)


def _with_next(values: torch.Tensor, combine: Callable[..., torch.Tensor], dim: int) -> torch.Tensor:
    """``combine`` each element with its next neighbour along ``dim`` (the last one stays as it is)."""
    result = values.clone()
    length = values.shape[dim]
    if length > 1:
        ahead, behind = values.narrow(dim, 0, length - 1), values.narrow(dim, 1, length - 1)
        combine(ahead, behind, out=result.narrow(dim, 0, length - 1))
    return result
