"""The speed-up of the default mode: decide on the mask grid, upsample only near the boundaries.

Bilinear upsampling gives every output pixel a weighted mean, with non-negative weights, of the four
source pixels around it (a *block* of the mask grid). If a map beats another at the four corners of a
block, it beats it at every output pixel of the block; if a map is above a threshold at the four
corners, it is above it everywhere in the block. So each decision is first taken per block, on the
small grid, and is final wherever the four corners agree: far from the boundaries, most of the image.
Only in the blocks where they disagree (along the boundaries between segments) are the upsampled
values of the maps that can still matter computed, pixel by pixel, with the formula of
``interpolate(mode="bilinear", align_corners=False)``. The decisions equal those of `PlainUpsampling`
(upsample every map, then decide) except where two values are equal to rounding error; the tests and
the benchmark measure the agreement on random and real outputs.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import torch

from segtutor.postprocess._inputs import Size
from segtutor.postprocess._steps import last_mask_index, resize

_VALUES_AT_ONCE = 2**20  # upsampled values computed together (bounds the memory)
_MARGIN = 1e-5  # relative: rounding of the upsampled values stays far below this


@dataclass(frozen=True)
class _Axis:
    """How bilinear upsampling reads one axis: output ``i`` mixes sources ``first[i]`` and the next one."""

    first: torch.Tensor  # (n_out,) int64
    weight: torch.Tensor  # (n_out,) float32, the weight of the next source pixel
    start: torch.Tensor  # (n_src,) the first output pixel reading block i
    count: torch.Tensor  # (n_src,) how many output pixels read block i

    @classmethod
    def of(cls, source: int, size: int, device: torch.device) -> _Axis:
        position = (torch.arange(size, device=device, dtype=torch.float64) + 0.5) * (source / size) - 0.5
        position = position.clamp(min=0)
        first = position.long()
        count = torch.bincount(first, minlength=source)
        return cls(first, (position - first).float(), torch.cumsum(count, 0) - count, count)

    def block_pixels(self, block: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Output pixels ``(b, most)`` of each of ``block (b,)``, and whether each is really in it."""
        offset = torch.arange(int(self.count.max()), device=block.device)
        inside = offset < self.count[block].unsqueeze(1)
        return (self.start[block].unsqueeze(1) + offset).clamp(max=len(self.first) - 1), inside


class Upsampling:
    """Decisions on ``maps (n, h, w)`` (non-negative) upsampled to ``size``, without upsampling them."""

    def __init__(self, maps: torch.Tensor, size: Size) -> None:
        # any dense layout: class scores come pixel by pixel (strides (1, w * n, n)), masks map by map
        self.maps = maps if maps.permute(1, 2, 0).is_contiguous() else maps.contiguous()
        self.size = size
        self.rows = _Axis.of(maps.shape[1], size[0], maps.device)
        self.cols = _Axis.of(maps.shape[2], size[1], maps.device)

    def argmax(self) -> torch.Tensor:
        """Index of the best upsampled map at each output pixel, ``(H, W)`` int64 (the first on ties)."""
        winner = self.maps.max(dim=0).indices  # the first of the best on ties, like argmax (and faster)
        corners = _corners(winner)
        unanimous = (corners[0] == corners[1]) & (corners[0] == corners[2]) & (corners[0] == corners[3])
        owner = self._enlarge(winner)
        blocks = (~unanimous).nonzero()
        for part, candidates, values in self._close_calls(blocks, self._can_win(blocks, winner)):
            best = values.max(dim=1).indices  # (b, R, C) position among the candidates, the first on ties
            self._write(owner, part, candidates.gather(1, best.flatten(1)).view_as(best))
        return owner

    def counts(self, threshold: float, *, strict: bool) -> torch.Tensor:
        """Per map, how many upsampled values are above (``strict``) or at least ``threshold``, ``(n,)``."""
        everywhere, somewhere = _all_and_any(self.maps > threshold if strict else self.maps >= threshold)
        pixels = self.rows.count.view(-1, 1) * self.cols.count.view(1, -1)  # (h, w) output pixels per block
        counts = (everywhere * pixels).flatten(1).sum(dim=1)
        crossing = somewhere & ~everywhere
        blocks = crossing.any(dim=0).nonzero()
        for _, candidates, values in self._close_calls(blocks, crossing[:, blocks[:, 0], blocks[:, 1]].T):
            hits = (values > threshold if strict else values >= threshold).flatten(2).sum(dim=2)
            counts.index_add_(0, candidates.clamp(min=0).flatten(), (hits * (candidates >= 0)).flatten())
        return counts

    def last_above(self, threshold: float) -> torch.Tensor:
        """Index of the last map whose upsampled value exceeds ``threshold``, ``(H, W)`` int64, -1 if none."""
        if len(self.maps) == 0:
            return torch.full(self.size, -1, dtype=torch.long, device=self.maps.device)
        everywhere, somewhere = _all_and_any(self.maps > threshold)
        order = torch.arange(len(self.maps), device=self.maps.device).view(-1, 1, 1)
        last_inside = torch.where(everywhere, order, -1).amax(dim=0)  # (h, w): later maps paint over earlier
        last = self._enlarge(last_inside)
        # close calls: the maps crossing the threshold in a block, after the last one covering it whole
        crossing = somewhere & ~everywhere & (order > last_inside)
        blocks = crossing.any(dim=0).nonzero()
        for part, candidates, values in self._close_calls(blocks, crossing[:, blocks[:, 0], blocks[:, 1]].T):
            position = torch.arange(1, candidates.shape[1] + 1, device=values.device).view(1, -1, 1, 1)
            latest = ((values > threshold) * position).amax(dim=1) - 1  # (b, R, C), -1 where none is above
            hit = candidates.gather(1, latest.clamp(min=0).flatten(1)).view_as(latest)
            self._write(
                last, part, torch.where(latest >= 0, hit, last_inside[part[:, 0], part[:, 1]].view(-1, 1, 1))
            )
        return last

    def _enlarge(self, per_block: torch.Tensor) -> torch.Tensor:
        """Copy a per-block value ``(h, w)`` to every output pixel of the block, ``(H, W)``."""
        return per_block.index_select(0, self.rows.first).index_select(1, self.cols.first)

    def _write(self, out: torch.Tensor, blocks: torch.Tensor, per_pixel: torch.Tensor) -> None:
        """Set the output pixels of ``blocks (b, 2)`` in ``out (H, W)`` from ``per_pixel (b, R, C)``."""
        rows, row_inside = self.rows.block_pixels(blocks[:, 0])
        cols, col_inside = self.cols.block_pixels(blocks[:, 1])
        inside = row_inside.unsqueeze(2) & col_inside.unsqueeze(1)
        out.view(-1)[(rows.unsqueeze(2) * self.size[1] + cols.unsqueeze(1))[inside]] = per_pixel[inside]

    def _can_win(self, blocks: torch.Tensor, winner: torch.Tensor) -> torch.Tensor:
        """``(b, n)`` bool: the maps that can still be the best somewhere in ``blocks (b, 2)``.

        A map cannot win where it stays below another at the four corners, nor where it stays below
        the mean of the four corners' winners (the best map is at least that mean, which is bilinear too).
        """
        corners = self._corner_indices(blocks)
        values = torch.stack([self.maps.flatten(1)[:, index] for index in corners])  # (4, n, b)
        winners = torch.stack([winner.view(-1)[index] for index in corners])  # (4, b)
        mean = values.gather(1, winners.expand(4, -1, -1)).mean(dim=1, keepdim=True)  # (4, 1, b)
        margin = _MARGIN * values.amax(dim=(0, 1))  # the maps are non-negative
        above_mean = (values >= mean - margin).any(dim=0)
        return ((values.amax(dim=0) >= values.amin(dim=0).amax(dim=0) - margin) & above_mean).T

    def _corner_indices(self, blocks: torch.Tensor, *, stored: bool = False) -> list[torch.Tensor]:
        """Indices in a map (``stored``: as stored) of the corners of ``blocks (b, 2)``: top left, ..."""
        _, h, w = self.maps.shape
        row, col = (self.maps.stride(1), self.maps.stride(2)) if stored else (w, 1)
        top, left = blocks[:, 0] * row, blocks[:, 1] * col
        bottom, right = (blocks[:, 0] + 1).clamp(max=h - 1) * row, (blocks[:, 1] + 1).clamp(max=w - 1) * col
        return [top + left, top + right, bottom + left, bottom + right]

    def _close_calls(
        self, blocks: torch.Tensor, matters: torch.Tensor
    ) -> Iterator[tuple[torch.Tensor, torch.Tensor, torch.Tensor]]:
        """Upsampled values, at every output pixel of ``blocks (b, 2)``, of the maps that matter there.

        ``matters (b, n)`` says which. Yields ``(blocks, candidates (b, m), values (b, m, R, C))``, a
        few blocks at a time: the maps in ascending order (-1 pads) and their values (-inf for padding
        and for positions past the block's last pixel, which `_write` skips).
        """
        count = matters.sum(dim=1)
        index = torch.arange(matters.shape[1], device=blocks.device)
        pixels = int(self.rows.count.max()) * int(self.cols.count.max())
        # blocks with about as many candidates go together: little padding
        group = torch.log2(count.clamp(min=1).float()).ceil().long()
        for size in group.unique().tolist():
            members = (group == size).nonzero()[:, 0]
            most = int(count[members].max())
            step = max(1, _VALUES_AT_ONCE // (most * pixels))
            for start in range(0, len(members), step):
                chosen = members[start : start + step]
                candidates = torch.where(matters[chosen], index, -1).sort(dim=1, descending=True).values
                candidates = candidates[:, :most].flip(1)  # ascending (padding -1 first)
                yield blocks[chosen], candidates, self._values(blocks[chosen], candidates)

    def _values(self, blocks: torch.Tensor, which: torch.Tensor) -> torch.Tensor:
        """Upsampled values ``(b, m, R, C)`` of maps ``which (b, m)`` in ``blocks (b, 2)`` (see above)."""
        planes = which.clamp(min=0) * self.maps.stride(0)
        flat = self.maps.as_strided((self.maps.numel(),), (1,))  # the values as stored
        a, b, c, d = (
            flat[planes + corner.unsqueeze(1)][..., None, None]
            for corner in self._corner_indices(blocks, stored=True)
        )
        rows, row_inside = self.rows.block_pixels(blocks[:, 0])
        cols, col_inside = self.cols.block_pixels(blocks[:, 1])
        wy, wx = self.rows.weight[rows][:, None, :, None], self.cols.weight[cols][:, None, None, :]
        values = (a * (1 - wx) + b * wx) * (1 - wy) + (c * (1 - wx) + d * wx) * wy
        inside = (row_inside[:, None, :, None] & col_inside[:, None, None, :]) & (which >= 0)[
            :, :, None, None
        ]
        return values.masked_fill_(~inside, -torch.inf)


class PlainUpsampling(Upsampling):
    """What `Upsampling` computes, the slow way: upsample every map, then decide (tests, benchmark)."""

    def _upsampled(self) -> torch.Tensor:
        return resize(self.maps, self.size)

    def argmax(self) -> torch.Tensor:
        return self._upsampled().argmax(dim=0)

    def counts(self, threshold: float, *, strict: bool) -> torch.Tensor:
        upsampled = self._upsampled()
        return (upsampled > threshold if strict else upsampled >= threshold).flatten(1).sum(dim=1)

    def last_above(self, threshold: float) -> torch.Tensor:
        return last_mask_index(self._upsampled() > threshold)


def _corners(grid: torch.Tensor) -> tuple[torch.Tensor, ...]:
    """``grid (..., h, w)`` at the four corners of each block (top left, top right, ...), ``(..., h, w)``."""
    right = torch.cat([grid[..., 1:], grid[..., -1:]], dim=-1)
    return grid, right, *(torch.cat([g[..., 1:, :], g[..., -1:, :]], dim=-2) for g in (grid, right))


def _all_and_any(inside: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Per block of ``inside (n, h, w)`` (bool): whether all four corners are inside, and whether any is."""
    corners = _corners(inside)
    return corners[0] & corners[1] & corners[2] & corners[3], corners[0] | corners[1] | corners[2] | corners[
        3
    ]
