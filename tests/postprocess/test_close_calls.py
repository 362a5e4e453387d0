"""Close calls: torch's bilinear arithmetic reproduced at chosen pixels, and the argmax built on it."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from segtutor.postprocess import _shared_planes
from segtutor.postprocess._bounds import tile_extremes
from segtutor.postprocess._close_calls import argmax_with_close_calls
from segtutor.postprocess._exact_bilinear import _fma, _fma_on_midpoints, grid_for
from segtutor.postprocess._shared_planes import resized_argmax
from segtutor.postprocess._sources import detour_source, maps_source
from segtutor.postprocess._steps import resize, sigmoid_as_in_whole_maps, sigmoid_gathers_like_whole_maps


@pytest.mark.parametrize(
    ("source", "size"),
    [
        ((96, 128), (384, 384)),  # transformers' Mask2Former detour
        ((384, 384), (480, 640)),
        ((208, 408), (384, 384)),
        ((37, 53), (300, 411)),
        ((7, 3), (200, 100)),
        ((1, 9), (40, 300)),
        ((50, 60), (50, 200)),  # one axis copied
        ((384, 384), (120, 160)),  # shrunk
    ],
)
def test_grid_values_equal_interpolate_at_every_pixel(source, size):
    grid = grid_for(source, size, torch.device("cpu"))
    assert grid is not None, "the installed torch's bilinear arithmetic is not reproduced"
    maps = torch.rand(3, *source, generator=torch.Generator().manual_seed(0)) ** 3
    height, width = size
    which = torch.arange(3).repeat_interleave(height * width)
    ys = torch.arange(height).repeat_interleave(width).repeat(3)
    xs = torch.arange(width).repeat(3 * height)
    values = grid.values(maps, which, ys, xs).view(3, height, width)
    # each map resized alone (with one thread, torch rounds a map resized among others differently)
    alone = [F.interpolate(m[None, None], size, mode="bilinear", align_corners=False) for m in maps]
    alone = torch.cat(alone)[:, 0]
    assert torch.equal(values, alone)


def test_no_grid_off_the_cpu():
    assert grid_for((96, 128), (384, 384), torch.device("cuda")) is None


def _exact_fma(x: float, y: float, z: float) -> np.float32:
    """x * y + z in rational arithmetic, rounded once to float32 (round half to even)."""
    exact = Fraction(x) * Fraction(y) + Fraction(z)
    low = np.float32(float(exact))  # a float32 next to the exact value
    candidates = [np.nextafter(low, np.float32(-np.inf)), low, np.nextafter(low, np.float32(np.inf))]
    distances = [abs(Fraction(float(c)) - exact) for c in candidates]
    best = min(distances)
    ties = [c for c, d in zip(candidates, distances, strict=True) if d == best]
    return ties[0] if len(ties) == 1 else next(c for c in ties if c.view(np.int32) % 2 == 0)


def test_fused_multiply_add_rounds_once_even_where_float64_would_round_twice():
    # x * y = 3 * 2**-24 * (1 - 2**-36), so x * y + 1 lies just below the float32 midpoint 1 + 3 * 2**-24:
    # float64 rounds the sum onto the midpoint, float32 then rounds up to even; the right answer rounds down
    x = np.float32(3 * 2**-12 * (1 + 2**-18))
    y = np.float32(2**-12 * (1 - 2**-18))
    z = np.float32(1.0)
    twice_rounded = np.float32(float(x) * float(y) + float(z))
    assert twice_rounded == np.float32(1 + 2**-22)  # the trap the emulation must avoid
    cases = [(x, y, z)]
    g = np.random.default_rng(0)
    for _ in range(2000):  # random products plus addends crafted to fall near midpoints
        a, b = g.random(2).astype(np.float32) + np.float32(0.5)
        product = Fraction(float(a)) * Fraction(float(b))
        near = np.float32(float(product))
        half_ulp = Fraction(float(np.nextafter(near, np.float32(np.inf)) - near)) / 2
        target = Fraction(float(near)) + half_ulp - product  # what z would make an exact midpoint
        cases.append((a, b, np.float32(float(target))))
    xs, ys, zs = (torch.tensor(np.array(column, dtype=np.float32)) for column in zip(*cases, strict=True))
    expected = torch.tensor(np.array([_exact_fma(float(a), float(b), float(c)) for a, b, c in cases]))
    assert torch.equal(_fma(xs, ys, zs), expected)


def _blobs(count: int, grid: tuple[int, int], seed: int) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    ys = torch.arange(grid[0], dtype=torch.float32).view(1, -1, 1)
    xs = torch.arange(grid[1], dtype=torch.float32).view(1, 1, -1)
    centres = torch.rand(count, 2, 1, 1, generator=g) * torch.tensor(grid).view(1, 2, 1, 1)
    distance = ((ys - centres[:, 0]) ** 2 + (xs - centres[:, 1]) ** 2).sqrt()
    return torch.sigmoid(max(grid) / 4 - distance + torch.randn(count, *grid, generator=g))


@pytest.mark.parametrize("shared_planes", [False, True], ids=["close-calls", "shared-planes"])
@pytest.mark.parametrize(
    ("count", "grid", "size"),
    [
        (30, (384, 384), (480, 640)),
        (12, (24, 32), (150, 200)),
        (7, (96, 128), (384, 384)),
        (3, (9, 1), (300, 20)),
        (9, (37, 53), (300, 411)),  # partial tiles on both axes
        (5, (20, 17), (640, 480)),
    ],
)
def test_both_paths_give_the_exact_argmax_and_counts(count, grid, size, shared_planes, monkeypatch):
    if shared_planes:  # the device-agnostic path, used where the CPU arithmetic is not reproduced
        monkeypatch.setattr(_shared_planes, "grid_for", lambda *args: None)
    maps = _blobs(count, grid, seed=count)
    weights = torch.rand(count, generator=torch.Generator().manual_seed(1)) * 0.5 + 0.5
    reference = resize(maps, size) * weights.view(-1, 1, 1)
    if shared_planes:
        owner, counts = resized_argmax(maps, size, weights=weights, threshold=0.45)
    else:
        grid_ = grid_for(grid, size, maps.device)
        owner, counts = argmax_with_close_calls(maps_source(maps), grid_, weights, 0.45)
    assert torch.equal(owner, reference.argmax(0))
    assert torch.equal(counts, (reference >= 0.45).flatten(1).sum(1))


def test_close_calls_handle_ties_and_all_zero_regions():
    maps = _blobs(8, (40, 50), seed=5)
    maps[4] = maps[2]  # identical maps tie everywhere: the lower index must win
    maps[:, :10, :10] = 0.0  # every map ties at zero: argmax says map 0
    grid = grid_for((40, 50), (200, 300), maps.device)
    owner, counts = argmax_with_close_calls(maps_source(maps), grid, torch.ones(8), threshold=0.0)
    reference = resize(maps, (200, 300))
    assert torch.equal(owner, reference.argmax(0))
    assert torch.equal(counts, (reference >= 0.0).flatten(1).sum(1))


def test_float64_maps_take_the_general_path_and_stay_exact():
    maps = _blobs(6, (30, 40), seed=2).double()  # the close-call arithmetic is float32's: not used here
    owner, counts = resized_argmax(maps, (150, 200), threshold=0.5)
    reference = resize(maps, (150, 200))
    assert torch.equal(owner, reference.argmax(0))
    assert torch.equal(counts, (reference >= 0.5).flatten(1).sum(1))


def test_semantic_argmax_uses_close_calls_on_the_cpu(monkeypatch):
    calls = []
    original = _shared_planes.argmax_with_close_calls
    monkeypatch.setattr(_shared_planes, "argmax_with_close_calls", lambda *a: calls.append(1) or original(*a))
    maps = _blobs(5, (24, 32), seed=7)
    owner, _ = resized_argmax(maps, (240, 320))
    assert calls and torch.equal(owner, resize(maps, (240, 320)).argmax(0))


@pytest.mark.parametrize("from_logits", [False, True], ids=["maps-in-memory", "maps-made-where-read"])
@pytest.mark.parametrize(
    ("source", "detour", "size"), [((96, 128), (384, 384), (480, 640)), ((13, 21), (64, 96), (300, 200))]
)
def test_maps_made_from_logits_where_read_give_the_same_result(source, detour, size, from_logits):
    # panoptic in compatible mode: maps = sigmoid(resize(logits)), bounded from the small logits; the
    # maps hold a multiple of 16 values per thread, so that torch's sigmoid vectorises all of them
    logits = torch.logit(_blobs(12, source, seed=3).clamp(1e-6, 1 - 1e-6))
    logits[0] *= 40.0  # saturated probabilities: 0 and 1 after sigmoid
    logits[1] -= 60.0  # tiny ones, down to float32's subnormal range
    maps = resize(logits, detour).sigmoid()
    weights = torch.rand(12, generator=torch.Generator().manual_seed(4)) * 0.5 + 0.5
    lazy = detour_source(logits, grid_for(source, detour, logits.device))
    low, high = tile_extremes(maps)
    assert bool((lazy.tile_bounds[0] <= low).all()) and bool((lazy.tile_bounds[1] >= high).all())
    which = torch.arange(12).repeat_interleave(detour[0] * detour[1])
    pixel = torch.arange(detour[0] * detour[1]).repeat(12)
    assert torch.equal(lazy.read(which, pixel), maps.flatten())  # the very values of the maps
    grid = grid_for(detour, size, maps.device)
    owner, counts = argmax_with_close_calls(lazy if from_logits else maps_source(maps), grid, weights, 0.45)
    reference = resize(maps, size) * weights.view(-1, 1, 1)
    assert torch.equal(owner, reference.argmax(0))
    assert torch.equal(counts, (reference >= 0.45).flatten(1).sum(1))


def test_fused_multiply_add_outside_the_fast_path():
    # zeros, negative and subnormal results go through the careful path and still round once
    g = torch.Generator().manual_seed(0)
    x = torch.cat([torch.rand(500, generator=g) - 0.5, torch.full((100,), 2.0**-70), torch.zeros(10)])
    y = torch.cat([torch.rand(500, generator=g), torch.rand(100, generator=g) * 2.0**-70, torch.ones(10)])
    tiny = torch.rand(100, generator=g) * 2.0**-140
    z = torch.cat([torch.rand(500, generator=g) - 0.5, tiny, torch.zeros(10)])
    assert bool((x * y + z).abs().min() < 2.0**-126)  # the subnormal range is really reached
    expected = torch.tensor(
        np.array([_exact_fma(float(a), float(b), float(c)) for a, b, c in zip(x, y, z, strict=True)])
    )
    assert torch.equal(_fma(x, y, z), expected)
    assert torch.equal(_fma_on_midpoints(x, y, z), expected)


def test_sigmoid_of_gathered_values_rounds_as_on_whole_maps():
    assert sigmoid_gathers_like_whole_maps(torch.get_num_threads())
    maps = torch.randn(30, 384, 384, generator=torch.Generator().manual_seed(5)) * 20
    whole = maps.sigmoid()
    for count in (3, 100, 12_345):  # odd lengths, whose last values torch rounds with scalar code
        index = torch.randperm(maps.numel(), generator=torch.Generator().manual_seed(count))[:count]
        assert torch.equal(sigmoid_as_in_whole_maps(maps.view(-1)[index]), whole.view(-1)[index])


def test_nothing_to_settle_when_one_map_wins_every_tile():
    maps = torch.stack([torch.full((40, 50), 0.9), torch.full((40, 50), 0.1)])  # no tile is open
    grid = grid_for((40, 50), (200, 300), maps.device)
    owner, counts = argmax_with_close_calls(maps_source(maps), grid, torch.ones(2), threshold=None)
    assert counts is None and torch.equal(owner, torch.zeros(200, 300, dtype=torch.long))
    owner, _ = argmax_with_close_calls(maps_source(maps[1:]), grid, torch.ones(1), threshold=None)
    assert torch.equal(owner, torch.zeros(200, 300, dtype=torch.long))
