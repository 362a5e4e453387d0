"""Bounds of bilinearly resized maps, read without resizing them.

An output pixel of a bilinear resize mixes a 2x2 block of source pixels with non-negative weights, so
its value lies between the block's minimum and maximum, and between the extremes of any larger region
holding the block. These helpers compute such extremes per 2x2 block and per tile of 8x8 blocks.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from segtutor.postprocess._exact_bilinear import Grid

TILE = 8  # blocks per tile side


def tile_extremes(maps: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Minimum and maximum of each map over every tile's source pixels, ``(n, tiles high, tiles wide)``."""
    return _tile_extreme(maps, torch.minimum), _tile_extreme(maps, torch.maximum)


def sigmoid_tile_bounds(logits: torch.Tensor, grid: Grid) -> tuple[torch.Tensor, torch.Tensor]:
    """Tile bounds of ``sigmoid(resize(logits))`` from the small ``logits (n, h, w)`` alone.

    ``grid`` is the resize from ``logits`` to the maps' grid. A resized value mixes the 2x2 source
    pixels it reads, so over a tile it stays between the extremes of the source pixels the tile's
    rows and columns read; the bounds are widened by a relative 1e-6 for rounding, and sigmoid keeps
    their order. This reads the logits instead of the 10 to 20 times larger resized maps.
    """
    low = _window_extreme(logits, grid, torch.minimum)
    high = _window_extreme(logits, grid, torch.maximum)
    low -= low.abs() * 1e-6 + 1e-30
    high += high.abs() * 1e-6 + 1e-30
    return low.sigmoid_(), high.sigmoid_()


def _window_extreme(logits: torch.Tensor, grid: Grid, combine: Callable[..., torch.Tensor]) -> torch.Tensor:
    """Extreme of ``logits`` over (at least) the source window each tile of ``grid``'s output reads.

    Every window is read with the length of the longest one: a longer window only widens a bound.
    """
    result = logits
    for dim, axis in ((1, grid.rows), (2, grid.cols)):
        size = len(axis.first)
        start = torch.arange(0, size, TILE)
        end = (start + TILE).clamp(max=size - 1)  # a tile's blocks reach one output pixel further
        first, last = axis.first.index_select(0, start), axis.second.index_select(0, end)
        running = result.clone()  # running[i] = extreme of result[i : i + length] along dim
        length = result.shape[dim]
        for step in range(1, int((last - first).max()) + 1):
            ahead = running.narrow(dim, 0, length - step)
            combine(ahead, result.narrow(dim, step, length - step), out=ahead)
        result = running.index_select(dim, first)
    return result


def _tile_extreme(maps: torch.Tensor, combine: Callable[..., torch.Tensor]) -> torch.Tensor:
    """Minimum (or maximum) of each map over every tile's source pixels, ``(n, tiles high, tiles wide)``.

    Tile ``(a, b)`` holds blocks ``T a .. T a + T - 1`` (rows) by ``T b .. T b + T - 1`` (columns);
    their source pixels are rows ``T a .. T a + T`` and columns ``T b .. T b + T`` (within the map).
    Strided slices keep every step a plain elementwise pass over contiguous rows.
    """
    result = maps[:, ::TILE].clone()  # rows first
    for step in range(1, TILE + 1):
        rows = maps[:, step::TILE]
        combine(result[:, : rows.shape[1]], rows, out=result[:, : rows.shape[1]])
    columns = result[:, :, ::TILE].clone()
    for step in range(1, TILE + 1):
        part = result[:, :, step::TILE]
        combine(columns[:, :, : part.shape[2]], part, out=columns[:, :, : part.shape[2]])
    return columns


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
