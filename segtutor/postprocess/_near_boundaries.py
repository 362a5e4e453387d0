"""The speed-up of the default mode: decide on the mask grid, upsample only near the boundaries.

Bilinear upsampling makes every output pixel a weighted mean, with non-negative weights, of the four
mask-grid pixels around it (the corners of its *block*). So if one map is the best at the four corners
of a block, it is the best at every pixel of the block, and if a map is above a threshold at the four
corners, it is above it in the whole block. Each decision is therefore taken once per block on the
small grid, and is final wherever the four corners agree: far from the boundaries, most of the image.
Only in the other blocks, along the boundaries, are upsampled values computed, pixel by pixel with
the formula of ``interpolate(mode="bilinear", align_corners=False)``, and only for the maps that can
still win there (a map whose largest corner value is below another map's smallest cannot). The result
equals `PlainUpsampling`'s (upsample every map, then decide) except where two values are equal to
rounding error; the tests and the benchmark measure the agreement on random and real outputs.
"""

from __future__ import annotations

from collections.abc import Iterator

import torch

from segtutor.postprocess._inputs import Size
from segtutor.postprocess._steps import last_mask_index, resize

_MARGIN = 1e-5  # relative: rounding of the upsampled values stays far below this
_VALUES_AT_ONCE = 2**21  # upsampled values computed together (bounds the memory)


def _axis(source: int, size: int, device: torch.device) -> tuple[torch.Tensor, ...]:
    """Per output pixel: the source pixel before it and the weight of the next; per block: start, count."""
    position = (torch.arange(size, dtype=torch.float64, device=device) + 0.5) * (source / size) - 0.5
    position = position.clamp(min=0)
    first = position.long()
    count = torch.bincount(first, minlength=source)
    return first, (position - first).float(), torch.cumsum(count, 0) - count, count


def _corners(grid: torch.Tensor) -> tuple[torch.Tensor, ...]:
    """``grid (..., h, w)`` at the four corners of each block: top left, top right, bottom left, ..."""
    right = torch.cat([grid[..., 1:], grid[..., -1:]], dim=-1)
    return grid, right, *(torch.cat([g[..., 1:, :], g[..., -1:, :]], dim=-2) for g in (grid, right))


class Upsampling:
    """Decisions on ``maps (n, h, w)`` (non-negative) upsampled to ``size``, without upsampling them."""

    def __init__(self, maps: torch.Tensor, size: Size) -> None:
        self.maps, self.size = maps, size
        self.rows = _axis(maps.shape[1], size[0], maps.device)
        self.cols = _axis(maps.shape[2], size[1], maps.device)

    def argmax(self) -> torch.Tensor:
        """Index of the best upsampled map at each output pixel, ``(H, W)`` int64 (the first on ties)."""
        n, h, w = self.maps.shape
        per_pixel = self.maps.permute(1, 2, 0).reshape(h * w, n)  # a view for semantic's class scores
        winner = per_pixel.max(dim=1).indices.view(h, w)  # the first of the best, like argmax
        a, b, c, d = _corners(winner)
        owner = self._enlarge(winner)
        blocks = ((a != b) | (a != c) | (a != d)).nonzero()  # the four corners disagree
        corners = self._corner_indices(blocks)
        values = torch.stack([per_pixel[i] for i in corners])  # (4, blocks, n)
        # a map can win only where it reaches the best map, which is above every map's lowest corner
        # value and above the mean of the four corners' winners (bilinear too)
        highest = values.amax(dim=0)
        margin = _MARGIN * highest.amax(dim=1, keepdim=True)
        winners = torch.stack([winner.view(-1)[i] for i in corners]).T  # (blocks, 4)
        mean = values.gather(2, winners.expand(4, -1, -1)).mean(dim=2, keepdim=True)  # (4, blocks, 1)
        can_win = (values >= mean - margin).any(dim=0)
        can_win &= highest >= values.amin(dim=0).amax(dim=1, keepdim=True) - margin
        block, index = can_win.nonzero().unbind(1)  # sorted by block, then map
        for entries, lengths, upsampled, pixels, inside in self._upsampled(
            blocks, can_win.sum(dim=1), values[:, block, index]
        ):
            best = torch.segment_reduce(upsampled, "max", lengths=lengths).repeat_interleave(lengths, 0)
            candidate = torch.where(upsampled == best, index[entries].view(-1, 1, 1).float(), n)
            first_best = torch.segment_reduce(candidate, "min", lengths=lengths)
            owner.view(-1)[pixels[inside]] = first_best[inside].long()
        return owner

    def counts(self, threshold: float, *, strict: bool) -> torch.Tensor:
        """Per map, how many upsampled values are above (``strict``) or at least ``threshold``, ``(n,)``."""
        every, some = self._every_and_some(self.maps > threshold if strict else self.maps >= threshold)
        pixels = self.rows[3].view(-1, 1) * self.cols[3].view(1, -1)  # output pixels per block
        counts = (every * pixels).flatten(1).sum(dim=1)
        maps, rows, cols = (some & ~every).nonzero().unbind(1)  # blocks where a map crosses
        blocks, corners = self._map_corners(maps, rows, cols)
        for entries, _, upsampled, _, _ in self._upsampled(blocks, torch.ones_like(maps), corners):
            hits = upsampled > threshold if strict else upsampled >= threshold
            counts.index_add_(0, maps[entries], hits.flatten(1).sum(dim=1))
        return counts

    def last_above(self, threshold: float) -> torch.Tensor:
        """Index of the last map whose upsampled value exceeds ``threshold``, ``(H, W)`` int64, -1 if none."""
        if len(self.maps) == 0:
            return torch.full(self.size, -1, dtype=torch.long, device=self.maps.device)
        every, some = self._every_and_some(self.maps > threshold)
        order = torch.arange(len(self.maps), device=self.maps.device).view(-1, 1, 1)
        last_inside = torch.where(every, order, -1).amax(dim=0)  # later maps paint over earlier ones
        last = self._enlarge(last_inside)
        # only the maps crossing the threshold in a block after the last one covering it can change it
        crossing = some & ~every & (order > last_inside)
        rows, cols, maps = crossing.permute(1, 2, 0).nonzero().unbind(1)  # sorted by block, then map
        blocks, corners = self._map_corners(maps, rows, cols)
        blocks, lengths = torch.unique_consecutive(blocks, dim=0, return_counts=True)
        for entries, counts, upsampled, pixels, inside in self._upsampled(blocks, lengths, corners):
            above = torch.where(upsampled > threshold, maps[entries].view(-1, 1, 1).float(), -1)
            latest = torch.segment_reduce(above, "max", lengths=counts).long()
            latest = torch.maximum(latest, last.view(-1)[pixels])
            last.view(-1)[pixels[inside]] = latest[inside]
        return last

    def _enlarge(self, per_block: torch.Tensor) -> torch.Tensor:
        """Copy a per-block value ``(h, w)`` to every output pixel of the block, ``(H, W)``."""
        return per_block.index_select(0, self.rows[0]).index_select(1, self.cols[0])

    def _corner_indices(self, blocks: torch.Tensor) -> list[torch.Tensor]:
        """Flat grid indices of the four corners of ``blocks (b, 2)`` (rows, columns)."""
        _, h, w = self.maps.shape
        top, left = blocks[:, 0] * w, blocks[:, 1]
        bottom, right = (blocks[:, 0] + 1).clamp(max=h - 1) * w, (blocks[:, 1] + 1).clamp(max=w - 1)
        return [top + left, top + right, bottom + left, bottom + right]

    def _every_and_some(self, inside: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Per map and block of ``inside (n, h, w)``: whether all four corners are inside, whether any is."""
        a, b, c, d = _corners(inside)
        return a & b & c & d, a | b | c | d

    def _map_corners(self, maps: torch.Tensor, rows: torch.Tensor, cols: torch.Tensor) -> tuple:
        """Blocks ``(e, 2)`` and the corner values ``(4, e)`` of map ``maps[i]`` in block ``i``."""
        blocks, flat = torch.stack([rows, cols], dim=1), self.maps.flatten(1)
        return blocks, torch.stack([flat[maps, i] for i in self._corner_indices(blocks)])

    def _upsampled(
        self, blocks: torch.Tensor, lengths: torch.Tensor, corners: torch.Tensor
    ) -> Iterator[tuple[torch.Tensor, ...]]:
        """Upsampled values at the output pixels of ``blocks (b, 2)``, ``lengths[i]`` maps in block i.

        ``corners (4, e)`` are the maps' corner values, block after block. Yields, a few blocks at a
        time, ``(entries (slice), lengths, values (e', R, C), pixels (b', R, C), inside (b', R, C))``:
        flat output pixel indices, whether each is in its block, and -inf values for those that are not.
        """
        (_, row_weight, row_start, row_count), (_, col_weight, col_start, col_count) = self.rows, self.cols
        if len(blocks) == 0:
            return
        most_rows, most_cols = int(row_count.max()), int(col_count.max())
        step = max(1, _VALUES_AT_ONCE // (most_rows * most_cols * int(lengths.max())))
        ends = torch.cumsum(lengths, 0).tolist()
        for start in range(0, len(blocks), step):
            part, counts = blocks[start : start + step], lengths[start : start + step]
            entries = slice(ends[start] - int(lengths[start]), ends[min(start + step, len(blocks)) - 1])
            rows = row_start[part[:, 0], None] + torch.arange(most_rows, device=blocks.device)  # (b', R)
            cols = col_start[part[:, 1], None] + torch.arange(most_cols, device=blocks.device)  # (b', C)
            inside = (rows < (row_start + row_count)[part[:, 0], None])[:, :, None] & (
                cols < (col_start + col_count)[part[:, 1], None]
            )[:, None, :]
            rows, cols = rows.clamp(max=self.size[0] - 1), cols.clamp(max=self.size[1] - 1)
            wy = row_weight[rows].repeat_interleave(counts, 0)[:, :, None]
            wx = col_weight[cols].repeat_interleave(counts, 0)[:, None, :]
            a, b, c, d = (corner[entries, None, None] for corner in corners)
            values = (a * (1 - wx) + b * wx) * (1 - wy) + (c * (1 - wx) + d * wx) * wy
            values.masked_fill_(~inside.repeat_interleave(counts, 0), -torch.inf)
            yield entries, counts, values, rows[:, :, None] * self.size[1] + cols[:, None, :], inside


class PlainUpsampling(Upsampling):
    """What `Upsampling` computes, the slow way: upsample every map, then decide (tests, benchmark)."""

    def argmax(self) -> torch.Tensor:
        return resize(self.maps, self.size).argmax(dim=0)

    def counts(self, threshold: float, *, strict: bool) -> torch.Tensor:
        upsampled = resize(self.maps, self.size)
        return (upsampled > threshold if strict else upsampled >= threshold).flatten(1).sum(dim=1)

    def last_above(self, threshold: float) -> torch.Tensor:
        return last_mask_index(resize(self.maps, self.size) > threshold)
