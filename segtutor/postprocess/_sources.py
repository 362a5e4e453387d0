"""What the close calls read: the maps to resize, given whole or made on demand from smaller logits.

The close calls (`_close_calls`) need, of the maps they resize, only bounds per tile and the values
of a few source pixels. `SourceMaps` is that much:

* `maps_source`: maps held in memory, bounded by their own extremes;
* `detour_source`: the maps ``sigmoid(resize(logits, size))`` of transformers' detour through 384x384,
  bounded from the small logits and resized a few at a time only to read the pixels asked for, so the
  whole stack of resized maps never has to sit in memory.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass

import torch

from segtutor.postprocess._bounds import sigmoid_tile_bounds, tile_extremes
from segtutor.postprocess._exact_bilinear import Grid
from segtutor.postprocess._steps import resize, sigmoid_as_in_whole_maps

# Resize at most this many bytes of maps at once when reading from logits.
_CHUNK_BYTES = 4 * 2**20


@dataclass(frozen=True)
class SourceMaps:
    """``n`` maps of ``height x width`` source pixels, as the close calls read them."""

    shape: tuple[int, int, int]  # (n, height, width)
    tile_bounds: tuple[torch.Tensor, torch.Tensor]  # (n, tiles high, tiles wide) lower and upper bounds
    read: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]  # (map, pixel) indices -> float32 values


def maps_source(maps: torch.Tensor) -> SourceMaps:
    """Maps ``(n, h, w)`` held in memory."""

    def read(which: torch.Tensor, pixel: torch.Tensor) -> torch.Tensor:
        return maps.reshape(-1).index_select(0, which * (maps.shape[1] * maps.shape[2]) + pixel)

    return SourceMaps(tuple(maps.shape), tile_extremes(maps), read)


def detour_source(logits: torch.Tensor, detour: Grid) -> SourceMaps:
    """The maps ``sigmoid(resize(logits))`` for the resize ``detour``, made only where they are read.

    ``read`` must be asked for its pixels grouped by map (``which`` non-decreasing). Resized maps
    equal the same maps resized among others (see `_steps`), and the sigmoid of a few values rounds
    as on whole maps where `sigmoid_gathers_like_whole_maps` says so: callers check that first.
    """
    count = logits.shape[0]
    height, width = detour.size
    per_chunk = max(1, _CHUNK_BYTES // (4 * height * width))

    def read(which: torch.Tensor, pixel: torch.Tensor) -> torch.Tensor:
        values = torch.empty(len(which), dtype=torch.float32, device=logits.device)
        starts = torch.arange(0, count + per_chunk, per_chunk, device=which.device).clamp(max=count)
        bounds = torch.searchsorted(which, starts).tolist()  # where each chunk's maps begin in `which`
        for chunk, (begin, end) in enumerate(itertools.pairwise(bounds)):
            if begin == end:
                continue
            first = chunk * per_chunk
            resized = resize(logits[first : first + per_chunk], (height, width)).view(-1)
            where = (which[begin:end] - first) * (height * width) + pixel[begin:end]
            values[begin:end] = resized.index_select(0, where)
        return sigmoid_as_in_whole_maps(values)

    return SourceMaps((count, height, width), sigmoid_tile_bounds(logits, detour), read)
