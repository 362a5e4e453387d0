"""The private steps behave exactly like the torch / transformers calls they stand for."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from transformers.models.mask2former.image_processing_mask2former import convert_segmentation_to_rle

from segtutor.postprocess._shared_planes import resize_then_argmax, resized_argmax
from segtutor.postprocess._steps import (
    exceeds,
    indicator,
    last_mask_index,
    nearest_source_indices,
    resize,
    row_sums,
    run_length_encode,
)


def _reference_argmax(scores: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    return F.interpolate(scores[None], size=size, mode="bilinear", align_corners=False)[0].argmax(0)


@pytest.mark.parametrize(
    ("grid", "size"),
    [
        ((24, 32), (97, 130)),
        ((24, 32), (10, 13)),
        ((1, 1), (5, 7)),
        ((7, 3), (7, 3)),
        ((384, 384), (120, 160)),
    ],
)
@pytest.mark.parametrize("seed", [0, 1])
def test_resize_then_argmax_matches_interpolate_then_argmax(grid, size, seed):
    g = torch.Generator().manual_seed(seed)
    # a few strong classes in blobs plus many weak ones, like real class scores
    scores = torch.rand(12, *grid, generator=g) * 0.05
    scores[torch.randint(0, 12, (4,), generator=g)] += torch.rand(4, *grid, generator=g)
    assert torch.equal(resize_then_argmax(scores, size), _reference_argmax(scores, size))


@pytest.mark.parametrize("size", [(50, 41), (9, 9)])
def test_resize_then_argmax_breaks_exact_ties_like_argmax(size):
    g = torch.Generator().manual_seed(3)
    scores = torch.randint(0, 3, (6, 11, 13), generator=g).float()  # many exact ties
    scores[4] = scores[1]  # a duplicated class: the lower index must win
    assert torch.equal(resize_then_argmax(scores, size), _reference_argmax(scores, size))


def _blobs(count: int, grid: tuple[int, int], seed: int) -> torch.Tensor:
    """Mask-like probabilities: each map is high on its own disc, low elsewhere."""
    g = torch.Generator().manual_seed(seed)
    ys = torch.arange(grid[0], dtype=torch.float32).view(1, -1, 1)
    xs = torch.arange(grid[1], dtype=torch.float32).view(1, 1, -1)
    cy = torch.rand(count, 1, 1, generator=g) * grid[0]
    cx = torch.rand(count, 1, 1, generator=g) * grid[1]
    radius = 1 + torch.rand(count, 1, 1, generator=g) * max(grid) / 3
    distance = ((ys - cy) ** 2 + (xs - cx) ** 2).sqrt()
    return torch.sigmoid(radius - distance + torch.randn(count, *grid, generator=g))


@pytest.mark.parametrize(
    ("count", "grid", "size"),
    [
        (12, (24, 32), (150, 200)),  # enlarged: the planes are shared
        (30, (40, 30), (300, 90)),
        (5, (1, 9), (4, 300)),
        (1, (6, 6), (200, 100)),
        (9, (7, 7), (130, 130)),
        (20, (100, 120), (150, 160)),  # less than 4x enlarged: the maps are resized a few at a time
        (12, (24, 32), (97, 130)),  # small output: every map is resized, in one call
        (30, (40, 30), (23, 17)),
    ],
)
@pytest.mark.parametrize("seed", [0, 1])
def test_shared_planes_give_the_exact_argmax_and_counts(count, grid, size, seed):
    maps = _blobs(count, grid, seed)
    weights = torch.rand(count, generator=torch.Generator().manual_seed(seed)) * 0.5 + 0.5
    reference = resize(maps, size) * weights.view(-1, 1, 1)
    owner, counts = resized_argmax(maps, size, weights=weights, threshold=0.45)
    assert torch.equal(owner, reference.argmax(0))
    assert torch.equal(counts, (reference >= 0.45).flatten(1).sum(1))


def test_shared_planes_break_ties_like_argmax():
    maps = _blobs(6, (10, 12), 4)
    maps[3] = maps[1]  # identical maps tie everywhere: the lower index must win
    maps[5] = maps[1]
    owner, counts = resized_argmax(maps, (131, 129))
    assert torch.equal(owner, resize(maps, (131, 129)).argmax(0))
    assert counts is None


def test_resize_then_argmax_with_a_single_class():
    scores = torch.rand(1, 4, 5)
    assert torch.equal(resize_then_argmax(scores, (8, 9)), torch.zeros(8, 9, dtype=torch.long))


@pytest.mark.parametrize(
    ("grid", "size"), [((24, 32), (384, 384)), ((96, 128), (384, 384)), ((384, 384), (61, 89))]
)
def test_resizing_a_plane_alone_equals_resizing_it_among_others(grid, size):
    planes = torch.randn(9, *grid, generator=torch.Generator().manual_seed(0)) * 4
    together = resize(planes, size)
    assert torch.equal(resize(planes[[7, 2]], size), together[[7, 2]])
    assert torch.equal(resize(planes[4:5], size), together[4:5])


def test_resize_of_no_planes_is_empty():
    assert resize(torch.zeros(0, 4, 4), (9, 8)).shape == (0, 9, 8)


@pytest.mark.parametrize(
    ("source", "size"), [((384, 384), (480, 640)), ((24, 32), (7, 100)), ((5, 5), (5, 5))]
)
def test_nearest_source_indices_reproduce_nearest_interpolation(source, size):
    image = torch.randn(1, 2, *source)
    rows, cols = nearest_source_indices(source, size, image.device)
    expected = F.interpolate(image, size=size, mode="nearest")
    assert torch.equal(image[:, :, rows][:, :, :, cols], expected)


@pytest.mark.parametrize("length", [17, 40_000, 147_456])
def test_row_sums_of_one_row_match_the_row_summed_in_a_batch(length):
    batch = torch.rand(200, length, generator=torch.Generator().manual_seed(length))
    assert torch.equal(row_sums(batch[5:6], batch_rows=200), batch.sum(dim=1)[5:6])
    assert torch.equal(row_sums(batch[[3, 9]], batch_rows=200), batch.sum(dim=1)[[3, 9]])


def test_last_mask_index_lets_later_masks_paint_over_earlier_ones():
    masks = torch.zeros(3, 2, 3, dtype=torch.bool)
    masks[0, 0, :] = True
    masks[2, 0, 1:] = True
    masks[1, 1, 0] = True
    expected = torch.tensor([[0, 2, 2], [1, -1, -1]])
    assert torch.equal(last_mask_index(masks), expected)
    assert torch.equal(last_mask_index(masks[:0]), torch.full((2, 3), -1))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_run_length_encoding_matches_transformers(seed):
    g = torch.Generator().manual_seed(seed)
    segmentation = torch.randint(-1, 4, (6, 7), generator=g).float()
    segmentation[2:4] = 2.0  # long runs across rows
    assert run_length_encode(segmentation) == convert_segmentation_to_rle(segmentation)


@pytest.mark.parametrize("threshold", [0.1, 0.5, 1 / 3, 0.30000001, 0.0, 1.0])
@pytest.mark.parametrize("strict", [True, False])
def test_exceeds_compares_like_python_floats(threshold, strict):
    near = np.float32(threshold)
    values = torch.tensor(
        [float(near), float(np.nextafter(near, np.float32(2))), float(np.nextafter(near, np.float32(-1)))]
    )
    values = torch.cat([values, torch.rand(200, generator=torch.Generator().manual_seed(0))])
    expected = torch.tensor([(v > threshold) if strict else (v >= threshold) for v in values.tolist()])
    assert torch.equal(exceeds(values, threshold, strict=strict), expected)


def test_indicator_equals_a_float_comparison():
    values = torch.randn(3, 50, generator=torch.Generator().manual_seed(1))
    values[0, :5] = 0.0
    assert torch.equal(indicator(values, 0.0, strict=True), (values > 0).float())
    assert torch.equal(indicator(values, 0.0, strict=False), (values >= 0).float())
