"""Upsample -> argmax that computes resized values only where the decision is close.

Resizing many maps (one per query or class) to a large output only to take, at each pixel, the best
one (and to count where each reaches a threshold) wastes most of the work: far from the borders
between masks, one map wins by a wide margin. So:

1. bounds: an output pixel mixes a 2x2 block of source pixels with non-negative weights, so its
   resized value lies between the block's minimum and maximum (a relative margin covers rounding),
   and between the minimum and maximum of any larger region holding that block;
2. tiles first: over each tile of 8x8 blocks, a map whose maximum cannot reach the best minimum
   loses the whole tile; a tile with one map left is *decided*, and a map whose minimum reaches the
   threshold counts all of the tile's output pixels (one whose maximum stays below it counts none);
3. blocks next, only for the (map, tile) pairs still open: the same test per 2x2 block;
4. only the remaining (map, block) pairs, the close calls, are resized, pixel by pixel, with the
   very arithmetic of torch's kernel (`_exact_bilinear`), and decided as argmax would decide.

The result equals ``resize(maps) * weights`` followed by ``argmax(0)`` (first maximum on ties) and
``>= threshold`` counts, bit for bit.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from segtutor.postprocess._bounds import TILE as _TILE
from segtutor.postprocess._bounds import block_bound
from segtutor.postprocess._exact_bilinear import Grid
from segtutor.postprocess._sources import SourceMaps

_SLICE = 2**16  # close-call pixels computed at once
_MARGIN = 1e-5  # relative to the largest value; resizing and one product round by a few 1e-7 at most


@dataclass
class _OpenPairs:
    """(map, tile) pairs that tiles could not settle, with their blocks' bounds ``(P, T, T)``."""

    which: torch.Tensor  # (P,) map index
    tile: torch.Tensor  # (P,) flat tile index
    rows: torch.Tensor  # (P, T) source row of each block (may be >= h in a partial tile)
    cols: torch.Tensor  # (P, T) source column of each block
    patches: torch.Tensor  # (P, T + 1, T + 1) the source values of the tile (past the edge: the last)
    low: torch.Tensor  # (P, T, T) scaled block minimum
    high: torch.Tensor  # (P, T, T) scaled block maximum
    pixels: torch.Tensor  # (P, T, T) output pixels per block (0 outside the map)


def argmax_with_close_calls(
    source: SourceMaps, grid: Grid, scale: torch.Tensor, threshold: float | None
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """`resized_argmax` on the CPU: ``(H, W)`` int64 best map and ``(n,)`` int64 counts (or ``None``).

    Parameters
    ----------
    source : SourceMaps
        The ``n`` non-negative float32 maps on ``grid.source`` (see `_sources`).
    grid : Grid
        The checked geometry of the resize.
    scale : torch.Tensor
        ``(n,)`` non-negative float32 factors applied after resizing.
    threshold : float, optional
        Count, per map, the output pixels whose scaled value is at least this.
    """
    # 1-2. tiles: bounds of every map over each tile's source pixels
    low, high = source.tile_bounds
    low, high = low * scale.view(-1, 1, 1), high * scale.view(-1, 1, 1)
    margin = _MARGIN * float(high.amax()) + 1e-30
    contender = high >= low.amax(dim=0) - margin  # could be the best somewhere in the tile
    open_tile = contender.sum(dim=0) > 1
    competing = contender & open_tile
    block_owner = _blocks_from_tiles(contender.byte().argmax(dim=0))  # the only contender, if decided
    counts = unsure = None
    if threshold is not None:
        counts, unsure = _count_tiles(low, high, threshold, margin, grid)
    pairs = _open_pairs(source, scale, competing if unsure is None else competing | unsure, grid)
    # 3. blocks of the open pairs
    close = _close_blocks(pairs, competing, open_tile, block_owner, margin)
    block_unsure = None
    if threshold is not None:
        block_unsure = _count_blocks(pairs, unsure, threshold, margin, counts)
    owner = block_owner[grid.rows.first.view(-1, 1), grid.cols.first.view(1, -1)]
    # 4. close calls: exact values, pixel by pixel, from the tiles' source values
    _settle_close_calls(grid, scale, pairs, close, block_unsure, threshold, owner, counts)
    return owner, counts


def _count_tiles(
    low: torch.Tensor, high: torch.Tensor, threshold: float, margin: float, grid: Grid
) -> tuple[torch.Tensor, torch.Tensor]:
    """Counts from the tiles a map surely reaches ``(n,)`` int64, and the (map, tile) pairs left unsure."""
    count, tiles_high, tiles_wide = low.shape
    reached = low >= threshold + margin  # every output pixel of the tile counts
    unsure = (high >= threshold - margin) & ~reached
    tile_rows = _per_tile(grid.rows.pixels_per_source, tiles_high)
    tile_cols = _per_tile(grid.cols.pixels_per_source, tiles_wide)
    pixels = (tile_rows.view(-1, 1) * tile_cols.view(1, -1)).flatten()
    exact = torch.float64 if grid.size[0] * grid.size[1] >= 2**24 else torch.float32  # exact sums
    counts = (reached.view(count, -1).to(exact) @ pixels.to(exact)).round().long()
    return counts, unsure


def _count_blocks(
    pairs: _OpenPairs, unsure: torch.Tensor, threshold: float, margin: float, counts: torch.Tensor
) -> torch.Tensor:
    """Add the blocks an unsure pair surely reaches to ``counts``; return its blocks left unsure."""
    unsure_pair = unsure.flatten(1)[pairs.which, pairs.tile].view(-1, 1, 1)
    reached = (pairs.low >= threshold + margin) & unsure_pair
    pixels = (pairs.pixels * reached).flatten(1).sum(dim=1).double()
    counts += torch.bincount(pairs.which, weights=pixels, minlength=len(counts)).round().long()
    return (pairs.high >= threshold - margin) & ~reached & unsure_pair


def _settle_close_calls(
    grid: Grid,
    scale: torch.Tensor,
    pairs: _OpenPairs,
    close: torch.Tensor,
    block_unsure: torch.Tensor | None,
    threshold: float | None,
    owner: torch.Tensor,
    counts: torch.Tensor | None,
) -> None:
    """Resize the (map, block) pairs still in question exactly; update ``owner`` and ``counts`` in place."""
    todo = close if block_unsure is None else close | block_unsure
    todo &= pairs.pixels > 0
    flat_todo = todo.view(-1).nonzero()[:, 0]  # (pair, block row, block column) flattened
    if len(flat_todo) == 0:
        return
    pair = torch.div(flat_todo, _TILE * _TILE, rounding_mode="floor")
    block_y = torch.div(flat_todo, _TILE, rounding_mode="floor") % _TILE
    block_row = pairs.rows.view(-1).index_select(0, pair * _TILE + block_y)
    block_col = pairs.cols.view(-1).index_select(0, pair * _TILE + flat_todo % _TILE)
    item, ys, xs = _pixels_of_blocks(block_row, block_col, grid)
    pair = pair.index_select(0, item)
    which = pairs.which.index_select(0, pair)
    values = _values_from_patches(grid, pairs, pair, ys, xs).mul_(scale.index_select(0, which))
    if block_unsure is not None and counts is not None:
        unsure_items = block_unsure.view(-1).index_select(0, flat_todo).index_select(0, item)
        counts += torch.bincount(which[unsure_items & (values >= threshold)], minlength=len(counts))
    deciding = close.view(-1).index_select(0, flat_todo).index_select(0, item).nonzero()[:, 0]
    pixel = (ys * grid.size[1]).add_(xs).index_select(0, deciding)
    _decide(owner.view(-1), which.index_select(0, deciding), pixel, values.index_select(0, deciding))


def _values_from_patches(
    grid: Grid, pairs: _OpenPairs, pair: torch.Tensor, ys: torch.Tensor, xs: torch.Tensor
) -> torch.Tensor:
    """Exact resized values at pixels ``(ys, xs)`` of the maps of ``pair``, read from the pairs' patches.

    Works through the pixels a slice at a time, so that its index arithmetic stays small.
    """
    side = _TILE + 1
    # where each pair's patch starts, minus its tile's first source row and column
    origin = torch.arange(len(pairs.which)) * (side * side) - pairs.rows[:, 0] * side - pairs.cols[:, 0]
    patches = pairs.patches.view(-1)
    values = torch.empty(len(pair), dtype=torch.float32)
    for start in range(0, len(pair), _SLICE):
        rows, cols = ys[start : start + _SLICE], xs[start : start + _SLICE]
        base = origin.index_select(0, pair[start : start + _SLICE])
        source = patches.index_select(0, grid.corner_indices(base, side, rows, cols)).view(4, -1)
        values[start : start + _SLICE] = grid.combine(source, rows, cols)
    return values


def _per_tile(pixels_per_block: torch.Tensor, tiles: int) -> torch.Tensor:
    """Output pixels along one axis of each tile, ``(tiles,)`` int64."""
    return _padded(pixels_per_block, tiles * _TILE).view(tiles, _TILE).sum(dim=1)


def _open_pairs(source: SourceMaps, scale: torch.Tensor, is_open: torch.Tensor, grid: Grid) -> _OpenPairs:
    """Read the open (map, tile) pairs' source patches and bound their blocks."""
    _, height, width = source.shape
    which, tile_y, tile_x = is_open.nonzero(as_tuple=True)  # grouped by map, as `source.read` wants
    steps = torch.arange(_TILE + 1)
    # (P, T + 1) source rows and columns of each pair's tile; the last ones are the next tile's first
    rows = tile_y.view(-1, 1) * _TILE + steps
    cols = tile_x.view(-1, 1) * _TILE + steps
    index = rows.clamp(max=height - 1).unsqueeze(2) * width + cols.clamp(max=width - 1).unsqueeze(1)
    # (P, T + 1, T + 1) source pixels; past the map's edge, its last pixel again
    patches = source.read(which.repeat_interleave((_TILE + 1) ** 2), index.view(-1)).view(index.shape)
    factor = scale.index_select(0, which).view(-1, 1, 1)
    low = block_bound(patches, torch.minimum)[:, :_TILE, :_TILE].mul_(factor)
    high = block_bound(patches, torch.maximum)[:, :_TILE, :_TILE].mul_(factor)
    rows, cols = rows[:, :_TILE].contiguous(), cols[:, :_TILE].contiguous()
    rows_per_block = _padded(grid.rows.pixels_per_source, (tile_y.max() + 1) * _TILE if len(which) else 0)
    cols_per_block = _padded(grid.cols.pixels_per_source, (tile_x.max() + 1) * _TILE if len(which) else 0)
    pixels = rows_per_block[rows].unsqueeze(2) * cols_per_block[cols].unsqueeze(1)
    tiles_wide = is_open.shape[2]
    return _OpenPairs(which, tile_y * tiles_wide + tile_x, rows, cols, patches, low, high, pixels)


def _padded(values: torch.Tensor, length: int) -> torch.Tensor:
    """``values`` followed by zeros up to ``length``."""
    if length <= len(values):
        return values
    return torch.cat([values, values.new_zeros(length - len(values))])


def _blocks_from_tiles(tile_owner: torch.Tensor) -> torch.Tensor:
    """Per block, the owner of its tile: ``(tiles high * T, tiles wide * T)`` int64."""
    return tile_owner.long().repeat_interleave(_TILE, dim=0).repeat_interleave(_TILE, dim=1)


def _close_blocks(
    pairs: _OpenPairs,
    competing: torch.Tensor,
    open_tile: torch.Tensor,
    block_owner: torch.Tensor,
    margin: float,
) -> torch.Tensor:
    """``(P, T, T)`` bool close calls; writes the owners of blocks that one map wins into ``block_owner``."""
    tiles = open_tile.numel()
    in_race = competing.flatten(1)[pairs.which, pairs.tile]  # the pair competes for its tile's pixels
    race_low = torch.where(in_race.view(-1, 1, 1), pairs.low, -torch.inf)
    level = torch.full((tiles, _TILE * _TILE), -torch.inf)
    level.scatter_reduce_(0, pairs.tile.view(-1, 1).expand(-1, _TILE * _TILE), race_low.flatten(1), "amax")
    contender = (pairs.high >= level[pairs.tile].view(-1, _TILE, _TILE) - margin) & in_race.view(-1, 1, 1)
    tally = torch.zeros(2, tiles, _TILE * _TILE, dtype=torch.float64)
    tally[0].index_add_(0, pairs.tile, contender.flatten(1).double())
    tally[1].index_add_(0, pairs.tile, (contender * pairs.which.view(-1, 1, 1)).flatten(1).double())
    tiles_high, tiles_wide = open_tile.shape
    # (tiles high, tiles wide, T, T) view of the blocks, tile by tile
    blocks_of_tiles = block_owner.view(tiles_high, _TILE, tiles_wide, _TILE).permute(0, 2, 1, 3)
    open_y, open_x = open_tile.nonzero(as_tuple=True)
    flat_open = open_y * tiles_wide + open_x
    single = tally[0, flat_open] == 1
    current = blocks_of_tiles[open_y, open_x].flatten(1)
    decided_owner = torch.where(single, tally[1, flat_open].round().long(), current)
    blocks_of_tiles[open_y, open_x] = decided_owner.view(-1, _TILE, _TILE)
    return contender & (tally[0, pairs.tile] > 1).view(-1, _TILE, _TILE)


def _decide(owner: torch.Tensor, which: torch.Tensor, pixel: torch.Tensor, values: torch.Tensor) -> None:
    """Give each close-call pixel to its best map, the lowest index on ties, in ``owner`` (flat, in place)."""
    if len(which) == 0:
        return
    # number the distinct pixels through a scratch table (any one of a pixel's items names it)
    table = torch.empty(owner.numel(), dtype=torch.long)
    table.index_copy_(0, pixel, torch.arange(len(pixel)))
    slot = table.index_select(0, pixel)
    best = torch.full((len(pixel),), -torch.inf, dtype=values.dtype)
    best.scatter_reduce_(0, slot, values, reduce="amax")
    wins = (values == best.index_select(0, slot)).nonzero()[:, 0]
    first = torch.full((len(pixel),), torch.iinfo(torch.int64).max, dtype=torch.int64)
    first.scatter_reduce_(0, slot.index_select(0, wins), which.index_select(0, wins), reduce="amin")
    owner.index_copy_(0, pixel, first.index_select(0, slot).to(owner.dtype))


def _pixels_of_blocks(
    block_row: torch.Tensor, block_col: torch.Tensor, grid: Grid
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Every output pixel of each listed block: ``(item index, row, column)``, int64 each.

    Output rows of a block are consecutive (torch's source index never decreases), so each block
    is a small rectangle of output pixels.
    """
    rows_per_block, cols_per_block = grid.rows.pixels_per_source, grid.cols.pixels_per_source
    first_row = torch.cumsum(rows_per_block, 0) - rows_per_block
    first_col = torch.cumsum(cols_per_block, 0) - cols_per_block
    n_rows, n_cols = rows_per_block.index_select(0, block_row), cols_per_block.index_select(0, block_col)
    sizes = n_rows * n_cols
    item = torch.repeat_interleave(torch.arange(len(sizes)), sizes)
    local = torch.arange(len(item)) - (torch.cumsum(sizes, 0) - sizes).index_select(0, item)
    cols_here = n_cols.index_select(0, item)
    ys = first_row.index_select(0, block_row).index_select(0, item) + torch.div(
        local, cols_here, rounding_mode="floor"
    )
    xs = first_col.index_select(0, block_col).index_select(0, item) + local % cols_here
    return item, ys, xs
