"""The private steps behave exactly like the torch / transformers calls they stand for."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from transformers.models.mask2former.image_processing_mask2former import convert_segmentation_to_rle

from segtutor.postprocess._steps import (
    exceeds,
    last_mask_index,
    nearest_source_indices,
    resize,
    row_sums,
    run_length_encode,
)


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
