"""torch's bilinear resize evaluated at chosen output pixels only, bit for bit.

Post-processing needs the exact resized value of a map only where a decision is close: where two
masks compete for a pixel, or where a mask crosses its threshold. Everywhere else bounds decide.

On the CPU, ``interpolate(mode="bilinear", align_corners=False)`` computes output pixel ``(Y, X)``
from the 2x2 source pixels ``a, b`` (row ``y0``, columns ``x0, x1``) and ``c, d`` (row ``y1``) in
float32 as ``t0 = a*w0 + b*w1``, ``t1 = c*w0 + d*w1`` and ``t0*h0 + t1*h1``, where builds for CPUs
with FMA fuse the first product of each sum into a single-rounding multiply-add. This module
reproduces that arithmetic (a fused multiply-add is emulated in float64 with the one rounding case
float64 cannot show corrected). Which variant the installed torch uses, and whether the arithmetic
matches at all, is *checked against torch itself* once per geometry: :func:`grid_for` returns
``None`` when it does not match, and callers then resize whole maps instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import torch
import torch.nn.functional as F

from segtutor.postprocess._inputs import Size

# Checked output rows and columns per geometry (each checked row / column is a full line of pixels).
_CHECKED_LINES = 48


@dataclass(frozen=True)
class Axis:
    """For each output index along one axis: the two source indices it reads and their weights."""

    source: int  # number of source indices
    first: torch.Tensor  # (N,) int64
    second: torch.Tensor  # (N,) int64, first + 1 except at the last source index
    w_first: torch.Tensor  # (N,) float32
    w_second: torch.Tensor  # (N,) float32

    @property
    def pixels_per_source(self) -> torch.Tensor:
        """How many output indices start at each source index, ``(n,)`` int64."""
        return torch.bincount(self.first, minlength=self.source)


@dataclass(frozen=True)
class Grid:
    """How torch's bilinear resize maps a ``source`` grid onto an output ``size``."""

    source: Size
    size: Size
    rows: Axis
    cols: Axis
    fused: bool  # whether torch fuses multiply-adds (FMA) on this machine

    def values(
        self, maps: torch.Tensor, which: torch.Tensor, ys: torch.Tensor, xs: torch.Tensor
    ) -> torch.Tensor:
        """Resized value of map ``which[k]`` at output pixel ``(ys[k], xs[k])``, float32, as torch does.

        Parameters
        ----------
        maps : torch.Tensor
            ``(n, h, w)`` float32 maps on the source grid.
        which, ys, xs : torch.Tensor
            ``(k,)`` int64 map indices and output coordinates.
        """
        corners = self.corner_indices(which * (self.source[0] * self.source[1]), self.source[1], ys, xs)
        return self.combine(maps.reshape(-1).index_select(0, corners).view(4, -1), ys, xs)

    def corner_indices(
        self, base: torch.Tensor, row_stride: int, ys: torch.Tensor, xs: torch.Tensor
    ) -> torch.Tensor:
        """Flat indices ``(4 * k,)`` of the four source values each output pixel ``(ys[k], xs[k])`` reads.

        Source pixel ``(row, column)`` of item ``k`` sits at ``base[k] + row * row_stride + column``
        (``base`` is overwritten); the order is the one `combine` takes.
        """
        top = base + self.rows.first.index_select(0, ys) * row_stride
        bottom = base.add_(self.rows.second.index_select(0, ys) * row_stride)
        left, right = self.cols.first.index_select(0, xs), self.cols.second.index_select(0, xs)
        return torch.cat([top + left, top.add_(right), bottom + left, bottom.add_(right)])

    def combine(self, corners: torch.Tensor, ys: torch.Tensor, xs: torch.Tensor) -> torch.Tensor:
        """Resized values at output pixels ``(ys[k], xs[k])`` from the source values they read.

        ``corners`` is ``(4, k)`` float32: top-left, top-right, bottom-left and bottom-right source
        value of each pixel (rows ``rows.first``/``rows.second``, columns ``cols.first``/``cols.second``).
        It is overwritten.
        """
        a, b, c, d = corners
        w0, w1 = self.cols.w_first.index_select(0, xs), self.cols.w_second.index_select(0, xs)
        h0, h1 = self.rows.w_first.index_select(0, ys), self.rows.w_second.index_select(0, ys)
        if self.fused:
            fma = _native_fma if _addcmul_is_fused() else _fma
            return fma(fma(a, w0, b.mul_(w1)), h0, fma(c, w0, d.mul_(w1)).mul_(h1))
        return (a * w0 + b * w1) * h0 + (c * w0 + d * w1) * h1


def grid_for(source: Size, size: Size, device: torch.device) -> Grid | None:
    """The checked :class:`Grid` for resizing ``source`` to ``size`` on ``device``, or ``None``.

    ``None`` when the device is not a CPU (GPU kernels round differently) or when neither arithmetic
    variant reproduces torch's own output for this geometry; the answer is cached per geometry.
    """
    if torch.device(device).type != "cpu":
        return None
    return _checked_grid(tuple(source), tuple(size))


@lru_cache(maxsize=64)
def _checked_grid(source: Size, size: Size) -> Grid | None:
    probe = torch.rand((1, 1, *source), generator=torch.Generator().manual_seed(0)) * 8 - 4
    reference = F.interpolate(probe, size=size, mode="bilinear", align_corners=False)[0, 0]
    ys, xs = _checked_pixels(size)
    expected = reference[ys, xs]
    which = torch.zeros_like(ys)
    for fused_index in (True, False):
        rows, cols = _axis(source[0], size[0], fused_index), _axis(source[1], size[1], fused_index)
        for fused in (True, False):
            grid = Grid(source, size, rows, cols, fused)
            if torch.equal(grid.values(probe[0], which, ys, xs), expected):
                return grid
    return None


def _checked_pixels(size: Size) -> tuple[torch.Tensor, torch.Tensor]:
    """Whole rows and whole columns spread over the output (first and last included)."""
    rows = torch.linspace(0, size[0] - 1, min(size[0], _CHECKED_LINES)).round().long().unique()
    cols = torch.linspace(0, size[1] - 1, min(size[1], _CHECKED_LINES)).round().long().unique()
    every_col = torch.arange(size[1])
    every_row = torch.arange(size[0])
    ys = torch.cat([rows.repeat_interleave(size[1]), every_row.repeat(len(cols))])
    xs = torch.cat([every_col.repeat(len(rows)), cols.repeat_interleave(size[0])])
    return ys, xs


def _axis(source: int, size: int, fused_index: bool) -> Axis:
    """Source indices and weights along one axis, following torch's ``area_pixel_compute_source_index``."""
    if source == size:  # torch copies: weight 1 on the same pixel
        index = torch.arange(size)
        return Axis(source, index, index, torch.ones(size), torch.zeros(size))
    scale = np.float32(source) / np.float32(size)
    centre = np.arange(size, dtype=np.float32) + np.float32(0.5)
    if fused_index:  # scale * centre - 0.5 with one rounding
        real = (scale.astype(np.float64) * centre.astype(np.float64) - 0.5).astype(np.float32)
    else:
        real = (scale * centre).astype(np.float32) - np.float32(0.5)
    real = np.maximum(real, np.float32(0))
    first = np.minimum(np.floor(real).astype(np.int64), source - 1)
    second = first + (first < source - 1)
    lam = np.clip(real - first.astype(np.float32), np.float32(0), np.float32(1)).astype(np.float32)
    return Axis(
        source,
        torch.from_numpy(first),
        torch.from_numpy(second),
        torch.from_numpy(np.float32(1) - lam),
        torch.from_numpy(lam),
    )


def _fma(x: torch.Tensor, y: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
    """float32 ``x * y + z`` rounded once, as a fused multiply-add computes it.

    The product is exact in float64 and the float64 sum lies on the same side of every float32
    rounding midpoint as the exact sum, so rounding it to float32 is right unless it landed *on* a
    midpoint (or in float32's subnormal range): only those rare elements take the careful path.
    """
    total = x.to(torch.float64, copy=True).mul_(y).add_(z)
    rounded = total.float()
    bits = total.view(torch.int64)
    suspect = (bits & _BELOW_FLOAT32) == _FLOAT32_MIDPOINT  # the 29 bits float32 drops: exactly one half
    suspect |= bits < _SMALLEST_NORMAL_FLOAT32_BITS  # below float32's normal range, or negative
    if bool(suspect.any()):
        index = suspect.nonzero()[:, 0]
        rounded[index] = _fma_on_midpoints(x[index], y[index], z[index])
    return rounded


def _native_fma(x: torch.Tensor, y: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
    """``x * y + z`` by ``torch.addcmul``, which builds with FMA compute in one rounding (checked)."""
    return torch.addcmul(z, x, y)


@lru_cache(maxsize=1)
def _addcmul_is_fused() -> bool:
    """Whether ``torch.addcmul`` rounds ``z + x * y`` once, on random and on crafted midpoint cases.

    Checked against the float64 emulation on long inputs (vectorised loops) and short ones (scalar
    loops); where it is not fused, `_fma` is used instead.
    """
    g = torch.Generator().manual_seed(0)
    x = torch.rand(4096, generator=g) + 0.5
    y = torch.rand(4096, generator=g) + 0.5
    product = x.double() * y.double()
    near = product.float()
    half_ulp = (torch.nextafter(near, torch.full_like(near, torch.inf)) - near).double() / 2
    z = torch.cat([(near.double() + half_ulp - product)[:2048].float(), torch.rand(2048, generator=g) - 0.5])
    expected = _fma(x, y, z)
    if not torch.equal(torch.addcmul(z, x, y), expected):
        return False
    return all(torch.equal(torch.addcmul(z[:n], x[:n], y[:n]), expected[:n]) for n in (1, 3, 17))


# float64 keeps 29 more significand bits than float32; a float64 exactly halfway between two float32
# neighbours has those 29 bits equal to 1 followed by 28 zeros.
_BELOW_FLOAT32 = (1 << 29) - 1
_FLOAT32_MIDPOINT = 1 << 28
_SMALLEST_NORMAL_FLOAT32_BITS = (1023 - 126) << 52  # float64 bits of 2**-126, as int64


def _fma_on_midpoints(x: torch.Tensor, y: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
    """`_fma` where the float64 sum may have rounded onto a float32 midpoint: its error decides."""
    product = x.double() * y.double()
    addend = z.double()
    total = product + addend
    back = total - product  # TwoSum: the exact error of the float64 sum
    error = (product - (total - back)) + (addend - back)
    rounded = total.float()
    offset = total - rounded.double()
    neighbour = torch.nextafter(rounded, torch.where(offset > 0, torch.inf, -torch.inf).float())
    halfway = (offset != 0) & (neighbour.double() - total == offset)
    beyond = halfway & (error != 0) & ((error > 0) == (offset > 0))
    return torch.where(beyond, neighbour, rounded)
