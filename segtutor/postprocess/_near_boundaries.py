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
(Blocks are cut into *pieces* of at most ``ceil(scale)`` output rows and columns, so that the
boundary blocks are computed as one regular array: the first block of each axis is longer.)
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import torch

from segtutor.postprocess._inputs import Size
from segtutor.postprocess._steps import last_mask_index, resize

_MARGIN = 1e-5  # relative: rounding of the upsampled values stays far below this
_VALUES_AT_ONCE = 2**21  # upsampled values computed together (bounds the memory)


@dataclass(frozen=True)
class _Axis:
    """One axis: its output pixels, cut into pieces that each lie between two neighbouring grid pixels."""

    piece: torch.Tensor  # (size,) the piece of each output pixel
    weight: torch.Tensor  # (size,) float32: the weight of the next grid pixel
    source: torch.Tensor  # (pieces,) the grid pixel before the piece
    start: torch.Tensor  # (pieces,) its first output pixel
    count: torch.Tensor  # (pieces,) its number of output pixels
    block_count: torch.Tensor  # (source,) output pixels between each grid pixel and the next


def _axis(source: int, size: int, device: torch.device) -> _Axis:
    index = torch.arange(size, device=device)
    position = ((index.double() + 0.5) * (source / size) - 0.5).clamp(min=0)
    first = position.long()
    new_block = torch.cat([index.new_ones(1, dtype=torch.bool), first[1:] != first[:-1]])
    block_start = torch.where(new_block, index, 0).cummax(dim=0).values
    starts = new_block | ((index - block_start) % -(-size // source) == 0)
    start = starts.nonzero()[:, 0]
    count = torch.diff(start, append=start.new_tensor([size]))
    piece = torch.cumsum(starts, 0) - 1
    blocks = torch.bincount(first, minlength=source)
    return _Axis(piece, (position - first).float(), first[start], start, count, blocks)


def _corners(grid: torch.Tensor) -> tuple[torch.Tensor, ...]:
    """``grid (..., h, w)`` at the four corners of each block: top left, top right, bottom left, ..."""
    right = torch.cat([grid[..., 1:], grid[..., -1:]], dim=-1)
    return grid, right, *(torch.cat([g[..., 1:, :], g[..., -1:, :]], dim=-2) for g in (grid, right))


def _every_and_some(inside: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Per map and block of ``inside (n, h, w)``: whether all four corners are inside, whether any is."""
    a, b, c, d = _corners(inside)
    return a & b & c & d, a | b | c | d


@dataclass(frozen=True)
class Decision:
    """A map index per output pixel, stored as one per piece plus the pixels decided one by one.

    ``per_piece`` is -1 for "none" and for the pieces whose pixels are all listed in ``pixels``; a pixel
    may be listed twice with the same map (``counted`` is then False for one of them).
    """

    per_piece: torch.Tensor  # (pieces along rows, pieces along columns) int64
    pixels: torch.Tensor  # (m,) flat output pixel indices
    maps: torch.Tensor  # (m,) the map of each of them (-1: none)
    counted: torch.Tensor  # (m,) bool
    rows: _Axis
    cols: _Axis

    @classmethod
    def whole(cls, per_pixel: torch.Tensor) -> Decision:
        """A decision already taken at every output pixel, ``per_pixel (H, W)``."""
        none = per_pixel.new_zeros(0, dtype=torch.long)
        rows, cols = (_axis(size, size, per_pixel.device) for size in per_pixel.shape)
        return cls(per_pixel.long(), none, none, none.bool(), rows, cols)

    def areas(self, count: int) -> torch.Tensor:
        """How many output pixels each of ``count`` maps gets, ``(count,)`` int64."""
        pixels = (self.rows.count.view(-1, 1) * self.cols.count.view(1, -1)).flatten().double()
        per_piece = torch.bincount(self.per_piece.flatten() + 1, pixels, minlength=count + 1)
        one_by_one = torch.bincount(self.maps + 1, self.counted.double(), minlength=count + 1)
        return (per_piece + one_by_one)[1:].long()

    def map(self, values: torch.Tensor | None = None) -> torch.Tensor:
        """``values[index]`` at every output pixel (the map index itself if ``None``), ``(H, W)``.

        ``values[-1]`` is taken where no map is chosen.
        """
        per_piece = self.per_piece if values is None else values.take(self.per_piece)
        # the columns first: copying whole rows afterwards is 4x faster than gathering columns
        out = per_piece.index_select(1, self.cols.piece).index_select(0, self.rows.piece)
        out.view(-1)[self.pixels] = self.maps if values is None else values.take(self.maps)
        return out


class Upsampling:
    """Decisions on ``maps (n, h, w)`` (non-negative) upsampled to ``size``, without upsampling them."""

    def __init__(self, maps: torch.Tensor, size: Size) -> None:
        n, h, w = maps.shape
        self.maps, self.size = maps, size
        self.per_pixel = maps.permute(1, 2, 0).reshape(h * w, n)  # (grid pixels, maps): a view if it can
        if not (self.per_pixel.is_contiguous() or maps.is_contiguous()):
            self.per_pixel = self.per_pixel.contiguous()
        # element (pixel, map) of per_pixel is _flat[pixel * stride + map * map_stride]
        self._flat = self.per_pixel.view(-1) if self.per_pixel.is_contiguous() else maps.view(-1)
        self._strides = self.per_pixel.stride()
        self.rows, self.cols = _axis(h, size[0], maps.device), _axis(w, size[1], maps.device)

    def argmax(self) -> torch.Tensor:
        """Index of the best upsampled map at each output pixel, ``(H, W)`` int64 (the first on ties)."""
        return self.best().map()

    def best(self) -> Decision:
        """The best upsampled map at each output pixel (the first on ties), as a `Decision`."""
        n, h, w = self.maps.shape
        winner = self.per_pixel.max(dim=1).indices.view(h, w)  # the first of the best, like argmax
        a, b, c, d = _corners(winner)
        undecided = (a != b) | (a != c) | (a != d)
        pieces = self._pieces(undecided).nonzero()
        corners = torch.cat(self._corner_indices(pieces))
        values = self.per_pixel.index_select(0, corners).view(4, -1, n)  # (4, pieces, n)
        # a map can win only where it reaches the best map, which is above every map's lowest corner
        # value and above the mean of the four corners' winners (bilinear too)
        highest = values.amax(dim=0)
        margin = _MARGIN * highest.amax(dim=1, keepdim=True)
        winners = winner.view(-1).index_select(0, corners).view(4, -1).T  # (pieces, 4)
        mean = values.gather(2, winners.expand(4, -1, -1)).mean(dim=2, keepdim=True)  # (4, pieces, 1)
        can_win = (values >= mean - margin).any(dim=0)
        can_win &= highest >= values.amin(dim=0).amax(dim=1, keepdim=True) - margin
        refined = []
        for _, candidates, upsampled, where, inside in self._upsampled(pieces, can_win):
            best, first_best = upsampled[0], candidates[0].expand_as(where)
            for value, candidate in zip(upsampled[1:], candidates[1:], strict=True):
                better = value > best  # strictly: on a tie the first of the best keeps the pixel
                best, first_best = value.where(better, best), candidate.where(better, first_best)
            refined.append((where.flatten(), first_best.flatten(), inside.flatten()))
        return self._decision(self._pieces(winner.masked_fill(undecided, -1)), refined)

    def counts(self, threshold: float, *, strict: bool) -> torch.Tensor:
        """Per map, how many upsampled values are above (``strict``) or at least ``threshold``, ``(n,)``."""
        every, some = _every_and_some(self.maps > threshold if strict else self.maps >= threshold)
        pixels = self.rows.block_count.view(-1, 1) * self.cols.block_count.view(1, -1)  # per block
        exact = torch.float32 if self.size[0] * self.size[1] < 2**24 else torch.float64  # integer sums
        counts = (every.flatten(1).view(torch.uint8).to(exact) @ pixels.flatten().to(exact)).long()
        _, pieces, crossing = self._crossing(some & ~every)
        for _, candidates, upsampled, _, inside in self._upsampled(pieces, crossing):
            hits = ((upsampled > threshold if strict else upsampled >= threshold) & inside).sum(dim=1)
            hits[1:] *= candidates[1:] != candidates[:-1]  # a repeated candidate is counted once
            counts.index_add_(0, candidates.flatten(), hits.flatten())
        return counts

    def last_above(self, threshold: float) -> Decision:
        """The last map whose upsampled value exceeds ``threshold`` at each pixel (-1 if none)."""
        every, some = _every_and_some(self.maps > threshold)
        order = torch.arange(len(self.maps), device=self.maps.device).view(-1, 1, 1)
        none = torch.full(every.shape[1:], -1, device=every.device)  # (without any map)
        last_inside = torch.where(every, order, -1).amax(dim=0) if len(order) else none
        # only the maps crossing the threshold in a piece after the last one covering it can change it
        changing, pieces, crossing = self._crossing(some & ~every & (order > last_inside))
        last_inside, refined = self._pieces(last_inside), []
        for part, candidates, upsampled, where, inside in self._upsampled(pieces, crossing):
            above = torch.where(upsampled > threshold, candidates[:, None, :], -1).amax(dim=0)
            latest = torch.maximum(above, last_inside[pieces[part, 0], pieces[part, 1]])
            refined.append((where.flatten(), latest.flatten(), inside.flatten()))
        return self._decision(last_inside.masked_fill(changing, -1), refined)

    def _decision(self, per_piece: torch.Tensor, refined: list[tuple[torch.Tensor, ...]]) -> Decision:
        """`Decision` from ``per_piece`` and the ``(pixels, maps, inside)`` of the refined pieces."""
        none = per_piece.new_zeros(0)
        columns = zip((none, none, none.bool()), *refined, strict=True)  # (pixels...), (maps...), (inside...)
        return Decision(per_piece, *(torch.cat(parts) for parts in columns), self.rows, self.cols)

    def _pieces(self, per_block: torch.Tensor) -> torch.Tensor:
        """Copy ``per_block (h, w, ...)`` to every piece of each block: ``(pieces down, across, ...)``."""
        return per_block.index_select(0, self.rows.source).index_select(1, self.cols.source)

    def _crossing(self, crossing: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """For ``crossing (n, h, w)`` (bool, per map and block): which pieces have a crossing map
        ``(down, across)``, those pieces ``(p, 2)``, and which maps cross in each ``(p, n)``."""
        n, h, w = crossing.shape
        some = self._pieces(crossing.any(dim=0))
        pieces = some.nonzero()
        blocks = self.rows.source[pieces[:, 0]] * w + self.cols.source[pieces[:, 1]]
        return some, pieces, crossing.permute(1, 2, 0).reshape(h * w, n).index_select(0, blocks)

    def _corner_indices(self, pieces: torch.Tensor) -> list[torch.Tensor]:
        """Flat grid indices of the four corners of ``pieces (p, 2)`` (rows, columns)."""
        _, h, w = self.maps.shape
        top, left = self.rows.source[pieces[:, 0]], self.cols.source[pieces[:, 1]]
        bottom, right = (top + 1).clamp(max=h - 1) * w, (left + 1).clamp(max=w - 1)
        return [top * w + left, top * w + right, bottom + left, bottom + right]

    def _upsampled(self, pieces: torch.Tensor, candidates: torch.Tensor) -> Iterator[tuple]:
        """Upsampled values of the ``candidates (p, n)`` (bool) at the output pixels of ``pieces (p, 2)``.

        Yields, for a few pieces with the same number ``k`` of candidates at a time, ``(part (p',) their
        rows in ``pieces``; candidates (k, p') map indices, ascending; values (k, S, p'); pixels (S, p')
        flat output indices; inside (S, p'))``. The ``S`` slots cover the largest piece; in a smaller
        piece the extra slots repeat its last row or column (``inside`` is False there). The pieces come
        last: most operations then run along long rows.
        """
        rows, cols, width = self.rows, self.cols, self.size[1]
        most_rows, most_cols = int(rows.count.max()), int(cols.count.max())
        slot_row = torch.arange(most_rows, device=pieces.device).repeat_interleave(most_cols).view(-1, 1)
        slot_col = torch.arange(most_cols, device=pieces.device).repeat(most_rows).view(-1, 1)
        count = candidates.sum(dim=1)
        order = torch.argsort(count, stable=True)  # pieces with about as many candidates together
        pieces, count = pieces[order], count[order]
        maps = candidates[order].nonzero()[:, 1]  # ascending per piece, piece after piece
        first = torch.cumsum(count, 0) - count
        # where each slot of each piece falls, once for all pieces
        row_count, col_count = rows.count[pieces[:, 0]], cols.count[pieces[:, 1]]
        inside = (slot_row < row_count) & (slot_col < col_count)  # (S, p)
        y = rows.start[pieces[:, 0]] + torch.minimum(slot_row, row_count - 1)
        x = cols.start[pieces[:, 1]] + torch.minimum(slot_col, col_count - 1)
        wy, wx = rows.weight.take(y), cols.weight.take(x)
        pixels = y * width + x
        corners = torch.stack(self._corner_indices(pieces)) * self._strides[0]  # (4, p) offsets
        # pieces with 2 candidates, then 3-4, 5-8, ...: each group padded by repeating its last candidate
        sizes = count.clamp(min=1).log2().ceil().exp2().long()
        end = 0
        for k, group in torch.stack(torch.unique_consecutive(sizes, return_counts=True), 1).tolist():
            start, end = end, end + group
            step = max(1, _VALUES_AT_ONCE // (k * most_rows * most_cols))
            for lo in range(start, end, step):
                part = slice(lo, min(lo + step, end))
                rank = torch.minimum(torch.arange(k, device=maps.device).view(-1, 1), count[part] - 1)
                which = maps[first[part] + rank]  # (k, p')
                a, b, c, d = self._flat.take(corners[:, None, part] + which * self._strides[1])[:, :, None, :]
                top, bottom, weight = wy[:, part], 1 - wy[:, part], wx[:, part]
                values = (a * (1 - weight) + b * weight) * bottom + (c * (1 - weight) + d * weight) * top
                yield order[part], which, values, pixels[:, part], inside[:, part]


class PlainUpsampling(Upsampling):
    """What `Upsampling` computes, the slow way: upsample every map, then decide (tests, benchmark)."""

    def best(self) -> Decision:
        return Decision.whole(resize(self.maps, self.size).argmax(dim=0))

    def counts(self, threshold: float, *, strict: bool) -> torch.Tensor:
        upsampled = resize(self.maps, self.size)
        return (upsampled > threshold if strict else upsampled >= threshold).flatten(1).sum(dim=1)

    def last_above(self, threshold: float) -> Decision:
        return Decision.whole(last_mask_index(resize(self.maps, self.size) > threshold))
